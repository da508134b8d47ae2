// cpu/exec/io.cpp — IN and OUT (the string forms are in string.cpp), with the I/O
// permission checks of SDM Vol.1 19.5 in Cpu::check_io_permission.
#include "cpu/exec/handlers.h"

namespace cpu {

void in_A_I(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.set_reg(RAX, size, c.port_in(uint16_t(i.imm & 0xFF), size));
}

void out_I_A(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.port_out(uint16_t(i.imm & 0xFF), size, uint32_t(c.reg(RAX, size)));
}

void in_A_DX(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.set_reg(RAX, size, c.port_in(c.reg16(RDX), size));
}

void out_DX_A(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.port_out(c.reg16(RDX), size, uint32_t(c.reg(RAX, size)));
}

}  // namespace cpu
