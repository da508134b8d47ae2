// The vmx_exits guest kernel (tests/guests/vmx_exits.S with tests/guests/vmx_monitor.inc): a
// 32-bit VT-x hypervisor whose guest runs into conditional instruction exits (Intel SDM
// Vol.3 25.1.3) that its handler emulates: IN from a port set in I/O bitmap A (reason 30),
// RDMSR of an MSR set in the MSR bitmap (31), CLTS with CR0 guest/host mask and read shadow
// TS = 1 (28, access type 2), MOV to CR3 with CR3-load exiting (28); the accesses whose
// bitmap bits are clear, MOV from CR0 (the shadow's TS), MOV to CR0 of the shadow's TS and
// MOV from CR3 do not exit. Then REP OUTSB (instruction information, guest-linear address),
// MOV DR, INVLPG, RDTSC, PAUSE, WBINVD, SGDT, STR and LMSW of memory exit and are skipped.
//
// The whole run must print exactly what Bochs 2.7 prints (tests/guests/vmx_exits.expected,
// header of vmx_exits.S) and pass the kernel's own checks (isa-debug-exit status 33), from
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
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/vmx_exits.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  // One VMLAUNCH and 13 VMRESUMEs; the exits by reason in the run summary.
  EXPECT_NE(r.err.find("vm_entry 14, vm_exit 14"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ringside: VM exits: 14 (cr_access 3, io_instruction 2, invlpg 1, rdtsc 1, vmcall 1, "
                       "mov_dr 1, rdmsr 1, pause 1, gdtr_idtr_access 1, ldtr_tr_access 1, wbinvd 1)"),
            std::string::npos)
      << r.err;
}

TEST(GuestVmxExits, FullRunMatchesBochs) { expect_matches_bochs(run({kGuests + "/vmx_exits.elf"})); }

TEST(GuestVmxExits, FloppyImageBootsTheSameKernel) {
  expect_matches_bochs(run({"--boot", kGuests + "/vmx_exits_floppy.img"}));
}

TEST(GuestVmxExits, NoVmxOptionRemovesVmx) {
  const GuestRun r = run({kGuests + "/vmx_exits.elf", "--no-vmx"});
  EXPECT_EQ(r.out, "vmx_exits: start\nvmx_exits: no VMX\n") << r.err;
  EXPECT_EQ(r.status, (0x11 << 1) | 1) << r.err;
}

}  // namespace
