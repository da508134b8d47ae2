// vt/vmx.cpp — the VMX instructions in root operation. Each function follows the
// "Operation" pseudocode of its page in the Intel SDM (Vol.2/Vol.3 "VMX Instruction
// Reference"); the checks are in the SDM's order.
#include "vt/vmx.h"

#include <string>
#include <utility>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "platform/text.h"
#include "vt/exit_reasons.h"

namespace vt {

using cpu::Cpu;
using cpu::Insn;

Vmx::Vmx(const Profile& profile, std::function<bool()> a20_masked)
    : caps_(profile), limits_(EntryLimits::from(caps_)), a20_masked_(std::move(a20_masked)) {
  // What a VM-entry check reads of each slot: the field's width, 0 for a field the CPU lacks.
  for (const FieldInfo& f : vmcs_fields()) {
    const uint64_t width = f.width == FieldWidth::Bits16 ? 0xFFFF : f.width == FieldWidth::Bits32 ? 0xFFFFFFFF : ~0ull;
    read_mask_.push_back(caps_.field_supported(f) ? width : 0);
  }
  reset();
}

void Vmx::reset() {
  // RESET leaves VMX operation (SDM Vol.3 23.7: VMX is off after reset).
  s_ = VmxState{};
  s_.fields.assign(vmcs_fields().size(), 0);
  controls_host_checked_ = false;
}

// ---------------------------------------------------------------------------------------
// Dispatch

bool Vmx::vmx_instruction(Cpu& c, uint16_t opcode) {
  const Insn* ip = c.current_insn();
  if (!ip) return false;
  const Insn& i = *ip;
  const cpu::CycleModel& m = c.cycle_model();
  if (c.non_root()) {
    // Every VMX instruction exits in non-root operation (SDM 25.1.2), after its #UD checks;
    // VMCALL has none but "not in VMX operation".
    namespace r = cpu::exit_reason;
    switch (opcode) {
      case 0x01:
        switch (i.modrm) {
          case 0xC1: c.vm_exit_insn(r::Vmcall);
          case 0xC2: exit_for_vmx_instruction(c, i, r::Vmlaunch);
          case 0xC3: exit_for_vmx_instruction(c, i, r::Vmresume);
          case 0xC4: exit_for_vmx_instruction(c, i, r::Vmxoff);
          default: return false;
        }
      case 0xC7:
        if (i.reg == 6 && i.rep == 0xF3) exit_for_vmx_instruction(c, i, r::Vmxon);
        if (i.reg == 6 && !i.rep) exit_for_vmx_instruction(c, i, i.p66 ? r::Vmclear : r::Vmptrld);
        if (i.reg == 7 && !i.rep && !i.p66) exit_for_vmx_instruction(c, i, r::Vmptrst);
        return false;
      case 0x78:
      case 0x79:
        if (i.p66 || i.rep) return false;
        // With VMCS shadowing, VMREAD/VMWRITE of a field the bitmap leaves clear access
        // the shadow VMCS instead of exiting (SDM 24.10, vt/shadowing.cpp).
        c.add_cycles(m.vmx_field_access);
        if (shadow_access(c, i, opcode == 0x79)) return true;
        exit_for_vmx_instruction(c, i, opcode == 0x78 ? r::Vmread : r::Vmwrite);
      case 0x3880:  // INVEPT / INVVPID: 66 mandatory; #UD where not advertised
      case 0x3881:
        if (!i.p66 || i.rep || !inv_supported(opcode == 0x3881)) return false;
        exit_for_vmx_instruction(c, i, opcode == 0x3880 ? r::Invept : r::Invvpid);
      default: return false;
    }
  }
  switch (opcode) {
    case 0x01:  // group 7, mod = 3
      switch (i.modrm) {
        case 0xC1: vmcall(c); return true;
        case 0xC2: vmlaunch(c, false); return true;
        case 0xC3: vmlaunch(c, true); return true;
        case 0xC4:
          c.add_cycles(m.vmx_vmcs_transfer);
          vmxoff(c);
          return true;
        default: return false;
      }
    case 0xC7:  // group 9 memory forms: /6 VMPTRLD (NP), VMCLEAR (66), VMXON (F3); /7 VMPTRST
      if (i.reg == 6) {
        c.add_cycles(m.vmx_vmcs_transfer);
        if (i.rep == 0xF3) vmxon(c, i);
        else if (i.rep) return false;
        else if (i.p66) vmclear(c, i);
        else vmptrld(c, i);
        return true;
      }
      if (i.reg == 7 && !i.rep && !i.p66) {
        c.add_cycles(m.vmx_field_access);
        vmptrst(c, i);
        return true;
      }
      return false;
    case 0x78:  // VMREAD (66 0F 78 and F2 0F 78 are AMD's EXTRQ/INSERTQ: #UD here)
    case 0x79:  // VMWRITE
      if (i.p66 || i.rep) return false;
      c.add_cycles(m.vmx_field_access);
      if (opcode == 0x78) vmread(c, i);
      else vmwrite(c, i);
      return true;
    case 0x3880:  // INVEPT (66 0F 38 80) / INVVPID (66 0F 38 81): vt/ept.cpp
    case 0x3881:
      if (!i.p66 || i.rep || !inv_supported(opcode == 0x3881)) return false;
      c.add_cycles(m.vmx_field_access);
      if (opcode == 0x3880) invept(c, i);
      else invvpid(c, i);
      return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------------------
// Checks and status

void Vmx::check_root(Cpu& c) const {
  const cpu::State& st = c.state();
  // "IF (not in VMX operation) or (CR0.PE = 0) or (RFLAGS.VM = 1) or (IA32_EFER.LMA = 1
  // and CS.L = 0) THEN #UD". Non-root operation (a VM exit) arrives with VM entry.
  if (!s_.vmx_operation || !(st.cr0 & cpu::cr0::PE) || (st.eflags & cpu::flag::VM) ||
      ((st.efer & cpu::efer::LMA) && !(st.seg[cpu::CS].attr & cpu::ar::L)))
    c.fault(cpu::UD);
  if (st.cpl > 0) c.fault(cpu::GP, 0);
}

uint64_t Vmx::pointer_operand(Cpu& c, const Insn& i) const {
  if (!i.mem()) c.fault(cpu::UD);
  return c.read_sized(i.seg, c.ea(i), 8);
}

// SDM Vol.3 30.2: VMsucceed clears CF, PF, AF, ZF, SF, OF; VMfailInvalid sets CF and
// clears the others; VMfailValid sets ZF, clears the others and stores the error number
// in the VM-instruction error field of the current VMCS.
void Vmx::succeed(Cpu& c) { c.set_arith_flags(cpu::flag::ARITH, 0); }
void Vmx::fail_invalid(Cpu& c) { c.set_arith_flags(cpu::flag::ARITH, cpu::flag::CF); }
void Vmx::fail_valid(Cpu& c, uint32_t error) {
  c.set_arith_flags(cpu::flag::ARITH, cpu::flag::ZF);
  slot(field::VM_INSTRUCTION_ERROR) = error;
}
void Vmx::fail(Cpu& c, uint32_t error) {
  if (s_.current_vmcs != kInvalidVmcs) fail_valid(c, error);
  else fail_invalid(c);
}

// ---------------------------------------------------------------------------------------
// The VMCS cache

uint64_t& Vmx::slot(uint32_t encoding) { return s_.fields[*field_slot(encoding)]; }

void Vmx::load_vmcs(Cpu& c, uint64_t addr) {
  controls_host_checked_ = false;
  uint32_t launch = 0;
  c.phys_read(addr + kLaunchStateOffset, &launch, 4);
  s_.launched = launch == kLaunched;
  c.phys_read(addr + kVmcsDataOffset, s_.fields.data(), s_.fields.size() * 8);
}

void Vmx::write_back(Cpu& c) {
  if (s_.current_vmcs == kInvalidVmcs) return;
  const uint32_t launch = s_.launched ? kLaunched : 0;
  c.phys_write(s_.current_vmcs + kLaunchStateOffset, &launch, 4);
  c.phys_write(s_.current_vmcs + kVmcsDataOffset, s_.fields.data(), s_.fields.size() * 8);
}

uint64_t Vmx::read_field(const FieldInfo& f, bool high) const {
  const uint64_t v = s_.fields[size_t(&f - vmcs_fields().data())];
  if (high) return v >> 32;
  switch (f.width) {
    case FieldWidth::Bits16: return v & 0xFFFF;
    case FieldWidth::Bits32: return v & 0xFFFFFFFF;
    default: return v;
  }
}

void Vmx::write_field(const FieldInfo& f, bool high, uint64_t v) {
  if (f.type == FieldType::Control || f.type == FieldType::Host) controls_host_checked_ = false;
  uint64_t& d = s_.fields[size_t(&f - vmcs_fields().data())];
  if (high) {
    d = (d & 0xFFFFFFFF) | (v << 32);
    return;
  }
  switch (f.width) {
    case FieldWidth::Bits16: d = v & 0xFFFF; break;
    case FieldWidth::Bits32: d = v & 0xFFFFFFFF; break;
    default: d = v; break;  // a shorter source clears the field's high bits
  }
}

bool Vmx::field_value(uint32_t encoding, uint64_t& v) const {
  if (s_.current_vmcs == kInvalidVmcs) return false;
  const FieldInfo* f = find_field(encoding);
  if (!f) return false;
  v = read_field(*f, encoding & 1);
  return true;
}

// ---------------------------------------------------------------------------------------
// The instructions

void Vmx::vmxon(Cpu& c, const Insn& i) {
  const cpu::State& st = c.state();
  if (!i.mem() || !(st.cr0 & cpu::cr0::PE) || !(st.cr4 & cpu::cr4::VMXE) ||
      (st.eflags & cpu::flag::VM) || ((st.efer & cpu::efer::LMA) && !(st.seg[cpu::CS].attr & cpu::ar::L)))
    c.fault(cpu::UD);
  if (s_.vmx_operation) {
    // In root operation (non-root: a VM exit, with VM entry).
    if (st.cpl > 0) c.fault(cpu::GP, 0);
    fail(c, kErrVmxonInRoot);
    return;
  }
  // IA32_FEATURE_CONTROL: lock (bit 0) and "enable VMX outside SMX" (bit 2); SMX does not
  // exist here.
  const uint64_t fc = st.msrs.feature_control;
  if (st.cpl > 0 || (a20_masked_ && a20_masked_()) || !Capabilities::cr0_ok(st.cr0) ||
      !Capabilities::cr4_ok(st.cr4) || !(fc & 1) || !(fc & 4))
    c.fault(cpu::GP, 0);
  const uint64_t addr = pointer_operand(c, i);
  if (!valid_pointer(addr)) {
    fail_invalid(c);
    return;
  }
  uint32_t rev = 0;
  c.phys_read(addr, &rev, 4);
  if (rev != kVmcsRevision) {  // bits 30:0 must match and bit 31 must be 0
    fail_invalid(c);
    return;
  }
  s_.vmx_operation = true;
  s_.vmxon_pointer = addr;
  s_.current_vmcs = kInvalidVmcs;
  succeed(c);
}

void Vmx::vmxoff(Cpu& c) {
  check_root(c);
  // Leaving VMX operation with a current VMCS: its data is written back (the SDM leaves
  // the region's contents undefined unless software VMCLEARs first; writing back is the
  // friendly choice and keeps the region consistent).
  write_back(c);
  s_.vmx_operation = false;
  s_.current_vmcs = kInvalidVmcs;
  s_.launched = false;
  succeed(c);
}

void Vmx::vmclear(Cpu& c, const Insn& i) {
  check_root(c);
  const uint64_t addr = pointer_operand(c, i);
  if (!valid_pointer(addr)) {
    fail(c, kErrVmclearInvalidAddress);
    return;
  }
  if (addr == s_.vmxon_pointer) {
    fail(c, kErrVmclearVmxonPointer);
    return;
  }
  if (addr == s_.current_vmcs) {
    s_.launched = false;
    write_back(c);
    s_.current_vmcs = kInvalidVmcs;
  } else {
    const uint32_t clear = 0;
    c.phys_write(addr + kLaunchStateOffset, &clear, 4);
  }
  succeed(c);
}

void Vmx::vmptrld(Cpu& c, const Insn& i) {
  check_root(c);
  const uint64_t addr = pointer_operand(c, i);
  if (!valid_pointer(addr)) {
    fail(c, kErrVmptrldInvalidAddress);
    return;
  }
  if (addr == s_.vmxon_pointer) {
    fail(c, kErrVmptrldVmxonPointer);
    return;
  }
  uint32_t rev = 0;
  c.phys_read(addr, &rev, 4);
  if ((rev & 0x7FFFFFFF) != kVmcsRevision || ((rev >> 31) && !caps_.vmcs_shadowing())) {
    fail(c, kErrVmptrldWrongRevision);
    return;
  }
  if (addr != s_.current_vmcs) {
    write_back(c);
    load_vmcs(c, addr);
    s_.current_vmcs = addr;
  }
  s_.current_is_shadow = rev >> 31;
  succeed(c);
}

void Vmx::vmptrst(Cpu& c, const Insn& i) {
  check_root(c);
  if (!i.mem()) c.fault(cpu::UD);
  c.write_sized(i.seg, c.ea(i), 8, s_.current_vmcs);
  succeed(c);
}

void Vmx::vmread(Cpu& c, const Insn& i) {
  // VMREAD r/m32, r32 (outside IA-32e mode the operand size is 32 bits).
  check_root(c);
  if (s_.current_vmcs == kInvalidVmcs) {
    fail_invalid(c);
    return;
  }
  const uint32_t enc = c.reg32(i.reg);
  const FieldInfo* f = find_field(enc);
  if (!f || !caps_.field_supported(*f)) {
    fail_valid(c, kErrUnsupportedField);
    return;
  }
  const uint32_t v = uint32_t(read_field(*f, enc & 1));
  if (i.mod == 3) c.set_reg32(i.rm, v);
  else c.write_sized(i.seg, c.ea(i), 4, v);
  succeed(c);
}

void Vmx::vmwrite(Cpu& c, const Insn& i) {
  // VMWRITE r32, r/m32.
  check_root(c);
  if (s_.current_vmcs == kInvalidVmcs) {
    fail_invalid(c);
    return;
  }
  const uint32_t v = i.mod == 3 ? c.reg32(i.rm) : uint32_t(c.read_sized(i.seg, c.ea(i), 4));
  const uint32_t enc = c.reg32(i.reg);
  const FieldInfo* f = find_field(enc);
  if (!f || !caps_.field_supported(*f)) {
    fail_valid(c, kErrUnsupportedField);
    return;
  }
  if (f->read_only() && !caps_.vmwrite_any_field()) {
    fail_valid(c, kErrReadOnlyField);
    return;
  }
  write_field(*f, enc & 1, v);
  succeed(c);
}

void Vmx::vmlaunch(Cpu& c, bool resume) {
  check_root(c);
  // A shadow VMCS (indicator bit 31 set when it was made current) cannot be entered with
  // (SDM 24.10, 26.1): VMfailInvalid, like no current VMCS.
  if (s_.current_vmcs == kInvalidVmcs || s_.current_is_shadow) {
    fail_invalid(c);
    return;
  }
  if (c.blocking_by_mov_ss()) {
    fail_valid(c, kErrMovSsBlocking);
    return;
  }
  if (!resume && s_.launched) {
    fail_valid(c, kErrVmlaunchNotClear);
    return;
  }
  if (resume && !s_.launched) {
    fail_valid(c, kErrVmresumeNotLaunched);
    return;
  }
  // SDM 26.2.1-26.2.4: controls (error 7) and host state (error 8); a failure changes
  // nothing but the status flags and the VM-instruction error field.
  const VmcsReader read = [this](uint32_t enc) -> uint64_t {
    const auto k = field_slot(enc);  // a field the CPU lacks reads as 0
    return k ? s_.fields[*k] & read_mask_[*k] : 0;
  };
  const EntryLimits& lim = limits_;
  // The checks on controls and host state read only control and host-state fields: like
  // the processor, which redoes them only after such fields change, they are skipped while
  // no VMWRITE, VMPTRLD or VMCLEAR has touched those since they last passed.
  if (!controls_host_checked_) {
    s_.last_entry_failure = check_controls_and_host(read, lim);
    if (s_.last_entry_failure) {
      fail_valid(c, s_.last_entry_failure->error);
      return;
    }
    controls_host_checked_ = true;
  }
  // The one check on controls that reads memory, so it runs at every entry: the VTPR byte
  // of the virtual-APIC page may change without a VMWRITE.
  if (auto f = check_tpr_against_vtpr(c)) {
    s_.last_entry_failure = std::move(f);
    fail_valid(c, kErrEntryInvalidControls);
    return;
  }
  // SDM 26.3.1: the guest-state checks. A failure is a VM exit with reason 33 | 80000000H
  // and the host state loaded (SDM 26.8); qualification 4 for the VMCS link pointer, else 0.
  s_.last_entry_failure = check_guest_state(read, lim);
  if (!s_.last_entry_failure) s_.last_entry_failure = check_link_pointer(c);
  if (const auto& f = s_.last_entry_failure) {
    entry_failure(c, kExitInvalidGuestState, f->id == "guest.vmcs_link_pointer" ? 4 : 0);
    return;
  }
  enter(c, resume);
}

void Vmx::vmcall(Cpu& c) {
  const cpu::State& st = c.state();
  if (!s_.vmx_operation) c.fault(cpu::UD);
  // In non-root operation: a VM exit (with VM entry).
  if ((st.eflags & cpu::flag::VM) || ((st.efer & cpu::efer::LMA) && !(st.seg[cpu::CS].attr & cpu::ar::L)))
    c.fault(cpu::UD);
  if (st.cpl > 0) c.fault(cpu::GP, 0);
  // No dual-monitor treatment of SMIs: "VMCALL executed in VMX root operation".
  fail(c, kErrVmcallInRoot);
}

// ---------------------------------------------------------------------------------------
// "Use TPR shadow" (SDM 26.2.1.1): with it, and without "virtual-interrupt delivery" and
// "virtualize APIC accesses" (neither implemented), bits 3:0 of the TPR threshold must not
// exceed bits 7:4 of VTPR, the byte at offset 80H of the virtual-APIC page. For a 32-bit
// guest without APIC-access virtualization that is all the control does: MOV CR8 exists
// only in IA-32e mode, and this check makes a TPR-below-threshold exit right after entry
// (SDM 26.7.7) impossible, so exit 43 cannot occur.

std::optional<EntryCheckFailure> Vmx::check_tpr_against_vtpr(Cpu& c) {
  constexpr uint32_t kTprShadow = 1u << 21;
  if (!(field(field::PRIMARY_PROC_CONTROLS) & kTprShadow)) return std::nullopt;
  const uint64_t page = field(0x2012);  // virtual-APIC address (page aligned: checked before)
  uint8_t vtpr = 0;
  c.phys_read(page + 0x80, &vtpr, 1);
  const uint32_t threshold = uint32_t(field(0x401C)) & 0xF;
  if (threshold <= (vtpr >> 4u)) return std::nullopt;
  return EntryCheckFailure{kTprVtprCheck.error, kTprVtprCheck.id, kTprVtprCheck.section,
                           "use TPR shadow: TPR threshold " + std::to_string(threshold) +
                               " is greater than VTPR bits 7:4 (" + std::to_string(vtpr >> 4u) +
                               ", virtual-APIC page " + platform::hex(page) + " + 80H)"};
}

// ---------------------------------------------------------------------------------------
// MSRs and control registers

bool Vmx::read_msr(Cpu&, uint32_t index, uint64_t& value) { return caps_.read_msr(index, value); }

bool Vmx::cr_write_allowed(const Cpu& c, unsigned cr, uint64_t value) const {
  if (!s_.vmx_operation) return true;
  // "Unrestricted guest" lifts the PE and PG requirements of FIXED0 in non-root operation
  // (SDM 23.8, 26.3.1.1); PG without PE stays #GP(0) (the CPU's own check).
  if (cr == 0 && c.non_root() && unrestricted_guest()) value |= cpu::cr0::PE | cpu::cr0::PG;
  if (cr == 0) return Capabilities::cr0_ok(value);
  if (cr == 4) return Capabilities::cr4_ok(value);
  return true;
}

// ---------------------------------------------------------------------------------------
// Dump, save, load

std::string Vmx::dump() const {
  std::string out;
  out += "profile=";
  out += caps_.profile().name;
  out += "\nvmx_operation=";
  out += s_.vmx_operation ? "1" : "0";
  out += "\nvmxon_pointer=" + platform::hex(s_.vmxon_pointer);
  out += "\ncurrent_vmcs=" + platform::hex(s_.current_vmcs);
  out += "\nlaunch_state=";
  out += s_.launched ? "launched" : "clear";
  out += "\n";
  if (const auto& f = s_.last_entry_failure) {
    // Controls and host state fail with a VM-instruction error (7, 8); guest state with
    // the entry-failure exit reason 33.
    std::string line = "last_entry_failure=";
    line += f->error == kExitInvalidGuestState ? "exit reason " : "error ";
    line += std::to_string(f->error);
    line += " check ";
    line += f->id;
    line += " (SDM ";
    line += f->section;
    line += ")\n";
    out += line;
    out += "last_entry_failure_message=" + f->message + "\n";
  }
  out += "vm_entries=" + std::to_string(s_.entries) + "\n";
  for (size_t r = 0; r < s_.exits.size(); ++r) {
    if (!s_.exits[r]) continue;
    const char* name = exit_reason_name(uint32_t(r));
    out += "vm_exits.";
    out += name ? std::string(name) : std::to_string(r);
    out += '=';
    out += std::to_string(s_.exits[r]);
    out += '\n';
  }
  if (s_.virtual_nmi_blocked) out += "virtual_nmi_blocked=1\n";  // (branch vmxevent)
  if (s_.preemption_deadline != UINT64_MAX) out += "preemption_deadline=" + std::to_string(s_.preemption_deadline) + "\n";
  if (s_.current_vmcs != kInvalidVmcs) {
    // Non-zero fields of the cached VMCS, by name.
    const auto fields = vmcs_fields();
    for (size_t k = 0; k < fields.size(); ++k) {
      if (s_.fields[k] == 0) continue;
      out += "field.";
      out += fields[k].name;
      out += '=';
      out += platform::hex(s_.fields[k]);
      out += '\n';
    }
  }
  return out;
}

void Vmx::save(platform::StateWriter& w) const {
  w.section("vmx");
  w.boolean(s_.vmx_operation);
  w.u64(s_.vmxon_pointer);
  w.u64(s_.current_vmcs);
  w.boolean(s_.launched);
  w.u32(uint32_t(s_.fields.size()));
  for (uint64_t v : s_.fields) w.u64(v);
  w.boolean(s_.last_entry_failure.has_value());
  if (const auto& f = s_.last_entry_failure) {
    w.u32(f->error);
    w.string(f->id);
    w.string(f->section);
    w.string(f->message);
  }
  w.boolean(s_.current_is_shadow);
  w.u64(s_.entries);
  w.u32(uint32_t(s_.exits.size()));
  for (uint64_t v : s_.exits) w.u64(v);
  w.boolean(s_.virtual_nmi_blocked);  // (branch vmxevent)
  w.u64(s_.preemption_deadline);
  w.u64(s_.mtf_mark);
  w.boolean(s_.mtf_injected);
}

void Vmx::load(platform::StateReader& r) {
  r.section("vmx");
  VmxState n;
  n.vmx_operation = r.boolean();
  n.vmxon_pointer = r.u64();
  n.current_vmcs = r.u64();
  n.launched = r.boolean();
  const uint32_t count = r.u32();
  r.check(count == vmcs_fields().size(), "vmx: " + std::to_string(count) + " VMCS fields");
  n.fields.resize(count);
  for (uint64_t& v : n.fields) v = r.u64();
  if (r.boolean()) {
    EntryCheckFailure f;
    f.error = r.u32();
    f.id = r.string(256);
    f.section = r.string(64);
    f.message = r.string(1024);
    bool known = false;
    for (const EntryCheckInfo& k : entry_check_list())
      known = known || (f.id == k.id && f.section == k.section && f.error == k.error);
    for (const EntryCheckInfo& k : guest_check_list())
      known = known || (f.id == k.id && f.section == k.section && f.error == k.error);
    known = known || (f.id == kTprVtprCheck.id && f.section == kTprVtprCheck.section &&
                      f.error == kTprVtprCheck.error);
    r.check(known, "vmx: unknown VM-entry check " + f.id);
    r.check(f.message.find('\n') == std::string::npos, "vmx: VM-entry check message with a newline");
    n.last_entry_failure = std::move(f);
  }
  n.current_is_shadow = r.boolean();
  n.entries = r.u64();
  const uint32_t reasons = r.u32();
  r.check(reasons == n.exits.size(), "vmx: " + std::to_string(reasons) + " exit-reason counters");
  for (uint64_t& v : n.exits) v = r.u64();
  n.virtual_nmi_blocked = r.boolean();  // (branch vmxevent) any cycle is a valid deadline
  n.preemption_deadline = r.u64();
  n.mtf_mark = r.u64();
  n.mtf_injected = r.boolean();
  r.check(valid_pointer(n.vmxon_pointer), "vmx: bad VMXON pointer " + platform::hex(n.vmxon_pointer));
  r.check(n.current_vmcs == kInvalidVmcs || (n.vmx_operation && valid_pointer(n.current_vmcs) &&
                                             n.current_vmcs != n.vmxon_pointer),
          "vmx: bad current-VMCS pointer " + platform::hex(n.current_vmcs));
  s_ = std::move(n);
  controls_host_checked_ = false;
}

}  // namespace vt
