// Regression tests for bugs the libFuzzer targets found (tests/fuzz/README.md). Each test
// names its target and reproduces the essence of the crashing input; the input itself is
// in tests/fuzz/corpus/<target>/.
#include "cpu/decoder/decoder.h"
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

// fuzz_cpu_protected (corpus: delivery_accessed_bit_pf): an interrupt from ring 3 whose
// handler's code descriptor is not yet accessed, with the GDT on a read-only page and
// CR0.WP set. Setting the accessed bit faults (#PF); delivery used to set it after loading
// CS, so the #PF was delivered from a half-switched state (CS = the ring-0 selector, CPL
// still 3, the ring-0 stack). Now it is set before anything is committed: the #PF is
// delivered from the state at the INT instruction.
TEST_F(FuzzRegression, AccessedBitFaultDuringDeliveryLeavesStateUnchanged) {
  setup_pm();
  set_gdt(2, descriptor(0, 0xFFFFF, 0x93, 0xC));  // ring-0 data (the TSS stack) accessed
  set_gdt(6, descriptor(0, 0xFFFFF, 0x9B, 0xC));  // 0x30: accessed ring-0 code for #PF
  set_gate(PF, 0x30, handler(PF), 0xE, 0);
  set_gate(0x80, 0x08, handler(0x80), 0xE, 3);    // 0x08's descriptor (0x9A) not accessed
  bus.byte(handler(0x80)) = 0xF4;
  setup_paging();
  set_pte(kGdt, (kGdt & ~0xFFFu) | 0x5);  // present, user, read-only
  cpu.write_cr0(cpu.state().cr0 | cr0::WP);
  cpu.flush_tlb(true);
  enter_ring3(kCode, kStack3);
  code({0xCD, 0x80});  // int 0x80

  go();
  ASSERT_EQ(vector_taken(), PF);
  EXPECT_EQ(cpu.state().cpl, 0);
  EXPECT_EQ(cpu.state().seg[CS].selector, 0x30);
  EXPECT_EQ(cpu.state().cr2, kGdt + 8 + 5);  // the access byte of descriptor 1
  EXPECT_EQ(error_code(), 0x3u);             // present, write, supervisor
  EXPECT_EQ(stack_dword(1), kCode);          // the INT instruction, restartable
  EXPECT_EQ(stack_dword(2), 0x1Bu);          // ring-3 CS: nothing was switched
  EXPECT_EQ(stack_dword(4), kStack3);        // ring-3 ESP
  EXPECT_EQ(stack_dword(5), 0x23u);          // ring-3 SS
  EXPECT_EQ(bus.byte(kGdt + 8 + 5), 0x9A);   // the write never happened
}

}  // namespace

// fuzz_decoder (2026-11-26): "2E 0F 38 3B" decoded as 3 bytes with a byte after it but as
// truncated from exactly those 3 bytes: the 0F 38 escape peeked at a byte past the
// instruction. Now any 0F 38 xx but INVEPT/INVVPID is the invalid row, xx included.
TEST(FuzzRegressionDecoder, ZeroF38LengthDoesNotDependOnTheBytesAfterIt) {
  const uint8_t longer[] = {0x2E, 0x0F, 0x38, 0x3B, 0x90};
  Insn a, b;
  DecodeResult ra, rb;
  const unsigned la = decode_bytes(longer, sizeof longer, true, a, &ra);
  const unsigned lb = decode_bytes(longer, la, true, b, &rb);
  EXPECT_EQ(la, 4u);
  EXPECT_EQ(lb, la);
  EXPECT_EQ(rb.status, ra.status);
  const uint8_t invept[] = {0x66, 0x0F, 0x38, 0x80, 0x10};  // invept edx, [eax]
  EXPECT_EQ(decode_bytes(invept, sizeof invept, true, a, &ra), 5u);
}
