// tests/diff/allowlist.cpp — the Unicorn allow-list (see unicorn_allowlist.txt).
#include "tests/diff/allowlist.h"

#include <cstring>

#include "cpu/state.h"

namespace difftest {

namespace {

struct Allowed {
  const char* name;  // mnemonic the rule applies to
  bool (*matches)(const StepView&);
  const char* sdm;
};

// Only the registers in `allowed` (bit per GPR) differ; EIP, flags and faults agree.
bool only_regs_differ(const StepView& v, unsigned allowed) {
  for (unsigned k = 0; k < 8; ++k)
    if (v.ringside.gpr[k] != v.unicorn.gpr[k] && !((allowed >> k) & 1)) return false;
  return v.ringside.eip == v.unicorn.eip && v.ringside_vector == v.unicorn_vector &&
         ((v.ringside.eflags ^ v.unicorn.eflags) & v.flags_compared) == 0 && v.memory_equal;
}

// BSWAP r16 (66 0F C8+r): the SDM leaves the 16-bit result undefined, but the operand is
// the 16-bit register; Unicorn swaps all 32 bits, changing bits 31:16, which no 16-bit
// operation may touch (SDM Vol.1 3.4.1.1: 16-bit operations leave the upper bits alone).
bool bswap16_swaps_32(const StepView& v) {
  const unsigned r = v.insn.op & 7;
  return v.insn.opsize == 2 && only_regs_differ(v, 1u << r) &&
         v.unicorn.gpr[r] == __builtin_bswap32(v.before.gpr[r]) &&
         (v.ringside.gpr[r] >> 16) == (v.before.gpr[r] >> 16);
}

// LOCK NEG m (F0 F6/F7 /3): Unicorn sets SF, ZF and PF from the operand before negation
// instead of the result (its locked path computes the flags from the old value). Everything
// else, CF, OF, AF and the stored result included, agrees; unlocked NEG agrees everywhere.
bool lock_neg_flags(const StepView& v) {
  using namespace cpu::flag;
  const uint32_t diff = (v.ringside.eflags ^ v.unicorn.eflags) & v.flags_compared;
  return v.insn.lock && v.insn.mem() && diff && (diff & ~(SF | ZF | PF)) == 0 &&
         v.ringside.gpr == v.unicorn.gpr && v.ringside.eip == v.unicorn.eip &&
         v.ringside_vector == v.unicorn_vector && v.memory_equal;
}

// ENTER with a 32-bit operand size on a 16-bit stack (66 C8 in real mode): the SDM's
// Operation sets FrameTemp <- ESP and EBP <- FrameTemp, all 32 bits of ESP; Unicorn
// loads EBP with SP zero-extended.
bool enter32_on_16bit_stack(const StepView& v) {
  return v.mode == CodeMode::Real16 && v.insn.opsize == 4 && only_regs_differ(v, 1u << cpu::RBP) &&
         v.unicorn.gpr[cpu::RBP] == (v.ringside.gpr[cpu::RBP] & 0xFFFF);
}

const Allowed kAllowed[] = {
    {"neg", lock_neg_flags,
     "SDM Vol.2 NEG: SF, ZF and PF are set according to the result; Unicorn uses the "
     "source under LOCK"},
    {"enter", enter32_on_16bit_stack,
     "SDM Vol.2 ENTER, Operation: OperandSize = 32: FrameTemp <- ESP ... EBP <- FrameTemp"},
    {"bswap", bswap16_swaps_32,
     "SDM Vol.2 BSWAP (16-bit result undefined) and Vol.1 3.4.1.1 (bits 31:16 of a 16-bit "
     "destination are not modified): Unicorn swaps all 32 bits"},
};

}  // namespace

const char* unicorn_allowed(const StepView& v) {
  for (const auto& a : kAllowed)
    if (a.matches && std::strcmp(a.name, v.name) == 0 && a.matches(v)) return a.sdm;
  return nullptr;
}

}  // namespace difftest
