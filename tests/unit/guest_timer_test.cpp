// The timer-interrupt guest (tests/guests/timer_pit.S) through `ringside run`: the 8254
// PIT's channel 0 in mode 2 interrupts through the 8259A pair. Checks the guest's output
// and exit status, that IRQ 0 arrives as vector 0x20 at exactly the cycles of the PIT's
// OUT rising edges (count 1193: every 1193 CLK pulses of 1.193182 MHz, derived from the
// CPU cycle counter), that the latched count read back is the datasheet's mode 2 count at
// that moment, and that two runs are identical.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "platform/clock.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;
constexpr uint64_t kCount = 1193;  // timer_pit.S PIT_COUNT
constexpr uint64_t kTicks = 10;    // timer_pit.S TICKS

struct GuestRun {
  int status = -1;
  std::string out, err, trace;
};

GuestRun run_guest(std::vector<std::string> args, const ptest::TempDir& dir, const std::string& trace_name) {
  GuestRun r;
  const std::string trace = dir.file(trace_name);
  args.push_back("--trace");
  args.push_back(trace);
  std::ostringstream err, help;
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  std::ifstream in(trace, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  r.trace = ss.str();
  return r;
}

// The number after `"key":` in a flat JSON line; -1 when absent.
int64_t num(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const size_t p = line.find(k);
  if (p == std::string::npos) return -1;
  return std::stoll(line.substr(p + k.size()));
}

struct TraceFacts {
  std::vector<uint64_t> irq_cycles, irq_instret;  // vector 0x20 deliveries
  int other_interrupts = 0;
  uint64_t count_write_cycle = 0;  // the PortIo event of the count's MSB (port 0x40)
  uint64_t latch_cycle = 0;        // the PortIo event of the counter latch command
};

TraceFacts facts(const std::string& trace) {
  TraceFacts f;
  std::istringstream in(trace);
  std::string line;
  int writes_40 = 0;
  while (std::getline(in, line)) {
    if (line.find("\"kind\":\"interrupt\"") != std::string::npos) {
      if (num(line, "vector") == 0x20 && line.find("\"source\":\"external\"") != std::string::npos) {
        f.irq_cycles.push_back(uint64_t(num(line, "cycle")));
        f.irq_instret.push_back(uint64_t(num(line, "instret")));
      } else {
        ++f.other_interrupts;
      }
    } else if (line.find("\"kind\":\"port_io\"") != std::string::npos &&
               line.find("\"write\":true") != std::string::npos) {
      if (num(line, "port") == 0x40 && ++writes_40 == 2) f.count_write_cycle = uint64_t(num(line, "cycle"));
      if (num(line, "port") == 0x43 && num(line, "value") == 0) f.latch_cycle = uint64_t(num(line, "cycle"));
    }
  }
  return f;
}

// A PortIo event is stamped after the access's own cost: the device saw a cycle at most
// this much earlier.
constexpr uint64_t kIoSlack = 200;

TEST(GuestTimer, PitInterruptsArriveAtTheOutEdgesThroughThePic) {
  ptest::TempDir dir;
  const GuestRun r = run_guest({kGuests + "/timer_pit.elf"}, dir, "t.jsonl");
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.out << r.err;
  const std::string head =
      "timer_pit: start\n"
      "timer_pit: ticks=0000000a halts=0000000a other=00000000\n"
      "timer_pit: counter=";
  ASSERT_EQ(r.out.substr(0, head.size()), head) << r.out;
  const std::string tail = "\ntimer_pit: done\n";
  ASSERT_GE(r.out.size(), head.size() + 8 + tail.size());
  EXPECT_EQ(r.out.substr(head.size() + 8), tail);
  const uint64_t counter = std::stoull(r.out.substr(head.size(), 8), nullptr, 16);

  const TraceFacts f = facts(r.trace);
  EXPECT_EQ(f.other_interrupts, 0);
  ASSERT_EQ(f.irq_cycles.size(), kTicks);
  ASSERT_GT(f.count_write_cycle, 0u);
  ASSERT_GT(f.latch_cycle, 0u);

  // 8254 "Mode 2": the count is loaded at the CLK pulse after the write (pulse T + 1) and
  // OUT rises every kCount pulses after that. ICW1 forgot the rising edge of the control
  // word, so the k-th interrupt is the k-th edge: pulse T + 1 + k * kCount. The CPU halts
  // in between, so it takes each interrupt at the edge's very cycle.
  platform::Clock clock;  // the default 1000 MHz
  const uint64_t hz = platform::kPitHz;
  bool matched = false;
  for (uint64_t c = f.count_write_cycle - kIoSlack; c <= f.count_write_cycle && !matched; ++c) {
    const uint64_t start = clock.ticks(c, hz) + 1;
    bool all = true;
    for (uint64_t k = 1; k <= kTicks; ++k) all = all && f.irq_cycles[k - 1] == clock.cycle_of_tick(start + k * kCount, hz);
    if (all) {
      matched = true;
      // The latched count: kCount - (pulses since the load mod kCount), read at the latch.
      const uint64_t lo = clock.ticks(f.latch_cycle - kIoSlack, hz), hi = clock.ticks(f.latch_cycle, hz);
      bool counter_ok = false;
      for (uint64_t t = lo; t <= hi; ++t) counter_ok = counter_ok || counter == kCount - (t - start) % kCount;
      EXPECT_TRUE(counter_ok) << counter;
    }
  }
  EXPECT_TRUE(matched) << "first IRQ 0 at cycle " << f.irq_cycles[0];
  // The spacing is the period in cycles: 1193 / 1.193182 MHz = 999847.5 cycles at 1 GHz.
  for (size_t k = 1; k < f.irq_cycles.size(); ++k) {
    const uint64_t gap = f.irq_cycles[k] - f.irq_cycles[k - 1];
    EXPECT_TRUE(gap == 999847 || gap == 999848) << gap;
  }
}

TEST(GuestTimer, TheCpuClockScalesThePeriodInCycles) {
  ptest::TempDir dir;
  const GuestRun r = run_guest({kGuests + "/timer_pit.elf", "--cpu-mhz", "2000"}, dir, "t2.jsonl");
  EXPECT_EQ(r.status, 33) << r.out << r.err;
  const TraceFacts f = facts(r.trace);
  ASSERT_EQ(f.irq_cycles.size(), kTicks);
  // 1193 pulses at 2 GHz: 1999694.9 cycles.
  for (size_t k = 1; k < f.irq_cycles.size(); ++k) {
    const uint64_t gap = f.irq_cycles[k] - f.irq_cycles[k - 1];
    EXPECT_TRUE(gap == 1999694 || gap == 1999695) << gap;
  }
}

TEST(GuestTimer, TwoRunsGiveIdenticalTracesAndInterruptInstructionCounts) {
  ptest::TempDir dir;
  const GuestRun a = run_guest({kGuests + "/timer_pit.elf", "--dump-state"}, dir, "a.jsonl");
  const GuestRun b = run_guest({kGuests + "/timer_pit.elf", "--dump-state"}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(a.out, b.out);
  const TraceFacts fa = facts(a.trace), fb = facts(b.trace);
  ASSERT_EQ(fa.irq_instret.size(), kTicks);
  EXPECT_EQ(fa.irq_instret, fb.irq_instret);
  EXPECT_EQ(fa.irq_cycles, fb.irq_cycles);
  const size_t pa = a.err.find("hash"), pb = b.err.find("hash");
  ASSERT_NE(pa, std::string::npos) << a.err;
  ASSERT_NE(pb, std::string::npos) << b.err;
  EXPECT_EQ(a.err.substr(pa, a.err.find('\n', pa) - pa), b.err.substr(pb, b.err.find('\n', pb) - pb));
}

}  // namespace

#include "platform/loaders/image.h"
#include "platform/loaders/multiboot.h"
#include "platform/machine.h"

namespace {

// Slicing must not move an interrupt: one step at a time (as a debugger runs) ends in the
// state of one uninterrupted run, with the same cycle and instruction counts.
TEST(GuestTimer, SteppingEndsInTheSameStateAsRunning) {
  auto boot = [](std::string& out) {
    platform::MachineConfig cfg;
    cfg.output = [&out](uint8_t b) { out += char(b); };
    auto m = std::make_unique<platform::Machine>(cfg);
    platform::load_multiboot(*m, platform::read_image(kGuests + "/timer_pit.elf"), {});
    return m;
  };
  std::string out_run, out_step;
  auto a = boot(out_run);
  const platform::RunOutcome ra = a->run({});
  auto b = boot(out_step);
  platform::RunOutcome rb;
  unsigned steps = 0;
  for (;;) {
    rb = b->run({.max_steps = 1});
    if (rb.kind != platform::StopKind::StepLimit) break;
    ASSERT_LT(++steps, 1000000u);
  }
  EXPECT_EQ(ra.kind, platform::StopKind::ExitPort) << ra.detail;
  EXPECT_EQ(rb.kind, ra.kind);
  EXPECT_EQ(out_step, out_run);
  EXPECT_EQ(b->cpu().state().instret, a->cpu().state().instret);
  EXPECT_EQ(b->cpu().state().cycles, a->cpu().state().cycles);
  EXPECT_EQ(b->state_hash(), a->state_hash());
}

}  // namespace
