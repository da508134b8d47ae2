// Port bus and devices: unclaimed-port semantics (ISA bus floats high, writes dropped),
// the debug console, isa-debug-exit, the 16550 UART's transmit path and register file,
// and POST code events.
#include <gtest/gtest.h>

#include "platform/machine.h"
#include "platform/port_bus.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;
using ptest::CapturedMachine;
using ptest::EventLog;

namespace {

struct FakeDevice : PortDevice {
  std::vector<std::tuple<uint16_t, unsigned, uint32_t>> writes;
  const char* name() const override { return "fake"; }
  uint32_t io_read(uint16_t port, unsigned) override { return 0xABCD0000u | port; }
  void io_write(uint16_t port, unsigned size, uint32_t v) override { writes.emplace_back(port, size, v); }
};

TEST(PortBus, UnclaimedReadsAllOnesPerSizeAndIsNotClaimed) {
  PortBus bus;
  uint32_t v = 0;
  EXPECT_FALSE(bus.read(0x21, 1, v));
  EXPECT_EQ(v, 0xFFu);
  EXPECT_FALSE(bus.read(0x21, 2, v));
  EXPECT_EQ(v, 0xFFFFu);
  EXPECT_FALSE(bus.read(0x21, 4, v));
  EXPECT_EQ(v, 0xFFFFFFFFu);
  EXPECT_FALSE(bus.write(0x21, 1, 0x12));
}

TEST(PortBus, RoutesToOwnerWithFullSizeAndMasksReads) {
  PortBus bus;
  FakeDevice dev;
  bus.map(0x100, 4, &dev);
  uint32_t v = 0;
  EXPECT_TRUE(bus.read(0x102, 1, v));
  EXPECT_EQ(v, 0x02u);  // masked to one byte
  EXPECT_TRUE(bus.read(0x102, 2, v));
  EXPECT_EQ(v, 0x0102u);
  EXPECT_TRUE(bus.write(0x103, 4, 0xDEADBEEF));
  ASSERT_EQ(dev.writes.size(), 1u);
  EXPECT_EQ(std::get<0>(dev.writes[0]), 0x103);
  EXPECT_EQ(std::get<1>(dev.writes[0]), 4u);
  EXPECT_EQ(std::get<2>(dev.writes[0]), 0xDEADBEEFu);
  EXPECT_EQ(bus.owner(0x104), nullptr);
  EXPECT_EQ(bus.owner(0x100), &dev);
}

TEST(PortBus, OverlapAndWrapAreRejected) {
  PortBus bus;
  FakeDevice a, b;
  bus.map(0x10, 8, &a);
  EXPECT_THROW(bus.map(0x17, 1, &b), std::logic_error);
  EXPECT_THROW(bus.map(0xFFFF, 2, &b), std::logic_error);
  EXPECT_NO_THROW(bus.map(0x18, 1, &b));
  EXPECT_EQ(bus.devices().size(), 2u);
}

TEST(MachinePorts, UnclaimedPortThroughTheBusInterface) {
  CapturedMachine cm;
  uint32_t v = 0;
  EXPECT_FALSE(cm.m.io_read(0x378, 2, v));
  EXPECT_EQ(v, 0xFFFFu);
  EXPECT_FALSE(cm.m.io_write(0x2E, 1, 0xFF));  // no device at 0x2E (0x21 is the PIC now)
}

TEST(MachinePorts, DebugConsoleWritesBytesAndReadsBackE9) {
  CapturedMachine cm;
  for (char c : std::string("hi\n")) EXPECT_TRUE(cm.m.io_write(0xE9, 1, uint8_t(c)));
  EXPECT_TRUE(cm.m.io_write(0xE9, 2, 0x4142));  // only the low byte is a character
  EXPECT_EQ(cm.out, "hi\nB");
  uint32_t v = 0;
  EXPECT_TRUE(cm.m.io_read(0xE9, 1, v));
  EXPECT_EQ(v, 0xE9u);
}

TEST(MachinePorts, ExitPortRecordsQemuStatus) {
  CapturedMachine cm;
  EXPECT_FALSE(cm.m.exit_status().has_value());
  EXPECT_TRUE(cm.m.io_write(0xF4, 1, 0x10));
  ASSERT_TRUE(cm.m.exit_status().has_value());
  EXPECT_EQ(*cm.m.exit_status(), (0x10u << 1) | 1);
  EXPECT_TRUE(cm.m.io_write(0xF7, 4, 0));  // iosize=4: the whole range exits
  EXPECT_EQ(*cm.m.exit_status(), 1u);
}

TEST(MachinePorts, UartTransmitsAndReportsTransmitterEmpty) {
  CapturedMachine cm;
  Machine& m = cm.m;
  uint32_t v = 0;
  EXPECT_TRUE(m.io_read(0x3FD, 1, v));
  EXPECT_EQ(v, 0x60u);  // LSR: THRE | TEMT, no data
  for (char c : std::string("OK")) m.io_write(0x3F8, 1, uint8_t(c));
  EXPECT_EQ(cm.out, "OK");
  EXPECT_EQ(m.uart().bytes_transmitted(), 2u);
  m.io_read(0x3FD, 1, v);
  EXPECT_EQ(v, 0x60u);
}

TEST(MachinePorts, UartRegistersAreStorage) {
  CapturedMachine cm;
  Machine& m = cm.m;
  uint32_t v = 0;
  // Divisor latch: LCR.DLAB = 1, DLL/DLM at offsets 0/1, then 8N1.
  m.io_write(0x3FB, 1, 0x80);
  m.io_write(0x3F8, 1, 0x03);
  m.io_write(0x3F9, 1, 0x00);
  m.io_write(0x3FB, 1, 0x03);
  EXPECT_EQ(m.uart().divisor(), 3u);
  EXPECT_TRUE(cm.out.empty());  // a DLL write is not a transmitted byte
  m.io_read(0x3FB, 1, v);
  EXPECT_EQ(v, 0x03u);
  // Scratch register.
  m.io_write(0x3FF, 1, 0x5A);
  m.io_read(0x3FF, 1, v);
  EXPECT_EQ(v, 0x5Au);
  // IER keeps its low 4 bits; IIR shows "no interrupt" then a THRE interrupt once enabled.
  m.io_read(0x3FA, 1, v);
  EXPECT_EQ(v, 0x01u);
  m.io_write(0x3F9, 1, 0xF2);
  m.io_read(0x3F9, 1, v);
  EXPECT_EQ(v, 0x02u);
  m.io_read(0x3FA, 1, v);
  EXPECT_EQ(v, 0x02u);  // THR empty
  m.io_read(0x3FA, 1, v);
  EXPECT_EQ(v, 0x01u);  // reading IIR cleared it
  // FIFO enable shows in IIR bits 7:6.
  m.io_write(0x3FA, 1, 0x07);
  m.io_read(0x3FA, 1, v);
  EXPECT_EQ(v & 0xC0, 0xC0u);
  // Modem status with a terminal attached.
  m.io_read(0x3FE, 1, v);
  EXPECT_EQ(v, 0xB0u);
}

TEST(MachinePorts, UartLoopbackReturnsBytesToTheReceiver) {
  CapturedMachine cm;
  Machine& m = cm.m;
  uint32_t v = 0;
  m.io_write(0x3FC, 1, 0x10 | 0x0B);  // loopback, OUT2, RTS, DTR
  m.io_write(0x3F8, 1, 0xAE);
  EXPECT_TRUE(cm.out.empty());
  m.io_read(0x3FD, 1, v);
  EXPECT_EQ(v, 0x61u);  // data ready
  m.io_read(0x3F8, 1, v);
  EXPECT_EQ(v, 0xAEu);
  m.io_read(0x3FD, 1, v);
  EXPECT_EQ(v, 0x60u);
  m.io_read(0x3FE, 1, v);
  EXPECT_EQ(v, 0x10u | 0x20u | 0x80u);  // CTS<-RTS, DSR<-DTR, DCD<-OUT2
}

TEST(MachinePorts, PostWritesBecomeEventsAndAreRemembered) {
  CapturedMachine cm;
  EventLog log;
  cm.m.add_observer(&log);
  EXPECT_FALSE(cm.m.post().last().has_value());
  cm.m.io_write(0x80, 1, 0x42);
  cm.m.io_write(0x80, 1, 0x43);
  ASSERT_EQ(log.events.size(), 2u);
  EXPECT_EQ(log.events[0].kind, cpu::EventKind::PostCode);
  EXPECT_EQ(log.events[0].port, 0x80);
  EXPECT_EQ(log.events[0].value, 0x42u);
  EXPECT_TRUE(log.events[0].write);
  EXPECT_EQ(log.events[1].value, 0x43u);
  EXPECT_EQ(*cm.m.post().last(), 0x43u);
  uint32_t v = 0;
  cm.m.io_read(0x80, 1, v);
  EXPECT_EQ(v, 0x43u);
}

TEST(MachinePorts, PostPortIsConfigurableAndClashesAreRefused) {
  platform::MachineConfig cfg;
  cfg.post_port = 0x190;
  CapturedMachine cm(cfg);
  cm.m.io_write(0x190, 1, 7);
  EXPECT_EQ(*cm.m.post().last(), 7u);
  uint32_t v = 0;
  EXPECT_FALSE(cm.m.io_read(0x80, 1, v));  // 0x80 is an ordinary unclaimed port now
  cfg.post_port = 0x3FA;
  EXPECT_THROW(Machine{cfg}, std::invalid_argument);
}

// End to end through the CPU: IN/OUT emit PortIo events with the claimed flag.
TEST(MachinePorts, CpuPortIoEventsCarryTheClaimedFlag) {
  CapturedMachine cm;
  EventLog log;
  cm.m.add_observer(&log);
  // in al, 0x2E (unclaimed) ; out 0xE9, al ; mov al, 2 ; out 0xF4, al
  const ptest::Bytes prog = {0xE4, 0x2E, 0xE6, 0xE9, 0xB0, 0x02, 0xE6, 0xF4};
  ASSERT_TRUE(cm.m.load_ram(0x7C00, prog));
  cm.m.cpu().enter_flat_protected(0x7C00, 0x7000);
  const RunOutcome r = cm.m.run({.max_instructions = 1000});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(*cm.m.exit_status(), 5u);
  EXPECT_EQ(cm.out, "\xFF");
  const auto io = log.of(cpu::EventKind::PortIo);
  ASSERT_EQ(io.size(), 3u);
  EXPECT_EQ(io[0].port, 0x2E);
  EXPECT_FALSE(io[0].write);
  EXPECT_FALSE(io[0].claimed);
  EXPECT_EQ(io[0].value, 0xFFu);
  EXPECT_EQ(io[1].port, 0xE9);
  EXPECT_TRUE(io[1].claimed);
  EXPECT_TRUE(io[2].claimed);
  EXPECT_EQ(io[2].value, 2u);
}

}  // namespace
