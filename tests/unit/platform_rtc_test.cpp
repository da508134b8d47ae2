// The MC146818A CMOS RTC, driven through ports 0x70/0x71 with machine time set by hand.
// "DS" is the Motorola MC146818A datasheet; the NVRAM layout is the IBM PC AT Technical
// Reference's "CMOS RAM Address Map".
#include <gtest/gtest.h>

#include <vector>

#include "platform/devices/mc146818.h"
#include "platform/machine.h"

using namespace platform;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;  // cycles at 1000 MHz

// Records every level the RTC drives onto ISA IRQ8.
class IrqRecorder final : public IrqRouter {
 public:
  void set_isa_irq(unsigned irq, bool level) override { changes.push_back({irq, level}); }
  std::vector<std::pair<unsigned, bool>> changes;
};

// An RTC on its own: a scheduler whose clock is `cycles`, a 1000 MHz CPU clock.
struct Rig {
  explicit Rig(RtcTime start = {}, uint64_t cpu_hz = kSecond) : clock{cpu_hz} {
    sched.set_clock(&cycles);
    rtc = std::make_unique<Mc146818>(sched, clock, IrqLine(&irq, Mc146818::kIrq), start);
  }
  // Machine time moves to `c`; due events run there (as Machine::run does).
  void at(uint64_t c) {
    cycles = c;
    sched.run_due(c);
  }
  uint8_t read(uint8_t index) {
    rtc->io_write(0x70, 1, index);
    return uint8_t(rtc->io_read(0x71, 1));
  }
  void write(uint8_t index, uint8_t v) {
    rtc->io_write(0x70, 1, index);
    rtc->io_write(0x71, 1, v);
  }
  // hh:mm:ss as the registers hold it, e.g. "00:00:01" (BCD shows as decimal).
  std::string hms() {
    char b[16];
    std::snprintf(b, sizeof b, "%02x:%02x:%02x", read(4), read(2), read(0));
    return b;
  }
  std::string date() {  // cc yy-mm-dd dow
    char b[32];
    std::snprintf(b, sizeof b, "%02x%02x-%02x-%02x dow%u", read(0x32), read(9), read(8), read(7), read(6));
    return b;
  }

  uint64_t cycles = 0;
  Scheduler sched;
  Clock clock;
  IrqRecorder irq;
  std::unique_ptr<Mc146818> rtc;
};

TEST(Rtc, PowerOnStateAndDefaultStartTime) {
  Rig r;
  EXPECT_EQ(r.read(0x0A), 0x26);  // DV = 010, RS = 0110
  EXPECT_EQ(r.read(0x0B), 0x02);  // 24-hour, BCD
  EXPECT_EQ(r.read(0x0C), 0x00);
  EXPECT_EQ(r.read(0x0D), 0x80);  // VRT
  EXPECT_EQ(r.hms(), "00:00:00");
  EXPECT_EQ(r.date(), "2000-01-01 dow7");  // 2000-01-01 was a Saturday (DS: 1 = Sunday)
  EXPECT_EQ(r.rtc->io_read(0x70, 1), 0xFFu);  // the index port is write only
  EXPECT_FALSE(r.rtc->irq_level());
}

TEST(Rtc, SecondsAdvanceWithTheCycleCounter) {
  Rig r;
  r.at(kSecond - 1);
  EXPECT_EQ(r.hms(), "00:00:00");
  r.at(kSecond);  // 1e9 cycles at 1000 MHz: one update cycle has ended
  EXPECT_EQ(r.hms(), "00:00:01");
  r.at(3661 * kSecond + 5);
  EXPECT_EQ(r.hms(), "01:01:01");
  // A slower CPU clock stretches the same time over fewer cycles.
  Rig slow({}, 2'000'000);  // 2 MHz
  slow.at(2'000'000 * 59);
  EXPECT_EQ(slow.hms(), "00:00:59");
  slow.at(2'000'000 * 60);
  EXPECT_EQ(slow.hms(), "00:01:00");
}

TEST(Rtc, CalendarRollsOverLeapDaysYearsAndTheCentury) {
  Rig leap(*parse_rtc_time("2000-02-28T23:59:59"));
  leap.at(kSecond);
  EXPECT_EQ(leap.date(), "2000-02-29 dow3");  // Tuesday
  leap.at(kSecond + 86400 * kSecond);
  EXPECT_EQ(leap.date(), "2000-03-01 dow4");
  Rig plain(*parse_rtc_time("2001-02-28T23:59:59"));
  plain.at(kSecond);
  EXPECT_EQ(plain.date(), "2001-03-01 dow5");
  Rig century(*parse_rtc_time("1999-12-31T23:59:59"));
  EXPECT_EQ(century.date(), "1999-12-31 dow6");
  century.at(kSecond);
  EXPECT_EQ(century.date(), "2000-01-01 dow7");
  EXPECT_EQ(century.hms(), "00:00:00");
}

TEST(Rtc, LongIdleSpansAreComputedWithoutStepping) {
  Rig r;  // 2000-01-01 + 400 days = 2001-02-04, a Sunday; plus 1 h 2 min 3 s
  r.at((400 * 86400 + 3723) * kSecond);
  EXPECT_EQ(r.date(), "2001-02-04 dow1");
  EXPECT_EQ(r.hms(), "01:02:03");
  Rig far(*parse_rtc_time("2026-11-25T12:00:00"));  // 36525 days: the chip's 100-year cycle
  far.at(36525ull * 86400 * kSecond);
  EXPECT_EQ(far.date(), "2126-11-25 dow3");  // 36525 % 7 = 6 days on; 0x32 carried
}

TEST(Rtc, BinaryAndTwelveHourModes) {
  Rig r;
  // DS "Register B": set SET, choose binary (DM) and 12-hour mode, write the time, clear SET.
  r.write(0x0B, 0x80 | 0x04);  // SET | DM, 24/12 = 0
  r.write(0x04, 0x80 | 11);    // 11 PM, binary
  r.write(0x02, 59);
  r.write(0x00, 59);
  r.write(0x0B, 0x04);
  r.at(kSecond);
  EXPECT_EQ(r.read(0x04), 12);  // 12 AM: midnight
  EXPECT_EQ(r.read(0x02), 0);
  EXPECT_EQ(r.read(0x00), 0);
  EXPECT_EQ(r.read(0x07), 2);   // next day, in binary
  r.write(0x0B, 0x80 | 0x04);
  r.write(0x04, 11);  // 11:59:59 AM
  r.write(0x02, 59);
  r.write(0x00, 59);
  r.write(0x0B, 0x04);
  r.at(2 * kSecond);
  EXPECT_EQ(r.read(0x04), 0x80 | 12);  // 12 PM: noon
  // BCD 12-hour: 12:59:59 PM -> 01:00:00 PM.
  r.write(0x0B, 0x80);
  r.write(0x04, 0x92);
  r.write(0x02, 0x59);
  r.write(0x00, 0x59);
  r.write(0x0B, 0x00);
  r.at(3 * kSecond);
  EXPECT_EQ(r.hms(), "81:00:00");
}

TEST(Rtc, SetBitStopsUpdatesAndClearsUie) {
  Rig r;
  r.write(0x0B, 0x02 | 0x10);  // UIE
  EXPECT_EQ(r.read(0x0B), 0x12);
  r.write(0x0B, 0x80 | 0x02 | 0x10);  // SET clears UIE (DS "Register B")
  EXPECT_EQ(r.read(0x0B), 0x82);
  r.write(0x04, 0x23);
  r.write(0x02, 0x59);
  r.write(0x00, 0x58);
  r.at(5 * kSecond);
  EXPECT_EQ(r.hms(), "23:59:58");  // no update while SET
  EXPECT_EQ(r.read(0x0C), 0x40);   // no UF; PF: the divider and periodic edges run on
  r.write(0x0B, 0x02);
  r.at(6 * kSecond);
  EXPECT_EQ(r.hms(), "23:59:59");
  r.at(7 * kSecond);
  EXPECT_EQ(r.hms(), "00:00:00");
  EXPECT_EQ(r.date(), "2000-01-02 dow1");
}

TEST(Rtc, UipCoversTheLast2228MicrosecondsBeforeEachUpdate) {
  Rig r;
  // DS "Update Cycle": UIP rises tBUC = 244 us before the update cycle, which lasts
  // tUC = 1984 us; the registers change at its end (here: at each whole second).
  const uint64_t us = 1000;  // cycles per microsecond at 1000 MHz
  r.at(kSecond - 2228 * us - 40 * us);
  EXPECT_EQ(r.read(0x0A) & 0x80, 0);
  r.at(kSecond - 2228 * us + 40 * us);
  EXPECT_EQ(r.read(0x0A) & 0x80, 0x80);
  EXPECT_EQ(r.hms(), "00:00:00");
  r.at(kSecond - 1);
  EXPECT_EQ(r.read(0x0A), 0x80 | 0x26);
  r.at(kSecond);
  EXPECT_EQ(r.read(0x0A), 0x26);
  EXPECT_EQ(r.hms(), "00:00:01");
  r.write(0x0B, 0x82);  // SET: no update cycles, UIP stays 0
  r.at(2 * kSecond - 1);
  EXPECT_EQ(r.read(0x0A) & 0x80, 0);
}

TEST(Rtc, PeriodicInterruptRateAndRegisterCClearing) {
  Rig r;
  // RS = 0110: 976.5625 us (DS Table 5). PF is set at each edge whatever PIE says.
  r.at(976'562);
  EXPECT_EQ(r.read(0x0C), 0x00);
  r.at(976'563);
  EXPECT_EQ(r.read(0x0C), 0x40);  // PF without PIE: no IRQF, no IRQ
  EXPECT_TRUE(r.irq.changes.empty());
  EXPECT_EQ(r.read(0x0C), 0x00);  // the read cleared it

  r.write(0x0B, 0x02 | 0x40);  // PIE
  r.at(1'953'124);
  EXPECT_FALSE(r.rtc->irq_level());
  r.at(1'953'125);  // the second edge
  EXPECT_TRUE(r.rtc->irq_level());
  EXPECT_EQ(r.irq.changes.back(), std::make_pair(8u, true));
  r.at(5 * 976'563);  // further edges do not change the asserted line
  EXPECT_EQ(r.read(0x0C), 0xC0);  // IRQF | PF; the read lowers IRQ8
  EXPECT_FALSE(r.rtc->irq_level());
  EXPECT_EQ(r.irq.changes.back(), std::make_pair(8u, false));

  // Count interrupts over one second, acknowledging each: 1024 Hz, then 2 Hz and 8192 Hz.
  auto count = [&](uint8_t rs) {
    Rig q;
    q.write(0x0A, uint8_t(0x20 | rs));
    q.write(0x0B, 0x02 | 0x40);
    unsigned n = 0;
    while (q.sched.next_deadline() <= kSecond) {
      q.at(q.sched.next_deadline());
      if (q.rtc->irq_level()) {
        ++n;
        EXPECT_EQ(q.read(0x0C) & 0xC0, 0xC0);
      }
    }
    return n;
  };
  EXPECT_EQ(count(0x6), 1024u);
  EXPECT_EQ(count(0xF), 2u);
  EXPECT_EQ(count(0x3), 8192u);
  EXPECT_EQ(count(0x1), 256u);  // RS 1: 3.90625 ms
  EXPECT_EQ(count(0x0), 0u);    // RS 0: off
}

TEST(Rtc, UpdateEndedAndAlarmInterrupts) {
  Rig r;
  r.write(0x0B, 0x02 | 0x10);  // UIE
  r.at(kSecond - 1);
  EXPECT_FALSE(r.rtc->irq_level());
  r.at(kSecond);
  EXPECT_TRUE(r.rtc->irq_level());
  EXPECT_EQ(r.read(0x0C), 0x90 | 0x40);  // IRQF | UF (PF too: a 1024 Hz edge is at 1 s)
  EXPECT_FALSE(r.rtc->irq_level());

  Rig a;
  a.write(0x01, 0x05);  // alarm 00:00:05
  a.write(0x03, 0x00);
  a.write(0x05, 0x00);
  a.write(0x0B, 0x02 | 0x20);  // AIE
  a.at(4 * kSecond);
  EXPECT_FALSE(a.rtc->irq_level());
  EXPECT_EQ(a.read(0x0C) & 0x20, 0);
  a.at(5 * kSecond);
  EXPECT_TRUE(a.rtc->irq_level());
  EXPECT_EQ(a.read(0x0C) & 0xB0, 0xB0);  // IRQF | AF | UF
  a.at(6 * kSecond);
  EXPECT_EQ(a.read(0x0C) & 0x20, 0);  // 00:00:06 does not match

  // Don't-care alarm bytes (bits 7-6 = 11) match every second.
  a.write(0x01, 0xC0);
  a.write(0x03, 0xFF);
  a.write(0x05, 0xC3);
  a.at(7 * kSecond);
  EXPECT_EQ(a.read(0x0C) & 0xA0, 0xA0);
  // An alarm passed during a long unobserved stretch still sets AF (without AIE too).
  Rig idle;
  idle.write(0x01, 0x30);
  idle.write(0x03, 0x15);
  idle.write(0x05, 0x10);  // 10:15:30
  idle.at(3 * 86400 * kSecond);
  EXPECT_EQ(idle.read(0x0C), 0x70);  // PF | AF | UF, IRQF clear: nothing enabled
}

TEST(Rtc, DividerResetDelaysTheFirstUpdateByHalfASecond) {
  Rig r;
  r.write(0x0A, 0x70);  // DV = 111: divider held in reset
  r.at(3 * kSecond);
  EXPECT_EQ(r.hms(), "00:00:00");
  EXPECT_EQ(r.read(0x0C), 0x00);  // no periodic edges either
  r.write(0x0A, 0x26);            // released at 3 s
  r.at(3 * kSecond + kSecond / 2 - 1);
  EXPECT_EQ(r.hms(), "00:00:00");
  r.at(3 * kSecond + kSecond / 2);
  EXPECT_EQ(r.hms(), "00:00:01");
}

TEST(Rtc, IndexPortBitSevenIsTheNmiGate) {
  Rig r;
  r.rtc->io_write(0x70, 1, 0x80 | 0x0D);
  EXPECT_TRUE(r.rtc->nmi_disabled());
  EXPECT_EQ(r.rtc->io_read(0x71, 1), 0x80u);  // register D
  r.rtc->io_write(0x70, 1, 0x0D);
  EXPECT_FALSE(r.rtc->nmi_disabled());
  // A word write to 0x70 is the index byte, then the data byte (ISA splits it).
  r.rtc->io_write(0x70, 2, 0x51 | 0x3C << 8);
  EXPECT_EQ(r.read(0x51), 0x3C);
  EXPECT_EQ(r.rtc->io_read(0x70, 2), 0x3CFFu);  // index reads 0xFF, then the data
  // Registers C and D are read only; NVRAM bytes are plain storage.
  r.write(0x0D, 0x00);
  EXPECT_EQ(r.read(0x0D), 0x80);
  r.write(0x50, 0xA5);
  EXPECT_EQ(r.read(0x50), 0xA5);
  EXPECT_EQ(r.read(0x7F), 0x00);
}

TEST(Rtc, NvramOfA64MiBMachineThroughThePorts) {
  Machine m({.ram_bytes = 64 * MiB});
  auto cmos = [&](uint8_t i) {
    uint32_t v = 0;
    m.io_write(0x70, 1, i);
    m.io_read(0x71, 1, v);
    return v;
  };
  EXPECT_EQ(cmos(0x0F), 0x00u);  // shutdown status: power-on
  EXPECT_EQ(cmos(0x10), 0x00u);  // no diskettes
  EXPECT_EQ(cmos(0x12), 0x00u);  // no fixed disks
  EXPECT_EQ(cmos(0x14), 0x00u);  // equipment: VGA, no coprocessor, no diskettes
  EXPECT_EQ(cmos(0x15) | cmos(0x16) << 8, 640u);
  EXPECT_EQ(cmos(0x17) | cmos(0x18) << 8, 63u * 1024);  // KB above 1 MiB
  EXPECT_EQ(cmos(0x30) | cmos(0x31) << 8, 63u * 1024);
  EXPECT_EQ(cmos(0x34) | cmos(0x35) << 8, 48u * 16);    // 64 KB blocks above 16 MiB
  // AT checksum: the sum of 0x10-0x2D, high byte at 0x2E: 0x80 + 0x02 + 0x00 + 0xFC.
  unsigned sum = 0;
  for (uint8_t i = 0x10; i <= 0x2D; ++i) sum += cmos(i);
  EXPECT_EQ(sum, 0x17Eu);
  EXPECT_EQ(cmos(0x2E) << 8 | cmos(0x2F), sum);
  EXPECT_EQ(cmos(0x32), 0x20u);  // century, BCD

  Machine big({.ram_bytes = 128 * MiB});  // 130048 KB above 1 MiB: capped at 0xFFFF
  EXPECT_EQ(big.rtc().cmos(0x17) | big.rtc().cmos(0x18) << 8, 0xFFFF);
  EXPECT_EQ(big.rtc().cmos(0x30) | big.rtc().cmos(0x31) << 8, 0xFFFF);
  EXPECT_EQ(big.rtc().cmos(0x34) | big.rtc().cmos(0x35) << 8, 112 * 16);
  Machine small({.ram_bytes = 1 * MiB});
  EXPECT_EQ(small.rtc().cmos(0x17) | small.rtc().cmos(0x18) << 8, 0);
  EXPECT_EQ(small.rtc().cmos(0x34) | small.rtc().cmos(0x35) << 8, 0);
}

TEST(Rtc, MachineStartTimeAndIrqLine) {
  Machine m({.rtc_start = *parse_rtc_time("2026-11-25T12:00:00")});
  EXPECT_EQ(m.rtc().time(), *parse_rtc_time("2026-11-25T12:00:00"));
  EXPECT_EQ(m.rtc().cmos(0x06), 4);  // a Wednesday
  RtcTime bad;
  bad.month = 13;
  EXPECT_THROW(Machine({.rtc_start = bad}), std::invalid_argument);
}

// On the whole machine: the guest enables the periodic interrupt through the ports, and
// the RTC's scheduler event raises IRQ8 at the first edge while the CPU runs; HLT with
// interrupts on skips the idle cycles to that event. (The 8259A that would deliver IRQ8
// is another device: here the line level is what is checked.)
TEST(Rtc, PeriodicEventRaisesIrq8WhileTheMachineRuns) {
  Machine m;
  // mov al,0x0B ; out 0x70,al ; mov al,0x42 ; out 0x71,al ; sti ; hlt ; jmp $-1
  const std::vector<uint8_t> code{0xB0, 0x0B, 0xE6, 0x70, 0xB0, 0x42, 0xE6, 0x71, 0xFB, 0xF4, 0xEB, 0xFD};
  ASSERT_TRUE(m.load_ram(0x10000, code));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  const RunOutcome r = m.run({.max_instructions = 1000});
  // Nothing acknowledges the interrupt, so after the edge no event is pending.
  EXPECT_EQ(r.kind, StopKind::HaltedIdle) << r.detail;
  EXPECT_TRUE(m.rtc().irq_level());
  EXPECT_EQ(m.now(), 976'563u);  // 1024 Hz: the first edge after 976.5625 us at 1000 MHz
  uint32_t c = 0;
  m.io_write(0x70, 1, 0x0C);
  m.io_read(0x71, 1, c);
  EXPECT_EQ(c, 0xC0u);  // IRQF | PF
  EXPECT_FALSE(m.rtc().irq_level());
}

TEST(Rtc, ParsesIso8601StartTimes) {
  const auto t = parse_rtc_time("2026-11-25T12:34:56");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rtc_time(*t), "2026-11-25T12:34:56");
  EXPECT_TRUE(parse_rtc_time("2026-11-25T12:34:56Z"));
  EXPECT_TRUE(parse_rtc_time("2024-02-29T00:00:00"));
  EXPECT_TRUE(parse_rtc_time("1901-01-01T00:00:00"));
  EXPECT_TRUE(parse_rtc_time("2099-12-31T23:59:59"));
  for (const char* bad : {"", "2026-11-25", "2026-11-25T12:00", "2026-13-01T00:00:00", "2023-02-29T00:00:00",
                          "2026-11-31T00:00:00", "2026-11-25T24:00:00", "2026-11-25T12:60:00",
                          "1900-01-01T00:00:00", "2100-01-01T00:00:00", "2026/11/25T12:00:00",
                          "2026-11-25T12:00:00+01:00", "2O26-11-25T12:00:00", "2026-11-25T12:00:0 "}) {
    EXPECT_FALSE(parse_rtc_time(bad)) << bad;
  }
}

TEST(Rtc, SaveLoadRoundTripsAndReArmsTheEvent) {
  Rig a;
  a.write(0x0B, 0x02 | 0x40);  // PIE at 1024 Hz
  a.write(0x50, 0x5A);
  a.rtc->io_write(0x70, 1, 0x80 | 0x0B);
  a.at(500'000);
  StateWriter w;
  a.rtc->save(w);

  Rig b(*parse_rtc_time("2010-05-05T05:05:05"));
  b.at(500'000);
  StateReader rd(w.data());
  b.rtc->load(rd);
  EXPECT_TRUE(rd.at_end());
  EXPECT_EQ(b.rtc->dump(), a.rtc->dump());
  EXPECT_TRUE(b.rtc->nmi_disabled());
  b.at(976'562);
  EXPECT_FALSE(b.rtc->irq_level());
  b.at(976'563);  // the loaded device re-armed its periodic event
  EXPECT_TRUE(b.rtc->irq_level());
  a.at(976'563);
  EXPECT_EQ(b.rtc->dump(), a.rtc->dump());
}

TEST(Rtc, LoadRejectsMalformedState) {
  Rig a;
  StateWriter good;
  a.rtc->save(good);
  // Layout: section string (8 + 8), cmos bytes (8 + 128), index, nmi, 3 x u64.
  const size_t cmos_at = 16 + 8, index_at = cmos_at + 128, offset_at = index_at + 2 + 16;
  auto load = [](std::vector<uint8_t> data) {
    Rig r;
    StateReader rd(data);
    r.rtc->load(rd);
  };
  EXPECT_NO_THROW(load(good.data()));
  std::vector<uint8_t> d = good.data();
  d[index_at] = 0x80;
  EXPECT_THROW(load(d), StateError);
  d = good.data();
  d[cmos_at + 0x0D] = 0x00;  // register D
  EXPECT_THROW(load(d), StateError);
  d = good.data();
  d[cmos_at + 0x0A] |= 0x80;  // a stored UIP
  EXPECT_THROW(load(d), StateError);
  d = good.data();
  d[offset_at + 2] = 0x01;  // divider offset 65536 ticks
  EXPECT_THROW(load(d), StateError);
  d = good.data();
  d.resize(d.size() - 3);
  EXPECT_THROW(load(d), StateError);
  d = good.data();
  d[16] = 100;  // the CMOS length
  EXPECT_THROW(load(d), StateError);
}

}  // namespace
