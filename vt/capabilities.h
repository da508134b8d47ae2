// vt/capabilities.h — what the simulated processor reports about VMX: the capability
// MSRs IA32_VMX_BASIC (0x480) .. IA32_VMX_VMFUNC (0x491) of Intel SDM Vol.3 Appendix A.
//
// Two inputs decide every bit:
//   * a CPU profile ("haswell" by default): the controls and capabilities the modelled
//     processor has;
//   * the table of controls below, each with an `implemented` flag: what Ringside actually
//     does today.
// The MSRs report profile ∩ implemented, so a hypervisor never sees a feature that would
// silently do nothing; as VM entry, exits and EPT land, their flags flip and the
// advertised set grows with no other change.
//
// What is reported while only VMXON..VMWRITE exist (no VM entry yet):
//   IA32_VMX_BASIC   revision kVmcsRevision, region size 4096 (bits 44:32), bit 48 = 0
//                    (physical addresses up to MAXPHYADDR), memory type 6 = WB (53:50),
//                    bit 54 (INS/OUTS instruction information) only when implemented: 0,
//                    bit 55 = 1 (the TRUE_* MSRs exist), bit 56 = 0.
//   control MSRs     allowed-0 = the default-1 bits (Appendix A.3-A.5: pin 0x16, primary
//                    0x0401E172, exit 0x00036DFF, entry 0x000011FF); allowed-1 = those bits
//                    plus the implemented controls of the profile (none yet). The TRUE_*
//                    MSRs may clear the default-1 bits that are real controls (CR3-load/
//                    store exiting, save/load debug controls) once those are implemented;
//                    until then TRUE_* equal their plain MSRs.
//   secondary controls, EPT_VPID_CAP, VMFUNC: exist only when the primary control
//                    "activate secondary controls" (or EPT/VPID, VM functions) may be 1
//                    (SDM A.3.3, A.10, A.11); until then RDMSR of them is #GP(0).
//   IA32_VMX_MISC    preemption-timer rate and CR3-target count from the profile, bit 29
//                    (VMWRITE to any field, VM-exit information included) when the profile
//                    has it — implemented, as VMWRITE is; activity states, bit 5 and bit 28
//                    only when implemented (0 today). MSEG revision 0.
//   CR0/CR4 FIXED0   PE, NE, PG / VMXE (SDM A.7, A.8; unrestricted guest is not offered).
//   CR0/CR4 FIXED1   the CR0 bits this CPU keeps and the CR4 bits it accepts
//                    (kCr0Bits/kCr4Bits: every other bit is fixed to 0).
//   VMCS_ENUM        the highest index of the fields that exist (bits 9:1).
// Every one of these MSRs is read-only (WRMSR #GP(0)); without VMX none exists.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "vt/vmcs_fields.h"

namespace vt {

// The VMCS revision identifier of Ringside's VMCS layout (vmx.h), bits 30:0. Not a real
// CPU's: the layout is Ringside's own, and software must not depend on it.
constexpr uint32_t kVmcsRevision = 0x52530001;  // "RS", layout 1

namespace msr {
constexpr uint32_t VMX_BASIC = 0x480, VMX_PINBASED_CTLS = 0x481, VMX_PROCBASED_CTLS = 0x482,
                   VMX_EXIT_CTLS = 0x483, VMX_ENTRY_CTLS = 0x484, VMX_MISC = 0x485,
                   VMX_CR0_FIXED0 = 0x486, VMX_CR0_FIXED1 = 0x487, VMX_CR4_FIXED0 = 0x488,
                   VMX_CR4_FIXED1 = 0x489, VMX_VMCS_ENUM = 0x48A, VMX_PROCBASED_CTLS2 = 0x48B,
                   VMX_EPT_VPID_CAP = 0x48C, VMX_TRUE_PINBASED_CTLS = 0x48D,
                   VMX_TRUE_PROCBASED_CTLS = 0x48E, VMX_TRUE_EXIT_CTLS = 0x48F,
                   VMX_TRUE_ENTRY_CTLS = 0x490, VMX_VMFUNC = 0x491;
}  // namespace msr

// The CR0 bits the CPU keeps (others read 0) and the CR4 bits it accepts (others #GP):
// cpu/exec/system.cpp write_cr0 / write_cr4. vt_caps_test checks they agree.
constexpr uint64_t kCr0Bits = 0xE005003F;  // PE MP EM TS ET NE WP AM NW CD PG
constexpr uint64_t kCr4Bits = 0x2FFF;      // VME .. OSXMMEXCPT, UMIP, VMXE

enum class ControlWord : uint8_t { Pin, Primary, Secondary, Exit, Entry, Count };
const char* control_word_name(ControlWord w);

// One VM-execution, VM-exit or VM-entry control (SDM 24.6.1-24.6.2, 24.7.1, 24.8.1).
struct Control {
  ControlWord word;
  uint8_t bit;
  const char* name;
  bool implemented;  // Ringside does what the SDM says for this control
};
std::span<const Control> vmx_controls();

// The modelled processor.
struct Profile {
  const char* name;
  const char* note;
  uint32_t allowed1[unsigned(ControlWord::Count)];  // controls it has (non-default-1 bits)
  uint8_t preemption_timer_rate;  // MISC[4:0]
  uint8_t cr3_targets;            // MISC[24:16]
  bool vmwrite_any_field;         // MISC[29]
  uint64_t ept_vpid_cap;          // IA32_VMX_EPT_VPID_CAP
  uint64_t vmfunc;                // IA32_VMX_VMFUNC
};
// nullptr for an unknown name.
const Profile* find_profile(std::string_view name);
const char* profile_names();  // "haswell, nehalem"

// The default-1 bits of each control word (SDM Appendix A.3-A.5).
constexpr uint32_t kDefault1[] = {0x00000016, 0x0401E172, 0, 0x00036DFF, 0x000011FF};

class Capabilities {
 public:
  explicit Capabilities(const Profile& p);
  const Profile& profile() const { return *p_; }

  // Allowed-1 settings of a control word: default-1 bits ∪ (profile ∩ implemented).
  uint32_t allowed1(ControlWord w) const { return allowed1_[unsigned(w)]; }
  // Allowed-0 settings (bits that must be 1); `true_msr` for the TRUE_* MSRs.
  uint32_t allowed0(ControlWord w, bool true_msr) const;
  bool has(ControlWord w, unsigned bit) const { return (allowed1(w) >> bit) & 1; }
  // A field's feature is advertised (the field exists for VMREAD/VMWRITE).
  bool feature(Feature f) const;
  bool field_supported(const FieldInfo& f) const { return feature(f.depends); }
  bool vmwrite_any_field() const { return misc() & (1ull << 29); }
  bool vmcs_shadowing() const { return feature(Feature::VmcsShadowing); }

  uint64_t basic() const;
  uint64_t misc() const;
  uint64_t vmcs_enum() const;
  static constexpr uint64_t cr0_fixed0() { return 0x80000021; }  // PE, NE, PG
  static constexpr uint64_t cr0_fixed1() { return kCr0Bits; }
  static constexpr uint64_t cr4_fixed0() { return 0x2000; }      // VMXE
  static constexpr uint64_t cr4_fixed1() { return kCr4Bits; }
  // CR0/CR4 values allowed in VMX operation (SDM 23.8).
  static bool cr0_ok(uint64_t v) {
    return (v & cr0_fixed0()) == cr0_fixed0() && (v & ~cr0_fixed1() & 0xFFFFFFFF) == 0;
  }
  static bool cr4_ok(uint64_t v) { return (v & cr4_fixed0()) == cr4_fixed0() && (v & ~cr4_fixed1()) == 0; }

  // RDMSR of a VMX capability MSR: false when that MSR does not exist (#GP(0)).
  bool read_msr(uint32_t index, uint64_t& v) const;

 private:
  static uint64_t control_msr(uint32_t allowed0, uint32_t allowed1) {
    return uint64_t(allowed0) | (uint64_t(allowed1) << 32);
  }
  const Profile* p_;
  uint32_t allowed1_[unsigned(ControlWord::Count)];
};

}  // namespace vt
