// vt/capabilities.cpp — control table, CPU profiles and the capability MSRs.
#include "vt/capabilities.h"

#include <algorithm>
#include <initializer_list>

namespace vt {

namespace {

using CW = ControlWord;

// Every control Ringside knows (SDM Vol.3 Tables 24-5 to 24-7, 24-13, 24-15). None is
// implemented yet: VM entry arrives with the next landing, and each control's flag flips
// when the behaviour behind it exists.
constexpr Control kControls[] = {
    {CW::Pin, 0, "external-interrupt exiting", true},
    {CW::Pin, 3, "NMI exiting", true},
    {CW::Pin, 5, "virtual NMIs", true},
    {CW::Pin, 6, "activate VMX-preemption timer", true},
    {CW::Pin, 7, "process posted interrupts", false},
    {CW::Primary, 2, "interrupt-window exiting", true},
    {CW::Primary, 3, "use TSC offsetting", true},
    {CW::Primary, 7, "HLT exiting", true},
    {CW::Primary, 9, "INVLPG exiting", true},
    {CW::Primary, 10, "MWAIT exiting", false},
    {CW::Primary, 11, "RDPMC exiting", true},
    {CW::Primary, 12, "RDTSC exiting", true},
    {CW::Primary, 15, "CR3-load exiting", true},   // default 1; TRUE_ MSR may clear
    {CW::Primary, 16, "CR3-store exiting", true},  // default 1; TRUE_ MSR may clear
    {CW::Primary, 19, "CR8-load exiting", false},
    {CW::Primary, 20, "CR8-store exiting", false},
    {CW::Primary, 21, "use TPR shadow", true},  // vmx.cpp check_tpr_against_vtpr
    {CW::Primary, 22, "NMI-window exiting", true},
    {CW::Primary, 23, "MOV-DR exiting", true},
    {CW::Primary, 24, "unconditional I/O exiting", true},
    {CW::Primary, 25, "use I/O bitmaps", true},
    {CW::Primary, 27, "monitor trap flag", true},
    {CW::Primary, 28, "use MSR bitmaps", true},
    {CW::Primary, 29, "MONITOR exiting", false},
    {CW::Primary, 30, "PAUSE exiting", true},
    {CW::Primary, 31, "activate secondary controls", true},
    {CW::Secondary, 0, "virtualize APIC accesses", false},
    {CW::Secondary, 1, "enable EPT", true},  // vt/ept.cpp
    {CW::Secondary, 2, "descriptor-table exiting", true},
    {CW::Secondary, 3, "enable RDTSCP", true},
    {CW::Secondary, 4, "virtualize x2APIC mode", false},
    {CW::Secondary, 5, "enable VPID", true},  // the TLB is flushed at every transition
    {CW::Secondary, 6, "WBINVD exiting", true},
    {CW::Secondary, 7, "unrestricted guest", true},  // real mode and PG = 0 in non-root
    {CW::Secondary, 8, "APIC-register virtualization", false},
    {CW::Secondary, 9, "virtual-interrupt delivery", false},
    {CW::Secondary, 10, "PAUSE-loop exiting", false},
    {CW::Secondary, 12, "enable INVPCID", false},
    {CW::Secondary, 13, "enable VM functions", false},
    {CW::Secondary, 14, "VMCS shadowing", true},
    {CW::Secondary, 17, "enable PML", false},
    {CW::Secondary, 18, "EPT-violation #VE", false},
    {CW::Secondary, 20, "enable XSAVES/XRSTORS", false},
    {CW::Secondary, 25, "use TSC scaling", false},
    {CW::Exit, 2, "save debug controls", true},  // default 1; TRUE_ MSR may clear
    {CW::Exit, 9, "host address-space size", false},
    {CW::Exit, 12, "load IA32_PERF_GLOBAL_CTRL", false},
    {CW::Exit, 15, "acknowledge interrupt on exit", true},
    {CW::Exit, 18, "save IA32_PAT", true},
    {CW::Exit, 19, "load IA32_PAT", true},
    {CW::Exit, 20, "save IA32_EFER", true},
    {CW::Exit, 21, "load IA32_EFER", true},
    {CW::Exit, 22, "save VMX-preemption timer value", true},
    {CW::Entry, 2, "load debug controls", true},  // default 1; TRUE_ MSR may clear
    {CW::Entry, 9, "IA-32e mode guest", false},
    {CW::Entry, 10, "entry to SMM", false},
    {CW::Entry, 11, "deactivate dual-monitor treatment", false},
    {CW::Entry, 13, "load IA32_PERF_GLOBAL_CTRL", false},
    {CW::Entry, 14, "load IA32_PAT", true},
    {CW::Entry, 15, "load IA32_EFER", true},
};

// Default-1 bits that are real controls, which the TRUE_* MSRs report as allowed-0 when
// the processor lets software clear them (SDM A.2).
constexpr uint32_t kTrueClearable[] = {0, (1u << 15) | (1u << 16), 0, 1u << 2, 1u << 2};

// Implemented activity states (MISC bits 6-8: HLT, shutdown, wait-for-SIPI), bit 5 (LMA
// stored on exit) and bit 28 (SMM VMXOFF unblocks SMIs): the HLT activity state.
constexpr uint64_t kImplementedMiscBits = 1ull << 6;  // HLT (branch vmxevent)
// EPT/VPID capabilities (IA32_VMX_EPT_VPID_CAP, SDM A.10) implemented (vt/ept.cpp):
// execute-only (0), page-walk length 4 (6), UC (8) and WB (14) EPT memory types, 2 MiB (16)
// and 1 GiB (17) pages, INVEPT (20), EPT accessed/dirty flags (21), INVEPT single-context
// (25) and all-context (26), INVVPID (32) with individual-address (40), single-context (41),
// all-context (42) and single-context-retaining-globals (43). VM functions: none yet.
constexpr uint64_t kImplementedEptVpidCaps =
    (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16) | (1ull << 17) |
    (1ull << 20) | (1ull << 21) | (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 40) |
    (1ull << 41) | (1ull << 42) | (1ull << 43);
constexpr uint64_t kImplementedVmfuncs = 0;
// IA32_VMX_BASIC bit 54 (INS/OUTS instruction information on exits): not yet.
constexpr bool kInsOutsInfoImplemented = true;

constexpr uint32_t bits(std::initializer_list<unsigned> l) {
  uint32_t v = 0;
  for (unsigned b : l) v |= 1u << b;
  return v;
}

// Haswell (Core i7-4770 class, the processor Bochs' corei7_haswell_4770 models): the
// controls of SDM Vol.3 chapter 24 as of that generation. No posted interrupts, APIC-register
// virtualization or virtual-interrupt delivery (server parts only), no PML, #VE, XSAVES or
// TSC scaling (Broadwell and later). MISC: preemption-timer rate 5, 4 CR3 targets, bit 29.
// EPT: execute-only, 4-level walk, UC and WB, 2 MiB and 1 GiB pages, INVEPT (single,
// all), A/D flags; VPID: INVVPID (individual address, single, all, single-retaining-globals).
constexpr Profile kHaswell{
    "haswell",
    "Haswell-class (Core i7-4770): EPT with A/D and 2 MiB/1 GiB pages, VPID, unrestricted "
    "guest, VMCS shadowing, VM functions, preemption timer, MISC bit 29",
    {bits({0, 3, 5, 6}),
     bits({2, 3, 7, 9, 10, 11, 12, 15, 16, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31}),
     bits({0, 1, 2, 3, 4, 5, 6, 7, 10, 12, 13, 14}),
     bits({2, 9, 12, 15, 18, 19, 20, 21, 22}),
     bits({2, 9, 13, 14, 15})},
    5,
    4,
    true,
    (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16) | (1ull << 17) |
        (1ull << 20) | (1ull << 21) | (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 40) |
        (1ull << 41) | (1ull << 42) | (1ull << 43),
    1ull << 0,  // EPTP switching
};

// Nehalem (Core i7 first generation), approximately: EPT without A/D flags or 1 GiB pages,
// VPID, no unrestricted guest, VMCS shadowing, VM functions or INVPCID, and no MISC bit 29
// (VMWRITE to a VM-exit information field fails with error 13).
constexpr Profile kNehalem{
    "nehalem",
    "Nehalem-class: EPT (no A/D flags), VPID, preemption timer; no unrestricted guest, "
    "no VMCS shadowing, no MISC bit 29",
    {bits({0, 3, 5, 6}),
     bits({2, 3, 7, 9, 10, 11, 12, 15, 16, 19, 20, 21, 22, 23, 24, 25, 27, 28, 29, 30, 31}),
     bits({0, 1, 2, 3, 4, 5, 6}),
     bits({2, 9, 12, 15, 18, 19, 20, 21, 22}),
     bits({2, 9, 13, 14, 15})},
    5,
    4,
    false,
    (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 14) | (1ull << 16) | (1ull << 20) |
        (1ull << 25) | (1ull << 26) | (1ull << 32) | (1ull << 41) | (1ull << 42),
    0,
};

}  // namespace

const char* control_word_name(ControlWord w) {
  switch (w) {
    case CW::Pin: return "pin-based";
    case CW::Primary: return "primary processor-based";
    case CW::Secondary: return "secondary processor-based";
    case CW::Exit: return "VM-exit";
    case CW::Entry: return "VM-entry";
    case CW::Count: break;
  }
  return "?";
}

std::span<const Control> vmx_controls() { return kControls; }

const Profile* find_profile(std::string_view name) {
  if (name == kHaswell.name) return &kHaswell;
  if (name == kNehalem.name) return &kNehalem;
  return nullptr;
}

const char* profile_names() { return "haswell, nehalem"; }

Capabilities::Capabilities(const Profile& p) : p_(&p) {
  for (unsigned w = 0; w < unsigned(CW::Count); ++w) allowed1_[w] = kDefault1[w];
  for (const Control& c : kControls) {
    const unsigned w = unsigned(c.word);
    if (c.implemented && ((p.allowed1[w] >> c.bit) & 1)) allowed1_[w] |= 1u << c.bit;
  }
  // Secondary controls exist only when the primary control enabling them may be 1.
  if (!((allowed1_[unsigned(CW::Primary)] >> 31) & 1)) allowed1_[unsigned(CW::Secondary)] = 0;
}

uint32_t Capabilities::allowed0(ControlWord w, bool true_msr) const {
  uint32_t v = kDefault1[unsigned(w)];
  if (true_msr) {
    for (const Control& c : kControls) {
      if (c.word == w && c.implemented && ((kTrueClearable[unsigned(w)] >> c.bit) & 1))
        v &= ~(1u << c.bit);
    }
  }
  return v;
}

bool Capabilities::feature(Feature f) const {
  switch (f) {
    case Feature::None: return true;
    case Feature::Vpid: return has(CW::Secondary, 5);
    case Feature::PostedInterrupts: return has(CW::Pin, 7);
    case Feature::EptViolationVe: return has(CW::Secondary, 18);
    case Feature::VirtualIntrDelivery: return has(CW::Secondary, 9);
    case Feature::Pml: return has(CW::Secondary, 17);
    case Feature::TprShadow: return has(CW::Primary, 21);
    case Feature::ApicAccess: return has(CW::Secondary, 0);
    case Feature::VmFunctions: return has(CW::Secondary, 13);
    case Feature::Ept: return has(CW::Secondary, 1);
    case Feature::EptpSwitching:
      return has(CW::Secondary, 13) && (p_->vmfunc & kImplementedVmfuncs & 1);
    case Feature::VmcsShadowing: return has(CW::Secondary, 14);
    case Feature::Xsaves: return has(CW::Secondary, 20);
    case Feature::TscScaling: return has(CW::Secondary, 25);
    case Feature::PatLoadSave: return has(CW::Entry, 14) || has(CW::Exit, 18) || has(CW::Exit, 19);
    case Feature::EferLoadSave: return has(CW::Entry, 15) || has(CW::Exit, 20) || has(CW::Exit, 21);
    case Feature::PerfGlobalCtrl: return has(CW::Entry, 13) || has(CW::Exit, 12);
    case Feature::SecondaryControls: return has(CW::Primary, 31);
    case Feature::PauseLoopExiting: return has(CW::Secondary, 10);
    case Feature::PreemptionTimer: return has(CW::Pin, 6);
    case Feature::Count: break;
  }
  return false;
}

uint64_t Capabilities::basic() const {
  // SDM Vol.3 A.1.
  uint64_t v = kVmcsRevision;
  v |= 4096ull << 32;  // VMXON / VMCS region size
  v |= 6ull << 50;     // write-back memory type for VMCS and referenced structures
  if (kInsOutsInfoImplemented) v |= 1ull << 54;
  v |= 1ull << 55;  // IA32_VMX_TRUE_*_CTLS exist
  return v;
}

uint64_t Capabilities::misc() const {
  // SDM Vol.3 A.6.
  uint64_t v = p_->preemption_timer_rate & 0x1F;
  v |= kImplementedMiscBits;
  v |= uint64_t(p_->cr3_targets & 0x1FF) << 16;
  if (p_->vmwrite_any_field) v |= 1ull << 29;  // implemented by VMWRITE
  return v;
}

uint64_t Capabilities::vmcs_enum() const {
  // SDM Vol.3 A.9: bits 9:1 hold the highest index value used for any supported field.
  unsigned highest = 0;
  for (const FieldInfo& f : vmcs_fields()) {
    if (field_supported(f)) highest = std::max(highest, decode_encoding(f.encoding).index);
  }
  return uint64_t(highest) << 1;
}

bool Capabilities::read_msr(uint32_t index, uint64_t& v) const {
  switch (index) {
    case msr::VMX_BASIC: v = basic(); return true;
    case msr::VMX_PINBASED_CTLS:
    case msr::VMX_TRUE_PINBASED_CTLS:
      v = control_msr(allowed0(CW::Pin, index == msr::VMX_TRUE_PINBASED_CTLS), allowed1(CW::Pin));
      return true;
    case msr::VMX_PROCBASED_CTLS:
    case msr::VMX_TRUE_PROCBASED_CTLS:
      v = control_msr(allowed0(CW::Primary, index == msr::VMX_TRUE_PROCBASED_CTLS), allowed1(CW::Primary));
      return true;
    case msr::VMX_EXIT_CTLS:
    case msr::VMX_TRUE_EXIT_CTLS:
      v = control_msr(allowed0(CW::Exit, index == msr::VMX_TRUE_EXIT_CTLS), allowed1(CW::Exit));
      return true;
    case msr::VMX_ENTRY_CTLS:
    case msr::VMX_TRUE_ENTRY_CTLS:
      v = control_msr(allowed0(CW::Entry, index == msr::VMX_TRUE_ENTRY_CTLS), allowed1(CW::Entry));
      return true;
    case msr::VMX_MISC: v = misc(); return true;
    case msr::VMX_CR0_FIXED0: v = cr0_fixed0(); return true;
    case msr::VMX_CR0_FIXED1: v = cr0_fixed1(); return true;
    case msr::VMX_CR4_FIXED0: v = cr4_fixed0(); return true;
    case msr::VMX_CR4_FIXED1: v = cr4_fixed1(); return true;
    case msr::VMX_VMCS_ENUM: v = vmcs_enum(); return true;
    case msr::VMX_PROCBASED_CTLS2:
      // SDM A.3.3: exists only if bit 63 of IA32_VMX_PROCBASED_CTLS is 1.
      if (!has(CW::Primary, 31)) return false;
      v = control_msr(0, allowed1(CW::Secondary));
      return true;
    case msr::VMX_EPT_VPID_CAP:
      // SDM A.10: exists only with the 1-setting of "enable EPT" or "enable VPID".
      if (!has(CW::Secondary, 1) && !has(CW::Secondary, 5)) return false;
      v = p_->ept_vpid_cap & kImplementedEptVpidCaps;
      return true;
    case msr::VMX_VMFUNC:
      // SDM A.11: exists only with the 1-setting of "enable VM functions".
      if (!has(CW::Secondary, 13)) return false;
      v = p_->vmfunc & kImplementedVmfuncs;
      return true;
    default: return false;
  }
}

}  // namespace vt
