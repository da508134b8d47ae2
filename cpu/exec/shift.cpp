// cpu/exec/shift.cpp — group 2 (ROL ROR RCL RCR SHL SHR SAL SAR) and SHLD/SHRD.
//
// SDM Vol.2 "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD". The count is masked to
// 5 bits; a masked count of 0 changes no flag and no operand. A memory operand is still
// read with write intent (so a read-only page faults) but not written when the count is 0.
//
// Choices where the SDM leaves things undefined:
//  - OF for counts > 1: the count-1 formula applied to the final result (SHL/SAL and ROL:
//    MSB(result) XOR CF; SHR, ROR, RCR: XOR of the two top bits of the result; RCL:
//    MSB(result) XOR CF; SAR: 0). This is what Bochs does; for count 1 it is the SDM rule.
//  - AF after SHL/SHR/SAR with a non-zero count: cleared.
//  - CF for SHL/SHR with count >= operand width: the SDM loop taken literally (the last bit
//    shifted out, so 0 once only zeros are left; SAR gives the sign bit).
//  - SHLD/SHRD r/m16 with count > 16: the P6-family behaviour measured by Bochs — the
//    48-bit value DEST:SRC:DEST is shifted and the 16 bits that land in DEST are kept; CF is
//    the last bit shifted out of that value; SF/ZF/PF from the result, OF as for count > 1.
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }

enum ShiftOp : unsigned { ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR };

uint32_t szp(uint64_t r, unsigned size) {
  r &= mask_of(size);
  uint32_t f = 0;
  if (r == 0) f |= flag::ZF;
  if ((r >> (size * 8 - 1)) & 1) f |= flag::SF;
  if (!__builtin_parity(unsigned(r & 0xFF))) f |= flag::PF;
  return f;
}

// Top bit and the one below it of a `size`-byte value.
bool msb(uint64_t v, unsigned size) { return (v >> (size * 8 - 1)) & 1; }
bool msb1(uint64_t v, unsigned size) { return (v >> (size * 8 - 2)) & 1; }

// Applies shift/rotate `op` to `v` (size bytes) with masked count `count` (1..31). Sets
// the flags and returns the new value.
uint64_t shift(Cpu& c, unsigned op, unsigned size, uint64_t v, unsigned count) {
  const unsigned bits = size * 8;
  const uint64_t m = mask_of(size);
  v &= m;
  uint64_t r = v;
  bool cf = c.cf(), of;
  uint32_t mask = flag::CF | flag::OF, f = 0;
  switch (op) {
    case ROL: {
      const unsigned n = count % bits;
      r = ((v << n) | (v >> ((bits - n) % bits))) & m;
      cf = r & 1;  // set even when n == 0 (count a multiple of the width)
      of = msb(r, size) ^ cf;
      break;
    }
    case ROR: {
      const unsigned n = count % bits;
      r = ((v >> n) | (v << ((bits - n) % bits))) & m;
      cf = msb(r, size);
      of = msb(r, size) ^ msb1(r, size);
      break;
    }
    case RCL: {
      // Rotate through CF: a (bits+1)-bit rotate; 8- and 16-bit counts are taken mod 9/17.
      const unsigned n = (size == 4) ? count : count % (bits + 1);
      if (n == 0) return v;  // nothing rotates: CF and OF unchanged (masked count != 0)
      const uint64_t wide = v | (uint64_t(cf) << bits);  // bits+1 bits, at most 33
      const uint64_t wm = (1ull << (bits + 1)) - 1;
      const uint64_t rw = ((wide << n) | (wide >> (bits + 1 - n))) & wm;
      r = rw & m;
      cf = (rw >> bits) & 1;
      of = msb(r, size) ^ cf;
      break;
    }
    case RCR: {
      const unsigned n = (size == 4) ? count : count % (bits + 1);
      if (n == 0) return v;
      const uint64_t wide = v | (uint64_t(cf) << bits);
      const uint64_t wm = (1ull << (bits + 1)) - 1;
      const uint64_t rw = ((wide >> n) | (wide << (bits + 1 - n))) & wm;
      r = rw & m;
      cf = (rw >> bits) & 1;
      of = msb(r, size) ^ msb1(r, size);  // count 1: old MSB XOR old CF
      break;
    }
    case SHL:
    case SAL:
      r = (v << count) & m;
      cf = ((v << (count - 1)) >> (bits - 1)) & 1;
      of = msb(r, size) ^ cf;
      mask = flag::ARITH;
      f = szp(r, size);
      break;
    case SHR:
      r = v >> count;
      cf = (v >> (count - 1)) & 1;
      of = msb(r, size) ^ msb1(r, size);  // count 1: MSB of the original operand
      mask = flag::ARITH;
      f = szp(r, size);
      break;
    default: {  // SAR: signed shift, rounding toward negative infinity
      int64_t sv = int64_t(v << (64 - bits)) >> (64 - bits);
      r = uint64_t(sv >> count) & m;
      cf = (sv >> (count - 1)) & 1;
      of = false;
      mask = flag::ARITH;
      f = szp(r, size);
      break;
    }
  }
  if (cf) f |= flag::CF;
  if (of) f |= flag::OF;
  c.set_arith_flags(mask, f);
  return r;
}

}  // namespace

void shift_E(Cpu& c, const Insn& i) {
  // D0/D1: count 1; D2/D3: CL; C0/C1: imm8. Bit 0 of the opcode selects byte or word/dword.
  const unsigned size = wsize(i);
  unsigned count;
  switch (i.op) {
    case 0xD0: case 0xD1: count = 1; break;
    case 0xD2: case 0xD3: count = c.reg8(RCX); break;
    default: count = unsigned(i.imm); break;
  }
  count &= 0x1F;
  const uint64_t v = c.read_rm_rmw(i, size);
  if (count == 0) return;
  c.write_rm(i, size, shift(c, i.reg, size, v, count));
}

namespace {

// SHLD (left = true) / SHRD of `dst` by `count` (1..31) with bits from `src`.
uint64_t double_shift(Cpu& c, bool left, unsigned size, uint64_t dst, uint64_t src, unsigned count) {
  const unsigned bits = size * 8;
  const uint64_t m = mask_of(size);
  dst &= m;
  src &= m;
  uint64_t r;
  bool cf, of;
  if (size == 4 || count <= 16) {
    if (left) {
      // DEST:SRC shifted left; CF = bit (SIZE - COUNT) of DEST.
      const uint64_t cat = (dst << bits) | src;  // at most 64 bits
      r = (cat >> (bits - count)) & m;
      cf = (dst >> (bits - count)) & 1;
    } else {
      // SRC:DEST shifted right; CF = bit (COUNT - 1) of DEST.
      const uint64_t cat = (src << bits) | dst;
      r = (cat >> count) & m;
      cf = (cat >> (count - 1)) & 1;
    }
  } else {
    // 16-bit with count 17..31: shift the 48-bit value DEST:SRC:DEST (see the file comment).
    const uint64_t v48 = (dst << 32) | (src << 16) | dst;
    if (left) {
      r = (v48 >> (32 - count)) & 0xFFFF;
      cf = (v48 >> (48 - count)) & 1;
    } else {
      r = (v48 >> count) & 0xFFFF;
      cf = (v48 >> (count - 1)) & 1;
    }
  }
  // OF: sign change (count 1); the same formula on the result for larger counts.
  if (left) of = msb(r, size) ^ cf;
  else of = msb(r, size) ^ msb1(r, size);
  uint32_t f = szp(r, size);
  if (cf) f |= flag::CF;
  if (of) f |= flag::OF;
  c.set_arith_flags(flag::ARITH, f);  // AF cleared (undefined)
  return r;
}

void shxd(Cpu& c, const Insn& i, bool left) {
  // 0F A4/AC: imm8 count; 0F A5/AD: CL. Count mod 32; 0 changes nothing.
  const unsigned size = i.opsize;
  const unsigned count = unsigned((i.op & 1) ? c.reg8(RCX) : i.imm) & 0x1F;
  const uint64_t dst = c.read_rm_rmw(i, size);
  if (count == 0) return;
  c.write_rm(i, size, double_shift(c, left, size, dst, c.reg(i.reg, size), count));
}

}  // namespace

void shld_E_G(Cpu& c, const Insn& i) { shxd(c, i, true); }
void shrd_E_G(Cpu& c, const Insn& i) { shxd(c, i, false); }

}  // namespace cpu
