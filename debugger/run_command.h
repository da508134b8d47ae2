// debugger/run_command.h — `ringside run`: build the machine, load the image, run, report.
//
// The CLI's main() is a thin shell over run_main(); tests call run_command() with their
// own sinks to check the guest output, the summary and the exit status.
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "debugger/event_counter.h"
#include "debugger/run_options.h"
#include "platform/machine.h"

namespace debugger {

struct RunIo {
  platform::ByteSink guest_output;          // bytes from port 0xE9 and the UART
  std::function<void()> flush_guest_output; // called before the summary is written
  std::ostream* err = nullptr;              // messages, progress, summary
  std::istream* in = nullptr;               // stdin, for --input - and --serial-in - (branch uart)
};

// What the summary reports.
struct RunSummary {
  platform::RunOutcome outcome;
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  double host_seconds = 0;  // wall time of the run (summary only; never in traces)
  std::string events;       // EventCounter::summary()
  std::optional<uint32_t> last_post;
  uint16_t post_port = 0x80;
  int exit_status = 0;
  std::vector<std::string> disks;  // one line per attached IDE disk
  // VM exits by reason, "1001 (cpuid 1000, vmcall 1)"; empty when there were none.
  std::string vm_exits;
};
std::string format_summary(const RunSummary& s);

// The exit status for a stop: the exit port's (v << 1) | 1 (low 8 bits), else the
// kExit* constants of run_options.h.
int exit_status_for(const platform::RunOutcome& outcome, std::optional<uint32_t> exit_port_status);

// Runs with parsed options; returns the process exit status.
int run_command(const RunOptions& opts, const RunIo& io);
// Parses `args` (the words after "run"), prints help or a usage error, runs.
int run_main(const std::vector<std::string>& args, const RunIo& io, std::ostream& help_out);

}  // namespace debugger
