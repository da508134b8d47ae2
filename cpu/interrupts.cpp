// cpu/interrupts.cpp — exception and interrupt delivery (SDM Vol.3 ch.6), #DF and triple
// fault, external interrupts and NMI, and the interrupt shadow.
#include <cstdio>
#include <string>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "cpu/internal.h"

namespace cpu {

namespace {

// SDM Vol.3 Table 6-5: contributory exceptions.
bool contributory(uint8_t v) { return v == DE || (v >= TS && v <= GP); }

// SDM Vol.3 Table 6-5: does `second`, raised while delivering `first`, make a #DF?
bool makes_double_fault(uint8_t first, uint8_t second) {
  if (contributory(first) && contributory(second)) return true;
  if (first == PF && (second == PF || contributory(second))) return true;
  return false;
}

// The interruption type of an event (SDM Vol.3 24.8.3): 0 external interrupt, 2 NMI,
// 3 hardware exception, 4 software interrupt, 6 software exception (INT3, INTO).
uint32_t vectoring_type(bool exception, InterruptSource src) {
  if (exception) return src == InterruptSource::Int3 || src == InterruptSource::Into ? 6 : 3;
  switch (src) {
    case InterruptSource::Nmi: return 2;
    case InterruptSource::Software: return 4;
    case InterruptSource::Int3:
    case InterruptSource::Into: return 6;
    default: return 0;
  }
}

std::string vector_text(uint8_t v) {
  static const char* const kNames[20] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD",
                                         "#NM", "#DF", "#9",  "#TS", "#NP", "#SS", "#GP",
                                         "#PF", "#15", "#MF", "#AC", "#MC", "#XM"};
  if (v < 20) return kNames[v];
  return "vector " + std::to_string(v);
}

}  // namespace

void Cpu::shutdown(const std::string& why) {
  // In VMX non-root operation a triple fault is a VM exit (SDM Vol.3 25.2).
  if (s_.non_root) {
    VmExit e;
    e.reason = exit_reason::TripleFault;
    vm_exit_now(e);
    return;
  }
  pending_stop_ = StopReason::Shutdown;
  stop_detail_ = why;
  s_.halted = true;
  count_event(EventKind::Shutdown);
  if (obs_) {
    Event e;
    e.kind = EventKind::Shutdown;
    e.cs = s_.seg[CS].selector;
    e.ip = s_.rip;
    e.reason = "triple fault";
    emit(e);
  }
}

// Delivers an exception or interrupt, handling faults during delivery: a contributory or
// page fault during delivery becomes #DF; a fault while delivering #DF shuts down.
void Cpu::deliver_exception(const Fault& f, bool trap) {
  // In VMX non-root operation the exception bitmap may make it a VM exit (SDM Vol.3 25.2),
  // before anything is delivered: a page fault that exits leaves CR2 unchanged (27.1).
  if (s_.non_root) {
    VmExit e;
    if (virt_->exception_exits(*this, f.vector, f.has_error_code, f.error_code, false, e)) {
      if (f.vector == PF) e.qualification = f.address;
      vm_exit_now(e);
      return;
    }
  }
  if (f.vector == PF) s_.cr2 = f.address;
  // SDM Vol.3 17.3.1.1: RF=1 in the image of a fault, and of a trap that follows a REP
  // iteration other than the last.
  deliver_event(f.vector, InterruptSource::External, f.has_error_code, f.error_code, true,
                trap ? mid_rep_ : f.vector != DF);
}

void Cpu::deliver_event(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec,
                        bool is_exception, bool first_rf, unsigned soft_len, int inject_type) {
  Fault cur{vector, has_ec, ec};
  bool exc = is_exception;
  for (unsigned depth = 0;; ++depth) {
    try {
      count_event(exc ? EventKind::Exception : EventKind::Interrupt);
      if (obs_) {
        Event e;
        e.kind = exc ? EventKind::Exception : EventKind::Interrupt;
        e.vector = cur.vector;
        e.has_error_code = cur.has_error_code;
        e.error_code = cur.error_code;
        e.source = src;
        e.cs = s_.seg[CS].selector;
        e.ip = s_.rip;
        e.cr2 = (cur.vector == PF && exc) ? s_.cr2 : 0;
        emit(e);
      }
      s_.cycles += exc ? model_->exception_delivery : model_->interrupt_delivery;
      // SDM Vol.3 17.3.1.1: a fault-class exception pushes RF=1 (instruction breakpoints,
      // which would be the exception, do not fire here). A fault raised while delivering
      // an event is a fault too; #DF is an abort.
      const bool rf = depth == 0 ? first_rf : cur.vector != DF;
      // An injected software interrupt/exception returns past its instruction; a fault
      // during its delivery is reported at the instruction (SDM Vol.3 26.6.1.3).
      const uint64_t ret = depth == 0 ? (s_.rip + soft_len) & ip_mask() : s_.rip;
      deliver(cur.vector, exc ? InterruptSource::External : src, cur.has_error_code,
              cur.error_code, ret, rf);
      return;
    } catch (const Fault& g) {
      if (cur.vector == DF || depth > 4) {
        // Say what started it: the first event and where the CPU was.
        char where[32];
        std::snprintf(where, sizeof where, "%04x:%08llx", s_.seg[CS].selector,
                      static_cast<unsigned long long>(s_.rip));
        shutdown(vector_text(g.vector) + " while delivering " + vector_text(cur.vector) +
                 "; it began with " + (is_exception ? "" : "interrupt ") + vector_text(vector) +
                 " at " + where);
        return;
      }
      // The event being delivered, for the IDT-vectoring information of a VM exit the
      // second exception causes (SDM Vol.3 27.2.4).
      const uint32_t vtype = depth == 0 && inject_type >= 0 ? uint32_t(inject_type) : vectoring_type(exc, src);
      const uint32_t vectoring = 0x80000000u | cur.vector | (vtype << 8) |
                                 (cur.has_error_code ? 0x800u : 0u);
      const uint32_t vectoring_ec = cur.error_code;
      // SDM Vol.3 27.2.5: the VM-exit instruction length of an exit during the delivery of
      // a software interrupt or exception (types 4-6) is that instruction's length.
      const unsigned vectoring_len = depth == 0 && vtype >= 4 ? soft_len : 0;
      if (exc && makes_double_fault(cur.vector, g.vector)) cur = Fault{DF, true, 0};
      else cur = g;
      exc = true;
      src = InterruptSource::External;
      if (g.vector == PF && cur.vector == DF) s_.cr2 = g.address;  // the #PF was reported
      if (s_.non_root) {
        VmExit e;
        if (virt_->exception_exits(*this, cur.vector, cur.has_error_code, cur.error_code, false, e)) {
          if (cur.vector == PF) e.qualification = cur.address;
          e.idt_vectoring_info = vectoring;
          e.idt_vectoring_error = vectoring_ec;
          vm_exit_now(e, vectoring_len);
          return;
        }
      }
      if (cur.vector == PF) s_.cr2 = cur.address;
    } catch (VmExit& x) {
      // A VM exit while delivering the event (an EPT violation on the IDT, a descriptor or
      // the stack): the IDT-vectoring information names the event (SDM Vol.3 27.2.4).
      x.idt_vectoring_info = 0x80000000u | cur.vector | (vectoring_type(exc, src) << 8) |
                             (cur.has_error_code ? 0x800u : 0u);
      x.idt_vectoring_error = cur.has_error_code ? cur.error_code : 0;
      vm_exit_now(x);
      return;
    } catch (const NotImplemented& n) {
      pending_stop_ = StopReason::NotImplemented;
      stop_detail_ = n.what;
      return;
    }
  }
}

bool Cpu::service_interrupts() {
  // In VMX non-root operation the boundary's events may cause VM exits first (vt/).
  if (s_.non_root && virt_->boundary_exit(*this)) return true;
  if (s_.instret < s_.shadow_until) return false;  // STI / MOV SS shadow (SDM Vol.3 6.8.3)
  if (attn_.nmi && !s_.nmi_blocked) {
    attn_.nmi = false;
    s_.halted = false;
    s_.nmi_blocked = true;  // until the next IRET (SDM Vol.3 6.7.1)
    deliver_event(NMI, InterruptSource::Nmi, false, 0, false, mid_rep_);
    mid_rep_ = false;  // the handler's first instruction is not a REP iteration
    return true;
  }
  if (attn_.intr && (s_.eflags & flag::IF)) {
    const uint8_t v = bus_.intr_ack();
    s_.halted = false;
    deliver_event(v, InterruptSource::External, false, 0, false, mid_rep_);
    mid_rep_ = false;
    return true;
  }
  return false;
}

void Cpu::software_interrupt(uint8_t vector, InterruptSource src) {
  // INT n / INT3 / INTO / INT1: the return address is the next instruction. A fault during
  // delivery propagates to the instruction (restartable, reported at its address).
  // INT3 and INTO raise #BP and #OF: in VMX non-root operation the exception bitmap may
  // make them VM exits, as software exceptions with the instruction's length (SDM Vol.3
  // 25.2, 27.2.2). The exit rewinds to the instruction.
  if (s_.non_root && (src == InterruptSource::Int3 || src == InterruptSource::Into)) {
    VmExit e;
    if (virt_->exception_exits(*this, vector, false, 0, true, e)) vm_exit_insn(e);
  }
  count_event((src == InterruptSource::Software) ? EventKind::Interrupt : EventKind::Exception);
  if (obs_) {
    Event e;
    e.kind = (src == InterruptSource::Software) ? EventKind::Interrupt : EventKind::Exception;
    e.vector = vector;
    e.source = src;
    e.cs = s_.seg[CS].selector;
    e.ip = s_.rip;
    emit(e);
  }
  s_.cycles += model_->exception_delivery;
  if (s_.non_root) [[unlikely]] {
    // A fault while delivering the guest's INT n / INT3 / INTO / INT1 that the exception
    // bitmap makes a VM exit records that event in the IDT-vectoring information (type 4
    // software interrupt, 6 software exception, 5 privileged software exception) with the
    // instruction's length as the VM-exit instruction length (SDM Vol.3 27.2.4, 27.2.5).
    try {
      deliver(vector, src, false, 0, next_ip_);
    } catch (const Fault& g) {
      VmExit e;
      if (!virt_->exception_exits(*this, g.vector, g.has_error_code, g.error_code, false, e)) throw;
      if (g.vector == PF) e.qualification = g.address;
      const uint32_t type = src == InterruptSource::Software ? 4 : src == InterruptSource::External ? 5 : 6;
      e.idt_vectoring_info = 0x80000000u | vector | (type << 8);
      vm_exit_insn(e);
    } catch (VmExit& x) {
      // An EPT violation while delivering INT n / INT3 / INTO: the exit names the event (SDM
      // Vol.3 27.2.4) and, as an instruction's exit, carries its length.
      const uint32_t type = src == InterruptSource::Software ? 4 : src == InterruptSource::External ? 5 : 6;
      x.idt_vectoring_info = 0x80000000u | vector | (type << 8);
      throw;
    }
  } else {
    deliver(vector, src, false, 0, next_ip_);
  }
  next_ip_ = s_.rip;
}

void Cpu::deliver(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec, uint64_t return_ip,
                  bool fault_rf) {
  switch (mode()) {
    case Mode::Real:
      deliver_real(vector, return_ip);
      break;
    case Mode::Protected:
      deliver_protected(vector, src, has_ec, ec, return_ip, fault_rf);
      break;
    case Mode::Virtual8086:
      not_implemented("interrupt delivery in virtual-8086 mode");
    case Mode::Long:
      not_implemented("interrupt delivery in IA-32e mode");
  }
  s_.halted = false;
}

// SDM Vol.3 20.1.4: real-address mode interrupt handling through the IVT.
void Cpu::deliver_real(uint8_t vector, uint64_t return_ip) {
  const uint64_t entry = uint64_t(vector) * 4;
  if (entry + 3 > s_.idtr.limit) fault(GP, 0);
  const uint32_t ivt = uint32_t(read_linear(s_.idtr.base + entry, 4, true));
  const uint32_t fl = flags();
  // Write FLAGS, CS, IP below SP first and move SP only when all three are written, so a
  // stack fault on any of them leaves SP as it was.
  const uint64_t mask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t top = sp();
  write_sized(SS, (top - 2) & mask, 2, fl);
  write_sized(SS, (top - 4) & mask, 2, s_.seg[CS].selector);
  write_sized(SS, (top - 6) & mask, 2, return_ip);
  set_sp((top - 6) & mask);
  s_.eflags = (fl & ~(flag::IF | flag::TF | flag::AC | flag::RF)) | flag::FIXED1;
  lf_live_ = false;
  load_seg_real(CS, uint16_t(ivt >> 16));
  s_.rip = ivt & 0xFFFF;
}

// SDM Vol.3 6.12.1: protected-mode delivery through an interrupt or trap gate, with the
// stack switch through the TSS on a privilege change.
void Cpu::deliver_protected(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec,
                            uint64_t return_ip, bool fault_rf) {
  const bool soft = src == InterruptSource::Software || src == InterruptSource::Int3 ||
                    src == InterruptSource::Into;
  const uint32_t ext = soft ? 0 : 1;
  const uint32_t idt_ec = uint32_t(vector) * 8 + 2 + ext;
  if (uint64_t(vector) * 8 + 7 > s_.idtr.limit) fault(GP, idt_ec);
  const uint64_t gate = read_linear(s_.idtr.base + uint64_t(vector) * 8, 8, true);
  const uint32_t gtype = (gate >> 40) & 0x1F;  // S bit + type
  const uint32_t gdpl = (gate >> 45) & 3;
  const bool gpresent = (gate >> 47) & 1;
  if (gtype == 0x05) not_implemented("task gate in the IDT (hardware task switching)");
  const bool gate32 = gtype == 0x0E || gtype == 0x0F;
  if (!(gate32 || gtype == 0x06 || gtype == 0x07)) fault(GP, idt_ec);
  const bool trap_gate = gtype & 1;
  // SDM Vol.3 6.12.1.1: INT n, INT3 and INTO check the gate's DPL against CPL.
  if (soft && gdpl < s_.cpl) fault(GP, idt_ec);
  if (!gpresent) fault(NP, idt_ec);

  const uint16_t sel = uint16_t(gate >> 16);
  const uint32_t offset = gate32 ? uint32_t((gate & 0xFFFF) | ((gate >> 32) & 0xFFFF0000)) : uint32_t(gate & 0xFFFF);
  if ((sel & 0xFFFC) == 0) fault(GP, ext);
  uint64_t desc;
  if (!read_descriptor(sel, desc)) fault(GP, (sel & 0xFFFC) | ext);
  SegmentCache cs = cache_from_descriptor(sel, desc);
  if (!cs.code()) fault(GP, (sel & 0xFFFC) | ext);
  const uint8_t dpl = uint8_t(cs.dpl());
  if (dpl > s_.cpl) fault(GP, (sel & 0xFFFC) | ext);
  if (!(cs.attr & ar::P)) fault(NP, (sel & 0xFFFC) | ext);
  const bool conforming = cs.attr & ar::CONFORMING;
  const unsigned psize = gate32 ? 4 : 2;
  const uint32_t fl = flags();

  uint8_t new_cpl = s_.cpl;
  SegmentCache new_ss = s_.seg[SS];
  uint64_t new_sp = sp();
  uint64_t ss_desc = 0;
  std::array<uint64_t, 6> frame{};
  unsigned nframe = 0;

  if (!conforming && dpl < s_.cpl) {
    // Inter-privilege: the new stack comes from the TSS (SDM Vol.3 7.2.1, Figure 7-2).
    new_cpl = dpl;
    const InnerStack st = inner_stack(dpl, ext);
    new_ss = st.ss;
    new_sp = st.sp;
    ss_desc = st.desc;
    frame[nframe++] = s_.seg[SS].selector;
    frame[nframe++] = uint32_t(s_.gpr[RSP]);
  }
  frame[nframe++] = fault_rf ? (fl | flag::RF) : fl;
  frame[nframe++] = s_.seg[CS].selector;
  frame[nframe++] = return_ip;
  if (has_ec) frame[nframe++] = ec;

  // Write the frame to the (new) stack before committing any register, so a fault while
  // pushing leaves the state as it was.
  const uint64_t total = uint64_t(nframe) * psize;
  const uint64_t sp_mask = new_ss.big() ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t top = (new_sp - total) & sp_mask;
  const bool expand_down = (new_ss.attr & ar::EXPAND_DOWN) != 0;
  const uint64_t last = top + total - 1;
  const bool limit_bad = expand_down ? (top <= new_ss.limit || last > sp_mask) : (last > new_ss.limit);
  if (limit_bad) fault(SS_, new_cpl != s_.cpl ? (new_ss.selector & 0xFFFC) | ext : ext);
  if (offset > cs.limit) fault(GP, ext);
  {
    const uint8_t saved_cpl = s_.cpl;
    s_.cpl = new_cpl;  // pushes to the inner stack are made at its privilege
    try {
      for (unsigned k = 0; k < nframe; ++k) {
        const uint64_t a = (new_sp - (k + 1) * psize) & sp_mask;
        write_linear(new_ss.base + a, psize, frame[k], false);
      }
    } catch (...) {
      s_.cpl = saved_cpl;
      throw;
    }
    s_.cpl = saved_cpl;
  }
  // The accessed bits of the new CS (and SS) descriptors (SDM Vol.3 3.4.5.1) are written
  // before any register changes too: writing one can fault (#PF on a read-only GDT page
  // with CR0.WP), and that fault must find the state as it was before the delivery. Setting
  // them after CS was loaded left CS at the handler's selector with the old CPL (found by
  // fuzz_cpu_protected).
  if (new_cpl != s_.cpl) write_descriptor_accessed(new_ss.selector, ss_desc);
  write_descriptor_accessed(sel, desc);
  // The caches hold the descriptors as written, accessed (as the far transfers' do): a VM
  // exit saves these access rights and VM entry requires an accessed CS (SDM Vol.3 26.3.1.2).
  cs.attr |= ar::ACCESSED;
  if (new_cpl != s_.cpl) new_ss.attr |= ar::ACCESSED;

  // Commit.
  if (new_cpl != s_.cpl) {
    new_ss.selector = uint16_t((new_ss.selector & 0xFFFC) | new_cpl);
    s_.seg[SS] = new_ss;
  }
  if (new_ss.big()) s_.gpr[RSP] = uint32_t(top);
  else set_reg16(RSP, uint16_t(top));
  cs.selector = uint16_t((sel & 0xFFFC) | new_cpl);
  set_cs(cs);
  s_.rip = offset;
  uint32_t nf = fl & ~(flag::TF | flag::VM | flag::RF | flag::NT);
  if (!trap_gate) nf &= ~flag::IF;
  s_.eflags = nf | flag::FIXED1;
  lf_live_ = false;
  set_cpl(new_cpl);
}

}  // namespace cpu

namespace cpu {

// SDM Vol.3 26.6.1: an event injected by VM entry is delivered as if it had occurred at the
// guest's first instruction boundary, through the guest IDT; faults during its delivery are
// handled as for any event (#DF, triple fault, which in non-root operation may exit).
// The RFLAGS image pushed is the guest's RFLAGS as loaded: VM entry does not set RF for an
// injected fault (the VMM does, in the guest RFLAGS field, when it wants it).
void Cpu::inject_event(uint8_t vector, unsigned type, bool has_ec, uint32_t ec, unsigned insn_len) {
  s_.halted = false;
  switch (type) {
    case 0:  // external interrupt
      deliver_event(vector, InterruptSource::External, false, 0, false, false, 0, 0);
      break;
    case 2:  // NMI (the blocking it causes, SDM 26.6.1.2, is set by vt/)
      deliver_event(NMI, InterruptSource::Nmi, false, 0, false, false, 0, 2);
      break;
    case 3:  // hardware exception (CR2 is not loaded: the VMM sets the guest's CR2)
      deliver_event(vector, InterruptSource::External, has_ec, ec, true, false, 0, 3);
      break;
    default: {  // 4 software interrupt, 5 privileged software exception, 6 software exception
      // The return address is past the instruction that raised it (VM-entry instruction
      // length); INT n, INT3 and INTO check the gate DPL (type 5, INT1, does not).
      const InterruptSource src = type == 4 ? InterruptSource::Software
                                  : type == 6 ? InterruptSource::Int3 : InterruptSource::External;
      deliver_event(vector, src, type == 5 && has_ec, ec, type == 5, false, insn_len, int(type));
      break;
    }
  }
  next_ip_ = s_.rip;
}

}  // namespace cpu
