// Far JMP/CALL/RET, IRET and INT n across privilege levels, checked against the Operation
// sections of SDM Vol.2 (JMP, CALL, RET, IRET, INT n) and SDM Vol.3 5.8 and 6.12.
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Transfer : public SysTest {
 protected:

  // A 32-bit (type 0xC) or 16-bit (type 4) call gate in GDT slot `index`.
  void set_call_gate(unsigned index, uint16_t target, uint32_t offset, unsigned dpl,
                     unsigned params, bool present = true, unsigned type = 0xC) {
    uint64_t d = (offset & 0xFFFF) | (uint64_t(target) << 16);
    d |= uint64_t(params & 0x1F) << 32;
    d |= uint64_t(type | (dpl << 5) | (present ? 0x80 : 0)) << 40;
    d |= uint64_t(offset >> 16) << 48;
    set_gdt(index, d);
  }
};

// ---------------------------------------------------------------------------------------
// Real mode

TEST_F(Transfer, RealFarJmpLoadsCsBase) {
  real16();
  code({0xEA, 0x34, 0x12, 0x00, 0x20});  // jmp 0x2000:0x1234
  run(1);
  EXPECT_EQ(sel(CS), 0x2000);
  EXPECT_EQ(st().seg[CS].base, 0x20000u);
  EXPECT_EQ(st().rip, 0x1234u);
}

TEST_F(Transfer, RealFarCallAndRetf) {
  real16();
  code({0x9A, 0x00, 0x20, 0x00, 0x00});  // call 0x0000:0x2000
  bus.load(0x2000, {0xCB});               // retf
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), 0x00001005u);  // IP 0x1005, CS 0x0000
  run(1);
  EXPECT_EQ(st().rip, 0x1005u);
  EXPECT_EQ(sel(CS), 0);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Transfer, RealFarCall32BitOperandPushesDwords) {
  real16();
  code({0x66, 0x9A, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00});  // o32 call 0x0000:0x00002000
  bus.load(0x2000, {0x66, 0xCA, 0x04, 0x00});               // o32 retf 4
  run(1);
  EXPECT_EQ(esp(), kStack - 8);
  EXPECT_EQ(bus.dword(kStack - 8), 0x1008u);
  EXPECT_EQ(bus.dword(kStack - 4), 0u);
  run(1);
  EXPECT_EQ(st().rip, 0x1008u);
  EXPECT_EQ(esp(), kStack + 4);  // RET imm16 released 4 more bytes
}

TEST_F(Transfer, RealFarJmpBeyondLimitIsGp) {
  real16();
  cpu.state().seg[CS].limit = 0x3FFF;  // an unusual limit left from protected mode
  // #GP handler in the IVT at 0000:3000.
  bus.set_dword(GP * 4, 0x3000);
  bus.load(0x3000, {0xF4});
  code({0xEA, 0x00, 0x50, 0x00, 0x10});  // jmp 0x1000:0x5000
  go();
  EXPECT_EQ(st().rip, 0x3001u);
  EXPECT_EQ(bus.dword(kStack - 6) & 0xFFFF, kCode);  // faulting IP pushed
}

TEST_F(Transfer, RealIntAndIretRestoreFlags) {
  real16();
  bus.set_dword(0x21 * 4, 0x00002000);  // IVT[0x21] = 0000:2000
  bus.load(0x2000, {0xCF});             // iret
  code({0xF9, 0xCD, 0x21});             // stc; int 0x21
  cpu.state().eflags |= flag::IF;
  run(2);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_FALSE(flag_set(flag::IF));
  run(1);
  EXPECT_EQ(st().rip, kCode + 3);
  EXPECT_TRUE(flag_set(flag::IF));
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Transfer, RealIret32KeepsVmAndVipBits) {
  real16();
  // o32 iret with image EIP=0x1234, CS=0x0100, EFLAGS = all ones.
  bus.set_dword(kStack, 0x1234);
  bus.set_dword(kStack + 4, 0x0100);
  bus.set_dword(kStack + 8, 0xFFFFFFFF);
  code({0x66, 0xCF});
  run(1);
  EXPECT_EQ(st().rip, 0x1234u);
  EXPECT_EQ(st().seg[CS].base, 0x1000u);
  // (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H): VM, VIF, VIP are not loaded.
  EXPECT_EQ(eflags(), 0x257FD7u);
}

// ---------------------------------------------------------------------------------------
// Protected mode: direct far JMP/CALL/RET

TEST_F(Transfer, FarJmpSamePrivilege) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00});  // jmp 0x08:0x2000
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_TRUE(bus.byte(kGdt + 8 + 5) & 1);  // accessed bit set in the descriptor
}

TEST_F(Transfer, FarJmpNullSelectorIsGp0) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(Transfer, FarJmpBeyondGdtLimitIsGpSelector) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x83, 0x00});  // selector 0x83: index 16, limit is 15
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x80u);  // RPL bits cleared
}

TEST_F(Transfer, FarJmpToDataSegmentIsGpSelector) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x10, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x10u);
}

TEST_F(Transfer, FarJmpToNotPresentCodeIsNp) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFFFF, 0x1A, 0xC));  // code, DPL 0, P=0
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x38, 0x00});
  go();
  EXPECT_EQ(vector_taken(), NP);
  EXPECT_EQ(error_code(), 0x38u);
}

TEST_F(Transfer, FarJmpToOuterNonConformingCodeIsGp) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x1B, 0x00});  // ring-3 code from ring 0
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x18u);
}

TEST_F(Transfer, FarJmpOffsetBeyondLimitIsGp0) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFF, 0x9A, 0x4));  // 4 KiB ring-0 code
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x38, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(bus.dword(kStack - 8), 0x08u);  // CS unchanged in the exception frame
}

TEST_F(Transfer, FarJmpToConformingCodeKeepsCpl) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFFFF, 0x9E, 0xC));  // conforming code, DPL 0
  bus.load(0x2000, {0x90});
  enter_ring3(kCode, kStack3);
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x38, 0x00});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(sel(CS), 0x3B);  // RPL = CPL = 3
  EXPECT_EQ(st().cpl, 3);
}

TEST_F(Transfer, LldtAndFarJmpThroughLdtSelector) {
  setup_pm();
  constexpr uint32_t kLdt = 0x2800;
  set_gdt(8, descriptor(kLdt, 0x0F, 0x82, 0));  // LDT with two entries, selector 0x40
  bus.set_dword(kLdt + 8, uint32_t(descriptor(0, 0xFFFFF, 0x9A, 0xC)));
  bus.set_dword(kLdt + 12, uint32_t(descriptor(0, 0xFFFFF, 0x9A, 0xC) >> 32));
  set(RAX, 0x40);
  // lldt ax; jmp 0x0C:0x2000 (LDT index 1, RPL 0)
  code({0x0F, 0x00, 0xD0, 0xEA, 0x00, 0x20, 0x00, 0x00, 0x0C, 0x00});
  run(2);
  EXPECT_EQ(st().ldtr.selector, 0x40);
  EXPECT_EQ(st().ldtr.base, kLdt);
  EXPECT_EQ(sel(CS), 0x0C);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_TRUE(bus.byte(kLdt + 8 + 5) & 1);  // accessed bit set in the LDT
}

TEST_F(Transfer, LdtSelectorBeyondLdtLimitIsGp) {
  setup_pm();
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x0C, 0x00});  // no LDT loaded
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x0Cu);  // TI kept, RPL cleared
}

TEST_F(Transfer, FarCallAndRetSamePrivilege) {
  setup_pm();
  code({0x9A, 0x00, 0x20, 0x00, 0x00, 0x08, 0x00});  // call 0x08:0x2000
  bus.load(0x2000, {0xCA, 0x08, 0x00});               // retf 8
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack - 8);
  EXPECT_EQ(bus.dword(kStack - 8), kCode + 7);
  EXPECT_EQ(bus.dword(kStack - 4), 0x08u);
  run(1);
  EXPECT_EQ(st().rip, kCode + 7);
  EXPECT_EQ(esp(), kStack + 8);
}

TEST_F(Transfer, FarRetToMorePrivilegedRplIsGp) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  bus.set_dword(kStack3, 0x2000);
  bus.set_dword(kStack3 + 4, 0x08);  // return to ring 0 from ring 3
  code({0xCB});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x08u);
  EXPECT_EQ(stack_dword(4), kStack3);  // ring-3 ESP in the frame: the RET changed nothing
}

// ---------------------------------------------------------------------------------------
// Call gates

TEST_F(Transfer, CallGateRing3ToRing0CopiesParametersAndRetReturns) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 3, 2);  // gate 0x30 → 0x08:0x2000, 2 dword parameters
  // Ring-0 procedure: mov ax, 0x10; mov ds, ax; retf 8
  bus.load(0x2000, {0x66, 0xB8, 0x10, 0x00, 0x8E, 0xD8, 0xCA, 0x08, 0x00});
  enter_ring3(kCode, kStack3 - 8);
  bus.set_dword(kStack3 - 8, 0x11111111);  // parameter 1 (top of the stack)
  bus.set_dword(kStack3 - 4, 0x22222222);  // parameter 2
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});  // call 0x33:0 (gate, RPL 3)
  run(1);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_EQ(sel(SS), 0x10);
  EXPECT_EQ(st().rip, 0x2000u);
  // New stack from TSS.ESP0: old SS, old ESP, the parameters in order, CS, EIP.
  ASSERT_EQ(esp(), kStack0 - 24);
  EXPECT_EQ(stack_dword(0), kCode + 7);
  EXPECT_EQ(stack_dword(1), 0x1Bu);
  EXPECT_EQ(stack_dword(2), 0x11111111u);
  EXPECT_EQ(stack_dword(3), 0x22222222u);
  EXPECT_EQ(stack_dword(4), kStack3 - 8);
  EXPECT_EQ(stack_dword(5), 0x23u);

  run(3);  // mov ax; mov ds; retf 8
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(sel(CS), 0x1B);
  EXPECT_EQ(sel(SS), 0x23);
  EXPECT_EQ(st().rip, kCode + 7);
  EXPECT_EQ(esp(), kStack3);  // parameters released on the caller's stack too
  // SDM Vol.2 RET: DS held a DPL-0 data segment, invalid at CPL 3: nulled. ES (DPL 3) stays.
  EXPECT_EQ(sel(DS), 0);
  EXPECT_TRUE(st().seg[DS].unusable());
  EXPECT_EQ(sel(ES), 0x23);
}

TEST_F(Transfer, CallGate16BitCopiesWords) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 3, 1, true, 0x4);  // 16-bit gate, 1 word parameter
  bus.load(0x2000, {0xF4});
  enter_ring3(kCode, kStack3 - 2);
  bus.byte(kStack3 - 2) = 0x34;
  bus.byte(kStack3 - 1) = 0x12;
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});
  run(1);
  ASSERT_EQ(esp(), kStack0 - 10);  // SS, SP, 1 parameter, CS, IP: five words
  const uint32_t base = kStack0 - 10;
  auto word = [&](unsigned k) { return bus.dword(base + 2 * k) & 0xFFFF; };
  EXPECT_EQ(word(0), (kCode + 7) & 0xFFFF);
  EXPECT_EQ(word(1), 0x1Bu);
  EXPECT_EQ(word(2), 0x1234u);
  EXPECT_EQ(word(3), (kStack3 - 2) & 0xFFFF);
  EXPECT_EQ(word(4), 0x23u);
}

TEST_F(Transfer, CallGateWithDpl0FromRing3IsGpGate) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 0, 0);
  enter_ring3(kCode, kStack3);
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x30u);
}

TEST_F(Transfer, NotPresentCallGateIsNpGate) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 3, 0, false);
  enter_ring3(kCode, kStack3);
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});
  go();
  EXPECT_EQ(vector_taken(), NP);
  EXPECT_EQ(error_code(), 0x30u);
}

TEST_F(Transfer, CallGateFaultLeavesStateUnchanged) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFF, 0x9A, 0x4));  // ring-0 code, limit 0xFFF
  set_call_gate(6, 0x38, 0x2000, 3, 0);         // offset beyond that limit
  enter_ring3(kCode, kStack3);
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode);   // faulting EIP: the CALL
  EXPECT_EQ(stack_dword(2), 0x1Bu);   // from ring 3
  EXPECT_EQ(stack_dword(4), kStack3); // ring-3 ESP untouched
}

TEST_F(Transfer, JmpThroughCallGateSamePrivilege) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 0, 0);
  code({0xEA, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_EQ(esp(), kStack);
}

TEST_F(Transfer, JmpThroughCallGateToInnerRingIsGpCode) {
  setup_pm();
  set_call_gate(6, 0x08, 0x2000, 3, 0);
  enter_ring3(kCode, kStack3);
  code({0xEA, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x08u);  // JMP never changes privilege
}

TEST_F(Transfer, FarCallToTssIsNotImplemented) {
  setup_pm();
  set_gdt(7, descriptor(0x4800, 0x67, 0x89, 0));  // another available TSS
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00});
  EXPECT_EQ(go(), StopReason::NotImplemented);
  EXPECT_EQ(cpu.stop_detail(), "hardware task switch");
  EXPECT_EQ(st().rip, kCode);
}

// ---------------------------------------------------------------------------------------
// IRET

TEST_F(Transfer, IretFromRing0ToRing3NullsDataSegments) {
  setup_pm();
  bus.load(0x2000, {0x90});
  const uint32_t frame = kStack - 20;
  bus.set_dword(frame, 0x2000);
  bus.set_dword(frame + 4, 0x1B);
  bus.set_dword(frame + 8, flag::IF | flag::FIXED1 | (3u << 12));
  bus.set_dword(frame + 12, kStack3);
  bus.set_dword(frame + 16, 0x23);
  set(RSP, frame);
  code({0xCF});
  run(1);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(sel(CS), 0x1B);
  EXPECT_EQ(sel(SS), 0x23);
  EXPECT_EQ(esp(), kStack3);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_TRUE(flag_set(flag::IF));
  EXPECT_EQ((eflags() >> 12) & 3, 3u);  // IOPL loaded at CPL 0
  for (unsigned sg : {DS, ES, FS, GS}) {  // DPL-0 data segments are invalid at CPL 3
    EXPECT_EQ(sel(sg), 0) << sg;
    EXPECT_TRUE(st().seg[sg].unusable()) << sg;
  }
}

TEST_F(Transfer, IretToOuterLevelWithBadSsIsGpSs) {
  setup_pm();
  const uint32_t frame = kStack - 20;
  bus.set_dword(frame, 0x2000);
  bus.set_dword(frame + 4, 0x1B);
  bus.set_dword(frame + 8, flag::FIXED1);
  bus.set_dword(frame + 12, kStack3);
  bus.set_dword(frame + 16, 0x10);  // RPL 0 and DPL 0 ≠ return CS RPL 3
  set(RSP, frame);
  code({0xCF});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x10u);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(stack_dword(1), kCode);  // the IRET faulted, nothing committed
}

TEST_F(Transfer, Iret16SamePrivilegeKeepsUpperEflags) {
  setup_pm();
  cpu.state().eflags |= flag::AC;
  bus.set_dword(kStack, 0x2000 | (0x08u << 16));  // IP, CS
  bus.set_dword(kStack + 4, flag::FIXED1 | flag::CF);  // FLAGS
  code({0x66, 0xCF});  // o16 iret
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack + 6);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_TRUE(flag_set(flag::AC));  // bits 31:16 untouched by a 16-bit IRET
}

TEST_F(Transfer, IretAtRing3CannotChangeIoplOrIf) {
  setup_pm();
  enter_ring3(kCode, kStack3 - 12);
  bus.set_dword(kStack3 - 12, 0x2000);
  bus.set_dword(kStack3 - 8, 0x1B);
  bus.set_dword(kStack3 - 4, flag::IF | flag::FIXED1 | flag::CF | (3u << 12));
  bus.load(0x2000, {0x90});
  code({0xCF});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack3);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::IF));      // CPL 3 > IOPL 0
  EXPECT_EQ((eflags() >> 12) & 3, 0u);   // IOPL only at CPL 0
}

TEST_F(Transfer, IretWithNtIsTaskReturn) {
  setup_pm();
  cpu.state().eflags |= flag::NT;
  code({0xCF});
  EXPECT_EQ(go(), StopReason::NotImplemented);
  EXPECT_EQ(cpu.stop_detail(), "hardware task switch");
}

TEST_F(Transfer, IretToVm86IsNotImplemented) {
  setup_pm();
  bus.set_dword(kStack, 0x2000);
  bus.set_dword(kStack + 4, 0x1B);
  bus.set_dword(kStack + 8, flag::VM | flag::FIXED1);
  code({0xCF});
  EXPECT_EQ(go(), StopReason::NotImplemented);
  EXPECT_EQ(cpu.stop_detail(), "virtual-8086 mode");
}

TEST_F(Transfer, IretUnblocksNmi) {
  setup_pm();
  cpu.state().nmi_blocked = true;
  bus.set_dword(kStack, 0x2000);
  bus.set_dword(kStack + 4, 0x08);
  bus.set_dword(kStack + 8, flag::FIXED1);
  code({0xCF});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_FALSE(st().nmi_blocked);
}

// ---------------------------------------------------------------------------------------
// INT n across privilege levels (delivery is in interrupts.cpp; the TSS comes from LTR)

TEST_F(Transfer, IntFromRing3ThroughTrapGateSwitchesStackAndIretReturns) {
  setup_pm();
  set_gate(0x40, 0x08, 0x2000, 0xF, 3);  // trap gate, DPL 3
  bus.load(0x2000, {0xCF});              // iret
  enter_ring3(kCode, kStack3);
  cpu.state().eflags |= flag::IF;
  code({0xCD, 0x40});
  run(1);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_EQ(sel(SS), 0x10);
  ASSERT_EQ(esp(), kStack0 - 20);
  EXPECT_EQ(stack_dword(0), kCode + 2);
  EXPECT_EQ(stack_dword(1), 0x1Bu);
  EXPECT_TRUE(stack_dword(2) & flag::IF);
  EXPECT_EQ(stack_dword(3), kStack3);
  EXPECT_EQ(stack_dword(4), 0x23u);
  EXPECT_TRUE(flag_set(flag::IF));  // a trap gate leaves IF alone
  run(1);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(sel(CS), 0x1B);
  EXPECT_EQ(sel(SS), 0x23);
  EXPECT_EQ(esp(), kStack3);
  EXPECT_EQ(st().rip, kCode + 2);
}

TEST_F(Transfer, IntThroughDpl0GateFromRing3IsGp) {
  setup_pm();
  set_gate(0x40, 0x08, 0x2000, 0xE, 0);
  enter_ring3(kCode, kStack3);
  code({0xCD, 0x40});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x40u * 8 + 2);  // IDT bit set, EXT clear
  EXPECT_EQ(st().cpl, 0);
}

TEST_F(Transfer, IntThroughNotPresentGateIsNp) {
  setup_pm();
  set_gate(0x40, 0x08, 0x2000, 0xE, 3);
  bus.byte(kIdt + 0x40 * 8 + 5) &= 0x7F;  // clear P
  enter_ring3(kCode, kStack3);
  code({0xCD, 0x40});
  go();
  EXPECT_EQ(vector_taken(), NP);
  EXPECT_EQ(error_code(), 0x40u * 8 + 2);
}

TEST_F(Transfer, IntThrough16BitInterruptGatePushesWords) {
  setup_pm();
  set_gate(0x40, 0x08, 0x2000, 0x6, 0);  // 16-bit interrupt gate
  cpu.state().eflags |= flag::IF | flag::CF;
  code({0xCD, 0x40});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack - 6);
  EXPECT_EQ(bus.dword(kStack - 6) & 0xFFFF, kCode + 2);  // IP
  EXPECT_EQ(bus.dword(kStack - 4) & 0xFFFF, 0x08u);      // CS
  EXPECT_EQ(bus.dword(kStack - 2) & 0xFFFF, 0x0203u);    // FLAGS (IF CF)
  EXPECT_FALSE(flag_set(flag::IF));
}

TEST_F(Transfer, IntOnA16BitStackUsesSpOnly) {
  setup_pm();
  set_gdt(9, descriptor(0, 0xFFFF, 0x92, 0x0));  // 16-bit ring-0 stack segment (B=0)
  cpu.state().seg[SS] = seg_from_gdt(0x48);
  cpu.state().gpr[RSP] = 0xABCD7000;
  set_gate(0x40, 0x08, 0x2000, 0xE, 0);
  code({0xCD, 0x40});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), 0xABCD6FF4u);  // SDM Vol.3 6.12.1: SP, the upper half untouched
  EXPECT_EQ(bus.dword(0x6FF4), kCode + 2);
}

TEST_F(Transfer, IntFromRing3ToConformingHandlerKeepsCplAndStack) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFFFF, 0x9E, 0xC));  // conforming code, DPL 0
  set_gate(0x40, 0x38, 0x2000, 0xE, 3);
  enter_ring3(kCode, kStack3);
  code({0xCD, 0x40});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(sel(CS), 0x3B);
  EXPECT_EQ(sel(SS), 0x23);
  EXPECT_EQ(esp(), kStack3 - 12);  // EFLAGS, CS, EIP on the ring-3 stack
  EXPECT_EQ(bus.dword(kStack3 - 12), kCode + 2);
  EXPECT_EQ(bus.dword(kStack3 - 8), 0x1Bu);
}

TEST_F(Transfer, IntFromRing3ThroughA16BitTss) {
  setup_pm();
  constexpr uint32_t kTss16 = 0x4800;
  bus.set_dword(kTss16 + 2, 0x6000);  // SP0
  bus.set_dword(kTss16 + 4, 0x10);    // SS0
  set_gdt(10, descriptor(kTss16, 0x2B, 0x83, 0x0));  // busy 16-bit TSS
  cpu.state().tr = Cpu::cache_from_descriptor(0x50, gdt_entry(10));
  set_gate(0x40, 0x08, 0x2000, 0xE, 3);
  enter_ring3(kCode, kStack3);
  code({0xCD, 0x40});
  run(1);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(sel(SS), 0x10);
  EXPECT_EQ(esp(), 0x6000u - 20);
  EXPECT_EQ(stack_dword(0), kCode + 2);
  EXPECT_EQ(stack_dword(3), kStack3);
  EXPECT_EQ(stack_dword(4), 0x23u);
}

TEST_F(Transfer, IntBeyondIdtLimitIsGp) {
  setup_pm();
  cpu.state().idtr.limit = 0x40 * 8 + 6;  // one byte short of gate 0x40
  code({0xCD, 0x40});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x40u * 8 + 2);
}

// ---------------------------------------------------------------------------------------
// Far JMP / CALL through memory (FF /5, FF /3)

TEST_F(Transfer, FarJmpThroughMemory32) {
  setup_pm();
  bus.set_dword(kData, 0x2000);
  bus.set_dword(kData + 4, 0x08);
  code({0xFF, 0x2D, 0x00, 0x80, 0x00, 0x00});  // jmp far [0x8000]
  run(1);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_EQ(st().rip, 0x2000u);
}

TEST_F(Transfer, FarCallThroughMemory16BitOperand) {
  setup_pm();
  bus.set_dword(kData, 0x00082000);  // m16:16: offset 2000, selector 0008
  code({0x66, 0xFF, 0x1D, 0x00, 0x80, 0x00, 0x00});  // o16 call far [0x8000]
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(esp(), kStack - 4);
  EXPECT_EQ(bus.dword(kStack - 4), (0x08u << 16) | (kCode + 7));
}

TEST_F(Transfer, FarJmpThroughMemoryWith16BitAddress) {
  setup_pm();
  bus.set_dword(kData, 0x3000);
  bus.set_dword(kData + 4, 0x08);
  set(RBX, 0x18000);  // a16: [bx] = 0x8000
  code({0x67, 0xFF, 0x2F});
  run(1);
  EXPECT_EQ(st().rip, 0x3000u);
}

TEST_F(Transfer, FarCallThroughMemoryInRealMode) {
  real16();
  bus.set_dword(kData, 0x02000010);  // 0200:0010
  code({0xFF, 0x1E, 0x00, 0x80});    // call far [0x8000]
  run(1);
  EXPECT_EQ(sel(CS), 0x0200);
  EXPECT_EQ(st().seg[CS].base, 0x2000u);
  EXPECT_EQ(st().rip, 0x10u);
  EXPECT_EQ(bus.dword(kStack - 4), kCode + 4);  // IP, then CS above it
}

TEST_F(Transfer, FarJmpOrCallThroughRegisterIsUd) {
  setup_pm();
  code({0xFF, 0xE8});  // jmp far eax
  go();
  EXPECT_EQ(vector_taken(), UD);
  setup_pm();
  code({0xFF, 0xD8});  // call far eax
  go();
  EXPECT_EQ(vector_taken(), UD);
}

TEST_F(Transfer, FarCallThroughMemoryBadSelectorPushesNothing) {
  setup_pm();
  bus.set_dword(kData, 0x2000);
  bus.set_dword(kData + 4, 0x10);  // a data segment
  code({0xFF, 0x1D, 0x00, 0x80, 0x00, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x10u);
  EXPECT_EQ(esp(), kStack - 16);
}

// ---------------------------------------------------------------------------------------
// More far-transfer checks

TEST_F(Transfer, CallGateSamePrivilegePushesOnTheCurrentStack) {
  setup_pm();
  set_call_gate(9, 0x08, 0x2000, 0, 0);
  code({0x9A, 0x00, 0x00, 0x00, 0x00, 0x48, 0x00});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(sel(CS), 0x08);
  EXPECT_EQ(esp(), kStack - 8);
  EXPECT_EQ(bus.dword(kStack - 4), 0x08u);
  EXPECT_EQ(bus.dword(kStack - 8), kCode + 7);
}

TEST_F(Transfer, FarJmpToLdtDescriptorIsGpSelector) {
  setup_pm();
  set_gdt(9, descriptor(0x2800, 0x0F, 0x82, 0));
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x48, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x48u);
}

TEST_F(Transfer, FarCallToNonConformingCodeWithRplAboveCplIsGp) {
  setup_pm();
  code({0x9A, 0x00, 0x20, 0x00, 0x00, 0x0B, 0x00});  // call 0x0B:0x2000 at CPL 0
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x08u);
  EXPECT_EQ(esp(), kStack - 16);
}

}  // namespace
