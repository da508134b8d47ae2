// tests/diff/undefined.h — what the SDM leaves undefined after one instruction: the
// flags, register bits and memory bytes the harness must not compare.
//
// All of it comes from one table (kUndefinedRules in undefined.cpp), keyed by the mnemonic
// cpu::opcode_name gives for the opcode map entry, with an operand-dependent rule where
// the SDM makes the answer depend on the count or the source (shifts, BSF/BSR, SHLD/SHRD,
// BSWAP r16).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "cpu/decoder/insn.h"
#include "tests/diff/case.h"

namespace difftest {

struct Undefined {
  uint32_t flags = 0;                  // EFLAGS bits not compared
  std::array<uint32_t, 8> gpr_bits{};  // register bits not compared
  uint32_t mem_addr = 0, mem_len = 0;  // memory bytes not compared (linear address)
};

// Reads `size` bytes of guest memory at a linear address (the state before the insn).
using MemReader = std::function<uint64_t(uint32_t linear, unsigned size)>;

// `before` is the state just before `insn` executes; `code32` is CS.D.
Undefined undefined_after(const cpu::Insn& insn, const Regs& before, bool code32,
                          const MemReader& mem);

// The linear address of the ModRM memory operand (segment bases are 0 in both modes).
uint32_t effective_address(const cpu::Insn& insn, const Regs& r);

}  // namespace difftest
