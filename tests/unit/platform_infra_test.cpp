// Platform infrastructure shared by every device: MMIO windows, device events scheduled
// while the CPU runs (the CPU yields at once), the INTR pin driven by an interrupt
// controller and its acknowledge cycle, cycle/device-clock conversion, and the snapshot
// byte format's reader (untrusted input: every error is a StateError with a message).
#include <gtest/gtest.h>

#include "platform/clock.h"
#include "platform/machine.h"
#include "platform/state_io.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;

namespace {

// Records accesses; a write of 1 to offset 0x10 schedules an event 10 cycles later.
class ProbeMmio final : public MmioDevice {
 public:
  explicit ProbeMmio(Machine& m) : m_(m) {}
  const char* name() const override { return "probe"; }
  uint64_t mmio_read(uint64_t offset, unsigned size) override {
    log.push_back("r" + std::to_string(offset) + "/" + std::to_string(size));
    return 0x1234'5678'9ABC'DEF0ull >> (64 - 8 * size) ;
  }
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override {
    log.push_back("w" + std::to_string(offset) + "/" + std::to_string(size) + "=" + std::to_string(value));
    if (offset == 0x10 && value == 1) {
      scheduled_for = m_.now() + 10;
      m_.scheduler().schedule(scheduled_for, [this](uint64_t) {
        fired_at = m_.now();
        fired_instret = m_.cpu().state().instret;
      });
    }
  }
  std::vector<std::string> log;
  uint64_t scheduled_for = 0, fired_at = 0, fired_instret = 0;

 private:
  Machine& m_;
};

TEST(MachineMmio, WindowsRouteAccessesWithOffsetsAndAreNeverDirectPages) {
  Machine m;
  ProbeMmio probe(m);
  m.map_mmio(0xF000'0000, 0x1000, &probe);
  EXPECT_EQ(m.page(0xF000'0000, false), nullptr);
  EXPECT_EQ(m.mmio_owner(0xF000'0FFF), &probe);
  EXPECT_EQ(m.mmio_owner(0xF000'1000), nullptr);
  // mov eax, [0xF0000004] ; mov dword [0xF0000008], 7 ; hlt
  ptest::Bytes code{0xA1, 0x04, 0x00, 0x00, 0xF0, 0xC7, 0x05, 0x08, 0x00, 0x00, 0xF0,
                    0x07, 0x00, 0x00, 0x00, 0xF4};
  ASSERT_TRUE(m.load_ram(0x10000, code));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  EXPECT_EQ(m.run({.max_instructions = 10}).kind, StopKind::HaltedForever);
  EXPECT_EQ(probe.log, (std::vector<std::string>{"r4/4", "w8/4=7"}));
  EXPECT_EQ(m.cpu().state().gpr[cpu::RAX], 0x12345678u);
  EXPECT_EQ(m.devices().back(), &probe);
  ProbeMmio other(m);
  EXPECT_THROW(m.map_mmio(0xF000'0000, 0x2000, &other), std::logic_error);
  EXPECT_THROW(m.map_mmio(0xF100'0800, 0x1000, &other), std::logic_error);
}

TEST(MachineMmio, AnEventScheduledMidSliceRunsOnTime) {
  Machine m;
  ProbeMmio probe(m);
  m.map_mmio(0xF000'0000, 0x1000, &probe);
  // A far event makes the CPU's slice long; the probe's event must not wait for it.
  m.scheduler().schedule(10'000'000, [](uint64_t) {});
  // mov dword [0xF0000010], 1 ; then `nop` x 200 ; hlt
  ptest::Bytes code{0xC7, 0x05, 0x10, 0x00, 0x00, 0xF0, 0x01, 0x00, 0x00, 0x00};
  code.insert(code.end(), 200, 0x90);
  code.push_back(0xF4);
  ASSERT_TRUE(m.load_ram(0x10000, code));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  EXPECT_EQ(m.run({.max_instructions = 1000}).kind, StopKind::HaltedForever);
  ASSERT_GT(probe.fired_at, 0u);
  EXPECT_GE(probe.fired_at, probe.scheduled_for);
  // Within a few instructions of its cycle (each costs at least one cycle), not at HLT.
  EXPECT_LE(probe.fired_instret, 1u + 10u);
}

// A controller with one pending vector until acknowledged.
class FakePic final : public InterruptController {
 public:
  bool intr_pending() const override { return pending; }
  uint8_t intr_ack() override {
    ++acks;
    pending = false;
    return vector;
  }
  bool pending = false;
  uint8_t vector = 0x40;
  int acks = 0;
};

TEST(MachineInterrupts, ControllerDrivesIntrAndAnswersTheAcknowledgeCycle) {
  Machine m;
  FakePic pic;
  m.set_pic(&pic);
  // IDT at 0x2000: vector 0x40 -> 0x11000 (32-bit interrupt gate, CS 0x08). Handler: hlt.
  const uint32_t handler = 0x11000;
  ptest::Bytes gate{uint8_t(handler), uint8_t(handler >> 8), 0x08, 0x00,
                    0x00, 0x8E, uint8_t(handler >> 16), uint8_t(handler >> 24)};
  ASSERT_TRUE(m.load_ram(0x2000 + 0x40 * 8, gate));
  ASSERT_TRUE(m.load_ram(handler, ptest::Bytes{0xF4}));
  ASSERT_TRUE(m.load_ram(0x10000, ptest::Bytes{0xFB, 0x90, 0xEB, 0xFE}));  // sti ; nop ; jmp $
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  m.cpu().state().idtr = cpu::TableReg{0x2000, 0x7FF};
  // GDT at 0x3000: null, flat 32-bit code (0x08), flat data (0x10).
  ASSERT_TRUE(m.load_ram(0x3000, ptest::Bytes{0, 0, 0, 0, 0, 0, 0, 0,                            //
                                              0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,                //
                                              0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0}));
  m.cpu().state().gdtr = cpu::TableReg{0x3000, 23};
  EXPECT_EQ(m.run({.max_instructions = 50}).kind, StopKind::InstructionLimit);
  EXPECT_EQ(pic.acks, 0);
  pic.pending = true;
  m.update_intr();
  const RunOutcome r = m.run({.max_instructions = 100});
  EXPECT_EQ(r.kind, StopKind::HaltedForever) << r.detail;  // the gate cleared IF
  EXPECT_EQ(pic.acks, 1);
  EXPECT_EQ(m.cpu().state().rip, handler + 1);
}

TEST(Clock, DeviceTicksFollowTheCpuClock) {
  Clock c{.cpu_hz = 1'000'000'000};
  // One 8254 tick is 838.1 ns: at 1 GHz it happens at cycle 839.
  EXPECT_EQ(c.cycle_of_tick(1, kPitHz), 839u);
  EXPECT_EQ(c.ticks(838, kPitHz), 0u);
  EXPECT_EQ(c.ticks(839, kPitHz), 1u);
  EXPECT_EQ(c.ticks(1'000'000'000, kPitHz), kPitHz);  // one second
  for (uint64_t n : {1ull, 2ull, 65536ull, 1193182ull, 123456789ull}) {
    const uint64_t at = c.cycle_of_tick(n, kPitHz);
    EXPECT_EQ(c.ticks(at, kPitHz), n);
    EXPECT_EQ(c.ticks(at - 1, kPitHz), n - 1);
  }
  EXPECT_EQ(c.nanoseconds(2'500), 2'500u);
  Clock slow{.cpu_hz = 1'000'000};  // 1 MHz
  EXPECT_EQ(slow.nanoseconds(3), 3'000u);
  EXPECT_EQ(c.cycle_of_tick(UINT64_MAX, 1), UINT64_MAX);  // saturates
}

TEST(MachineConfigTest, CpuClockIsValidated) {
  EXPECT_THROW(Machine({.cpu_mhz = 0}), std::invalid_argument);
  EXPECT_THROW(Machine({.cpu_mhz = 100001}), std::invalid_argument);
  Machine m({.cpu_mhz = 2000});
  EXPECT_EQ(m.clock().cpu_hz, 2'000'000'000u);
}

TEST(StateIo, RoundTripsAndRejectsMalformedInput) {
  StateWriter w;
  w.section("dev");
  w.u8(0xAB);
  w.u16(0xBEEF);
  w.u32(0xDEADBEEF);
  w.u64(0x0123456789ABCDEFull);
  w.boolean(true);
  w.bytes(std::vector<uint8_t>{1, 2, 3});
  {
    StateReader r(w.data());
    r.section("dev");
    EXPECT_EQ(r.u8(), 0xAB);
    EXPECT_EQ(r.u16(), 0xBEEF);
    EXPECT_EQ(r.u32(), 0xDEADBEEFu);
    EXPECT_EQ(r.u64(), 0x0123456789ABCDEFull);
    EXPECT_TRUE(r.boolean());
    EXPECT_EQ(r.bytes(16), (std::vector<uint8_t>{1, 2, 3}));
    EXPECT_TRUE(r.at_end());
  }
  auto message = [](auto fn) -> std::string {
    try {
      fn();
    } catch (const StateError& e) {
      return e.what();
    }
    return "no error";
  };
  std::vector<uint8_t> data = w.data();
  EXPECT_NE(message([&] { StateReader(data).section("pit"); }).find("expected section 'pit'"),
            std::string::npos);
  std::vector<uint8_t> cut(data.begin(), data.begin() + 14);
  EXPECT_NE(message([&] {
              StateReader r(cut);
              r.section("dev");
              r.u8();
              r.u16();
              r.u32();
            }).find("dev: truncated"),
            std::string::npos);
  data[8 + 3 + 1 + 2 + 4 + 8] = 2;  // the boolean
  EXPECT_NE(message([&] {
              StateReader r(data);
              r.section("dev");
              r.u8(); r.u16(); r.u32(); r.u64();
              r.boolean();
            }).find("a boolean is 2"),
            std::string::npos);
  EXPECT_NE(message([&] {
              StateReader r(w.data());
              r.section("dev");
              r.u8(); r.u16(); r.u32(); r.u64(); r.boolean();
              r.bytes(2);
            }).find("at most 2"),
            std::string::npos);
  // A huge length must not allocate or read past the end.
  StateWriter big;
  big.u64(UINT64_MAX);
  EXPECT_NE(message([&] { StateReader(big.data()).bytes(UINT64_MAX); }).find("truncated"),
            std::string::npos);
}

}  // namespace
