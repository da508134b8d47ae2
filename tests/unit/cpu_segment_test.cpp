// Segmentation: load-time checks (SDM Vol.2 MOV/POP Sreg, Vol.3 5.5-5.7), use-time limit
// and type checks (Vol.3 5.3, 5.4) with expand-down segments, #SS versus #GP, null
// selectors (Vol.3 3.4.2), conforming code (Vol.3 5.8.1.2) and real-mode addressing
// (Vol.3 20.1.1).
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Seg : public SysTest {
 protected:
  // Loads GDT slot `index` with `d` and ES with its selector (rpl added) at CPL 0.
  void load_es(unsigned index, uint64_t d, unsigned rpl = 0) {
    set_gdt(index, d);
    set(RAX, index * 8 + rpl);
    code({0x8E, 0xC0});  // mov es, ax
    run(1);
    ASSERT_EQ(sel(ES), index * 8 + rpl);
    cpu.state().rip = kCode;
  }
  // mov eax, es:[off]
  int read_es(uint32_t off) {
    cpu.state().rip = kCode;
    return fault_of({0x26, 0xA1, uint8_t(off), uint8_t(off >> 8), uint8_t(off >> 16),
                     uint8_t(off >> 24), 0xF4});
  }
};

// ---------------------------------------------------------------------------------------
// Expand-down data segments

TEST_F(Seg, ExpandDown32BitValidOffsetsAreAboveTheLimit) {
  const uint64_t d = descriptor(0, 0x0FFF, 0x96, 0x4);  // RW expand-down, B=1
  for (uint32_t off : {0x1000u, 0x2000u, 0x00FFFFF0u}) {
    setup_pm();
    load_es(6, d);
    EXPECT_EQ(read_es(off), -1) << std::hex << off;
    EXPECT_EQ(st().rip, kCode + 7);
  }
  for (uint32_t off : {0x0u, 0x0FFFu, 0x0FFEu}) {  // 0xFFE: a dword straddling the limit
    setup_pm();
    load_es(6, d);
    EXPECT_EQ(read_es(off), GP) << std::hex << off;
    EXPECT_EQ(error_code(), 0u);
  }
}

TEST_F(Seg, ExpandDown16BitUpperBoundIs64K) {
  const uint64_t d = descriptor(0, 0x0FFF, 0x96, 0x0);  // RW expand-down, B=0
  for (uint32_t off : {0x1000u, 0xFFFCu}) {
    setup_pm();
    load_es(6, d);
    EXPECT_EQ(read_es(off), -1) << std::hex << off;
  }
  for (uint32_t off : {0x0FFFu, 0xFFFEu, 0x10000u}) {
    setup_pm();
    load_es(6, d);
    EXPECT_EQ(read_es(off), GP) << std::hex << off;
  }
}

TEST_F(Seg, ExpandDownStackPushBelowLimitIsSs) {
  setup_pm();
  set_gdt(7, descriptor(0, 0x0FFF, 0xF6, 0x4));  // ring-3 RW expand-down stack, B=1
  enter_ring3(kCode, 0x1002);
  cpu.state().seg[SS] = seg_from_gdt(0x3B);
  EXPECT_EQ(fault_of({0x50}), SS_);  // push eax: 0xFFE..0x1001 reaches below the limit
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode);
  EXPECT_EQ(stack_dword(4), 0x1002u);  // the ring-3 ESP in the frame: unchanged
}

// ---------------------------------------------------------------------------------------
// #SS for the stack segment, #GP for the others

TEST_F(Seg, StackLimitViolationIsSsDataLimitViolationIsGp) {
  const uint64_t small3 = descriptor(0, 0x7FFF, 0xF2, 0x4);  // ring-3 data, 32 KiB
  // push 0 writes 0x7FFE..0x8001: beyond the SS limit
  setup_pm();
  set_gdt(7, small3);
  enter_ring3(kCode, 0x8002);
  cpu.state().seg[SS] = seg_from_gdt(0x3B);
  EXPECT_EQ(fault_of({0x6A, 0x00}), SS_);
  EXPECT_EQ(error_code(), 0u);
  // [ebp] defaults to SS
  setup_pm();
  set_gdt(7, small3);
  enter_ring3(kCode, 0x7000);
  cpu.state().seg[SS] = seg_from_gdt(0x3B);
  set(RBP, 0x9000);
  EXPECT_EQ(fault_of({0x8B, 0x45, 0x00}), SS_);  // mov eax, [ebp]
  // ... unless overridden to DS (flat)
  setup_pm();
  set_gdt(7, small3);
  enter_ring3(kCode, 0x7000);
  cpu.state().seg[SS] = seg_from_gdt(0x3B);
  set(RBP, 0x9000);
  code({0x3E, 0x8B, 0x45, 0x00});
  run(1);
  EXPECT_EQ(st().rip, kCode + 4);
  // The same limit on DS: #GP
  setup_pm();
  set_gdt(7, small3);
  enter_ring3(kCode, kStack3);
  cpu.state().seg[DS] = seg_from_gdt(0x3B);
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x90, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(Seg, WriteToReadOnlyDataOrCodeIsGp) {
  setup_pm();
  load_es(6, descriptor(0, 0xFFFFF, 0x90, 0xC));  // read-only data
  EXPECT_EQ(fault_of({0x26, 0xA3, 0x00, 0x80, 0x00, 0x00}), GP);  // mov es:[0x8000], eax
  EXPECT_EQ(error_code(), 0u);
  setup_pm();
  EXPECT_EQ(fault_of({0x2E, 0xA3, 0x00, 0x80, 0x00, 0x00}), GP);  // mov cs:[0x8000], eax
  setup_pm();
  load_es(6, descriptor(0, 0xFFFFF, 0x9A, 0xC));  // readable code in ES: reads only
  EXPECT_EQ(read_es(0x8000), -1);
  setup_pm();
  load_es(6, descriptor(0, 0xFFFFF, 0x9A, 0xC));
  EXPECT_EQ(fault_of({0x26, 0xA3, 0x00, 0x80, 0x00, 0x00}), GP);
}

TEST_F(Seg, ReadFromExecuteOnlyCodeIsGp) {
  setup_pm();
  set_gdt(9, descriptor(0, 0xFFFFF, 0x98, 0xC));  // execute-only code, DPL 0
  // jmp 0x48:kCode+7; mov eax, cs:[0x8000]
  code({0xEA, 0x07, 0x10, 0x00, 0x00, 0x48, 0x00, 0x2E, 0xA1, 0x00, 0x80, 0x00, 0x00});
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode + 7);
  EXPECT_EQ(stack_dword(2), 0x48u);
}

// ---------------------------------------------------------------------------------------
// Null selectors

TEST_F(Seg, NullSelectorLoadsButUseIsGp0) {
  setup_pm();
  set(RAX, 0);
  code({0x8E, 0xD8, 0xA1, 0x00, 0x80, 0x00, 0x00});  // mov ds, ax; mov eax, [0x8000]
  run(1);
  EXPECT_EQ(sel(DS), 0);
  EXPECT_EQ(st().rip, kCode + 2);  // loading null is allowed
  go();
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode + 2);
}

TEST_F(Seg, NullSelectorWithRplAndStringDestination) {
  setup_pm();
  set(RAX, 3);  // null with RPL 3
  set(RDI, kData);
  code({0x8E, 0xC0, 0xAA});  // mov es, ax; stosb
  go();
  EXPECT_EQ(sel(ES), 3);
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(reg(RDI), kData);
}

TEST_F(Seg, NullSelectorIntoSsIsGp0) {
  setup_pm();
  set(RAX, 0);
  EXPECT_EQ(fault_of({0x8E, 0xD0}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(sel(SS), 0x10);
}

// ---------------------------------------------------------------------------------------
// Load-time checks

TEST_F(Seg, SsLoadChecks) {
  struct Case {
    uint64_t desc;
    unsigned rpl;
    int vector;
  } cases[] = {
      {descriptor(0, 0xFFFFF, 0x92, 0xC), 3, GP},  // RPL 3 != CPL 0
      {descriptor(0, 0xFFFFF, 0xF2, 0xC), 0, GP},  // DPL 3 != CPL 0
      {descriptor(0, 0xFFFFF, 0x90, 0xC), 0, GP},  // read-only data
      {descriptor(0, 0xFFFFF, 0x9A, 0xC), 0, GP},  // code
      {descriptor(0, 0xFFFFF, 0x12, 0xC), 0, SS_}, // not present
  };
  for (const Case& k : cases) {
    setup_pm();
    set_gdt(6, k.desc);
    set(RAX, 0x30 + k.rpl);
    EXPECT_EQ(fault_of({0x8E, 0xD0}), k.vector) << std::hex << k.desc;
    EXPECT_EQ(error_code(), 0x30u);
    EXPECT_EQ(sel(SS), 0x10);
  }
}

TEST_F(Seg, SsLoadAtRing3NeedsRpl3) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  set(RAX, 0x20);  // ring-3 data, RPL 0
  EXPECT_EQ(fault_of({0x8E, 0xD0}), GP);
  EXPECT_EQ(error_code(), 0x20u);
  setup_pm();
  enter_ring3(kCode, kStack3);
  set(RAX, 0x23);
  code({0x8E, 0xD0});
  run(1);
  EXPECT_EQ(sel(SS), 0x23);
}

TEST_F(Seg, DataSegmentLoadChecks) {
  struct Case {
    uint64_t desc;
    unsigned rpl;
    bool ring3;
    int vector;  // -1: loads
  } cases[] = {
      {descriptor(0, 0xFFFFF, 0x12, 0xC), 0, false, NP},   // not present
      {descriptor(0, 0xFFFFF, 0x98, 0xC), 0, false, GP},   // execute-only code
      {descriptor(0, 0xFFFFF, 0x9A, 0xC), 0, false, -1},   // readable code
      {descriptor(0, 0xFFFFF, 0x92, 0xC), 3, false, GP},   // RPL 3 > DPL 0
      {descriptor(0, 0xFFFFF, 0x92, 0xC), 3, true, GP},    // CPL 3 > DPL 0
      {descriptor(0, 0xFFFFF, 0x9E, 0xC), 3, true, -1},    // conforming readable code
      {descriptor(0, 0xFFFFF, 0x9A, 0xC), 3, true, GP},    // non-conforming code, DPL 0
      {descriptor(kTss, 0x67, 0x89, 0x0), 0, false, GP},   // a TSS (system descriptor)
  };
  for (const Case& k : cases) {
    setup_pm();
    set_gdt(6, k.desc);
    if (k.ring3) enter_ring3(kCode, kStack3);
    set(RAX, 0x30 + k.rpl);
    code({0x8E, 0xD8, 0xF4});  // mov ds, ax; hlt (GP at CPL 3, but after the load)
    go();
    if (k.vector < 0) {
      EXPECT_EQ(sel(DS), 0x30 + k.rpl) << std::hex << k.desc;
      EXPECT_TRUE(bus.byte(kGdt + 6 * 8 + 5) & 1);  // accessed
      continue;
    }
    EXPECT_EQ(vector_taken(), k.vector) << std::hex << k.desc;
    EXPECT_EQ(error_code(), 0x30u);
    if ((k.desc >> 44) & 1) {  // code/data: no accessed bit on a failed load
      EXPECT_FALSE(bus.byte(kGdt + 6 * 8 + 5) & 1);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Conforming code

TEST_F(Seg, FarCallToConformingCodeKeepsCplAndStack) {
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFFFF, 0x9E, 0xC));  // conforming, DPL 0
  bus.load(0x2000, {0x90});
  enter_ring3(kCode, kStack3);
  code({0x9A, 0x00, 0x20, 0x00, 0x00, 0x38, 0x00});  // call 0x38:0x2000
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(sel(CS), 0x3B);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(sel(SS), 0x23);  // no stack switch
  EXPECT_EQ(esp(), kStack3 - 8);
  EXPECT_EQ(bus.dword(kStack3 - 4), 0x1Bu);
  EXPECT_EQ(bus.dword(kStack3 - 8), kCode + 7);
}

TEST_F(Seg, FarJmpToMorePrivilegedConformingCodeWithHighRpl) {
  // RPL is not checked for a conforming target (SDM Vol.3 5.8.1.2).
  setup_pm();
  set_gdt(7, descriptor(0, 0xFFFFF, 0x9E, 0xC));
  enter_ring3(kCode, kStack3);
  code({0xEA, 0x00, 0x20, 0x00, 0x00, 0x3B, 0x00});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(st().cpl, 3);
}

// ---------------------------------------------------------------------------------------
// Real mode

TEST_F(Seg, RealModeSegmentArithmetic) {
  real16();
  bus.set_dword(0x12350, 0xBEEF);
  bus.set_dword(0x23460, 0xCAFE);
  // mov ax, 0x1234; mov ds, ax; mov bx, [0x0010]; mov ax, 0x2345; mov es, ax; mov cx, es:[0x0010]
  code({0xB8, 0x34, 0x12, 0x8E, 0xD8, 0x8B, 0x1E, 0x10, 0x00, 0xB8, 0x45, 0x23, 0x8E, 0xC0,
        0x26, 0x8B, 0x0E, 0x10, 0x00});
  run(6);
  EXPECT_EQ(st().seg[DS].base, 0x12340u);
  EXPECT_EQ(reg(RBX) & 0xFFFF, 0xBEEFu);
  EXPECT_EQ(st().seg[ES].base, 0x23450u);
  EXPECT_EQ(reg(RCX) & 0xFFFF, 0xCAFEu);
}

TEST_F(Seg, RealModeOffsetsWrapAt64K) {
  real16();
  cpu.load_seg_real(DS, 0x1000);
  bus.set_dword(0x10001, 0x1234);
  bus.set_dword(0x20001, 0x5678);
  set(RBX, 0xFFFF);
  set(RSI, 0x0002);
  code({0x8B, 0x00});  // mov ax, [bx+si]: offset (FFFF + 2) mod 64 KiB = 1
  run(1);
  EXPECT_EQ(reg(RAX) & 0xFFFF, 0x1234u);
}

TEST_F(Seg, RealModeAbove1MiBWithoutWrap) {
  real16();
  cpu.load_seg_real(DS, 0xFFFF);
  bus.set_dword(0x100010, 0xABCD);
  code({0xA1, 0x20, 0x00});  // mov ax, [0x0020]: FFFF0 + 20 = 0x100010 (A20 enabled)
  run(1);
  EXPECT_EQ(reg(RAX) & 0xFFFF, 0xABCDu);
}

TEST_F(Seg, RealModeWordAtOffsetFFFFIsGp) {
  // SDM Vol.2 MOV, real-address mode: #GP if an effective address is outside the segment
  // limit; a word at FFFF ends at 0x10000.
  real16();
  bus.set_dword(GP * 4, 0x00002000);
  code({0xA1, 0xFF, 0xFF});
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(uint16_t(bus.dword(reg(RSP) & 0xFFFF)), kCode);
}

// ---------------------------------------------------------------------------------------
// Default segment of a memory operand (SDM Vol.1 3.7.5, Vol.2 Tables 2-1 to 2-3): SS when
// the base register is (E)BP or ESP, DS otherwise, the index never matters.

TEST_F(Seg, DefaultSegmentFollowsTheBaseRegister32) {
  struct Case {
    std::initializer_list<uint8_t> bytes;
    bool ss;
  };
  const Case cases[] = {
      {{0x8B, 0x04, 0x24}, true},                          // [esp]
      {{0x8B, 0x45, 0x00}, true},                          // [ebp+0]
      {{0x8B, 0x44, 0x05, 0x00}, true},                    // [ebp+eax*1+0]
      {{0x8B, 0x04, 0x2C}, true},                          // [esp+ebp]
      {{0x8B, 0x04, 0x28}, false},                         // [eax+ebp]
      {{0x8B, 0x04, 0x6D, 0x00, 0x80, 0x00, 0x00}, false}, // [ebp*2+0x8000]: no base
      {{0x8B, 0x05, 0x00, 0x80, 0x00, 0x00}, false},       // [0x8000]
  };
  for (const Case& k : cases) {
    protected32();
    SegmentCache ss = st().seg[DS];
    ss.base = 0x10000;
    cpu.state().seg[SS] = ss;
    set(RSP, 0x4000);
    set(RBP, 0x4000);
    set(RAX, 0x4000);
    for (uint32_t a : {0x4000u, 0x8000u, 0x10000u}) bus.set_dword(a, 0xD5D5D5D5);  // DS view
    for (uint32_t a : {0x14000u, 0x18000u}) bus.set_dword(a, 0x55555555);          // SS view
    const std::vector<uint8_t> v(k.bytes);
    cpu.phys_write(kCode, v.data(), v.size());
    run(1);
    EXPECT_EQ(eax(), k.ss ? 0x55555555u : 0xD5D5D5D5u) << int(v[1]) << " " << int(v[2]);
  }
}

TEST_F(Seg, DefaultSegmentFollowsTheBaseRegister16) {
  struct Case {
    std::initializer_list<uint8_t> bytes;
    bool ss;
  };
  const Case cases[] = {
      {{0x8B, 0x02}, true},              // [bp+si]
      {{0x8B, 0x03}, true},              // [bp+di]
      {{0x8B, 0x46, 0x00}, true},        // [bp+0]
      {{0x8B, 0x00}, false},             // [bx+si]
      {{0x8B, 0x06, 0x00, 0x80}, false}, // [0x8000]
  };
  for (const Case& k : cases) {
    real16();
    cpu.load_seg_real(SS, 0x1000);
    set(RBP, 0x8000);
    set(RBX, 0x8000);
    set(RSI, 0);
    set(RDI, 0);
    bus.set_dword(0x8000, 0xD5D5);
    bus.set_dword(0x18000, 0x5555);
    const std::vector<uint8_t> v(k.bytes);
    cpu.phys_write(kCode, v.data(), v.size());
    run(1);
    EXPECT_EQ(reg(RAX) & 0xFFFF, k.ss ? 0x5555u : 0xD5D5u) << int(v[1]);
  }
}

TEST_F(Seg, RealModeStackOperandBeyondLimitIsSs) {
  real16();
  bus.set_dword(SS_ * 4, 0x00002000);
  set(RBP, 0xFFFF);
  code({0x8B, 0x46, 0x00});  // mov ax, [bp+0]: a word at SS:FFFF
  run(1);
  EXPECT_EQ(st().rip, 0x2000u);
}

}  // namespace
