// cpu/exec/data.cpp — data movement: MOV (all forms), LEA, XCHG, MOVZX/MOVSX, XADD,
// CMPXCHG, CMPXCHG8B, CBW/CWDE, CWD/CDQ, XLAT, LDS/LES/LFS/LGS/LSS, NOP, PAUSE.
#include "cpu/exec/handlers.h"
#include "cpu/exec/sensitive.h"

namespace cpu {

namespace {
constexpr uint64_t mask_of(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }
}  // namespace

void mov_E_G(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.write_rm(i, size, c.reg(i.reg, size));
}

void mov_G_E(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.set_reg(i.reg, size, c.read_rm(i, size));
}

void mov_E_I(Cpu& c, const Insn& i) { c.write_rm(i, wsize(i), i.imm); }

void mov_r8_I(Cpu& c, const Insn& i) { c.set_reg8(i.op & 7, uint8_t(i.imm)); }

void mov_r_I(Cpu& c, const Insn& i) { c.set_reg(i.op & 7, i.opsize, i.imm); }

void mov_A_O(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.set_reg(RAX, size, c.read_sized(i.seg, i.imm, size));
}

void mov_O_A(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  c.write_sized(i.seg, i.imm, size, c.reg(RAX, size));
}

void mov_E_S(Cpu& c, const Insn& i) {
  // SDM Vol.2 MOV: Sreg 6 and 7 are reserved (#UD). To a register with a 32-bit operand the
  // upper bits are zero on P6 and later; to memory, always a 16-bit store.
  if (i.reg > 5) c.fault(UD);
  // Popek–Goldberg (vt/sensitive.h): MOV from CS or SS at CPL > 0 reveals the CPL (RPL).
  const bool reveals_cpl = (i.reg == CS || i.reg == SS) && c.deprivileged();
  if (reveals_cpl && c.virtualizable()) c.sensitive_trap(Sensitive::MovFromSreg);
  const uint16_t sel = c.state().seg[i.reg].selector;
  if (i.mod == 3) c.set_reg(i.rm, i.opsize, sel);
  else c.write_sized(i.seg, c.ea(i), 2, sel);
  if (reveals_cpl) {
    c.sensitive_silent(Sensitive::MovFromSreg, [&] {
      std::string d = "revealed CPL " + std::to_string(c.state().cpl) + " (";
      d += i.reg == CS ? "CS " : "SS ";
      d += detail_hex(sel, 4) + ")";
      return d;
    });
  }
}

void mov_S_E(Cpu& c, const Insn& i) {
  if (i.reg > 5 || i.reg == CS) c.fault(UD);
  c.load_seg(i.reg, uint16_t(c.read_rm(i, 2)));
  // SDM Vol.3 6.8.3: MOV SS inhibits interrupts until after the next instruction.
  if (i.reg == SS) c.set_stack_switch_shadow();
}

void lea_G_M(Cpu& c, const Insn& i) { c.set_reg(i.reg, i.opsize, c.ea(i)); }

void xchg_E_G(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  const uint64_t a = c.read_rm_rmw(i, size);
  c.write_rm(i, size, c.reg(i.reg, size));
  c.set_reg(i.reg, size, a);
}

void xchg_A_r(Cpu& c, const Insn& i) {
  const unsigned r = i.op & 7;
  if (r == 0) {  // 90: NOP (F3 90: PAUSE)
    // SDM Vol.3 25.1.3 "PAUSE exiting".
    if (i.rep == 0xF3 && c.non_root()) c.virtualization()->intercept_insn(c, exit_reason::Pause);
    return;
  }
  const uint64_t a = c.reg(RAX, i.opsize);
  c.set_reg(RAX, i.opsize, c.reg(r, i.opsize));
  c.set_reg(r, i.opsize, a);
}

void movzx_G_E(Cpu& c, const Insn& i) {
  const unsigned src = (i.op & 1) ? 2 : 1;
  c.set_reg(i.reg, i.opsize, c.read_rm(i, src));
}

void movsx_G_E(Cpu& c, const Insn& i) {
  const unsigned src = (i.op & 1) ? 2 : 1;
  const uint64_t v = c.read_rm(i, src);
  const int64_t sv = src == 1 ? int64_t(int8_t(v)) : int64_t(int16_t(v));
  c.set_reg(i.reg, i.opsize, uint64_t(sv) & mask_of(i.opsize));
}

void xadd_E_G(Cpu& c, const Insn& i) {
  // SDM Vol.2 XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. Flags as ADD.
  const unsigned size = wsize(i);
  const uint64_t dst = c.read_rm_rmw(i, size), src = c.reg(i.reg, size);
  const uint64_t sum = (dst + src) & mask_of(size);
  if (i.mod == 3) {
    // In the SDM's order, SRC = DEST before DEST = TEMP: when both name the same register
    // (XADD DL, DL) the register ends up holding the sum.
    c.set_reg(i.reg, size, dst);
    c.write_rm(i, size, sum);
  } else {
    c.write_rm(i, size, sum);  // may fault: before the register changes
    c.set_reg(i.reg, size, dst);
  }
  c.set_lazy(Cpu::LazyOp::Add, size, dst, src, sum);
}

void cmpxchg_E_G(Cpu& c, const Insn& i) {
  // SDM Vol.2 CMPXCHG: compare accumulator with DEST (flags as CMP). Equal: DEST = SRC.
  // Not equal: accumulator = DEST, and DEST is written back unchanged (the processor always
  // writes the destination).
  const unsigned size = wsize(i);
  const uint64_t dst = c.read_rm_rmw(i, size), acc = c.reg(RAX, size);
  const uint64_t diff = (acc - dst) & mask_of(size);
  if (diff == 0) {
    c.write_rm(i, size, c.reg(i.reg, size));
  } else {
    c.write_rm(i, size, dst);
    c.set_reg(RAX, size, dst);
  }
  c.set_lazy(Cpu::LazyOp::Sub, size, acc, dst, diff);
}

void cbw(Cpu& c, const Insn& i) {
  if (i.opsize == 2) c.set_reg16(RAX, uint16_t(int16_t(int8_t(c.reg8(RAX)))));
  else c.set_reg32(RAX, uint32_t(int32_t(int16_t(c.reg16(RAX)))));
}

void cwd(Cpu& c, const Insn& i) {
  if (i.opsize == 2) c.set_reg16(RDX, (c.reg16(RAX) & 0x8000) ? 0xFFFF : 0);
  else c.set_reg32(RDX, (c.reg32(RAX) & 0x80000000u) ? 0xFFFFFFFFu : 0);
}

void xlat(Cpu& c, const Insn& i) {
  // AL = [seg:(E)BX + unsigned AL]
  uint64_t a = c.reg(RBX, i.adsize) + c.reg8(RAX);
  a &= mask_of(i.adsize);
  c.set_reg8(RAX, c.read<uint8_t>(i.seg, a));
}

void lxs_G_M(Cpu& c, const Insn& i) {
  // LES (C4), LDS (C5), LSS (0F B2), LFS (0F B4), LGS (0F B5): offset then selector.
  // LSS sets no interrupt shadow (SDM Vol.3 6.8.3 names only MOV SS and POP SS).
  unsigned seg;
  switch (i.op) {
    case 0xC4: seg = ES; break;
    case 0xC5: seg = DS; break;
    case kMap0F | 0xB2: seg = SS; break;
    case kMap0F | 0xB4: seg = FS; break;
    default: seg = GS; break;
  }
  const uint64_t a = c.ea(i);
  const uint64_t off = c.read_sized(i.seg, a, i.opsize);
  const uint16_t sel = uint16_t(c.read_sized(i.seg, (a + i.opsize) & mask_of(i.adsize), 2));
  c.load_seg(seg, sel);
  c.set_reg(i.reg, i.opsize, off);
}

void nop(Cpu&, const Insn&) {}
void nop_E(Cpu&, const Insn&) {}  // hint NOP: the memory operand is not accessed
void pause(Cpu&, const Insn&) {}

}  // namespace cpu
