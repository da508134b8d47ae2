// cpu/exec/pending.cpp — handlers and Cpu operations not written yet. Each stops the run
// with a clear "not implemented" report instead of misbehaving. Remove a line when its
// family file implements it.
#include "cpu/exec/handlers.h"

namespace cpu {

#define PENDING(name) \
  void name(Cpu& c, const Insn&) { c.not_implemented("instruction handler " #name); }

PENDING(mul_E)
PENDING(imul_E)
PENDING(div_E)
PENDING(idiv_E)
PENDING(imul_G_E)
PENDING(imul_G_E_I)
PENDING(shift_E)
PENDING(shld_E_G)
PENDING(shrd_E_G)
PENDING(bt_E_G)
PENDING(bt_E_I)
PENDING(bsf_G_E)
PENDING(bsr_G_E)
PENDING(bswap_r)
PENDING(setcc_E)
PENDING(cmovcc_G_E)
PENDING(daa)
PENDING(das)
PENDING(aaa)
PENDING(aas)
PENDING(aam)
PENDING(aad)
PENDING(salc)
PENDING(cmpxchg8b_M)
PENDING(push_r)
PENDING(pop_r)
PENDING(push_I)
PENDING(push_E)
PENDING(pop_E)
PENDING(push_S)
PENDING(pop_S)
PENDING(pusha)
PENDING(popa)
PENDING(pushf)
PENDING(popf)
PENDING(enter)
PENDING(leave)
PENDING(movs)
PENDING(cmps)
PENDING(stos)
PENDING(lods)
PENDING(scas)
PENDING(ins)
PENDING(outs)

}  // namespace cpu
