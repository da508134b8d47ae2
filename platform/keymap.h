// platform/keymap.h — PC keyboard scancodes: US-layout ASCII to scancode set 1, and set 1
// to set 2.
//
// The machine's InputQueue carries keyboard input as scancode set 1 bytes (what a guest
// reads from port 0x60 with the 8042's translation on, the usual PC configuration): make
// codes, break codes (make | 0x80) and the 0xE0/0xE1 prefixes. Front ends that have
// characters (an input script's `key "ls\n"`) turn them into key strokes here. The
// keyboard converts to set 2 when the guest turns translation off.
//
//   std::vector<uint8_t> codes;
//   platform::type_ascii('A', codes);  // 2A 1E 9E AA: shift down, a down, a up, shift up
#pragma once

#include <cstdint>
#include <vector>

namespace platform {

// Appends the set 1 make/break sequence typing `c` on a US keyboard (with left shift
// around shifted characters). '\n' and '\r' are Enter, '\t' Tab, '\b' Backspace, 0x1B
// Escape. Returns false (appending nothing) for a character no key types.
bool type_ascii(char c, std::vector<uint8_t>& out);

// Appends the set 2 bytes for one set 1 byte: prefixes 0xE0/0xE1 pass, a make code maps
// through the table, a break code becomes 0xF0 and the make code. Returns false (appending
// nothing) for a code with no set 2 equivalent.
bool set1_to_set2(uint8_t code, std::vector<uint8_t>& out);

}  // namespace platform
