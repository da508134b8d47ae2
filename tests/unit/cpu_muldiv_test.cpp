// MUL, IMUL, DIV, IDIV: results, CF/OF per SDM Vol.2, this CPU's choice for the undefined
// flags (SF/ZF/PF from the low half, AF = 0), and #DE on divide errors.
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

constexpr uint32_t kHandler = 0x3000;

class MulDiv : public CpuTest {
 protected:
  // Protected mode with a #DE gate whose handler is a HLT at kHandler.
  void setup() {
    protected32();
    set_gate(DE, 0x08, kHandler, 0xE, 0);
    bus.load(kHandler, {0xF4});
  }
  // After a fault: RIP at the handler, the frame's return EIP at the faulting instruction.
  void expect_fault_at(uint32_t eip) {
    EXPECT_EQ(cpu.state().rip, kHandler);
    EXPECT_EQ(reg(RSP), kStack - 12);
    EXPECT_EQ(bus.dword(kStack - 12), eip);
  }
  uint32_t arith() const { return eflags() & flag::ARITH; }
};

TEST_F(MulDiv, Mul8NoOverflow) {
  setup();
  code({0xF6, 0xE3});  // mul bl
  set(RAX, 0xFFFF0010);
  set(RBX, 0x0F);
  run(1);
  EXPECT_EQ(eax(), 0xFFFF00F0u);  // AX = 0x00F0, upper EAX untouched
  // CF=OF=0; SF from AL=0xF0 -> 1; PF: 0xF0 has 4 bits -> 1.
  EXPECT_EQ(arith(), flag::SF | flag::PF);
}

TEST_F(MulDiv, Mul8Overflow) {
  setup();
  code({0xF6, 0xE3});  // mul bl: 0x80 * 2 = 0x100
  set(RAX, 0x80);
  set(RBX, 2);
  run(1);
  EXPECT_EQ(eax(), 0x100u);
  EXPECT_EQ(arith(), flag::CF | flag::OF | flag::ZF | flag::PF);  // AL = 0
}

TEST_F(MulDiv, Mul16UsesDxAx) {
  setup();
  code({0x66, 0xF7, 0xE3});  // mul bx
  set(RAX, 0x1234FFFF);
  set(RDX, 0xABCD0000);
  set(RBX, 0xFFFF);
  run(1);
  // 0xFFFF * 0xFFFF = 0xFFFE0001
  EXPECT_EQ(eax(), 0x12340001u);
  EXPECT_EQ(reg(RDX), 0xABCDFFFEu);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(MulDiv, Mul32FromMemory) {
  setup();
  code({0xF7, 0x25, 0x00, 0x80, 0x00, 0x00});  // mul dword [0x8000]
  bus.set_dword(kData, 0x10);
  set(RAX, 0x80000001);
  run(1);
  EXPECT_EQ(eax(), 0x00000010u);
  EXPECT_EQ(reg(RDX), 0x8u);
  EXPECT_EQ(arith(), flag::CF | flag::OF);  // AF=0, low 0x10: PF=0 (one bit), SF=0, ZF=0
}

TEST_F(MulDiv, Imul8SignExtensionFits) {
  setup();
  code({0xF6, 0xEB});  // imul bl: -1 * -128 = 128 does not fit in AL
  set(RAX, 0xFF);
  set(RBX, 0x80);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x0080u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(MulDiv, Imul8NegativeFits) {
  setup();
  code({0xF6, 0xEB});  // imul bl: -2 * 64 = -128 fits (AH is the sign extension of AL)
  set(RAX, 0xFE);
  set(RBX, 0x40);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0xFF80u);
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::OF));
  EXPECT_TRUE(flag_set(flag::SF));
}

TEST_F(MulDiv, Imul32OneOperand) {
  setup();
  code({0xF7, 0xEB});  // imul ebx
  set(RAX, 0x80000000);  // INT_MIN * -1 = 2^31 does not fit
  set(RBX, 0xFFFFFFFF);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(reg(RDX), 0u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(MulDiv, ImulTwoOperandTruncates) {
  setup();
  code({0x0F, 0xAF, 0xC3, 0x0F, 0xAF, 0xCB});  // imul eax, ebx; imul ecx, ebx
  set(RAX, 0x10000);
  set(RBX, 0x10000);
  set(RCX, 0xFFFFFFFD);  // -3
  run(1);
  EXPECT_EQ(eax(), 0u);
  EXPECT_EQ(arith(), flag::CF | flag::OF | flag::ZF | flag::PF);
  set(RBX, 5);
  run(1);
  EXPECT_EQ(reg(RCX), uint32_t(-15));
  EXPECT_EQ(arith(), flag::SF);  // low byte 0xF1 has five 1 bits: PF=0
}

TEST_F(MulDiv, ImulThreeOperandImm8AndImm16) {
  setup();
  // imul eax, ebx, -2 (6B); imul cx, dx, 0x8000 (66 69: imm16 is signed: -32768)
  code({0x6B, 0xC3, 0xFE, 0x66, 0x69, 0xCA, 0x00, 0x80});
  set(RBX, 7);
  set(RDX, 0xFFFF);  // -1
  set(RCX, 0xAAAA0000);
  run(1);
  EXPECT_EQ(eax(), uint32_t(-14));
  EXPECT_FALSE(flag_set(flag::CF));
  run(1);
  EXPECT_EQ(reg(RCX), 0xAAAA8000u);  // -1 * -32768 = 32768: truncated to 0x8000, overflow
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(MulDiv, Div8) {
  setup();
  code({0xF6, 0xF3});  // div bl: 0x1234 / 0x56 = 0x36 rem 0x10
  set(RAX, 0x1234);
  set(RBX, 0x56);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x1036u);
}

TEST_F(MulDiv, Div32LeavesFlags) {
  setup();
  code({0xF9, 0xF7, 0xF3});  // stc; div ebx
  set(RDX, 1);
  set(RAX, 0);  // 2^32 / 3
  set(RBX, 3);
  run(2);
  EXPECT_EQ(eax(), 0x55555555u);
  EXPECT_EQ(reg(RDX), 1u);
  EXPECT_TRUE(flag_set(flag::CF));  // unchanged
}

TEST_F(MulDiv, DivByZeroFaultsWithStateUnchanged) {
  setup();
  code({0xF7, 0xF3});  // div ebx
  set(RAX, 0x1234);
  set(RDX, 0);
  set(RBX, 0);
  run(1);
  expect_fault_at(kCode);
  EXPECT_EQ(eax(), 0x1234u);
  EXPECT_EQ(reg(RDX), 0u);
}

TEST_F(MulDiv, DivQuotientOverflowFaults) {
  setup();
  code({0xF6, 0xF3});  // div bl: 0x1000 / 0x10 = 0x100 > 0xFF
  set(RAX, 0x1000);
  set(RBX, 0x10);
  run(1);
  expect_fault_at(kCode);
  EXPECT_EQ(eax(), 0x1000u);
}

TEST_F(MulDiv, IdivRemainderTakesDividendSign) {
  setup();
  code({0xF7, 0xFB});  // idiv ebx: -7 / 2 = -3 rem -1
  set(RAX, uint32_t(-7));
  set(RDX, 0xFFFFFFFF);
  set(RBX, 2);
  run(1);
  EXPECT_EQ(eax(), uint32_t(-3));
  EXPECT_EQ(reg(RDX), uint32_t(-1));
}

TEST_F(MulDiv, Idiv8IntMinByMinusOneFaults) {
  setup();
  code({0xF6, 0xFB});  // idiv bl: AX = -128, BL = -1 -> 128 does not fit in AL
  set(RAX, 0xFF80);
  set(RBX, 0xFF);
  run(1);
  expect_fault_at(kCode);
  EXPECT_EQ(eax(), 0xFF80u);
}

TEST_F(MulDiv, Idiv16IntMinByMinusOneFaults) {
  setup();
  code({0x66, 0xF7, 0xFB});  // idiv bx: DX:AX = -32768
  set(RAX, 0x8000);
  set(RDX, 0xFFFF);
  set(RBX, 0xFFFF);
  run(1);
  expect_fault_at(kCode);
}

TEST_F(MulDiv, Idiv32IntMinByMinusOneFaults) {
  setup();
  code({0xF7, 0xFB});  // idiv ebx: EDX:EAX = -2^31
  set(RAX, 0x80000000);
  set(RDX, 0xFFFFFFFF);
  set(RBX, 0xFFFFFFFF);
  run(1);
  expect_fault_at(kCode);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(reg(RDX), 0xFFFFFFFFu);
}

TEST_F(MulDiv, Idiv32Int64MinByMinusOneFaults) {
  setup();
  code({0xF7, 0xFB});  // idiv ebx: EDX:EAX = INT64_MIN (no host overflow allowed)
  set(RAX, 0);
  set(RDX, 0x80000000);
  set(RBX, 0xFFFFFFFF);
  run(1);
  expect_fault_at(kCode);
}

TEST_F(MulDiv, IdivMostNegativeQuotientFits) {
  setup();
  code({0xF6, 0xFB});  // idiv bl: -256 / 2 = -128 fits
  set(RAX, 0xFF00);
  set(RBX, 2);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x0080u);
  EXPECT_EQ(cpu.state().rip, kCode + 2);
}

}  // namespace
