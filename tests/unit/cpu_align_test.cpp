// Alignment checking (#AC, vector 17): SDM Vol.3 6.15 "Interrupt 17". A misaligned data
// access raises #AC(0) only at CPL 3 with both CR0.AM and EFLAGS.AC set.
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Align : public SysTest {
 protected:
  // Ring 3 running `mov eax, [kData + 1]` (a misaligned dword read).
  void misaligned_read_at_ring3(bool am, bool ac) {
    setup_pm();
    bus.load(0x5000, {0x8B, 0x05, 0x01, 0x80, 0x00, 0x00, 0xF4});
    bus.set_dword(kData, 0x44332211);
    bus.set_dword(kData + 4, 0x88776655);
    if (am) cpu.state().cr0 |= cr0::AM;
    enter_ring3(0x5000, kStack3);
    if (ac) cpu.set_flags(cpu.flags() | flag::AC);
    run(1);
  }
};

TEST_F(Align, MisalignedReadAtRing3WithAmAndAcFaults) {
  misaligned_read_at_ring3(true, true);
  EXPECT_EQ(vector_taken(), -1);  // not halted yet: the handler's HLT has not run
  EXPECT_EQ(cpu.state().rip, handler(AC));
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), 0x5000u);  // the faulting EIP
}

TEST_F(Align, NoFaultWithoutAcFlag) {
  misaligned_read_at_ring3(true, false);
  EXPECT_EQ(eax(), 0x55443322u);
}

TEST_F(Align, NoFaultWithoutCr0Am) {
  misaligned_read_at_ring3(false, true);
  EXPECT_EQ(eax(), 0x55443322u);
}

TEST_F(Align, NoFaultAtRing0) {
  setup_pm();
  cpu.state().cr0 |= cr0::AM;
  cpu.set_flags(cpu.flags() | flag::AC);
  code({0x8B, 0x05, 0x01, 0x80, 0x00, 0x00});
  bus.set_dword(kData, 0x44332211);
  bus.set_dword(kData + 4, 0x88776655);
  run(1);
  EXPECT_EQ(eax(), 0x55443322u);
}

TEST_F(Align, MisalignedPushAtRing3Faults) {
  setup_pm();
  cpu.state().cr0 |= cr0::AM;
  bus.load(0x5000, {0x50});  // push eax with ESP misaligned
  enter_ring3(0x5000, kStack3 - 2);
  cpu.set_flags(cpu.flags() | flag::AC);
  run(1);
  EXPECT_EQ(cpu.state().rip, handler(AC));
}

TEST_F(Align, AlignedAccessAtRing3DoesNotFault) {
  setup_pm();
  cpu.state().cr0 |= cr0::AM;
  bus.load(0x5000, {0x8B, 0x05, 0x00, 0x80, 0x00, 0x00});
  bus.set_dword(kData, 0x44332211);
  enter_ring3(0x5000, kStack3);
  cpu.set_flags(cpu.flags() | flag::AC);
  run(1);
  EXPECT_EQ(eax(), 0x44332211u);
}

}  // namespace
