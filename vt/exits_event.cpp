// vt/exits_event.cpp — the event side of VMX non-root operation (Intel SDM Vol.3 25.2,
// 25.3, 25.5.1, 26.6, 27.3.4): VM exits that events cause at instruction boundaries, the
// VMX-preemption timer, the monitor trap flag, virtual NMIs and the NMI-blocking rules of IRET.
//
// At each instruction boundary in non-root operation with something to watch, the CPU
// (Cpu::service_interrupts) asks boundary_exit() first. The order is the SDM's priority
// among concurrent events (SDM 6.9 with the VMX events of 25.2 spliced in):
//   monitor trap flag            (25.5.2: above debug traps and everything below)
//   VMX-preemption timer expired (25.5.1: below debug traps, above the NMI window)
//   NMI-window exiting           (25.2: above NMIs)
//   NMI: VM exit with "NMI exiting", else delivered by the CPU
//   interrupt-window exiting     (25.2: below NMIs, above external interrupts)
//   external interrupt: VM exit with "external-interrupt exiting", else delivered by the CPU
// Blocking: the timer is not blocked by STI or MOV SS (25.5.1 names no blocking; Bochs, whose
// event loop skips all of these under either shadow, differs). The NMI window, NMIs and
// external interrupts are blocked by STI and MOV SS (the CPU blocks NMIs under the STI shadow
// as SDM Table 24-3 allows); with "external-interrupt exiting" RFLAGS.IF does not block
// external interrupts (25.3), which then exit whatever IF. An exit taken from the HLT state
// saves activity state HLT (27.3.4: "the activity state before the VM exit"; 27.1: the
// return to the active state occurs only after the VM exit completes).
//
// Timer (25.5.1): counts down by 1 each time bit X of the TSC changes (X = IA32_VMX_MISC[4:0],
// 5 in both profiles), armed at VM entry from the guest's VMX-preemption timer value; the VM
// exit (reason 52) comes at the first boundary at or after the cycle it reaches 0, and before
// the guest's first instruction when the value is 0. Derived from the cycle count only (the
// TSC is cycles + IA32_TIME_STAMP_COUNTER offset). Not modelled: the timer in SMM.
//
// Monitor trap flag (25.5.2): an MTF exit (reason 37) at the boundary after each guest
// instruction that retires or faults (its exception delivered through the guest IDT), after
// an injected event's delivery, and after HLT (from the HLT state, activity HLT saved).
// Deviation: a REP string instruction exits once, after its last iteration, not after each.
// Injecting a pending MTF exit (interruption type 7, vector 0; 26.5.2) makes it pending at
// the first boundary whatever the control. Not modelled: pending debug exceptions saved.
#include "cpu/cpu.h"
#include "vt/vmx.h"

namespace vt {

using cpu::Cpu;
using cpu::State;
using cpu::VmExit;
namespace reason = cpu::exit_reason;

namespace {

// Pin-based controls (SDM Table 24-5), primary processor-based (24-6), VM-exit (24-13).
constexpr uint32_t kPinExtIntExiting = 1u << 0, kPinNmiExiting = 1u << 3, kPinVirtualNmis = 1u << 5,
                   kPinPreemptionTimer = 1u << 6;
constexpr uint32_t kProcIntrWindow = 1u << 2, kProcNmiWindow = 1u << 22, kProcMtf = 1u << 27;
constexpr uint32_t kExitAckInterrupt = 1u << 15, kExitSavePreemptionTimer = 1u << 22;
// VM-exit interruption information (SDM 24.9.2, Table 24-15): valid, type in bits 10:8.
constexpr uint32_t kInfoValid = 0x80000000u, kTypeNmi = 2u << 8;
constexpr uint32_t kBlockingNmi = 8;

// Guest progress for the monitor trap flag: instructions retired plus events delivered
// through the IDT (a faulting instruction does not retire, its exception is delivered).
uint64_t progress(const Cpu& c) {
  return c.state().instret + c.event_counts()[cpu::EventKind::Exception] +
         c.event_counts()[cpu::EventKind::Interrupt];
}

}  // namespace

Vmx::BoundaryWatch Vmx::boundary_watch(const Cpu& c) const {
  (void)c;
  BoundaryWatch w;
  const uint32_t proc = uint32_t(field(field::PRIMARY_PROC_CONTROLS));
  w.every = (proc & (kProcIntrWindow | kProcNmiWindow | kProcMtf)) || s_.mtf_injected;
  w.intr_exits = field(field::PIN_BASED_CONTROLS) & kPinExtIntExiting;
  w.timer = s_.preemption_deadline;
  return w;
}

bool Vmx::boundary_exit(Cpu& c) {
  State& st = c.state();
  const uint32_t pin = uint32_t(field(field::PIN_BASED_CONTROLS));
  const uint32_t proc = uint32_t(field(field::PRIMARY_PROC_CONTROLS));
  const bool shadow = c.interrupt_shadow();  // blocking by STI or MOV SS
  VmExit e;
  // SDM 25.5.2: an MTF VM exit is pending at the boundary after a guest instruction (or the
  // delivery of its fault, or of an injected event); it has priority over the timer and the
  // windows (SMIs, INIT and higher priority events, which do not exist here, go before it).
  if (s_.mtf_injected || ((proc & kProcMtf) && progress(c) != s_.mtf_mark)) {
    e.reason = reason::MonitorTrapFlag;
    c.vm_exit_now(e);
    return true;
  }
  if (st.cycles >= s_.preemption_deadline) {
    e.reason = reason::PreemptionTimer;
    c.vm_exit_now(e);
    return true;
  }
  if ((proc & kProcNmiWindow) && !s_.virtual_nmi_blocked && !shadow) {
    e.reason = reason::NmiWindow;
    c.vm_exit_now(e);
    return true;
  }
  // With "virtual NMIs", NMIs are not blocked in non-root operation (26.6.1); otherwise by
  // blocking by NMI.
  if (c.nmi_pending() && !shadow && ((pin & kPinVirtualNmis) || !st.nmi_blocked)) {
    if (!(pin & kPinNmiExiting)) return false;  // delivered through the guest IDT
    // SDM 25.2, 27.2.2: exit reason 0, interruption type NMI, vector 2. The NMI blocks
    // further NMIs only after the VM exit completes (27.1, 27.5.5).
    c.take_nmi();
    e.reason = reason::ExceptionOrNmi;
    e.interruption_info = kInfoValid | kTypeNmi | cpu::NMI;
    c.vm_exit_now(e);
    st.nmi_blocked = true;
    return true;
  }
  if ((proc & kProcIntrWindow) && (c.flags() & cpu::flag::IF) && !shadow) {
    e.reason = reason::InterruptWindow;
    c.vm_exit_now(e);
    return true;
  }
  if (c.intr_line() && (pin & kPinExtIntExiting) && !shadow) {
    // SDM 27.2.2: with "acknowledge interrupt on exit" the interrupt controller is
    // acknowledged and the vector saved (type 0, external interrupt); without it the
    // field is invalid and the interrupt stays pending (27.1).
    e.reason = reason::ExternalInterrupt;
    if (field(field::EXIT_CONTROLS) & kExitAckInterrupt) e.interruption_info = kInfoValid | c.bus().intr_ack();
    c.vm_exit_now(e);
    return true;
  }
  return false;
}

// SDM 25.3 "IRET": with "NMI exiting" 0, IRET unblocks NMIs as usual; with 1 it leaves
// blocking by NMI alone, and with "virtual NMIs" 1 it ends virtual-NMI blocking.
void Vmx::iret_unblocks_nmi(Cpu& c) {
  const uint32_t pin = uint32_t(field(field::PIN_BASED_CONTROLS));
  if (!(pin & kPinNmiExiting)) c.state().nmi_blocked = false;
  if (pin & kPinVirtualNmis) s_.virtual_nmi_blocked = false;
}

// VM entry, after the guest state and the MSR-load list, before event injection.
void Vmx::enter_events(Cpu& c, uint32_t interruptibility) {
  State& st = c.state();
  const uint32_t pin = uint32_t(field(field::PIN_BASED_CONTROLS));
  // SDM 26.6.1: with "virtual NMIs", bit 3 is virtual-NMI blocking and NMIs are not blocked.
  s_.virtual_nmi_blocked = false;
  if (pin & kPinVirtualNmis) {
    s_.virtual_nmi_blocked = interruptibility & kBlockingNmi;
    st.nmi_blocked = false;
  }
  // The monitor trap flag counts from here; VMLAUNCH/VMRESUME itself retires after this, and
  // an injected event (delivered next) makes an MTF exit pending before the first instruction.
  s_.mtf_mark = progress(c) + 1;
  // Interruption type 7 (other event), vector 0: a pending MTF VM exit, whatever the
  // control (26.5.2); nothing is delivered.
  const uint32_t inject = uint32_t(field(field::ENTRY_INTERRUPTION_INFO));
  s_.mtf_injected = (inject & kInfoValid) && ((inject >> 8) & 7) == 7 && (inject & 0xFF) == 0;
  s_.preemption_deadline = UINT64_MAX;
  if (pin & kPinPreemptionTimer) {
    const uint64_t value = field(field::GUEST_PREEMPTION_TIMER) & 0xFFFFFFFF;
    const unsigned x = caps_.profile().preemption_timer_rate & 0x1F;
    const uint64_t tsc = st.cycles + st.msrs.tsc_offset;
    // Zero: a VM exit before the guest's first instruction (26.7.4); else the cycle of the
    // value-th change of TSC bit X from now.
    s_.preemption_deadline = value == 0 ? st.cycles : (((tsc >> x) + value) << x) - st.msrs.tsc_offset;
  }
}

uint32_t Vmx::preemption_timer_value(const Cpu& c) const {
  const State& st = c.state();
  if (st.cycles >= s_.preemption_deadline) return 0;
  const unsigned x = caps_.profile().preemption_timer_rate & 0x1F;
  const uint64_t off = st.msrs.tsc_offset;
  return uint32_t(((s_.preemption_deadline + off) >> x) - ((st.cycles + off) >> x));
}

// VM exit, before the guest state is saved: the timer stops, and its value is saved with
// "save VMX-preemption timer value" (27.3.4; 0 for the timer's own exit).
void Vmx::exit_events(Cpu& c, const VmExit& e) {
  if (s_.preemption_deadline != UINT64_MAX && (field(field::EXIT_CONTROLS) & kExitSavePreemptionTimer))
    slot(field::GUEST_PREEMPTION_TIMER) = (e.reason & 0xFFFF) == reason::PreemptionTimer ? 0 : preemption_timer_value(c);
  s_.preemption_deadline = UINT64_MAX;
  s_.mtf_injected = false;
}

}  // namespace vt
