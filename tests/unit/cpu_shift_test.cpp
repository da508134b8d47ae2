// Group 2 shifts and rotates and SHLD/SHRD: results and flags per SDM Vol.2, count masking
// (32 masks to 0: nothing changes), RCL/RCR through 9 and 17 bits, and this CPU's choices
// for undefined flags (AF = 0 after shifts).
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Shift : public CpuTest {
 protected:
  uint32_t arith() const { return eflags() & flag::ARITH; }
  // Puts every arithmetic flag in a known state before the instruction under test.
  void preset_flags(uint32_t f) { cpu.set_flags(flag::FIXED1 | f); }
};

TEST_F(Shift, Shl1SetsAllFlags) {
  protected32();
  code({0xD1, 0xE0});  // shl eax, 1
  set(RAX, 0x80000001);
  preset_flags(flag::AF | flag::ZF);
  run(1);
  EXPECT_EQ(eax(), 2u);
  // CF = old MSB = 1; OF = MSB(result) XOR CF = 1; PF: 0x02 odd -> 0; AF cleared.
  EXPECT_EQ(arith(), flag::CF | flag::OF);
}

TEST_F(Shift, ShlCountZeroChangesNothing) {
  protected32();
  code({0xD3, 0xE0});  // shl eax, cl  (cl = 0)
  set(RAX, 0x80000001);
  set(RCX, 0);
  const uint32_t all = flag::CF | flag::OF | flag::ZF | flag::SF | flag::AF | flag::PF;
  preset_flags(all);
  run(1);
  EXPECT_EQ(eax(), 0x80000001u);
  EXPECT_EQ(arith(), all);
}

TEST_F(Shift, ShlCount32MasksToZero) {
  protected32();
  code({0xC1, 0xE0, 0x20});  // shl eax, 32  ->  count & 0x1F = 0
  set(RAX, 0x12345678);
  preset_flags(flag::CF | flag::SF);
  run(1);
  EXPECT_EQ(eax(), 0x12345678u);
  EXPECT_EQ(arith(), flag::CF | flag::SF);
}

TEST_F(Shift, ShlCount33ActsAsOne) {
  protected32();
  code({0xD3, 0xE0});  // shl eax, cl (cl = 33 -> 1)
  set(RAX, 0x40000000);
  set(RCX, 33);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(arith(), flag::OF | flag::SF | flag::PF);  // CF=0, sign changed
}

TEST_F(Shift, ShlCount31) {
  protected32();
  code({0xC1, 0xE0, 0x1F});  // shl eax, 31
  set(RAX, 3);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_TRUE(flag_set(flag::CF));  // bit 1 of the source was the last out
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_TRUE(flag_set(flag::PF));
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Shift, ShlByteCountBeyondWidth) {
  protected32();
  code({0xC0, 0xE0, 0x08, 0xC0, 0xE3, 0x09});  // shl al, 8; shl bl, 9
  set(RAX, 0x01);
  set(RBX, 0xFF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0u);
  EXPECT_TRUE(flag_set(flag::CF));  // bit 0 was shifted out last
  EXPECT_TRUE(flag_set(flag::ZF));
  run(1);
  EXPECT_EQ(reg(RBX) & 0xFF, 0u);
  EXPECT_FALSE(flag_set(flag::CF));  // only zeros left at the 9th shift
}

TEST_F(Shift, SalIsShl) {
  protected32();
  code({0xD0, 0xF0});  // sal al, 1 (ModRM.reg = 6)
  set(RAX, 0xC0);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x80u);
  EXPECT_EQ(arith(), flag::CF | flag::SF);  // OF = 1 XOR 1 = 0
}

TEST_F(Shift, Shr1OfIsOldMsb) {
  protected32();
  code({0xD1, 0xE8});  // shr eax, 1
  set(RAX, 0x80000001);
  run(1);
  EXPECT_EQ(eax(), 0x40000000u);
  EXPECT_EQ(arith(), flag::CF | flag::OF | flag::PF);
}

TEST_F(Shift, Shr16BitCl) {
  protected32();
  code({0x66, 0xD3, 0xEB});  // shr bx, cl
  set(RBX, 0xAAAA8001);
  set(RCX, 15);
  run(1);
  EXPECT_EQ(reg(RBX), 0xAAAA0001u);
  EXPECT_FALSE(flag_set(flag::CF));  // bit 14 was 0
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Shift, Sar1KeepsSignOfIsZero) {
  protected32();
  code({0xD1, 0xF8});  // sar eax, 1
  set(RAX, 0x80000001);
  preset_flags(flag::OF);
  run(1);
  EXPECT_EQ(eax(), 0xC0000000u);
  EXPECT_EQ(arith(), flag::CF | flag::SF | flag::PF);
}

TEST_F(Shift, SarByte31FillsWithSign) {
  protected32();
  code({0xC0, 0xF8, 0x1F});  // sar al, 31
  set(RAX, 0x80);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0xFFu);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::SF));
}

TEST_F(Shift, RolOnlyTouchesCfOf) {
  protected32();
  code({0xD0, 0xC0});  // rol al, 1
  set(RAX, 0x81);
  preset_flags(flag::ZF | flag::AF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x03u);
  // CF = LSB(result) = 1; OF = MSB(result) XOR CF = 1; ZF and AF untouched.
  EXPECT_EQ(arith(), flag::CF | flag::OF | flag::ZF | flag::AF);
}

TEST_F(Shift, RolByteCount8SetsCfOnly) {
  protected32();
  code({0xC0, 0xC0, 0x08});  // rol al, 8: value unchanged, CF = LSB
  set(RAX, 0x01);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x01u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Shift, Ror1) {
  protected32();
  code({0xD1, 0xC8});  // ror eax, 1
  set(RAX, 1);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(arith() & (flag::CF | flag::OF), flag::CF | flag::OF);  // OF = bit31 ^ bit30
}

TEST_F(Shift, Rcl1ThroughCarry) {
  protected32();
  code({0xD0, 0xD0});  // rcl al, 1
  set(RAX, 0x80);
  preset_flags(0);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x00u);
  EXPECT_EQ(arith(), flag::CF | flag::OF);  // CF = old MSB; OF = MSB(result) XOR CF
}

TEST_F(Shift, RclByteCount9IsIdentity) {
  protected32();
  code({0xC0, 0xD0, 0x09});  // rcl al, 9: a 9-bit rotate by 9
  set(RAX, 0x55);
  preset_flags(flag::CF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x55u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Shift, RclByteCount10ActsAsOne) {
  protected32();
  code({0xD2, 0xD0});  // rcl al, cl (cl = 10 -> 10 mod 9 = 1)
  set(RAX, 0x80);
  set(RCX, 10);
  preset_flags(flag::CF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x01u);  // old CF enters bit 0
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Shift, RclByteCount5) {
  protected32();
  code({0xC0, 0xD0, 0x05});  // rcl al, 5: 9-bit value CF:AL = 1:0b00000011
  set(RAX, 0x03);
  preset_flags(flag::CF);
  run(1);
  // CF:AL = 0x103 as a 9-bit value; (v << 5 | v >> 4) & 0x1FF = 0x070: CF = 0, AL = 0x70.
  EXPECT_EQ(eax() & 0xFF, 0x70u);
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Shift, Rcr1OfFromOldValues) {
  protected32();
  code({0xD0, 0xD8});  // rcr al, 1
  set(RAX, 0x01);
  preset_flags(flag::CF);
  run(1);
  EXPECT_EQ(eax() & 0xFF, 0x80u);
  EXPECT_EQ(arith(), flag::CF | flag::OF);  // OF = old MSB (0) XOR old CF (1)
}

TEST_F(Shift, RcrWordCount17IsIdentity) {
  protected32();
  code({0x66, 0xC1, 0xD8, 0x11});  // rcr ax, 17
  set(RAX, 0x1234);
  preset_flags(0);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x1234u);
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Shift, Rcr32Count31) {
  protected32();
  code({0xC1, 0xD8, 0x1F});  // rcr eax, 31 == rcl eax, 2 on a 33-bit value
  set(RAX, 0xC0000000);
  preset_flags(0);
  run(1);
  // 33-bit CF:EAX = 0_1100...0; rotate left 2 -> CF = 1, EAX = 0x00000001.
  EXPECT_EQ(eax(), 1u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Shift, ShiftMemoryOperand) {
  protected32();
  code({0xD0, 0x25, 0x00, 0x80, 0x00, 0x00});  // shl byte [0x8000], 1
  bus.byte(kData) = 0x81;
  bus.byte(kData + 1) = 0x77;
  run(1);
  EXPECT_EQ(bus.byte(kData), 0x02u);
  EXPECT_EQ(bus.byte(kData + 1), 0x77u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Shift, ShldImm) {
  protected32();
  code({0x0F, 0xA4, 0xD8, 0x04});  // shld eax, ebx, 4
  set(RAX, 0x12345678);
  set(RBX, 0x9ABCDEF0);
  run(1);
  EXPECT_EQ(eax(), 0x23456789u);
  EXPECT_EQ(reg(RBX), 0x9ABCDEF0u);
  EXPECT_TRUE(flag_set(flag::CF));   // bit 28 of EAX
  EXPECT_FALSE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_FALSE(flag_set(flag::PF));  // 0x89: three bits
}

TEST_F(Shift, ShldCount1OverflowOnSignChange) {
  protected32();
  code({0x0F, 0xA5, 0xD8});  // shld eax, ebx, cl
  set(RAX, 0x40000000);
  set(RBX, 0);
  set(RCX, 1);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(arith(), flag::OF | flag::SF | flag::PF);
}

TEST_F(Shift, ShrdCl) {
  protected32();
  code({0x0F, 0xAD, 0xD8});  // shrd eax, ebx, cl
  set(RAX, 0x12345678);
  set(RBX, 0x9ABCDEFF);
  set(RCX, 4);
  run(1);
  EXPECT_EQ(eax(), 0xF1234567u);
  EXPECT_TRUE(flag_set(flag::CF));  // bit 3 of EAX
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::PF));  // 0x67: five bits
}

TEST_F(Shift, ShrdCount1) {
  protected32();
  code({0x0F, 0xAC, 0xD8, 0x01});  // shrd eax, ebx, 1
  set(RAX, 0x00000001);
  set(RBX, 0x00000001);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_EQ(arith(), flag::CF | flag::OF | flag::SF | flag::PF);
}

TEST_F(Shift, ShldCount32ChangesNothing) {
  protected32();
  code({0x0F, 0xA5, 0xD8});  // shld eax, ebx, cl (cl = 32 -> 0)
  set(RAX, 0x12345678);
  set(RBX, 0xFFFFFFFF);
  set(RCX, 32);
  preset_flags(flag::CF | flag::ZF);
  run(1);
  EXPECT_EQ(eax(), 0x12345678u);
  EXPECT_EQ(arith(), flag::CF | flag::ZF);
}

TEST_F(Shift, Shld16Count16TakesSource) {
  protected32();
  code({0x66, 0x0F, 0xA4, 0xD8, 0x10});  // shld ax, bx, 16
  set(RAX, 0x00001234);
  set(RBX, 0x00005678);
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0x5678u);
  EXPECT_FALSE(flag_set(flag::CF));  // bit 0 of AX
}

TEST_F(Shift, Shld16CountAbove16IsDeterministic) {
  // Undefined in the SDM; this CPU shifts DEST:SRC:DEST (see shift.cpp).
  protected32();
  code({0x66, 0x0F, 0xA4, 0xD8, 0x14, 0x66, 0x0F, 0xAC, 0xD9, 0x14});  // shld ax,bx,20; shrd cx,bx,20
  set(RAX, 0x1234);
  set(RBX, 0x5678);
  set(RCX, 0x1234);
  run(2);
  EXPECT_EQ(eax() & 0xFFFF, 0x6781u);  // (0x123456781234 >> 12) & 0xFFFF
  EXPECT_EQ(reg(RCX) & 0xFFFF, 0x4567u);  // (0x123456781234 >> 20) & 0xFFFF
}

TEST_F(Shift, ShrdMemoryDestination) {
  protected32();
  code({0x0F, 0xAC, 0x1D, 0x00, 0x80, 0x00, 0x00, 0x08});  // shrd [0x8000], ebx, 8
  bus.set_dword(kData, 0x11223344);
  set(RBX, 0xAABBCCDD);
  run(1);
  EXPECT_EQ(bus.dword(kData), 0xDD112233u);
  EXPECT_FALSE(flag_set(flag::CF));  // bit 7 of 0x44
}

}  // namespace
