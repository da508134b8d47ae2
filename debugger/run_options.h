// debugger/run_options.h — the options of `ringside run`, parsed with
// Boost.Program_options, and the help texts.
//
//   auto opts = debugger::parse_run_options({"kernel.elf", "--mem", "64M"});
//
// Parsing checks everything that can be checked without opening files: unknown options,
// malformed numbers and sizes, conflicting image kinds (--boot / --bios / --flat / IMAGE),
// and options that only apply to one kind (--real, --cmdline, --module). Errors throw
// UsageError; the CLI prints it and exits with kExitUsage.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "platform/devices/mc146818.h"

namespace debugger {

// Exit statuses of `ringside run`. The guest's own statuses through the exit port are
// (v << 1) | 1, always odd; Ringside's are even, so the two never collide.
constexpr int kExitHalted = 0;            // the guest halted (HLT it cannot leave)
constexpr int kExitUsage = 2;             // bad command line
constexpr int kExitTripleFault = 4;       // shutdown (triple fault)
constexpr int kExitNotImplemented = 6;    // the CPU met something not implemented yet
constexpr int kExitLoadError = 8;         // a file could not be read, loaded or written
constexpr int kExitLimit = 10;            // --max-instructions reached
constexpr int kExitReset = 12;            // the guest reset the machine, no --bios ROM (branch uart)

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunOptions {
  bool help = false;
  std::string image;                    // the positional IMAGE ("" if none)
  std::optional<std::string> boot;     // --boot IMAGE
  std::optional<std::string> bios;     // --bios FILE
  std::optional<uint64_t> flat;        // --flat ADDR (alias --load ADDR)
  bool real = false;                   // --real (with --flat)
  uint64_t mem = 32ull << 20;          // --mem
  std::optional<uint64_t> max_instructions;
  std::optional<std::string> trace;    // --trace FILE.jsonl
  bool progress = false;
  std::optional<std::string> cmdline;  // --cmdline (Multiboot)
  std::vector<std::string> modules;    // --module FILE[=STRING] (Multiboot), in order
  uint16_t post_port = 0x80;
  uint32_t cpu_mhz = 1000;
  std::string cpu_model = "haswell";  // --cpu-model
  bool virtualizable = false;          // --virtualizable (Popek–Goldberg, branch pg)
  bool dump_state = false;
  bool no_vmx = false;                 // --no-vmx: a CPU without VT-x
  // ---- IDE disks ----
  std::optional<std::string> disk0;    // --disk0 PATH (primary master)
  std::optional<std::string> disk1;    // --disk1 PATH (primary slave)
  bool disk_writeback = false;         // --disk-writeback: write through to the files
  // ---- CMOS RTC and VGA text ----
  std::optional<platform::RtcTime> rtc_start;  // --rtc-start ISO8601
  bool screen = false;                         // --screen: print the VGA text screen at the end
  // ---- serial and input (branch uart) ----
  enum class Serial : uint8_t { Stdio, File, None };
  Serial serial = Serial::Stdio;       // --serial stdio|file:PATH|none: where COM1 output goes
  std::string serial_path;             // with Serial::File
  std::optional<std::string> input;    // --input FILE: timed input script
  std::optional<std::string> serial_in;  // --serial-in FILE|-: raw bytes for COM1 at cycle 0
  bool serial_out2_gate = false;       // --serial-out2-gate: MCR.OUT2 gates IRQ 4 (real PC)
  // ---- end serial and input ----
};

// `args` are the words after "run". Throws UsageError.
RunOptions parse_run_options(const std::vector<std::string>& args);

// "32M", "1G", "640K", "65536", "0x100000"; K/M/G are powers of 1024 (an optional "iB" or
// "B" may follow). Throws UsageError naming `option`.
uint64_t parse_size(const std::string& text, const std::string& option);
// Decimal or 0x-prefixed hexadecimal. Throws UsageError naming `option`.
uint64_t parse_number(const std::string& text, const std::string& option);

// Splits "FILE=STRING" at the first '='.
struct ModuleSpec {
  std::string file;
  std::optional<std::string> string;
};
ModuleSpec parse_module_spec(const std::string& spec);

std::string ringside_help();  // `ringside --help`
std::string run_help();       // `ringside run --help`

}  // namespace debugger
