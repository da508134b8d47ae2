// vt/vmcs_fields.cpp — the field table (Intel SDM Vol.3 Appendix B, "Field Encoding in
// VMCS", sections B.1-B.4) and its lookups.
#include "vt/vmcs_fields.h"

#include <array>

namespace vt {

namespace {

using W = FieldWidth;
using T = FieldType;
using F = Feature;

constexpr FieldInfo kFields[] = {
    // B.1.1 16-bit control fields
    {"virtual_processor_identifier", 0x0000, W::Bits16, T::Control, F::Vpid},
    {"posted_interrupt_notification_vector", 0x0002, W::Bits16, T::Control, F::PostedInterrupts},
    {"eptp_index", 0x0004, W::Bits16, T::Control, F::EptViolationVe},
    // B.1.2 16-bit guest-state fields
    {"guest_es_selector", 0x0800, W::Bits16, T::Guest, F::None},
    {"guest_cs_selector", 0x0802, W::Bits16, T::Guest, F::None},
    {"guest_ss_selector", 0x0804, W::Bits16, T::Guest, F::None},
    {"guest_ds_selector", 0x0806, W::Bits16, T::Guest, F::None},
    {"guest_fs_selector", 0x0808, W::Bits16, T::Guest, F::None},
    {"guest_gs_selector", 0x080A, W::Bits16, T::Guest, F::None},
    {"guest_ldtr_selector", 0x080C, W::Bits16, T::Guest, F::None},
    {"guest_tr_selector", 0x080E, W::Bits16, T::Guest, F::None},
    {"guest_interrupt_status", 0x0810, W::Bits16, T::Guest, F::VirtualIntrDelivery},
    {"pml_index", 0x0812, W::Bits16, T::Guest, F::Pml},
    // B.1.3 16-bit host-state fields
    {"host_es_selector", 0x0C00, W::Bits16, T::Host, F::None},
    {"host_cs_selector", 0x0C02, W::Bits16, T::Host, F::None},
    {"host_ss_selector", 0x0C04, W::Bits16, T::Host, F::None},
    {"host_ds_selector", 0x0C06, W::Bits16, T::Host, F::None},
    {"host_fs_selector", 0x0C08, W::Bits16, T::Host, F::None},
    {"host_gs_selector", 0x0C0A, W::Bits16, T::Host, F::None},
    {"host_tr_selector", 0x0C0C, W::Bits16, T::Host, F::None},
    // B.2.1 64-bit control fields
    {"io_bitmap_a_address", 0x2000, W::Bits64, T::Control, F::None},
    {"io_bitmap_b_address", 0x2002, W::Bits64, T::Control, F::None},
    {"msr_bitmap_address", 0x2004, W::Bits64, T::Control, F::None},
    {"vm_exit_msr_store_address", 0x2006, W::Bits64, T::Control, F::None},
    {"vm_exit_msr_load_address", 0x2008, W::Bits64, T::Control, F::None},
    {"vm_entry_msr_load_address", 0x200A, W::Bits64, T::Control, F::None},
    {"executive_vmcs_pointer", 0x200C, W::Bits64, T::Control, F::None},
    {"pml_address", 0x200E, W::Bits64, T::Control, F::Pml},
    {"tsc_offset", 0x2010, W::Bits64, T::Control, F::None},
    {"virtual_apic_address", 0x2012, W::Bits64, T::Control, F::TprShadow},
    {"apic_access_address", 0x2014, W::Bits64, T::Control, F::ApicAccess},
    {"posted_interrupt_descriptor_address", 0x2016, W::Bits64, T::Control, F::PostedInterrupts},
    {"vm_function_controls", 0x2018, W::Bits64, T::Control, F::VmFunctions},
    {"ept_pointer", 0x201A, W::Bits64, T::Control, F::Ept},
    {"eoi_exit_bitmap_0", 0x201C, W::Bits64, T::Control, F::VirtualIntrDelivery},
    {"eoi_exit_bitmap_1", 0x201E, W::Bits64, T::Control, F::VirtualIntrDelivery},
    {"eoi_exit_bitmap_2", 0x2020, W::Bits64, T::Control, F::VirtualIntrDelivery},
    {"eoi_exit_bitmap_3", 0x2022, W::Bits64, T::Control, F::VirtualIntrDelivery},
    {"eptp_list_address", 0x2024, W::Bits64, T::Control, F::EptpSwitching},
    {"vmread_bitmap_address", 0x2026, W::Bits64, T::Control, F::VmcsShadowing},
    {"vmwrite_bitmap_address", 0x2028, W::Bits64, T::Control, F::VmcsShadowing},
    {"virtualization_exception_information_address", 0x202A, W::Bits64, T::Control, F::EptViolationVe},
    {"xss_exiting_bitmap", 0x202C, W::Bits64, T::Control, F::Xsaves},
    {"tsc_multiplier", 0x2032, W::Bits64, T::Control, F::TscScaling},
    // B.2.2 64-bit read-only data field
    {"guest_physical_address", 0x2400, W::Bits64, T::ExitInfo, F::Ept},
    // B.2.3 64-bit guest-state fields
    {"vmcs_link_pointer", 0x2800, W::Bits64, T::Guest, F::None},
    {"guest_ia32_debugctl", 0x2802, W::Bits64, T::Guest, F::None},
    {"guest_ia32_pat", 0x2804, W::Bits64, T::Guest, F::PatLoadSave},
    {"guest_ia32_efer", 0x2806, W::Bits64, T::Guest, F::EferLoadSave},
    {"guest_ia32_perf_global_ctrl", 0x2808, W::Bits64, T::Guest, F::PerfGlobalCtrl},
    {"guest_pdpte0", 0x280A, W::Bits64, T::Guest, F::Ept},
    {"guest_pdpte1", 0x280C, W::Bits64, T::Guest, F::Ept},
    {"guest_pdpte2", 0x280E, W::Bits64, T::Guest, F::Ept},
    {"guest_pdpte3", 0x2810, W::Bits64, T::Guest, F::Ept},
    // B.2.4 64-bit host-state fields
    {"host_ia32_pat", 0x2C00, W::Bits64, T::Host, F::PatLoadSave},
    {"host_ia32_efer", 0x2C02, W::Bits64, T::Host, F::EferLoadSave},
    {"host_ia32_perf_global_ctrl", 0x2C04, W::Bits64, T::Host, F::PerfGlobalCtrl},
    // B.3.1 32-bit control fields
    {"pin_based_vm_execution_controls", 0x4000, W::Bits32, T::Control, F::None},
    {"primary_processor_based_vm_execution_controls", 0x4002, W::Bits32, T::Control, F::None},
    {"exception_bitmap", 0x4004, W::Bits32, T::Control, F::None},
    {"page_fault_error_code_mask", 0x4006, W::Bits32, T::Control, F::None},
    {"page_fault_error_code_match", 0x4008, W::Bits32, T::Control, F::None},
    {"cr3_target_count", 0x400A, W::Bits32, T::Control, F::None},
    {"vm_exit_controls", 0x400C, W::Bits32, T::Control, F::None},
    {"vm_exit_msr_store_count", 0x400E, W::Bits32, T::Control, F::None},
    {"vm_exit_msr_load_count", 0x4010, W::Bits32, T::Control, F::None},
    {"vm_entry_controls", 0x4012, W::Bits32, T::Control, F::None},
    {"vm_entry_msr_load_count", 0x4014, W::Bits32, T::Control, F::None},
    {"vm_entry_interruption_information", 0x4016, W::Bits32, T::Control, F::None},
    {"vm_entry_exception_error_code", 0x4018, W::Bits32, T::Control, F::None},
    {"vm_entry_instruction_length", 0x401A, W::Bits32, T::Control, F::None},
    {"tpr_threshold", 0x401C, W::Bits32, T::Control, F::TprShadow},
    {"secondary_processor_based_vm_execution_controls", 0x401E, W::Bits32, T::Control, F::SecondaryControls},
    {"ple_gap", 0x4020, W::Bits32, T::Control, F::PauseLoopExiting},
    {"ple_window", 0x4022, W::Bits32, T::Control, F::PauseLoopExiting},
    // B.3.2 32-bit read-only data fields
    {"vm_instruction_error", 0x4400, W::Bits32, T::ExitInfo, F::None},
    {"exit_reason", 0x4402, W::Bits32, T::ExitInfo, F::None},
    {"vm_exit_interruption_information", 0x4404, W::Bits32, T::ExitInfo, F::None},
    {"vm_exit_interruption_error_code", 0x4406, W::Bits32, T::ExitInfo, F::None},
    {"idt_vectoring_information", 0x4408, W::Bits32, T::ExitInfo, F::None},
    {"idt_vectoring_error_code", 0x440A, W::Bits32, T::ExitInfo, F::None},
    {"vm_exit_instruction_length", 0x440C, W::Bits32, T::ExitInfo, F::None},
    {"vm_exit_instruction_information", 0x440E, W::Bits32, T::ExitInfo, F::None},
    // B.3.3 32-bit guest-state fields
    {"guest_es_limit", 0x4800, W::Bits32, T::Guest, F::None},
    {"guest_cs_limit", 0x4802, W::Bits32, T::Guest, F::None},
    {"guest_ss_limit", 0x4804, W::Bits32, T::Guest, F::None},
    {"guest_ds_limit", 0x4806, W::Bits32, T::Guest, F::None},
    {"guest_fs_limit", 0x4808, W::Bits32, T::Guest, F::None},
    {"guest_gs_limit", 0x480A, W::Bits32, T::Guest, F::None},
    {"guest_ldtr_limit", 0x480C, W::Bits32, T::Guest, F::None},
    {"guest_tr_limit", 0x480E, W::Bits32, T::Guest, F::None},
    {"guest_gdtr_limit", 0x4810, W::Bits32, T::Guest, F::None},
    {"guest_idtr_limit", 0x4812, W::Bits32, T::Guest, F::None},
    {"guest_es_access_rights", 0x4814, W::Bits32, T::Guest, F::None},
    {"guest_cs_access_rights", 0x4816, W::Bits32, T::Guest, F::None},
    {"guest_ss_access_rights", 0x4818, W::Bits32, T::Guest, F::None},
    {"guest_ds_access_rights", 0x481A, W::Bits32, T::Guest, F::None},
    {"guest_fs_access_rights", 0x481C, W::Bits32, T::Guest, F::None},
    {"guest_gs_access_rights", 0x481E, W::Bits32, T::Guest, F::None},
    {"guest_ldtr_access_rights", 0x4820, W::Bits32, T::Guest, F::None},
    {"guest_tr_access_rights", 0x4822, W::Bits32, T::Guest, F::None},
    {"guest_interruptibility_state", 0x4824, W::Bits32, T::Guest, F::None},
    {"guest_activity_state", 0x4826, W::Bits32, T::Guest, F::None},
    {"guest_smbase", 0x4828, W::Bits32, T::Guest, F::None},
    {"guest_ia32_sysenter_cs", 0x482A, W::Bits32, T::Guest, F::None},
    {"vmx_preemption_timer_value", 0x482E, W::Bits32, T::Guest, F::PreemptionTimer},
    // B.3.4 32-bit host-state field
    {"host_ia32_sysenter_cs", 0x4C00, W::Bits32, T::Host, F::None},
    // B.4.1 natural-width control fields
    {"cr0_guest_host_mask", 0x6000, W::Natural, T::Control, F::None},
    {"cr4_guest_host_mask", 0x6002, W::Natural, T::Control, F::None},
    {"cr0_read_shadow", 0x6004, W::Natural, T::Control, F::None},
    {"cr4_read_shadow", 0x6006, W::Natural, T::Control, F::None},
    {"cr3_target_value_0", 0x6008, W::Natural, T::Control, F::None},
    {"cr3_target_value_1", 0x600A, W::Natural, T::Control, F::None},
    {"cr3_target_value_2", 0x600C, W::Natural, T::Control, F::None},
    {"cr3_target_value_3", 0x600E, W::Natural, T::Control, F::None},
    // B.4.2 natural-width read-only data fields
    {"exit_qualification", 0x6400, W::Natural, T::ExitInfo, F::None},
    {"io_rcx", 0x6402, W::Natural, T::ExitInfo, F::None},
    {"io_rsi", 0x6404, W::Natural, T::ExitInfo, F::None},
    {"io_rdi", 0x6406, W::Natural, T::ExitInfo, F::None},
    {"io_rip", 0x6408, W::Natural, T::ExitInfo, F::None},
    {"guest_linear_address", 0x640A, W::Natural, T::ExitInfo, F::None},
    // B.4.3 natural-width guest-state fields
    {"guest_cr0", 0x6800, W::Natural, T::Guest, F::None},
    {"guest_cr3", 0x6802, W::Natural, T::Guest, F::None},
    {"guest_cr4", 0x6804, W::Natural, T::Guest, F::None},
    {"guest_es_base", 0x6806, W::Natural, T::Guest, F::None},
    {"guest_cs_base", 0x6808, W::Natural, T::Guest, F::None},
    {"guest_ss_base", 0x680A, W::Natural, T::Guest, F::None},
    {"guest_ds_base", 0x680C, W::Natural, T::Guest, F::None},
    {"guest_fs_base", 0x680E, W::Natural, T::Guest, F::None},
    {"guest_gs_base", 0x6810, W::Natural, T::Guest, F::None},
    {"guest_ldtr_base", 0x6812, W::Natural, T::Guest, F::None},
    {"guest_tr_base", 0x6814, W::Natural, T::Guest, F::None},
    {"guest_gdtr_base", 0x6816, W::Natural, T::Guest, F::None},
    {"guest_idtr_base", 0x6818, W::Natural, T::Guest, F::None},
    {"guest_dr7", 0x681A, W::Natural, T::Guest, F::None},
    {"guest_rsp", 0x681C, W::Natural, T::Guest, F::None},
    {"guest_rip", 0x681E, W::Natural, T::Guest, F::None},
    {"guest_rflags", 0x6820, W::Natural, T::Guest, F::None},
    {"guest_pending_debug_exceptions", 0x6822, W::Natural, T::Guest, F::None},
    {"guest_ia32_sysenter_esp", 0x6824, W::Natural, T::Guest, F::None},
    {"guest_ia32_sysenter_eip", 0x6826, W::Natural, T::Guest, F::None},
    // B.4.4 natural-width host-state fields
    {"host_cr0", 0x6C00, W::Natural, T::Host, F::None},
    {"host_cr3", 0x6C02, W::Natural, T::Host, F::None},
    {"host_cr4", 0x6C04, W::Natural, T::Host, F::None},
    {"host_fs_base", 0x6C06, W::Natural, T::Host, F::None},
    {"host_gs_base", 0x6C08, W::Natural, T::Host, F::None},
    {"host_tr_base", 0x6C0A, W::Natural, T::Host, F::None},
    {"host_gdtr_base", 0x6C0C, W::Natural, T::Host, F::None},
    {"host_idtr_base", 0x6C0E, W::Natural, T::Host, F::None},
    {"host_ia32_sysenter_esp", 0x6C10, W::Natural, T::Host, F::None},
    {"host_ia32_sysenter_eip", 0x6C12, W::Natural, T::Host, F::None},
    {"host_rsp", 0x6C14, W::Natural, T::Host, F::None},
    {"host_rip", 0x6C16, W::Natural, T::Host, F::None},
};

// Every entry's width and type must be the ones its encoding names, and every encoding
// must be a full-access one with clear reserved bits.
constexpr bool table_consistent() {
  for (const FieldInfo& f : kFields) {
    const Encoding e = decode_encoding(f.encoding);
    if (e.high || !e.reserved_clear || e.width != f.width || e.type != f.type) return false;
  }
  return true;
}
static_assert(table_consistent(), "a VMCS field's width or type disagrees with its encoding");

// Encoding → table slot, without a search: the key is width:type:index (13 bits).
using detail::slot_key;
struct SlotIndex {
  std::array<int16_t, 1u << 13> slot;
};
constexpr SlotIndex make_index() {
  SlotIndex s{};
  for (auto& x : s.slot) x = -1;
  for (size_t k = 0; k < std::size(kFields); ++k) s.slot[slot_key(kFields[k].encoding)] = int16_t(k);
  return s;
}
constexpr SlotIndex kIndex = make_index();

}  // namespace

namespace detail {
constexpr std::array<int16_t, 1u << 13> kSlotByKey = kIndex.slot;
}  // namespace detail

const char* field_width_name(FieldWidth w) {
  switch (w) {
    case W::Bits16: return "16-bit";
    case W::Bits64: return "64-bit";
    case W::Bits32: return "32-bit";
    case W::Natural: return "natural-width";
  }
  return "?";
}

const char* field_type_name(FieldType t) {
  switch (t) {
    case T::Control: return "control";
    case T::ExitInfo: return "read-only data";
    case T::Guest: return "guest state";
    case T::Host: return "host state";
  }
  return "?";
}

const char* feature_name(Feature f) {
  switch (f) {
    case F::None: return "none";
    case F::Vpid: return "enable VPID";
    case F::PostedInterrupts: return "process posted interrupts";
    case F::EptViolationVe: return "EPT-violation #VE";
    case F::VirtualIntrDelivery: return "virtual-interrupt delivery";
    case F::Pml: return "enable PML";
    case F::TprShadow: return "use TPR shadow";
    case F::ApicAccess: return "virtualize APIC accesses";
    case F::VmFunctions: return "enable VM functions";
    case F::Ept: return "enable EPT";
    case F::EptpSwitching: return "EPTP switching";
    case F::VmcsShadowing: return "VMCS shadowing";
    case F::Xsaves: return "enable XSAVES/XRSTORS";
    case F::TscScaling: return "use TSC scaling";
    case F::PatLoadSave: return "load/save IA32_PAT";
    case F::EferLoadSave: return "load/save IA32_EFER";
    case F::PerfGlobalCtrl: return "load IA32_PERF_GLOBAL_CTRL";
    case F::SecondaryControls: return "activate secondary controls";
    case F::PauseLoopExiting: return "PAUSE-loop exiting";
    case F::PreemptionTimer: return "activate VMX-preemption timer";
    case F::Count: break;
  }
  return "?";
}

std::span<const FieldInfo> vmcs_fields() { return kFields; }


const FieldInfo* find_field(uint64_t encoding) {
  const Encoding e = decode_encoding(encoding);
  if (!e.reserved_clear) return nullptr;
  if (e.high && e.width != FieldWidth::Bits64) return nullptr;
  const auto slot = field_slot(uint32_t(encoding & ~1ull));
  return slot ? &kFields[*slot] : nullptr;
}

const FieldInfo* find_field(std::string_view name) {
  for (const FieldInfo& f : kFields)
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace vt
