// EPT, INVEPT, VPID and INVVPID, driven through the CPU: a hypervisor at CPL 0 (flat
// protected mode with 32-bit paging, identity-mapped first 4 MiB) builds EPT paging
// structures in memory, enters a guest whose code it placed at kGuestCode and lets it run
// into a VM exit (VMCALL when all went well). Expected behaviour from Intel SDM Vol.3:
// 28.3.2 (the EPT walk, Tables 28-1..28-6), 28.3.3.1 (misconfigurations), 28.3.3.2
// (violations), 28.3.5 (accessed and dirty flags), 27.2.1 Table 27-7 (EPT-violation exit
// qualification), 27.2.4 (IDT-vectoring information), 27.2.5 Table 27-15 (instruction
// information of INVEPT/INVVPID), 30.3 INVEPT/INVVPID "Operation", 26.2.1.1 (EPTP and VPID
// checks), A.10 (IA32_VMX_EPT_VPID_CAP).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/ept.h"
#include "vt/vmx.h"

namespace {

using cputest::kCode;
using cputest::kData;
using cputest::kStack;

constexpr uint32_t kVmxon = 0x20000;
constexpr uint32_t kVmcs = 0x21000;
constexpr uint32_t kGuestCode = 0x9000;
// EPT paging structures: PML4 at kEpt, PDPT at +0x1000, PD at +0x2000, the page tables
// of the first 4 MiB at +0x3000 and +0x4000.
constexpr uint32_t kEpt = 0x100000;
constexpr uint32_t kEptPdpt = kEpt + 0x1000, kEptPd = kEpt + 0x2000, kEptPt = kEpt + 0x3000;
constexpr uint64_t kWb = 6u << 3;  // memory type of a leaf entry (bits 5:3)
constexpr uint64_t kRwx = 7;
constexpr uint32_t kEptpWb4 = 6 | (3u << 3);  // WB, page-walk length 4

// Field encodings (SDM Appendix B).
constexpr uint32_t kVpid = 0x0000, kEptp = 0x201A, kGuestPhysical = 0x2400, kPrimary = 0x4002,
                   kSecondary = 0x401E, kError = 0x4400, kReason = 0x4402, kIdtVectoring = 0x4408,
                   kIdtVectoringEc = 0x440A, kInsnLen = 0x440C, kInsnInfo = 0x440E,
                   kQualification = 0x6400, kGuestLinear = 0x640A;

const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
const std::vector<uint8_t> kVmresume = {0x0F, 0x01, 0xC3};
const std::vector<uint8_t> kInveptEdxEax = {0x66, 0x0F, 0x38, 0x80, 0x10};   // invept edx, [eax]
const std::vector<uint8_t> kInvvpidEdxEax = {0x66, 0x0F, 0x38, 0x81, 0x10};  // invvpid edx, [eax]
constexpr uint8_t kVmcallBytes[] = {0x0F, 0x01, 0xC1};

constexpr uint32_t kArith = cpu::flag::ARITH;

class EptTest : public cputest::SysTest {
 protected:
  explicit EptTest(const char* profile = "haswell") : vmx(*vt::find_profile(profile)) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    const auto guest = vttest::guest_state_from(cpu.state(), cpu.flags());
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(kData, kVmxon);
    bus.set_dword(kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, kData + 8), 0u);
    // Controls: the allowed-0 settings of the TRUE_* MSRs (SDM A.3), plus "activate
    // secondary controls" and "enable EPT".
    for (auto [enc, msr] : {std::pair{0x4000u, vt::msr::VMX_TRUE_PINBASED_CTLS},
                            std::pair{kPrimary, vt::msr::VMX_TRUE_PROCBASED_CTLS},
                            std::pair{0x400Cu, vt::msr::VMX_TRUE_EXIT_CTLS},
                            std::pair{0x4012u, vt::msr::VMX_TRUE_ENTRY_CTLS}}) {
      uint64_t v = 0;
      ASSERT_TRUE(vmx.capabilities().read_msr(msr, v));
      write(enc, uint32_t(v) | (enc == kPrimary ? 1u << 31 : 0u));
    }
    write(kSecondary, 1u << 1);
    write(kEptp, kEptpWb4 | kEpt);
    write(0x6C00, uint32_t(cpu.state().cr0));
    write(0x6C02, uint32_t(cpu.state().cr3));
    write(0x6C04, uint32_t(cpu.state().cr4));
    write(0x0C02, 0x08);
    for (uint32_t enc : {0x0C00u, 0x0C04u, 0x0C06u, 0x0C08u, 0x0C0Au}) write(enc, 0x10);
    write(0x0C0C, 0x28);
    write(0x6C16, 0x3000);  // host RIP: the #DE handler's HLT
    write(0x6C14, 0x8000);
    for (const auto& [enc, val] : guest) {
      write(enc, uint32_t(val));
      if (enc == vttest::kLinkPointer) write(enc + 1, uint32_t(val >> 32));
    }
    write(vttest::kGRip, kGuestCode);
    // EPT: the first 4 MiB identity-mapped with 4 KiB pages, read/write/execute, WB.
    bus.set_dword(kEpt, kEptPdpt | 7);
    bus.set_dword(kEptPdpt, kEptPd | 7);
    bus.set_dword(kEptPd, kEptPt | 7);
    bus.set_dword(kEptPd + 8, (kEptPt + 0x1000) | 7);
    for (uint32_t p = 0; p < 1024; ++p) set_ept_pte(p << 12, (uint64_t(p) << 12) | kWb | kRwx);
  }

  // Runs one host instruction at kCode; returns the arithmetic flags (CF/ZF = VMfail).
  uint32_t exec(const std::vector<uint8_t>& bytes, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    cpu.phys_write(kCode, bytes.data(), bytes.size());
    auto& s = cpu.state();
    s.rip = kCode;
    s.halted = false;
    s.gpr[cpu::RSP] = kStack;
    s.gpr[cpu::RAX] = eax;
    s.gpr[cpu::RCX] = ecx;
    s.gpr[cpu::RDX] = edx;
    cpu.set_flags(cpu.flags() | kArith);
    cpu.step();
    return cpu.flags() & kArith;
  }
  void write(uint32_t enc, uint32_t v) { ASSERT_EQ(exec(kVmwriteEdxEcx, 0, v, enc), 0u) << std::hex << enc; }
  uint64_t field(uint32_t enc) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v));
    return v;
  }

  // The EPT page-table entry of a guest-physical address below 4 MiB.
  static uint32_t ept_pte_addr(uint32_t gpa) { return kEptPt + (gpa >> 12) * 8; }
  void set_ept_pte(uint32_t gpa, uint64_t v) {
    bus.set_dword(ept_pte_addr(gpa), uint32_t(v));
    bus.set_dword(ept_pte_addr(gpa) + 4, uint32_t(v >> 32));
  }
  uint64_t ept_entry(uint32_t at) const { return uint64_t(bus.dword(at)) | (uint64_t(bus.dword(at + 4)) << 32); }

  // Places the guest code at kGuestCode, followed by VMCALL, sets the guest RIP to it and
  // runs VMLAUNCH (VMRESUME once launched) until the host halts at its RIP (0x3000) after
  // the exit. Returns the basic exit reason.
  uint32_t run_guest(std::vector<uint8_t> guest, uint32_t rip = kGuestCode) {
    guest.insert(guest.end(), std::begin(kVmcallBytes), std::end(kVmcallBytes));
    cpu.phys_write(kGuestCode, guest.data(), guest.size());
    write(vttest::kGRip, rip);
    const std::vector<uint8_t>& enter = vmx.state().launched ? kVmresume : kVmlaunch;
    cpu.phys_write(kCode, enter.data(), enter.size());
    auto& s = cpu.state();
    s.rip = kCode;
    s.halted = false;
    go();
    EXPECT_FALSE(cpu.non_root());
    EXPECT_EQ(cpu.state().rip, 0x3001u) << "the host did not reach its HLT";
    return uint32_t(field(kReason));
  }

  vt::Vmx vmx;
};

// ---- Translation (SDM 28.3.2) -------------------------------------------------------------

TEST_F(EptTest, IdentityMappedGuestRunsToVmcall) {
  bus.set_dword(0x200000, 0x12345678);
  // mov eax, [0x200000]; mov dword [0x200004], 0xCAFE
  EXPECT_EQ(run_guest({0xA1, 0x00, 0x00, 0x20, 0x00, 0xC7, 0x05, 0x04, 0x00, 0x20, 0x00, 0xFE, 0xCA, 0x00, 0x00}),
            cpu::exit_reason::Vmcall);
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0x12345678u);
  EXPECT_EQ(bus.dword(0x200004), 0xCAFEu);
  // Without EPTP bit 6 no accessed/dirty flag is written (SDM 28.3.5).
  EXPECT_EQ(ept_entry(ept_pte_addr(0x200000)), 0x200000u | kWb | kRwx);
  EXPECT_EQ(ept_entry(kEpt), uint64_t(kEptPdpt | 7));
}

TEST_F(EptTest, GuestPhysicalPagesAreRemapped) {
  // Guest-physical 0x200000 (identity-mapped by the guest's paging) -> host 0x300000.
  set_ept_pte(0x200000, 0x300000 | kWb | kRwx);
  bus.set_dword(0x200010, 0x11111111);
  bus.set_dword(0x300010, 0x22222222);
  // mov eax, [0x200010]; mov dword [0x200014], 0x33
  run_guest({0xA1, 0x10, 0x00, 0x20, 0x00, 0xC7, 0x05, 0x14, 0x00, 0x20, 0x00, 0x33, 0x00, 0x00, 0x00});
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0x22222222u);
  EXPECT_EQ(bus.dword(0x300014), 0x33u);
  EXPECT_EQ(bus.dword(0x200014), 0u);
}

TEST_F(EptTest, TwoMegabyteAndOneGigabytePages) {
  // A PDE with bit 7 maps 2 MiB (Table 28-4): guest-physical 0x200000-0x3FFFFF -> 0x600000.
  bus.set_dword(kEptPd + 8, 0x600000 | 0x80 | kWb | kRwx);
  bus.set_dword(0x601234, 0xABCD);
  run_guest({0xA1, 0x34, 0x12, 0x20, 0x00});  // mov eax, [0x201234]
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0xABCDu);
  // A PDPTE with bit 7 maps 1 GiB (Table 28-2): everything identity-mapped by one entry.
  bus.set_dword(kEptPdpt, 0x80 | kWb | kRwx);
  bus.set_dword(0x201234, 0x5678);
  run_guest({0xA1, 0x34, 0x12, 0x20, 0x00});
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0x5678u);
}

TEST_F(EptTest, ExecuteOnlyPageRunsButCannotBeRead) {
  // Execute-only (bits 2:0 = 100b) is allowed with IA32_VMX_EPT_VPID_CAP bit 0 (28.3.3.1).
  set_ept_pte(kGuestCode, kGuestCode | kWb | 4);
  EXPECT_EQ(run_guest({0xB8, 0x01, 0x00, 0x00, 0x00}), cpu::exit_reason::Vmcall);  // mov eax, 1
  EXPECT_EQ(run_guest({0xA1, 0x00, 0x90, 0x00, 0x00}), cpu::exit_reason::EptViolation);  // mov eax, [0x9000]
  // Data read (bit 0), entries execute-only (bit 5), linear address valid and translated.
  EXPECT_EQ(field(kQualification), 0x1A1u);
  EXPECT_EQ(field(kGuestPhysical), kGuestCode);
}

// ---- EPT violations (SDM 28.3.3.2, Table 27-7) ---------------------------------------------

TEST_F(EptTest, ReadOfANotPresentPageIsAViolation) {
  set_ept_pte(0x201000, 0);
  cpu.state().gpr[cpu::RAX] = 0;
  // mov ecx, 7; mov eax, [0x201ABC]
  EXPECT_EQ(run_guest({0xB9, 0x07, 0x00, 0x00, 0x00, 0xA1, 0xBC, 0x1A, 0x20, 0x00}), cpu::exit_reason::EptViolation);
  // Bit 0 data read; bits 5:3 0 (not present); bit 7 linear address valid; bit 8 the
  // access was to the translation of that linear address.
  EXPECT_EQ(field(kQualification), 0x181u);
  EXPECT_EQ(field(kGuestPhysical), 0x201ABCu);
  EXPECT_EQ(field(kGuestLinear), 0x201ABCu);
  // A fault-like exit: RIP at the instruction, which did not complete.
  EXPECT_EQ(field(vttest::kGRip), kGuestCode + 5);
  EXPECT_EQ(field(kIdtVectoring) & 0x80000000u, 0u);
  EXPECT_EQ(vmx.exit_count(cpu::exit_reason::EptViolation), 1u);
}

TEST_F(EptTest, WriteToAReadOnlyPageIsAViolationWithTheEntriesPermissions) {
  set_ept_pte(0x202000, 0x202000 | kWb | 5);  // read + execute
  bus.set_dword(0x202008, 0x77);
  // mov eax, [0x202008] (allowed); mov dword [0x202008], 1 (not)
  EXPECT_EQ(run_guest({0xA1, 0x08, 0x20, 0x20, 0x00, 0xC7, 0x05, 0x08, 0x20, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00}),
            cpu::exit_reason::EptViolation);
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0x77u);
  // Bit 1 data write; bits 3 and 5 (readable, executable); bits 7 and 8.
  EXPECT_EQ(field(kQualification), 0x1AAu);
  EXPECT_EQ(field(kGuestPhysical), 0x202008u);
  EXPECT_EQ(field(kGuestLinear), 0x202008u);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode + 5);
  EXPECT_EQ(bus.dword(0x202008), 0x77u);
}

TEST_F(EptTest, PermissionsAreTheAndOfAllLevels) {
  // A PDE without write permission makes the whole 2 MiB read-only (28.3.2).
  bus.set_dword(kEptPd + 8, (kEptPt + 0x1000) | 5);
  run_guest({0xC7, 0x05, 0x00, 0x30, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00});  // mov dword [0x203000], 1
  EXPECT_EQ(field(kReason), cpu::exit_reason::EptViolation);
  EXPECT_EQ(field(kQualification), 0x1AAu);
}

TEST_F(EptTest, FetchFromANonExecutablePageIsAViolation) {
  set_ept_pte(0x204000, 0x204000 | kWb | 3);  // read + write
  // jmp 0x204000 (E9 rel32 from kGuestCode + 5)
  const uint32_t rel = 0x204000 - (kGuestCode + 5);
  EXPECT_EQ(run_guest({0xE9, uint8_t(rel), uint8_t(rel >> 8), uint8_t(rel >> 16), uint8_t(rel >> 24)}),
            cpu::exit_reason::EptViolation);
  // Bit 2 instruction fetch; bits 3-4 readable and writable.
  EXPECT_EQ(field(kQualification), 0x19Cu);
  EXPECT_EQ(field(kGuestPhysical), 0x204000u);
  EXPECT_EQ(field(kGuestLinear), 0x204000u);
  EXPECT_EQ(field(vttest::kGRip), 0x204000u);
}

TEST_F(EptTest, GuestPagingStructureReadIsAViolationWithBit8Clear) {
  // The guest's page table (kPt) is not mapped: the guest's first fetch walks into it.
  set_ept_pte(cputest::kPt, 0);
  EXPECT_EQ(run_guest({0x90}), cpu::exit_reason::EptViolation);
  // Bit 0 (a read), bit 7 (linear address valid), bit 8 clear: a paging-structure entry.
  EXPECT_EQ(field(kQualification), 0x81u);
  EXPECT_EQ(field(kGuestPhysical), cputest::kPt + (kGuestCode >> 12) * 4);
  EXPECT_EQ(field(kGuestLinear), kGuestCode);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode);
}

TEST_F(EptTest, GuestAccessedFlagUpdateIsAWrite) {
  // The guest page table is read-only in EPT. Pages whose guest PTE has A set walk fine;
  // setting A (SDM Vol.3 4.8) is a write to the paging structure.
  set_ept_pte(cputest::kPt, cputest::kPt | kWb | 1);
  set_pte(kGuestCode, kGuestCode | 0x27);  // A already set
  set_pte(0x205000, 0x205000 | 0x7);       // A clear
  bus.set_dword(cputest::kPd, bus.dword(cputest::kPd) | 0x20);
  EXPECT_EQ(run_guest({0xA1, 0x00, 0x50, 0x20, 0x00}), cpu::exit_reason::EptViolation);  // mov eax, [0x205000]
  // Bit 1 (write), bit 3 (the entries allow reading), bit 7; bit 8 clear.
  EXPECT_EQ(field(kQualification), 0x8Au);
  EXPECT_EQ(field(kGuestPhysical), cputest::kPt + (0x205000u >> 12) * 4);
  EXPECT_EQ(field(kGuestLinear), 0x205000u);
}

TEST_F(EptTest, ViolationDuringEventDeliveryReportsTheEvent) {
  // The guest IDT (page 0, with the GDT) is not mapped: #UD from UD2 cannot be delivered.
  set_ept_pte(0, 0);
  EXPECT_EQ(run_guest({0x0F, 0x0B}), cpu::exit_reason::EptViolation);
  EXPECT_EQ(field(kGuestPhysical), cputest::kIdt + 6 * 8u);
  EXPECT_EQ(field(kQualification), 0x181u);
  // SDM 27.2.4: valid, hardware exception (type 3), vector 6, no error code.
  EXPECT_EQ(field(kIdtVectoring), 0x80000306u);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode);
  // INT 0x10: a software interrupt (type 4), with the instruction's length.
  EXPECT_EQ(run_guest({0xCD, 0x10}), cpu::exit_reason::EptViolation);
  EXPECT_EQ(field(kGuestPhysical), cputest::kIdt + 0x10 * 8u);
  EXPECT_EQ(field(kIdtVectoring), 0x80000410u);
  EXPECT_EQ(field(kInsnLen), 2u);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode);
}

TEST_F(EptTest, ViolationDeliveringAnInjectedEventReportsIt) {
  // VM entry injects #GP(0) (SDM 26.6); its IDT entry is on a page EPT does not map: the
  // exit's IDT-vectoring information is the injected event (27.2.4), guest RIP the one
  // VM entry loaded.
  set_ept_pte(0, 0);
  write(0x4016, 0x80000B0Du);  // valid, hardware exception, error code, vector 13
  write(0x4018, 0);
  EXPECT_EQ(run_guest({0x90}), cpu::exit_reason::EptViolation);
  EXPECT_EQ(field(kGuestPhysical), cputest::kIdt + 13 * 8u);
  EXPECT_EQ(field(kIdtVectoring), 0x80000B0Du);
  EXPECT_EQ(field(kIdtVectoringEc), 0u);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode);
  EXPECT_EQ(field(0x4016) & 0x80000000u, 0u);  // the valid bit is cleared by the exit
}

TEST_F(EptTest, PageFaultsComeBeforeEptChecksOfTheFinalAccess) {
  // A guest page that is not present in the guest's own paging: #PF, not an EPT exit,
  // even though EPT does not map it either.
  set_pte(0x206000, 0);
  set_ept_pte(0x206000, 0);
  write(0x4004, 1u << 14);  // exception bitmap: #PF exits
  EXPECT_EQ(run_guest({0xA1, 0x00, 0x60, 0x20, 0x00}), cpu::exit_reason::ExceptionOrNmi);
  EXPECT_EQ(field(kQualification), 0x206000u);
}

// ---- EPT misconfigurations (SDM 28.3.3.1) --------------------------------------------------

TEST_F(EptTest, Misconfigurations) {
  struct Case {
    uint32_t at;
    uint64_t value;
    const char* what;
  };
  const Case cases[] = {
      {ept_pte_addr(0x207000), 0x207000 | kWb | 2, "write-only"},
      {ept_pte_addr(0x207000), 0x207000 | kWb | 6, "write/execute"},
      {ept_pte_addr(0x207000), 0x207000 | (2u << 3) | kRwx, "memory type 2"},
      {ept_pte_addr(0x207000), 0x207000 | (7u << 3) | kRwx, "memory type 7"},
      {ept_pte_addr(0x207000), 0x207000 | kWb | kRwx | (1ull << 45), "bit beyond MAXPHYADDR"},
      {kEptPd + 8, (kEptPt + 0x1000) | 0x8 | 7, "PDE bit 3"},
      {kEptPd + 8, 0x200000 | 0x1000 | 0x80 | kWb | 7, "2 MiB page bit 12"},
      {kEpt, kEptPdpt | 0x80 | 7, "PML4E bit 7"},
  };
  for (const Case& k : cases) {
    const uint64_t old = ept_entry(k.at);
    bus.set_dword(k.at, uint32_t(k.value));
    bus.set_dword(k.at + 4, uint32_t(k.value >> 32));
    const uint32_t r = k.at == kEpt ? run_guest({0x90}) : run_guest({0xA1, 0x00, 0x70, 0x20, 0x00});
    EXPECT_EQ(r, cpu::exit_reason::EptMisconfig) << k.what;
    EXPECT_EQ(field(kQualification), 0u) << k.what;
    // With the PML4E broken, the first guest-physical access is the guest's PDE read.
    EXPECT_EQ(field(kGuestPhysical), k.at == kEpt ? cputest::kPd : 0x207000u) << k.what;
    bus.set_dword(k.at, uint32_t(old));
    bus.set_dword(k.at + 4, uint32_t(old >> 32));
  }
  // A misconfiguration lower in the walk wins over a missing permission higher up.
  bus.set_dword(kEptPd + 8, (kEptPt + 0x1000) | 5);
  set_ept_pte(0x207000, 0x207000 | (3u << 3) | kRwx);
  EXPECT_EQ(run_guest({0xC7, 0x05, 0x00, 0x70, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00}), cpu::exit_reason::EptMisconfig);
}

// ---- Accessed and dirty flags (SDM 28.3.5) -------------------------------------------------

TEST_F(EptTest, AccessedAndDirtyFlags) {
  write(kEptp, kEptpWb4 | (1u << 6) | kEpt);
  // mov eax, [0x208000]; mov dword [0x209000], 1
  run_guest({0xA1, 0x00, 0x80, 0x20, 0x00, 0xC7, 0x05, 0x00, 0x90, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00});
  EXPECT_EQ(field(kReason), cpu::exit_reason::Vmcall);
  // A in every entry used; D only in the leaf of the written page...
  EXPECT_EQ(ept_entry(kEpt) & 0x300, 0x100u);
  EXPECT_EQ(ept_entry(kEptPdpt) & 0x300, 0x100u);
  EXPECT_EQ(ept_entry(kEptPd + 8) & 0x300, 0x100u);
  EXPECT_EQ(ept_entry(ept_pte_addr(0x208000)) & 0x300, 0x100u);
  EXPECT_EQ(ept_entry(ept_pte_addr(0x209000)) & 0x300, 0x300u);
  // ...and in the leaf of the guest's page table, whose accesses count as writes.
  EXPECT_EQ(ept_entry(ept_pte_addr(cputest::kPt)) & 0x300, 0x300u);
  // Untouched pages have neither.
  EXPECT_EQ(ept_entry(ept_pte_addr(0x20A000)) & 0x300, 0u);
}

TEST_F(EptTest, DirtyFlagOnTheFirstWriteAfterARead) {
  write(kEptp, kEptpWb4 | (1u << 6) | kEpt);
  set_pte(0x20B000, 0x20B000 | 0x67);  // the guest's own dirty flag is set already
  // mov eax, [0x20B000]; mov [0x20B004], eax: the read fills the TLB first, without write
  // permission while the EPT dirty flag is clear.
  run_guest({0xA1, 0x00, 0xB0, 0x20, 0x00, 0xA3, 0x04, 0xB0, 0x20, 0x00});
  EXPECT_EQ(ept_entry(ept_pte_addr(0x20B000)) & 0x300, 0x300u);
}

TEST_F(EptTest, WithAccessDirtyPagingStructureReadsNeedWritePermission) {
  write(kEptp, kEptpWb4 | (1u << 6) | kEpt);
  set_ept_pte(cputest::kPt, cputest::kPt | kWb | 1);
  EXPECT_EQ(run_guest({0x90}), cpu::exit_reason::EptViolation);
  // Bits 0 and 1 both set for a paging-structure access (Table 27-7 footnote), bit 3.
  EXPECT_EQ(field(kQualification), 0x8Bu);
}

// ---- A processor without 1 GiB pages or A/D flags (the nehalem profile, SDM A.10) -------

class EptNehalemTest : public EptTest {
 protected:
  EptNehalemTest() : EptTest("nehalem") {}
};

TEST_F(EptNehalemTest, OneGigabytePdpteIsAMisconfigurationAndAdIsRefused) {
  bus.set_dword(kEptPdpt, 0x80 | kWb | kRwx);  // bit 7 of a PDPTE: reserved without 1 GiB pages
  EXPECT_EQ(run_guest({0x90}), cpu::exit_reason::EptMisconfig);
  bus.set_dword(kEptPdpt, kEptPd | 7);
  EXPECT_EQ(run_guest({0x90}), cpu::exit_reason::Vmcall);
  write(kEptp, kEptpWb4 | (1u << 6) | kEpt);  // A/D: EPT_VPID_CAP bit 21 is 0
  EXPECT_EQ(exec(vmx.state().launched ? kVmresume : kVmlaunch), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(kError), 7u);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "eptp");
}

// ---- VM entry checks on the EPTP (SDM 26.2.1.1) -------------------------------------------

TEST_F(EptTest, EntryChecksTheEptp) {
  write(kEptp, kEpt | 6 | (2u << 3));  // page-walk length 3
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(kError), 7u);
  write(kEptp, kEpt | 1 | (3u << 3));  // memory type WC: not in IA32_VMX_EPT_VPID_CAP
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  write(kEptp, kEpt | (3u << 3));  // UC is supported
  EXPECT_EQ(run_guest({}), cpu::exit_reason::Vmcall);
}

// ---- INVEPT (SDM 30.3) -------------------------------------------------------------------

TEST_F(EptTest, InveptTypesAndFailures) {
  auto desc = [&](uint64_t eptp) {
    bus.set_dword(kData + 0x10, uint32_t(eptp));
    bus.set_dword(kData + 0x14, uint32_t(eptp >> 32));
    bus.set_dword(kData + 0x18, 0);
    bus.set_dword(kData + 0x1C, 0);
  };
  desc(kEptpWb4 | kEpt);
  EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, 1), 0u);  // single-context
  EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, 2), 0u);  // all-context
  for (uint32_t type : {0u, 3u, 0x80000001u}) {
    write(kError, 0);
    EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, type), uint32_t(cpu::flag::ZF)) << type;
    EXPECT_EQ(field(kError), 28u) << type;
  }
  // Single-context with an EPTP VM entry would refuse: error 28; all-context ignores it.
  desc(kEpt | 6 | (2u << 3));
  EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, 1), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(kError), 28u);
  EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, 2), 0u);
  // 66 is mandatory: without it, #UD (the #UD handler's HLT at handler(6)).
  exec({0x0F, 0x38, 0x80, 0x10}, kData + 0x10, 0, 2);
  EXPECT_EQ(cpu.state().rip, handler(cpu::UD));
  // Register operand: #UD.
  exec({0x66, 0x0F, 0x38, 0x80, 0xD0}, 0, 0, 2);
  EXPECT_EQ(cpu.state().rip, handler(cpu::UD));
}

TEST_F(EptTest, InveptFlushesTranslations) {
  // An EPT change made by the host, followed by INVEPT, is what the next guest sees.
  bus.set_dword(0x200000, 1);
  bus.set_dword(0x300000, 2);
  run_guest({0xA1, 0x00, 0x00, 0x20, 0x00});
  EXPECT_EQ(cpu.reg32(cpu::RAX), 1u);
  set_ept_pte(0x200000, 0x300000 | kWb | kRwx);
  bus.set_dword(kData + 0x10, kEptpWb4 | kEpt);
  EXPECT_EQ(exec(kInveptEdxEax, kData + 0x10, 0, 1), 0u);
  run_guest({0xA1, 0x00, 0x00, 0x20, 0x00});
  EXPECT_EQ(cpu.reg32(cpu::RAX), 2u);
}

TEST_F(EptTest, InveptAndInvvpidExitInNonRootWithInstructionInformation) {
  // invept edx, [eax+0x10] (66 0F 38 80 50 10): qualification = displacement; Table 27-15:
  // address size 32 (bit 8 → value 1 in bits 9:7), DS (3 in 17:15), no index (bit 22),
  // base EAX (0 in 26:23), register EDX (2 in 31:28).
  EXPECT_EQ(run_guest({0x66, 0x0F, 0x38, 0x80, 0x50, 0x10}), cpu::exit_reason::Invept);
  EXPECT_EQ(field(kQualification), 0x10u);
  EXPECT_EQ(field(kInsnInfo), (1u << 7) | (3u << 15) | (1u << 22) | (2u << 28));
  EXPECT_EQ(field(kInsnLen), 6u);
  EXPECT_EQ(field(vttest::kGRip), kGuestCode);
  // invvpid ecx, [ebx+esi*4] (66 0F 38 81 0C B3): scale 2, index ESI, base EBX, reg ECX.
  EXPECT_EQ(run_guest({0x66, 0x0F, 0x38, 0x81, 0x0C, 0xB3}), cpu::exit_reason::Invvpid);
  EXPECT_EQ(field(kQualification), 0u);
  EXPECT_EQ(field(kInsnInfo), 2u | (1u << 7) | (3u << 15) | (6u << 18) | (3u << 23) | (1u << 28));
}

// ---- VPID and INVVPID (SDM 28.1, 26.2.1.1, 30.3) -------------------------------------------

TEST_F(EptTest, VpidMustNotBeZero) {
  write(kSecondary, (1u << 1) | (1u << 5));
  write(kVpid, 0);
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(kError), 7u);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "vpid_zero");
  write(kVpid, 1);
  EXPECT_EQ(run_guest({}), cpu::exit_reason::Vmcall);
}

TEST_F(EptTest, InvvpidTypesAndFailures) {
  auto desc = [&](uint64_t lo, uint64_t linear) {
    bus.set_dword(kData + 0x10, uint32_t(lo));
    bus.set_dword(kData + 0x14, uint32_t(lo >> 32));
    bus.set_dword(kData + 0x18, uint32_t(linear));
    bus.set_dword(kData + 0x1C, uint32_t(linear >> 32));
  };
  auto fails = [&](uint32_t type) {
    write(kError, 0);
    EXPECT_EQ(exec(kInvvpidEdxEax, kData + 0x10, 0, type), uint32_t(cpu::flag::ZF)) << type;
    EXPECT_EQ(field(kError), 28u) << type;
  };
  desc(5, 0x1000);
  for (uint32_t type = 0; type < 4; ++type)
    EXPECT_EQ(exec(kInvvpidEdxEax, kData + 0x10, 0, type), 0u) << type;
  fails(4);
  desc(0, 0x1000);  // VPID 0: only all-context (2) accepts it
  fails(0);
  fails(1);
  fails(3);
  EXPECT_EQ(exec(kInvvpidEdxEax, kData + 0x10, 0, 2), 0u);
  desc(5 | (1u << 16), 0);  // bits 63:16 reserved
  fails(2);
  desc(5, 0x0000800000000000ull);  // not canonical: only individual-address checks it
  fails(0);
  EXPECT_EQ(exec(kInvvpidEdxEax, kData + 0x10, 0, 1), 0u);
  desc(5, 0xFFFF800000000000ull);
  EXPECT_EQ(exec(kInvvpidEdxEax, kData + 0x10, 0, 0), 0u);
}

// ---- Unrestricted guest (SDM 23.8, 26.3.1.1-2, 26.3.2) -------------------------------------

// A guest in real mode: CR0.PE = PG = 0, segments as real mode leaves them (base = selector
// * 16, limit FFFFH, data type 3, CS type 11, DPL 0), the IVT at 0.
class UnrestrictedGuestTest : public EptTest {
 protected:
  void SetUp() override {
    EptTest::SetUp();
    write(kSecondary, (1u << 1) | (1u << 7));
    write(vttest::kGCr0, 0x30);  // NE, ET
    for (unsigned k : {vttest::kEs, vttest::kSs, vttest::kDs, vttest::kFs, vttest::kGs}) seg(k, 0, 0x93);
    seg(vttest::kCs, kGuestCode >> 4, 0x9B);
    write(vttest::kIdtrBase, 0);
    write(vttest::kIdtrLimit, 0x3FF);
    write(vttest::kGRsp, 0x7000);
    write(vttest::kGRflags, 2);
  }
  void seg(unsigned k, uint16_t selector, uint32_t ar) {
    write(vttest::kGuestSel + 2 * k, selector);
    write(vttest::kGuestBase + 2 * k, uint32_t(selector) << 4);
    write(vttest::kGuestLimit + 2 * k, 0xFFFF);
    write(vttest::kGuestAr + 2 * k, ar);
  }
};

TEST_F(UnrestrictedGuestTest, RealModeGuestRunsThroughEpt) {
  // Guest-physical 0x2000 (= linear: paging is off) -> host 0x300000.
  set_ept_pte(0x2000, 0x300000 | kWb | kRwx);
  // IVT entry 30H -> 0900:0040, a VMCALL.
  bus.set_dword(0x30 * 4, (uint32_t(kGuestCode >> 4) << 16) | 0x40);
  cpu.phys_write(kGuestCode + 0x40, kVmcallBytes, sizeof kVmcallBytes);
  // mov ax, 1234h; mov [2000h], ax; mov eax, cr0; mov cr0, eax (PE stays 0); int 30h
  EXPECT_EQ(run_guest({0xB8, 0x34, 0x12, 0xA3, 0x00, 0x20, 0x0F, 0x20, 0xC0, 0x0F, 0x22, 0xC0, 0xCD, 0x30}, 0),
            cpu::exit_reason::Vmcall);
  EXPECT_EQ(bus.dword(0x300000) & 0xFFFF, 0x1234u);
  EXPECT_EQ(bus.dword(0x2000), 0u);
  // The VMCALL in the handler: CS:IP saved, the real-mode interrupt frame below 7000H.
  EXPECT_EQ(field(vttest::kGuestSel + 2 * vttest::kCs), kGuestCode >> 4);
  EXPECT_EQ(field(vttest::kGRip), 0x40u);
  EXPECT_EQ(field(vttest::kGRsp), 0x7000u - 6);
  EXPECT_EQ(bus.dword(0x7000 - 6), ((kGuestCode >> 4) << 16) | 14u);  // IP after INT, CS
  EXPECT_EQ(field(vttest::kGCr0) & 0x80000001u, 0u);
}

TEST_F(UnrestrictedGuestTest, WithoutItARealModeGuestFailsEntry) {
  write(kSecondary, 1u << 1);
  EXPECT_EQ(run_guest({}, 0), cpu::exit_reason::kEntryFailure | cpu::exit_reason::InvalidGuestState);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "guest.cr0_fixed");
}

TEST_F(EptTest, UnrestrictedGuestInProtectedModeWithoutPaging) {
  write(kSecondary, (1u << 1) | (1u << 7));
  write(vttest::kGCr0, uint32_t(cpu.state().cr0 & ~uint64_t(cpu::cr0::PG)));
  set_pte(0x3FF000, 0);  // the guest's page tables are not used
  set_ept_pte(0x3FF000, 0x300000 | kWb | kRwx);
  bus.set_dword(0x300010, 0x4242);
  set_ept_pte(0x3FE000, 0);
  // mov eax, [0x3FF010]; mov eax, [0x3FE004]
  EXPECT_EQ(run_guest({0xA1, 0x10, 0xF0, 0x3F, 0x00, 0xA1, 0x04, 0xE0, 0x3F, 0x00}), cpu::exit_reason::EptViolation);
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0x4242u);
  // With paging off the linear address is the guest-physical one, and translated (bit 8).
  EXPECT_EQ(field(kQualification), 0x181u);
  EXPECT_EQ(field(kGuestPhysical), 0x3FE004u);
  EXPECT_EQ(field(kGuestLinear), 0x3FE004u);
}

// ---- The debugger's view in non-root operation ----------------------------------------------

TEST_F(EptTest, DebugTranslateGoesThroughEptWithoutSideEffects) {
  write(kEptp, kEptpWb4 | (1u << 6) | kEpt);
  set_ept_pte(0x200000, 0x300000 | kWb | kRwx);
  set_ept_pte(0x201000, 0);
  const std::vector<uint8_t> loop = {0xEB, 0xFE};  // jmp $
  cpu.phys_write(kGuestCode, loop.data(), loop.size());
  cpu.phys_write(kCode, kVmlaunch.data(), kVmlaunch.size());
  cpu.state().rip = kCode;
  cpu.run({cpu.state().instret + 10, UINT64_MAX});
  ASSERT_TRUE(cpu.non_root());
  const uint64_t before = ept_entry(ept_pte_addr(0x200000));
  uint64_t pa = 0;
  ASSERT_TRUE(cpu.debug_translate(0x200123, pa));
  EXPECT_EQ(pa, 0x300123u);
  EXPECT_FALSE(cpu.debug_translate(0x201000, pa));
  EXPECT_EQ(ept_entry(ept_pte_addr(0x200000)), before);
}

// EPT paging structures belong to the (guest) hypervisor: any bit pattern must give a VM
// exit the SDM allows, never a crash or a hang. Random entries (fixed seed) for the 2-4 MiB
// region — large-page PDE or page table, reserved bits, memory types, permissions, addresses
// anywhere up to bit 51 — with random EPTP A/D; the guest reads four of its pages and
// VMCALLs: each run ends in exit 18, 48 or 49.
TEST_F(EptTest, RandomEptEntriesGiveArchitecturalExits) {
  std::mt19937_64 rng(20261125);
  for (unsigned iter = 0; iter < 100; ++iter) {
    const bool ad = rng() & 1;
    write(kEptp, kEptpWb4 | (ad ? 1u << 6 : 0u) | kEpt);
    const uint64_t pde = rng() & 0x000FFFFFFFFFFFFFull;
    if (rng() % 8 == 0) {
      bus.set_dword(kEptPd + 8, uint32_t(pde));  // large page or not, anything
      bus.set_dword(kEptPd + 12, uint32_t(pde >> 32));
    } else {
      bus.set_dword(kEptPd + 8, uint32_t((kEptPt + 0x1000) | (pde & 0x7) | (rng() % 8 ? 1 : 0)));
      bus.set_dword(kEptPd + 12, 0);
    }
    for (uint32_t gpa : {0x200000u, 0x201000u, 0x3FF000u, 0x255000u}) {
      uint64_t v = rng();
      if (rng() % 12) {
        // Mostly well formed: a page in RAM, any permissions, a valid memory type, the
        // ignored bits 63:52 and 11:8 random.
        static constexpr uint64_t kTypes[] = {0, 1, 4, 5, 6};
        v = (v & 0xFFF0000000000F07ull) | (kTypes[rng() % 5] << 3) | (0x400000 + (rng() % 0x400) * 0x1000);
        if (rng() % 8) v |= vt::kEptRead;
      }
      set_ept_pte(gpa, v);
    }
    // mov eax, [0x200000]; mov eax, [0x201004]; mov eax, [0x3FF008]; mov eax, [0x255ABC]
    const uint32_t r = run_guest({0xA1, 0x00, 0x00, 0x20, 0x00, 0xA1, 0x04, 0x10, 0x20, 0x00, 0xA1, 0x08,
                                  0xF0, 0x3F, 0x00, 0xA1, 0xBC, 0x5A, 0x25, 0x00});
    EXPECT_TRUE(r == cpu::exit_reason::Vmcall || r == cpu::exit_reason::EptViolation ||
                r == cpu::exit_reason::EptMisconfig)
        << iter << ": " << r;
    if (r == cpu::exit_reason::EptViolation) {
      // Bits 7 and 8 (a translated linear address: the guest's paging structures are below
      // 2 MiB, mapped), bit 0 (a read), no other access bit.
      EXPECT_EQ(field(kQualification) & 0x187, 0x181u) << iter;
      EXPECT_EQ(field(kGuestPhysical), field(kGuestLinear)) << iter;
    }
  }
}

class ExitRecorder final : public cpu::Observer {
 public:
  void on_event(const cpu::Event& e) override {
    if (e.kind == cpu::EventKind::VmExit) exits.push_back(e);
  }
  std::vector<cpu::Event> exits;
};

TEST_F(EptTest, TheVmExitEventSaysWhatWasAccessed) {
  ExitRecorder rec;
  cpu.set_observer(&rec);
  set_ept_pte(0x202000, 0x202000 | kWb | 5);
  run_guest({0xC7, 0x05, 0x08, 0x20, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00});  // mov dword [0x202008], 1
  cpu.set_observer(nullptr);
  ASSERT_EQ(rec.exits.size(), 1u);
  EXPECT_STREQ(rec.exits[0].reason, "ept_violation");
  EXPECT_EQ(rec.exits[0].detail, "write of gpa 0x202008 (linear 0x202008), entries r-x");
}

TEST(EptDescribe, ExitDetails) {
  cpu::VmExit e;
  e.reason = cpu::exit_reason::EptViolation;
  e.qualification = 0x1AA;
  e.guest_physical = 0x202008;
  e.guest_linear = 0x202008;
  EXPECT_EQ(vt::describe_ept_exit(e), "write of gpa 0x202008 (linear 0x202008), entries r-x");
  e.qualification = 0x81;
  EXPECT_EQ(vt::describe_ept_exit(e), "read of a paging-structure entry of gpa 0x202008 (linear 0x202008), entries ---");
  e.reason = cpu::exit_reason::EptMisconfig;
  EXPECT_EQ(vt::describe_ept_exit(e), "misconfigured entry for gpa 0x202008");
}

}  // namespace
