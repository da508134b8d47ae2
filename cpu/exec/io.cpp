// cpu/exec/io.cpp — IN and OUT (the string forms are in string.cpp), with the I/O
// permission checks of SDM Vol.1 19.5 in Cpu::check_io_permission.
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {
// VMX non-root operation: the IOPL / TSS I/O-bitmap #GP first, then the I/O exit (SDM Vol.3
// 25.1.1, 25.1.3). port_in/port_out repeat the permission check when there is no exit.
void intercept(Cpu& c, uint16_t port, unsigned size, bool in) {
  c.check_io_permission(port, size);
  c.virtualization()->intercept_io(c, port, size, in);
}
}  // namespace

void in_A_I(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  if (c.non_root()) intercept(c, uint16_t(i.imm & 0xFF), size, true);
  c.set_reg(RAX, size, c.port_in(uint16_t(i.imm & 0xFF), size));
}

void out_I_A(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  if (c.non_root()) intercept(c, uint16_t(i.imm & 0xFF), size, false);
  c.port_out(uint16_t(i.imm & 0xFF), size, uint32_t(c.reg(RAX, size)));
}

void in_A_DX(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  if (c.non_root()) intercept(c, c.reg16(RDX), size, true);
  c.set_reg(RAX, size, c.port_in(c.reg16(RDX), size));
}

void out_DX_A(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  if (c.non_root()) intercept(c, c.reg16(RDX), size, false);
  c.port_out(c.reg16(RDX), size, uint32_t(c.reg(RAX, size)));
}

}  // namespace cpu
