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

// Entry checks, Ringside against Bochs (2026-11-25): variants of vmx_cpuid.elf with one or
// two more VMWRITEs after the VMCS is built (each run on both; Bochs's log names its check):
//   guest TR AR 83H (busy 16-bit TSS), LDTR usable with a null selector (AR 82H), ES
//   unusable with base 12345678H, SS unusable, CS limit FFFFFH with G = 1  -> both enter
//   (Bochs's guest then triple-faults, exit 2, for the SS and CS cases: right, the limit
//   field is the byte limit);
//   guest TR AR 89H (available TSS), CS AR C09AH (not accessed), RFLAGS 0, link pointer
//   high half 0, IDTR limit 10000H, interruptibility STI with IF = 0, injecting an external
//   interrupt with IF = 0 -> both fail the guest state (Bochs: exit 80000021H; Ringside
//   names guest.tr_access_rights, guest.cs_type, guest.rflags_reserved,
//   guest.vmcs_link_pointer, guest.gdtr_idtr_limit, guest.interruptibility_sti_needs_if,
//   guest.rflags_if_for_interrupt);
//   host TR selector 0, host CS selector RPL 3 -> error 8 on both; CR3-target count 5,
//   injecting #GP without its error code, injecting an NMI with vector 3 -> error 7 on
//   both;
//   "IA-32e mode guest" = 1 -> Ringside error 7 (the control is not allowed-1: no long
//   mode), Bochs error 8 (allowed-1, then SDM 26.2.4 with a 32-bit host): each right for
//   the capability MSRs it reports.
// Note for the reason-33 exit: Bochs sets the exit qualification to 4 for the link-pointer
// failure (SDM 26.8 "invalid VMCS link pointer"), 0 for the others above.
