// Near control transfers, LOOPcc/JCXZ, software interrupts and BOUND (cpu/exec/control.cpp),
// the flag instructions (flags.cpp) and IN/OUT (io.cpp), checked against the instruction
// pages of SDM Vol.2 and the exception classes of SDM Vol.3 6.5 (faults and traps).
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Control : public SysTest {
 protected:
  void put(uint32_t addr, std::initializer_list<uint8_t> bytes) {
    const std::vector<uint8_t> v(bytes);
    cpu.phys_write(addr, v.data(), v.size());
  }
  uint16_t word_at(uint32_t a) { return uint16_t(bus.dword(a)); }
};

// ---------------------------------------------------------------------------------------
// Jcc

TEST_F(Control, JccRel8TakenAndNotTaken) {
  protected32();
  code({0xF9, 0x72, 0x02, 0x90, 0x90, 0x73, 0x7F, 0x90});  // stc; jc +2; ...; jnc +7F
  run(2);
  EXPECT_EQ(st().rip, kCode + 5);
  run(1);
  EXPECT_EQ(st().rip, kCode + 7);  // not taken
}

TEST_F(Control, JccRel32Backward) {
  protected32();
  code({0x0F, 0x85, 0xF0, 0xFF, 0xFF, 0xFF});  // jnz -16 (ZF=0)
  run(1);
  EXPECT_EQ(st().rip, kCode + 6 - 16);
}

TEST_F(Control, JmpRel8WrapsIpIn16BitCode) {
  // SDM Vol.2 Jcc/JMP: with a 16-bit operand size EIP is masked to 16 bits.
  real16();
  cpu.state().rip = 0xFFF0;
  put(0xFFF0, {0x74, 0x10});  // jz +0x10 from IP FFF2 -> 0002
  cpu.set_flags(cpu.flags() | flag::ZF);
  run(1);
  EXPECT_EQ(st().rip, 0x0002u);
}

TEST_F(Control, Jmp16BitOperandIn32BitCodeMasksEip) {
  protected32();
  cpu.state().rip = 0x10000;
  put(0x10000, {0x66, 0xEB, 0x10});  // o16 jmp +0x10: 0x10013 & 0xFFFF
  run(1);
  EXPECT_EQ(st().rip, 0x13u);
}

// ---------------------------------------------------------------------------------------
// JMP / CALL / RET near

TEST_F(Control, CallRel32AndRet) {
  protected32();
  code({0xE8, 0x05, 0x00, 0x00, 0x00, 0x90, 0x90, 0x90, 0x90, 0x90, 0xC3});
  run(1);
  EXPECT_EQ(st().rip, kCode + 10);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), kCode + 5);
  run(1);
  EXPECT_EQ(st().rip, kCode + 5);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Control, RetImm16ReleasesParameters) {
  protected32();
  bus.set_dword(kStack - 12, kCode + 0x40);
  cpu.state().gpr[RSP] = kStack - 12;
  code({0xC2, 0x08, 0x00});  // ret 8
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x40);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Control, Call16BitOperandPushesAWord) {
  protected32();
  code({0x66, 0xE8, 0x10, 0x00});  // o16 call +0x10
  run(1);
  EXPECT_EQ(st().rip, (kCode + 4 + 0x10) & 0xFFFF);
  EXPECT_EQ(esp(), kStack - 2);
  EXPECT_EQ(word_at(kStack - 2), kCode + 4);
  code({0x66, 0xC3});  // o16 ret
  cpu.state().rip = kCode;
  run(1);
  EXPECT_EQ(st().rip, kCode + 4);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Control, NearJumpBeyondCsLimitIsGp) {
  setup_pm();
  cpu.state().seg[CS].limit = 0x1FFF;
  EXPECT_EQ(fault_of({0xE9, 0xFB, 0x1F, 0x00, 0x00}), GP);  // jmp 0x3000
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode);
}

TEST_F(Control, NearCallBeyondCsLimitIsGpWithNothingPushed) {
  setup_pm();
  cpu.state().seg[CS].limit = 0x1FFF;
  EXPECT_EQ(fault_of({0xE8, 0xFB, 0x1F, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode);
  EXPECT_EQ(esp(), kStack - 16);  // only the exception frame
}

TEST_F(Control, NearRetBeyondCsLimitIsGpWithEspUnchanged) {
  setup_pm();
  cpu.state().seg[CS].limit = 0x1FFF;
  bus.set_dword(kStack - 4, 0x5000);
  cpu.state().gpr[RSP] = kStack - 4;
  EXPECT_EQ(fault_of({0xC3}), GP);
  EXPECT_EQ(esp(), kStack - 4 - 16);
  EXPECT_EQ(stack_dword(1), kCode);
}

TEST_F(Control, JmpAndCallThroughRegisterAndMemory) {
  protected32();
  bus.set_dword(kData, kCode + 0x20);
  bus.set_dword(kData + 4, kCode + 0x30);
  set(RAX, kCode + 0x10);
  set(RBX, kCode + 0x18);
  code({0xFF, 0xE0});                                       // jmp eax
  put(kCode + 0x10, {0xFF, 0x25, 0x00, 0x80, 0x00, 0x00});  // jmp [0x8000]
  put(kCode + 0x20, {0xFF, 0xD3});                          // call ebx
  put(kCode + 0x18, {0xFF, 0x15, 0x04, 0x80, 0x00, 0x00});  // call [0x8004]
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x10);
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x20);
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x18);
  EXPECT_EQ(bus.dword(kStack - 4), kCode + 0x22);
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x30);
  EXPECT_EQ(bus.dword(kStack - 8), kCode + 0x1E);
  EXPECT_EQ(esp(), kStack - 8);
}

TEST_F(Control, CallThroughStackTopReadsBeforePushing) {
  protected32();
  bus.set_dword(kStack - 4, kCode + 0x40);
  cpu.state().gpr[RSP] = kStack - 4;
  code({0xFF, 0x14, 0x24});  // call [esp]
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x40);
  EXPECT_EQ(bus.dword(kStack - 8), kCode + 3);
}

TEST_F(Control, Call16BitThroughRegister) {
  protected32();
  set(RAX, 0xFFFF0000 | (kCode + 0x40));
  code({0x66, 0xFF, 0xD0});  // o16 call ax
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x40);
  EXPECT_EQ(esp(), kStack - 2);
  EXPECT_EQ(word_at(kStack - 2), kCode + 3);
}

TEST_F(Control, IndirectCallBeyondCsLimitIsGp) {
  setup_pm();
  cpu.state().seg[CS].limit = 0x1FFF;
  set(RAX, 0x5000);
  EXPECT_EQ(fault_of({0xFF, 0xD0}), GP);
  EXPECT_EQ(esp(), kStack - 16);
  setup_pm();
  cpu.state().seg[CS].limit = 0x1FFF;
  set(RAX, 0x5000);
  EXPECT_EQ(fault_of({0xFF, 0xE0}), GP);  // jmp eax
}

// ---------------------------------------------------------------------------------------
// LOOPcc and JCXZ

TEST_F(Control, LoopUsesEcxWith32BitAddressSize) {
  protected32();
  set(RCX, 2);
  code({0xE2, 0xFE});  // loop $
  run(1);
  EXPECT_EQ(reg(RCX), 1u);
  EXPECT_EQ(st().rip, kCode);
  run(1);
  EXPECT_EQ(reg(RCX), 0u);
  EXPECT_EQ(st().rip, kCode + 2);
  EXPECT_FALSE(flag_set(flag::ZF));  // LOOP changes no flags
}

TEST_F(Control, LoopUsesCxWith16BitAddressSize) {
  protected32();
  set(RCX, 0x10000);
  code({0x67, 0xE2, 0xFD});  // a16 loop $: CX 0 -> FFFF, taken
  run(1);
  EXPECT_EQ(reg(RCX), 0x1FFFFu);
  EXPECT_EQ(st().rip, kCode);
  set(RCX, 0x10001);
  run(1);  // CX 1 -> 0: falls through, the upper half untouched
  EXPECT_EQ(reg(RCX), 0x10000u);
  EXPECT_EQ(st().rip, kCode + 3);
}

TEST_F(Control, LoopeAndLoopneTestZf) {
  protected32();
  set(RCX, 5);
  cpu.set_flags(cpu.flags() | flag::ZF);
  code({0xE1, 0x10, 0xE0, 0x10});  // loope +16; loopne +16
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x12);  // ZF=1, ECX=4: taken
  cpu.state().rip = kCode + 2;
  run(1);
  EXPECT_EQ(st().rip, kCode + 4);  // loopne with ZF=1: not taken
  EXPECT_EQ(reg(RCX), 3u);         // but ECX still counts down
  cpu.set_flags(cpu.flags() & ~flag::ZF);
  cpu.state().rip = kCode;
  run(1);
  EXPECT_EQ(st().rip, kCode + 2);  // loope with ZF=0: not taken
  set(RCX, 1);
  cpu.state().rip = kCode + 2;
  run(1);
  EXPECT_EQ(st().rip, kCode + 4);  // loopne, ZF=0 but ECX reaches 0: not taken
}

TEST_F(Control, LoopTargetBeyondCsLimitFaultsWithEcxUnchanged) {
  // A fault leaves the state as it was before the instruction (SDM Vol.3 6.5: faults are
  // restartable); LOOP's #GP(0) for a target beyond the CS limit must not count ECX down.
  setup_pm();
  cpu.state().seg[CS].limit = 0x1010;
  set(RCX, 5);
  EXPECT_EQ(fault_of({0xE2, 0x7F}), GP);  // target kCode + 0x81 > limit
  EXPECT_EQ(reg(RCX), 5u);
  EXPECT_EQ(stack_dword(1), kCode);
}

TEST_F(Control, JcxzAndJecxzByAddressSize) {
  protected32();
  set(RCX, 0x10000);
  code({0xE3, 0x10, 0x67, 0xE3, 0x10});  // jecxz +16; a16 jcxz +16
  run(1);
  EXPECT_EQ(st().rip, kCode + 2);  // ECX != 0
  run(1);
  EXPECT_EQ(st().rip, kCode + 5 + 0x10);  // CX == 0
  set(RCX, 0);
  cpu.state().rip = kCode;
  run(1);
  EXPECT_EQ(st().rip, kCode + 0x12);
  EXPECT_EQ(reg(RCX), 0u);
}

// ---------------------------------------------------------------------------------------
// INT3, INTO, INT n, INT1

TEST_F(Control, Int3IsATrapSavingTheNextEip) {
  setup_pm();
  EXPECT_EQ(fault_of({0xCC}), BP);
  EXPECT_EQ(stack_dword(0), kCode + 1);  // no error code; EIP after INT3
  EXPECT_EQ(stack_dword(1), 0x08u);
}

TEST_F(Control, IntoTrapsOnlyWithOf) {
  setup_pm();
  code({0xCE, 0xF4});  // into; hlt
  go();
  EXPECT_EQ(vector_taken(), -1);
  EXPECT_EQ(st().rip, kCode + 2);  // OF=0: INTO did nothing, HLT ran
  setup_pm();
  cpu.set_flags(cpu.flags() | flag::OF);
  EXPECT_EQ(fault_of({0xCE, 0xF4}), OF);
  EXPECT_EQ(stack_dword(0), kCode + 1);
}

TEST_F(Control, Int3AtCpl3ThroughDpl0GateIsGp) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xCC}), GP);
  EXPECT_EQ(error_code(), 3u * 8 + 2);  // IDT bit, EXT clear
}

TEST_F(Control, Int1IgnoresGateDpl) {
  // SDM Vol.2 INT n/INTO/INT3/INT1: the gate-DPL check applies to INT n, INT3 and INTO,
  // not to INT1.
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xF1}), DB);
  EXPECT_EQ(stack_dword(0), kCode + 1);  // a trap: the next instruction
  EXPECT_EQ(stack_dword(1), 0x1Bu);
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xCD, 0x01}), GP);  // INT 1 does check it
  EXPECT_EQ(error_code(), 1u * 8 + 2);
}

TEST_F(Control, IntNInRealModeUsesIvt) {
  real16();
  bus.set_dword(0x21 * 4, 0x12340056);  // 1234:0056
  cpu.set_flags(cpu.flags() | flag::IF | flag::CF);
  code({0xCD, 0x21});
  run(1);
  EXPECT_EQ(st().seg[CS].selector, 0x1234);
  EXPECT_EQ(st().seg[CS].base, 0x12340u);
  EXPECT_EQ(st().rip, 0x56u);
  EXPECT_EQ(reg(RSP), kStack - 6);
  EXPECT_EQ(word_at(kStack - 6), kCode + 2);  // IP
  EXPECT_EQ(word_at(kStack - 4), 0u);         // CS
  EXPECT_EQ(word_at(kStack - 2), 0x0203u);    // FLAGS: IF CF and bit 1
  EXPECT_FALSE(flag_set(flag::IF));
  EXPECT_TRUE(flag_set(flag::CF));
}

// ---------------------------------------------------------------------------------------
// BOUND

TEST_F(Control, Bound32SignedRange) {
  setup_pm();
  bus.set_dword(kData, uint32_t(-5));
  bus.set_dword(kData + 4, 5);
  set(RAX, uint32_t(-3));
  code({0x62, 0x05, 0x00, 0x80, 0x00, 0x00, 0xF4});  // bound eax, [0x8000]; hlt
  go();
  EXPECT_EQ(vector_taken(), -1);
  EXPECT_EQ(st().rip, kCode + 7);
  for (uint32_t v : {6u, uint32_t(-6), 0x80000000u}) {
    setup_pm();
    set(RAX, v);
    EXPECT_EQ(fault_of({0x62, 0x05, 0x00, 0x80, 0x00, 0x00}), BR) << v;
    EXPECT_EQ(stack_dword(0), kCode);  // a fault: EIP of BOUND, no error code
  }
}

TEST_F(Control, Bound16UsesWordBounds) {
  setup_pm();
  bus.set_dword(kData, 0x0010FFF0);  // lo = -16, hi = 16
  set(RAX, 0xFFFF0010);              // AX = 16: inside
  code({0x66, 0x62, 0x05, 0x00, 0x80, 0x00, 0x00, 0xF4});
  go();
  EXPECT_EQ(vector_taken(), -1);
  setup_pm();
  set(RAX, 0x00000011);
  EXPECT_EQ(fault_of({0x66, 0x62, 0x05, 0x00, 0x80, 0x00, 0x00}), BR);
  real16();
  bus.set_dword(kData, 0x00200010);  // 16..32
  set(RBX, 0x0F);
  bus.set_dword(BR * 4, 0x00002000);
  code({0x62, 0x1E, 0x00, 0x80});  // bound bx, [0x8000]
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(word_at(reg(RSP) & 0xFFFF), kCode);
}

TEST_F(Control, BoundRegisterOperandIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0x62, 0xC0}), UD);
}

// ---------------------------------------------------------------------------------------
// Flag instructions

TEST_F(Control, CarryAndDirectionFlagInstructions) {
  protected32();
  code({0xF9, 0xF5, 0xF5, 0xF8, 0xFD, 0xFC});  // stc cmc cmc clc std cld
  run(1);
  EXPECT_TRUE(flag_set(flag::CF));
  run(1);
  EXPECT_FALSE(flag_set(flag::CF));
  run(1);
  EXPECT_TRUE(flag_set(flag::CF));
  run(1);
  EXPECT_FALSE(flag_set(flag::CF));
  run(1);
  EXPECT_TRUE(flag_set(flag::DF));
  run(1);
  EXPECT_FALSE(flag_set(flag::DF));
}

TEST_F(Control, CmcAfterLazyArithmetic) {
  protected32();
  set(RAX, 0xFFFFFFFF);
  code({0x83, 0xC0, 0x01, 0xF5});  // add eax, 1 (CF=1, ZF=1); cmc
  run(2);
  EXPECT_FALSE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::ZF));  // the other flags survive
}

TEST_F(Control, LahfAfterAdd) {
  protected32();
  set(RAX, 0x12345678);
  code({0xB0, 0x80, 0x04, 0x80, 0x9F});  // mov al, 0x80; add al, 0x80; lahf
  run(3);
  // SF=0 ZF=1 AF=0 PF=1 CF=1, bit 1 = 1: AH = 0100 0111
  EXPECT_EQ(eax(), 0x12344700u);
}

TEST_F(Control, SahfLoadsFiveFlagsAndKeepsOf) {
  protected32();
  cpu.set_flags(cpu.flags() | flag::OF);
  set(RAX, 0xFF00);
  code({0x9E, 0x9E});
  run(1);
  const uint32_t five = flag::SF | flag::ZF | flag::AF | flag::PF | flag::CF;
  EXPECT_EQ(eflags() & five, five);
  EXPECT_TRUE(flag_set(flag::OF));
  EXPECT_EQ(eflags() & 0x28, 0u);  // bits 3 and 5 stay clear
  set(RAX, 0);
  run(1);
  EXPECT_EQ(eflags() & five, 0u);
  EXPECT_TRUE(flag_set(flag::OF));
}

TEST_F(Control, StiAtCpl3DependsOnIopl) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xFB}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_FALSE(stack_dword(3) & flag::IF);  // the saved EFLAGS: IF still clear
  setup_pm();
  enter_ring3(kCode, kStack3);
  cpu.state().eflags |= 3u << 12;
  code({0xFB});
  run(1);
  EXPECT_TRUE(flag_set(flag::IF));
  EXPECT_EQ(st().rip, kCode + 1);
}

TEST_F(Control, CliStiAtCpl1WithIopl1) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  cpu.set_cpl(1);  // only the CPL matters for the check
  cpu.state().eflags |= (1u << 12) | flag::IF;
  code({0xFA, 0xFB});
  run(1);
  EXPECT_FALSE(flag_set(flag::IF));
  run(1);
  EXPECT_TRUE(flag_set(flag::IF));
}

// ---------------------------------------------------------------------------------------
// IN / OUT

TEST_F(Control, InAllForms) {
  protected32();
  bus.in_value = 0x12345678;
  set(RAX, 0xAAAAAAAA);
  set(RDX, 0xABCD03F8);  // only DX names the port
  code({0xE4, 0x40, 0x66, 0xE5, 0x41, 0xE5, 0x42, 0xEC, 0x66, 0xED, 0xED});
  run(1);
  EXPECT_EQ(eax(), 0xAAAAAA78u);
  run(1);
  EXPECT_EQ(eax(), 0xAAAA5678u);
  run(1);
  EXPECT_EQ(eax(), 0x12345678u);
  set(RAX, 0);
  run(1);
  EXPECT_EQ(eax(), 0x78u);
  run(1);
  EXPECT_EQ(eax(), 0x5678u);
  run(1);
  EXPECT_EQ(eax(), 0x12345678u);
  ASSERT_EQ(bus.ports.size(), 6u);
  const uint16_t ports[6] = {0x40, 0x41, 0x42, 0x3F8, 0x3F8, 0x3F8};
  const unsigned sizes[6] = {1, 2, 4, 1, 2, 4};
  for (unsigned k = 0; k < 6; ++k) {
    EXPECT_EQ(bus.ports[k].port, ports[k]) << k;
    EXPECT_EQ(bus.ports[k].size, sizes[k]) << k;
    EXPECT_FALSE(bus.ports[k].write) << k;
  }
}

TEST_F(Control, OutAllForms) {
  protected32();
  set(RAX, 0x12345678);
  set(RDX, 0xFFFF0080);
  code({0xE6, 0x70, 0x66, 0xE7, 0x71, 0xE7, 0x72, 0xEE, 0x66, 0xEF, 0xEF});
  run(6);
  ASSERT_EQ(bus.ports.size(), 6u);
  const uint16_t ports[6] = {0x70, 0x71, 0x72, 0x80, 0x80, 0x80};
  const unsigned sizes[6] = {1, 2, 4, 1, 2, 4};
  const uint32_t values[6] = {0x78, 0x5678, 0x12345678, 0x78, 0x5678, 0x12345678};
  for (unsigned k = 0; k < 6; ++k) {
    EXPECT_EQ(bus.ports[k].port, ports[k]) << k;
    EXPECT_EQ(bus.ports[k].size, sizes[k]) << k;
    EXPECT_TRUE(bus.ports[k].write) << k;
    EXPECT_EQ(bus.ports[k].value, values[k]) << k;
  }
}

TEST_F(Control, InWithImmediatePortAbove0x7F) {
  protected32();
  bus.in_value = 0x5A;
  code({0xE4, 0xF0});  // the port is the zero-extended immediate, not sign-extended
  run(1);
  ASSERT_EQ(bus.ports.size(), 1u);
  EXPECT_EQ(bus.ports[0].port, 0xF0);
}

TEST_F(Control, Iopl3AtCpl3IgnoresTheBitmap) {
  setup_pm();
  bus.byte(kTss + kIoBitmap + 0x60 / 8) = 0xFF;  // deny 0x60-0x67
  enter_ring3(kCode, kStack3);
  cpu.state().eflags |= 3u << 12;
  code({0xE4, 0x60});
  run(1);
  EXPECT_EQ(st().rip, kCode + 2);
  EXPECT_EQ(bus.ports.size(), 1u);
}

TEST_F(Control, DeniedInLeavesAccumulatorAndTouchesNoPort) {
  setup_pm();
  bus.byte(kTss + kIoBitmap + 0x60 / 8) = 0x01;  // deny 0x60
  enter_ring3(kCode, kStack3);
  set(RAX, 0x11111111);
  bus.ports.clear();
  EXPECT_EQ(fault_of({0xE4, 0x60}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(eax(), 0x11111111u);
  EXPECT_TRUE(bus.ports.empty());
}

TEST_F(Control, DwordIoChecksBitsAcrossABitmapByte) {
  setup_pm();
  bus.byte(kTss + kIoBitmap + 0x80 / 8) = 0x01;  // deny 0x80 only
  enter_ring3(kCode, kStack3);
  set(RDX, 0x7C);
  code({0xED});  // in eax, dx: ports 7C-7F, allowed
  run(1);
  EXPECT_EQ(st().rip, kCode + 1);
  set(RDX, 0x7E);  // ports 7E-81: bit 0x80 is in the next bitmap byte
  cpu.state().rip = kCode;
  EXPECT_EQ(fault_of({0xED}), GP);
}

TEST_F(Control, IoBitmapBeyondTssLimitIsGp) {
  setup_pm();
  // Shrink the TSS so the bitmap byte for port 0x100 lies beyond its limit.
  cpu.state().tr.limit = kIoBitmap + 0x10;
  enter_ring3(kCode, kStack3);
  set(RDX, 0x100);
  EXPECT_EQ(fault_of({0xEC}), GP);
  setup_pm();
  cpu.state().tr.limit = kIoBitmap + 0x10;
  enter_ring3(kCode, kStack3);
  set(RDX, 0x70);  // byte 0x0E and 0x0F of the bitmap: inside the limit
  code({0xEC});
  run(1);
  EXPECT_EQ(st().rip, kCode + 1);
}

// ---------------------------------------------------------------------------------------
// RF in the EFLAGS image of an exception frame (SDM Vol.3 17.3.1.1)

TEST_F(Control, FaultFramePushesRfSet) {
  // "For any fault-class exception except a debug exception generated in response to an
  // instruction breakpoint, the value pushed for RF is 1."
  setup_pm();
  EXPECT_EQ(fault_of({0x8E, 0xC8}), UD);  // mov cs, ax
  EXPECT_TRUE(stack_dword(2) & flag::RF);
  EXPECT_FALSE(flag_set(flag::RF));  // the handler itself runs with RF clear
  setup_pm();
  cpu.state().seg[DS].limit = 0xFFF;
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_TRUE(stack_dword(3) & flag::RF);
}

TEST_F(Control, TrapAndSoftwareInterruptFramesPushRfClear) {
  setup_pm();
  EXPECT_EQ(fault_of({0xCC}), BP);  // a trap
  EXPECT_FALSE(stack_dword(2) & flag::RF);
  setup_pm();
  cpu.set_flags(cpu.flags() | flag::TF);
  EXPECT_EQ(fault_of({0x90}), DB);  // single-step trap
  EXPECT_FALSE(stack_dword(2) & flag::RF);
}

TEST_F(Control, RfLoadedByIretLastsOneInstruction) {
  setup_pm();
  bus.set_dword(kStack - 12, kCode + 1);           // EIP
  bus.set_dword(kStack - 8, 0x08);                 // CS
  bus.set_dword(kStack - 4, flag::FIXED1 | flag::RF);  // EFLAGS with RF
  cpu.state().gpr[RSP] = kStack - 12;
  code({0xCF, 0x90, 0x90});  // iret; nop
  run(1);
  EXPECT_TRUE(flag_set(flag::RF));
  run(1);
  EXPECT_FALSE(flag_set(flag::RF));
}

TEST_F(Control, MovSsDefersTheSingleStepTrapByOneInstruction) {
  // SDM Vol.3 6.8.3: after MOV SS or POP SS the processor inhibits interrupts, debug
  // exceptions and single-step traps until the boundary after the next instruction.
  real16();
  bus.set_dword(DB * 4, 0x00003000);
  set(RAX, 0);
  code({0x8E, 0xD0, 0x90, 0x90});  // mov ss, ax; nop; nop
  cpu.set_flags(cpu.flags() | flag::TF);
  run(1);
  EXPECT_EQ(st().rip, kCode + 2);  // no trap after MOV SS
  run(1);
  EXPECT_EQ(st().rip, 0x3000u);  // the trap comes after the NOP
  EXPECT_EQ(word_at(uint32_t(reg(RSP))), kCode + 3);
}

TEST_F(Control, PopSsDefersTheSingleStepTrapButStiDoesNot) {
  real16();
  bus.set_dword(DB * 4, 0x00003000);
  bus.set_dword(kStack, 0);
  code({0x17, 0x90});  // pop ss; nop
  cpu.set_flags(cpu.flags() | flag::TF);
  run(1);
  EXPECT_EQ(st().rip, kCode + 1);
  real16();
  bus.set_dword(DB * 4, 0x00003000);
  code({0xFB, 0x90});  // sti; nop
  cpu.set_flags(cpu.flags() | flag::TF);
  run(1);
  EXPECT_EQ(st().rip, 0x3000u);  // STI's shadow blocks interrupts, not the #DB trap
}

TEST_F(Control, RepIterationTrapsAndInterruptsPushRfUntilTheLast) {
  // SDM Vol.3 17.3.1.1: an interrupt arriving, or a trap generated, after any iteration of
  // a repeated string instruction but the last pushes RF=1; after the last, EFLAGS.RF.
  setup_pm();
  set(RSI, kData);
  set(RDI, kData + 0x100);
  set(RCX, 2);
  cpu.set_flags(cpu.flags() | flag::TF);
  EXPECT_EQ(fault_of({0xF3, 0xA4}), DB);  // rep movsb: #DB after the first iteration
  EXPECT_EQ(stack_dword(0), kCode);
  EXPECT_TRUE(stack_dword(2) & flag::RF);
  setup_pm();
  set(RSI, kData);
  set(RDI, kData + 0x100);
  set(RCX, 1);
  cpu.set_flags(cpu.flags() | flag::TF);
  EXPECT_EQ(fault_of({0xF3, 0xA4}), DB);  // the last iteration
  EXPECT_EQ(stack_dword(0), kCode + 2);
  EXPECT_FALSE(stack_dword(2) & flag::RF);

  setup_pm();
  set(RDI, kData);
  set(RCX, 1000);  // more than one batch of iterations per step
  cpu.state().eflags |= flag::IF;
  bus.intr_vector = 31;
  code({0xF3, 0xAA, 0x90});  // rep stosb
  run(1);
  cpu.set_intr(true);
  run(0);
  EXPECT_EQ(st().rip, handler(31));
  EXPECT_EQ(stack_dword(0), kCode);
  EXPECT_TRUE(stack_dword(2) & flag::RF);
  setup_pm();
  cpu.state().eflags |= flag::IF;
  code({0x90, 0x90});
  run(1);
  cpu.set_intr(true);
  run(0);
  EXPECT_EQ(st().rip, handler(31));
  EXPECT_FALSE(stack_dword(2) & flag::RF);
}

}  // namespace
