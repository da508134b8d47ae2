// cpu/exec/bits.cpp — BT/BTS/BTR/BTC, BSF/BSR, BSWAP, SETcc, CMOVcc.
//
// Choices where the SDM leaves things undefined:
//  - BT/BTS/BTR/BTC: only CF changes; OF, SF, AF and PF (undefined) keep their values.
//  - BSF/BSR: only ZF changes; CF, OF, SF, AF, PF (undefined) keep their values. With a
//    zero source the destination is left unchanged, as Intel hardware does.
//  - BSWAP r16: the low 16 bits of the register become 0 (what Intel processors do); the
//    upper half is unchanged.
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

enum BitOp : unsigned { BT, BTS, BTR, BTC };

// Applies the bit operation to `v` at bit `bit`; sets CF to the old bit; returns the new
// value.
uint64_t bit_op(Cpu& c, unsigned op, uint64_t v, unsigned bit) {
  const uint64_t b = 1ull << bit;
  c.set_arith_flags(flag::CF, (v & b) ? flag::CF : 0);
  switch (op) {
    case BTS: return v | b;
    case BTR: return v & ~b;
    case BTC: return v ^ b;
    default: return v;
  }
}

// The operation on r/m at bit offset `offset` (already reduced for the immediate form).
// For a memory operand with a register offset, the offset is signed and may reach outside
// the operand: SDM Vol.2 "BT": the operand accessed is at
// EA + (OperandSize/8) * (BitOffset DIV OperandSize bits), rounding toward -infinity.
void bit_rm(Cpu& c, const Insn& i, unsigned op, int64_t offset) {
  const unsigned size = i.opsize, bits = size * 8;
  const unsigned bit = unsigned(offset & (bits - 1));
  if (i.mod == 3) {
    const uint64_t v = c.reg(i.rm, size);
    const uint64_t r = bit_op(c, op, v, bit);
    if (op != BT) c.set_reg(i.rm, size, r);
    return;
  }
  const int64_t units = offset >> (size == 2 ? 4 : 5);  // arithmetic shift: floor
  const uint64_t amask = i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  const uint64_t addr = (c.ea(i) + uint64_t(units * int64_t(size))) & amask;
  if (op == BT) {
    bit_op(c, op, c.read_sized(i.seg, addr, size), bit);
    return;
  }
  const uint64_t v = c.read_sized_rmw(i.seg, addr, size);
  const uint64_t r = bit_op(c, op, v, bit);
  c.write_sized(i.seg, addr, size, r);
}

int64_t sign_extend(uint64_t v, unsigned size) { return size == 2 ? int16_t(v) : int32_t(v); }

}  // namespace

void bt_E_G(Cpu& c, const Insn& i) {
  // 0F A3 BT, AB BTS, B3 BTR, BB BTC: bits 4:3 of the opcode select the operation.
  const unsigned op = (i.op >> 3) & 3;
  bit_rm(c, i, op, sign_extend(c.reg(i.reg, i.opsize), i.opsize));
}

void bt_E_I(Cpu& c, const Insn& i) {
  // 0F BA /4-/7: the immediate is taken modulo the operand width (it never leaves the
  // operand).
  const unsigned bits = i.opsize * 8;
  bit_rm(c, i, i.reg - 4, int64_t(i.imm & (bits - 1)));
}

void bsf_G_E(Cpu& c, const Insn& i) {
  const uint64_t v = c.read_rm(i, i.opsize);
  if (v == 0) {
    c.set_arith_flags(flag::ZF, flag::ZF);
    return;
  }
  c.set_arith_flags(flag::ZF, 0);
  c.set_reg(i.reg, i.opsize, uint64_t(__builtin_ctzll(v)));
}

void bsr_G_E(Cpu& c, const Insn& i) {
  const uint64_t v = c.read_rm(i, i.opsize);
  if (v == 0) {
    c.set_arith_flags(flag::ZF, flag::ZF);
    return;
  }
  c.set_arith_flags(flag::ZF, 0);
  c.set_reg(i.reg, i.opsize, uint64_t(63 - __builtin_clzll(v)));
}

void bswap_r(Cpu& c, const Insn& i) {
  const unsigned r = i.op & 7;
  if (i.opsize == 2) {
    c.set_reg16(r, 0);  // undefined in the SDM; see the file comment
    return;
  }
  c.set_reg32(r, __builtin_bswap32(c.reg32(r)));
}

void setcc_E(Cpu& c, const Insn& i) { c.write_rm(i, 1, c.condition(i.op & 0xF) ? 1 : 0); }

void cmovcc_G_E(Cpu& c, const Insn& i) {
  // SDM Vol.2 CMOVcc: the source is read whatever the condition (a memory source may fault
  // even when nothing moves). With a false condition the destination is unchanged here
  // (legacy/compatibility mode; in 64-bit mode a 32-bit CMOV would zero the upper half).
  const uint64_t v = c.read_rm(i, i.opsize);
  if (c.condition(i.op & 0xF)) c.set_reg(i.reg, i.opsize, v & mask_of(i.opsize));
}

}  // namespace cpu
