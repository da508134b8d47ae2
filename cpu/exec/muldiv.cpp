// cpu/exec/muldiv.cpp — MUL, IMUL (one, two and three operands), DIV, IDIV.
//
// SDM Vol.2 "MUL", "IMUL", "DIV", "IDIV". The 8-bit forms use AX (AL * src → AX;
// AX / src → AL quotient, AH remainder); the wider forms use DX:AX or EDX:EAX.
//
// Flags. MUL/IMUL define only CF and OF (CF = OF = 1 when the result does not fit in the
// destination size). SF, ZF, AF and PF are undefined; this CPU sets SF, ZF and PF from the
// low half of the result (the part written to AL/AX/EAX or to the destination register)
// and clears AF, so the outcome is deterministic. DIV/IDIV leave every flag unchanged
// (all six are undefined).
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

int64_t sign_extend(uint64_t v, unsigned size) {
  switch (size) {
    case 1: return int8_t(v);
    case 2: return int16_t(v);
    case 4: return int32_t(v);
    default: return int64_t(v);
  }
}

uint32_t parity_flag(uint64_t v) { return __builtin_parity(unsigned(v & 0xFF)) ? 0 : flag::PF; }

// CF = OF = `overflow`; SF, ZF, PF from `low` (size bytes); AF = 0.
void set_mul_flags(Cpu& c, unsigned size, uint64_t low, bool overflow) {
  low &= mask_of(size);
  uint32_t f = overflow ? (flag::CF | flag::OF) : 0;
  if (low == 0) f |= flag::ZF;
  if (low >> (size * 8 - 1)) f |= flag::SF;
  f |= parity_flag(low);
  c.set_arith_flags(flag::ARITH, f);
}

// Writes a double-width product: AX for bytes, DX:AX or EDX:EAX otherwise.
void write_wide(Cpu& c, unsigned size, uint64_t product) {
  if (size == 1) {
    c.set_reg16(RAX, uint16_t(product));
  } else {
    c.set_reg(RAX, size, product & mask_of(size));
    c.set_reg(RDX, size, (product >> (size * 8)) & mask_of(size));
  }
}

// The double-width dividend: AX for bytes, DX:AX or EDX:EAX otherwise.
uint64_t read_wide(Cpu& c, unsigned size) {
  if (size == 1) return c.reg16(RAX);
  return (c.reg(RDX, size) << (size * 8)) | c.reg(RAX, size);
}

void write_quotient(Cpu& c, unsigned size, uint64_t q, uint64_t r) {
  if (size == 1) {
    c.set_reg8(0, uint8_t(q));  // AL
    c.set_reg8(4, uint8_t(r));  // AH
  } else {
    c.set_reg(RAX, size, q & mask_of(size));
    c.set_reg(RDX, size, r & mask_of(size));
  }
}

}  // namespace

void mul_E(Cpu& c, const Insn& i) {
  // Unsigned: the sizes are at most 32 bits, so the product fits in 64.
  const unsigned size = wsize(i);
  const uint64_t src = c.read_rm(i, size);
  const uint64_t product = c.reg(RAX, size) * src;
  write_wide(c, size, product);
  set_mul_flags(c, size, product, (product >> (size * 8)) != 0);
}

void imul_E(Cpu& c, const Insn& i) {
  // SDM IMUL one-operand form: CF = OF = 0 when the product equals the sign extension of
  // its low half.
  const unsigned size = wsize(i);
  const int64_t src = sign_extend(c.read_rm(i, size), size);
  const int64_t product = sign_extend(c.reg(RAX, size), size) * src;
  write_wide(c, size, uint64_t(product));
  set_mul_flags(c, size, uint64_t(product), sign_extend(uint64_t(product), size) != product);
}

namespace {
// Two- and three-operand IMUL: DEST = truncated product; CF = OF = truncation lost bits.
void imul_trunc(Cpu& c, const Insn& i, uint64_t a, uint64_t b) {
  const unsigned size = i.opsize;
  const int64_t product = sign_extend(a, size) * sign_extend(b, size);
  c.set_reg(i.reg, size, uint64_t(product) & mask_of(size));
  set_mul_flags(c, size, uint64_t(product), sign_extend(uint64_t(product), size) != product);
}
}  // namespace

void imul_G_E(Cpu& c, const Insn& i) { imul_trunc(c, i, c.reg(i.reg, i.opsize), c.read_rm(i, i.opsize)); }

void imul_G_E_I(Cpu& c, const Insn& i) {
  // 69: Iz (zero-extended by the decoder; sign-extended here by operand size);
  // 6B: Ib already sign-extended.
  imul_trunc(c, i, c.read_rm(i, i.opsize), i.imm);
}

void div_E(Cpu& c, const Insn& i) {
  // SDM DIV: #DE when the divisor is 0 or the quotient does not fit in the destination.
  const unsigned size = wsize(i);
  const uint64_t divisor = c.read_rm(i, size);
  if (divisor == 0) c.fault(DE);
  const uint64_t dividend = read_wide(c, size);
  const uint64_t q = dividend / divisor, r = dividend % divisor;
  if (q > mask_of(size)) c.fault(DE);
  write_quotient(c, size, q, r);
}

void idiv_E(Cpu& c, const Insn& i) {
  // SDM IDIV: #DE on a zero divisor or a quotient outside the signed destination range
  // (this includes INT_MIN / -1 for every size). The remainder takes the dividend's sign,
  // as C++ `%` does (truncating division).
  const unsigned size = wsize(i);
  const int64_t divisor = sign_extend(c.read_rm(i, size), size);
  if (divisor == 0) c.fault(DE);
  const int64_t dividend = sign_extend(read_wide(c, size), size * 2);
  // INT64_MIN / -1 would overflow in C++: its quotient is out of range for any size anyway.
  if (divisor == -1 && dividend == INT64_MIN) c.fault(DE);
  const int64_t q = dividend / divisor, r = dividend % divisor;
  if (q != sign_extend(uint64_t(q), size)) c.fault(DE);
  write_quotient(c, size, uint64_t(q), uint64_t(r));
}

}  // namespace cpu
