// debugger/input_script.h — timed input scripts for `ringside run --input FILE`: bytes
// for the serial port and key strokes for the keyboard, at machine times.
//
// The format, one command a line; `#` starts a comment (outside a string); blank lines
// are ignored:
//
//   at 5ms serial "hello\r"        # absolute time
//   after 2ms key "ls\n"           # relative to the previous line's time (0 at the start)
//   at 1000000cycles serial 0x41 "B" 67
//   at 20ms key 0xE0 0x48 0xE0 0xC8  # raw scancodes: cursor up, pressed and released
//
// TIME is an unsigned integer with a unit, no space between: ns, us, ms, s or cycles.
// Times convert to CPU cycles at the configured clock (--cpu-mhz), exactly: cycles =
// floor(time * MHz / 1 us); no host time is involved. `at` times must not decrease.
// CHANNEL is `serial` (COM1's receive line) or `key` (the PS/2 keyboard). Then one or more
// items:
//   "TEXT"  a string with the escapes \n \r \t \b \e \0 \\ \" and \xHH. On `serial` its
//           bytes are sent as they are; on `key` each character is typed on a US keyboard
//           (make and break codes, with shift where needed; platform/keymap.h).
//   NUMBER  a byte, decimal or 0x hexadecimal (0-255): a raw byte on `serial`, a raw
//           scancode set 1 byte on `key` (make, break = make | 0x80, or a 0xE0/0xE1
//           prefix).
// All bytes of a line are queued at the line's time; the devices pace them (the UART at
// the line rate with flow control, the keyboard one byte per transfer time), so a line is
// received in order and nothing is lost.
//
// A malformed line is an InputScriptError naming the file and line: "in.txt:3: ...".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "platform/input_queue.h"

namespace debugger {

class InputScriptError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses `text` (named `name` in messages) for a CPU clocked at `cpu_mhz`.
std::vector<platform::InputEvent> parse_input_script(std::string_view text, uint32_t cpu_mhz,
                                                     const std::string& name);

}  // namespace debugger
