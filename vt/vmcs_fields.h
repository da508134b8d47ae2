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
// Position of a field in vmcs_fields(), by full-access encoding.
std::optional<size_t> field_slot(uint32_t encoding);
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
}  // namespace field

}  // namespace vt
