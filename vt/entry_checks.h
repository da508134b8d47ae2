// vt/entry_checks.h — the checks VMLAUNCH/VMRESUME make on the VMX controls and the host-state
// area before loading anything (Intel SDM Vol.3 26.2: 26.2.1 controls, 26.2.2 host control
// registers and MSRs, 26.2.3 host segment and descriptor-table registers, 26.2.4 address-
// space size). A failure is VMfailValid with VM-instruction error 7 (controls) or 8 (host
// state) and changes nothing else (SDM 26.2).
//
//   EntryLimits lim = EntryLimits::from(vmx.capabilities());
//   if (auto f = check_controls_and_host([&](uint32_t enc) { return ...; }, lim))
//     ... f->error, f->id ("pin.allowed0"), f->section ("26.2.1.1"), f->message
//
// The checks are one table (entry_checks.cpp) in the SDM's order; the first failing one is
// reported, with a stable id, its section and a one-line message. The limits are a plain
// struct taken from the capability MSRs, so a test can also run the checks that today's
// MSRs make unreachable (no control beyond the default-1 bits is allowed-1 yet, so e.g.
// the I/O-bitmap address check can only fail once "use I/O bitmaps" is implemented).
//
// Not checked (yet): the TPR threshold against VTPR in the virtual-APIC page (needs the
// page's memory), posted-interrupt descriptor, PML, #VE, VM-function and sub-page checks
// beyond the allowed-1 bits, IA32_PERF_GLOBAL_CTRL reserved bits (no performance
// counters modelled), the SMM/dual-monitor treatment (entry to SMM must be 0).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "vt/capabilities.h"

namespace vt {

// VM-instruction errors of VM entry (SDM Vol.3 30.4, Table 30-1).
constexpr uint32_t kErrEntryInvalidControls = 7;
constexpr uint32_t kErrEntryInvalidHostState = 8;
// A guest-state check failure is not a VM-instruction error but a VM exit with basic exit
// reason 33 and bit 31 set ("VM-entry failure due to invalid guest state", SDM 26.8, Vol.3
// Appendix C). EntryCheckFailure::error holds 33 for those.
constexpr uint32_t kExitInvalidGuestState = 33;

// What the checks compare the VMCS against: the capability MSRs of the processor.
struct EntryLimits {
  uint32_t allowed0[unsigned(ControlWord::Count)];  // bits that must be 1
  uint32_t allowed1[unsigned(ControlWord::Count)];  // bits that may be 1
  bool true_msrs;                                   // BASIC bit 55: allowed-0 from TRUE_*
  unsigned cr3_targets;                             // MISC[24:16]
  bool mtf;                                         // "monitor trap flag" may be 1 (type 7 events)
  bool zero_length_injection;                       // MISC bit 30
  uint64_t ept_vpid_cap;
  uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
  unsigned phys_addr_bits;  // MAXPHYADDR
  unsigned activity_states;  // MISC bits 8:6 (HLT, shutdown, wait-for-SIPI) as bits 2:0

  static EntryLimits from(const Capabilities& caps);
};

struct EntryCheckFailure {
  uint32_t error;       // VM-instruction error 7 or 8, or exit reason 33 (guest state)
  std::string id;       // stable, e.g. "host.cr0_fixed"
  std::string section;  // SDM Vol.3 section, e.g. "26.2.2"
  std::string message;  // one line

  bool operator==(const EntryCheckFailure&) const = default;
};

// The value of a VMCS field by full-access encoding (0 for a field that does not exist).
using VmcsReader = std::function<uint64_t(uint32_t encoding)>;

// The checks of SDM 26.2.1-26.2.4 in order; the first failure, or nothing.
std::optional<EntryCheckFailure> check_controls_and_host(const VmcsReader& read, const EntryLimits& lim);

// Every check in table order: id, section, error (for docs, tests and load validation).
struct EntryCheckInfo {
  const char* id;
  const char* section;
  uint32_t error;
};
std::span<const EntryCheckInfo> entry_check_list();

// The checks on the guest-state area, SDM 26.3.1.1-26.3.1.5 in order (run after
// check_controls_and_host passed, so they may assume valid controls); the first failure
// (error kExitInvalidGuestState), or nothing. Guests are outside IA-32e mode here (the
// "IA-32e mode guest" control is already refused by 26.2.4), so the IA-32e-only rules are
// vacuous. The VMCS link pointer's target (revision identifier, shadow-VMCS indicator, not
// the current VMCS) needs memory and is checked by Vmx::vmlaunch under the same id. Not
// checked (yet): SMM-related rules (entry to SMM is 0),
// the enclave-interruption bit (no SGX: reserved), IA32_PERF_GLOBAL_CTRL, IA32_BNDCFGS,
// IA32_RTIT_CTL, CET and PKRS state (their load controls are never allowed-1).
std::optional<EntryCheckFailure> check_guest_state(const VmcsReader& read, const EntryLimits& lim);
std::span<const EntryCheckInfo> guest_check_list();

}  // namespace vt
