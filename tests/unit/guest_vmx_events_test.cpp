// The vmx_events guest kernel (tests/guests/vmx_events.S with tests/guests/vmx_monitor.inc): a
// 32-bit VT-x hypervisor whose guest is preempted by the 8254 through the 8259A (every IRQ 0
// an external-interrupt exit with the vector acknowledged on exit, SDM Vol.3 25.2, 27.2.2),
// re-injected into the guest by event injection (26.6) or at an interrupt-window exit, and by
// the VMX-preemption timer (25.5.1); the guest HLTs until it has counted its ticks, then
// VMCALL.
//
// The run must print exactly what Bochs 2.7 prints for it (`cpu: model=corei7_haswell_4770`,
// `cpuid: vmx=2`; header of vmx_events.S), tests/guests/vmx_events.expected, and pass the
// kernel's own checks (isa-debug-exit status 33): from the ELF and from the floppy image.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;
const std::string kSource = RINGSIDE_SOURCE_DIR;

struct EventsRun {
  int status = -1;
  std::string out;
  std::string err;
};

EventsRun run_events(std::vector<std::string> args) {
  EventsRun r;
  std::ostringstream err, help;
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// vmx_events.expected holds the VMCALL's address in this build of the kernel: after a change
// to vmx_events.S or vmx_monitor.inc, re-run it on Bochs (header of vmx_events.S).
void expect_matches_bochs(const EventsRun& r) {
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_events.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  // Deterministic on Ringside (the counts depend on the cycle model and device timing).
  EXPECT_NE(r.err.find("external_interrupt 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("preemption_timer "), std::string::npos) << r.err;
}

TEST(GuestVmxEvents, FullRunMatchesBochs) { expect_matches_bochs(run_events({kGuests + "/vmx_events.elf"})); }

TEST(GuestVmxEvents, FloppyImageBootsTheSameKernel) {
  expect_matches_bochs(run_events({"--boot", kGuests + "/vmx_events_floppy.img"}));
}

}  // namespace
