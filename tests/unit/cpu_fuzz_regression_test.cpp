// Regression tests for bugs the libFuzzer targets found (tests/fuzz/README.md). Each test
// names its target and reproduces the essence of the crashing input; the input itself is
// in tests/fuzz/corpus/<target>/.
#include "tests/unit/cpu_sys_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class FuzzRegression : public SysTest {};

// fuzz_cpu_protected (corpus: storm_trap_gate): INTR held asserted with IF=1, vector 0x20
// through a trap gate, which leaves IF set. Every delivery is followed by another before
// the handler's first instruction, and Cpu::run delivered them forever without checking its
// limits. Back-to-back deliveries now count as steps, so each run ends at its limit.
TEST_F(FuzzRegression, InterruptStormThroughTrapGateEndsAtStepAndCycleLimits) {
  setup_pm();
  set_gate(0x20, 0x08, kCode + 0x10, 0xF, 0);  // trap gate: IF stays set in the handler
  code({0x90});
  cpu.set_flags(cpu.flags() | flag::IF);
  bus.intr_vector = 0x20;
  cpu.set_intr(true);
  const uint32_t esp = reg(RSP);
  const uint64_t instret = cpu.state().instret;

  EXPECT_EQ(cpu.run({.max_steps = 100}), StopReason::StepLimit);
  // The first delivery is free, each further one a step: 101 frames of 12 bytes.
  EXPECT_EQ(reg(RSP), esp - 101 * 12);
  EXPECT_EQ(cpu.state().instret, instret);  // no instruction ever ran

  EXPECT_EQ(cpu.step(), StopReason::StepLimit);
  const uint64_t cycles = cpu.state().cycles;
  EXPECT_EQ(cpu.run({.cycle_limit = cycles + 1000}), StopReason::CycleLimit);
  EXPECT_GE(cpu.state().cycles, cycles + 1000);

  // With an interrupt gate (IF cleared on delivery) there is no storm: the handler runs.
  set_gate(0x20, 0x08, kCode + 0x10, 0xE, 0);
  bus.byte(kCode + 0x10) = 0xF4;  // hlt
  cpu.invalidate_code(kCode + 0x10, 1);
  cpu.state().gpr[RSP] = esp;
  EXPECT_EQ(cpu.run({.max_steps = 100}), StopReason::HaltedForever);
  EXPECT_EQ(cpu.state().rip, kCode + 0x11);
}

}  // namespace
