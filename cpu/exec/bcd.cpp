// cpu/exec/bcd.cpp — DAA, DAS, AAA, AAS, AAM, AAD, SALC.
//
// The "Operation" pseudocode of SDM Vol.2 for each instruction, step by step. Flags the
// SDM leaves undefined are set deterministically:
//  - DAA, DAS: OF = 0.
//  - AAA, AAS: OF = 0; SF, ZF, PF from the final AL.
//  - AAM, AAD: OF = AF = CF = 0.
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

uint32_t szp8(uint8_t v) {
  uint32_t f = 0;
  if (v == 0) f |= flag::ZF;
  if (v & 0x80) f |= flag::SF;
  if (!__builtin_parity(v)) f |= flag::PF;
  return f;
}

uint8_t al(Cpu& c) { return c.reg8(0); }
uint8_t ah(Cpu& c) { return c.reg8(4); }

}  // namespace

void daa(Cpu& c, const Insn&) {
  // SDM Vol.2 DAA.
  const uint8_t old_al = al(c);
  const bool old_cf = c.cf();
  uint8_t a = old_al;
  bool cf = false, af;
  if ((a & 0x0F) > 9 || c.af()) {
    cf = old_cf || a > 0xFF - 6;  // carry from AL + 6
    a = uint8_t(a + 6);
    af = true;
  } else {
    af = false;
  }
  if (old_al > 0x99 || old_cf) {
    a = uint8_t(a + 0x60);
    cf = true;
  } else {
    cf = false;
  }
  c.set_reg8(0, a);
  c.set_arith_flags(flag::ARITH, szp8(a) | (cf ? flag::CF : 0) | (af ? flag::AF : 0));
}

void das(Cpu& c, const Insn&) {
  // SDM Vol.2 DAS. Unlike DAA the second step has no ELSE: CF may stay set from the
  // borrow of the first step.
  const uint8_t old_al = al(c);
  const bool old_cf = c.cf();
  uint8_t a = old_al;
  bool cf = false, af;
  if ((a & 0x0F) > 9 || c.af()) {
    cf = old_cf || a < 6;  // borrow from AL - 6
    a = uint8_t(a - 6);
    af = true;
  } else {
    af = false;
  }
  if (old_al > 0x99 || old_cf) {
    a = uint8_t(a - 0x60);
    cf = true;
  }
  c.set_reg8(0, a);
  c.set_arith_flags(flag::ARITH, szp8(a) | (cf ? flag::CF : 0) | (af ? flag::AF : 0));
}

void aaa(Cpu& c, const Insn&) {
  // SDM Vol.2 AAA: AX <- AX + 106H when adjusting (the carry out of AL reaches AH).
  uint16_t ax = c.reg16(RAX);
  bool adjust = (ax & 0x0F) > 9 || c.af();
  if (adjust) ax = uint16_t(ax + 0x106);
  ax &= 0xFF0F;  // AL <- AL AND 0FH
  c.set_reg16(RAX, ax);
  c.set_arith_flags(flag::ARITH, szp8(uint8_t(ax)) | (adjust ? flag::CF | flag::AF : 0));
}

void aas(Cpu& c, const Insn&) {
  // SDM Vol.2 AAS: AX <- AX - 6; AH <- AH - 1 when adjusting.
  uint16_t ax = c.reg16(RAX);
  bool adjust = (ax & 0x0F) > 9 || c.af();
  if (adjust) {
    ax = uint16_t(ax - 6);
    ax = uint16_t(ax - 0x100);
  }
  ax &= 0xFF0F;
  c.set_reg16(RAX, ax);
  c.set_arith_flags(flag::ARITH, szp8(uint8_t(ax)) | (adjust ? flag::CF | flag::AF : 0));
}

void aam(Cpu& c, const Insn& i) {
  // SDM Vol.2 AAM: AH <- AL / imm8; AL <- AL MOD imm8; #DE when imm8 = 0.
  const uint8_t base = uint8_t(i.imm);
  if (base == 0) c.fault(DE);
  const uint8_t a = al(c);
  c.set_reg8(4, uint8_t(a / base));
  c.set_reg8(0, uint8_t(a % base));
  c.set_arith_flags(flag::ARITH, szp8(uint8_t(a % base)));
}

void aad(Cpu& c, const Insn& i) {
  // SDM Vol.2 AAD: AL <- (AL + AH * imm8) AND FFH; AH <- 0.
  const uint8_t a = uint8_t(al(c) + ah(c) * uint8_t(i.imm));
  c.set_reg16(RAX, a);
  c.set_arith_flags(flag::ARITH, szp8(a));
}

void salc(Cpu& c, const Insn&) {
  // D6, undocumented in the SDM opcode tables as "SALC": AL <- CF ? FFH : 00H; no flags.
  c.set_reg8(0, c.cf() ? 0xFF : 0x00);
}

}  // namespace cpu
