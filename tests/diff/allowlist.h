// tests/diff/allowlist.h — differences that are Unicorn's (QEMU's) bugs, checked against
// the SDM. The table is in allowlist.cpp; tests/diff/unicorn_allowlist.txt describes each
// entry in words. A listed difference is counted, not reported; everything else is a
// mismatch.
#pragma once

#include <cstdint>

#include "cpu/decoder/insn.h"
#include "tests/diff/case.h"

namespace difftest {

struct StepView {
  CodeMode mode;
  const cpu::Insn& insn;
  const char* name;            // cpu::opcode_name
  const Regs& before;
  const Regs& ringside;        // after the instruction
  const Regs& unicorn;
  int ringside_vector, unicorn_vector;  // -1: no fault
  uint32_t flags_compared;     // EFLAGS bits compared for this instruction
  bool memory_equal;           // the data windows agree
};

// The allow-list entry covering this difference, or nullptr. Returns its SDM reference.
const char* unicorn_allowed(const StepView& v);

}  // namespace difftest
