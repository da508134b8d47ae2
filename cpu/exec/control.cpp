// cpu/exec/control.cpp — Jcc, JMP, CALL, RET (near and far), LOOPcc, JCXZ, INT n, INT3,
// INTO, INT1, IRET, BOUND. Far transfers and IRET are in Cpu (mmu/transfer.cpp).
#include "cpu/exec/handlers.h"
#include "cpu/exec/sensitive.h"

namespace cpu {

void jcc_J(Cpu& c, const Insn& i) {
  if (c.condition(i.op & 0xF)) c.jump_near(c.next_ip() + i.imm, i.opsize);
}

void jmp_J(Cpu& c, const Insn& i) { c.jump_near(c.next_ip() + i.imm, i.opsize); }

void call_J(Cpu& c, const Insn& i) {
  const uint64_t target = c.next_ip() + i.imm;
  // Check the target before pushing so a #GP leaves the stack untouched.
  const uint64_t t = i.opsize == 2 ? (target & 0xFFFF) : (target & 0xFFFFFFFF);
  if (t > c.state().seg[CS].limit) c.fault(GP, 0);
  c.push(i.opsize, c.next_ip());
  c.set_next_ip(t);
}

void ret_near(Cpu& c, const Insn& i) {
  const uint64_t target = c.peek(i.opsize);
  const uint64_t t = i.opsize == 2 ? (target & 0xFFFF) : (target & 0xFFFFFFFF);
  if (t > c.state().seg[CS].limit) c.fault(GP, 0);
  c.set_sp(c.sp() + i.opsize + ((i.op == 0xC2) ? (i.imm & 0xFFFF) : 0));
  c.set_next_ip(t);
}

void jmp_E(Cpu& c, const Insn& i) { c.jump_near(c.read_rm(i, i.opsize), i.opsize); }

void call_E(Cpu& c, const Insn& i) {
  uint64_t t = c.read_rm(i, i.opsize);
  if (t > c.state().seg[CS].limit) c.fault(GP, 0);
  c.push(i.opsize, c.next_ip());
  c.set_next_ip(t);
}

// Popek–Goldberg (vt/sensitive.h): a far RET or IRET at CPL > 0 that stays at that CPL
// (RPL = CPL) is a same-privilege return; a ring-0 kernel returning to the same selector
// would make an outer-privilege return and also pop SS:ESP.
namespace {
std::string same_level_return_text(const Cpu& c) {
  std::string d = "same-privilege return at CPL " + std::to_string(c.state().cpl);
  d += " (ring 0 would also pop SS:ESP)";
  return d;
}
}  // namespace

void ret_far(Cpu& c, const Insn& i) {
  const bool deprivileged = c.deprivileged();
  if (deprivileged && c.virtualizable()) c.sensitive_trap(Sensitive::RetFar);
  const uint8_t cpl = c.state().cpl;
  c.far_return(i.opsize, (i.op == 0xCA) ? uint16_t(i.imm) : 0);
  if (deprivileged && c.state().cpl == cpl)
    c.sensitive_silent(Sensitive::RetFar, [&] { return same_level_return_text(c); });
}

void jmp_far_A(Cpu& c, const Insn& i) { c.far_jump(uint16_t(i.imm2), i.imm, i.opsize); }

void call_far_A(Cpu& c, const Insn& i) { c.far_call(uint16_t(i.imm2), i.imm, i.opsize); }

void jmp_far_M(Cpu& c, const Insn& i) {
  const uint64_t a = c.ea(i);
  const uint64_t off = c.read_sized(i.seg, a, i.opsize);
  const uint16_t sel = uint16_t(c.read_sized(i.seg, (a + i.opsize) & (i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF), 2));
  c.far_jump(sel, off, i.opsize);
}

void call_far_M(Cpu& c, const Insn& i) {
  const uint64_t a = c.ea(i);
  const uint64_t off = c.read_sized(i.seg, a, i.opsize);
  const uint16_t sel = uint16_t(c.read_sized(i.seg, (a + i.opsize) & (i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF), 2));
  c.far_call(sel, off, i.opsize);
}

void loop_J(Cpu& c, const Insn& i) {
  // E0 LOOPNE, E1 LOOPE, E2 LOOP; the counter is CX or ECX by address size. No flags change.
  // The branch's #GP(0) (target beyond the CS limit) is a fault, so the count is committed
  // only after the jump succeeds (SDM Vol.3 6.5: a fault leaves the state as before).
  const uint64_t count = (c.reg(RCX, i.adsize) - 1) & (i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF);
  bool take = count != 0;
  if (i.op == 0xE0) take = take && !c.zf();
  if (i.op == 0xE1) take = take && c.zf();
  if (take) c.jump_near(c.next_ip() + i.imm, i.opsize);
  c.set_reg(RCX, i.adsize, count);
}

void jcxz_J(Cpu& c, const Insn& i) {
  if (c.reg(RCX, i.adsize) == 0) c.jump_near(c.next_ip() + i.imm, i.opsize);
}

void int_I(Cpu& c, const Insn& i) {
  if (c.mode() == Mode::Virtual8086) c.not_implemented("INT n in virtual-8086 mode");
  c.software_interrupt(uint8_t(i.imm), InterruptSource::Software);
}

void int3(Cpu& c, const Insn&) { c.software_interrupt(BP, InterruptSource::Int3); }

void into(Cpu& c, const Insn&) {
  if (c.of()) c.software_interrupt(OF, InterruptSource::Into);
}

void int1(Cpu& c, const Insn&) {
  // INT1/ICEBP: a #DB trap delivered like a hardware exception (no gate DPL check).
  c.software_interrupt(DB, InterruptSource::External);
}

void iret_(Cpu& c, const Insn& i) {
  if (!c.deprivileged()) {
    c.iret(i.opsize);
    return;
  }
  // Popek–Goldberg (vt/sensitive.h): IF/IOPL changes dropped as by POPF, and the
  // same-privilege return of far RET. The EFLAGS image is read first (a fault there is
  // the one IRET itself would raise).
  if (c.virtualizable()) c.sensitive_trap(Sensitive::Iret);
  const uint8_t cpl = c.state().cpl;
  const uint32_t img = uint32_t(c.peek(i.opsize, 2ull * i.opsize));
  c.iret(i.opsize);
  const uint32_t dropped = (c.flags() ^ img) & (flag::IF | flag::IOPL);
  const bool same_level = c.state().cpl == cpl;
  if (!dropped && !same_level) return;
  c.sensitive_silent(Sensitive::Iret, [&] {
    if (!dropped) return same_level_return_text(c);
    std::string d = dropped_flags_text(dropped);
    if (same_level) d += "; " + same_level_return_text(c);
    return d;
  });
}

void bound_G_M(Cpu& c, const Insn& i) {
  // SDM Vol.2 BOUND: signed compare of the index register with the two bounds in memory.
  const uint64_t a = c.ea(i);
  const uint64_t m = i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  if (i.opsize == 2) {
    const int16_t idx = int16_t(c.reg16(i.reg));
    const int16_t lo = int16_t(c.read<uint16_t>(i.seg, a));
    const int16_t hi = int16_t(c.read<uint16_t>(i.seg, (a + 2) & m));
    if (idx < lo || idx > hi) c.fault(BR);
  } else {
    const int32_t idx = int32_t(c.reg32(i.reg));
    const int32_t lo = int32_t(c.read<uint32_t>(i.seg, a));
    const int32_t hi = int32_t(c.read<uint32_t>(i.seg, (a + 4) & m));
    if (idx < lo || idx > hi) c.fault(BR);
  }
}

}  // namespace cpu
