// cpu/exec/handlers.h — every instruction handler the opcode tables name.
//
// Handlers are generic over operand size: where an opcode pair differs only in the "w" bit
// (bit 0: 0 = byte, 1 = word/dword) the handler reads the size with `wsize(i)`. Names follow
// mnemonic_operandshape (E = ModRM r/m, G = ModRM reg, I = immediate, A = accumulator,
// O = moffs, r = register in the opcode, S = segment register, M = memory only).
//
// The rule every handler follows: an instruction that faults has no effect. The loop
// restores only RIP on a fault, so a handler does every access that can fault (reads,
// write probes via read_rm_rmw / read_for_write, pushes) before it changes a register,
// a flag or memory that the fault would leave changed.
#pragma once

#include "cpu/cpu.h"

namespace cpu {

inline unsigned wsize(const Insn& i) { return (i.op & 1) ? i.opsize : 1; }

#define RINGSIDE_HANDLERS(X)                                                                  \
  /* exec/alu.cpp: arithmetic and logic */                                                  \
  X(alu_E_G) X(alu_G_E) X(alu_A_I) X(grp1_E_I) X(test_E_G) X(test_A_I) X(test_E_I)           \
  X(inc_r) X(dec_r) X(inc_E) X(dec_E) X(not_E) X(neg_E)                                     \
  /* exec/muldiv.cpp */                                                                     \
  X(mul_E) X(imul_E) X(div_E) X(idiv_E) X(imul_G_E) X(imul_G_E_I)                          \
  /* exec/shift.cpp */                                                                      \
  X(shift_E) X(shld_E_G) X(shrd_E_G)                                                        \
  /* exec/bits.cpp */                                                                       \
  X(bt_E_G) X(bt_E_I) X(bsf_G_E) X(bsr_G_E) X(bswap_r) X(setcc_E) X(cmovcc_G_E)            \
  /* exec/bcd.cpp */                                                                        \
  X(daa) X(das) X(aaa) X(aas) X(aam) X(aad) X(salc)                                         \
  /* exec/data.cpp: data movement */                                                        \
  X(mov_E_G) X(mov_G_E) X(mov_E_I) X(mov_r8_I) X(mov_r_I) X(mov_A_O) X(mov_O_A)             \
  X(mov_E_S) X(mov_S_E) X(lea_G_M) X(xchg_E_G) X(xchg_A_r) X(movzx_G_E) X(movsx_G_E)        \
  X(xadd_E_G) X(cmpxchg_E_G) X(cbw) X(cwd) X(xlat) X(lxs_G_M) X(nop)         \
  X(nop_E) X(pause)                                                                         \
  /* exec/stack.cpp */                                                                      \
  X(push_r) X(pop_r) X(push_I) X(push_E) X(pop_E) X(push_S) X(pop_S) X(pusha) X(popa)        \
  X(pushf) X(popf) X(enter) X(leave)                                                        \
  /* exec/flags.cpp */                                                                      \
  X(clc) X(stc) X(cmc) X(cld) X(std_) X(cli) X(sti) X(lahf) X(sahf)                         \
  /* exec/control.cpp */                                                                    \
  X(jcc_J) X(jmp_J) X(call_J) X(ret_near) X(ret_far) X(jmp_E) X(call_E) X(jmp_far_A)         \
  X(call_far_A) X(jmp_far_M) X(call_far_M) X(loop_J) X(jcxz_J) X(int_I) X(int3) X(into)      \
  X(int1) X(iret_) X(bound_G_M)                                                             \
  /* exec/string.cpp */                                                                     \
  X(movs) X(cmps) X(stos) X(lods) X(scas) X(ins) X(outs)                                    \
  /* exec/io.cpp */                                                                         \
  X(in_A_I) X(out_I_A) X(in_A_DX) X(out_DX_A)                                               \
  /* exec/system.cpp */                                                                     \
  X(hlt) X(grp6) X(grp7) X(lar_G_E) X(lsl_G_E) X(clts) X(invd) X(wbinvd) X(mov_R_C)         \
  X(mov_C_R) X(mov_R_D) X(mov_D_R) X(wrmsr) X(rdmsr) X(rdtsc) X(rdpmc) X(sysenter)          \
  X(sysexit) X(cpuid) X(arpl_E_G) X(grp9) X(vmx_insn) X(rsm)                                \
  /* exec/invalid.cpp */                                                                    \
  X(ud) X(ud2) X(fpu_esc) X(fwait) X(sse_ud)

#define RINGSIDE_DECLARE_HANDLER(name) void name(Cpu& c, const Insn& i);
RINGSIDE_HANDLERS(RINGSIDE_DECLARE_HANDLER)
#undef RINGSIDE_DECLARE_HANDLER

}  // namespace cpu
