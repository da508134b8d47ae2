// cpu/exec/pending.cpp — handlers and Cpu operations not written yet. Each stops the run
// with a clear "not implemented" report instead of misbehaving. Remove a line when its
// family file implements it.
#include "cpu/exec/handlers.h"

namespace cpu {

#define PENDING(name) \
  void name(Cpu& c, const Insn&) { c.not_implemented("instruction handler " #name); }

PENDING(cmpxchg8b_M)
PENDING(hlt)
PENDING(grp6)
PENDING(grp7)
PENDING(lar_G_E)
PENDING(lsl_G_E)
PENDING(clts)
PENDING(invd)
PENDING(wbinvd)
PENDING(mov_R_C)
PENDING(mov_C_R)
PENDING(mov_R_D)
PENDING(mov_D_R)
PENDING(wrmsr)
PENDING(rdmsr)
PENDING(rdtsc)
PENDING(rdpmc)
PENDING(sysenter)
PENDING(sysexit)
PENDING(cpuid)
PENDING(arpl_E_G)
PENDING(grp9)
PENDING(vmx_insn)
PENDING(rsm)

void Cpu::far_jump(uint16_t, uint64_t, unsigned) { not_implemented("far JMP"); }
void Cpu::far_call(uint16_t, uint64_t, unsigned) { not_implemented("far CALL"); }
void Cpu::far_return(unsigned, uint16_t) { not_implemented("far RET"); }
void Cpu::iret(unsigned) { not_implemented("IRET"); }
void Cpu::write_cr0(uint64_t) { not_implemented("MOV CR0"); }
void Cpu::write_cr3(uint64_t) { not_implemented("MOV CR3"); }
void Cpu::write_cr4(uint64_t) { not_implemented("MOV CR4"); }
bool Cpu::read_msr(uint32_t, uint64_t&) { return false; }
bool Cpu::write_msr(uint32_t, uint64_t) { return false; }

}  // namespace cpu
