// Machine: the physical memory map (RAM fast path, ROM below 1 MiB and 4 GiB, unmapped
// space), configuration checks, state hash, observer fan-out, and run(): halts, the
// scheduler waking a halted CPU, instruction limits.
#include <gtest/gtest.h>

#include "platform/machine.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;
using ptest::CapturedMachine;
using ptest::EventLog;

namespace {

TEST(MachineMemory, RamPagesAreDirectPointers) {
  Machine m;
  EXPECT_EQ(m.ram_size(), 32 * MiB);
  uint8_t* p = m.page(0x12345, true);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p, m.ram().data() + 0x12000);
  EXPECT_EQ(m.page(0xB8000, true), m.ram().data() + 0xB8000);  // VGA hole is RAM for now
  EXPECT_EQ(m.page(0xF0000, true), m.ram().data() + 0xF0000);  // no ROM: RAM
  EXPECT_EQ(m.page(32 * MiB, false), nullptr);
  EXPECT_EQ(m.page(0xFEE00000, false), nullptr);
}

TEST(MachineMemory, UnmappedReadsAllOnesAndDropsWrites) {
  Machine m;
  EXPECT_EQ(m.mmio_read(0xFED00000, 4), 0xFFFFFFFFull);  // (0xFEC00000 is the IO APIC)
  EXPECT_EQ(m.mmio_read(0x80000000, 8), ~0ull);
  EXPECT_EQ(m.mmio_read(0x80000000, 1), 0xFFull);
  m.mmio_write(0x80000000, 4, 0);
  EXPECT_EQ(m.mmio_read(0x80000000, 4), 0xFFFFFFFFull);
}

TEST(MachineMemory, RomIsMappedBelow1MiBAnd4GiBReadOnly) {
  Machine m;
  ptest::Bytes rom(64 * KiB, 0);
  for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(i * 7);
  rom[rom.size() - 16] = 0xEA;  // the reset vector's first byte
  m.load_rom(rom);
  EXPECT_TRUE(m.has_rom());
  EXPECT_EQ(m.rom_size(), 64 * KiB);
  // Reads: direct pages in both windows.
  const uint8_t* low = m.page(0xFFFF0, false);
  const uint8_t* high = m.page(0xFFFFFFF0, false);
  ASSERT_NE(low, nullptr);
  ASSERT_EQ(low, high);
  EXPECT_EQ(low[0xFF0], 0xEA);
  EXPECT_EQ(m.mmio_read(0xF0000, 1), rom[0]);
  EXPECT_EQ(m.mmio_read(0xFFFFFFF0, 1), 0xEAu);
  // Writes: no direct page, and the slow path drops them.
  EXPECT_EQ(m.page(0xF0000, true), nullptr);
  EXPECT_EQ(m.page(0xFFFF0000, true), nullptr);
  m.mmio_write(0xF0000, 1, 0x99);
  EXPECT_EQ(m.mmio_read(0xF0000, 1), rom[0]);
  // Below the ROM is RAM again.
  EXPECT_EQ(m.page(0xEF000, true), m.ram().data() + 0xEF000);
}

TEST(MachineMemory, OddSizedRomIsPaddedAtItsStart) {
  Machine m;
  ptest::Bytes rom(100, 0x11);
  rom.back() = 0x22;
  m.load_rom(rom);
  EXPECT_EQ(m.rom_size(), 4096u);
  EXPECT_EQ(m.mmio_read(0xFFFFF, 1), 0x22u);   // last byte stays at 1 MiB - 1
  EXPECT_EQ(m.mmio_read(0xFFFFFFFF, 1), 0x22u);
  EXPECT_EQ(m.mmio_read(0x100000 - 100, 1), 0x11u);
  EXPECT_EQ(m.mmio_read(0xFF000, 1), 0xFFu);   // padding
}

TEST(MachineMemory, RomSizeLimits) {
  Machine m;
  EXPECT_THROW(m.load_rom(ptest::Bytes{}), std::invalid_argument);
  EXPECT_THROW(m.load_rom(ptest::Bytes(256 * KiB + 1)), std::invalid_argument);
  EXPECT_NO_THROW(m.load_rom(ptest::Bytes(256 * KiB)));
}

TEST(MachineMemory, LoadRamIsBoundsChecked) {
  Machine m(MachineConfig{.ram_bytes = 2 * MiB});
  const ptest::Bytes data = {1, 2, 3, 4};
  EXPECT_TRUE(m.load_ram(2 * MiB - 4, data));
  EXPECT_EQ(m.ram()[2 * MiB - 1], 4);
  EXPECT_FALSE(m.load_ram(2 * MiB - 3, data));
  EXPECT_FALSE(m.load_ram(UINT64_MAX - 1, data));  // no wrap-around
  EXPECT_FALSE(m.zero_ram(2 * MiB, 1));
  EXPECT_TRUE(m.zero_ram(2 * MiB - 4, 4));
  EXPECT_EQ(m.ram()[2 * MiB - 1], 0);
}

TEST(MachineConfigTest, RamSizeIsValidated) {
  EXPECT_THROW(Machine(MachineConfig{.ram_bytes = 512 * KiB}), std::invalid_argument);
  EXPECT_THROW(Machine(MachineConfig{.ram_bytes = 4 * GiB}), std::invalid_argument);
  EXPECT_THROW(Machine(MachineConfig{.ram_bytes = 2 * MiB + 1}), std::invalid_argument);
  EXPECT_NO_THROW(Machine(MachineConfig{.ram_bytes = 1 * MiB}));
}

TEST(MachineState, HashIsDeterministicAndCoversRamAndDevices) {
  Machine a, b;
  EXPECT_EQ(a.state_hash(), b.state_hash());
  a.ram()[0x1234] = 1;
  EXPECT_NE(a.state_hash(), b.state_hash());
  b.ram()[0x1234] = 1;
  EXPECT_EQ(a.state_hash(), b.state_hash());
  a.io_write(0x3FF, 1, 0x77);  // UART scratch register: device state
  EXPECT_NE(a.state_hash(), b.state_hash());
  EXPECT_NE(a.dump().find("[uart16550]"), std::string::npos);
  EXPECT_NE(a.dump().find("scr=77"), std::string::npos);
}

TEST(MachineObservers, FanOutReachesEveryObserverInOrder) {
  Machine m;
  struct Tagged : cpu::Observer {
    std::vector<int>* order;
    int tag;
    void on_event(const cpu::Event&) override { order->push_back(tag); }
  };
  std::vector<int> order;
  Tagged a, b;
  a.order = b.order = &order;
  a.tag = 1;
  b.tag = 2;
  EXPECT_EQ(m.cpu().observer(), nullptr);  // nobody listening: no observer installed
  m.add_observer(&a);
  m.add_observer(&b);
  EXPECT_NE(m.cpu().observer(), nullptr);
  m.io_write(0x80, 1, 1);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  m.remove_observer(&a);
  m.io_write(0x80, 1, 2);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 2}));
  m.remove_observer(&b);
  EXPECT_EQ(m.cpu().observer(), nullptr);
}

// ---- run() with tiny guests (32-bit flat protected mode, IF = 0 at entry) ----

RunOutcome run_code(Machine& m, const ptest::Bytes& code, uint64_t max = 10000) {
  EXPECT_TRUE(m.load_ram(0x10000, code));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  return m.run({.max_instructions = max});
}

TEST(MachineRun, HltWithInterruptsOffStops) {
  Machine m;
  const RunOutcome r = run_code(m, {0x90, 0xF4});  // nop ; hlt
  EXPECT_EQ(r.kind, StopKind::HaltedForever) << r.detail;
  EXPECT_EQ(m.cpu().state().instret, 2u);
}

TEST(MachineRun, HltWithInterruptsOnAndNothingPendingStops) {
  Machine m;
  const RunOutcome r = run_code(m, {0xFB, 0xF4});  // sti ; hlt
  EXPECT_EQ(r.kind, StopKind::HaltedIdle) << r.detail;
}

TEST(MachineRun, HaltedCpuSkipsIdleCyclesToTheNextEvent) {
  Machine m;
  std::vector<uint64_t> fired;
  m.scheduler().schedule(50000, [&](uint64_t now) { fired.push_back(now); });
  const RunOutcome r = run_code(m, {0xFB, 0xF4});
  EXPECT_EQ(r.kind, StopKind::HaltedIdle);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0], 50000u);
  EXPECT_GE(m.cpu().state().cycles, 50000u);
}

TEST(MachineRun, EventsRunAtTheirCycleWhileTheCpuRuns) {
  Machine m;
  uint64_t seen_at = 0, instret_at = 0;
  m.scheduler().schedule(200, [&](uint64_t now) {
    seen_at = now;
    instret_at = m.cpu().state().instret;
  });
  const RunOutcome r = run_code(m, {0xEB, 0xFE}, 5000);  // jmp $
  EXPECT_EQ(r.kind, StopKind::InstructionLimit);
  EXPECT_EQ(m.cpu().state().instret, 5000u);
  EXPECT_GE(seen_at, 200u);
  EXPECT_GT(instret_at, 0u);
  EXPECT_LT(instret_at, 5000u);
}

TEST(MachineRun, StepLimitCountsStepsAcrossSchedulerSlices) {
  Machine m;
  int fired = 0;
  for (uint64_t c = 1; c < 40; c += 3) m.scheduler().schedule(c, [&](uint64_t) { ++fired; });
  EXPECT_TRUE(m.load_ram(0x10000, ptest::Bytes{0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xEB, 0xF8}));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  const RunOutcome r = m.run({.max_steps = 5});
  EXPECT_EQ(r.kind, StopKind::StepLimit);
  EXPECT_EQ(m.cpu().state().instret, 5u);
  EXPECT_EQ(m.cpu().state().rip, 0x10005u);
  EXPECT_GT(fired, 0);
}

TEST(MachineRun, CycleLimitStops) {
  Machine m;
  EXPECT_TRUE(m.load_ram(0x10000, ptest::Bytes{0xEB, 0xFE}));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  const RunOutcome r = m.run({.cycle_limit = 3000});
  EXPECT_EQ(r.kind, StopKind::CycleLimit);
  EXPECT_GE(m.cpu().state().cycles, 3000u);
}

TEST(MachineRun, ExitPortEndsTheRun) {
  CapturedMachine cm;
  // mov al, 'x' ; out 0xE9, al ; mov al, 0x21 ; out 0xF4, al ; jmp $
  const RunOutcome r = run_code(cm.m, {0xB0, 'x', 0xE6, 0xE9, 0xB0, 0x21, 0xE6, 0xF4, 0xEB, 0xFE});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(*cm.m.exit_status(), 0x43u);
  EXPECT_EQ(cm.out, "x");
  EXPECT_EQ(cm.m.cpu().state().instret, 4u);  // stopped right after the OUT
}

TEST(MachineRun, PostCodeFromTheGuestIsAnEvent) {
  CapturedMachine cm;
  EventLog log;
  cm.m.add_observer(&log);
  // mov al, 0x5A ; out 0x80, al ; hlt
  const RunOutcome r = run_code(cm.m, {0xB0, 0x5A, 0xE6, 0x80, 0xF4});
  EXPECT_EQ(r.kind, StopKind::HaltedForever);
  const auto post = log.of(cpu::EventKind::PostCode);
  ASSERT_EQ(post.size(), 1u);
  EXPECT_EQ(post[0].value, 0x5Au);
  EXPECT_EQ(post[0].port, 0x80);
  EXPECT_EQ(post[0].after.mode, cpu::Mode::Protected);
  EXPECT_EQ(*cm.m.post().last(), 0x5Au);
}

TEST(MachineRun, SameProgramSameHash) {
  const ptest::Bytes code = {0xB8, 0x44, 0x33, 0x22, 0x11,  // mov eax, 0x11223344
                             0xA3, 0x00, 0x20, 0x00, 0x00,  // mov [0x2000], eax
                             0xF4};
  Machine a, b;
  run_code(a, code);
  run_code(b, code);
  EXPECT_EQ(ptest::get32(a.ram(), 0x2000), 0x11223344u);
  EXPECT_EQ(a.state_hash(), b.state_hash());
}

}  // namespace
