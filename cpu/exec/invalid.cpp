// cpu/exec/invalid.cpp — invalid opcodes, UD2, and the x87/MMX/SSE escapes this CPU lacks.
//
// CPUID advertises no FPU, MMX or SSE. x87 escapes (D8-DF) raise #NM when CR0.EM or CR0.TS
// is set (SDM Vol.3 2.5, Table 2-2) and #UD otherwise; MMX/SSE opcodes raise #UD.
#include "cpu/exec/handlers.h"

namespace cpu {

void ud(Cpu& c, const Insn&) { c.fault(UD); }
void ud2(Cpu& c, const Insn&) { c.fault(UD); }

void fpu_esc(Cpu& c, const Insn&) {
  if (c.state().cr0 & (cr0::EM | cr0::TS)) c.fault(NM);
  c.fault(UD);
}

void fwait(Cpu& c, const Insn&) {
  // WAIT: #NM if CR0.MP and CR0.TS are both set; otherwise there is nothing to wait for.
  const uint64_t cr = c.state().cr0;
  if ((cr & cr0::MP) && (cr & cr0::TS)) c.fault(NM);
}

void sse_ud(Cpu& c, const Insn&) { c.fault(UD); }

}  // namespace cpu
