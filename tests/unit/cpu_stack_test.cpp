// PUSH/POP (all forms), PUSHA/POPA, PUSHF/POPF (privilege rules), ENTER, LEAVE, checked
// against SDM Vol.2.
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Stack : public CpuTest {
 protected:
  // Flat ring 3: CS = 0x1B, SS = DS = ES = 0x23 (the fixture's GDT entries 3 and 4).
  void ring3() {
    protected32();
    auto& s = cpu.state();
    const uint32_t dpl3 = 3u << 5;
    const uint32_t data = ar::P | ar::S | ar::WRITABLE | ar::ACCESSED | ar::DB | ar::G | dpl3;
    for (unsigned sg = 0; sg < 6; ++sg) s.seg[sg] = SegmentCache{0x23, 0, 0xFFFFFFFF, data};
    s.seg[CS] = SegmentCache{0x1B, 0, 0xFFFFFFFF,
                             ar::P | ar::S | ar::CODE | ar::READABLE | ar::ACCESSED | ar::DB | ar::G | dpl3};
    cpu.set_cpl(3);
  }
  uint32_t esp() const { return reg(RSP); }
};

TEST_F(Stack, PushPopRegister) {
  protected32();
  code({0x53, 0x59});  // push ebx; pop ecx
  set(RBX, 0xCAFEBABE);
  run(1);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), 0xCAFEBABEu);
  run(1);
  EXPECT_EQ(reg(RCX), 0xCAFEBABEu);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Stack, PushEspPushesOldValue) {
  protected32();
  code({0x54});  // push esp
  run(1);
  EXPECT_EQ(bus.dword(kStack - 4), kStack);
}

TEST_F(Stack, PopEspLoadsPoppedValue) {
  protected32();
  code({0x5C});  // pop esp
  bus.set_dword(kStack, 0x00006000);
  run(1);
  EXPECT_EQ(esp(), 0x6000u);
}

TEST_F(Stack, Push16BitOperand) {
  protected32();
  code({0x66, 0x50, 0x66, 0x6A, 0xFF});  // push ax; push word -1
  set(RAX, 0x11112222);
  bus.set_dword(kStack - 4, 0);
  run(2);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), 0x2222FFFFu);
}

TEST_F(Stack, PushImmediates) {
  protected32();
  code({0x6A, 0x80, 0x68, 0x78, 0x56, 0x34, 0x12});  // push -128; push 0x12345678
  run(2);
  EXPECT_EQ(bus.dword(kStack - 4), 0xFFFFFF80u);
  EXPECT_EQ(bus.dword(kStack - 8), 0x12345678u);
}

TEST_F(Stack, PushMemoryUsesEspBeforeDecrement) {
  protected32();
  code({0xFF, 0x74, 0x24, 0x04});  // push dword [esp+4]
  bus.set_dword(kStack + 4, 0xAABBCCDD);
  run(1);
  EXPECT_EQ(bus.dword(kStack - 4), 0xAABBCCDDu);
}

TEST_F(Stack, PopMemoryEspBaseUsesIncrementedEsp) {
  // SDM Vol.2 POP: with ESP as the base, the address is computed after ESP is incremented.
  protected32();
  code({0x8F, 0x44, 0x24, 0x04});  // pop dword [esp+4]
  bus.set_dword(kStack, 0x12345678);
  bus.set_dword(kStack + 4, 0);
  bus.set_dword(kStack + 8, 0);
  run(1);
  EXPECT_EQ(esp(), kStack + 4);
  EXPECT_EQ(bus.dword(kStack + 4), 0u);
  EXPECT_EQ(bus.dword(kStack + 8), 0x12345678u);
}

TEST_F(Stack, PopMemoryFaultRestoresEsp) {
  protected32();
  set_gate(GP, 0x08, 0x3000, 0xE, 0);
  bus.load(0x3000, {0xF4});
  cpu.state().seg[DS].limit = 0x7FFF;
  code({0x8F, 0x05, 0x00, 0x80, 0x00, 0x00});  // pop dword [0x8000]: beyond the DS limit
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_EQ(esp(), kStack - 16);  // error code + EIP + CS + EFLAGS on the unchanged ESP
  EXPECT_EQ(bus.dword(kStack - 12), kCode);
}

TEST_F(Stack, PushSegment32WritesTwoBytes) {
  protected32();
  code({0x06, 0x0F, 0xA8});  // push es; push gs
  bus.set_dword(kStack - 4, 0xAAAAAAAA);
  run(1);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), 0xAAAA0010u);
  run(1);
  EXPECT_EQ(esp(), kStack - 8);
}

TEST_F(Stack, PopSegmentLoadsDescriptor) {
  protected32();
  code({0x0F, 0xA1});  // pop fs
  bus.set_dword(kStack, 0x23);  // ring-3 data: allowed from CPL 0 (DPL >= CPL, RPL)
  run(1);
  EXPECT_EQ(cpu.state().seg[FS].selector, 0x23);
  EXPECT_EQ(cpu.state().seg[FS].dpl(), 3u);
  EXPECT_EQ(esp(), kStack + 4);
}

TEST_F(Stack, PopSsSetsInterruptShadow) {
  protected32();
  code({0x17});  // pop ss
  bus.set_dword(kStack, 0x10);
  run(1);
  EXPECT_EQ(esp(), kStack + 4);
  EXPECT_EQ(cpu.state().shadow_until, cpu.state().instret + 1);
}

TEST_F(Stack, PopSegmentFaultLeavesEsp) {
  protected32();
  set_gate(GP, 0x08, 0x3000, 0xE, 0);
  bus.load(0x3000, {0xF4});
  code({0x1F});                    // pop ds
  bus.set_dword(kStack, 0x78);     // beyond the GDT limit -> #GP(0x78)
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_EQ(bus.dword(kStack - 16), 0x78u);    // error code
  EXPECT_EQ(bus.dword(kStack - 12), kCode);    // EIP
  EXPECT_EQ(esp(), kStack - 16);               // frame pushed on the original ESP
}

TEST_F(Stack, PushaPopa) {
  protected32();
  code({0x60, 0x61});  // pushad; popad
  for (unsigned r = 0; r < 8; ++r)
    if (r != RSP) set(r, 0x1000 * (r + 1));
  run(1);
  EXPECT_EQ(esp(), kStack - 32);
  EXPECT_EQ(bus.dword(kStack - 4), 0x1000u);   // EAX
  EXPECT_EQ(bus.dword(kStack - 20), kStack);   // original ESP
  EXPECT_EQ(bus.dword(kStack - 32), 0x8000u);  // EDI
  // Change the saved ESP slot: POPA must skip it.
  bus.set_dword(kStack - 20, 0xDEAD);
  for (unsigned r = 0; r < 8; ++r)
    if (r != RSP) set(r, 0);
  run(1);
  EXPECT_EQ(esp(), kStack);
  for (unsigned r = 0; r < 8; ++r) {
    if (r != RSP) {
      EXPECT_EQ(reg(r), 0x1000u * (r + 1)) << r;
    }
  }
}

TEST_F(Stack, Pusha16InRealMode) {
  real16();
  code({0x60});  // pusha (16-bit)
  set(RAX, 0xFFFF1111);
  run(1);
  EXPECT_EQ(esp(), kStack - 16);
  EXPECT_EQ(bus.dword(kStack - 4) >> 16, 0x1111u);
}

TEST_F(Stack, PushfClearsVmRf) {
  protected32();
  cpu.set_flags(flag::FIXED1 | flag::RF | flag::CF | flag::DF);
  code({0x9C});
  run(1);
  EXPECT_EQ(bus.dword(kStack - 4), flag::FIXED1 | flag::CF | flag::DF);
}

TEST_F(Stack, PopfCpl0ChangesIfAndIopl) {
  protected32();
  code({0x9D});
  bus.set_dword(kStack, flag::IF | flag::IOPL | flag::CF | flag::RF | flag::VM | flag::VIF | flag::AC);
  run(1);
  EXPECT_EQ(eflags(), flag::FIXED1 | flag::IF | flag::IOPL | flag::CF | flag::AC);
  EXPECT_EQ(esp(), kStack + 4);
}

TEST_F(Stack, PopfCpl3SilentlyKeepsIfAndIopl) {
  // CPL 3 > IOPL 0: IF and IOPL keep their values, no fault; the other flags change.
  ring3();
  cpu.set_flags(flag::FIXED1);  // IF = 0, IOPL = 0
  code({0x9D});
  bus.set_dword(kStack, flag::IF | flag::IOPL | flag::CF | flag::DF);
  run(1);
  EXPECT_EQ(cpu.state().rip, kCode + 1);  // no #GP
  EXPECT_EQ(eflags(), flag::FIXED1 | flag::CF | flag::DF);
  EXPECT_EQ(esp(), kStack + 4);
}

TEST_F(Stack, PopfCpl3CannotClearIf) {
  ring3();
  cpu.set_flags(flag::FIXED1 | flag::IF);
  code({0x9D});
  bus.set_dword(kStack, 0);
  run(1);
  EXPECT_TRUE(flag_set(flag::IF));
}

TEST_F(Stack, PopfCpl3WithIopl3ChangesIfNotIopl) {
  ring3();
  cpu.set_flags(flag::FIXED1 | flag::IOPL);
  code({0x9D});
  bus.set_dword(kStack, flag::IF);  // tries to lower IOPL to 0
  run(1);
  EXPECT_EQ(eflags(), flag::FIXED1 | flag::IF | flag::IOPL);
}

TEST_F(Stack, Popf16OnlyLowHalf) {
  protected32();
  cpu.set_flags(flag::FIXED1 | flag::AC);
  code({0x66, 0x9D});  // popfw
  bus.set_dword(kStack, 0xFFFF0000 | flag::ZF | flag::NT);
  run(1);
  EXPECT_EQ(eflags(), flag::FIXED1 | flag::AC | flag::ZF | flag::NT);
  EXPECT_EQ(esp(), kStack + 2);
}

TEST_F(Stack, PopfRealModeChangesIopl) {
  real16();
  code({0x9D});
  bus.set_dword(kStack, flag::IOPL | flag::IF);
  run(1);
  EXPECT_EQ(eflags(), flag::FIXED1 | flag::IOPL | flag::IF);
}

TEST_F(Stack, EnterLevel0AndLeave) {
  protected32();
  code({0xC8, 0x10, 0x00, 0x00, 0xC9});  // enter 16, 0; leave
  set(RBP, 0xBBBB);
  run(1);
  EXPECT_EQ(bus.dword(kStack - 4), 0xBBBBu);
  EXPECT_EQ(reg(RBP), kStack - 4);
  EXPECT_EQ(esp(), kStack - 4 - 16);
  run(1);
  EXPECT_EQ(reg(RBP), 0xBBBBu);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Stack, EnterNestingLevel3) {
  // SDM Vol.2 ENTER: push EBP; copy level-1 frame pointers from [EBP-4], [EBP-8]; push the
  // new frame pointer; EBP = frame; ESP -= size.
  protected32();
  code({0xC8, 0x08, 0x00, 0x03});  // enter 8, 3
  const uint32_t bp = 0x6800;
  set(RBP, bp);
  bus.set_dword(bp - 4, 0x1111);
  bus.set_dword(bp - 8, 0x2222);
  run(1);
  const uint32_t frame = kStack - 4;
  EXPECT_EQ(bus.dword(kStack - 4), bp);
  EXPECT_EQ(bus.dword(kStack - 8), 0x1111u);
  EXPECT_EQ(bus.dword(kStack - 12), 0x2222u);
  EXPECT_EQ(bus.dword(kStack - 16), frame);
  EXPECT_EQ(reg(RBP), frame);
  EXPECT_EQ(esp(), kStack - 16 - 8);
}

TEST_F(Stack, EnterLevel1PushesFramePointer) {
  protected32();
  code({0xC8, 0x00, 0x00, 0x21});  // enter 0, 33 -> level 33 mod 32 = 1
  set(RBP, 0x6800);
  run(1);
  EXPECT_EQ(bus.dword(kStack - 4), 0x6800u);
  EXPECT_EQ(bus.dword(kStack - 8), kStack - 4);
  EXPECT_EQ(esp(), kStack - 8);
}

TEST_F(Stack, Enter16BitRealMode) {
  real16();
  code({0xC8, 0x04, 0x00, 0x02});  // enter 4, 2 (16-bit operand and stack)
  set(RBP, 0xABCD6800);
  bus.load(0x6800 - 2, {0x34, 0x12});
  run(1);
  EXPECT_EQ(bus.byte(kStack - 2) | (bus.byte(kStack - 1) << 8), 0x6800);
  EXPECT_EQ(bus.byte(kStack - 4) | (bus.byte(kStack - 3) << 8), 0x1234);
  EXPECT_EQ(bus.byte(kStack - 6) | (bus.byte(kStack - 5) << 8), kStack - 2);
  EXPECT_EQ(reg(RBP), 0xABCD0000u | (kStack - 2));
  EXPECT_EQ(esp(), kStack - 6 - 4);
}

TEST_F(Stack, Leave16) {
  real16();
  code({0xC9});
  set(RBP, 0x6000);
  bus.load(0x6000, {0x78, 0x56});
  run(1);
  EXPECT_EQ(reg(RBP), 0x5678u);
  EXPECT_EQ(esp(), 0x6002u);
}

TEST_F(Stack, PushCsAndPopWithA16BitStack) {
  protected32();
  // A 16-bit stack segment (B=0): the pushes and pops move SP only.
  cpu::SegmentCache ss = cpu.state().seg[SS];
  ss.attr &= ~ar::DB;
  ss.limit = 0xFFFF;
  cpu.state().seg[SS] = ss;
  cpu.state().gpr[RSP] = 0x12340100;
  code({0x0E, 0x1F, 0x58});  // push cs; pop ds; pop eax
  bus.set_dword(0x00F8, 0xCAFEF00D);
  run(1);
  EXPECT_EQ(esp(), 0x123400FCu);
  EXPECT_EQ(bus.dword(0xFC) & 0xFFFF, 0x08u);
  cpu.state().gpr[RSP] = 0x123400FC;
  bus.set_dword(0xFC, 0x10);
  run(1);  // pop ds
  EXPECT_EQ(cpu.state().seg[DS].selector, 0x10);
  EXPECT_EQ(esp(), 0x12340100u);
  cpu.state().gpr[RSP] = 0x123400F8;
  run(1);  // pop eax
  EXPECT_EQ(eax(), 0xCAFEF00Du);
  EXPECT_EQ(esp(), 0x123400FCu);
}

}  // namespace
