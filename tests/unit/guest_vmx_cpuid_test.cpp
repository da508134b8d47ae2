// The vmx_cpuid guest kernel (tests/guests/vmx_cpuid.S with tests/guests/vmx_monitor.inc):
// a minimal 32-bit VT-x hypervisor that programs a complete VMCS and VMLAUNCHes a guest
// whose CPUIDs exit (SDM Vol.3 25.1.2) and are emulated, ending with VMCALL.
//
// Today VM entry is not implemented: VMLAUNCH passes the checks on the controls, the host
// state and the guest state (SDM 26.2.1-26.3.1) and the run stops there. That is asserted
// here; so is the same kernel started from its floppy image by the boot sector mbfloppy.S
// (the way Bochs runs it). The whole run, as Bochs 2.7 prints it (`cpu:
// model=corei7_haswell_4770`, `cpuid: vmx=2`), is tests/guests/vmx_cpuid.expected:
// DISABLED_FullRunMatchesBochs is the test to enable once VM entry and exits land.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;
const std::string kSource = RINGSIDE_SOURCE_DIR;

struct VmxRun {
  int status = -1;
  std::string out;
  std::string err;
};

VmxRun run_vmx(std::vector<std::string> args) {
  VmxRun r;
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

// Everything the kernel prints before VMLAUNCH: VMXON, VMCLEAR, VMPTRLD, every VMWRITE of
// the VMCS succeeded (a failing one prints "vmwrite failed, field=...").
const std::string kUpToVmlaunch =
    "vmx_cpuid: start\n"
    "vmx_cpuid: cpuid.1:ecx.vmx=1\n"
    "vmx_cpuid: feature_control ok\n"
    "vmx_cpuid: paging and cr0/cr4 fixed bits ok\n"
    "vmx_cpuid: vmxon ok\n"
    "vmx_cpuid: vmclear ok\n"
    "vmx_cpuid: vmptrld ok\n"
    "vmx_cpuid: vmcs ok\n"
    "vmx_cpuid: vmlaunch\n";

void expect_stops_at_vm_entry(const VmxRun& r) {
  EXPECT_EQ(r.out, kUpToVmlaunch) << r.err;
  EXPECT_EQ(r.status, 6) << r.err;  // kExitNotImplemented
  // Not a VMfailValid (that would print "vmlaunch failed, error=...") and not a failed
  // guest-state check: every check of SDM 26.2.1-26.3.1 passed.
  EXPECT_NE(r.err.find("VM entry is not implemented yet (VMLAUNCH): controls, host and guest state passed"),
            std::string::npos)
      << r.err;
}

TEST(GuestVmxCpuid, VmcsPassesTheEntryChecksAndTheRunStopsAtVmEntry) {
  expect_stops_at_vm_entry(run_vmx({kGuests + "/vmx_cpuid.elf"}));
}

TEST(GuestVmxCpuid, FloppyImageBootsTheSameKernel) {
  // mbfloppy.S finds the kernel preloaded at 0x7E00 (no INT 13h here), copies it to 1 MiB.
  expect_stops_at_vm_entry(run_vmx({"--boot", kGuests + "/vmx_cpuid_floppy.img"}));
}

TEST(GuestVmxCpuid, NoVmxOptionRemovesVmx) {
  const VmxRun r = run_vmx({kGuests + "/vmx_cpuid.elf", "--no-vmx"});
  EXPECT_EQ(r.out, "vmx_cpuid: start\nvmx_cpuid: no VMX\n") << r.err;
  EXPECT_EQ(r.status, (0x11 << 1) | 1) << r.err;
}

TEST(GuestVmxCpuid, BochsOutputStartsWithWhatRingsidePrintsToday) {
  const std::string bochs = read_file(kSource + "/tests/guests/vmx_cpuid.expected");
  EXPECT_EQ(bochs.substr(0, kUpToVmlaunch.size()), kUpToVmlaunch);
}

// Enable once VM entry and VM exits (CPUID, VMCALL) are implemented: the whole run must
// print exactly what Bochs prints — 1000 CPUID exits of length 2, the checksum, the VMCALL
// exit's saved guest RIP/CS/RSP — and pass its own checks (isa-debug-exit status 33).
// vmx_cpuid.expected holds addresses of this build of the kernel (guest rip, rsp): after a
// change to vmx_cpuid.S or vmx_monitor.inc, re-run it on Bochs (header of vmx_cpuid.S).
TEST(GuestVmxCpuid, DISABLED_FullRunMatchesBochs) {
  const VmxRun r = run_vmx({kGuests + "/vmx_cpuid.elf"});
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_cpuid.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
}

}  // namespace
