// ALU instructions: results and every defined flag, checked against SDM Vol.2 (ADD, ADC,
// SUB, SBB, CMP, AND, OR, XOR, TEST, INC, DEC, NEG, NOT).
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Alu : public CpuTest {};

TEST_F(Alu, AddOverflowAndFlags) {
  protected32();
  code({0x01, 0xD8});  // add eax, ebx
  set(RAX, 0x7FFFFFFF);
  set(RBX, 1);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  // 0x7fffffff + 1: OF=1 SF=1 AF=1 (carry out of bit 3) ZF=0 CF=0 PF=1 (low byte 0x00)
  EXPECT_EQ(eflags() & flag::ARITH, flag::OF | flag::SF | flag::AF | flag::PF);
}

TEST_F(Alu, AddCarryAndZero) {
  protected32();
  code({0x00, 0xD8});  // add al, bl
  set(RAX, 0xFF);
  set(RBX, 0x01);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0u);
  EXPECT_EQ(eflags() & flag::ARITH, flag::CF | flag::ZF | flag::AF | flag::PF);
}

TEST_F(Alu, AdcUsesCarry) {
  protected32();
  code({0xF9, 0x11, 0xD8});  // stc; adc eax, ebx
  set(RAX, 0xFFFFFFFF);
  set(RBX, 0);
  run(2);
  EXPECT_EQ(eax(), 0u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_FALSE(flag_set(flag::OF));
}

TEST_F(Alu, SbbWithBorrowEqualOperands) {
  protected32();
  code({0xF9, 0x19, 0xD8});  // stc; sbb eax, ebx  (5 - 5 - 1 = -1, borrow)
  set(RAX, 5);
  set(RBX, 5);
  run(2);
  EXPECT_EQ(eax(), 0xFFFFFFFFu);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Alu, CmpDoesNotStore) {
  protected32();
  code({0x39, 0xD8});  // cmp eax, ebx
  set(RAX, 1);
  set(RBX, 2);
  run(1);
  EXPECT_EQ(eax(), 1u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Alu, SubSignedOverflow) {
  protected32();
  code({0x2D, 0x01, 0x00, 0x00, 0x00});  // sub eax, 1
  set(RAX, 0x80000000);
  run(1);
  EXPECT_EQ(eax(), 0x7FFFFFFFu);
  EXPECT_TRUE(flag_set(flag::OF));
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::SF));
}

TEST_F(Alu, LogicClearsCfOf) {
  protected32();
  code({0xF9, 0x25, 0x00, 0xFF, 0x00, 0x00});  // stc; and eax, 0xff00
  set(RAX, 0x1234);
  run(2);
  EXPECT_EQ(eax(), 0x1200u);
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::OF));
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_TRUE(flag_set(flag::PF));  // low byte 0x00 has even parity
}

TEST_F(Alu, IncPreservesCarry) {
  protected32();
  code({0xF9, 0x40});  // stc; inc eax
  set(RAX, 0x7FFFFFFF);
  run(2);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Alu, DecPreservesCarryFromLazyAdd) {
  protected32();
  code({0x00, 0xD8, 0xFE, 0xC9});  // add al, bl (carry); dec cl
  set(RAX, 0xFF);
  set(RBX, 1);
  set(RCX, 0x80);
  run(2);
  EXPECT_EQ(reg(RCX) & 0xFF, 0x7Fu);
  EXPECT_TRUE(flag_set(flag::CF));  // from the ADD
  EXPECT_TRUE(flag_set(flag::OF));  // 0x80 - 1 overflows
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Alu, NegSetsCarryUnlessZero) {
  protected32();
  code({0xF7, 0xD8, 0xF7, 0xDB});  // neg eax; neg ebx
  set(RAX, 0);
  set(RBX, 0x80000000);
  run(1);
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::ZF));
  run(1);
  EXPECT_EQ(reg(RBX), 0x80000000u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(Alu, NotLeavesFlags) {
  protected32();
  code({0xF9, 0xF7, 0xD0});  // stc; not eax
  set(RAX, 0x0F0F0F0F);
  run(2);
  EXPECT_EQ(eax(), 0xF0F0F0F0u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Alu, Group1SignExtendedImmediateOnMemory) {
  protected32();
  code({0x83, 0x05, 0x00, 0x80, 0x00, 0x00, 0xFF});  // add dword [0x8000], -1
  bus.set_dword(kData, 5);
  run(1);
  EXPECT_EQ(bus.dword(kData), 4u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Alu, SixteenBitRealModeForms) {
  real16();
  code({0x05, 0xFF, 0x7F, 0x66, 0x05, 0x01, 0x00, 0x00, 0x00});  // add ax, 0x7fff; add eax, 1
  set(RAX, 1);
  run(1);
  EXPECT_EQ(eax(), 0x8000u);
  EXPECT_TRUE(flag_set(flag::OF));
  run(1);
  EXPECT_EQ(eax(), 0x8001u);
  EXPECT_FALSE(flag_set(flag::OF));
}

TEST_F(Alu, TestSetsFlagsOnly) {
  protected32();
  code({0xA9, 0x00, 0x00, 0x00, 0x80});  // test eax, 0x80000000
  set(RAX, 0x80000001);
  run(1);
  EXPECT_EQ(eax(), 0x80000001u);
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Alu, LockOnRegisterDestinationIsUd) {
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  bus.load(0x3000, {0xF4});
  code({0xF0, 0x01, 0xD8});  // lock add eax, ebx -> #UD
  set(RAX, 1);
  run(1);
  EXPECT_EQ(eax(), 1u);
  // One step: the faulting instruction and the #UD delivery; the handler has not run.
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_EQ(cpu.state().instret, 0u);
}

// Found by the differential harness (tests/diff): CF kept by DEC was lost by the next
// instruction that sets only some flags. SDM Vol.2 DEC: CF not affected; CMPXCHG8B: ZF
// set or cleared, "The CF, PF, AF, SF, and OF flags are unaffected."
TEST_F(Alu, DecKeepsCarryThroughCmpxchg8b) {
  real16();
  code({0x39, 0xD8,                     // cmp ax, bx: 0 - 1 sets CF
        0x49,                           // dec cx: CF unaffected
        0x0F, 0xC7, 0x0E, 0x00, 0x80}); // cmpxchg8b [0x8000]: not equal, ZF = 0
  set(RAX, 0);
  set(RBX, 1);
  set(RCX, 0);
  set(RDX, 0);
  bus.set_dword(0x8000, 0x12345678);
  bus.set_dword(0x8004, 0x9ABCDEF0);
  run(3);
  EXPECT_EQ(reg(RCX), 0xFFFFu);
  EXPECT_EQ(eax(), 0x12345678u);
  EXPECT_EQ(reg(RDX), 0x9ABCDEF0u);
  EXPECT_EQ(eflags() & (flag::CF | flag::ZF), flag::CF);
}

// Found by the differential harness: XADD with the same register as both operands. SDM
// Vol.2 XADD: TEMP <- SRC + DEST; SRC <- DEST; DEST <- TEMP, so the register ends up
// holding the sum.
TEST_F(Alu, XaddSameRegisterHoldsTheSum) {
  protected32();
  code({0x0F, 0xC0, 0xD2});  // xadd dl, dl
  set(RDX, 0xF3EEF957);
  run(1);
  EXPECT_EQ(reg(RDX), 0xF3EEF9AEu);
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));  // 0x57 + 0x57 = 0xAE: positive + positive = negative
}

TEST_F(Alu, RegisterDestinationFromMemoryAllOperations) {
  // 02/03 + op*8: op r, r/m. CMP (3B) leaves the register.
  struct Case {
    uint8_t opcode;
    uint32_t expect;
  } cases[] = {{0x03, 0x0000F00Fu + 0x00FF00FFu},      {0x0B, 0x00FFF0FFu},
               {0x13, 0x0000F00Fu + 0x00FF00FFu + 1u}, {0x1B, 0x0000F00Fu - 0x00FF00FFu - 1u},
               {0x23, 0x0000000Fu},                    {0x2B, 0x0000F00Fu - 0x00FF00FFu},
               {0x33, 0x00FFF0F0u},                    {0x3B, 0x0000F00Fu}};
  for (const Case& k : cases) {
    protected32();
    bus.set_dword(kData, 0x00FF00FF);
    set(RCX, 0x0000F00F);
    code({0xF9, k.opcode, 0x0D, 0x00, 0x80, 0x00, 0x00});  // stc; op ecx, [0x8000]
    run(2);
    EXPECT_EQ(reg(RCX), k.expect) << std::hex << int(k.opcode);
    EXPECT_EQ(bus.dword(kData), 0x00FF00FFu);
  }
  protected32();
  bus.set_dword(kData, 0x00FF00FF);
  set(RCX, 0x0000F00F);
  code({0x3B, 0x0D, 0x00, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_TRUE(flag_set(flag::CF));  // F00F < FF00FF: borrow
  EXPECT_TRUE(flag_set(flag::SF));
}

TEST_F(Alu, ByteRegisterDestinationFromRegister) {
  protected32();
  set(RAX, 0x1234);
  code({0x2A, 0xE0});  // sub ah, al: 0x12 - 0x34
  run(1);
  EXPECT_EQ(eax(), 0xDE34u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Alu, TestImmediateOnMemoryAndRegister) {
  protected32();
  bus.set_dword(kData, 0x80000000);
  code({0xF7, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,  // test dword [0x8000], 0x80000000
        0xF6, 0xC3, 0x01});                                          // test bl, 1
  run(1);
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_EQ(bus.dword(kData), 0x80000000u);
  set(RBX, 0xFE);
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(reg(RBX), 0xFEu);
  EXPECT_EQ(cpu.state().rip, kCode + 13);
}

TEST_F(Alu, IncDecRegisterForms) {
  protected32();
  set(RSI, 0x7FFFFFFF);
  set(RDI, 0x12340000);
  code({0xF9, 0x46, 0x66, 0x4F, 0x4F});  // stc; inc esi; dec di; dec edi
  run(2);
  EXPECT_EQ(reg(RSI), 0x80000000u);
  EXPECT_TRUE(flag_set(flag::OF));
  EXPECT_TRUE(flag_set(flag::CF));  // kept
  run(1);
  EXPECT_EQ(reg(RDI), 0x1234FFFFu);  // 16-bit: no borrow into the upper half
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_TRUE(flag_set(flag::AF));
  run(1);
  EXPECT_EQ(reg(RDI), 0x1234FFFEu);
}

TEST_F(Alu, IncDecMemoryBytes) {
  protected32();
  bus.set_dword(kData, 0x000080FF);
  code({0xFE, 0x05, 0x00, 0x80, 0x00, 0x00,    // inc byte [0x8000]
        0xFE, 0x0D, 0x01, 0x80, 0x00, 0x00});  // dec byte [0x8001]
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x00008000u);
  EXPECT_TRUE(flag_set(flag::ZF));
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x00007F00u);
  EXPECT_TRUE(flag_set(flag::OF));
}

// The specialised 32-bit forms (cpu/exec/fast.cpp: ADD, SUB and CMP with their own flag
// computation, INC and DEC, the memory read-modify-write path) against the flag
// definitions of SDM Vol.1 3.4.3.1 and Vol.2 ADD/SUB/CMP/INC/DEC, over boundary values.
uint32_t arith_flags(uint64_t wide, uint32_t a, uint32_t b, uint32_t r, bool sub) {
  uint32_t f = 0;
  if (wide >> 32) f |= flag::CF;  // carry (ADD) or borrow (SUB) out of bit 31
  if ((a ^ b ^ r) & 0x10) f |= flag::AF;
  if (r == 0) f |= flag::ZF;
  if (r >> 31) f |= flag::SF;
  if (!(__builtin_popcount(r & 0xFF) & 1)) f |= flag::PF;
  const bool ovf = sub ? (((a ^ b) & (a ^ r)) >> 31) : (((a ^ r) & (b ^ r)) >> 31);
  if (ovf) f |= flag::OF;
  return f;
}

TEST_F(Alu, FastFormsFlagsOverBoundaryValues) {
  const uint32_t values[] = {0, 1, 2, 0xF, 0x10, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000,
                             0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 0x12345678};
  struct Form {
    const char* name;
    std::initializer_list<uint8_t> bytes;
    bool sub, mem, writes;
  };
  const Form forms[] = {
      {"add eax, ebx", {0x01, 0xD8}, false, false, true},
      {"sub eax, ebx", {0x29, 0xD8}, true, false, true},
      {"cmp eax, ebx", {0x39, 0xD8}, true, false, false},
      {"add [0x8000], ebx", {0x01, 0x1D, 0x00, 0x80, 0x00, 0x00}, false, true, true},
      {"sub [0x8000], ebx", {0x29, 0x1D, 0x00, 0x80, 0x00, 0x00}, true, true, true},
      {"cmp [0x8000], ebx", {0x39, 0x1D, 0x00, 0x80, 0x00, 0x00}, true, true, false},
  };
  for (const Form& form : forms) {
    for (uint32_t a : values) {
      for (uint32_t b : values) {
        protected32();
        code(form.bytes);
        if (form.mem) bus.set_dword(kData, a);
        set(RAX, a);
        set(RBX, b);
        run(1);
        const uint32_t r = form.sub ? a - b : a + b;
        const uint64_t wide = form.sub ? uint64_t(a) - b : uint64_t(a) + b;
        const uint32_t got = form.mem ? bus.dword(kData) : eax();
        EXPECT_EQ(got, form.writes ? r : a) << form.name << " a=" << a << " b=" << b;
        EXPECT_EQ(eflags() & flag::ARITH, arith_flags(wide, a, b, r, form.sub))
            << form.name << " a=" << a << " b=" << b;
      }
    }
  }
}

TEST_F(Alu, FastIncDecKeepCarryOverBoundaryValues) {
  const uint32_t values[] = {0, 1, 0xF, 0x10, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x1234567F};
  for (const bool cf : {false, true}) {
    for (const bool inc : {true, false}) {
      for (uint32_t a : values) {
        protected32();
        code({uint8_t(cf ? 0xF9 : 0xF8), uint8_t(inc ? 0x40 : 0x48)});  // stc/clc; inc/dec eax
        set(RAX, a);
        run(2);
        const uint32_t r = inc ? a + 1 : a - 1;
        const uint64_t wide = inc ? uint64_t(a) + 1 : uint64_t(a) - 1;
        // INC/DEC leave CF alone (SDM Vol.2 INC, DEC); the rest as ADD/SUB with 1.
        const uint32_t want = (arith_flags(wide, a, 1, r, !inc) & ~flag::CF) | (cf ? flag::CF : 0);
        EXPECT_EQ(eax(), r);
        EXPECT_EQ(eflags() & flag::ARITH, want)
            << (inc ? "inc" : "dec") << " a=" << a << " cf=" << cf;
      }
    }
  }
}

}  // namespace
