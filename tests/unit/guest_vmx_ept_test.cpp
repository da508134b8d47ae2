// The vmx_ept guest kernel (tests/guests/vmx_ept.S with tests/guests/vmx_monitor.inc): a
// minimal 32-bit VT-x hypervisor that turns on EPT (Intel SDM Vol.3 28.3) with the guest's
// stack page read/execute only. The guest's PUSH is an EPT violation (exit 48,
// qualification 1AAH: data write, entries readable and executable, guest-linear address
// valid and translated — SDM Table 27-7 — with the guest-physical and guest-linear
// addresses of the stack slot); the monitor makes the page writable, INVEPT (single
// context), VMRESUME; the PUSH completes and VMCALL exits. Then the guest's page directory
// is unmapped in EPT: resuming at the VMCALL, the fetch's page walk reads the PDE through EPT
// — an EPT violation on a paging-structure entry (qualification 81H: data read, entries not
// present, bit 8 clear); made write-only, the entry is an EPT misconfiguration (exit 49);
// mapped again, the VMCALL exits again. In root, INVEPT type 3 and INVVPID with VPID 0
// VMfailValid(28); the guest's INVEPT and INVVPID exit (50, 53) with the qualification and
// instruction information of SDM 27.2.1 / Table 27-15. Last, with "unrestricted guest", the
// guest runs in real mode (CR0.PE = PG = 0) through EPT: a store, INT 30H through its IVT,
// VMCALL from the handler (SDM 26.3.1.2 CS type 3; Bochs refuses a type-11 CS whose
// selector RPL differs from its DPL, an older SDM rule: see vmx_ept.S).
//
// The whole run prints exactly what Bochs 2.7 prints (`cpu: model=corei7_haswell_4770`,
// `cpuid: vmx=2`; config in the header of vmx_cpuid.S, plus `plugin_ctrl: speaker=0` and
// `sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy`: Bochs' sound mixer thread
// aborts in this environment otherwise): tests/guests/vmx_ept.expected, from its floppy image
// vmx_ept_floppy.img. No disagreement between Bochs and Ringside.
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

// vmx_ept.expected holds addresses of this build of the kernel (stack slot, guest RIPs):
// after a change to vmx_ept.S or vmx_monitor.inc, re-run it on Bochs.
void expect_matches_bochs(const VmxRun& r) {
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_ept.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  EXPECT_NE(r.err.find("ringside: VM exits: 9 (vmcall 4, ept_violation 2, ept_misconfiguration 1, "
                       "invept 1, invvpid 1)"),
            std::string::npos)
      << r.err;
}

TEST(GuestVmxEpt, FullRunMatchesBochs) { expect_matches_bochs(run_vmx({kGuests + "/vmx_ept.elf"})); }

TEST(GuestVmxEpt, FloppyImageBootsTheSameKernel) {
  expect_matches_bochs(run_vmx({"--boot", kGuests + "/vmx_ept_floppy.img"}));
}

TEST(GuestVmxEpt, NoVmxOptionRemovesVmx) {
  const VmxRun r = run_vmx({kGuests + "/vmx_ept.elf", "--no-vmx"});
  EXPECT_EQ(r.out, "vmx_ept: start\nvmx_ept: no VMX\n") << r.err;
  EXPECT_EQ(r.status, (0x11 << 1) | 1) << r.err;
}

}  // namespace
