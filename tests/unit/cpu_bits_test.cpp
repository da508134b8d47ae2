// BT/BTS/BTR/BTC (register offsets reaching other operands in memory), BSF/BSR (zero
// source), BSWAP, SETcc and CMOVcc for all 16 conditions, checked against SDM Vol.2.
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

constexpr uint32_t kHandler = 0x3000;

class Bits : public CpuTest {
 protected:
  uint32_t arith() const { return eflags() & flag::ARITH; }
  void preset_flags(uint32_t f) { cpu.set_flags(flag::FIXED1 | f); }
};

TEST_F(Bits, BtRegisterOnlyChangesCf) {
  protected32();
  code({0x0F, 0xA3, 0xD8});  // bt eax, ebx
  set(RAX, 0x00000010);
  set(RBX, 36);  // 36 mod 32 = 4
  preset_flags(flag::ZF | flag::SF | flag::OF);
  run(1);
  EXPECT_EQ(eax(), 0x10u);
  EXPECT_EQ(arith(), flag::CF | flag::ZF | flag::SF | flag::OF);
}

TEST_F(Bits, BtsRegisterOffsetReachesNextDword) {
  protected32();
  code({0x0F, 0xAB, 0x1D, 0x00, 0x80, 0x00, 0x00});  // bts [0x8000], ebx
  set(RBX, 40);  // dword at 0x8004, bit 8
  bus.set_dword(kData, 0);
  bus.set_dword(kData + 4, 0x1);
  run(1);
  EXPECT_EQ(bus.dword(kData), 0u);
  EXPECT_EQ(bus.dword(kData + 4), 0x101u);
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Bits, BtrNegativeOffsetReachesPreviousDword) {
  protected32();
  code({0x0F, 0xB3, 0x1D, 0x00, 0x80, 0x00, 0x00});  // btr [0x8000], ebx
  set(RBX, uint32_t(-1));  // dword at 0x7FFC, bit 31
  bus.set_dword(kData - 4, 0xFFFFFFFF);
  bus.set_dword(kData, 0xFFFFFFFF);
  run(1);
  EXPECT_EQ(bus.dword(kData - 4), 0x7FFFFFFFu);
  EXPECT_EQ(bus.dword(kData), 0xFFFFFFFFu);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Bits, Btc16BitOffsetUsesWordGranularity) {
  protected32();
  code({0x66, 0x0F, 0xBB, 0x1D, 0x00, 0x80, 0x00, 0x00});  // btc word [0x8000], bx
  set(RBX, 0xFFEF);  // -17: word at 0x7FFC (0x8000 - 2*2), bit 15
  bus.set_dword(kData - 4, 0);
  run(1);
  EXPECT_EQ(bus.dword(kData - 4), 0x00008000u);
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Bits, BtMemoryLargePositiveOffset) {
  protected32();
  code({0x0F, 0xA3, 0x1D, 0x00, 0x80, 0x00, 0x00});  // bt [0x8000], ebx
  set(RBX, 0x1000 * 8 + 3);  // byte 0x9000, bit 3
  bus.byte(0x9000) = 0x08;
  run(1);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Bits, BtImmediateIsMaskedToOperandSize) {
  protected32();
  code({0x0F, 0xBA, 0x25, 0x00, 0x80, 0x00, 0x00, 0x21,  // bt dword [0x8000], 33 -> bit 1
        0x66, 0x0F, 0xBA, 0xF8, 0x11});                   // btc ax, 17 -> bit 1
  bus.set_dword(kData, 0x2);
  bus.set_dword(kData + 4, 0);
  set(RAX, 0xFFFF0000);
  run(1);
  EXPECT_TRUE(flag_set(flag::CF));
  run(1);
  EXPECT_EQ(eax(), 0xFFFF0002u);
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Bits, BtsBtrImmediateOnRegister) {
  protected32();
  code({0x0F, 0xBA, 0xE8, 0x1F, 0x0F, 0xBA, 0xF0, 0x1F});  // bts eax, 31; btr eax, 31
  set(RAX, 0);
  run(1);
  EXPECT_EQ(eax(), 0x80000000u);
  EXPECT_FALSE(flag_set(flag::CF));
  run(1);
  EXPECT_EQ(eax(), 0u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Bits, BsfBsrFindBits) {
  protected32();
  code({0x0F, 0xBC, 0xC3, 0x0F, 0xBD, 0xCB});  // bsf eax, ebx; bsr ecx, ebx
  set(RBX, 0x00F00100);
  preset_flags(flag::ZF);
  run(1);
  EXPECT_EQ(eax(), 8u);
  EXPECT_FALSE(flag_set(flag::ZF));
  run(1);
  EXPECT_EQ(reg(RCX), 23u);
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Bits, BsfBsrZeroSourceLeavesDestination) {
  protected32();
  code({0x0F, 0xBC, 0xC3, 0x66, 0x0F, 0xBD, 0xCB});  // bsf eax, ebx; bsr cx, bx
  set(RAX, 0xDEADBEEF);
  set(RCX, 0xCAFEF00D);
  set(RBX, 0);
  run(1);
  EXPECT_EQ(eax(), 0xDEADBEEFu);
  EXPECT_TRUE(flag_set(flag::ZF));
  set(RBX, 0xFFFF0000);  // BX = 0 for the 16-bit form
  preset_flags(0);
  run(1);
  EXPECT_EQ(reg(RCX), 0xCAFEF00Du);
  EXPECT_TRUE(flag_set(flag::ZF));
}

TEST_F(Bits, Bswap) {
  protected32();
  code({0x0F, 0xCB, 0x66, 0x0F, 0xC9});  // bswap ebx; bswap cx (undefined: low half 0)
  set(RBX, 0x11223344);
  set(RCX, 0xAABBCCDD);
  run(2);
  EXPECT_EQ(reg(RBX), 0x44332211u);
  EXPECT_EQ(reg(RCX), 0xAABB0000u);
}

// The 16 conditions, written from SDM Vol.2 Appendix B (Table B-1) independently of the CPU.
bool expected_condition(unsigned cc, uint32_t f) {
  const bool cf = f & flag::CF, zf = f & flag::ZF, sf = f & flag::SF, of = f & flag::OF,
             pf = f & flag::PF;
  bool r = false;
  switch (cc >> 1) {
    case 0: r = of; break;                   // O / NO
    case 1: r = cf; break;                   // B / AE
    case 2: r = zf; break;                   // E / NE
    case 3: r = cf || zf; break;             // BE / A
    case 4: r = sf; break;                   // S / NS
    case 5: r = pf; break;                   // P / NP
    case 6: r = sf != of; break;             // L / GE
    case 7: r = zf || (sf != of); break;     // LE / G
  }
  return (cc & 1) ? !r : r;
}

TEST_F(Bits, SetccAllConditionsAllFlagCombinations) {
  protected32();
  const uint32_t bits[5] = {flag::CF, flag::ZF, flag::SF, flag::OF, flag::PF};
  for (unsigned cc = 0; cc < 16; ++cc) {
    for (unsigned combo = 0; combo < 32; ++combo) {
      uint32_t f = 0;
      for (unsigned k = 0; k < 5; ++k)
        if (combo & (1u << k)) f |= bits[k];
      code({0x0F, uint8_t(0x90 + cc), 0xC0});  // setcc al
      cpu.state().rip = kCode;
      set(RAX, 0x12345677);
      preset_flags(f);
      run(1);
      EXPECT_EQ(eax(), 0x12345600u | (expected_condition(cc, f) ? 1u : 0u))
          << "cc=" << cc << " flags=" << std::hex << f;
      EXPECT_EQ(arith(), f);  // SETcc changes no flag
    }
  }
}

TEST_F(Bits, SetccMemory) {
  protected32();
  code({0x0F, 0x94, 0x05, 0x00, 0x80, 0x00, 0x00});  // sete byte [0x8000]
  bus.set_dword(kData, 0xFFFFFFFF);
  preset_flags(flag::ZF);
  run(1);
  EXPECT_EQ(bus.dword(kData), 0xFFFFFF01u);
}

TEST_F(Bits, CmovccAllConditions) {
  protected32();
  const uint32_t patterns[6] = {0, flag::CF | flag::PF, flag::ZF, flag::SF, flag::OF,
                                flag::SF | flag::OF | flag::ZF};
  for (unsigned cc = 0; cc < 16; ++cc) {
    for (uint32_t f : patterns) {
      code({0x0F, uint8_t(0x40 + cc), 0xC3});  // cmovcc eax, ebx
      cpu.state().rip = kCode;
      set(RAX, 0x11111111);
      set(RBX, 0x22222222);
      preset_flags(f);
      run(1);
      EXPECT_EQ(eax(), expected_condition(cc, f) ? 0x22222222u : 0x11111111u)
          << "cc=" << cc << " flags=" << std::hex << f;
      EXPECT_EQ(arith(), f);
    }
  }
}

TEST_F(Bits, Cmovcc16Bit) {
  protected32();
  code({0x66, 0x0F, 0x44, 0xC3});  // cmove ax, bx
  set(RAX, 0xAAAA1111);
  set(RBX, 0xBBBB2222);
  preset_flags(flag::ZF);
  run(1);
  EXPECT_EQ(eax(), 0xAAAA2222u);
}

TEST_F(Bits, CmovFalseConditionStillReadsSource) {
  protected32();
  set_gate(GP, 0x08, kHandler, 0xE, 0);
  bus.load(kHandler, {0xF4});
  cpu.state().seg[DS].limit = 0x7FFF;
  code({0x0F, 0x40, 0x05, 0x00, 0x80, 0x00, 0x00});  // cmovo eax, [0x8000] (beyond DS limit)
  set(RAX, 0x5555);
  preset_flags(0);  // OF = 0: the condition is false
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);
  EXPECT_EQ(eax(), 0x5555u);
}

}  // namespace
