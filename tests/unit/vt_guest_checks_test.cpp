// The VM-entry checks on the guest-state area (Intel SDM Vol.3 26.3.1.1-26.3.1.5), on
// vt::check_guest_state directly (a valid flat 32-bit protected-mode guest state built from
// the CPU's own state, as a hypervisor would; each test breaks exactly one thing and asserts
// the check id), and end to end through the CPU (VMWRITE + VMLAUNCH). A failure is a VM exit
// with reason 33 | 80000000H (SDM 26.8), and Vmx::last_entry_failure() keeps the check.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/entry_checks.h"
#include "vt/vmx.h"

namespace {

using namespace vttest;

constexpr uint32_t kPin = 0x4000, kPrimary = 0x4002, kEntry = 0x4012, kIntrInfo = 0x4016, kSecondary = 0x401E;
constexpr uint32_t kSecUnrestricted = 1u << 7, kPrimarySecondary = 1u << 31;
constexpr uint32_t kLoadDebug = 1u << 2, kLoadPat = 1u << 14, kLoadEfer = 1u << 15;

class GuestChecks : public cputest::SysTest {
 protected:
  GuestChecks() : caps(*vt::find_profile("haswell")), lim(vt::EntryLimits::from(caps)), vmx(caps.profile()) {}
  void SetUp() override {
    cpu.set_virtualization(&vmx);  // CR4.VMXE can be set
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    vmcs = guest_state_from(cpu.state(), cpu.flags());
  }
  std::optional<vt::EntryCheckFailure> check() {
    return vt::check_guest_state(
        [this](uint32_t enc) -> uint64_t {
          const auto it = vmcs.find(enc);
          return it == vmcs.end() ? 0 : it->second;
        },
        lim);
  }
  void fails(const std::string& id, const std::string& section) {
    const auto f = check();
    ASSERT_TRUE(f.has_value()) << "expected " << id;
    EXPECT_EQ(f->id, id) << f->message;
    EXPECT_EQ(f->section, section) << f->id;
    EXPECT_EQ(f->error, vt::kExitInvalidGuestState);
    EXPECT_EQ(f->message.find('\n'), std::string::npos);
  }
  void passes() {
    const auto f = check();
    EXPECT_FALSE(f.has_value()) << f->id << ": " << f->message;
  }
  uint64_t& ar(unsigned i) { return vmcs[kGuestAr + 2 * i]; }
  uint64_t& sel(unsigned i) { return vmcs[kGuestSel + 2 * i]; }
  uint64_t& limit(unsigned i) { return vmcs[kGuestLimit + 2 * i]; }
  uint64_t& base(unsigned i) { return vmcs[kGuestBase + 2 * i]; }
  void unrestricted() {
    vmcs[kPrimary] = kPrimarySecondary;
    vmcs[kSecondary] = kSecUnrestricted;
  }

  vt::Capabilities caps;
  vt::EntryLimits lim;
  vt::Vmx vmx;
  std::map<uint32_t, uint64_t> vmcs;
};

TEST_F(GuestChecks, TheCheckTableHasUniqueIdsInSdmOrder) {
  std::set<std::string> ids;
  for (const vt::EntryCheckInfo& k : vt::entry_check_list()) ids.insert(k.id);
  std::string last = "26.3.1.1";
  for (const vt::EntryCheckInfo& k : vt::guest_check_list()) {
    EXPECT_TRUE(ids.insert(k.id).second) << k.id;  // unique across both tables
    const std::string s = k.section;
    EXPECT_EQ(s.rfind("26.3.1.", 0), 0u) << k.id;
    EXPECT_GE(s, last) << k.id;
    last = s;
    EXPECT_EQ(k.error, 33u) << k.id;
  }
}

TEST_F(GuestChecks, AFlat32BitProtectedModeGuestPasses) {
  // The state the fixture's CPU runs in: CS 08 (type 11, DPL 0), data 10 (type 3), TR 28
  // (busy 32-bit TSS), LDTR null (unusable), paging on.
  EXPECT_EQ(sel(kCs), 0x08u);
  EXPECT_EQ(ar(kTr) & 0xF, 11u);
  EXPECT_NE(ar(kLdtr) & cpu::ar::UNUSABLE, 0u);
  passes();
  // Optional loads with valid values pass too.
  vmcs[kEntry] = kLoadDebug | kLoadPat | kLoadEfer;
  vmcs[kGuestPat] = 0x0007040600070406ull;
  vmcs[kGuestDebugctl] = 3;
  passes();
}

// ---- 26.3.1.1 control registers, debug registers, MSRs ------------------------------------

TEST_F(GuestChecks, Cr0AgainstFixedBitsWithTheUnrestrictedRelaxation) {
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::NE);  // FIXED0 bit 5
  fails("guest.cr0_fixed", "26.3.1.1");
  vmcs[kGCr0] |= cpu::cr0::NE;
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::PG);  // PG is in FIXED0...
  fails("guest.cr0_fixed", "26.3.1.1");
  unrestricted();  // ...relaxed for an unrestricted guest (SDM 26.3.1.1)
  passes();
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::PE);
  ar(kSs) &= ~0x60ull;  // real-mode guest: SS DPL 0 already
  passes();
}

TEST_F(GuestChecks, PagingNeedsProtection) {
  unrestricted();
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::PE);  // PG = 1, PE = 0
  fails("guest.cr0_pg_needs_pe", "26.3.1.1");
}

TEST_F(GuestChecks, Cr4AgainstFixedBits) {
  vmcs[kGCr4] &= ~uint64_t(cpu::cr4::VMXE);
  fails("guest.cr4_fixed", "26.3.1.1");
}

TEST_F(GuestChecks, DebugctlAndDr7OnlyWithLoadDebugControls) {
  vmcs[kGuestDebugctl] = 1u << 2;  // reserved
  vmcs[kDr7] = 1ull << 32;
  passes();
  vmcs[kEntry] = kLoadDebug;
  fails("guest.debugctl", "26.3.1.1");
  vmcs[kGuestDebugctl] = 0;
  fails("guest.dr7", "26.3.1.1");
}

TEST_F(GuestChecks, Cr3WithinThePhysicalAddressWidth) {
  vmcs[kGCr3] = 1ull << lim.phys_addr_bits;
  fails("guest.cr3", "26.3.1.1");
}

TEST_F(GuestChecks, SysenterCanonical) {
  vmcs[kGSysenterEsp] = 0x0000800000000000ull;
  fails("guest.sysenter_esp", "26.3.1.1");
  vmcs[kGSysenterEsp] = 0xFFFF800000000000ull;
  vmcs[kGSysenterEip] = 0x0001000000000000ull;
  fails("guest.sysenter_eip", "26.3.1.1");
}

TEST_F(GuestChecks, PatAndEferOnlyWithTheirLoadControls) {
  vmcs[kGuestPat] = 2;           // type 2 is reserved
  vmcs[kGuestEfer] = 1u << 10;   // LMA
  passes();
  vmcs[kEntry] = kLoadPat;
  fails("guest.pat", "26.3.1.1");
  vmcs[kEntry] = kLoadEfer;
  fails("guest.efer", "26.3.1.1");
  vmcs[kGuestEfer] = 1u << 8;  // LME with CR0.PG = 1 but not IA-32e
  fails("guest.efer", "26.3.1.1");
  vmcs[kGuestEfer] = 1u << 1;  // reserved
  fails("guest.efer", "26.3.1.1");
  vmcs[kGuestEfer] = 0x801;  // SCE NXE
  passes();
}

// ---- 26.3.1.2 segment registers ------------------------------------------------------------

TEST_F(GuestChecks, SelectorRules) {
  sel(kTr) |= 4;
  fails("guest.tr_ti", "26.3.1.2");
  sel(kTr) &= ~4ull;
  ar(kLdtr) = 0x82;  // usable LDT
  sel(kLdtr) = 0x34;
  fails("guest.ldtr_ti", "26.3.1.2");
  sel(kLdtr) = 0x30;
  passes();
  sel(kSs) |= 3;
  fails("guest.ss_rpl", "26.3.1.2");
  unrestricted();  // no RPL rule for an unrestricted guest
  passes();
}

TEST_F(GuestChecks, BaseRules) {
  base(kFs) = 0x0000800000000000ull;
  fails("guest.base", "26.3.1.2");
  base(kFs) = 0;
  base(kCs) = 1ull << 32;
  fails("guest.base", "26.3.1.2");
  base(kCs) = 0;
  base(kDs) = 1ull << 32;
  fails("guest.base", "26.3.1.2");
  ar(kDs) |= cpu::ar::UNUSABLE;  // an unusable DS's base is not checked
  passes();
}

TEST_F(GuestChecks, Virtual8086Mode) {
  vmcs[kGRflags] |= 1u << 17;
  for (unsigned i = 0; i < 6; ++i) {
    sel(i) = 0x1000 + i;
    base(i) = (0x1000 + i) << 4;
    limit(i) = 0xFFFF;
    ar(i) = 0xF3;
  }
  // TR/LDTR keep their protected-mode rules; SS RPL vs CS RPL is not checked in v8086.
  passes();
  base(kGs) += 1;
  fails("guest.v86_base", "26.3.1.2");
  base(kGs) -= 1;
  limit(kEs) = 0xFFFFF;
  fails("guest.v86_limit", "26.3.1.2");
  limit(kEs) = 0xFFFF;
  ar(kCs) = 0xFB;
  fails("guest.v86_access_rights", "26.3.1.2");
}

TEST_F(GuestChecks, CsType) {
  ar(kCs) = (ar(kCs) & ~0xFull) | 10;  // code, not accessed
  fails("guest.cs_type", "26.3.1.2");
  ar(kCs) = (ar(kCs) & ~0xFull) | 3;  // data: only for an unrestricted guest
  fails("guest.cs_type", "26.3.1.2");
  unrestricted();
  passes();
}

TEST_F(GuestChecks, SsAndDataTypes) {
  ar(kSs) = (ar(kSs) & ~0xFull) | 1;  // read-only data
  fails("guest.ss_type", "26.3.1.2");
  ar(kSs) |= cpu::ar::UNUSABLE;
  passes();
  ar(kFs) = (ar(kFs) & ~0xFull) | 2;  // not accessed
  fails("guest.data_type", "26.3.1.2");
  ar(kFs) = (ar(kFs) & ~0xFull) | 9;  // execute-only code
  fails("guest.data_type", "26.3.1.2");
  ar(kFs) = (ar(kFs) & ~0xFull) | 11;  // readable code is fine
  passes();
}

TEST_F(GuestChecks, SBit) {
  ar(kEs) &= ~uint64_t(cpu::ar::S);
  fails("guest.s_bit", "26.3.1.2");
}

TEST_F(GuestChecks, CsDplAgainstSsDpl) {
  ar(kCs) |= 3u << 5;  // non-conforming, DPL 3 != SS DPL 0
  fails("guest.cs_dpl", "26.3.1.2");
  ar(kCs) = (ar(kCs) & ~0xFull) | 15;  // conforming DPL 3 > SS DPL 0
  fails("guest.cs_dpl", "26.3.1.2");
  ar(kCs) &= ~(3ull << 5);  // conforming DPL 0 <= 0
  passes();
}

TEST_F(GuestChecks, SsDplEqualsRpl) {
  ar(kSs) |= 3u << 5;
  ar(kCs) |= 3u << 5;  // keep the CS rule satisfied
  fails("guest.ss_dpl", "26.3.1.2");
  // Unrestricted guest in real mode (PE = 0): SS DPL must be 0.
  unrestricted();
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::PE | cpu::cr0::PG);
  fails("guest.ss_dpl", "26.3.1.2");
}

TEST_F(GuestChecks, DataDplAtLeastRpl) {
  sel(kGs) |= 3;  // RPL 3, DPL 0, data
  fails("guest.data_dpl", "26.3.1.2");
  ar(kGs) |= 3u << 5;
  passes();
}

TEST_F(GuestChecks, PresentReservedAndGranularity) {
  ar(kDs) &= ~uint64_t(cpu::ar::P);
  fails("guest.present", "26.3.1.2");
  ar(kDs) |= cpu::ar::P;
  ar(kDs) |= 0x100;
  fails("guest.ar_reserved_11_8", "26.3.1.2");
  ar(kDs) &= ~0x100ull;
  limit(kDs) = 0xFFFFE;  // bits 11:0 not all 1 with G = 1
  fails("guest.granularity", "26.3.1.2");
  ar(kDs) &= ~uint64_t(cpu::ar::G);
  passes();
  limit(kDs) = 0x100000;  // bits 31:20 not 0 with G = 0
  fails("guest.granularity", "26.3.1.2");
  limit(kDs) = 0xFFFFFFFF;
  ar(kDs) |= cpu::ar::G;
  ar(kDs) |= 1u << 17;
  fails("guest.ar_reserved_31_17", "26.3.1.2");
}

TEST_F(GuestChecks, TrAccessRights) {
  const uint64_t good = ar(kTr);
  ar(kTr) = (good & ~0xFull) | 9;  // available, not busy
  fails("guest.tr_access_rights", "26.3.1.2");
  ar(kTr) = (good & ~0xFull) | 3;  // busy 16-bit TSS: allowed outside IA-32e mode
  passes();
  ar(kTr) = good | cpu::ar::UNUSABLE;
  fails("guest.tr_access_rights", "26.3.1.2");
  ar(kTr) = good | cpu::ar::S;
  fails("guest.tr_access_rights", "26.3.1.2");
  ar(kTr) = good & ~uint64_t(cpu::ar::P);
  fails("guest.tr_access_rights", "26.3.1.2");
  ar(kTr) = good | cpu::ar::G;  // limit 0x2067 with G = 1
  fails("guest.tr_access_rights", "26.3.1.2");
}

TEST_F(GuestChecks, LdtrAccessRightsWhenUsable) {
  ar(kLdtr) = 0x82 | cpu::ar::UNUSABLE | 0x100;  // unusable: nothing checked
  passes();
  ar(kLdtr) = 0x83;
  sel(kLdtr) = 0x30;
  fails("guest.ldtr_access_rights", "26.3.1.2");
  ar(kLdtr) = 0x02;
  fails("guest.ldtr_access_rights", "26.3.1.2");
  ar(kLdtr) = 0x82;
  passes();
}

// ---- 26.3.1.3 - 26.3.1.4 ------------------------------------------------------------------

TEST_F(GuestChecks, GdtrIdtr) {
  vmcs[kIdtrBase] = 0x0000800000000000ull;
  fails("guest.gdtr_idtr_base", "26.3.1.3");
  vmcs[kIdtrBase] = 0;
  vmcs[kGdtrLimit] = 0x10000;
  fails("guest.gdtr_idtr_limit", "26.3.1.3");
}

TEST_F(GuestChecks, RipAndRflags) {
  vmcs[kGRip] = 1ull << 32;
  fails("guest.rip", "26.3.1.4");
  vmcs[kGRip] = 0x1000;
  for (uint64_t bad : {0ull, 2ull | 8, 2ull | 0x20, 2ull | 0x8000, 2ull | (1ull << 22), 2ull | (1ull << 63)}) {
    vmcs[kGRflags] = bad;
    fails("guest.rflags_reserved", "26.3.1.4");
  }
  vmcs[kGRflags] = 2;
  passes();
  // An external interrupt needs IF = 1.
  vmcs[kIntrInfo] = (1u << 31) | 0x20;
  fails("guest.rflags_if_for_interrupt", "26.3.1.4");
  vmcs[kGRflags] = 2 | 0x200;
  passes();
}

TEST_F(GuestChecks, V8086NeedsProtectedMode) {
  unrestricted();
  vmcs[kGCr0] &= ~uint64_t(cpu::cr0::PE | cpu::cr0::PG);
  vmcs[kGRflags] |= 1u << 17;
  for (unsigned i = 0; i < 6; ++i) {
    base(i) = sel(i) << 4;
    limit(i) = 0xFFFF;
    ar(i) = 0xF3;
  }
  fails("guest.rflags_vm", "26.3.1.4");
}

// ---- 26.3.1.5 non-register state ----------------------------------------------------------

TEST_F(GuestChecks, ActivityStates) {
  vmcs[kActivity] = 4;
  fails("guest.activity_state", "26.3.1.5");
  vmcs[kActivity] = 2;  // shutdown: not advertised in IA32_VMX_MISC today (HLT is, bit 6)
  EXPECT_EQ(lim.activity_states, 1u);
  fails("guest.activity_state", "26.3.1.5");
  vmcs[kActivity] = 1;
  passes();
  lim.activity_states = 7;  // as if shutdown and wait-for-SIPI were implemented too
  vmcs[kActivity] = 2;
  passes();
  vmcs[kActivity] = 1;
  ar(kSs) |= 3u << 5;
  sel(kSs) |= 3;
  sel(kCs) |= 3;
  ar(kCs) |= 3u << 5;
  fails("guest.activity_hlt_ss_dpl", "26.3.1.5");
}

TEST_F(GuestChecks, ActivityWithBlockingAndInjection) {
  lim.activity_states = 7;
  vmcs[kActivity] = 2;  // shutdown
  vmcs[kInterruptibility] = 2;  // MOV SS
  fails("guest.activity_blocking", "26.3.1.5");
  vmcs[kInterruptibility] = 0;
  vmcs[kIntrInfo] = (1u << 31) | (3u << 8) | 18;  // #MC into shutdown: allowed
  passes();
  vmcs[kIntrInfo] = (1u << 31) | (3u << 8) | 6;  // #UD into shutdown: not
  fails("guest.activity_injection", "26.3.1.5");
  vmcs[kActivity] = 1;  // HLT: #DB is allowed, #UD is not
  fails("guest.activity_injection", "26.3.1.5");
  vmcs[kIntrInfo] = (1u << 31) | (3u << 8) | 1;
  passes();
  vmcs[kActivity] = 3;  // wait-for-SIPI: nothing
  fails("guest.activity_injection", "26.3.1.5");
}

TEST_F(GuestChecks, Interruptibility) {
  vmcs[kInterruptibility] = 1u << 4;  // enclave interruption: no SGX
  fails("guest.interruptibility_reserved", "26.3.1.5");
  vmcs[kInterruptibility] = 3;
  fails("guest.interruptibility_sti_and_mov_ss", "26.3.1.5");
  vmcs[kInterruptibility] = 1;
  vmcs[kGRflags] = 2;
  fails("guest.interruptibility_sti_needs_if", "26.3.1.5");
  vmcs[kGRflags] = 0x202;
  passes();
  vmcs[kIntrInfo] = (1u << 31) | 0x20;  // external interrupt under STI blocking
  fails("guest.interruptibility_injection", "26.3.1.5");
  vmcs[kInterruptibility] = 2;
  vmcs[kIntrInfo] = (1u << 31) | (2u << 8) | 2;  // NMI under MOV SS blocking
  fails("guest.interruptibility_injection", "26.3.1.5");
  vmcs[kInterruptibility] = 8;  // NMI under NMI blocking: only with "virtual NMIs"
  passes();
  vmcs[kPin] = (1u << 3) | (1u << 5);
  fails("guest.interruptibility_injection", "26.3.1.5");
  vmcs[kPin] = 0;
  vmcs[kIntrInfo] = 0;
  vmcs[kInterruptibility] = 4;
  fails("guest.interruptibility_smi", "26.3.1.5");
}

TEST_F(GuestChecks, PendingDebugExceptions) {
  for (uint64_t bad : {1ull << 4, 1ull << 13, 1ull << 15, 1ull << 16, 1ull << 40}) {
    vmcs[kPendingDbg] = bad;
    fails("guest.pending_debug_reserved", "26.3.1.5");
  }
  vmcs[kPendingDbg] = 0x500F;
  passes();  // no blocking: BS is free
  vmcs[kGRflags] |= 0x200;
  vmcs[kInterruptibility] = 1;  // STI blocking: BS must be TF & !BTF = 0
  fails("guest.pending_debug_bs", "26.3.1.5");
  vmcs[kGRflags] |= 0x100;  // TF: BS = 1 now right
  passes();
  vmcs[kPendingDbg] = 0;
  fails("guest.pending_debug_bs", "26.3.1.5");
}

// SDM 26.3.1.5: all ones, or 4 KiB aligned within MAXPHYADDR (what the region holds is
// checked by VMLAUNCH itself: vt_shadowing_test.cpp).
TEST_F(GuestChecks, VmcsLinkPointerAllOnesOrAlignedWithinTheWidth) {
  vmcs[kLinkPointer] = 0x30000;
  passes();
  vmcs[kLinkPointer] = 0x30800;
  fails("guest.vmcs_link_pointer", "26.3.1.5");
  vmcs[kLinkPointer] = 0xFFFFFFFF;  // only the low half written
  fails("guest.vmcs_link_pointer", "26.3.1.5");
  vmcs[kLinkPointer] = 1ull << 39;  // beyond MAXPHYADDR (39)
  fails("guest.vmcs_link_pointer", "26.3.1.5");
}

TEST_F(GuestChecks, TheFirstFailingCheckInSdmOrderIsReported) {
  vmcs[kLinkPointer] = 0;
  vmcs[kGdtrLimit] = 0x10000;
  sel(kTr) |= 4;
  fails("guest.tr_ti", "26.3.1.2");
  vmcs[kGCr4] = 0;
  fails("guest.cr4_fixed", "26.3.1.1");
}

// ---- End to end: VMWRITE + VMLAUNCH through the CPU ----------------------------------------

constexpr uint32_t kVmxon = 0x20000;
constexpr uint32_t kVmcs = 0x21000;
const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};

class GuestChecksCpu : public cputest::SysTest {
 protected:
  GuestChecksCpu() : vmx(*vt::find_profile("haswell")) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    const auto guest = guest_state_from(cpu.state(), cpu.flags());
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(cputest::kData, kVmxon);
    bus.set_dword(cputest::kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, cputest::kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    // Controls: the allowed-0 settings of the TRUE_* MSRs (SDM A.3); host: this CPU.
    for (auto [enc, msr] : {std::pair{0x4000u, vt::msr::VMX_TRUE_PINBASED_CTLS},
                            std::pair{0x4002u, vt::msr::VMX_TRUE_PROCBASED_CTLS},
                            std::pair{0x400Cu, vt::msr::VMX_TRUE_EXIT_CTLS},
                            std::pair{0x4012u, vt::msr::VMX_TRUE_ENTRY_CTLS}}) {
      uint64_t v = 0;
      ASSERT_TRUE(vmx.capabilities().read_msr(msr, v));
      write(enc, uint32_t(v));
    }
    write(0x6C00, uint32_t(cpu.state().cr0));
    write(0x6C02, uint32_t(cpu.state().cr3));
    write(0x6C04, uint32_t(cpu.state().cr4));
    write(0x0C02, 0x08);
    for (uint32_t enc : {0x0C00u, 0x0C04u, 0x0C06u, 0x0C08u, 0x0C0Au}) write(enc, 0x10);
    write(0x0C0C, 0x28);
    write(0x6C16, 0x3000);
    write(0x6C14, 0x8000);
    // Guest: the same flat protected-mode state. A 64-bit field's full encoding written in
    // 32-bit mode sets bits 31:0 only; its high half (encoding + 1) gets bits 63:32.
    for (const auto& [enc, val] : guest) {
      write(enc, uint32_t(val));
      if (enc == kLinkPointer) write(enc + 1, uint32_t(val >> 32));
    }
  }

  uint32_t exec(const std::vector<uint8_t>& bytes, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    cpu.phys_write(cputest::kCode, bytes.data(), bytes.size());
    auto& s = cpu.state();
    s.rip = cputest::kCode;
    s.halted = false;
    s.gpr[cpu::RSP] = cputest::kStack;
    s.gpr[cpu::RAX] = eax;
    s.gpr[cpu::RCX] = ecx;
    s.gpr[cpu::RDX] = edx;
    cpu.set_flags(cpu.flags() | cpu::flag::ARITH);
    last_stop = cpu.step();
    return cpu.flags() & cpu::flag::ARITH;
  }
  void write(uint32_t enc, uint32_t v) { ASSERT_EQ(exec(kVmwriteEdxEcx, 0, v, enc), 0u) << std::hex << enc; }

  vt::Vmx vmx;
  cpu::StopReason last_stop = cpu::StopReason::None;
};

TEST_F(GuestChecksCpu, AValidGuestIsEntered) {
  exec(kVmlaunch);
  EXPECT_EQ(last_stop, cpu::StopReason::StepLimit);
  EXPECT_TRUE(cpu.non_root());
  EXPECT_FALSE(vmx.last_entry_failure().has_value());
}

// SDM 26.8: a guest-state failure is a VM exit with reason 33 | 80000000H, qualification 0,
// the host state loaded (RIP, RSP from the host fields) and no guest state saved.
TEST_F(GuestChecksCpu, AGuestStateFailureIsAnEntryFailureExit) {
  write(kGuestAr + 2 * kCs, 0xC09A);  // CS type 10: not accessed
  exec(kVmlaunch);
  EXPECT_EQ(last_stop, cpu::StopReason::StepLimit);
  EXPECT_FALSE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_EQ(cpu.state().gpr[cpu::RSP], 0x8000u);
  uint64_t v = 0;
  ASSERT_TRUE(vmx.field_value(0x4402, v));
  EXPECT_EQ(v, 0x80000021u);
  ASSERT_TRUE(vmx.field_value(0x6400, v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(vmx.field_value(kGuestAr + 2 * kCs, v));
  EXPECT_EQ(v, 0xC09Au);  // not overwritten: no guest state is saved
  EXPECT_EQ(vmx.exit_count(33), 1u);
  EXPECT_EQ(cpu.event_counts()[cpu::EventKind::VmExit], 1u);
  EXPECT_EQ(cpu.event_counts()[cpu::EventKind::VmEntry], 0u);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->error, 33u);
  EXPECT_EQ(vmx.last_entry_failure()->id, "guest.cs_type");
  EXPECT_NE(vmx.dump().find("last_entry_failure=exit reason 33 check guest.cs_type (SDM 26.3.1.2)\n"),
            std::string::npos)
      << vmx.dump();
  EXPECT_FALSE(vmx.state().launched);
  // Kept across save/load (the id is validated against both tables).
  platform::StateWriter w;
  vmx.save(w);
  const std::string before = vmx.dump();
  vmx.reset();
  platform::StateReader r(w.data());
  vmx.load(r);
  EXPECT_EQ(vmx.dump(), before);
}

TEST_F(GuestChecksCpu, HostStateIsCheckedBeforeGuestState) {
  write(kLinkPointer, 0);  // a guest failure...
  write(0x0C0C, 0);        // ...and a host one (TR null): VMfailValid(8) comes first
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "host.tr_null");
  write(0x0C0C, 0x28);
  exec(kVmlaunch);
  EXPECT_FALSE(cpu.non_root());
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "guest.vmcs_link_pointer");
  uint64_t v = 0;
  ASSERT_TRUE(vmx.field_value(0x6400, v));
  EXPECT_EQ(v, 4u);  // SDM 26.8: exit qualification 4, "invalid VMCS link pointer"
}

}  // namespace
