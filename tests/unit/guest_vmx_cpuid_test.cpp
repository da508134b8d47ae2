// The vmx_cpuid guest kernel (tests/guests/vmx_cpuid.S with tests/guests/vmx_monitor.inc):
// a minimal 32-bit VT-x hypervisor that programs a complete VMCS and VMLAUNCHes a guest
// whose CPUIDs exit (SDM Vol.3 25.1.2) and are emulated, ending with VMCALL.
//
// The whole run must print exactly what Bochs 2.7 prints for it (`cpu:
// model=corei7_haswell_4770`, `cpuid: vmx=2`), tests/guests/vmx_cpuid.expected: 1000 CPUID
// exits of length 2, the checksum of the emulated CPUIDs, the VMCALL exit's saved guest
// RIP/CS/RSP, VMXOFF; and pass the kernel's own checks (isa-debug-exit status 33). So does
// the same kernel started from its floppy image by the boot sector mbfloppy.S (the way Bochs
// runs it).
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

// vmx_cpuid.expected holds addresses of this build of the kernel (guest rip, rsp): after a
// change to vmx_cpuid.S or vmx_monitor.inc, re-run it on Bochs (header of vmx_cpuid.S).
void expect_matches_bochs(const VmxRun& r) {
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_cpuid.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  // The run summary counts the transitions: one VMLAUNCH, 1000 VMRESUMEs, 1001 exits.
  EXPECT_NE(r.err.find("vm_entry 1001, vm_exit 1001"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ringside: VM exits: 1001 (cpuid 1000, vmcall 1)"), std::string::npos) << r.err;
}

TEST(GuestVmxCpuid, FullRunMatchesBochs) { expect_matches_bochs(run_vmx({kGuests + "/vmx_cpuid.elf"})); }

TEST(GuestVmxCpuid, FloppyImageBootsTheSameKernel) {
  // mbfloppy.S finds the kernel preloaded at 0x7E00 (no INT 13h here), copies it to 1 MiB.
  expect_matches_bochs(run_vmx({"--boot", kGuests + "/vmx_cpuid_floppy.img"}));
}

TEST(GuestVmxCpuid, NoVmxOptionRemovesVmx) {
  const VmxRun r = run_vmx({kGuests + "/vmx_cpuid.elf", "--no-vmx"});
  EXPECT_EQ(r.out, "vmx_cpuid: start\nvmx_cpuid: no VMX\n") << r.err;
  EXPECT_EQ(r.status, (0x11 << 1) | 1) << r.err;
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
