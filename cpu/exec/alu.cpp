// cpu/exec/alu.cpp — ADD OR ADC SBB AND SUB XOR CMP, TEST, INC, DEC, NOT, NEG.
//
// Flags follow SDM Vol.2 for each instruction; they are kept lazily (Cpu::set_lazy) and
// computed only when read.
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

// The eight ALU operations in opcode order (bits 5:3 of 00-3F, ModRM.reg of group 1).
enum AluOp : unsigned { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP };

// Computes `a op b`, sets the flags, and returns the result (CMP's result is not stored).
uint64_t alu(Cpu& c, unsigned op, unsigned size, uint64_t a, uint64_t b) {
  const uint64_t m = mask_of(size);
  a &= m;
  b &= m;
  uint64_t r;
  switch (op) {
    case ADD:
      r = (a + b) & m;
      c.set_lazy(Cpu::LazyOp::Add, size, a, b, r);
      break;
    case ADC: {
      const bool cin = c.cf();
      r = (a + b + cin) & m;
      c.set_lazy(cin ? Cpu::LazyOp::Adc : Cpu::LazyOp::Add, size, a, b, r);
      break;
    }
    case SBB: {
      const bool cin = c.cf();
      r = (a - b - cin) & m;
      c.set_lazy(cin ? Cpu::LazyOp::Sbb : Cpu::LazyOp::Sub, size, a, b, r);
      break;
    }
    case SUB:
    case CMP:
      r = (a - b) & m;
      c.set_lazy(Cpu::LazyOp::Sub, size, a, b, r);
      break;
    case OR:
      r = a | b;
      c.set_lazy(Cpu::LazyOp::Logic, size, a, b, r);
      break;
    case AND:
      r = a & b;
      c.set_lazy(Cpu::LazyOp::Logic, size, a, b, r);
      break;
    default:  // XOR
      r = a ^ b;
      c.set_lazy(Cpu::LazyOp::Logic, size, a, b, r);
      break;
  }
  return r;
}

// r/m op= value: read-modify-write unless the operation is CMP.
void alu_rm(Cpu& c, const Insn& i, unsigned op, unsigned size, uint64_t value) {
  if (op == CMP) {
    alu(c, op, size, c.read_rm(i, size), value);
    return;
  }
  const uint64_t a = c.read_rm_rmw(i, size);
  c.write_rm(i, size, alu(c, op, size, a, value));
}

}  // namespace

void alu_E_G(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  alu_rm(c, i, (i.op >> 3) & 7, size, c.reg(i.reg, size));
}

void alu_G_E(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const unsigned op = (i.op >> 3) & 7;
  const uint64_t r = alu(c, op, size, c.reg(i.reg, size), c.read_rm(i, size));
  if (op != CMP) c.set_reg(i.reg, size, r);
}

void alu_A_I(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const unsigned op = (i.op >> 3) & 7;
  const uint64_t r = alu(c, op, size, c.reg(RAX, size), i.imm);
  if (op != CMP) c.set_reg(RAX, size, r);
}

void grp1_E_I(Cpu& c, const Insn& i) {
  // 80 and 82: Eb,Ib; 81: Ev,Iz; 83: Ev,Ib sign-extended (the decoder extended it).
  const unsigned size = (i.op == 0x80 || i.op == 0x82) ? 1 : i.opsize;
  alu_rm(c, i, i.reg, size, i.imm);
}

void test_E_G(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm(i, size), b = c.reg(i.reg, size);
  c.set_lazy(Cpu::LazyOp::Logic, size, a, b, a & b);
}

void test_A_I(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.reg(RAX, size), b = i.imm & mask_of(size);
  c.set_lazy(Cpu::LazyOp::Logic, size, a, b, a & b);
}

void test_E_I(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm(i, size), b = i.imm & mask_of(size);
  c.set_lazy(Cpu::LazyOp::Logic, size, a, b, a & b);
}

void inc_r(Cpu& c, const Insn& i) {
  const unsigned size = i.opsize, r = i.op & 7;
  const uint64_t a = c.reg(r, size), res = (a + 1) & mask_of(size);
  c.set_lazy(Cpu::LazyOp::Inc, size, a, 1, res);
  c.set_reg(r, size, res);
}

void dec_r(Cpu& c, const Insn& i) {
  const unsigned size = i.opsize, r = i.op & 7;
  const uint64_t a = c.reg(r, size), res = (a - 1) & mask_of(size);
  c.set_lazy(Cpu::LazyOp::Dec, size, a, 1, res);
  c.set_reg(r, size, res);
}

void inc_E(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm_rmw(i, size), res = (a + 1) & mask_of(size);
  c.write_rm(i, size, res);
  c.set_lazy(Cpu::LazyOp::Inc, size, a, 1, res);
}

void dec_E(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm_rmw(i, size), res = (a - 1) & mask_of(size);
  c.write_rm(i, size, res);
  c.set_lazy(Cpu::LazyOp::Dec, size, a, 1, res);
}

void not_E(Cpu& c, const Insn& i) {
  // NOT affects no flags (SDM Vol.2 NOT).
  const unsigned size = wsize(i);
  c.write_rm(i, size, ~c.read_rm_rmw(i, size) & mask_of(size));
}

void neg_E(Cpu& c, const Insn& i) {
  // NEG: CF = (source != 0); OF, SF, ZF, AF, PF from the result, as 0 - source.
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm_rmw(i, size), res = (0 - a) & mask_of(size);
  c.write_rm(i, size, res);
  c.set_lazy(Cpu::LazyOp::Neg, size, 0, a, res);
}

}  // namespace cpu
