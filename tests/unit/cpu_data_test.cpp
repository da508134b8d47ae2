// Data movement (cpu/exec/data.cpp): MOV in all its forms, MOV Sreg, LEA, XCHG, MOVZX/MOVSX,
// XADD, CMPXCHG, CMPXCHG8B, CBW/CWDE/CWD/CDQ, XLAT and LDS/LES/LFS/LGS/LSS, checked against
// the instruction pages of SDM Vol.2.
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Data : public SysTest {
 protected:
  // Gives segment register `sg` the flat data cache with base `base`.
  void set_base(unsigned sg, uint32_t base) {
    SegmentCache c = st().seg[DS];
    c.base = base;
    cpu.state().seg[sg] = c;
  }
};

// ---------------------------------------------------------------------------------------
// MOV r/m, r / r, r/m / r/m, imm / r, imm

TEST_F(Data, MovRegisterToMemoryAllSizes) {
  protected32();
  set(RBX, 0x12345678);
  set(RCX, 0xCAFEBABE);
  bus.set_dword(kData, 0xFFFFFFFF);
  bus.set_dword(kData + 4, 0xFFFFFFFF);
  // mov [0x8000], bl; mov [0x8004], ecx; mov [0x8002], cx (66)
  code({0x88, 0x1D, 0x00, 0x80, 0x00, 0x00, 0x89, 0x0D, 0x04, 0x80, 0x00, 0x00,
        0x66, 0x89, 0x0D, 0x02, 0x80, 0x00, 0x00});
  run(3);
  EXPECT_EQ(bus.dword(kData), 0xBABEFF78u);
  EXPECT_EQ(bus.dword(kData + 4), 0xCAFEBABEu);
  EXPECT_EQ(st().rip, kCode + 19);
}

TEST_F(Data, MovMemoryToRegisterHighByteAndWord) {
  protected32();
  bus.set_dword(kData, 0x89ABCDEF);
  set(RAX, 0x11111111);
  set(RDX, 0x22222222);
  set(RSI, 0x33333333);
  // mov ah, [0x8000]; mov edx, [0x8000]; mov si, [0x8002] (66)
  code({0x8A, 0x25, 0x00, 0x80, 0x00, 0x00, 0x8B, 0x15, 0x00, 0x80, 0x00, 0x00,
        0x66, 0x8B, 0x35, 0x02, 0x80, 0x00, 0x00});
  run(3);
  EXPECT_EQ(eax(), 0x1111EF11u);
  EXPECT_EQ(reg(RDX), 0x89ABCDEFu);
  EXPECT_EQ(reg(RSI), 0x333389ABu);  // a 16-bit load keeps the upper half
}

TEST_F(Data, MovRegisterToRegisterBothDirections) {
  protected32();
  set(RAX, 0x000000AA);
  set(RBX, 0x12345678);
  // mov bh, al (88 C7: reg=AL, rm=BH); mov ecx, ebx (8B CB)
  code({0x88, 0xC7, 0x8B, 0xCB});
  run(2);
  EXPECT_EQ(reg(RBX), 0x1234AA78u);
  EXPECT_EQ(reg(RCX), 0x1234AA78u);
}

TEST_F(Data, MovImmediateForms) {
  protected32();
  set(RAX, 0xFFFFFFFF);
  set(RSI, 0xFFFFFFFF);
  code({0xC6, 0x05, 0x00, 0x80, 0x00, 0x00, 0xAB,                    // mov byte [0x8000], 0xAB
        0xC7, 0x05, 0x04, 0x80, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12,  // mov dword [0x8004], ...
        0x66, 0xC7, 0x05, 0x08, 0x80, 0x00, 0x00, 0x34, 0x12,        // mov word [0x8008], 0x1234
        0xB4, 0x7F,                                                  // mov ah, 0x7F
        0xBF, 0x78, 0x56, 0x34, 0x12,                                // mov edi, 0x12345678
        0x66, 0xBE, 0xCD, 0xAB});                                    // mov si, 0xABCD
  run(6);
  EXPECT_EQ(bus.byte(kData), 0xAB);
  EXPECT_EQ(bus.dword(kData + 4), 0x12345678u);
  EXPECT_EQ(bus.dword(kData + 8), 0x1234u);
  EXPECT_EQ(eax(), 0xFFFF7FFFu);
  EXPECT_EQ(reg(RDI), 0x12345678u);
  EXPECT_EQ(reg(RSI), 0xFFFFABCDu);
  EXPECT_EQ(st().rip, kCode + 37);
}

TEST_F(Data, MovDoesNotChangeFlags) {
  protected32();
  code({0xF9, 0xB8, 0x00, 0x00, 0x00, 0x00, 0x8B, 0xC8});  // stc; mov eax, 0; mov ecx, eax
  run(3);
  EXPECT_TRUE(flag_set(flag::CF));
  EXPECT_FALSE(flag_set(flag::ZF));
}

// ---------------------------------------------------------------------------------------
// MOV with moffs (A0-A3)

TEST_F(Data, MovMoffsAllSizes) {
  protected32();
  bus.set_dword(kData, 0x89ABCDEF);
  set(RAX, 0x11111111);
  // mov al, [0x8000]; mov [0x8010], al; mov eax, [0x8000]; mov [0x8014], eax; mov ax, [0x8002]
  code({0xA0, 0x00, 0x80, 0x00, 0x00, 0xA2, 0x10, 0x80, 0x00, 0x00, 0xA1, 0x00, 0x80, 0x00,
        0x00, 0xA3, 0x14, 0x80, 0x00, 0x00, 0x66, 0xA1, 0x02, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_EQ(eax(), 0x111111EFu);
  run(1);
  EXPECT_EQ(bus.dword(kData + 0x10), 0xEFu);
  run(2);
  EXPECT_EQ(bus.dword(kData + 0x14), 0x89ABCDEFu);
  run(1);
  EXPECT_EQ(eax(), 0x89AB89ABu);
}

TEST_F(Data, MovMoffsWith16BitAddressSizeTakesAWordOffset) {
  protected32();
  bus.set_dword(0x8010, 0xA5A5A5A5);
  // a16 mov eax, [0x8010]: the moffs is 2 bytes, so the instruction is 4 bytes long.
  code({0x67, 0xA1, 0x10, 0x80, 0x90});
  run(1);
  EXPECT_EQ(eax(), 0xA5A5A5A5u);
  EXPECT_EQ(st().rip, kCode + 4);
  // a16 mov [0x8020], eax
  code({0x67, 0xA3, 0x20, 0x80});
  cpu.state().rip = kCode;
  run(1);
  EXPECT_EQ(bus.dword(0x8020), 0xA5A5A5A5u);
  EXPECT_EQ(st().rip, kCode + 4);
}

TEST_F(Data, MovMoffsHonoursSegmentOverride) {
  protected32();
  set_base(FS, 0x10000);
  set_base(ES, 0x20000);
  bus.set_dword(0x18000, 0x0F0F0F0F);
  set(RCX, 0);
  // mov eax, fs:[0x8000]; mov es:[0x8000], eax
  code({0x64, 0xA1, 0x00, 0x80, 0x00, 0x00, 0x26, 0xA3, 0x00, 0x80, 0x00, 0x00});
  run(2);
  EXPECT_EQ(eax(), 0x0F0F0F0Fu);
  EXPECT_EQ(bus.dword(0x28000), 0x0F0F0F0Fu);
  EXPECT_EQ(bus.dword(0x8000), 0u);
}

TEST_F(Data, MovMoffsRealModeUsesDsBase) {
  real16();
  cpu.load_seg_real(DS, 0x0800);
  bus.set_dword(0x8000 + 0x1234, 0xBEEF);
  code({0xA1, 0x34, 0x12});  // mov ax, [0x1234]
  run(1);
  EXPECT_EQ(eax() & 0xFFFF, 0xBEEFu);
  EXPECT_EQ(st().rip, kCode + 3);
}

TEST_F(Data, MovMoffsBeyondDsLimitIsGp) {
  setup_pm();
  cpu.state().seg[DS].limit = 0x7FFF;
  EXPECT_EQ(fault_of({0xA1, 0xFE, 0x7F, 0x00, 0x00}), GP);  // dword at 0x7FFE crosses it
  EXPECT_EQ(error_code(), 0u);
}

// ---------------------------------------------------------------------------------------
// MOV Sreg

TEST_F(Data, MovFromSregToRegisterAndMemory) {
  protected32();
  set(RAX, 0xFFFFFFFF);
  set(RBX, 0xFFFFFFFF);
  bus.set_dword(kData, 0xFFFFFFFF);
  // mov eax, ds; mov bx, cs (66); mov [0x8000], ss
  code({0x8C, 0xD8, 0x66, 0x8C, 0xCB, 0x8C, 0x15, 0x00, 0x80, 0x00, 0x00});
  run(3);
  EXPECT_EQ(eax(), 0x10u);          // 32-bit destination: upper bits zero (P6 and later)
  EXPECT_EQ(reg(RBX), 0xFFFF0008u);  // 16-bit destination: upper half kept
  EXPECT_EQ(bus.dword(kData), 0xFFFF0010u);  // memory: always a 16-bit store
}

TEST_F(Data, MovFromReservedSregIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0x8C, 0xF0}), UD);  // mov eax, sreg6
  setup_pm();
  EXPECT_EQ(fault_of({0x8C, 0xF8}), UD);  // mov eax, sreg7
}

TEST_F(Data, MovToSregLoadsDescriptor) {
  setup_pm();
  set(RAX, 0x23);
  code({0x8E, 0xD8});  // mov ds, ax (DPL 3 data at CPL 0)
  run(1);
  EXPECT_EQ(sel(DS), 0x23);
  EXPECT_EQ(st().seg[DS].dpl(), 3u);
  EXPECT_TRUE(bus.byte(kGdt + 4 * 8 + 5) & 1);  // accessed bit written back
}

TEST_F(Data, MovToCsOrReservedSregIsUd) {
  setup_pm();
  set(RAX, 0x08);
  EXPECT_EQ(fault_of({0x8E, 0xC8}), UD);  // mov cs, ax
  EXPECT_EQ(sel(CS), 0x08);
  setup_pm();
  EXPECT_EQ(fault_of({0x8E, 0xF0}), UD);  // mov sreg6, ax
  setup_pm();
  EXPECT_EQ(fault_of({0x8E, 0xF8}), UD);  // mov sreg7, ax
  real16();
  bus.byte(0x6 * 4) = 0;  // IVT entry 6 -> 0000:0000 (anything but kCode)
  code({0x8E, 0xC8});     // MOV CS is #UD in real mode too
  run(1);
  EXPECT_EQ(st().rip, 0u);
}

TEST_F(Data, MovSsWithRplNotCplIsGpSelector) {
  setup_pm();
  set(RAX, 0x13);  // ring-0 data with RPL 3
  EXPECT_EQ(fault_of({0x8E, 0xD0}), GP);
  EXPECT_EQ(error_code(), 0x10u);
  EXPECT_EQ(sel(SS), 0x10);
}

// ---------------------------------------------------------------------------------------
// LEA

TEST_F(Data, LeaComputesAddressWithoutAccess) {
  protected32();
  set(RBX, 0x1000);
  set(RCX, 0x20);
  set(RDX, 0xFFFFFFFF);
  // lea eax, [ebx+ecx*4+0x10]; lea dx, [0x12345678] (66: truncated to 16 bits)
  code({0x8D, 0x44, 0x8B, 0x10, 0x66, 0x8D, 0x15, 0x78, 0x56, 0x34, 0x12});
  run(2);
  EXPECT_EQ(eax(), 0x1090u);
  EXPECT_EQ(reg(RDX), 0xFFFF5678u);
}

TEST_F(Data, LeaWith16BitAddressingWraps) {
  protected32();
  set(RBX, 0x1FFF0);
  set(RSI, 0x20);
  // a16 lea eax, [bx+si+5]: (0xFFF0 + 0x20 + 5) mod 64 KiB, zero-extended to 32 bits
  code({0x67, 0x8D, 0x40, 0x05});
  run(1);
  EXPECT_EQ(eax(), 0x15u);
  real16();
  set(RBP, 0x0001);
  set(RDI, 0x0002);
  set(RAX, 0xAAAA5555);
  code({0x8D, 0x43, 0xFC});  // lea ax, [bp+di-4]
  run(1);
  EXPECT_EQ(eax(), 0xAAAAFFFFu);
}

TEST_F(Data, LeaWithRegisterOperandIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0x8D, 0xC0}), UD);
}

// ---------------------------------------------------------------------------------------
// XCHG

TEST_F(Data, XchgMemoryAndRegisterForms) {
  protected32();
  bus.set_dword(kData, 0x11111111);
  set(RAX, 0x22222222);
  set(RCX, 0x33333333);
  set(RBX, 0x0000AA55);
  // xchg [0x8000], eax; xchg eax, ecx (91); xchg bl, bh (86 FB)
  code({0x87, 0x05, 0x00, 0x80, 0x00, 0x00, 0x91, 0x86, 0xFB});
  run(3);
  EXPECT_EQ(bus.dword(kData), 0x22222222u);
  EXPECT_EQ(reg(RCX), 0x11111111u);
  EXPECT_EQ(eax(), 0x33333333u);
  EXPECT_EQ(reg(RBX), 0x000055AAu);
}

TEST_F(Data, LockXchgWithMemoryIsAllowed) {
  protected32();
  bus.set_dword(kData, 0x11111111);
  set(RAX, 0x22222222);
  code({0xF0, 0x87, 0x05, 0x00, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x22222222u);
  EXPECT_EQ(eax(), 0x11111111u);
  EXPECT_EQ(st().rip, kCode + 7);
}

TEST_F(Data, LockXchgWithRegisterIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0xF0, 0x87, 0xC1}), UD);
}

TEST_F(Data, XchgToReadOnlyMemoryFaultsWithRegisterUnchanged) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x5);  // read-only
  cpu.write_cr0(st().cr0 | cr0::WP);
  bus.set_dword(0x9000, 0x11111111);
  set(RAX, 0x22222222);
  EXPECT_EQ(fault_of({0x87, 0x05, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x3u);
  EXPECT_EQ(eax(), 0x22222222u);
  EXPECT_EQ(bus.dword(0x9000), 0x11111111u);
}

// ---------------------------------------------------------------------------------------
// MOVZX / MOVSX

TEST_F(Data, MovzxMovsx) {
  protected32();
  set(RBX, 0x1234F08F);
  bus.set_dword(kData, 0x00008001);
  set(RDI, 0xFFFFFFFF);
  code({0x0F, 0xB6, 0xC3,                          // movzx eax, bl
        0x0F, 0xB7, 0xCB,                          // movzx ecx, bx
        0x0F, 0xBE, 0xD3,                          // movsx edx, bl
        0x0F, 0xBF, 0x35, 0x00, 0x80, 0x00, 0x00,  // movsx esi, word [0x8000]
        0x66, 0x0F, 0xBE, 0xFB});                  // movsx di, bl
  run(5);
  EXPECT_EQ(eax(), 0x8Fu);
  EXPECT_EQ(reg(RCX), 0xF08Fu);
  EXPECT_EQ(reg(RDX), 0xFFFFFF8Fu);
  EXPECT_EQ(reg(RSI), 0xFFFF8001u);
  EXPECT_EQ(reg(RDI), 0xFFFFFF8Fu);  // 16-bit destination: upper half kept (was FFFF)
  set(RDI, 0x12340000);
  cpu.state().rip = kCode + 16;
  run(1);
  EXPECT_EQ(reg(RDI), 0x1234FF8Fu);
}

// ---------------------------------------------------------------------------------------
// XADD

TEST_F(Data, XaddMemoryExchangesAndAdds) {
  protected32();
  bus.set_dword(kData, 0x7FFFFFFF);
  set(RAX, 1);
  code({0x0F, 0xC1, 0x05, 0x00, 0x80, 0x00, 0x00});  // xadd [0x8000], eax
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x80000000u);
  EXPECT_EQ(eax(), 0x7FFFFFFFu);
  EXPECT_TRUE(flag_set(flag::OF));
  EXPECT_TRUE(flag_set(flag::SF));
  EXPECT_FALSE(flag_set(flag::CF));
}

TEST_F(Data, XaddByteRegisters) {
  protected32();
  set(RAX, 0xF0);
  set(RBX, 0x20);
  code({0x0F, 0xC0, 0xD8});  // xadd al, bl
  run(1);
  EXPECT_EQ(eax(), 0x10u);
  EXPECT_EQ(reg(RBX), 0xF0u);
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Data, XaddSameRegisterLeavesTheSum) {
  // SDM Vol.2 XADD: TEMP := SRC + DEST; SRC := DEST; DEST := TEMP. With one register as
  // both operands the last write, the sum, is what remains.
  protected32();
  set(RAX, 5);
  code({0x0F, 0xC1, 0xC0});  // xadd eax, eax
  run(1);
  EXPECT_EQ(eax(), 10u);
}

TEST_F(Data, LockXaddAllowed) {
  protected32();
  bus.set_dword(kData, 10);
  set(RCX, 3);
  code({0xF0, 0x0F, 0xC1, 0x0D, 0x00, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_EQ(bus.dword(kData), 13u);
  EXPECT_EQ(reg(RCX), 10u);
}

// ---------------------------------------------------------------------------------------
// CMPXCHG

TEST_F(Data, CmpxchgEqualStoresSource) {
  protected32();
  bus.set_dword(kData, 0x1234);
  set(RAX, 0x1234);
  set(RCX, 0x5678);
  code({0xF0, 0x0F, 0xB1, 0x0D, 0x00, 0x80, 0x00, 0x00});  // lock cmpxchg [0x8000], ecx
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x5678u);
  EXPECT_EQ(eax(), 0x1234u);
  EXPECT_TRUE(flag_set(flag::ZF));
}

TEST_F(Data, CmpxchgNotEqualLoadsAccumulator) {
  protected32();
  bus.set_dword(kData, 0x1000);
  set(RAX, 0x2000);
  set(RCX, 0x5678);
  code({0x0F, 0xB1, 0x0D, 0x00, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_EQ(bus.dword(kData), 0x1000u);
  EXPECT_EQ(eax(), 0x1000u);
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_FALSE(flag_set(flag::CF));  // flags as CMP 0x2000, 0x1000
  EXPECT_FALSE(flag_set(flag::SF));
}

TEST_F(Data, CmpxchgByteForm) {
  protected32();
  set(RAX, 0x1180);
  set(RBX, 0x0081);
  set(RDX, 0x0042);
  code({0x0F, 0xB0, 0xD3});  // cmpxchg bl, dl: AL 80 != BL 81 -> AL = 81
  run(1);
  EXPECT_EQ(eax(), 0x1181u);
  EXPECT_EQ(reg(RBX), 0x81u);
  EXPECT_TRUE(flag_set(flag::CF));  // 0x80 - 0x81 borrows
  cpu.state().rip = kCode;
  run(1);  // now equal: BL = DL
  EXPECT_EQ(reg(RBX), 0x42u);
  EXPECT_TRUE(flag_set(flag::ZF));
}

TEST_F(Data, CmpxchgToReadOnlyPageFaultsEvenWhenNotEqual) {
  // SDM Vol.2 CMPXCHG: "the destination operand is written back if the comparison fails".
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x5);
  cpu.write_cr0(st().cr0 | cr0::WP);
  bus.set_dword(0x9000, 0x1);
  set(RAX, 0x2);
  EXPECT_EQ(fault_of({0x0F, 0xB1, 0x0D, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(eax(), 0x2u);
}

// ---------------------------------------------------------------------------------------
// CMPXCHG8B (group 9 /1)

TEST_F(Data, Cmpxchg8bBothOutcomesTouchOnlyZf) {
  protected32();
  bus.set_dword(kData, 0x11111111);
  bus.set_dword(kData + 4, 0x22222222);
  set(RAX, 0x11111111);
  set(RDX, 0x22222222);
  set(RBX, 0x33333333);
  set(RCX, 0x44444444);
  // stc; lock cmpxchg8b [0x8000]
  code({0xF9, 0xF0, 0x0F, 0xC7, 0x0D, 0x00, 0x80, 0x00, 0x00});
  run(2);
  EXPECT_EQ(bus.dword(kData), 0x33333333u);
  EXPECT_EQ(bus.dword(kData + 4), 0x44444444u);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_TRUE(flag_set(flag::CF));  // only ZF is affected
  cpu.state().rip = kCode + 1;
  run(1);  // EDX:EAX (2222..:1111..) != m64 (4444..:3333..)
  EXPECT_EQ(eax(), 0x33333333u);
  EXPECT_EQ(reg(RDX), 0x44444444u);
  EXPECT_EQ(bus.dword(kData), 0x33333333u);
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_TRUE(flag_set(flag::CF));
}

// ---------------------------------------------------------------------------------------
// CBW / CWDE / CWD / CDQ

TEST_F(Data, SignExtensionOfAccumulator) {
  protected32();
  set(RAX, 0x12345680);
  set(RDX, 0x55555555);
  code({0x66, 0x98,  // cbw
        0x98,        // cwde
        0x99,        // cdq
        0x66, 0x99}); // cwd
  run(1);
  EXPECT_EQ(eax(), 0x1234FF80u);
  run(1);
  EXPECT_EQ(eax(), 0xFFFFFF80u);
  run(1);
  EXPECT_EQ(reg(RDX), 0xFFFFFFFFu);
  set(RAX, 0x80007FFF);
  run(1);
  EXPECT_EQ(reg(RDX), 0xFFFF0000u);  // CWD: only DX, from bit 15 of AX
}

// ---------------------------------------------------------------------------------------
// XLAT

TEST_F(Data, XlatIndexesWithUnsignedAl) {
  protected32();
  for (unsigned k = 0; k < 256; ++k) bus.byte(kData + k) = uint8_t(~k);
  set(RBX, kData);
  set(RAX, 0x12345680);
  code({0xD7});
  run(1);
  EXPECT_EQ(eax(), 0x1234567Fu);  // [ebx + 0x80], not [ebx - 0x80]
}

TEST_F(Data, XlatWithSegmentOverrideAnd16BitAddress) {
  protected32();
  set_base(FS, 0x10000);
  bus.byte(0x18005) = 0x5A;
  set(RBX, 0x8000);
  set(RAX, 5);
  code({0x64, 0xD7});  // xlat fs:
  run(1);
  EXPECT_EQ(eax(), 0x5Au);
  bus.byte(0x8007) = 0xA5;
  set(RBX, 0x38000);  // a16: BX = 0x8000
  set(RAX, 7);
  code({0x67, 0xD7});
  cpu.state().rip = kCode;
  run(1);
  EXPECT_EQ(eax(), 0xA5u);
}

// ---------------------------------------------------------------------------------------
// LDS / LES / LFS / LGS / LSS

TEST_F(Data, LoadFarPointerAllSegments) {
  protected32();
  bus.set_dword(kData, 0xDEADBEEF);
  bus.set_dword(kData + 4, 0x10);
  bus.set_dword(kData + 8, 0x12345678);
  bus.set_dword(kData + 12, 0x23);
  code({0xC5, 0x05, 0x00, 0x80, 0x00, 0x00,         // lds eax, [0x8000]
        0xC4, 0x1D, 0x08, 0x80, 0x00, 0x00,         // les ebx, [0x8008]
        0x0F, 0xB4, 0x0D, 0x00, 0x80, 0x00, 0x00,   // lfs ecx, [0x8000]
        0x0F, 0xB5, 0x15, 0x08, 0x80, 0x00, 0x00,   // lgs edx, [0x8008]
        0x0F, 0xB2, 0x25, 0x00, 0x80, 0x00, 0x00});  // lss esp, [0x8000]
  run(5);
  EXPECT_EQ(eax(), 0xDEADBEEFu);
  EXPECT_EQ(sel(DS), 0x10);
  EXPECT_EQ(reg(RBX), 0x12345678u);
  EXPECT_EQ(sel(ES), 0x23);
  EXPECT_EQ(reg(RCX), 0xDEADBEEFu);
  EXPECT_EQ(sel(FS), 0x10);
  EXPECT_EQ(reg(RDX), 0x12345678u);
  EXPECT_EQ(sel(GS), 0x23);
  EXPECT_EQ(esp(), 0xDEADBEEFu);
  EXPECT_EQ(sel(SS), 0x10);
}

TEST_F(Data, LoadFarPointer16BitOperandAndRealMode) {
  protected32();
  bus.set_dword(kData, 0x00231234);  // offset 1234, selector 0023
  set(RSI, 0xFFFFFFFF);
  code({0x66, 0xC4, 0x35, 0x00, 0x80, 0x00, 0x00});  // les si, [0x8000]
  run(1);
  EXPECT_EQ(reg(RSI), 0xFFFF1234u);
  EXPECT_EQ(sel(ES), 0x23);
  real16();
  cpu.load_seg_real(DS, 0x0700);
  bus.set_dword(0x7000 + 0x10, 0x2000ABCD);
  code({0xC5, 0x36, 0x10, 0x00});  // lds si, [0x0010]
  run(1);
  EXPECT_EQ(reg(RSI) & 0xFFFF, 0xABCDu);
  EXPECT_EQ(sel(DS), 0x2000);
  EXPECT_EQ(st().seg[DS].base, 0x20000u);
}

TEST_F(Data, LoadFarPointerBadSelectorLeavesDestinationUnchanged) {
  setup_pm();
  bus.set_dword(kData, 0xDEADBEEF);
  bus.set_dword(kData + 4, 0x80);  // index 16: beyond the GDT limit (16 entries)
  set(RAX, 0x11111111);
  EXPECT_EQ(fault_of({0xC5, 0x05, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0x80u);
  EXPECT_EQ(eax(), 0x11111111u);
  EXPECT_EQ(sel(DS), 0x10);
  EXPECT_EQ(stack_dword(1), kCode);
}

TEST_F(Data, LssNullSelectorIsGp0AndEspUnchanged) {
  setup_pm();
  bus.set_dword(kData, 0x1234);
  bus.set_dword(kData + 4, 0);
  EXPECT_EQ(fault_of({0x0F, 0xB2, 0x25, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(sel(SS), 0x10);
  EXPECT_EQ(stack_dword(1), kCode);
  EXPECT_EQ(esp(), kStack - 16);  // the exception frame sits on the unchanged stack
}

TEST_F(Data, LoadFarPointerRegisterFormIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0xC5, 0xC0}), UD);
  setup_pm();
  EXPECT_EQ(fault_of({0x0F, 0xB2, 0xC0}), UD);
}

TEST_F(Data, LssDoesNotBlockInterrupts) {
  // SDM Vol.3 6.8.3: only MOV SS and POP SS inhibit interrupts for one instruction; LSS
  // loads SS and ESP together and needs no shadow.
  real16();
  bus.set_dword(0x20 * 4, 0x00002000);  // vector 0x20 -> 0000:2000
  bus.set_dword(kData, 0x00006000);     // SS:SP = 0000:6000
  cpu.state().eflags |= flag::IF;
  code({0x0F, 0xB2, 0x26, 0x00, 0x80, 0x90, 0x90});  // lss sp, [0x8000]; nop; nop
  bus.intr_vector = 0x20;
  run(1);  // lss
  cpu.set_intr(true);
  run(0);  // deliver what is pending at this boundary, execute nothing
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_EQ(bus.dword(0x6000 - 6) & 0xFFFF, kCode + 5);  // return address: the first NOP
}

// ---------------------------------------------------------------------------------------
// NOP, hint NOP and PAUSE

TEST_F(Data, HintNopDoesNotAccessItsOperand) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0);  // not present: an access would #PF
  code({0x0F, 0x1F, 0x05, 0x00, 0x90, 0x00, 0x00,  // nop dword [0x9000]
        0x0F, 0x0D, 0x05, 0x00, 0x90, 0x00, 0x00,  // 0F 0D: hint NOP
        0xF3, 0x90, 0x90, 0xF4});                  // pause; nop; hlt
  const uint64_t before = st().instret;
  go();
  EXPECT_EQ(vector_taken(), -1);
  EXPECT_EQ(st().rip, kCode + 18);
  EXPECT_EQ(st().instret - before, 5u);
}

TEST_F(Data, FwaitAndSseOpcodes) {
  setup_pm();
  code({0x9B, 0xF4});  // fwait: nothing to wait for
  go();
  EXPECT_EQ(vector_taken(), -1);
  setup_pm();
  cpu.write_cr0(st().cr0 | cr0::MP | cr0::TS);
  EXPECT_EQ(fault_of({0x9B}), NM);  // SDM Vol.2 WAIT: #NM if CR0.MP and CR0.TS
  setup_pm();
  cpu.write_cr0(st().cr0 | cr0::TS);
  code({0x9B, 0xF4});  // TS without MP: no #NM
  go();
  EXPECT_EQ(vector_taken(), -1);
  setup_pm();
  EXPECT_EQ(fault_of({0x0F, 0x28, 0xC1}), UD);  // movaps xmm0, xmm1: no SSE
}

}  // namespace
