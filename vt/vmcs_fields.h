// vt/vmcs_fields.h — the VMCS field encodings of Intel SDM Vol.3 Appendix B, as one table.
//
// A field encoding is a 32-bit value (SDM Vol.3 24.11.2, Table 24-21):
//   bit 0      access type: 0 = full, 1 = high (the upper 32 bits of a 64-bit field)
//   bits 9:1   index
//   bits 11:10 type: 0 control, 1 VM-exit information (read-only data), 2 guest state,
//              3 host state
//   bit 12     reserved (0)
//   bits 14:13 width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width
//   bits 31:15 reserved (0)
// The table lists every field a Haswell-class processor has (Appendix B.1-B.4) with the
// capability it depends on: a field whose feature the CPU does not advertise does not
// exist for VMREAD/VMWRITE (VM-instruction error 12). Names follow the SDM's wording in
// snake case; the debugger and the GUI show fields by these names.
//
// The order of the table is also the layout of field data in a VMCS region (vmx.h):
// append new fields at the end of the table and bump kVmcsRevision when it changes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vt {

enum class FieldWidth : uint8_t { Bits16 = 0, Bits64 = 1, Bits32 = 2, Natural = 3 };
enum class FieldType : uint8_t { Control = 0, ExitInfo = 1, Guest = 2, Host = 3 };
const char* field_width_name(FieldWidth w);
const char* field_type_name(FieldType t);

// The capability a field depends on (SDM Appendix B footnotes: "this field exists only on
// processors that support the 1-setting of the ... control").
enum class Feature : uint8_t {
  None,              // every VMX processor
  Vpid,              // secondary "enable VPID"
  PostedInterrupts,  // pin-based "process posted interrupts"
  EptViolationVe,    // secondary "EPT-violation #VE"
  VirtualIntrDelivery,  // secondary "virtual-interrupt delivery"
  Pml,               // secondary "enable PML"
  TprShadow,         // primary "use TPR shadow"
  ApicAccess,        // secondary "virtualize APIC accesses"
  VmFunctions,       // secondary "enable VM functions"
  Ept,               // secondary "enable EPT"
  EptpSwitching,     // VM function 0 (EPTP switching)
  VmcsShadowing,     // secondary "VMCS shadowing"
  Xsaves,            // secondary "enable XSAVES/XRSTORS"
  TscScaling,        // secondary "use TSC scaling"
  PatLoadSave,       // entry "load IA32_PAT" or exit "save/load IA32_PAT"
  EferLoadSave,      // entry "load IA32_EFER" or exit "save/load IA32_EFER"
  PerfGlobalCtrl,    // entry/exit "load IA32_PERF_GLOBAL_CTRL"
  SecondaryControls, // primary "activate secondary controls"
  PauseLoopExiting,  // secondary "PAUSE-loop exiting"
  PreemptionTimer,   // pin-based "activate VMX-preemption timer"
  Count
};
const char* feature_name(Feature f);

struct FieldInfo {
  const char* name;
  uint32_t encoding;  // the full-access encoding
  FieldWidth width;
  FieldType type;
  Feature depends;

  bool read_only() const { return type == FieldType::ExitInfo; }
};

// Every field, in table (= VMCS layout) order.
std::span<const FieldInfo> vmcs_fields();
// Position of a field in vmcs_fields(), by full-access encoding. Inline: VM entry reads a
// few hundred fields through it.
namespace detail {
// Encoding key width:type:index (13 bits) -> slot, -1 for none (vmcs_fields.cpp).
extern const std::array<int16_t, 1u << 13> kSlotByKey;
constexpr unsigned slot_key(uint32_t enc) {
  return (((enc >> 13) & 3) << 11) | (((enc >> 10) & 3) << 9) | ((enc >> 1) & 0x1FF);
}
}  // namespace detail
inline std::optional<size_t> field_slot(uint32_t encoding) {
  if (encoding & (0xFFFF9000u | 1)) return std::nullopt;  // full-access encodings only
  const int16_t k = detail::kSlotByKey[detail::slot_key(encoding)];
  if (k < 0) return std::nullopt;
  return size_t(k);
}
// Lookup by encoding: a high-access encoding (bit 0 set) finds its 64-bit field. nullptr
// for an encoding not in the table (or a high access of a field that is not 64-bit).
const FieldInfo* find_field(uint64_t encoding);
// Lookup by name (exact, as in the table).
const FieldInfo* find_field(std::string_view name);

// An encoding taken apart (SDM Table 24-21).
struct Encoding {
  bool high;
  unsigned index;
  FieldType type;
  FieldWidth width;
  bool reserved_clear;  // bits 12 and 31:15 (and 63:32 of a 64-bit operand) are 0
};
constexpr uint64_t kEncodingReserved = 0xFFFFFFFFFFFF9000ull;
constexpr Encoding decode_encoding(uint64_t e) {
  return Encoding{(e & 1) != 0, unsigned((e >> 1) & 0x1FF), FieldType((e >> 10) & 3),
                  FieldWidth((e >> 13) & 3), (e & kEncodingReserved) == 0};
}

// Encodings the VMX code refers to by name.
namespace field {
constexpr uint32_t VPID = 0x0000;
constexpr uint32_t IO_BITMAP_A = 0x2000;
constexpr uint32_t TSC_OFFSET = 0x2010;
constexpr uint32_t EPT_POINTER = 0x201A;
constexpr uint32_t GUEST_PHYSICAL_ADDRESS = 0x2400;
constexpr uint32_t VMCS_LINK_POINTER = 0x2800;
constexpr uint32_t PIN_BASED_CONTROLS = 0x4000;
constexpr uint32_t PRIMARY_PROC_CONTROLS = 0x4002;
constexpr uint32_t EXCEPTION_BITMAP = 0x4004;
constexpr uint32_t CR3_TARGET_COUNT = 0x400A;
constexpr uint32_t EXIT_CONTROLS = 0x400C;
constexpr uint32_t ENTRY_CONTROLS = 0x4012;
constexpr uint32_t SECONDARY_PROC_CONTROLS = 0x401E;
constexpr uint32_t VM_INSTRUCTION_ERROR = 0x4400;
constexpr uint32_t EXIT_REASON = 0x4402;
constexpr uint32_t GUEST_ES_LIMIT = 0x4800;
constexpr uint32_t GUEST_INTERRUPTIBILITY = 0x4824;
constexpr uint32_t GUEST_PREEMPTION_TIMER = 0x482E;
constexpr uint32_t CR0_GUEST_HOST_MASK = 0x6000;
constexpr uint32_t EXIT_QUALIFICATION = 0x6400;
constexpr uint32_t GUEST_CR0 = 0x6800;
constexpr uint32_t GUEST_RIP = 0x681E;
constexpr uint32_t HOST_CR0 = 0x6C00;
constexpr uint32_t HOST_RIP = 0x6C16;
// The rest of what VM entry and VM exit read and write (SDM Appendix B).
constexpr uint32_t GUEST_ES_SELECTOR = 0x0800;   // + 2 * segment (ES CS SS DS FS GS LDTR TR)
constexpr uint32_t GUEST_ES_ACCESS_RIGHTS = 0x4814;
constexpr uint32_t GUEST_ES_BASE = 0x6806;
constexpr uint32_t GUEST_GDTR_LIMIT = 0x4810, GUEST_IDTR_LIMIT = 0x4812;
constexpr uint32_t GUEST_GDTR_BASE = 0x6816, GUEST_IDTR_BASE = 0x6818;
constexpr uint32_t GUEST_CR3 = 0x6802, GUEST_CR4 = 0x6804, GUEST_DR7 = 0x681A;
constexpr uint32_t GUEST_RSP = 0x681C, GUEST_RFLAGS = 0x6820, GUEST_PENDING_DBG = 0x6822;
constexpr uint32_t GUEST_SYSENTER_CS = 0x482A, GUEST_SYSENTER_ESP = 0x6824, GUEST_SYSENTER_EIP = 0x6826;
constexpr uint32_t GUEST_DEBUGCTL = 0x2802, GUEST_PAT = 0x2804, GUEST_EFER = 0x2806;
constexpr uint32_t GUEST_ACTIVITY = 0x4826;
constexpr uint32_t HOST_ES_SELECTOR = 0x0C00;  // + 2 * segment (ES CS SS DS FS GS TR)
constexpr uint32_t HOST_TR_SELECTOR = 0x0C0C;
constexpr uint32_t HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04;
constexpr uint32_t HOST_FS_BASE = 0x6C06, HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A;
constexpr uint32_t HOST_GDTR_BASE = 0x6C0C, HOST_IDTR_BASE = 0x6C0E;
constexpr uint32_t HOST_SYSENTER_CS = 0x4C00, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12;
constexpr uint32_t HOST_RSP = 0x6C14, HOST_PAT = 0x2C00, HOST_EFER = 0x2C02;
constexpr uint32_t PAGE_FAULT_EC_MASK = 0x4006, PAGE_FAULT_EC_MATCH = 0x4008;
constexpr uint32_t EXIT_MSR_STORE_COUNT = 0x400E, EXIT_MSR_LOAD_COUNT = 0x4010;
constexpr uint32_t ENTRY_MSR_LOAD_COUNT = 0x4014;
constexpr uint32_t EXIT_MSR_STORE_ADDR = 0x2006, EXIT_MSR_LOAD_ADDR = 0x2008, ENTRY_MSR_LOAD_ADDR = 0x200A;
constexpr uint32_t ENTRY_INTERRUPTION_INFO = 0x4016, ENTRY_EXCEPTION_EC = 0x4018,
                   ENTRY_INSTRUCTION_LENGTH = 0x401A;
constexpr uint32_t EXIT_INTERRUPTION_INFO = 0x4404, EXIT_INTERRUPTION_EC = 0x4406;
constexpr uint32_t IDT_VECTORING_INFO = 0x4408, IDT_VECTORING_EC = 0x440A;
constexpr uint32_t EXIT_INSTRUCTION_LENGTH = 0x440C, EXIT_INSTRUCTION_INFO = 0x440E;
constexpr uint32_t GUEST_LINEAR_ADDRESS = 0x640A;
}  // namespace field

}  // namespace vt
