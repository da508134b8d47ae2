// The execution loop: decoded-instruction cache and self-modifying code, interrupt and
// exception delivery (real and protected mode), the STI/MOV SS shadow, TF single-step,
// the 15-byte limit, x87 escapes, #DF and triple fault, cycle accounting, and events.
#include <algorithm>
#include <vector>

#include "cpu/cycles/model.h"
#include "tests/unit/cpu_fixture.h"

using namespace cputest;
using namespace cpu;

namespace {

class Core : public CpuTest {
 protected:
  uint16_t word_at(uint32_t a) { return uint16_t(bus.byte(a) | (bus.byte(a + 1) << 8)); }
};

struct Recorder : Observer {
  std::vector<Event> events;
  void on_event(const Event& e) override { events.push_back(e); }
};

TEST_F(Core, SelfModifyingCodeSeesTheNewInstruction) {
  protected32();
  // start: inc eax ; mov byte [start], 0x43 (inc ebx) ; jmp start
  code({0x40, 0xC6, 0x05, 0x00, 0x10, 0x00, 0x00, 0x43, 0xEB, 0xF6});
  run(4);
  EXPECT_EQ(reg(RAX), 1u);  // the first pass ran (and cached) inc eax
  EXPECT_EQ(reg(RBX), 1u);  // the second pass ran the rewritten byte
}

TEST_F(Core, PhysWriteInvalidatesDecodedCode) {
  protected32();
  code({0x40, 0xEB, 0xFD});  // inc eax ; jmp $-1
  run(2);
  EXPECT_EQ(reg(RAX), 1u);
  const uint8_t inc_ebx = 0x43;
  cpu.phys_write(kCode, &inc_ebx, 1);
  run(2);
  EXPECT_EQ(reg(RAX), 1u);
  EXPECT_EQ(reg(RBX), 1u);
}

TEST_F(Core, RealModeSoftwareInterruptUsesIvt) {
  real16();
  bus.set_dword(0x21 * 4, 0x00002000);  // vector 0x21 -> 0000:2000
  bus.load(0x2000, {0x90});
  code({0xFB, 0xCD, 0x21});  // sti ; int 0x21
  run(2);
  const auto& s = cpu.state();
  EXPECT_EQ(s.rip, 0x2000u);
  EXPECT_EQ(s.seg[CS].selector, 0u);
  EXPECT_FALSE(flag_set(flag::IF));
  // Stack: IP, CS, FLAGS (SDM Vol.3 20.1.4).
  EXPECT_EQ(reg(RSP), kStack - 6);
  EXPECT_EQ(word_at(kStack - 6), kCode + 3);
  EXPECT_EQ(word_at(kStack - 4), 0u);
  EXPECT_TRUE(word_at(kStack - 2) & flag::IF);
}

TEST_F(Core, ExternalInterruptWaitsForIfAndAcknowledges) {
  real16();
  bus.set_dword(0x08 * 4, 0x00002000);
  bus.intr_vector = 0x08;
  code({0x90, 0x90, 0xFB, 0x90, 0x90});  // nop ; nop ; sti ; nop ; nop
  cpu.set_intr(true);
  run(2);  // IF=0: not taken
  EXPECT_EQ(cpu.state().rip, kCode + 2);
  run(1);  // sti
  run(1);  // the shadow lets one more instruction run, then the interrupt is taken
  EXPECT_EQ(word_at(cpu.state().gpr[RSP] & 0xFFFF), kCode + 4);
  EXPECT_EQ(cpu.state().rip, 0x2000u);
}

TEST_F(Core, MovSsBlocksInterruptsForOneInstruction) {
  real16();
  bus.set_dword(0x08 * 4, 0x00002000);
  bus.intr_vector = 0x08;
  cpu.set_flags(cpu.flags() | flag::IF);
  code({0x8E, 0xD0, 0x90, 0x90});  // mov ss, ax ; nop ; nop
  run(1);                          // mov ss
  cpu.set_intr(true);
  run(1);  // the nop runs in the shadow; the interrupt is taken at the boundary after it
  EXPECT_EQ(cpu.state().rip, 0x2000u);
  EXPECT_EQ(word_at(uint32_t(reg(RSP)) & 0xFFFF), kCode + 3);
}

TEST_F(Core, NmiIsTakenWithInterruptsDisabled) {
  real16();
  bus.set_dword(2 * 4, 0x00003000);
  code({0xFA, 0x90, 0x90});  // cli ; nop
  run(1);
  cpu.raise_nmi();
  run(0);  // deliver what is pending at this boundary, execute nothing
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_TRUE(cpu.state().nmi_blocked);
}

TEST_F(Core, SingleStepTrapAfterInstruction) {
  real16();
  bus.set_dword(1 * 4, 0x00003000);
  code({0x40, 0x40});
  cpu.set_flags(cpu.flags() | flag::TF);
  run(1);
  EXPECT_EQ(reg(RAX), 1u);
  EXPECT_EQ(cpu.state().rip, 0x3000u);           // #DB handler
  EXPECT_EQ(word_at(uint32_t(reg(RSP))), kCode + 1);  // return to the next instruction
  EXPECT_FALSE(flag_set(flag::TF));
}

TEST_F(Core, InstructionLongerThan15BytesIsGp) {
  protected32();
  set_gate(GP, 0x08, 0x3000, 0xE, 0);
  std::vector<uint8_t> bytes(15, 0x66);
  bytes.push_back(0x90);
  bus.load(kCode, bytes.data(), bytes.size());
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  // Error code 0 pushed below EIP, CS, EFLAGS.
  EXPECT_EQ(bus.dword(kStack - 16), 0u);
  EXPECT_EQ(bus.dword(kStack - 12), kCode);
}

TEST_F(Core, Ud2RaisesUdAtItsAddress) {
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  code({0x90, 0x0F, 0x0B});
  run(2);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_EQ(bus.dword(kStack - 12), kCode + 1);  // faulting EIP, no error code
  EXPECT_EQ(reg(RSP), kStack - 12);
}

TEST_F(Core, X87EscapeIsNmWithTsElseUd) {
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  set_gate(NM, 0x08, 0x3100, 0xE, 0);
  code({0xD9, 0xE8});  // fld1
  cpu.state().cr0 |= cr0::TS;
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3100u);
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  code({0xD9, 0xE8});
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
}

TEST_F(Core, TripleFaultShutsDown) {
  protected32();
  cpu.state().idtr = {kIdt, 0};  // no usable gate at all
  code({0x0F, 0x0B});
  Recorder rec;
  cpu.set_observer(&rec);
  EXPECT_EQ(run(1), StopReason::Shutdown);
  ASSERT_FALSE(rec.events.empty());
  EXPECT_EQ(rec.events.back().kind, EventKind::Shutdown);
  // #UD, then #GP(ud*8+2+EXT) for the gate beyond the IDT limit, then #DF, then shutdown.
  std::vector<uint8_t> vectors;
  for (const auto& e : rec.events)
    if (e.kind == EventKind::Exception) vectors.push_back(e.vector);
  EXPECT_EQ(vectors, (std::vector<uint8_t>{UD, GP, DF}));
  EXPECT_NE(cpu.stop_detail().find("while delivering #DF"), std::string::npos) << cpu.stop_detail();
}

TEST_F(Core, GpDuringGpDeliveryIsDoubleFault) {
  protected32();
  // #GP's gate is beyond... make it not present so #NP arises: contributory+contributory.
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  set_gate(DF, 0x08, 0x3200, 0xE, 0);
  code({0x0F, 0x0B});
  // Make the #UD gate point at a null code selector: #GP(EXT) during #UD delivery. #UD is
  // benign, so the #GP is delivered; its gate is not present: #NP during #GP -> #DF.
  set_gate(UD, 0x00, 0x3000, 0xE, 0);
  bus.set_dword(kIdt + GP * 8 + 4, 0);  // not present
  run(1);
  EXPECT_EQ(cpu.state().rip, 0x3200u);
  EXPECT_EQ(bus.dword(kStack - 16), 0u);  // #DF error code is 0
}

TEST_F(Core, ProtectedGateDeliveryErrorCodeAndIf) {
  protected32();
  set_gate(GP, 0x08, 0x3000, 0xE, 0);
  // mov eax, [0xFFFFFFFF] through DS with a 64 KiB limit -> #GP(0)
  cpu.state().seg[DS].limit = 0xFFFF;
  code({0xFB, 0xA1, 0x00, 0x00, 0x01, 0x00});  // sti ; mov eax, [0x10000]
  run(2);
  EXPECT_EQ(cpu.state().rip, 0x3000u);
  EXPECT_FALSE(flag_set(flag::IF));              // interrupt gate clears IF
  EXPECT_EQ(bus.dword(kStack - 16), 0u);         // error code
  EXPECT_EQ(bus.dword(kStack - 12), kCode + 1);  // EIP of the faulting mov
  EXPECT_EQ(bus.dword(kStack - 8), 0x08u);       // CS
  EXPECT_TRUE(bus.dword(kStack - 4) & flag::IF);  // EFLAGS image had IF
}

TEST_F(Core, CycleAccountingFollowsTheModel) {
  protected32();
  cpu.set_cycle_model(find_cycle_model("flat"));
  code({0x40, 0x40, 0x40, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00});  // 3x inc eax; add [0x8000], eax
  const uint64_t c0 = cpu.state().cycles;
  run(4);
  EXPECT_EQ(cpu.state().cycles - c0, 4u);  // flat: one cycle each, memory free
  protected32();
  cpu.set_cycle_model(&haswell_model());
  code({0x01, 0x05, 0x00, 0x80, 0x00, 0x00});
  const uint64_t c1 = cpu.state().cycles;
  run(1);
  const CycleModel& m = haswell_model();
  // ALU base cost plus one read and one write access.
  EXPECT_EQ(cpu.state().cycles - c1, m.cost[unsigned(CostClass::Alu)] + 2u * m.mem_access);
}

TEST_F(Core, ExceptionEventsCarryVectorAndAddress) {
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  code({0x90, 0x0F, 0x0B});
  Recorder rec;
  cpu.set_observer(&rec);
  run(2);
  ASSERT_EQ(rec.events.size(), 1u);
  const Event& e = rec.events[0];
  EXPECT_EQ(e.kind, EventKind::Exception);
  EXPECT_EQ(e.vector, UD);
  EXPECT_EQ(e.ip, kCode + 1);
  EXPECT_EQ(e.instret, 1u);
  EXPECT_EQ(e.before.mode, Mode::Protected);
}

TEST_F(Core, PortIoEventsAndUnclaimedReads) {
  protected32();
  code({0xE6, 0x80, 0xE4, 0x60});  // out 0x80, al ; in al, 0x60
  Recorder rec;
  cpu.set_observer(&rec);
  set(RAX, 0x42);
  bus.in_value = 0x12;
  run(2);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_EQ(rec.events[0].kind, EventKind::PortIo);
  EXPECT_TRUE(rec.events[0].write);
  EXPECT_EQ(rec.events[0].port, 0x80);
  EXPECT_EQ(rec.events[0].value, 0x42u);
  EXPECT_FALSE(rec.events[1].write);
  EXPECT_EQ(eax() & 0xFF, 0x12u);
}

TEST_F(Core, ResetStateMatchesSdm) {
  cpu.reset();
  const State& s = cpu.state();
  // SDM Vol.3 Table 9-1.
  EXPECT_EQ(s.rip, 0xFFF0u);
  EXPECT_EQ(s.seg[CS].selector, 0xF000);
  EXPECT_EQ(s.seg[CS].base, 0xFFFF0000u);
  EXPECT_EQ(s.cr0, 0x60000010u);
  EXPECT_EQ(cpu.flags(), 0x2u);
  EXPECT_EQ(uint32_t(s.gpr[RDX]), kResetEdx);
  EXPECT_EQ(s.idtr.limit, 0xFFFF);
  EXPECT_EQ(s.dr[7], 0x400u);
  EXPECT_EQ(cpu.mode(), Mode::Real);
}

}  // namespace

namespace {

TEST_F(Core, RepStringRetiresOnceWhateverItsCount) {
  protected32();
  code({0xF3, 0xA4, 0x90});  // rep movsb ; nop
  set(RSI, kData);
  set(RDI, kData + 0x2000);
  set(RCX, 1000);
  const uint64_t i0 = cpu.state().instret;
  cpu.run({i0 + 1, UINT64_MAX, UINT64_MAX});
  EXPECT_EQ(reg(RCX), 0u);
  EXPECT_EQ(cpu.state().rip, kCode + 2);
  EXPECT_EQ(cpu.state().instret, i0 + 1);
}

}  // namespace

namespace {

// The CPU counts events itself, with or without an observer, and the counts agree with
// what an observer sees.
TEST_F(Core, EventCountsNeedNoObserver) {
  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  code({0xE6, 0x80, 0xE4, 0x60, 0x0F, 0x0B});  // out 0x80, al ; in al, 0x60 ; ud2
  const EventCounts before = cpu.event_counts();
  run(3);
  const EventCounts& c = cpu.event_counts();
  EXPECT_EQ(c[EventKind::PortIo] - before[EventKind::PortIo], 2u);
  EXPECT_EQ(c[EventKind::Exception] - before[EventKind::Exception], 1u);

  protected32();
  set_gate(UD, 0x08, 0x3000, 0xE, 0);
  code({0xE6, 0x80, 0xE4, 0x60, 0x0F, 0x0B});
  Recorder rec;
  cpu.set_observer(&rec);
  const EventCounts before2 = cpu.event_counts();
  run(3);
  EXPECT_EQ(cpu.event_counts()[EventKind::PortIo] - before2[EventKind::PortIo], 2u);
  EXPECT_EQ(rec.events.size(), 3u);
}

}  // namespace

namespace {

// Real-mode delivery writes FLAGS, CS and IP before it moves SP: when the third push
// faults, SP is unchanged (SDM Vol.3 6.5: a fault leaves the state as it was). An
// expand-down stack segment with limit 0FFB makes 0FFE and 0FFC valid and 0FFA not.
TEST_F(Core, RealModeDeliveryFaultLeavesSpUnchanged) {
  real16();
  bus.set_dword(0x21 * 4, 0x00002000);
  bus.set_dword(SS_ * 4, 0x00003000);
  cpu.state().seg[SS].attr |= ar::EXPAND_DOWN;
  cpu.state().seg[SS].limit = 0x0FFB;
  set(RSP, 0x1000);
  code({0xCD, 0x21});  // int 0x21
  run(1);
  // The #SS delivery needs the same stack and fails the same way (then #DF, then shutdown);
  // what matters is that no failed delivery moved SP.
  EXPECT_NE(cpu.state().rip, 0x2000u);
  EXPECT_EQ(reg(RSP) & 0xFFFF, 0x1000u);
}

// Blocks chained through their direct links stop exactly where an instruction, step or
// cycle limit says, and in the same state as single-stepping (the loop is two blocks: the
// JMP ends the first).
TEST_F(Core, ChainedBlocksStopExactlyAtEveryLimit) {
  const std::initializer_list<uint8_t> loop = {
      0x01, 0xD8,                          // 0: add eax, ebx
      0x43,                                // 2: inc ebx
      0xEB, 0x00,                          // 3: jmp 5
      0x01, 0x05, 0x00, 0x80, 0x00, 0x00,  // 5: add [0x8000], eax
      0x49,                                // 11: dec ecx
      0x75, 0xF2,                          // 12: jnz 0
      0xF4};                               // 14: hlt
  // reset() keeps the cycle and instruction counters running: compare what they advanced.
  struct Outcome {
    uint32_t eax, ebx, ecx, eip, eflags, mem;
    uint64_t cycles, instret;
    bool operator==(const Outcome&) const = default;
  };
  uint64_t c0 = 0, i0 = 0;
  auto start = [&] {
    protected32();
    code(loop);
    bus.set_dword(kData, 0);
    set(RCX, 5);
    set(RBX, 1);
    c0 = cpu.state().cycles;
    i0 = cpu.state().instret;
  };
  auto outcome = [&] {
    const State& st = cpu.state();
    return Outcome{reg(RAX), reg(RBX), reg(RCX), uint32_t(st.rip), eflags(), bus.dword(kData),
                   st.cycles - c0, st.instret - i0};
  };
  for (uint64_t n = 1; n <= 31; ++n) {
    start();
    for (uint64_t k = 0; k < n; ++k) run(1);
    const Outcome stepped = outcome();
    EXPECT_EQ(stepped.instret, std::min<uint64_t>(n, 31));

    start();
    cpu.run({.max_instructions = i0 + n});
    EXPECT_EQ(outcome(), stepped) << "instruction limit " << n;
    start();
    run(n);
    EXPECT_EQ(outcome(), stepped) << "step limit " << n;
    // Every instruction costs at least one cycle, so the first to reach the cycle count
    // after n instructions is the n-th.
    start();
    cpu.run({.cycle_limit = c0 + stepped.cycles});
    EXPECT_EQ(outcome(), stepped) << "cycle limit " << n;
  }
}

// A fault in a block reached through a link is reported at its own address, after the
// instructions before it in the block retired.
TEST_F(Core, FaultInLinkedBlockHasItsAddress) {
  protected32();
  code({0x31, 0xD2,   // 0: xor edx, edx
        0x89, 0xD8,   // 2: mov eax, ebx
        0xEB, 0x00,   // 4: jmp 6
        0x43,         // 6: inc ebx
        0xF7, 0xF1,   // 7: div ecx (#DE once ecx is 0, on the fourth pass)
        0x49,         // 9: dec ecx
        0xEB, 0xF4}); // 10: jmp 0
  set(RCX, 3);
  Recorder rec;
  cpu.set_observer(&rec);
  const uint64_t instret0 = cpu.state().instret;
  cpu.run({.max_steps = 26});
  cpu.set_observer(nullptr);
  ASSERT_FALSE(rec.events.empty());
  const Event& e = rec.events.front();
  EXPECT_EQ(e.kind, EventKind::Exception);
  EXPECT_EQ(e.vector, DE);
  EXPECT_EQ(e.ip, kCode + 7u);
  EXPECT_EQ(e.instret - instret0, 3 * 7 + 4u);  // three passes, then xor mov jmp inc
  EXPECT_EQ(reg(RBX), 4u);
}

}  // namespace
