// vt/transition.cpp — VM entry (Intel SDM Vol.3 chapter 26, after the checks of
// entry_checks.cpp) and VM exit (chapter 27), and the non-root behaviour of the
// instructions and events that vt/ decides itself (HLT exiting, the exception bitmap, the
// VMX instructions in non-root operation).
//
// The order of both transitions is the SDM's:
//   entry: checks (vmx.cpp) -> load guest state (26.3.2) -> MSR-load list (26.4) ->
//          launch state -> event injection (26.6) -> non-root
//   exit:  exit information (27.2) -> save guest state (27.3) -> MSR-store list (27.4) ->
//          load host state (27.5) -> MSR-load list (27.6) -> root
// A failure after the checks (MSR loading, 26.8) is an exit with bit 31 of the reason set
// and only the host state loaded. A failure loading host MSRs on exit is a VMX abort
// (27.7): the abort indicator is written and the processor shuts down.
#include <string>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "platform/text.h"
#include "vt/ept.h"
#include "vt/exit_reasons.h"
#include "vt/exits_insn.h"
#include "vt/vmx.h"

namespace vt {

using cpu::Cpu;
using cpu::Insn;
using cpu::SegmentCache;
using cpu::State;
using cpu::VmExit;
namespace ar = cpu::ar;
namespace reason = cpu::exit_reason;

namespace {

// The CR0 bits VM entry and VM exit never modify (SDM 26.3.2.1, 27.5.1): ET, NW, CD and
// the reserved bits (which this CPU keeps 0).
constexpr uint64_t kCr0Unmodified = cpu::cr0::ET | cpu::cr0::NW | cpu::cr0::CD;

constexpr uint32_t kProcHltExiting = 1u << 7;
constexpr uint32_t kExitSaveDebug = 1u << 2, kExitSavePat = 1u << 18, kExitLoadPat = 1u << 19,
                   kExitSaveEfer = 1u << 20, kExitLoadEfer = 1u << 21;
constexpr uint32_t kEntryLoadDebug = 1u << 2, kEntryLoadPat = 1u << 14, kEntryLoadEfer = 1u << 15;

// Interruptibility state (SDM 24.4.2, Table 24-3).
constexpr uint32_t kBlockingSti = 1, kBlockingMovSs = 2, kBlockingNmi = 8;

// VMX abort indicators (SDM 27.7).
constexpr uint32_t kAbortHostMsrLoad = 4;

}  // namespace

// ---------------------------------------------------------------------------------------
// VM entry

void Vmx::enter(Cpu& c, bool resume) {
  const cpu::CycleModel& m = c.cycle_model();
  c.add_cycles(m.vm_entry);
  load_guest_state(c);
  // SDM 26.4: the VM-entry MSR-load list, after the guest state.
  if (const uint32_t bad = load_msr_list(c, field(field::ENTRY_MSR_LOAD_ADDR),
                                         uint32_t(field(field::ENTRY_MSR_LOAD_COUNT)))) {
    entry_failure(c, reason::MsrLoading, bad);
    return;
  }
  if (!resume) s_.launched = true;
  ++s_.entries;
  c.set_non_root(true);
  c.flush_tlb(true);  // no VPID: every transition flushes the TLB (SDM 28.3.3.1)
  emit_transition(c, true, m.vm_entry);
  c.check_mode();
  enter_events(c, uint32_t(field(field::GUEST_INTERRUPTIBILITY)));
  // SDM 26.6: event injection, delivered through the guest IDT as the guest's first act.
  const uint64_t info = field(field::ENTRY_INTERRUPTION_INFO);
  // Type 7 (other event) delivers nothing: a pending MTF exit (enter_events, 26.5.2).
  if ((info & 0x80000000u) && ((info >> 8) & 7) != 7) {
    // A vectoring entry leaves no blocking by STI or MOV SS (26.6.1); an injected NMI blocks
    // NMIs, or with "virtual NMIs" sets virtual-NMI blocking (26.6.1.2), from its delivery on.
    c.clear_interrupt_shadow();
    if (((info >> 8) & 7) == 2) {
      if (field(field::PIN_BASED_CONTROLS) & (1u << 5)) s_.virtual_nmi_blocked = true;
      else c.state().nmi_blocked = true;
    }
    c.inject_event(uint8_t(info & 0xFF), unsigned((info >> 8) & 7), (info >> 11) & 1,
                   uint32_t(field(field::ENTRY_EXCEPTION_EC)),
                   unsigned(field(field::ENTRY_INSTRUCTION_LENGTH)));
  }
}

// SDM 26.3.2: control registers, debug registers and MSRs (26.3.2.1), segment and
// descriptor-table registers (26.3.2.2), RIP, RSP, RFLAGS (26.3.2.3) and the
// non-register state (26.3.2.4-26.3.2.5 via the interruptibility and activity fields).
void Vmx::load_guest_state(Cpu& c) {
  State& st = c.state();
  const uint32_t entry = uint32_t(field(field::ENTRY_CONTROLS));
  st.cr0 = (field(field::GUEST_CR0) & kCr0Bits & ~kCr0Unmodified) | (st.cr0 & kCr0Unmodified);
  st.cr3 = field(field::GUEST_CR3) & 0xFFFFFFFF;
  st.cr4 = field(field::GUEST_CR4) & kCr4Bits;
  if (entry & kEntryLoadDebug) st.dr[7] = field(field::GUEST_DR7) & 0xFFFFFFFF;
  // IA32_DEBUGCTL is not modelled by the CPU: the field is checked (26.3.1.1) and kept.
  st.msrs.sysenter_cs = field(field::GUEST_SYSENTER_CS) & 0xFFFFFFFF;
  st.msrs.sysenter_esp = field(field::GUEST_SYSENTER_ESP);
  st.msrs.sysenter_eip = field(field::GUEST_SYSENTER_EIP);
  if (entry & kEntryLoadPat) st.msrs.pat = field(field::GUEST_PAT);
  // Without "load IA32_EFER", EFER.LMA takes the value of "IA-32e mode guest" (always 0
  // here: 26.2.4 refuses it).
  if (entry & kEntryLoadEfer) st.efer = field(field::GUEST_EFER);
  else st.efer &= ~cpu::efer::LMA;

  for (unsigned k = 0; k < 8; ++k) {
    SegmentCache sc;
    sc.selector = uint16_t(field(field::GUEST_ES_SELECTOR + 2 * k));
    sc.base = field(field::GUEST_ES_BASE + 2 * k) & 0xFFFFFFFF;
    sc.limit = uint32_t(field(field::GUEST_ES_LIMIT + 2 * k));
    sc.attr = uint32_t(field(field::GUEST_ES_ACCESS_RIGHTS + 2 * k)) & 0x1F0FF;
    if (k == cpu::CS) c.set_cs(sc);
    else if (k < 6) st.seg[k] = sc;
    else if (k == 6) st.ldtr = sc;
    else st.tr = sc;
  }
  st.gdtr = {field(field::GUEST_GDTR_BASE) & 0xFFFFFFFF, uint16_t(field(field::GUEST_GDTR_LIMIT))};
  st.idtr = {field(field::GUEST_IDTR_BASE) & 0xFFFFFFFF, uint16_t(field(field::GUEST_IDTR_LIMIT))};
  // The CPL is SS.DPL (SDM 26.3.2.2; CS.DPL equals it for every guest 26.3.1.2 accepts).
  st.cpl = uint8_t(ar::dpl(st.seg[cpu::SS].attr));
  if (!(st.cr0 & cpu::cr0::PE)) st.cpl = 0;

  st.gpr[cpu::RSP] = field(field::GUEST_RSP) & 0xFFFFFFFF;
  c.set_flags(uint32_t(field(field::GUEST_RFLAGS)));
  c.jump_to(field(field::GUEST_RIP) & 0xFFFFFFFF);

  // Interruptibility: blocking by STI / MOV SS covers the guest's first instruction
  // (VMLAUNCH/VMRESUME itself retires, so the shadow is set as an STI would set it).
  const uint32_t intr = uint32_t(field(field::GUEST_INTERRUPTIBILITY));
  c.clear_interrupt_shadow();
  if (intr & kBlockingMovSs) c.set_stack_switch_shadow();
  else if (intr & kBlockingSti) c.set_interrupt_shadow();
  st.nmi_blocked = intr & kBlockingNmi;
  // Activity state (26.6.2): active or HLT (MISC bit 6); a vectoring entry is active (the
  // injection wakes the processor).
  st.halted = (field(field::GUEST_ACTIVITY) & 0xFFFFFFFF) == 1;
}

// ---------------------------------------------------------------------------------------
// VM exit

void Vmx::vm_exit(Cpu& c, const VmExit& e, unsigned insn_len) {
  State& st = c.state();
  const cpu::CycleModel& m = c.cycle_model();
  c.add_cycles(m.vm_exit);
  // SDM 27.2: the exit-information fields.
  slot(field::EXIT_REASON) = e.reason;
  slot(field::EXIT_QUALIFICATION) = e.qualification;
  slot(field::GUEST_LINEAR_ADDRESS) = e.guest_linear;
  slot(field::GUEST_PHYSICAL_ADDRESS) = e.guest_physical;
  slot(field::EXIT_INTERRUPTION_INFO) = e.interruption_info;
  slot(field::EXIT_INTERRUPTION_EC) = e.interruption_error;
  slot(field::IDT_VECTORING_INFO) = e.idt_vectoring_info;
  slot(field::IDT_VECTORING_EC) = e.idt_vectoring_error;
  slot(field::EXIT_INSTRUCTION_LENGTH) = insn_len;
  slot(field::EXIT_INSTRUCTION_INFO) = e.instruction_info;
  // "The valid bit in the VM-entry interruption-information field is cleared on every VM
  // exit" (SDM 27.2.5 end): an injected event is not injected twice.
  slot(field::ENTRY_INTERRUPTION_INFO) &= ~uint64_t(0x80000000u);
  const uint32_t basic = e.reason & 0xFFFF;
  ++s_.exits[basic < s_.exits.size() ? basic : 0];

  const uint16_t guest_cs = st.seg[cpu::CS].selector;
  const uint64_t guest_rip = st.rip;
  exit_events(c, e);  // the VMX-preemption timer stops (its value saved)
  save_guest_state(c);
  store_msr_list(c, field(field::EXIT_MSR_STORE_ADDR), uint32_t(field(field::EXIT_MSR_STORE_COUNT)));
  load_host_state(c);
  c.set_non_root(false);
  c.flush_tlb(true);
  c.count_event(cpu::EventKind::VmExit);
  if (c.observed()) {
    cpu::Event ev;
    ev.kind = cpu::EventKind::VmExit;
    ev.cs = guest_cs;
    ev.ip = guest_rip;
    ev.exit_reason = e.reason;
    ev.exit_qualification = e.qualification;
    ev.insn_len = uint8_t(insn_len);
    ev.transition_cycles = m.vm_exit;
    const char* name = exit_reason_name(e.reason);
    ev.reason = name ? name : "unknown";
    if (basic == reason::EptViolation || basic == reason::EptMisconfig) ev.detail = describe_ept_exit(e);
    else ev.detail = describe_qualification(e, uint32_t(st.gpr[cpu::RCX]));  // vt/exits_insn.cpp
    c.emit(ev);
  }
  c.check_mode();
  if (const uint32_t bad = load_msr_list(c, field(field::EXIT_MSR_LOAD_ADDR),
                                         uint32_t(field(field::EXIT_MSR_LOAD_COUNT)))) {
    // SDM 27.7: VMX abort — the indicator at offset 4 of the current VMCS, then shutdown.
    const uint32_t code = kAbortHostMsrLoad;
    c.phys_write(s_.current_vmcs + 4, &code, 4);
    c.shutdown_now("VMX abort " + std::to_string(code) + ": loading host MSRs failed at entry " +
                   std::to_string(bad) + " of the VM-exit MSR-load list (SDM 27.7)");
  }
}

// SDM 27.3: saving the guest state.
void Vmx::save_guest_state(Cpu& c) {
  State& st = c.state();
  const uint32_t exit = uint32_t(field(field::EXIT_CONTROLS));
  slot(field::GUEST_CR0) = st.cr0;
  slot(field::GUEST_CR3) = st.cr3;
  slot(field::GUEST_CR4) = st.cr4;
  if (exit & kExitSaveDebug) slot(field::GUEST_DR7) = st.dr[7];
  slot(field::GUEST_RSP) = st.gpr[cpu::RSP] & 0xFFFFFFFF;
  slot(field::GUEST_RIP) = st.rip & 0xFFFFFFFF;
  slot(field::GUEST_RFLAGS) = c.flags();
  for (unsigned k = 0; k < 8; ++k) {
    const SegmentCache& sc = k < 6 ? st.seg[k] : k == 6 ? st.ldtr : st.tr;
    slot(field::GUEST_ES_SELECTOR + 2 * k) = sc.selector;
    slot(field::GUEST_ES_BASE + 2 * k) = sc.base & 0xFFFFFFFF;
    slot(field::GUEST_ES_LIMIT + 2 * k) = sc.limit;
    slot(field::GUEST_ES_ACCESS_RIGHTS + 2 * k) = sc.attr & 0x1F0FF;
  }
  slot(field::GUEST_GDTR_BASE) = st.gdtr.base & 0xFFFFFFFF;
  slot(field::GUEST_GDTR_LIMIT) = st.gdtr.limit;
  slot(field::GUEST_IDTR_BASE) = st.idtr.base & 0xFFFFFFFF;
  slot(field::GUEST_IDTR_LIMIT) = st.idtr.limit;
  slot(field::GUEST_SYSENTER_CS) = st.msrs.sysenter_cs & 0xFFFFFFFF;
  slot(field::GUEST_SYSENTER_ESP) = st.msrs.sysenter_esp & 0xFFFFFFFF;
  slot(field::GUEST_SYSENTER_EIP) = st.msrs.sysenter_eip & 0xFFFFFFFF;
  if (exit & kExitSavePat) slot(field::GUEST_PAT) = st.msrs.pat;
  if (exit & kExitSaveEfer) slot(field::GUEST_EFER) = st.efer;
  uint32_t intr = 0;
  if (c.blocking_by_mov_ss()) intr |= kBlockingMovSs;
  else if (c.interrupt_shadow()) intr |= kBlockingSti;
  // With "virtual NMIs", bit 3 is virtual-NMI blocking (27.3.4).
  const bool virtual_nmis = field(field::PIN_BASED_CONTROLS) & (1u << 5);
  if (virtual_nmis ? s_.virtual_nmi_blocked : st.nmi_blocked) intr |= kBlockingNmi;
  slot(field::GUEST_INTERRUPTIBILITY) = intr;
  // The activity state before the exit (27.3.4): HLT for a guest an event exit woke.
  slot(field::GUEST_ACTIVITY) = st.halted ? 1 : 0;
  slot(field::GUEST_PENDING_DBG) = 0;
}

// SDM 27.5: loading the host state.
void Vmx::load_host_state(Cpu& c) {
  State& st = c.state();
  const uint32_t exit = uint32_t(field(field::EXIT_CONTROLS));
  st.cr0 = (field(field::HOST_CR0) & kCr0Bits & ~kCr0Unmodified) | (st.cr0 & kCr0Unmodified);
  st.cr3 = field(field::HOST_CR3) & 0xFFFFFFFF;
  st.cr4 = field(field::HOST_CR4) & kCr4Bits;
  st.dr[7] = 0x400;  // 27.5.1: DR7 is set to 400H (and IA32_DEBUGCTL cleared: not modelled)
  st.msrs.sysenter_cs = field(field::HOST_SYSENTER_CS) & 0xFFFFFFFF;
  st.msrs.sysenter_esp = field(field::HOST_SYSENTER_ESP) & 0xFFFFFFFF;
  st.msrs.sysenter_eip = field(field::HOST_SYSENTER_EIP) & 0xFFFFFFFF;
  if (exit & kExitLoadPat) st.msrs.pat = field(field::HOST_PAT);
  // "Host address-space size" is 0 (26.2.4): LMA and LME are cleared unless loaded.
  if (exit & kExitLoadEfer) st.efer = field(field::HOST_EFER);
  else st.efer &= ~(cpu::efer::LMA | cpu::efer::LME);

  // 27.5.2: CS and the data segments are flat with DPL 0; a null data selector makes the
  // segment unusable; TR is a busy 32-bit TSS of limit 67H; LDTR is unusable.
  constexpr uint32_t kFlatCode = ar::P | ar::S | ar::CODE | ar::READABLE | ar::ACCESSED | ar::DB | ar::G;
  constexpr uint32_t kFlatData = ar::P | ar::S | ar::WRITABLE | ar::ACCESSED | ar::DB | ar::G;
  for (unsigned k = 0; k < 6; ++k) {
    SegmentCache sc;
    sc.selector = uint16_t(field(field::HOST_ES_SELECTOR + 2 * k));
    sc.base = k == cpu::FS ? field(field::HOST_FS_BASE) & 0xFFFFFFFF
              : k == cpu::GS ? field(field::HOST_GS_BASE) & 0xFFFFFFFF : 0;
    sc.limit = 0xFFFFFFFF;
    if (k == cpu::CS) {
      sc.attr = kFlatCode;
      c.set_cs(sc);
      continue;
    }
    sc.attr = sc.selector == 0 ? ar::UNUSABLE : kFlatData;
    st.seg[k] = sc;
  }
  st.tr = SegmentCache{uint16_t(field(field::HOST_TR_SELECTOR)), field(field::HOST_TR_BASE) & 0xFFFFFFFF,
                       0x67, ar::P | 11};
  st.ldtr = SegmentCache{0, 0, 0, ar::UNUSABLE};
  st.gdtr = {field(field::HOST_GDTR_BASE) & 0xFFFFFFFF, 0xFFFF};
  st.idtr = {field(field::HOST_IDTR_BASE) & 0xFFFFFFFF, 0xFFFF};
  st.cpl = 0;
  st.gpr[cpu::RSP] = field(field::HOST_RSP) & 0xFFFFFFFF;
  c.set_flags(cpu::flag::FIXED1);  // 27.5.3: RFLAGS is cleared except bit 1
  c.jump_to(field(field::HOST_RIP) & 0xFFFFFFFF);
  // 27.5.5: no blocking by STI or MOV SS; the processor is active.
  c.clear_interrupt_shadow();
  st.halted = false;
}

// ---------------------------------------------------------------------------------------
// MSR lists (SDM 24.7.2, 24.8.2): 16-byte entries {u32 index, u32 reserved, u64 data}.

uint32_t Vmx::load_msr_list(Cpu& c, uint64_t addr, uint32_t count) {
  // The count is bounded by IA32_VMX_MISC[27:25] (512 * (N + 1) entries; N = 0 here);
  // more makes the list fail at entry 513.
  for (uint32_t k = 0; k < count; ++k) {
    if (k >= 512) return k + 1;
    uint32_t head[2] = {0, 0};
    uint64_t data = 0;
    c.phys_read(addr + 16ull * k, head, 8);
    c.phys_read(addr + 16ull * k + 8, &data, 8);
    // SDM 26.4: reserved bits set, or an MSR the list may not load (FS/GS base, the x2APIC
    // range, IA32_SMM_MONITOR_CTL, IA32_SMBASE), or a WRMSR that would fault, fails.
    const uint32_t index = head[0];
    if (head[1] != 0 || index == 0xC0000100 || index == 0xC0000101 || (index >> 8) == 0x8 ||
        index == 0x9B || index == 0x9E)
      return k + 1;
    try {
      if (!c.write_msr(index, data)) return k + 1;
    } catch (const cpu::Fault&) {
      return k + 1;
    }
  }
  return 0;
}

void Vmx::store_msr_list(Cpu& c, uint64_t addr, uint32_t count) {
  for (uint32_t k = 0; k < count && k < 512; ++k) {
    uint32_t index = 0;
    c.phys_read(addr + 16ull * k, &index, 4);
    uint64_t v = 0;
    // An MSR that cannot be read stores nothing (the SDM makes it a VMX abort, code 1;
    // kept simple until a test needs it).
    if (c.read_msr(index, v)) c.phys_write(addr + 16ull * k + 8, &v, 8);
  }
}

void Vmx::entry_failure(Cpu& c, uint32_t why, uint64_t qualification) {
  const cpu::CycleModel& m = c.cycle_model();
  c.add_cycles(m.vm_exit);
  slot(field::EXIT_REASON) = why | reason::kEntryFailure;
  slot(field::EXIT_QUALIFICATION) = qualification;
  slot(field::ENTRY_INTERRUPTION_INFO) &= ~uint64_t(0x80000000u);
  ++s_.exits[why];
  const uint16_t cs = c.state().seg[cpu::CS].selector;
  const uint64_t ip = c.state().rip;
  load_host_state(c);
  c.set_non_root(false);
  c.flush_tlb(true);
  c.count_event(cpu::EventKind::VmExit);
  if (c.observed()) {
    cpu::Event ev;
    ev.kind = cpu::EventKind::VmExit;
    ev.cs = cs;
    ev.ip = ip;
    ev.exit_reason = why | reason::kEntryFailure;
    ev.exit_qualification = qualification;
    ev.transition_cycles = m.vm_exit;
    ev.reason = exit_reason_name(why);
    if (const auto& f = s_.last_entry_failure) ev.detail = "check " + f->id + " (SDM " + f->section + "): " + f->message;
    c.emit(ev);
  }
  c.check_mode();
}

void Vmx::emit_transition(Cpu& c, bool entry, uint64_t cost) {
  c.count_event(entry ? cpu::EventKind::VmEntry : cpu::EventKind::VmExit);
  if (!c.observed()) return;
  const State& st = c.state();
  cpu::Event ev;
  ev.kind = entry ? cpu::EventKind::VmEntry : cpu::EventKind::VmExit;
  ev.cs = st.seg[cpu::CS].selector;
  ev.ip = st.rip;
  ev.transition_cycles = cost;
  c.emit(ev);
}

// ---------------------------------------------------------------------------------------
// Non-root behaviour decided here

void Vmx::intercept_hlt(Cpu& c) {
  if (field(field::PRIMARY_PROC_CONTROLS) & kProcHltExiting) c.vm_exit_insn(reason::Hlt);
}

// SDM 25.2 "Exceptions": bit `vector` of the exception bitmap; for #PF the bit is used
// when (error code & PFEC_MASK) == PFEC_MATCH and inverted otherwise. NMIs go by "NMI
// exiting" instead (not implemented: never advertised).
bool Vmx::exception_exits(Cpu& c, uint8_t vector, bool has_ec, uint32_t ec, bool soft, VmExit& e) {
  (void)c;
  if (vector >= 32 || vector == cpu::NMI) return false;
  bool exits = (field(field::EXCEPTION_BITMAP) >> vector) & 1;
  if (vector == cpu::PF) {
    const uint32_t mask = uint32_t(field(field::PAGE_FAULT_EC_MASK));
    const uint32_t match = uint32_t(field(field::PAGE_FAULT_EC_MATCH));
    if ((ec & mask) != match) exits = !exits;
  }
  if (!exits) return false;
  e = VmExit{};
  e.reason = reason::ExceptionOrNmi;
  // SDM 24.9.2: vector, type (3 hardware exception, 6 software exception), error code
  // valid (bit 11), valid (bit 31).
  e.interruption_info = vector | ((soft ? 6u : 3u) << 8) | (has_ec ? 0x800u : 0u) | 0x80000000u;
  e.interruption_error = has_ec ? ec : 0;
  return true;
}

// SDM 30.3 (each VMX instruction's "Operation"): in VMX non-root operation, after the #UD
// checks, the instruction causes a VM exit. Qualification: the displacement of a memory
// operand (27.2.1, Table 27-1 for "VMX instructions"); instruction information: SDM 27.2.5,
// Table 27-13 (VMCLEAR, VMPTRLD, VMPTRST, VMXON) and 27-14 (VMREAD, VMWRITE).
void Vmx::exit_for_vmx_instruction(Cpu& c, const Insn& i, uint32_t why) {
  const State& st = c.state();
  if (!(st.cr0 & cpu::cr0::PE) || (st.eflags & cpu::flag::VM)) c.fault(cpu::UD);
  VmExit e;
  e.reason = why;
  const bool memory_form = why == reason::Vmclear || why == reason::Vmptrld ||
                           why == reason::Vmptrst || why == reason::Vmxon;
  if (memory_form && !i.mem()) c.fault(cpu::UD);
  const bool inv = why == reason::Invept || why == reason::Invvpid;  // Table 27-15: as VMREAD
  if (memory_form || inv || why == reason::Vmread || why == reason::Vmwrite) {
    uint32_t info = 0;
    const bool reg_operand = i.mod == 3;
    if (!reg_operand) {
      info |= i.scale & 3;
      info |= (i.adsize == 2 ? 0u : 1u) << 7;
      info |= uint32_t(i.seg & 7) << 15;
      info |= i.index == cpu::kNoReg ? (1u << 22) : (uint32_t(i.index & 15) << 18);
      info |= i.base == cpu::kNoReg ? (1u << 27) : (uint32_t(i.base & 15) << 23);
      e.qualification = uint32_t(i.disp);
    } else {
      info |= (uint32_t(i.rm & 15) << 3) | (1u << 10);
      info |= (i.adsize == 2 ? 0u : 1u) << 7;
    }
    if (!memory_form) info |= uint32_t(i.reg & 15) << 28;  // the field-encoding register
    e.instruction_info = info;
  }
  c.vm_exit_insn(e);
}

}  // namespace vt
