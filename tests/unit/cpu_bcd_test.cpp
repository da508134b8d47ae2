// DAA, DAS, AAA, AAS, AAM, AAD, SALC: the SDM Vol.2 examples and pseudocode, plus this
// CPU's choices for the undefined flags (see cpu/exec/bcd.cpp).
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

constexpr uint32_t kHandler = 0x3000;

class Bcd : public CpuTest {
 protected:
  uint32_t arith() const { return eflags() & flag::ARITH; }
  void preset_flags(uint32_t f) { cpu.set_flags(flag::FIXED1 | f); }
};

TEST_F(Bcd, DaaSdmExample) {
  // SDM Vol.2 DAA example: ADD AL, BL with 79H + 35H = AEH, then DAA -> 14H, CF=1.
  protected32();
  code({0x00, 0xD8, 0x27});  // add al, bl; daa
  set(RAX, 0x79);
  set(RBX, 0x35);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0xAEu);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x14u);
  EXPECT_EQ(arith(), flag::CF | flag::AF | flag::PF);  // OSZAPC = 0 0 0 1 1 1
}

TEST_F(Bcd, DaaLowDigitOnly) {
  protected32();
  code({0x00, 0xD8, 0x27});  // 0x19 + 0x28 = 0x41 with AF -> 0x47
  set(RAX, 0x19);
  set(RBX, 0x28);
  run(2);
  EXPECT_EQ(eax() & 0xFF, 0x47u);
  EXPECT_EQ(arith(), flag::AF | flag::PF);  // 0x47 = 0100 0111: four bits, PF = 1
}

TEST_F(Bcd, DaaCarryInKeepsHighAdjust) {
  protected32();
  code({0x00, 0xD8, 0x27});  // 0x99 + 0x01 = 0x9A -> DAA -> 0x00, CF = 1
  set(RAX, 0x99);
  set(RBX, 0x01);
  run(2);
  EXPECT_EQ(eax() & 0xFF, 0x00u);
  EXPECT_EQ(arith(), flag::CF | flag::AF | flag::ZF | flag::PF);
}

TEST_F(Bcd, DasSdmExample) {
  // SDM Vol.2 DAS example: SUB AL, BL with 35H - 47H = EEH, then DAS -> 88H, CF=1.
  protected32();
  code({0x28, 0xD8, 0x2F});  // sub al, bl; das
  set(RAX, 0x35);
  set(RBX, 0x47);
  run(2);
  EXPECT_EQ(eax() & 0xFF, 0x88u);
  EXPECT_EQ(arith(), flag::SF | flag::AF | flag::PF | flag::CF);  // OSZAPC = X 1 0 1 1 1
}

TEST_F(Bcd, DasNoAdjust) {
  protected32();
  code({0x2F});  // das with AL = 0x45, AF = CF = 0
  set(RAX, 0x45);
  preset_flags(flag::OF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x45u);
  EXPECT_EQ(arith(), 0u);  // OF cleared (undefined), PF: 0x45 odd
}

TEST_F(Bcd, DasBorrowFromLowStepKeepsCarry) {
  // AL = 0x03, AF = 1, CF = 0: AL - 6 borrows, so CF = 1 and the second step does not
  // clear it (there is no ELSE in the SDM's DAS).
  protected32();
  code({0x2F});
  set(RAX, 0x03);
  preset_flags(flag::AF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0xFDu);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Bcd, AaaAfterAsciiAdd) {
  protected32();
  code({0x00, 0xD8, 0x37});  // add al, bl ('8' + '9'); aaa
  set(RAX, 0x38);
  set(RBX, 0x39);
  run(2);
  EXPECT_EQ(eax() & 0xFFFF, 0x0107u);  // unpacked BCD 17
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Bcd, AaaAdds106ToAx) {
  // Current SDM: AX <- AX + 106H, so a carry out of AL + 6 also reaches AH.
  protected32();
  code({0x37});
  set(RAX, 0x00FF);
  preset_flags(0);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x0205u);
  EXPECT_EQ(arith() & (flag::CF | flag::AF), flag::CF | flag::AF);
}

TEST_F(Bcd, AaaNoAdjustClearsCfAf) {
  protected32();
  code({0x37});
  set(RAX, 0x1234);
  preset_flags(flag::CF);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x1204u);
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::AF));
}

TEST_F(Bcd, AasAfterAsciiSub) {
  protected32();
  code({0x28, 0xD8, 0x3F});  // sub al, bl ('3' - '8'); aas
  set(RAX, 0x33);
  set(RBX, 0x38);
  run(2);
  // 0x33 - 0x38 = 0xFB (AF=1). AAS: AX - 6 = 0x00F5, AH - 1 = 0xFF, AL & 0F = 5.
  EXPECT_EQ(eax() & 0xFFFF, 0xFF05u);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::AF));
}

TEST_F(Bcd, AasWithAfSubtractsFromAx) {
  protected32();
  code({0x3F});
  set(RAX, 0x0200);
  preset_flags(flag::AF);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x000Au);  // 0x0200 - 6 = 0x01FA; AH - 1 -> 0x00FA; AL & 0F
}

TEST_F(Bcd, Aam) {
  protected32();
  code({0xD4, 0x0A, 0xD4, 0x10});  // aam; aam 16
  set(RAX, 0xFF3F);  // AL = 63
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x0603u);
  EXPECT_EQ(arith(), flag::PF);  // AL = 3: two bits
  set(RAX, 0x003F);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x030Fu);
}

TEST_F(Bcd, AamZeroBaseIsDivideError) {
  protected32();
  set_gate(DE, 0x08, kHandler, 0xE, 0);
  bus.load(kHandler, {0xF4});
  code({0xD4, 0x00});  // aam 0
  set(RAX, 0x1234);
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);
  EXPECT_EQ(eax(), 0x1234u);
}

TEST_F(Bcd, Aad) {
  protected32();
  code({0xD5, 0x0A, 0xD5, 0x10});  // aad; aad 16
  set(RAX, 0x0603);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x003Fu);
  set(RAX, 0x0000);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0u);
  EXPECT_EQ(arith(), flag::ZF | flag::PF);
}

TEST_F(Bcd, AadWrapsTo8Bits) {
  protected32();
  code({0xD5, 0x0A});
  set(RAX, 0x1909);  // 25 * 10 + 9 = 259 -> 0x03
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x0003u);
}

TEST_F(Bcd, Salc) {
  protected32();
  code({0xF9, 0xD6, 0xF8, 0xD6});  // stc; salc; clc; salc
  set(RAX, 0x1200);
  run(2);
  EXPECT_EQ(eax(), 0x12FFu);
  EXPECT_TRUE(flag_set(flag::CF));
  run(2);
  EXPECT_EQ(eax(), 0x1200u);
  EXPECT_FALSE(flag_set(flag::CF));
}

}  // namespace
