// The VM-entry checks on controls and host state (Intel SDM Vol.3 26.2.1-26.2.4), on
// vt::check_controls_and_host directly with a prepared VMCS (one test per check: break
// exactly one thing in a valid configuration, assert the error number and the check id),
// and end to end through the CPU (VMWRITE + VMLAUNCH/VMRESUME, as vt_instructions_test.cpp).
// A failure is VMfailValid(7) for controls, VMfailValid(8) for host state (SDM 26.2, 30.4
// Table 30-1) and changes nothing else.
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

using vt::ControlWord;

// Field encodings (SDM Appendix B).
constexpr uint32_t kVpid = 0x0000, kPostedVector = 0x0002;
constexpr uint32_t kHostEs = 0x0C00, kHostCs = 0x0C02, kHostSs = 0x0C04, kHostDs = 0x0C06, kHostFs = 0x0C08,
                   kHostGs = 0x0C0A, kHostTr = 0x0C0C;
constexpr uint32_t kIoA = 0x2000, kIoB = 0x2002, kMsrBitmap = 0x2004, kExitStore = 0x2006, kExitLoad = 0x2008,
                   kEntryLoad = 0x200A, kVirtApic = 0x2012, kApicAccess = 0x2014, kPostedDesc = 0x2016,
                   kEptp = 0x201A, kVmreadBitmap = 0x2026, kVmwriteBitmap = 0x2028;
constexpr uint32_t kHostPat = 0x2C00, kHostEfer = 0x2C02;
constexpr uint32_t kPin = 0x4000, kPrimary = 0x4002, kCr3Count = 0x400A, kExit = 0x400C, kExitStoreCount = 0x400E,
                   kExitLoadCount = 0x4010, kEntry = 0x4012, kEntryLoadCount = 0x4014, kIntrInfo = 0x4016,
                   kIntrEc = 0x4018, kInsnLen = 0x401A, kTprThreshold = 0x401C, kSecondary = 0x401E;
constexpr uint32_t kGuestCr0 = 0x6800;
constexpr uint32_t kHostCr0 = 0x6C00, kHostCr3 = 0x6C02, kHostCr4 = 0x6C04, kHostFsBase = 0x6C06,
                   kHostGsBase = 0x6C08, kHostTrBase = 0x6C0A, kHostGdtrBase = 0x6C0C, kHostIdtrBase = 0x6C0E,
                   kHostSysenterEsp = 0x6C10, kHostSysenterEip = 0x6C12, kHostRsp = 0x6C14, kHostRip = 0x6C16;

// What a hypervisor does with a control MSR (SDM A.3.1): bits 31:0 must be 1 (allowed-0),
// only bits 63:32 may be 1 (allowed-1): desired |= low; desired &= high.
uint32_t adjust(const vt::Capabilities& caps, uint32_t msr, uint32_t desired) {
  uint64_t v = 0;
  EXPECT_TRUE(caps.read_msr(msr, v));
  desired |= uint32_t(v);
  desired &= uint32_t(v >> 32);
  return desired;
}

// A valid configuration for the haswell profile: controls from the TRUE_* MSRs (BASIC bit
// 55 is set), host state of a 32-bit protected-mode kernel with paging.
std::map<uint32_t, uint64_t> valid_vmcs(const vt::Capabilities& caps) {
  std::map<uint32_t, uint64_t> v;
  v[kPin] = adjust(caps, vt::msr::VMX_TRUE_PINBASED_CTLS, 0);
  v[kPrimary] = adjust(caps, vt::msr::VMX_TRUE_PROCBASED_CTLS, 0);
  v[kExit] = adjust(caps, vt::msr::VMX_TRUE_EXIT_CTLS, 0);
  v[kEntry] = adjust(caps, vt::msr::VMX_TRUE_ENTRY_CTLS, 0);
  v[kHostCr0] = 0x80000031;  // PG NE ET PE
  v[kHostCr3] = 0x10000;
  v[kHostCr4] = 0x2000;      // VMXE
  v[kHostCs] = 0x08;
  v[kHostSs] = v[kHostDs] = v[kHostEs] = v[kHostFs] = v[kHostGs] = 0x10;
  v[kHostTr] = 0x28;
  v[kHostRip] = 0x3000;
  v[kHostRsp] = 0x8000;
  return v;
}

// Limits that allow every control bit, so that the checks today's capability MSRs make
// unreachable (a control beyond the default-1 bits) can be driven one by one.
vt::EntryLimits permissive(const vt::Capabilities& caps) {
  vt::EntryLimits l = vt::EntryLimits::from(caps);
  for (uint32_t& a : l.allowed1) a = ~0u;
  l.mtf = true;
  l.ept_vpid_cap = caps.profile().ept_vpid_cap;
  return l;
}

class EntryChecks : public ::testing::Test {
 protected:
  EntryChecks() : caps(*vt::find_profile("haswell")), vmcs(valid_vmcs(caps)), lim(vt::EntryLimits::from(caps)) {}

  std::optional<vt::EntryCheckFailure> run() {
    return vt::check_controls_and_host(
        [this](uint32_t enc) -> uint64_t {
          const auto it = vmcs.find(enc);
          return it == vmcs.end() ? 0 : it->second;
        },
        lim);
  }
  // Asserts that the configuration fails with `error` at check `id`.
  void fails(uint32_t error, const std::string& id) {
    const auto f = run();
    ASSERT_TRUE(f.has_value()) << "expected " << id;
    EXPECT_EQ(f->id, id) << f->message;
    EXPECT_EQ(f->error, error) << f->id;
    EXPECT_EQ(f->message.find('\n'), std::string::npos);
  }
  void passes() {
    const auto f = run();
    EXPECT_FALSE(f.has_value()) << f->id << ": " << f->message;
  }
  void allow_all() { lim = permissive(caps); }

  vt::Capabilities caps;
  std::map<uint32_t, uint64_t> vmcs;
  vt::EntryLimits lim;
};

constexpr uint32_t C = vt::kErrEntryInvalidControls, H = vt::kErrEntryInvalidHostState;

TEST_F(EntryChecks, TheCheckTableHasUniqueIdsInSdmOrder) {
  std::set<std::string> ids;
  std::string last_section = "26.2.1";
  for (const vt::EntryCheckInfo& k : vt::entry_check_list()) {
    EXPECT_TRUE(ids.insert(k.id).second) << k.id;
    const std::string s = k.section;
    EXPECT_EQ(s.rfind("26.2.", 0), 0u) << k.id;
    EXPECT_GE(s, last_section) << k.id;  // sections never go back
    last_section = s;
    EXPECT_EQ(k.error, s.rfind("26.2.1", 0) == 0 ? C : H) << k.id;
  }
}

TEST_F(EntryChecks, AValidConfigurationPasses) {
  passes();
  // With every control allowed the same configuration passes too.
  allow_all();
  passes();
}

// ---- 26.2.1.1 VM-execution controls --------------------------------------------------------

TEST_F(EntryChecks, PinBasedAllowed0AndAllowed1) {
  vmcs[kPin] &= ~2u;  // bit 1 is default-1
  fails(C, "pin.reserved");
  EXPECT_EQ(run()->message,
            "pin-based controls: bit 1 (reserved, default 1) must be 1 per IA32_VMX_TRUE_PINBASED_CTLS allowed-0 (bits 31:0)");
  EXPECT_EQ(run()->section, "26.2.1.1");
  vmcs = valid_vmcs(caps);
  vmcs[kPin] |= 1u << 7;  // process posted interrupts: not implemented → allowed-1 is 0
  fails(C, "pin.reserved");
  EXPECT_EQ(run()->message,
            "pin-based controls: bit 7 (process posted interrupts) must be 0 per IA32_VMX_TRUE_PINBASED_CTLS allowed-1 (bits 63:32)");
}

TEST_F(EntryChecks, PrimaryAllowed0AndAllowed1) {
  vmcs[kPrimary] |= 1u << 17;  // activate tertiary controls: no Haswell has them
  fails(C, "primary.reserved");
  vmcs = valid_vmcs(caps);
  vmcs[kPrimary] &= ~(1u << 1);
  fails(C, "primary.reserved");
}

TEST_F(EntryChecks, SecondaryControlsCountOnlyWhenActivated) {
  vmcs[kSecondary] = 0xFFFFFFFF;  // ignored: "activate secondary controls" = 0
  passes();
  vmcs[kPrimary] |= 1u << 31;  // now they count: bit 0 (virtualize APIC accesses) is not allowed-1
  fails(C, "secondary.reserved");
  vmcs[kSecondary] = (1u << 2) | (1u << 3) | (1u << 6) | (1u << 14);
  vmcs[0x2026] = 0x40000;  // the VMREAD/VMWRITE bitmaps (VMCS shadowing)
  vmcs[0x2028] = 0x41000;
  passes();
  allow_all();
  lim.allowed1[unsigned(ControlWord::Secondary)] = 0x2;  // enable EPT only
  vmcs[kSecondary] = 1u << 3;
  fails(C, "secondary.reserved");
  EXPECT_NE(run()->message.find("IA32_VMX_PROCBASED_CTLS2"), std::string::npos) << run()->message;
}

TEST_F(EntryChecks, Cr3TargetCountAtMostMisc) {
  vmcs[kCr3Count] = 4;  // haswell: 4 CR3-target values
  passes();
  vmcs[kCr3Count] = 5;
  fails(C, "cr3_target_count");
}

TEST_F(EntryChecks, IoAndMsrBitmapAddresses) {
  allow_all();
  vmcs[kPrimary] |= (1u << 25) | (1u << 28);
  vmcs[kIoA] = 0x40000;
  vmcs[kIoB] = 0x41000;
  vmcs[kMsrBitmap] = 0x42000;
  passes();
  vmcs[kIoA] = 0x40800;
  fails(C, "io_bitmap_a");
  vmcs[kIoA] = 0x40000;
  vmcs[kIoB] = 1ull << vt::kPhysAddrBits;
  fails(C, "io_bitmap_b");
  vmcs[kIoB] = 0x41000;
  vmcs[kMsrBitmap] = 0x42010;
  fails(C, "msr_bitmap");
  vmcs[kPrimary] &= ~(1u << 28);  // not used: not checked
  passes();
}

TEST_F(EntryChecks, TprShadowVirtualApicAddressAndThreshold) {
  allow_all();
  vmcs[kPrimary] |= 1u << 21;
  vmcs[kVirtApic] = 0x43001;
  fails(C, "virtual_apic_address");
  vmcs[kVirtApic] = 0x43000;
  vmcs[kTprThreshold] = 0xF;
  passes();
  vmcs[kTprThreshold] = 0x10;
  fails(C, "tpr_threshold");
}

TEST_F(EntryChecks, VirtualNmisNeedNmiExitingAndNmiWindowNeedsVirtualNmis) {
  allow_all();
  vmcs[kPin] |= 1u << 5;
  fails(C, "virtual_nmis");
  vmcs[kPin] |= 1u << 3;
  passes();
  vmcs[kPin] &= ~((1u << 3) | (1u << 5));
  vmcs[kPrimary] |= 1u << 22;
  fails(C, "nmi_window");
}

TEST_F(EntryChecks, ApicVirtualizationRules) {
  allow_all();
  vmcs[kPrimary] |= 1u << 31;
  vmcs[kSecondary] = 1u << 0;  // virtualize APIC accesses
  vmcs[kApicAccess] = 0x44100;
  fails(C, "apic_access_address");
  vmcs[kApicAccess] = 0x44000;
  passes();
  vmcs[kSecondary] = 1u << 4;  // virtualize x2APIC mode without TPR shadow
  fails(C, "apic_virtualization_needs_tpr_shadow");
  vmcs[kPrimary] |= 1u << 21;
  vmcs[kVirtApic] = 0x43000;
  vmcs[kSecondary] = (1u << 4) | (1u << 0);
  fails(C, "x2apic_and_apic_access");
  vmcs[kSecondary] = 1u << 9;  // virtual-interrupt delivery without external-interrupt exiting
  fails(C, "vid_needs_external_interrupt_exiting");
  vmcs[kPin] |= 1u << 0;
  passes();
}

TEST_F(EntryChecks, PostedInterrupts) {
  allow_all();
  vmcs[kPin] |= (1u << 7) | (1u << 0);
  fails(C, "posted_interrupts");  // needs virtual-interrupt delivery
  vmcs[kPrimary] |= (1u << 31) | (1u << 21);
  vmcs[kVirtApic] = 0x43000;
  vmcs[kSecondary] = 1u << 9;
  vmcs[kExit] |= 1u << 15;
  vmcs[kPostedVector] = 0xF2;
  vmcs[kPostedDesc] = 0x45040;
  passes();
  vmcs[kPostedDesc] = 0x45020;
  fails(C, "posted_interrupts");
}

TEST_F(EntryChecks, VpidEptUnrestrictedGuestAndShadowing) {
  allow_all();
  vmcs[kPrimary] |= 1u << 31;
  vmcs[kSecondary] = 1u << 5;  // enable VPID with VPID 0
  fails(C, "vpid_zero");
  vmcs[kVpid] = 1;
  passes();
  vmcs[kSecondary] = 1u << 1;  // enable EPT
  vmcs[kEptp] = 0x46000 | (3 << 3) | 6;  // WB, 4-level
  passes();
  vmcs[kEptp] = 0x46000 | (3 << 3) | 1;  // WC: not an EPT paging-structure type
  fails(C, "eptp");
  vmcs[kEptp] = 0x46000 | (2 << 3) | 6;  // 3-level walk
  fails(C, "eptp");
  vmcs[kEptp] = 0x46000 | (1 << 6) | (3 << 3) | 6;  // A/D: haswell has it
  passes();
  lim.ept_vpid_cap &= ~(1ull << 21);
  fails(C, "eptp");
  vmcs[kEptp] = 0x46000 | (1 << 7) | (3 << 3) | 6;
  fails(C, "eptp");
  vmcs[kEptp] = 0x46000 | (3 << 3) | 6;
  vmcs[kSecondary] = 1u << 7;  // unrestricted guest without EPT
  fails(C, "unrestricted_guest_needs_ept");
  vmcs[kSecondary] = 1u << 14;  // VMCS shadowing
  vmcs[kVmreadBitmap] = 0x47000;
  vmcs[kVmwriteBitmap] = 0x48004;
  fails(C, "vmwrite_bitmap");
  vmcs[kVmreadBitmap] = 0x47004;
  fails(C, "vmread_bitmap");
}

// ---- 26.2.1.2 VM-exit controls ---------------------------------------------------------

TEST_F(EntryChecks, ExitControls) {
  vmcs[kExit] |= 1u << 12;  // load IA32_PERF_GLOBAL_CTRL: not implemented
  fails(C, "exit.reserved");
  EXPECT_NE(run()->message.find("IA32_VMX_TRUE_EXIT_CTLS allowed-1"), std::string::npos) << run()->message;
  allow_all();
  vmcs[kExit] = valid_vmcs(caps)[kExit] | (1u << 22);
  fails(C, "save_preemption_timer");
  vmcs[kPin] |= 1u << 6;
  passes();
}

TEST_F(EntryChecks, ExitMsrAreas) {
  vmcs[kExitStore] = 0x49008;  // not checked while the count is 0
  passes();
  vmcs[kExitStoreCount] = 2;
  fails(C, "exit_msr_store");
  vmcs[kExitStore] = 0x49000;
  passes();
  vmcs[kExitLoadCount] = 1;
  vmcs[kExitLoad] = (1ull << vt::kPhysAddrBits) - 8;  // aligned to 8 only, and the end beyond
  fails(C, "exit_msr_load");
  vmcs[kExitLoad] = (1ull << vt::kPhysAddrBits) - 16;  // the last entry ends at the limit
  passes();
  vmcs[kExitLoadCount] = 2;
  fails(C, "exit_msr_load");
}

// ---- 26.2.1.3 VM-entry controls --------------------------------------------------------

TEST_F(EntryChecks, EntryControls) {
  vmcs[kEntry] |= 1u << 13;  // load IA32_PERF_GLOBAL_CTRL: no performance counters modelled
  fails(C, "entry.reserved");
  vmcs = valid_vmcs(caps);
  vmcs[kEntry] &= ~(1u << 1);  // a default-1 bit that is no control: never clearable
  fails(C, "entry.reserved");
}

TEST_F(EntryChecks, InjectionTypeAndVector) {
  vmcs[kIntrInfo] = (1u << 31) | (0 << 8) | 0x20;  // external interrupt 32
  passes();
  vmcs[kIntrInfo] = (1u << 31) | (1 << 8) | 0x20;  // type 1: reserved
  fails(C, "injection.type");
  vmcs[kIntrInfo] = (1u << 31) | (7 << 8);  // other event: needs MTF support
  EXPECT_TRUE(lim.mtf);  // (branch vmxevent) implemented: haswell advertises it
  lim.mtf = false;
  fails(C, "injection.type");
  lim.mtf = true;
  passes();
  vmcs[kIntrInfo] = (1u << 31) | (7 << 8) | 1;
  fails(C, "injection.vector");
  vmcs[kIntrInfo] = (1u << 31) | (2 << 8) | 3;  // NMI with vector 3
  fails(C, "injection.vector");
  vmcs[kIntrInfo] = (1u << 31) | (3 << 8) | 32;  // hardware exception 32
  fails(C, "injection.vector");
  vmcs[kIntrInfo] = (1u << 31) | (2 << 8) | 2;
  passes();
  vmcs[kIntrInfo] = (1 << 8) | 0x20;  // not valid: nothing is checked
  passes();
}

TEST_F(EntryChecks, InjectionDeliverErrorCode) {
  vmcs[kIntrInfo] = (1u << 31) | (3 << 8) | 13;  // #GP without error code
  fails(C, "injection.deliver_error_code");
  vmcs[kIntrInfo] |= 1u << 11;
  passes();
  vmcs[kIntrInfo] = (1u << 31) | (1u << 11) | (3 << 8) | 6;  // #UD has none
  fails(C, "injection.deliver_error_code");
  vmcs[kIntrInfo] = (1u << 31) | (1u << 11) | (0 << 8) | 14;  // external interrupt 14 has none
  fails(C, "injection.deliver_error_code");
  // A real-mode guest (unrestricted guest, guest CR0.PE = 0) gets no error code.
  allow_all();
  vmcs[kPrimary] |= 1u << 31;
  vmcs[kSecondary] = (1u << 7) | (1u << 1);
  vmcs[kEptp] = 0x46000 | (3 << 3) | 6;
  vmcs[kGuestCr0] = 0x10;
  vmcs[kIntrInfo] = (1u << 31) | (1u << 11) | (3 << 8) | 13;
  fails(C, "injection.deliver_error_code");
  vmcs[kGuestCr0] = 0x11;
  passes();
}

TEST_F(EntryChecks, InjectionReservedBitsErrorCodeAndLength) {
  vmcs[kIntrInfo] = (1u << 31) | (1u << 12) | 0x20;
  fails(C, "injection.reserved");
  vmcs[kIntrInfo] = (1u << 31) | (1u << 11) | (3 << 8) | 14;
  vmcs[kIntrEc] = 0x10000;
  fails(C, "injection.error_code");
  vmcs[kIntrEc] = 0xFFFF;
  passes();
  vmcs[kIntrInfo] = (1u << 31) | (4 << 8) | 0x80;  // software interrupt INT 80h
  vmcs[kInsnLen] = 0;  // IA32_VMX_MISC bit 30 is 0: length 0 is not allowed
  fails(C, "injection.instruction_length");
  vmcs[kInsnLen] = 16;
  fails(C, "injection.instruction_length");
  vmcs[kInsnLen] = 2;
  passes();
}

TEST_F(EntryChecks, EntryMsrLoadAndSmm) {
  vmcs[kEntryLoadCount] = 1;
  vmcs[kEntryLoad] = 0x4A001;
  fails(C, "entry_msr_load");
  vmcs[kEntryLoad] = 0x4A000;
  passes();
  allow_all();
  vmcs[kEntry] |= 1u << 10;  // entry to SMM
  fails(C, "entry_smm");
}

// ---- 26.2.2 host control registers and MSRs ----------------------------------------------

TEST_F(EntryChecks, HostControlRegisters) {
  vmcs[kHostCr0] &= ~0x20u;  // NE is fixed to 1
  fails(H, "host.cr0_fixed");
  EXPECT_EQ(run()->section, "26.2.2");
  vmcs = valid_vmcs(caps);
  vmcs[kHostCr4] = 0;  // VMXE is fixed to 1
  fails(H, "host.cr4_fixed");
  vmcs[kHostCr4] = 0x2000 | (1u << 17);  // PCIDE: not a CR4 bit of this CPU
  fails(H, "host.cr4_fixed");
  vmcs = valid_vmcs(caps);
  vmcs[kHostCr3] = 1ull << vt::kPhysAddrBits;
  fails(H, "host.cr3");
}

TEST_F(EntryChecks, HostSysenterCanonical) {
  vmcs[kHostSysenterEsp] = 0xFFFFFFFF;  // any 32-bit value is canonical
  vmcs[kHostSysenterEip] = 0x80000000;
  passes();
  vmcs[kHostSysenterEsp] = 0x0000800000000000ull;
  fails(H, "host.sysenter_esp");
  vmcs[kHostSysenterEsp] = 0;
  vmcs[kHostSysenterEip] = 0x0001000000000000ull;
  fails(H, "host.sysenter_eip");
}

TEST_F(EntryChecks, HostPatAndEfer) {
  allow_all();
  vmcs[kExit] |= 1u << 19;  // load IA32_PAT
  vmcs[kHostPat] = 0x0007040600070406ull;  // the power-on PAT
  passes();
  vmcs[kHostPat] = 0x0007040600070402ull;  // type 2 is reserved
  fails(H, "host.pat");
  vmcs[kExit] &= ~(1u << 19);
  passes();
  vmcs[kExit] |= 1u << 21;  // load IA32_EFER
  vmcs[kHostEfer] = 0x801;  // SCE, NXE
  passes();
  vmcs[kHostEfer] = 0x2;
  fails(H, "host.efer");
  vmcs[kHostEfer] = 0x100;  // LME without "host address-space size"
  fails(H, "host.efer");
}

// ---- 26.2.3 host segment and descriptor-table registers ------------------------------------

TEST_F(EntryChecks, HostSelectorsRplAndTi) {
  const std::pair<uint32_t, const char*> sels[] = {
      {kHostEs, "host.es_selector"}, {kHostCs, "host.cs_selector"}, {kHostSs, "host.ss_selector"},
      {kHostDs, "host.ds_selector"}, {kHostFs, "host.fs_selector"}, {kHostGs, "host.gs_selector"},
      {kHostTr, "host.tr_selector"}};
  for (const auto& [enc, id] : sels) {
    for (uint64_t bad : {1u, 3u, 4u}) {
      vmcs = valid_vmcs(caps);
      vmcs[enc] |= bad;
      fails(H, id);
    }
  }
  // Null ES/DS/FS/GS are fine.
  vmcs = valid_vmcs(caps);
  vmcs[kHostEs] = vmcs[kHostDs] = vmcs[kHostFs] = vmcs[kHostGs] = 0;
  passes();
}

TEST_F(EntryChecks, HostNullSelectors) {
  vmcs[kHostCs] = 0;
  fails(H, "host.cs_null");
  vmcs = valid_vmcs(caps);
  vmcs[kHostTr] = 0;
  fails(H, "host.tr_null");
  vmcs = valid_vmcs(caps);
  vmcs[kHostSs] = 0;
  fails(H, "host.ss_null");
}

TEST_F(EntryChecks, HostBasesCanonical) {
  const std::pair<uint32_t, const char*> bases[] = {{kHostFsBase, "host.fs_base"},
                                                    {kHostGsBase, "host.gs_base"},
                                                    {kHostGdtrBase, "host.gdtr_base"},
                                                    {kHostIdtrBase, "host.idtr_base"},
                                                    {kHostTrBase, "host.tr_base"}};
  for (const auto& [enc, id] : bases) {
    vmcs = valid_vmcs(caps);
    vmcs[enc] = 0xFFFFF000;
    passes();
    vmcs[enc] = 0x00F0000000000000ull;
    fails(H, id);
  }
}

// ---- 26.2.4 address-space size -------------------------------------------------------------

TEST_F(EntryChecks, NoLongModeHostOrGuest) {
  allow_all();
  vmcs[kExit] |= 1u << 9;  // host address-space size
  fails(H, "host.address_space_size");
  vmcs[kExit] &= ~(1u << 9);
  vmcs[kEntry] |= 1u << 9;  // IA-32e mode guest
  fails(H, "host.ia32e_mode_guest");
  vmcs[kEntry] &= ~(1u << 9);
  vmcs[kHostRip] = 0x100003000ull;
  fails(H, "host.rip");
  // With today's capability MSRs these are already reserved control bits (error 7).
  lim = vt::EntryLimits::from(caps);
  vmcs = valid_vmcs(caps);
  vmcs[kEntry] |= 1u << 9;
  fails(C, "entry.reserved");
}

TEST_F(EntryChecks, TheFirstFailingCheckIsReported) {
  vmcs[kHostCs] = 0;         // host state (26.2.3)
  vmcs[kCr3Count] = 9;       // controls (26.2.1.1)
  vmcs[kExitLoadCount] = 1;  // controls (26.2.1.2), address 0 is fine
  vmcs[kExitLoad] = 4;
  fails(C, "cr3_target_count");
  vmcs[kCr3Count] = 0;
  fails(C, "exit_msr_load");
  vmcs[kExitLoad] = 0;
  fails(H, "host.cs_null");
}

// ---- End to end: VMWRITE + VMLAUNCH through the CPU ----------------------------------------

constexpr uint32_t kVmxon = 0x20000;
constexpr uint32_t kVmcs = 0x21000;
const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};  // vmwrite edx, ecx
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
const std::vector<uint8_t> kVmresume = {0x0F, 0x01, 0xC3};

class EntryChecksCpu : public cputest::SysTest {
 protected:
  EntryChecksCpu() : vmx(*vt::find_profile("haswell")) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    // A valid guest state (SDM 26.3.1) so that passing entries reach the not-implemented stop.
    const auto guest = vttest::guest_state_from(cpu.state(), cpu.flags());
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(cputest::kData, kVmxon);
    bus.set_dword(cputest::kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, cputest::kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    // The valid configuration, with the host state of this very CPU.
    auto v = valid_vmcs(vmx.capabilities());
    v[kHostCr0] = cpu.state().cr0;
    v[kHostCr3] = cpu.state().cr3;
    v[kHostCr4] = cpu.state().cr4;
    for (const auto& [enc, val] : v) write(enc, uint32_t(val));
    for (const auto& [enc, val] : guest) {
      write(enc, uint32_t(val));
      if (enc == vttest::kLinkPointer) write(enc + 1, uint32_t(val >> 32));  // the high half
    }
  }

  // Runs one instruction at kCode; returns the arithmetic flags afterwards (ZF = VMfailValid).
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
  uint64_t field(uint32_t enc) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v));
    return v;
  }
  // VMLAUNCH (or VMRESUME) expecting VMfailValid(error) at check `id`, with RIP past it.
  void launch_fails(uint32_t error, const std::string& id, const std::vector<uint8_t>& insn = kVmlaunch) {
    EXPECT_EQ(exec(insn), uint32_t(cpu::flag::ZF));
    EXPECT_EQ(cpu.state().rip, cputest::kCode + insn.size());
    EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), error);
    ASSERT_TRUE(vmx.last_entry_failure().has_value());
    EXPECT_EQ(vmx.last_entry_failure()->id, id);
  }

  vt::Vmx vmx;
  cpu::StopReason last_stop = cpu::StopReason::None;
};

TEST_F(EntryChecksCpu, AValidConfigurationEntersTheGuest) {
  exec(kVmlaunch);
  EXPECT_EQ(last_stop, cpu::StopReason::StepLimit);
  EXPECT_TRUE(cpu.non_root());
  EXPECT_FALSE(vmx.last_entry_failure().has_value());
  EXPECT_TRUE(vmx.state().launched);
  EXPECT_EQ(vmx.entry_count(), 1u);
  EXPECT_EQ(cpu.event_counts()[cpu::EventKind::VmEntry], 1u);
}

TEST_F(EntryChecksCpu, ControlFailureIsVmfailValid7AndChangesNothingElse) {
  write(kPin, uint32_t(field(kPin)) | (1u << 7));  // process posted interrupts: not allowed-1
  const auto before = vmx.state().fields;
  launch_fails(7, "pin.reserved");
  EXPECT_FALSE(vmx.state().launched);
  EXPECT_EQ(vmx.state().current_vmcs, kVmcs);
  // Only the VM-instruction error field changed.
  const size_t err = *vt::field_slot(vt::field::VM_INSTRUCTION_ERROR);
  for (size_t k = 0; k < before.size(); ++k) {
    if (k != err) {
      EXPECT_EQ(vmx.state().fields[k], before[k]) << vt::vmcs_fields()[k].name;
    }
  }
  const std::string d = vmx.dump();
  EXPECT_NE(d.find("last_entry_failure=error 7 check pin.reserved (SDM 26.2.1.1)\n"), std::string::npos) << d;
  EXPECT_NE(d.find("last_entry_failure_message=pin-based controls: bit 7 (process posted interrupts) must be 0"), std::string::npos)
      << d;
}

TEST_F(EntryChecksCpu, HostStateFailureIsVmfailValid8) {
  write(kHostCs, 0x0B);  // RPL 3
  launch_fails(8, "host.cs_selector");
  write(kHostCs, 0x08);
  write(kHostTr, 0);
  launch_fails(8, "host.tr_null");
  write(kHostTr, 0x28);
  write(kHostCr4, 0);
  launch_fails(8, "host.cr4_fixed");
  // Fixed: the entry happens, and the recorded failure is gone.
  write(kHostCr4, uint32_t(cpu.state().cr4));
  exec(kVmlaunch);
  EXPECT_TRUE(cpu.non_root());
  EXPECT_FALSE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.dump().find("last_entry_failure"), std::string::npos);
}

TEST_F(EntryChecksCpu, ControlsAreCheckedBeforeHostStateAndInjection) {
  write(kHostSs, 0);
  write(kIntrInfo, (1u << 31) | (3 << 8) | 13);  // #GP without its error code
  launch_fails(7, "injection.deliver_error_code");
  write(kCr3Count, 5);
  launch_fails(7, "cr3_target_count");
  write(kCr3Count, 0);
  write(kIntrInfo, 0);
  launch_fails(8, "host.ss_null");
}

TEST_F(EntryChecksCpu, VmresumeRunsTheSameChecks) {
  // A VMCS in the launched state (Ringside's layout, without a VMLAUNCH):
  // make another region current (the cache is written back), mark it launched, reload it.
  bus.set_dword(cputest::kData + 8, kVmcs + 0x1000);
  bus.set_dword(kVmcs + 0x1000, vt::kVmcsRevision);
  ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);  // write the cache back
  bus.set_dword(kVmcs + vt::kLaunchStateOffset, vt::kLaunched);
  bus.set_dword(cputest::kData + 8, kVmcs);
  ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
  ASSERT_TRUE(vmx.state().launched);
  write(kExitStoreCount, 1);
  write(kExitStore, 0x49004);
  launch_fails(7, "exit_msr_store", kVmresume);
  write(kExitStore, 0x49000);
  exec(kVmresume);
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(vmx.entry_count(), 1u);
}

TEST_F(EntryChecksCpu, LastFailureSurvivesSaveAndLoad) {
  write(kHostGs, 0x13);
  launch_fails(8, "host.gs_selector");
  platform::StateWriter w;
  vmx.save(w);
  const std::string before = vmx.dump();
  vmx.reset();
  platform::StateReader r(w.data());
  vmx.load(r);
  EXPECT_EQ(vmx.dump(), before);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->section, "26.2.3");
}

}  // namespace
