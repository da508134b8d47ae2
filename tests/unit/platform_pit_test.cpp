// The 8254 PIT and port 0x61, driven through their ports at chosen CPU cycles, checked
// against the Intel 8254 datasheet (231164): counts and OUT over time in each mode (a
// count written between CLK pulses t and t+1 is loaded at pulse t+1), the counter latch
// and read-back commands, the status byte, LSB/MSB sequencing, BCD, GATE, and the IRQ 0
// edges of channel 0 placed on the scheduler without drift. Section names in comments are
// the datasheet's. The CPU runs at 1 GHz: pulse t happens at Clock::cycle_of_tick(t).
#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <utility>
#include <vector>

#include "platform/devices/pit8254.h"
#include "platform/machine.h"
#include "platform/state_io.h"

using namespace platform;

namespace {

// Records IRQ 0 levels with the cycle they were driven at.
struct Recorder final : IrqRouter {
  explicit Recorder(const uint64_t* c) : cycles(c) {}
  void set_isa_irq(unsigned irq, bool level) override {
    EXPECT_EQ(irq, 0u);
    log.emplace_back(*cycles, level);
  }
  // Cycles at which the line rose.
  std::vector<uint64_t> rises() const {
    std::vector<uint64_t> r;
    for (auto [c, l] : log) {
      if (l) r.push_back(c);
    }
    return r;
  }
  const uint64_t* cycles;
  std::vector<std::pair<uint64_t, bool>> log;
};

struct PitFixture : ::testing::Test {
  uint64_t cycles = 0;
  Clock clock;  // 1 GHz
  Scheduler sched;
  Recorder irq{&cycles};
  Pit8254 pit{clock, sched, &irq};

  PitFixture() { sched.set_clock(&cycles); }

  uint64_t cycle_of(uint64_t tick) const { return clock.cycle_of_tick(tick, kPitHz); }
  // Runs time forward to `cycle`, firing scheduled events at their cycles.
  void advance_to_cycle(uint64_t cycle) {
    while (sched.next_deadline() <= cycle) {
      cycles = std::max(cycles, sched.next_deadline());
      sched.run_due(cycles);
    }
    cycles = std::max(cycles, cycle);
  }
  // The first cycle of CLK pulse t (after the pulse: reads see its effect).
  void at_tick(uint64_t t) {
    advance_to_cycle(cycle_of(t));
    ASSERT_EQ(pit.tick(), t);
  }
  void out(uint16_t port, uint8_t v) { pit.io_write(port, 1, v); }
  uint8_t in(uint16_t port) { return uint8_t(pit.io_read(port, 1)); }
  // Counter latch command, then LSB and MSB (RW=3).
  uint16_t latched(unsigned ch) {
    out(0x43, uint8_t(ch << 6));
    const uint8_t lo = in(uint16_t(0x40 + ch));
    return uint16_t(lo | in(uint16_t(0x40 + ch)) << 8);
  }
  // Read-back of channel `ch`'s status byte only.
  uint8_t status(unsigned ch) {
    out(0x43, uint8_t(0xE0 | (2u << ch)));
    return in(uint16_t(0x40 + ch));
  }
  bool out0() { return status(0) & 0x80; }
};

TEST_F(PitFixture, Mode0InterruptOnTerminalCount) {
  at_tick(10);
  out(0x43, 0x30);  // counter 0, LSB then MSB, mode 0, binary
  EXPECT_FALSE(out0());  // "Mode 0": OUT low after the control word
  out(0x40, 5);
  out(0x40, 0);
  // "Status Byte": NULL COUNT until the count is loaded on the next CLK pulse.
  EXPECT_EQ(status(0), 0x70);
  at_tick(11);
  EXPECT_EQ(status(0), 0x30);
  EXPECT_EQ(latched(0), 5);
  at_tick(13);
  EXPECT_EQ(latched(0), 3);
  at_tick(15);
  EXPECT_EQ(latched(0), 1);
  EXPECT_FALSE(out0());
  // OUT goes high N + 1 pulses after the count was written, and stays high; the counter
  // keeps decrementing through zero.
  at_tick(16);
  EXPECT_EQ(latched(0), 0);
  EXPECT_TRUE(out0());
  at_tick(17);
  EXPECT_EQ(latched(0), 0xFFFF);
  EXPECT_TRUE(out0());
  // One IRQ 0 rising edge, scheduled exactly at pulse 16; nothing more to schedule.
  EXPECT_EQ(irq.rises(), std::vector<uint64_t>{cycle_of(16)});
  EXPECT_TRUE(sched.empty());
}

TEST_F(PitFixture, Mode0FirstByteOfACountStopsCounting) {
  out(0x43, 0x30);
  out(0x40, 0x10);
  out(0x40, 0x00);
  at_tick(5);
  EXPECT_EQ(latched(0), 0x10 - 4);
  // "Mode 0": writing the first byte disables counting (and OUT is low); the second
  // byte loads the new count on the next pulse.
  out(0x40, 0x03);
  at_tick(9);
  EXPECT_EQ(latched(0), 0x10 - 4);
  out(0x40, 0x00);
  at_tick(10);
  EXPECT_EQ(latched(0), 3);
  at_tick(13);
  EXPECT_TRUE(out0());
  EXPECT_EQ(irq.rises(), std::vector<uint64_t>{cycle_of(13)});
}

TEST_F(PitFixture, Mode2RateGeneratorFiresEvery1193PulsesWithoutDrift) {
  at_tick(10);
  out(0x43, 0x34);  // counter 0, LSB/MSB, mode 2, binary
  EXPECT_EQ(irq.log.size(), 1u);  // OUT high: IRQ 0 rises at programming (from power-on low)
  out(0x40, 1193 & 0xFF);
  out(0x40, 1193 >> 8);
  // "Mode 2": loaded at pulse 11; counts N .. 1; OUT low while the count is 1; at the
  // next pulse OUT goes high and N is reloaded. Period N pulses.
  at_tick(11);
  EXPECT_EQ(latched(0), 1193);
  EXPECT_TRUE(out0());
  at_tick(11 + 1191);
  EXPECT_EQ(latched(0), 2);
  at_tick(11 + 1192);
  EXPECT_EQ(latched(0), 1);
  EXPECT_FALSE(out0());
  at_tick(11 + 1193);
  EXPECT_EQ(latched(0), 1193);
  EXPECT_TRUE(out0());
  // 1000 periods: IRQ 0 rises at pulse 11 + 1193 k exactly, k = 1..1000 (1193 pulses at
  // 1.193182 MHz = 999.85 us: about one per million cycles).
  advance_to_cycle(cycle_of(11 + 1193 * 1000));
  const std::vector<uint64_t> r = irq.rises();
  ASSERT_EQ(r.size(), 1u + 1000u);
  for (uint64_t k = 1; k <= 1000; ++k) ASSERT_EQ(r[k], cycle_of(11 + 1193 * k)) << k;
  for (uint64_t k = 2; k <= 1000; ++k) {
    const uint64_t gap = r[k] - r[k - 1];
    ASSERT_TRUE(gap == 999847 || gap == 999848) << gap;
  }
  // Each edge is a low-to-high transition on the line.
  EXPECT_EQ(irq.log.size(), 1u + 2u * 1000u);
  EXPECT_EQ(pit.next_edge_tick(), 11u + 1193u * 1001u);
}

TEST_F(PitFixture, Mode2NewCountTakesEffectAtTheNextReload) {
  out(0x43, 0x34);
  out(0x40, 100);
  out(0x40, 0);
  at_tick(31);  // start 1: d = 30
  EXPECT_EQ(latched(0), 70);
  out(0x40, 50);
  out(0x40, 0);
  EXPECT_EQ(status(0) & 0x40, 0x40);  // NULL COUNT until the reload
  at_tick(100);
  EXPECT_EQ(latched(0), 1);
  at_tick(101);
  EXPECT_EQ(latched(0), 50);
  EXPECT_EQ(status(0) & 0x40, 0);
  advance_to_cycle(cycle_of(201));
  EXPECT_EQ(irq.rises(), (std::vector<uint64_t>{0, cycle_of(101), cycle_of(151), cycle_of(201)}));
}

TEST_F(PitFixture, Mode3SquareWave) {
  out(0x43, 0x36);  // counter 0, LSB/MSB, mode 3
  out(0x40, 6);
  out(0x40, 0);
  // "Mode 3", even count: OUT high for N/2 pulses and low for N/2, CE decrementing by 2.
  const uint16_t values[] = {6, 4, 2, 6, 4, 2, 6};
  const bool outs[] = {true, true, true, false, false, false, true};
  for (unsigned i = 0; i < 7; ++i) {
    at_tick(1 + i);
    EXPECT_EQ(latched(0), values[i]) << i;
    EXPECT_EQ(out0(), outs[i]) << i;
  }
  // Odd count 5: high for (N+1)/2 = 3 pulses, low for (N-1)/2 = 2.
  out(0x43, 0x36);
  out(0x40, 5);
  out(0x40, 0);
  const uint64_t s = pit.tick() + 1;
  const bool odd_outs[] = {true, true, true, false, false, true, true, true, false, false};
  for (unsigned i = 0; i < 10; ++i) {
    at_tick(s + i);
    EXPECT_EQ(out0(), odd_outs[i]) << i;
  }
  // Rising edges start each period.
  const std::vector<uint64_t> r = irq.rises();
  ASSERT_GE(r.size(), 3u);
  EXPECT_EQ(r[r.size() - 1], cycle_of(s + 5));
}

TEST_F(PitFixture, LatchHoldsTheCountUntilReadAndIgnoresASecondLatch) {
  out(0x43, 0x34);
  out(0x40, 0x00);
  out(0x40, 0x10);  // 0x1000
  at_tick(1 + 0x10);
  out(0x43, 0x00);  // "Counter Latch Command"
  at_tick(1 + 0x50);
  out(0x43, 0x00);  // ignored: the first latch has not been read
  EXPECT_EQ(in(0x40), 0xF0);
  at_tick(1 + 0x60);
  EXPECT_EQ(in(0x40), 0x0F);  // 0x1000 - 0x10 = 0x0FF0
  // Unlatched reads follow the live counter, LSB then MSB.
  EXPECT_EQ(in(0x40), 0xA0);
  EXPECT_EQ(in(0x40), 0x0F);
}

TEST_F(PitFixture, ReadBackLatchesStatusThenCountOfSeveralCounters) {
  out(0x43, 0x34);
  out(0x40, 0x34);
  out(0x40, 0x12);
  out(0x43, 0x74);  // counter 1, LSB/MSB, mode 2
  out(0x41, 0x00);
  out(0x41, 0x01);
  at_tick(3);
  // "Read-Back Command": 11 0 0 1 1 1 0: count and status of counters 0, 1 and 2.
  out(0x43, 0xCE);
  at_tick(50);
  // Status first: OUT, NULL COUNT, RW, mode, BCD as programmed.
  EXPECT_EQ(in(0x40), 0x80 | 0x34);
  EXPECT_EQ(in(0x40), 0x32);  // 0x1234 - 2
  EXPECT_EQ(in(0x40), 0x12);
  EXPECT_EQ(in(0x41), 0x80 | 0x34);
  EXPECT_EQ(in(0x41), 0xFE);  // 0x100 - 2
  EXPECT_EQ(in(0x41), 0x00);
  // Counter 2 was never given a count: mode 0 (OUT low), NULL COUNT.
  EXPECT_EQ(in(0x42), 0x40 | 0x30);
  // The control port does not read.
  EXPECT_EQ(in(0x43), 0xFF);
}

TEST_F(PitFixture, LsbOnlyAndMsbOnlyCounts) {
  out(0x43, 0x54);  // counter 1, LSB only, mode 2
  out(0x41, 0x80);
  at_tick(1);
  EXPECT_EQ(in(0x41), 0x80);
  EXPECT_EQ(in(0x41), 0x80);  // every read is the LSB
  out(0x43, 0x64);  // counter 1, MSB only, mode 2
  out(0x41, 0x02);  // 0x0200
  const uint64_t s = pit.tick() + 1;
  at_tick(s + 0x100);
  EXPECT_EQ(in(0x41), 0x01);  // 0x0100: every read is the MSB
  EXPECT_EQ(in(0x41), 0x01);
  // RW=3: a latched count reads LSB, then MSB.
  out(0x43, 0x34);
  out(0x40, 0x22);
  out(0x40, 0x11);
  at_tick(pit.tick() + 1);
  out(0x43, 0x00);
  EXPECT_EQ(pit.io_read(0x40, 1), 0x22u);
  EXPECT_EQ(pit.io_read(0x40, 1), 0x11u);
}

TEST_F(PitFixture, BcdCountsInDecimal) {
  out(0x43, 0x31);  // counter 0, LSB/MSB, mode 0, BCD
  out(0x40, 0x00);
  out(0x40, 0x01);  // 0100 decimal
  at_tick(1);
  EXPECT_EQ(latched(0), 0x0100);
  at_tick(2);
  EXPECT_EQ(latched(0), 0x0099);
  at_tick(101);
  EXPECT_EQ(latched(0), 0x0000);
  at_tick(102);
  EXPECT_EQ(latched(0), 0x9999);  // wraps in decimal
  EXPECT_EQ(status(0), 0x80 | 0x31);
}

TEST_F(PitFixture, Channel2GateComesFromPort61) {
  // Power-on: port 0x61 bit 0 (timer 2 gate) is 0.
  EXPECT_EQ(in(0x61) & 0x01, 0);
  out(0x43, 0xB4);  // counter 2, LSB/MSB, mode 2
  out(0x42, 10);
  out(0x42, 0);
  at_tick(5);
  // GATE low: not counting, OUT high ("Mode 2": GATE = 0 forces OUT high).
  EXPECT_EQ(latched(2), 10);
  EXPECT_EQ(in(0x61) & 0x20, 0x20);
  out(0x61, 0x01);  // gate rising edge: reload on the next pulse
  at_tick(6);
  EXPECT_EQ(latched(2), 10);
  at_tick(14);
  EXPECT_EQ(latched(2), 2);
  at_tick(15);
  EXPECT_EQ(latched(2), 1);
  EXPECT_EQ(in(0x61) & 0x20, 0);  // OUT low while the count is 1
  at_tick(18);
  out(0x61, 0x00);  // gate low: stops counting, OUT high
  at_tick(30);
  EXPECT_EQ(latched(2), 8);  // frozen at the value it had at pulse 18
  EXPECT_EQ(in(0x61) & 0x20, 0x20);
  // Mode 0 is suspended by GATE low and resumes where it stopped.
  out(0x43, 0xB0);
  out(0x42, 20);
  out(0x42, 0);
  at_tick(40);
  EXPECT_EQ(latched(2), 20);
  out(0x61, 0x01);
  at_tick(45);
  EXPECT_EQ(latched(2), 15);
  out(0x61, 0x00);
  at_tick(60);
  EXPECT_EQ(latched(2), 15);
  EXPECT_TRUE(irq.log.empty());  // channel 2 never touches IRQ 0
}

TEST_F(PitFixture, GateTriggeredModes1And5AndSoftwareStrobe4) {
  out(0x43, 0xB2);  // counter 2, mode 1
  out(0x42, 4);
  out(0x42, 0);
  at_tick(3);
  EXPECT_EQ(in(0x61) & 0x20, 0x20);  // "Mode 1": OUT high until triggered
  out(0x61, 0x01);                   // trigger
  at_tick(4);
  EXPECT_EQ(in(0x61) & 0x20, 0);
  at_tick(7);
  EXPECT_EQ(in(0x61) & 0x20, 0);
  at_tick(8);
  EXPECT_EQ(in(0x61) & 0x20, 0x20);  // OUT high at terminal count, N pulses later
  out(0x43, 0xBA);                   // counter 2, mode 5
  out(0x42, 3);
  out(0x42, 0);
  out(0x61, 0x00);
  at_tick(10);
  out(0x61, 0x01);  // trigger: loaded at 11, terminal count at 14
  at_tick(13);
  EXPECT_EQ(in(0x61) & 0x20, 0x20);
  at_tick(14);
  EXPECT_EQ(in(0x61) & 0x20, 0);  // "Mode 5": OUT low for one pulse
  at_tick(15);
  EXPECT_EQ(in(0x61) & 0x20, 0x20);
  // Mode 4 on counter 0: the strobe's end is an IRQ 0 rising edge.
  at_tick(20);
  out(0x43, 0x38);
  out(0x40, 3);
  out(0x40, 0);
  at_tick(24);
  EXPECT_FALSE(out0());
  advance_to_cycle(cycle_of(30));
  EXPECT_EQ(irq.rises().back(), cycle_of(25));
  EXPECT_TRUE(sched.empty());
}

TEST_F(PitFixture, Port61StoresItsControlBitsAndTogglesRefresh) {
  out(0x61, 0xFE);
  EXPECT_EQ(in(0x61) & 0xCF, 0x0E);  // bits 7:4 are status; written bits 3:0 kept
  // Bit 4 flips every 18 pulses (~15 us).
  at_tick(17);
  const uint8_t a = in(0x61) & 0x10;
  at_tick(18);
  const uint8_t b = in(0x61) & 0x10;
  at_tick(35);
  const uint8_t c = in(0x61) & 0x10;
  EXPECT_NE(a, b);
  EXPECT_EQ(b, c);
}

TEST_F(PitFixture, SaveLoadRoundTripReArmsTheEdgeAndRejectsBadStates) {
  out(0x43, 0x34);
  out(0x40, 1193 & 0xFF);
  out(0x40, 1193 >> 8);
  out(0x43, 0x70);
  out(0x41, 0x12);  // half a count on counter 1
  out(0x61, 0x03);
  out(0x43, 0xB6);
  out(0x42, 0x00);
  out(0x42, 0x01);
  at_tick(3000);
  out(0x43, 0x80);  // latch counter 2
  StateWriter w;
  pit.save(w);

  // A second machine at the same cycle.
  Scheduler sched2;
  sched2.set_clock(&cycles);
  Recorder irq2{&cycles};
  Pit8254 copy(clock, sched2, &irq2);
  StateReader r(w.data());
  copy.load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(copy.dump(), pit.dump());
  EXPECT_EQ(sched2.next_deadline(), sched.next_deadline());
  EXPECT_EQ(sched2.next_deadline(), cycle_of(1 + 1193 * 3));
  EXPECT_EQ(copy.counter(2), pit.counter(2));
  // Both run on identically.
  const uint64_t end = cycle_of(20000);
  advance_to_cycle(end);
  while (sched2.next_deadline() <= end) sched2.run_due(sched2.next_deadline());
  EXPECT_EQ(copy.dump(), pit.dump());
  EXPECT_EQ(irq2.log.size(), 1 + 2 * (irq.rises().size() - 1 - 2));  // rises after tick 3000

  // Malformed: counter 0's control word with RW = 00 (that is a latch command, never a
  // mode), and an edge event that does not match the counter.
  const size_t base = 8 + 7;  // the section marker
  std::vector<uint8_t> bad = w.data();
  bad[base] = 0x04;
  StateReader rb(bad);
  EXPECT_THROW(copy.load(rb), StateError);
  bad = w.data();
  bad[bad.size() - 8] ^= 0x01;  // next_edge, little endian
  StateReader rc(bad);
  EXPECT_THROW(copy.load(rc), StateError);
  bad = w.data();
  bad.resize(bad.size() - 3);
  StateReader rd(bad);
  EXPECT_THROW(copy.load(rd), StateError);
}

// Through the machine: channel 0 reaches the 8259A as ISA IRQ 0.
TEST(MachinePit, Channel0InterruptsThroughThePic) {
  Machine m;  // 1000 MHz
  for (auto [port, v] : {std::pair<uint16_t, uint8_t>{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04},
                         {0x21, 0x01}, {0x21, 0xFE}}) {
    m.io_write(port, 1, v);
  }
  m.io_write(0x43, 1, 0x34);
  m.io_write(0x40, 1, 1193 & 0xFF);
  m.io_write(0x40, 1, 1193 >> 8);
  // Programming mode 2 raised OUT from its power-on low: that edge is already pending.
  EXPECT_EQ(m.intr_ack(), 0x20);
  m.io_write(0x20, 1, 0x20);
  EXPECT_FALSE(m.pic8259().intr_pending());
  const uint64_t due = m.clock().cycle_of_tick(1 + 1193, kPitHz);
  EXPECT_EQ(m.scheduler().next_deadline(), due);
  m.cpu().state().cycles = due;
  m.scheduler().run_due(due);
  EXPECT_TRUE(m.pic8259().intr_pending());
  EXPECT_EQ(m.intr_ack(), 0x20);
  EXPECT_NE(m.dump().find("[pit8254]\nch0.control=34"), std::string::npos);
}

TEST(MachinePit, MachineResetStopsTheTimerAndRestoresPowerOnState) {
  Machine m, fresh;
  m.io_write(0x43, 1, 0x34);
  m.io_write(0x40, 1, 0x00);
  m.io_write(0x40, 1, 0x10);
  m.io_write(0x61, 1, 0x03);
  m.io_write(0x20, 1, 0x11);
  EXPECT_FALSE(m.scheduler().empty());
  m.reset();
  EXPECT_TRUE(m.scheduler().empty());
  EXPECT_EQ(m.pit8254().dump(), fresh.pit8254().dump());
  EXPECT_EQ(m.pic8259().dump(), fresh.pic8259().dump());
}

}  // namespace

namespace {

// Guest input is untrusted: any access sequence at any time leaves both devices in a
// state their own load() accepts, and never crashes or hangs (a fixed-seed sequence of
// random accesses to every port of both chips, with IRQ lines toggling and time passing).
TEST(PicPitRobustness, RandomAccessesKeepValidSavableStates) {
  Machine m;
  std::mt19937 rng(12345);
  const uint16_t ports[] = {0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1, 0x40, 0x41, 0x42, 0x43, 0x61};
  uint64_t now = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint16_t port = ports[rng() % std::size(ports)];
    const unsigned size = (rng() % 8 == 0) ? 2u : 1u;
    if (rng() % 2) {
      m.io_write(port, size, rng());
    } else {
      uint32_t v = 0;
      m.io_read(port, size, v);
    }
    if (rng() % 16 == 0) m.set_isa_irq(1 + rng() % 15, rng() % 2);  // IRQ 0 is the PIT's
    if (m.pic8259().intr_pending() && rng() % 4 == 0) m.intr_ack();
    now += rng() % 5000;
    m.cpu().state().cycles = now;
    m.scheduler().run_due(now);
    if (i % 1000 == 999) {
      StateWriter w;
      m.pic8259().save(w);
      m.pit8254().save(w);
      Machine other;
      other.cpu().state().cycles = now;
      StateReader r(w.data());
      ASSERT_NO_THROW(other.pic8259().load(r)) << i;
      ASSERT_NO_THROW(other.pit8254().load(r)) << i;
      EXPECT_TRUE(r.at_end());
      EXPECT_EQ(other.pic8259().dump(), m.pic8259().dump());
      EXPECT_EQ(other.pit8254().dump(), m.pit8254().dump());
    }
  }
}

}  // namespace
