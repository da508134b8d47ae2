// The vmx_nested guest kernel (tests/guests/vmx_nested.S with tests/guests/vmx_monitor.inc):
// the nested case. A 32-bit VT-x hypervisor (L0) runs a guest L1 that is itself a
// hypervisor: in VMX non-root operation with CR4.VMXE = 1, L1 executes VMXON [mem],
// VMCLEAR [mem], VMPTRLD [mem], VMWRITE (register and memory form), VMREAD (register form),
// VMLAUNCH and VMCALL, and every one of them exits to L0 (Intel SDM Vol.3 25.1.2). L0 prints
// the exit reason, instruction length and, for the memory operands, the exit qualification
// (the displacement, 27.2.1) and the instruction information (27.2.5, Tables 27-13/27-14,
// with the bits the SDM leaves undefined masked), emulates VMsucceed (30.2), VMWRITE and
// VMREAD against its copy of L1's VMCS, and L1's VMLAUNCH by entering L2, whose CPUID exit
// it reflects to L1 (L1 reads exit reason 10). Then the same L1 again with VMCS shadowing
// (24.6.2, 30.3): its VMREAD/VMWRITE no longer exit (5 exits instead of 12).
//
// The whole run must print exactly what Bochs 2.7 prints (tests/guests/vmx_nested.expected,
// header of vmx_nested.S) and pass the kernel's own checks (isa-debug-exit status 33), from
// the ELF and from its floppy image (the way Bochs runs it).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;
const std::string kSource = RINGSIDE_SOURCE_DIR;

struct GuestRun {
  int status = -1;
  std::string out;
  std::string err;
};

GuestRun run(std::vector<std::string> args) {
  GuestRun r;
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

void expect_matches_bochs(const GuestRun& r) {
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_nested.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  // One VMLAUNCH; 12 exits without shadowing (L1's 11 VMX instructions and L2's CPUID),
  // 5 with it; every exit but the last resumed.
  EXPECT_NE(r.err.find("vm_entry 17, vm_exit 17"), std::string::npos) << r.err;
  // VMREAD and VMWRITE exit only in the first run (2 and 4); the rest in both; L2's CPUID.
  EXPECT_NE(r.err.find("ringside: VM exits: 17 (vmwrite 4, vmcall 2, vmclear 2, vmlaunch 2, vmptrld 2, "
                       "vmread 2, vmxon 2, cpuid 1)"),
            std::string::npos)
      << r.err;
}

TEST(GuestVmxNested, FullRunMatchesBochs) { expect_matches_bochs(run({kGuests + "/vmx_nested.elf"})); }

TEST(GuestVmxNested, FloppyImageBootsTheSameKernel) {
  expect_matches_bochs(run({"--boot", kGuests + "/vmx_nested_floppy.img"}));
}

TEST(GuestVmxNested, NoVmxOptionRemovesVmx) {
  const GuestRun r = run({kGuests + "/vmx_nested.elf", "--no-vmx"});
  EXPECT_EQ(r.out, "vmx_nested: start\nvmx_nested: no VMX\n") << r.err;
  EXPECT_EQ(r.status, (0x11 << 1) | 1) << r.err;
}

}  // namespace
