// cpu/exec/stack.cpp — PUSH, POP (all forms), PUSHA/POPA, PUSHF/POPF, ENTER, LEAVE.
//
// Every handler reads or writes the stack before it commits any register, so a fault
// (#SS, #PF) leaves the state as it was and the instruction restartable.
//
// Choices:
//  - PUSH Sreg with a 32-bit operand size moves ESP by 4 but writes only the low 2 bytes,
//    as recent Intel processors do (SDM Vol.2 PUSH: "the processor may write only 2 bytes").
//  - PUSHF/POPF in virtual-8086 mode are not implemented (IOPL-sensitive, VME); they stop
//    the run with a NotImplemented report.
//  - Popek–Goldberg (vt/sensitive.h): PUSH CS/SS, PUSHF and POPF at CPL > 0 report a
//    SensitiveInstruction event, or trap with #GP(0) on the --virtualizable machine.
#include "cpu/exec/handlers.h"
#include "cpu/exec/sensitive.h"

namespace cpu {

namespace {

constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

uint64_t stack_mask(const Cpu& c) { return c.stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull; }

// Segment register of PUSH/POP Sreg opcodes.
unsigned sreg_of(uint16_t op) {
  switch (op) {
    case 0x06: case 0x07: return ES;
    case 0x0E: return CS;
    case 0x16: case 0x17: return SS;
    case 0x1E: case 0x1F: return DS;
    case kMap0F | 0xA0: case kMap0F | 0xA1: return FS;
    default: return GS;  // 0F A8 / 0F A9
  }
}

}  // namespace

void push_r(Cpu& c, const Insn& i) {
  // PUSH ESP pushes the value ESP had before the instruction (SDM Vol.2 PUSH).
  c.push(i.opsize, c.reg(i.op & 7, i.opsize));
}

void pop_r(Cpu& c, const Insn& i) {
  // POP ESP: ESP is incremented first, then the popped value is written to it, so ESP ends
  // up holding the popped value (SDM Vol.2 POP).
  const uint64_t v = c.pop(i.opsize);
  c.set_reg(i.op & 7, i.opsize, v);
}

void push_I(Cpu& c, const Insn& i) { c.push(i.opsize, i.imm & mask_of(i.opsize)); }

void push_E(Cpu& c, const Insn& i) {
  // The effective address uses ESP as it was before the push.
  c.push(i.opsize, c.read_rm(i, i.opsize));
}

void pop_E(Cpu& c, const Insn& i) {
  // SDM Vol.2 POP: "If the ESP register is used as a base register for addressing a
  // destination operand in memory, the POP instruction computes the effective address of
  // the operand after it increments the ESP register." A fault on the store restores ESP.
  const uint64_t v = c.peek(i.opsize);
  const uint64_t old_rsp = c.state().gpr[RSP];
  c.set_sp(c.sp() + i.opsize);
  try {
    c.write_rm(i, i.opsize, v);
  } catch (...) {
    c.state().gpr[RSP] = old_rsp;
    throw;
  }
}

void push_S(Cpu& c, const Insn& i) {
  const unsigned sg = sreg_of(i.op);
  // PUSH CS / PUSH SS at CPL > 0: the selector's RPL is the CPL (vt/sensitive.h).
  const bool reveals_cpl = (sg == CS || sg == SS) && c.deprivileged();
  if (reveals_cpl && c.virtualizable()) c.sensitive_trap(Sensitive::PushSreg);
  const uint16_t sel = c.state().seg[sg].selector;
  const uint64_t nsp = (c.sp() - i.opsize) & stack_mask(c);
  c.write_sized(SS, nsp, 2, sel);  // see the file comment: 2 bytes even for a 32-bit push
  c.set_sp(nsp);
  if (reveals_cpl) {
    c.sensitive_silent(Sensitive::PushSreg, [&] {
      std::string d = "revealed CPL " + std::to_string(c.state().cpl) + " (";
      d += sg == CS ? "CS " : "SS ";
      d += detail_hex(sel, 4) + ")";
      return d;
    });
  }
}

void pop_S(Cpu& c, const Insn& i) {
  // POP CS does not exist (0F is the escape byte). POP SS blocks interrupts for one
  // instruction (SDM Vol.3 6.8.3), set here once the load succeeded. The segment is loaded before ESP moves so a
  // fault in the load leaves ESP unchanged; the increment uses the stack size in force when
  // the instruction started (POP SS may change SS.B).
  const unsigned seg = sreg_of(i.op);
  const bool big = c.stack_size() == 4;
  const uint64_t nsp = c.sp() + i.opsize;
  const uint16_t sel = uint16_t(c.peek(i.opsize));
  c.load_seg(seg, sel);
  if (seg == SS) c.set_stack_switch_shadow();
  if (big) c.set_reg32(RSP, uint32_t(nsp));
  else c.set_reg16(RSP, uint16_t(nsp));
}

void pusha(Cpu& c, const Insn& i) {
  // SDM Vol.2 PUSHA/PUSHAD: EAX ECX EDX EBX (original ESP) EBP ESI EDI. All stores happen
  // before ESP changes.
  const unsigned size = i.opsize;
  const uint64_t m = stack_mask(c), sp = c.sp();
  for (unsigned r = 0; r < 8; ++r) c.write_sized(SS, (sp - (r + 1) * size) & m, size, c.reg(r, size));
  c.set_sp((sp - 8 * size) & m);
}

void popa(Cpu& c, const Insn& i) {
  // SDM Vol.2 POPA/POPAD: EDI ESI EBP (skip ESP) EBX EDX ECX EAX. All loads happen first.
  const unsigned size = i.opsize;
  uint64_t v[8];
  for (unsigned k = 0; k < 8; ++k) v[k] = c.peek(size, k * size);  // v[0] = EDI ... v[7] = EAX
  for (unsigned k = 0; k < 8; ++k) {
    const unsigned r = 7 - k;
    if (r != RSP) c.set_reg(r, size, v[k]);
  }
  c.set_sp((c.sp() + 8 * size) & stack_mask(c));
}

void pushf(Cpu& c, const Insn& i) {
  // SDM Vol.2 PUSHF: the image has VM and RF cleared.
  if (c.mode() == Mode::Virtual8086) c.not_implemented("PUSHF in virtual-8086 mode");
  const bool deprivileged = c.deprivileged();
  if (deprivileged && c.virtualizable()) c.sensitive_trap(Sensitive::Pushf);
  const uint32_t f = c.flags();
  c.push(i.opsize, f & ~(flag::VM | flag::RF) & mask_of(i.opsize));
  if (deprivileged) {
    c.sensitive_silent(Sensitive::Pushf, [&] {
      std::string d = "revealed IF=";
      d += (f & flag::IF) ? "1" : "0";
      d += " IOPL=" + std::to_string((f & flag::IOPL) >> 12);
      return d;
    });
  }
}

void popf(Cpu& c, const Insn& i) {
  // SDM Vol.2 POPF "Operation". VM, VIP and VIF are never changed; RF is cleared by the
  // 32-bit form. IOPL changes only at CPL 0; IF only when CPL <= IOPL — otherwise it is
  // left alone silently, without a fault (a sensitive but unprivileged instruction: the
  // Popek-Goldberg lab relies on this). Real mode behaves as CPL 0.
  if (c.mode() == Mode::Virtual8086) c.not_implemented("POPF in virtual-8086 mode");
  if (c.virtualizable() && c.deprivileged()) c.sensitive_trap(Sensitive::Popf);
  const uint32_t popped = uint32_t(c.peek(i.opsize));
  const uint32_t old = c.flags();
  const unsigned cpl = c.mode() == Mode::Real ? 0 : c.state().cpl;
  const unsigned iopl = (old & flag::IOPL) >> 12;
  uint32_t changeable = flag::ARITH | flag::TF | flag::IF | flag::DF | flag::IOPL | flag::NT |
                        flag::AC | flag::ID;
  if (cpl > 0) changeable &= ~flag::IOPL;
  if (cpl > iopl) changeable &= ~flag::IF;
  if (i.opsize == 2) changeable &= 0xFFFF;
  uint32_t nf = (old & ~changeable) | (popped & changeable);
  if (i.opsize == 4) nf &= ~flag::RF;
  c.set_sp((c.sp() + i.opsize) & stack_mask(c));
  c.set_flags(nf);
  // Popek–Goldberg (vt/sensitive.h): an IF or IOPL change the CPL made POPF drop.
  if (const uint32_t dropped = (nf ^ popped) & (flag::IF | flag::IOPL) & mask_of(i.opsize); dropped)
    c.sensitive_silent(Sensitive::Popf, [&] { return dropped_flags_text(dropped); });
}

void enter(Cpu& c, const Insn& i) {
  // SDM Vol.2 ENTER "Operation" for 16/32-bit operand and stack sizes. Everything is
  // computed in temporaries and the registers are committed at the end.
  const unsigned size = i.opsize;
  const uint64_t m = stack_mask(c);
  const uint16_t alloc = uint16_t(i.imm);
  const unsigned level = unsigned(i.imm2) % 32;
  uint64_t sp = c.sp();
  auto push_tmp = [&](uint64_t v) {
    sp = (sp - size) & m;
    c.write_sized(SS, sp, size, v);
  };
  push_tmp(c.reg(RBP, size));
  // FrameTemp: ESP for a 32-bit operand size (all 32 bits, even on a 16-bit stack), SP
  // for a 16-bit one.
  const uint64_t frame_temp = size == 4 ? ((c.state().gpr[RSP] & ~m) | sp) & 0xFFFFFFFF : sp;
  if (level > 0) {
    // The frame pointer walked here is EBP or BP by stack size.
    uint64_t bp = c.reg(RBP, c.stack_size());
    for (unsigned k = 1; k < level; ++k) {
      bp = (bp - size) & m;
      push_tmp(c.read_sized(SS, bp, size));
    }
    push_tmp(frame_temp);
  }
  c.set_reg(RBP, size, frame_temp & mask_of(size));
  c.set_sp((sp - alloc) & m);
}

void leave(Cpu& c, const Insn& i) {
  // SDM Vol.2 LEAVE: ESP <- EBP (SP <- BP on a 16-bit stack), then EBP <- Pop().
  const uint64_t m = stack_mask(c);
  const uint64_t sp = c.reg(RBP, c.stack_size()) & m;
  const uint64_t v = c.read_sized(SS, sp, i.opsize);
  c.set_sp((sp + i.opsize) & m);
  c.set_reg(RBP, i.opsize, v);
}

}  // namespace cpu
