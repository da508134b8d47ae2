// String instructions: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE in 16- and
// 32-bit address sizes, DF = 1, segment overrides, termination conditions, restart after
// a batch, single-step per iteration, and faults mid-REP leaving consistent registers.
#include <cstring>

#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

constexpr uint32_t kSrc = 0x8000, kDst = 0x9000, kHandler = 0x3000;

class String : public CpuTest {
 protected:
  void fill(uint32_t addr, const char* s) { bus.load(addr, s, std::strlen(s)); }
  void handler(uint8_t vector) {
    set_gate(vector, 0x08, kHandler, 0xE, 0);
    bus.load(kHandler, {0xF4});
  }
  // Runs until the instruction at kCode has completed (RIP moved past it) or `max` calls.
  unsigned run_until_past(uint32_t len, unsigned max = 100) {
    unsigned n = 0;
    while (cpu.state().rip == kCode && n < max) {
      run(1);
      ++n;
    }
    EXPECT_EQ(cpu.state().rip, kCode + len);
    return n;
  }
};

TEST_F(String, MovsbSingle) {
  protected32();
  code({0xA4});  // movsb
  bus.byte(kSrc) = 0x5A;
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 7);
  run(1);
  EXPECT_EQ(bus.byte(kDst), 0x5A);
  EXPECT_EQ(reg(RSI), kSrc + 1);
  EXPECT_EQ(reg(RDI), kDst + 1);
  EXPECT_EQ(reg(RCX), 7u);  // no REP: ECX untouched
}

TEST_F(String, RepMovsd32) {
  protected32();
  code({0xF3, 0xA5});  // rep movsd
  for (uint32_t k = 0; k < 4; ++k) bus.set_dword(kSrc + 4 * k, 0x11111111 * (k + 1));
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 3);
  run(1);
  EXPECT_EQ(bus.dword(kDst), 0x11111111u);
  EXPECT_EQ(bus.dword(kDst + 8), 0x33333333u);
  EXPECT_EQ(bus.dword(kDst + 12), 0u);
  EXPECT_EQ(reg(RCX), 0u);
  EXPECT_EQ(reg(RSI), kSrc + 12);
  EXPECT_EQ(reg(RDI), kDst + 12);
  EXPECT_EQ(cpu.state().rip, kCode + 2);
}

TEST_F(String, RepMovsb16BitAddressSize) {
  // 67 prefix in 32-bit code: SI, DI and CX; the upper halves stay as they were.
  protected32();
  code({0x67, 0xF3, 0xA4});  // a16 rep movsb
  fill(kSrc, "abcd");
  set(RSI, 0xAAAA0000 | kSrc);
  set(RDI, 0xBBBB0000 | kDst);
  set(RCX, 0xCCCC0004);
  run(1);
  EXPECT_EQ(std::memcmp(&bus.ram()[kDst], "abcd", 4), 0);
  EXPECT_EQ(reg(RSI), 0xAAAA0000 | (kSrc + 4));
  EXPECT_EQ(reg(RDI), 0xBBBB0000 | (kDst + 4));
  EXPECT_EQ(reg(RCX), 0xCCCC0000u);
}

TEST_F(String, RepStoswRealModeWithEsBase) {
  real16();
  cpu.state().seg[ES].selector = 0x0900;
  cpu.state().seg[ES].base = 0x9000;
  code({0xF3, 0xAB});  // rep stosw
  set(RAX, 0xBEEF);
  set(RDI, 0x0010);
  set(RCX, 3);
  run(1);
  EXPECT_EQ(bus.dword(0x9010), 0xBEEFBEEFu);
  EXPECT_EQ(bus.byte(0x9014) | (bus.byte(0x9015) << 8), 0xBEEF);
  EXPECT_EQ(bus.byte(0x9016), 0);
  EXPECT_EQ(reg(RDI), 0x16u);
  EXPECT_EQ(reg(RCX), 0u);
}

TEST_F(String, SixteenBitIndexWraps) {
  real16();
  code({0xAA});  // stosb at DI = 0xFFFF -> DI wraps to 0
  set(RAX, 0x77);
  set(RDI, 0xFFFF);
  run(1);
  EXPECT_EQ(bus.byte(0xFFFF), 0x77);
  EXPECT_EQ(reg(RDI), 0u);
}

TEST_F(String, DirectionFlagBackwards) {
  protected32();
  code({0xFD, 0xF3, 0xA5});  // std; rep movsd
  bus.set_dword(kSrc, 0xAAAAAAAA);
  bus.set_dword(kSrc + 4, 0xBBBBBBBB);
  set(RSI, kSrc + 4);
  set(RDI, kDst + 4);
  set(RCX, 2);
  run(2);
  EXPECT_EQ(bus.dword(kDst), 0xAAAAAAAAu);
  EXPECT_EQ(bus.dword(kDst + 4), 0xBBBBBBBBu);
  EXPECT_EQ(reg(RSI), kSrc - 4);
  EXPECT_EQ(reg(RDI), kDst - 4);
}

TEST_F(String, OverrideAppliesToSourceOnly) {
  protected32();
  cpu.state().seg[FS].base = 0x100;
  code({0x64, 0xA4, 0x64, 0xAA});  // movsb fs:[esi] -> es:[edi]; fs: stosb (still ES)
  bus.byte(kSrc + 0x100) = 0x42;
  bus.byte(kSrc) = 0x99;
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RAX, 0x55);
  run(1);
  EXPECT_EQ(bus.byte(kDst), 0x42);
  run(1);
  EXPECT_EQ(bus.byte(kDst + 1), 0x55);
  EXPECT_EQ(bus.byte(kDst + 1 + 0x100), 0);
}

TEST_F(String, RepWithZeroCountDoesNothing) {
  protected32();
  code({0xF3, 0xA6});  // repe cmpsb with ECX = 0
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 0);
  cpu.set_flags(flag::FIXED1 | flag::CF | flag::SF);
  run(1);
  EXPECT_EQ(reg(RSI), kSrc);
  EXPECT_EQ(eflags() & flag::ARITH, flag::CF | flag::SF);
  EXPECT_EQ(cpu.state().rip, kCode + 2);
}

TEST_F(String, RepeCmpsbStopsAtFirstDifference) {
  protected32();
  code({0xF3, 0xA6});  // repe cmpsb
  fill(kSrc, "abcXefgh");
  fill(kDst, "abcYefgh");
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 8);
  run(1);
  EXPECT_EQ(reg(RCX), 4u);
  EXPECT_EQ(reg(RSI), kSrc + 4);
  EXPECT_EQ(reg(RDI), kDst + 4);
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_TRUE(flag_set(flag::CF));  // 'X' < 'Y': [ESI] - [EDI] borrows
  EXPECT_TRUE(flag_set(flag::SF));
}

TEST_F(String, RepeCmpsAllEqualRunsOut) {
  protected32();
  code({0xF3, 0xA7});  // repe cmpsd
  fill(kSrc, "12345678");
  fill(kDst, "12345678");
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 2);
  run(1);
  EXPECT_EQ(reg(RCX), 0u);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(cpu.state().rip, kCode + 2);
}

TEST_F(String, RepneCmpswStopsAtFirstEqual) {
  real16();
  code({0xF2, 0xA7});  // repne cmpsw (16-bit addresses and operands)
  fill(kSrc, "aabbccdd");
  fill(kDst, "xxyyccdd");
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 4);
  run(1);
  EXPECT_EQ(reg(RCX), 1u);
  EXPECT_EQ(reg(RSI), kSrc + 6);
  EXPECT_TRUE(flag_set(flag::ZF));
}

TEST_F(String, RepneScasbFindsByte) {
  protected32();
  code({0xF2, 0xAE});  // repne scasb
  fill(kDst, "hello");
  set(RAX, 'l');
  set(RDI, kDst);
  set(RCX, 10);
  run(1);
  EXPECT_EQ(reg(RCX), 7u);
  EXPECT_EQ(reg(RDI), kDst + 3);
  EXPECT_TRUE(flag_set(flag::ZF));
}

TEST_F(String, RepeScaswSkipsMatches16BitAddress) {
  protected32();
  code({0x67, 0x66, 0xF3, 0xAF});  // a16 o16 repe scasw
  bus.load(kDst, {0x20, 0x00, 0x20, 0x00, 0x41, 0x00});
  set(RAX, 0x0020);
  set(RDI, kDst);
  set(RCX, 0x10);
  run(1);
  EXPECT_EQ(reg(RCX), 0x0Du);
  EXPECT_EQ(reg(RDI), kDst + 6);
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_TRUE(flag_set(flag::CF));  // 0x20 - 0x41 borrows
}

TEST_F(String, ScasdFlagsAsCmp) {
  protected32();
  code({0xAF});  // scasd
  bus.set_dword(kDst, 1);
  set(RAX, 0x80000000);
  set(RDI, kDst);
  run(1);
  EXPECT_TRUE(flag_set(flag::OF));  // 0x80000000 - 1 overflows
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_EQ(reg(RDI), kDst + 4);
}

TEST_F(String, Lods) {
  protected32();
  code({0xAC, 0xAD, 0xFD, 0x66, 0xAD});  // lodsb; lodsd; std; lodsw
  bus.load(kSrc, {0x11, 0x22, 0x33, 0x44, 0x55, 0x66});
  set(RAX, 0xFFFFFFFF);
  set(RSI, kSrc);
  run(1);
  EXPECT_EQ(eax(), 0xFFFFFF11u);
  run(1);
  EXPECT_EQ(eax(), 0x55443322u);
  EXPECT_EQ(reg(RSI), kSrc + 5);
  run(2);
  EXPECT_EQ(eax(), 0x55440066u);  // word at kSrc+5: 0x66, 0x00
  EXPECT_EQ(reg(RSI), kSrc + 3);
}

TEST_F(String, LargeCountRestartsInBatches) {
  protected32();
  code({0xF3, 0xAA});  // rep stosb, 1000 bytes
  set(RAX, 0xCC);
  set(RDI, kDst);
  set(RCX, 1000);
  run(1);
  // One call did a bounded batch and left RIP on the instruction with consistent registers.
  EXPECT_EQ(cpu.state().rip, kCode);
  EXPECT_GT(reg(RCX), 0u);
  EXPECT_EQ(reg(RDI), kDst + (1000 - reg(RCX)));
  run_until_past(2);
  EXPECT_EQ(reg(RCX), 0u);
  EXPECT_EQ(reg(RDI), kDst + 1000);
  EXPECT_EQ(bus.byte(kDst + 999), 0xCC);
  EXPECT_EQ(bus.byte(kDst + 1000), 0);
}

TEST_F(String, SegmentLimitFaultMidRepMovs) {
  // DS limit ends at kSrc + 3: the fifth iteration faults with #GP(0). ECX/ESI/EDI show the
  // four completed iterations and EIP points at the REP MOVS.
  protected32();
  handler(GP);
  cpu.state().seg[DS].limit = kSrc + 3;
  code({0xF3, 0xA4});  // rep movsb
  fill(kSrc, "wxyz");
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 10);
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);  // saved EIP (after the error code)
  EXPECT_EQ(bus.dword(kStack - 16), 0u);     // error code
  EXPECT_EQ(reg(RCX), 6u);
  EXPECT_EQ(reg(RSI), kSrc + 4);
  EXPECT_EQ(reg(RDI), kDst + 4);
  EXPECT_EQ(std::memcmp(&bus.ram()[kDst], "wxyz", 4), 0);
  EXPECT_EQ(bus.byte(kDst + 4), 0);
}

TEST_F(String, PageFaultMidRepStos) {
  // Paging on, identity-mapped first 64 KiB except the page at kDst + 0x1000 (not present).
  protected32();
  handler(PF);
  const uint32_t pd = 0x20000, pt = 0x21000;
  bus.set_dword(pd, pt | 3);
  for (uint32_t p = 0; p < 16; ++p) bus.set_dword(pt + p * 4, (p << 12) | 3);
  bus.set_dword(pt + ((kDst + 0x1000) >> 12) * 4, 0);
  cpu.state().cr3 = pd;
  cpu.state().cr0 |= cr0::PG;
  code({0xF3, 0xAB});  // rep stosd, starting 8 bytes before the unmapped page
  set(RAX, 0x12345678);
  set(RDI, kDst + 0x1000 - 8);
  set(RCX, 5);
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_EQ(cpu.state().cr2, kDst + 0x1000);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);
  EXPECT_EQ(reg(RCX), 3u);
  EXPECT_EQ(reg(RDI), kDst + 0x1000);
  EXPECT_EQ(bus.dword(kDst + 0x1000 - 4), 0x12345678u);
}

TEST_F(String, SingleStepTrapsAfterEachIteration) {
  protected32();
  handler(DB);
  code({0xF3, 0xA4});  // rep movsb with TF = 1
  fill(kSrc, "abc");
  set(RSI, kSrc);
  set(RDI, kDst);
  set(RCX, 3);
  cpu.set_flags(flag::FIXED1 | flag::TF);
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);  // resumes at the REP MOVS
  EXPECT_EQ(reg(RCX), 2u);
  EXPECT_EQ(bus.byte(kDst), 'a');
  EXPECT_EQ(bus.byte(kDst + 1), 0);
}

TEST_F(String, RepOutsbAndInsw) {
  protected32();
  code({0xF3, 0x6E, 0xF3, 0x66, 0x6D});  // rep outsb; rep insw
  fill(kSrc, "hi");
  set(RSI, kSrc);
  set(RDX, 0x3F8);
  set(RCX, 2);
  run(1);
  ASSERT_EQ(bus.ports.size(), 2u);
  EXPECT_EQ(bus.ports[0].port, 0x3F8);
  EXPECT_TRUE(bus.ports[0].write);
  EXPECT_EQ(bus.ports[0].value, uint32_t('h'));
  EXPECT_EQ(bus.ports[1].value, uint32_t('i'));
  EXPECT_EQ(reg(RSI), kSrc + 2);
  bus.in_value = 0xABCD;
  set(RDI, kDst);
  set(RCX, 2);
  run(1);
  ASSERT_EQ(bus.ports.size(), 4u);
  EXPECT_FALSE(bus.ports[2].write);
  EXPECT_EQ(bus.ports[2].size, 2u);
  EXPECT_EQ(bus.dword(kDst), 0xABCDABCDu);
  EXPECT_EQ(reg(RDI), kDst + 4);
  EXPECT_EQ(reg(RCX), 0u);
}

TEST_F(String, InsPermissionCheckedBeforeMemory) {
  // CPL 3 > IOPL 0 and the TSS bitmap lies beyond its limit: #GP(0) before any port or
  // memory access.
  protected32();
  handler(GP);
  auto& s = cpu.state();
  s.tr.limit = 0x67;
  bus.set_dword(0x64, 0x00680000);  // I/O map base 0x68: outside the TSS
  const uint32_t dpl3 = 3u << 5;
  s.seg[CS] = SegmentCache{0x1B, 0, 0xFFFFFFFF, ar::P | ar::S | ar::CODE | ar::READABLE | ar::DB | ar::G | dpl3};
  s.seg[SS] = SegmentCache{0x23, 0, 0xFFFFFFFF, ar::P | ar::S | ar::WRITABLE | ar::DB | ar::G | dpl3};
  s.seg[ES] = s.seg[SS];
  cpu.set_cpl(3);
  // The ring-3 -> ring-0 #GP needs a TSS stack: ESP0/SS0 at TSS offsets 4 and 8.
  bus.set_dword(4, kStack);
  bus.set_dword(8, 0x10);
  code({0x6C});  // insb
  set(RDX, 0x60);
  set(RDI, kDst);
  bus.byte(kDst) = 0x11;
  run(1);
  EXPECT_EQ(cpu.state().rip, kHandler);
  EXPECT_TRUE(bus.ports.empty());
  EXPECT_EQ(bus.byte(kDst), 0x11);
  EXPECT_EQ(reg(RDI), kDst);
}

}  // namespace
