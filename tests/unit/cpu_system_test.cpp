// System instructions, control registers, paging and MSRs, checked against SDM Vol.2
// (instruction pages) and Vol.3 (ch.2 control registers, ch.4 paging, ch.6 exceptions).
#include <cstring>
#include <string>

#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Sys : public SysTest {
 protected:
  uint32_t cpuid_reg(uint32_t leaf, unsigned r) {
    set(RAX, leaf);
    cpu.state().rip = kCode;
    code({0x0F, 0xA2});
    run(1);
    return reg(r);
  }
  // Runs `bytes` at kCode as the only code and returns the vector taken (or -1).
};

// ---------------------------------------------------------------------------------------
// Popek–Goldberg: sensitive but unprivileged instructions, and CR4.UMIP

TEST_F(Sys, SgdtAtCpl3SucceedsSilently) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  code({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00});  // sgdt [0x8000]
  run(1);
  EXPECT_EQ(st().rip, kCode + 7);
  EXPECT_EQ(bus.dword(kData) & 0xFFFF, 16u * 8 - 1);  // the real GDTR limit...
  EXPECT_EQ(bus.dword(kData + 2), kGdt);               // ...and base, at ring 3
}

TEST_F(Sys, SgdtAtCpl3WithUmipIsGp) {
  setup_pm();
  cpu.write_cr4(cr4::UMIP);
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(bus.dword(kData), 0u);  // nothing stored
}

TEST_F(Sys, UmipAllowsCpl0) {
  setup_pm();
  cpu.write_cr4(cr4::UMIP);
  code({0x0F, 0x01, 0x0D, 0x00, 0x80, 0x00, 0x00});  // sidt [0x8000]
  run(1);
  EXPECT_EQ(bus.dword(kData + 2), kIdt);
}

TEST_F(Sys, SmswStrSldtAtCpl3) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  set(RBX, 0xFFFFFFFF);
  // smsw eax; str bx; sldt ecx
  code({0x0F, 0x01, 0xE0, 0x66, 0x0F, 0x00, 0xCB, 0x0F, 0x00, 0xC1});
  set(RCX, 0xFFFFFFFF);
  run(3);
  EXPECT_EQ(eax(), uint32_t(st().cr0));
  EXPECT_EQ(eax() & 1, 1u);              // PE: the guest sees it runs in protected mode
  EXPECT_EQ(reg(RBX), 0xFFFF0000u | kTssSel);  // 16-bit operand: only BX written
  EXPECT_EQ(reg(RCX), 0u);               // 32-bit register: zero-extended selector
}

TEST_F(Sys, SmswAtCpl3WithUmipIsGp) {
  setup_pm();
  cpu.write_cr4(cr4::UMIP);
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0x0F, 0x01, 0xE0}), GP);
}

TEST_F(Sys, Group6IsUdInRealMode) {
  real16();
  bus.set_dword(UD * 4, 0x3000);
  bus.load(0x3000, {0xF4});
  code({0x0F, 0x00, 0xC8});  // str ax
  go();
  EXPECT_EQ(st().rip, 0x3001u);
}

TEST_F(Sys, LgdtAtCpl3IsGpAndAtCpl0Loads) {
  setup_pm();
  bus.set_dword(kData, 0x3456FFFF);  // limit 0xFFFF, base low 0x3456
  bus.set_dword(kData + 4, 0x00AB0012);
  code({0x66, 0x0F, 0x01, 0x15, 0x00, 0x80, 0x00, 0x00});  // o16 lgdt [0x8000]
  run(1);
  EXPECT_EQ(st().gdtr.limit, 0xFFFF);
  EXPECT_EQ(st().gdtr.base, 0x00123456u);  // 16-bit operand: 24-bit base
  cpu.state().gdtr = {kGdt, 16 * 8 - 1};
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0x0F, 0x01, 0x15, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(Sys, LtrMarksTssBusyAndRejectsBusyTss) {
  setup_pm();  // setup_pm ran LTR 0x28
  EXPECT_EQ(st().tr.selector, kTssSel);
  EXPECT_EQ(st().tr.base, kTss);
  EXPECT_EQ(st().tr.limit, kTssLimit);
  EXPECT_EQ(bus.byte(kGdt + kTssSel + 5) & 0xF, 0xBu);  // busy 32-bit TSS
  set(RAX, kTssSel);
  EXPECT_EQ(fault_of({0x0F, 0x00, 0xD8}), GP);  // ltr ax again: not available
  EXPECT_EQ(error_code(), kTssSel);
}

TEST_F(Sys, LarLslAtCpl0) {
  setup_pm();
  set(RCX, 0x08);
  code({0x0F, 0x02, 0xC1, 0x0F, 0x03, 0xD1});  // lar eax, ecx; lsl edx, ecx
  run(2);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(eax(), 0x00CF9A00u);
  EXPECT_EQ(reg(RDX), 0xFFFFFFFFu);  // byte-granular limit of a 4 GiB G=1 segment
}

TEST_F(Sys, LarLslOnSystemDescriptors) {
  setup_pm();
  set_gdt(6, (uint64_t(0x8C | 0x60) << 40) | (uint64_t(0x08) << 16));  // call gate, DPL 3
  set(RCX, kTssSel);
  code({0x0F, 0x02, 0xC1, 0x0F, 0x03, 0xD1});  // lar eax, ecx; lsl edx, ecx
  run(2);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(eax(), 0x00008B00u);  // busy 32-bit TSS, DPL 0, present
  EXPECT_EQ(reg(RDX), kTssLimit);
  set(RCX, 0x30);
  set(RDX, 0x1234);
  cpu.state().rip = kCode;
  run(1);  // lar: valid for a call gate
  EXPECT_TRUE(flag_set(flag::ZF));
  run(1);  // lsl: a gate has no limit
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_EQ(reg(RDX), 0x1234u);
}

TEST_F(Sys, LarAtCpl3DependsOnPrivilege) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  set(RAX, 0x5555);
  set(RCX, 0x08);
  code({0x0F, 0x02, 0xC1, 0x0F, 0x02, 0xC1});  // lar eax, ecx twice
  run(1);
  EXPECT_FALSE(flag_set(flag::ZF));  // DPL 0 < CPL 3: same instruction, different answer
  EXPECT_EQ(eax(), 0x5555u);
  set(RCX, 0x1B);
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(eax(), 0x00CFFA00u);
}

TEST_F(Sys, LarNullSelectorClearsZf) {
  setup_pm();
  set(RCX, 0x0003);
  code({0xF9, 0x0F, 0x02, 0xC1});
  cpu.state().eflags |= flag::ZF;
  run(2);
  EXPECT_FALSE(flag_set(flag::ZF));
}

TEST_F(Sys, VerrVerwAtCpl3AndCpl0) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  // verw ax; verw ax; verr ax; verw ax
  code({0x0F, 0x00, 0xE8, 0x0F, 0x00, 0xE8, 0x0F, 0x00, 0xE0, 0x0F, 0x00, 0xE8});
  set(RAX, 0x23);
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));   // ring-3 data: writable
  set(RAX, 0x10);
  run(1);
  EXPECT_FALSE(flag_set(flag::ZF));  // ring-0 data from ring 3
  set(RAX, 0x1B);
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));   // readable code
  run(1);
  EXPECT_FALSE(flag_set(flag::ZF));  // code is never writable
  setup_pm();
  set(RAX, 0x10);
  code({0x0F, 0x00, 0xE8});
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));   // at CPL 0 the same selector is writable
}

TEST_F(Sys, ArplRaisesRpl) {
  setup_pm();
  set(RAX, 0x0010);
  set(RCX, 0x0003);
  code({0x63, 0xC8, 0x63, 0xC8});  // arpl ax, cx twice
  run(1);
  EXPECT_EQ(eax(), 0x13u);
  EXPECT_TRUE(flag_set(flag::ZF));
  run(1);
  EXPECT_EQ(eax(), 0x13u);
  EXPECT_FALSE(flag_set(flag::ZF));
}

// ---------------------------------------------------------------------------------------
// Privileged instructions at CPL 3

TEST_F(Sys, HltAtCpl3IsGp) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xF4}), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode);  // faulting EIP
}

TEST_F(Sys, HltAtCpl0Halts) {
  setup_pm();
  code({0xF4});
  EXPECT_EQ(go(), StopReason::HaltedForever);
  EXPECT_EQ(st().rip, kCode + 1);
}

TEST_F(Sys, CliAtCpl3DependsOnIopl) {
  setup_pm();
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xFA}), GP);
  setup_pm();
  enter_ring3(kCode, kStack3);
  cpu.state().eflags |= flag::IF | (3u << 12);
  code({0xFA});
  run(1);
  EXPECT_FALSE(flag_set(flag::IF));
}

TEST_F(Sys, IoBitmapAllowsAndDeniesPortsAtCpl3) {
  setup_pm();
  bus.byte(kTss + kIoBitmap + 0x61 / 8) |= 1u << (0x61 % 8);  // deny port 0x61
  enter_ring3(kCode, kStack3);
  code({0xE4, 0x60, 0xE6, 0x61});  // in al, 0x60; out 0x61, al
  bus.ports.clear();
  go();
  ASSERT_EQ(bus.ports.size(), 1u);
  EXPECT_EQ(bus.ports[0].port, 0x60);
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0u);
  EXPECT_EQ(stack_dword(1), kCode + 2);  // the OUT faulted
}

TEST_F(Sys, IoWordAccessChecksBothBits) {
  setup_pm();
  bus.byte(kTss + kIoBitmap + 0x71 / 8) |= 1u << (0x71 % 8);
  enter_ring3(kCode, kStack3);
  set(RDX, 0x70);
  EXPECT_EQ(fault_of({0x66, 0xED}), GP);  // in ax, dx: ports 0x70 and 0x71
}

TEST_F(Sys, PrivilegedInstructionsAtCpl3AreGp) {
  const std::initializer_list<uint8_t> cases[] = {
      {0x0F, 0x22, 0xC0},  // mov cr0, eax
      {0x0F, 0x20, 0xD8},  // mov eax, cr3
      {0x0F, 0x23, 0xF8},  // mov dr7, eax
      {0x0F, 0x32},        // rdmsr
      {0x0F, 0x30},        // wrmsr
      {0x0F, 0x06},        // clts
      {0x0F, 0x09},        // wbinvd
      {0x0F, 0x01, 0x3D, 0x00, 0x90, 0x00, 0x00},  // invlpg
      {0x0F, 0x35},        // sysexit
  };
  for (const auto& bytes : cases) {
    setup_pm();
    enter_ring3(kCode, kStack3);
    set(RCX, msr::TSC);
    EXPECT_EQ(fault_of(bytes), GP) << std::hex << unsigned(*(bytes.begin() + 1));
    EXPECT_EQ(error_code(), 0u);
  }
}

// ---------------------------------------------------------------------------------------
// Exceptions during delivery

TEST_F(Sys, TripleFaultShutsDown) {
  setup_pm();
  cpu.state().idtr.limit = 0;
  code({0x0F, 0x0B});  // ud2
  EXPECT_EQ(go(), StopReason::Shutdown);
  EXPECT_NE(cpu.stop_detail().find("while delivering #DF"), std::string::npos) << cpu.stop_detail();
}

TEST_F(Sys, GpDuringGpDeliveryIsDoubleFault) {
  setup_pm();
  set_gate(GP, 0x80, handler(GP), 0xE, 0);  // selector beyond the GDT limit
  set(RCX, 0xDEAD);
  EXPECT_EQ(fault_of({0x0F, 0x32}), DF);  // rdmsr of an unknown MSR → #GP → #GP → #DF
  EXPECT_EQ(error_code(), 0u);
}

// ---------------------------------------------------------------------------------------
// Control and debug registers

TEST_F(Sys, MovCr0RejectsPgWithoutPe) {
  setup_pm();
  set(RAX, cr0::PG | cr0::ET);
  EXPECT_EQ(fault_of({0x0F, 0x22, 0xC0}), GP);
  EXPECT_TRUE(st().cr0 & cr0::PE);
}

TEST_F(Sys, MovCr0RejectsNwWithoutCd) {
  setup_pm();
  set(RAX, cr0::PE | cr0::NW);
  EXPECT_EQ(fault_of({0x0F, 0x22, 0xC0}), GP);
}

TEST_F(Sys, MovCr0KeepsEtAndDropsReservedBits) {
  setup_pm();
  set(RAX, cr0::PE | cr0::TS | (1u << 7));  // ET clear, reserved bit 7 set
  code({0x0F, 0x22, 0xC0, 0x0F, 0x20, 0xC3});  // mov cr0, eax; mov ebx, cr0
  run(2);
  EXPECT_EQ(reg(RBX), uint32_t(cr0::PE | cr0::TS | cr0::ET));
}

TEST_F(Sys, MovCr1IsUdAndCr4ReservedIsGp) {
  setup_pm();
  EXPECT_EQ(fault_of({0x0F, 0x20, 0xC8}), UD);  // mov eax, cr1
  setup_pm();
  set(RAX, cr4::SMXE);
  EXPECT_EQ(fault_of({0x0F, 0x22, 0xE0}), GP);  // mov cr4, eax
  EXPECT_EQ(st().cr4, 0u);
}

TEST_F(Sys, LmswCannotClearPe) {
  setup_pm();
  set(RAX, 0x0008);  // TS only
  code({0x0F, 0x01, 0xF0});  // lmsw ax
  run(1);
  EXPECT_TRUE(st().cr0 & cr0::PE);
  EXPECT_TRUE(st().cr0 & cr0::TS);
  code({0x0F, 0x06});  // clts
  cpu.state().rip = kCode;
  run(1);
  EXPECT_FALSE(st().cr0 & cr0::TS);
}

TEST_F(Sys, LmswSetsPeFromRealMode) {
  real16();
  set(RAX, 1);
  code({0x0F, 0x01, 0xF0});
  run(1);
  EXPECT_EQ(cpu.mode(), Mode::Protected);
}

TEST_F(Sys, Dr4AliasesDr6UnlessCr4De) {
  setup_pm();
  code({0x0F, 0x21, 0xE0});  // mov eax, dr4
  run(1);
  EXPECT_EQ(eax(), 0xFFFF0FF0u);
  setup_pm();
  cpu.write_cr4(cr4::DE);
  EXPECT_EQ(fault_of({0x0F, 0x21, 0xE0}), UD);
}

TEST_F(Sys, Dr7WriteKeepsFixedBits) {
  setup_pm();
  set(RAX, 0xFFFFFFFF);
  code({0x0F, 0x23, 0xF8});  // mov dr7, eax
  run(1);
  EXPECT_EQ(st().dr[7], 0xFFFF27FFu);
}

// ---------------------------------------------------------------------------------------
// Paging: TLB maintenance, #PF error codes, A/D bits, PAE/NX, PSE

TEST_F(Sys, Cr3ReloadFlushesStaleTranslation) {
  setup_pm();
  setup_paging();
  bus.set_dword(0x9000, 0x11111111);
  bus.set_dword(0xA000, 0x22222222);
  set(RCX, kPd);
  // mov eax, [0x9000]; mov eax, [0x9000]; mov cr3, ecx; mov eax, [0x9000]
  code({0xA1, 0x00, 0x90, 0x00, 0x00, 0xA1, 0x00, 0x90, 0x00, 0x00, 0x0F, 0x22, 0xD9,
        0xA1, 0x00, 0x90, 0x00, 0x00});
  run(1);
  EXPECT_EQ(eax(), 0x11111111u);
  set_pte(0x9000, 0xA000 | 0x7);  // remap without telling the CPU
  run(1);
  EXPECT_EQ(eax(), 0x11111111u);  // stale TLB entry still used
  run(2);
  EXPECT_EQ(eax(), 0x22222222u);  // after the CR3 reload
}

TEST_F(Sys, InvlpgFlushesOnePage) {
  setup_pm();
  setup_paging();
  bus.set_dword(0x9000, 0x11111111);
  bus.set_dword(0xA000, 0x22222222);
  // mov eax, [0x9000]; invlpg [0x9000]; mov eax, [0x9000]
  code({0xA1, 0x00, 0x90, 0x00, 0x00, 0x0F, 0x01, 0x3D, 0x00, 0x90, 0x00, 0x00, 0xA1, 0x00,
        0x90, 0x00, 0x00});
  run(1);
  set_pte(0x9000, 0xA000 | 0x7);
  run(2);
  EXPECT_EQ(eax(), 0x22222222u);
}

TEST_F(Sys, GlobalPageSurvivesCr3Reload) {
  setup_pm();
  setup_paging();
  cpu.write_cr4(cr4::PGE);
  set_pte(0x9000, 0x9000 | 0x107);  // global
  bus.set_dword(0x9000, 0x11111111);
  bus.set_dword(0xA000, 0x22222222);
  set(RCX, kPd);
  code({0xA1, 0x00, 0x90, 0x00, 0x00, 0x0F, 0x22, 0xD9, 0xA1, 0x00, 0x90, 0x00, 0x00});
  run(1);
  set_pte(0x9000, 0xA000 | 0x107);
  run(2);
  EXPECT_EQ(eax(), 0x11111111u);  // SDM Vol.3 4.10.4.1: CR3 loads keep global entries
}

TEST_F(Sys, UserReadOfSupervisorPageFaults) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x3);  // supervisor, writable
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xA1, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x5u);  // P | U
  EXPECT_EQ(st().cr2, 0x9000u);
}

TEST_F(Sys, UserWriteToReadOnlyPageFaults) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x5);  // user, read-only
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0xA3, 0x04, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x7u);  // P | W | U
  EXPECT_EQ(st().cr2, 0x9004u);
}

TEST_F(Sys, SupervisorWriteToReadOnlyPageDependsOnWp) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x5);
  set(RAX, 0xCAFE);
  code({0xA3, 0x00, 0x90, 0x00, 0x00});  // mov [0x9000], eax
  run(1);
  EXPECT_EQ(bus.dword(0x9000), 0xCAFEu);  // WP=0: supervisor writes ignore R/W
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0x9000 | 0x5);
  cpu.write_cr0(st().cr0 | cr0::WP);
  EXPECT_EQ(fault_of({0xA3, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x3u);  // P | W, supervisor
  EXPECT_EQ(st().cr2, 0x9000u);
}

TEST_F(Sys, NotPresentPageFaultHasPClear) {
  setup_pm();
  setup_paging();
  set_pte(0x9000, 0);
  EXPECT_EQ(fault_of({0xA3, 0x00, 0x90, 0x00, 0x00}), PF);
  EXPECT_EQ(error_code(), 0x2u);  // W only
}

TEST_F(Sys, AccessedAndDirtyBitsAreSet) {
  setup_pm();
  setup_paging();
  code({0xA1, 0x00, 0x90, 0x00, 0x00, 0xA3, 0x00, 0x90, 0x00, 0x00});
  run(1);
  EXPECT_TRUE(pte(0x9000) & 0x20);
  EXPECT_FALSE(pte(0x9000) & 0x40);
  EXPECT_TRUE(bus.dword(kPd) & 0x20);
  run(1);
  EXPECT_TRUE(pte(0x9000) & 0x40);
}

TEST_F(Sys, Pse4MiBPage) {
  setup_pm();
  setup_paging();
  cpu.write_cr4(cr4::PSE);
  bus.set_dword(kPd + 4, 0x800000 | 0x83);  // linear 4 MiB → physical 8 MiB, PS
  bus.set_dword(0x800010, 0xFEEDF00D);
  code({0xA1, 0x10, 0x00, 0x40, 0x00});  // mov eax, [0x400010]
  run(1);
  EXPECT_EQ(eax(), 0xFEEDF00Du);
  EXPECT_TRUE(bus.dword(kPd + 4) & 0x20);
}

TEST_F(Sys, PaeNxFetchFaultSetsInstructionBit) {
  setup_pm();
  constexpr uint32_t kPdpt = 0x12000, kPaePd = 0x13000, kPaePt = 0x14000;
  auto set_q = [&](uint32_t a, uint64_t v) {
    bus.set_dword(a, uint32_t(v));
    bus.set_dword(a + 4, uint32_t(v >> 32));
  };
  set_q(kPdpt, kPaePd | 1);
  set_q(kPaePd, kPaePt | 7);
  for (uint32_t p = 0; p < 512; ++p) set_q(kPaePt + p * 8, (uint64_t(p) << 12) | 7);
  set_q(kPaePt + 9 * 8, 0x9000 | 7 | (1ull << 63));  // page 0x9000: execute-disable
  bus.load(0x9000, {0x90});
  set(RCX, msr::EFER);
  set(RAX, efer::NXE);
  set(RDX, 0);
  // wrmsr; jmp 0x9000
  code({0x0F, 0x30, 0xE9, 0xF9, 0x7F, 0x00, 0x00});
  cpu.write_cr4(cr4::PAE);
  cpu.write_cr3(kPdpt);
  cpu.write_cr0(st().cr0 | cr0::PG);
  go();
  EXPECT_EQ(vector_taken(), PF);
  EXPECT_EQ(error_code(), 0x11u);  // P | I/D
  EXPECT_EQ(st().cr2, 0x9000u);
  EXPECT_EQ(stack_dword(1), 0x9000u);
}

// ---------------------------------------------------------------------------------------
// CPUID

TEST_F(Sys, CpuidVendorAndSignature) {
  setup_pm();
  EXPECT_EQ(cpuid_reg(0, RAX), 7u);
  char vendor[13] = {};
  const uint32_t b = reg(RBX), d = reg(RDX), c = reg(RCX);
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &d, 4);
  std::memcpy(vendor + 8, &c, 4);
  EXPECT_STREQ(vendor, "GenuineIntel");
  EXPECT_EQ(cpuid_reg(1, RAX), 0x000306C3u);
  const uint32_t edx = reg(RDX);
  EXPECT_EQ(edx & 1, 0u);                // no FPU
  EXPECT_EQ(edx & (1u << 23), 0u);       // no MMX
  EXPECT_EQ(edx & (1u << 25), 0u);       // no SSE
  // PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT PSE-36
  for (unsigned bit : {3u, 4u, 5u, 6u, 8u, 9u, 11u, 13u, 15u, 16u, 17u})
    EXPECT_TRUE(edx & (1u << bit)) << bit;
  EXPECT_EQ(reg(RCX), 0u);               // no VMX yet
}

TEST_F(Sys, CpuidExtendedLeaves) {
  setup_pm();
  EXPECT_EQ(cpuid_reg(0x80000000, RAX), 0x80000008u);
  EXPECT_TRUE(cpuid_reg(0x80000001, RDX) & (1u << 20));  // NX
  EXPECT_FALSE(reg(RDX) & (1u << 29));                   // no long mode yet
  EXPECT_EQ(cpuid_reg(0x80000008, RAX), 0x3027u);        // 48 linear, 39 physical
  std::string brand;
  for (uint32_t leaf = 0x80000002; leaf <= 0x80000004; ++leaf) {
    cpuid_reg(leaf, RAX);
    for (unsigned r : {RAX, RBX, RCX, RDX}) {
      const uint32_t v = reg(r);
      brand.append(reinterpret_cast<const char*>(&v), 4);
    }
  }
  EXPECT_STREQ(brand.c_str(), "Ringside x86 simulator");
}

TEST_F(Sys, CpuidLeaf7AdvertisesUmip) {
  setup_pm();
  set(RCX, 0);
  EXPECT_EQ(cpuid_reg(7, RCX), 1u << 2);
  EXPECT_EQ(reg(RBX), 0u);
}

TEST_F(Sys, CpuidUnknownLeafReturnsHighestBasicLeaf) {
  setup_pm();
  set(RCX, 0);
  EXPECT_EQ(cpuid_reg(0x20, RCX), 1u << 2);  // leaf 7's data
  set(RCX, 0);
  EXPECT_EQ(cpuid_reg(0x80000009, RCX), 1u << 2);
  EXPECT_EQ(cpuid_reg(0x80000005, RAX), 0u);  // in range but nothing to report: zeros
}

// ---------------------------------------------------------------------------------------
// Time stamp counter and MSRs

TEST_F(Sys, RdtscIsCyclesPlusOffsetAndMonotonic) {
  setup_pm();
  code({0x0F, 0x31, 0x89, 0xC3, 0x0F, 0x31});  // rdtsc; mov ebx, eax; rdtsc
  const uint64_t c0 = st().cycles;
  run(1);
  EXPECT_EQ((uint64_t(reg(RDX)) << 32) | eax(), c0 + st().msrs.tsc_offset);
  run(2);
  EXPECT_GT(eax(), reg(RBX));
}

TEST_F(Sys, WrmsrTscSetsCounter) {
  setup_pm();
  set(RCX, msr::TSC);
  set(RAX, 0x9ABCDEF0);
  set(RDX, 0x12);
  code({0x0F, 0x30, 0x0F, 0x31});  // wrmsr; rdtsc
  run(2);
  const uint64_t t = (uint64_t(reg(RDX)) << 32) | eax();
  EXPECT_GE(t, 0x129ABCDEF0ull);
  EXPECT_LT(t, 0x129ABCDEF0ull + 1000);
}

TEST_F(Sys, RdtscWithTsdAtCpl3IsGp) {
  setup_pm();
  cpu.write_cr4(cr4::TSD);
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(fault_of({0x0F, 0x31}), GP);
}

TEST_F(Sys, RdmsrUnknownIsGp0) {
  setup_pm();
  set(RCX, 0x12345);
  EXPECT_EQ(fault_of({0x0F, 0x32}), GP);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(Sys, RdmsrReadsPowerUpPat) {
  setup_pm();
  set(RCX, msr::PAT);
  code({0x0F, 0x32});
  run(1);
  EXPECT_EQ(eax(), 0x00070406u);
  EXPECT_EQ(reg(RDX), 0x00070406u);
}

TEST_F(Sys, FeatureControlLocks) {
  setup_pm();
  set(RCX, msr::FEATURE_CONTROL);
  set(RAX, 0x5);  // lock + VMX outside SMX
  set(RDX, 0);
  code({0x0F, 0x30, 0x0F, 0x30});
  run(1);
  EXPECT_EQ(st().msrs.feature_control, 5u);
  go();
  EXPECT_EQ(vector_taken(), GP);  // locked until reset
}

TEST_F(Sys, EferReservedBitsAndInvalidPatAreGp) {
  setup_pm();
  set(RCX, msr::EFER);
  set(RAX, efer::LME);  // IA-32e is not implemented: reserved here
  set(RDX, 0);
  EXPECT_EQ(fault_of({0x0F, 0x30}), GP);
  setup_pm();
  set(RCX, msr::PAT);
  set(RAX, 0x02);  // memory type 2 is reserved
  set(RDX, 0);
  EXPECT_EQ(fault_of({0x0F, 0x30}), GP);
}

TEST_F(Sys, RdtscpReturnsTscAux) {
  setup_pm();
  set(RCX, msr::TSC_AUX);
  set(RAX, 7);
  set(RDX, 0);
  code({0x0F, 0x30, 0x0F, 0x01, 0xF9});  // wrmsr; rdtscp
  run(2);
  EXPECT_EQ(reg(RCX), 7u);
}

TEST_F(Sys, RdpmcIsGp) {
  setup_pm();
  set(RCX, 0);
  EXPECT_EQ(fault_of({0x0F, 0x33}), GP);
}

// ---------------------------------------------------------------------------------------
// SYSENTER / SYSEXIT

TEST_F(Sys, SysenterSysexitRoundTrip) {
  setup_pm();
  auto wr = [&](uint32_t index, uint32_t v) {
    set(RCX, index);
    set(RAX, v);
    set(RDX, 0);
    cpu.state().rip = kCode;
    code({0x0F, 0x30});
    run(1);
  };
  wr(msr::SYSENTER_CS, 0x08);
  wr(msr::SYSENTER_ESP, 0x6000);
  wr(msr::SYSENTER_EIP, 0x2000);
  bus.load(0x2000, {0x0F, 0x35});  // sysexit
  enter_ring3(kCode, kStack3);
  cpu.state().eflags |= flag::IF;
  code({0x0F, 0x34});  // sysenter
  run(1);
  EXPECT_EQ(st().cpl, 0);
  EXPECT_EQ(st().seg[CS].selector, 0x08);
  EXPECT_EQ(st().seg[SS].selector, 0x10);
  EXPECT_EQ(reg(RSP), 0x6000u);
  EXPECT_EQ(st().rip, 0x2000u);
  EXPECT_FALSE(flag_set(flag::IF));
  set(RCX, 0x5000);
  set(RDX, 0x1100);
  run(1);
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(st().seg[CS].selector, 0x1B);
  EXPECT_EQ(st().seg[SS].selector, 0x23);
  EXPECT_EQ(st().seg[CS].dpl(), 3u);
  EXPECT_EQ(reg(RSP), 0x5000u);
  EXPECT_EQ(st().rip, 0x1100u);
}

TEST_F(Sys, SysenterWithNullCsIsGp) {
  setup_pm();
  EXPECT_EQ(fault_of({0x0F, 0x34}), GP);
}

// ---------------------------------------------------------------------------------------
// Group 9, VMX and SMM opcodes without VMX/SMM

TEST_F(Sys, Cmpxchg8bSuccessAndFailure) {
  setup_pm();
  bus.set_dword(kData, 0x11111111);
  bus.set_dword(kData + 4, 0x22222222);
  set(RAX, 0x11111111);
  set(RDX, 0x22222222);
  set(RBX, 0x33333333);
  set(RCX, 0x44444444);
  code({0x0F, 0xC7, 0x0D, 0x00, 0x80, 0x00, 0x00, 0x0F, 0xC7, 0x0D, 0x00, 0x80, 0x00, 0x00});
  run(1);
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(bus.dword(kData), 0x33333333u);
  EXPECT_EQ(bus.dword(kData + 4), 0x44444444u);
  run(1);  // EDX:EAX no longer matches
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_EQ(eax(), 0x33333333u);
  EXPECT_EQ(reg(RDX), 0x44444444u);
}

TEST_F(Sys, Cmpxchg8bRegisterFormIsUd) {
  setup_pm();
  EXPECT_EQ(fault_of({0x0F, 0xC7, 0xC8}), UD);
}

TEST_F(Sys, VmxAndSmmOpcodesAreUdWithoutSupport) {
  const std::initializer_list<uint8_t> cases[] = {
      {0x0F, 0x01, 0xC1},                          // vmcall
      {0x0F, 0x01, 0xC8},                          // monitor
      {0x0F, 0x78, 0xC1},                          // vmread
      {0xF3, 0x0F, 0xC7, 0x35, 0x00, 0x80, 0x00, 0x00},  // vmxon [0x8000]
      {0x0F, 0xAA},                                // rsm
  };
  for (const auto& bytes : cases) {
    setup_pm();
    EXPECT_EQ(fault_of(bytes), UD) << std::hex << unsigned(*(bytes.begin() + 1));
  }
}

// ---------------------------------------------------------------------------------------
// Stores of system registers, CR2/CR4 moves, cache instructions, a null LDT

TEST_F(Sys, SmswSldtStrToMemoryStoreAWord) {
  setup_pm();
  for (uint32_t a = kData; a < kData + 12; a += 4) bus.set_dword(a, 0xFFFFFFFF);
  code({0x0F, 0x01, 0x25, 0x00, 0x80, 0x00, 0x00,   // smsw [0x8000]
        0x0F, 0x00, 0x05, 0x04, 0x80, 0x00, 0x00,   // sldt [0x8004]
        0x0F, 0x00, 0x0D, 0x08, 0x80, 0x00, 0x00}); // str [0x8008]
  run(3);
  EXPECT_EQ(bus.dword(kData), 0xFFFF0000u | uint16_t(st().cr0));
  EXPECT_EQ(bus.dword(kData + 4), 0xFFFF0000u | st().ldtr.selector);
  EXPECT_EQ(bus.dword(kData + 8), 0xFFFF0000u | kTssSel);
}

TEST_F(Sys, StrToRegisterZeroExtendsOr16Bit) {
  setup_pm();
  set(RAX, 0xFFFFFFFF);
  set(RBX, 0xFFFFFFFF);
  code({0x0F, 0x00, 0xC8, 0x66, 0x0F, 0x00, 0xCB});  // str eax; str bx
  run(2);
  EXPECT_EQ(eax(), kTssSel);
  EXPECT_EQ(reg(RBX), 0xFFFF0000u | kTssSel);
}

TEST_F(Sys, MovToAndFromCr2AndCr4) {
  setup_pm();
  cpu.write_cr4(cr4::PSE | cr4::PGE);
  set(RAX, 0xDEADB000);
  code({0x0F, 0x22, 0xD0, 0x0F, 0x20, 0xD3, 0x0F, 0x20, 0xE1});  // mov cr2, eax; mov ebx, cr2; mov ecx, cr4
  run(3);
  EXPECT_EQ(st().cr2, 0xDEADB000u);
  EXPECT_EQ(reg(RBX), 0xDEADB000u);
  EXPECT_EQ(reg(RCX), uint32_t(cr4::PSE | cr4::PGE));
}

TEST_F(Sys, InvdWbinvdArePrivileged) {
  setup_pm();
  code({0x0F, 0x08, 0x0F, 0x09, 0xF4});
  go();
  EXPECT_EQ(vector_taken(), -1);
  EXPECT_EQ(st().rip, kCode + 5);
  for (uint8_t op : {0x08, 0x09}) {
    setup_pm();
    enter_ring3(kCode, kStack3);
    EXPECT_EQ(fault_of({0x0F, op}), GP);
  }
}

TEST_F(Sys, NullLdtMakesLdtSelectorsFault) {
  setup_pm();
  set(RAX, 0);
  set(RBX, 0x0C);  // LDT index 1
  code({0x0F, 0x00, 0xD0, 0x8E, 0xDB});  // lldt ax; mov ds, bx
  go();
  EXPECT_TRUE(st().ldtr.unusable());
  EXPECT_EQ(vector_taken(), GP);
  EXPECT_EQ(error_code(), 0x0Cu);
  EXPECT_EQ(stack_dword(1), kCode + 3);
}

}  // namespace
