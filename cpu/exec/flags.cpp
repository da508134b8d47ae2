// cpu/exec/flags.cpp — CLC STC CMC CLD STD CLI STI LAHF SAHF (PUSHF/POPF are in stack.cpp).
#include "cpu/exec/handlers.h"

namespace cpu {

void clc(Cpu& c, const Insn&) { c.set_arith_flags(flag::CF, 0); }
void stc(Cpu& c, const Insn&) { c.set_arith_flags(flag::CF, flag::CF); }
void cmc(Cpu& c, const Insn&) { c.set_arith_flags(flag::CF, c.cf() ? 0 : flag::CF); }
void cld(Cpu& c, const Insn&) { c.state().eflags &= ~flag::DF; }
void std_(Cpu& c, const Insn&) { c.state().eflags |= flag::DF; }

// SDM Vol.2 CLI/STI: in protected mode allowed when CPL <= IOPL, else #GP(0) (the
// virtual-interrupt extensions, CR4.PVI/VME, are not implemented).
static void check_iopl(Cpu& c) {
  const Mode m = c.mode();
  if (m == Mode::Real) return;
  if (m == Mode::Virtual8086) c.not_implemented("CLI/STI in virtual-8086 mode");
  const unsigned iopl = (c.state().eflags & flag::IOPL) >> 12;
  if (c.state().cpl > iopl) c.fault(GP, 0);
}

void cli(Cpu& c, const Insn&) {
  check_iopl(c);
  c.state().eflags &= ~flag::IF;
}

void sti(Cpu& c, const Insn&) {
  check_iopl(c);
  // STI delays recognition of interrupts until after the next instruction, but only when
  // it changes IF from 0 to 1 (SDM Vol.2 STI).
  if (!(c.state().eflags & flag::IF)) c.set_interrupt_shadow();
  c.state().eflags |= flag::IF;
}

void lahf(Cpu& c, const Insn&) { c.set_reg8(4, uint8_t(c.flags())); }  // AH = SF:ZF:0:AF:0:PF:1:CF

void sahf(Cpu& c, const Insn&) {
  const uint32_t mask = flag::SF | flag::ZF | flag::AF | flag::PF | flag::CF;
  c.set_arith_flags(mask, c.reg8(4));
}

}  // namespace cpu
