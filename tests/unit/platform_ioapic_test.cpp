// The 82093AA IO APIC (platform/devices/ioapic.h) through IOREGSEL/IOWIN, checked against
// the datasheet (Intel 290566-001, section 3): reset values, register layout and read-only
// bits, ISA IRQ wiring (IRQ0 on pin 2), edge and level delivery with remote IRR and the
// local APIC's EOI, polarity, masking, destinations, ExtINT, access sizes, save/load.
#include <gtest/gtest.h>

#include "platform/machine.h"

using namespace platform;

namespace {

constexpr uint64_t kBase = IoApic::kDefaultBase;

struct Io {
  Machine& m;
  uint32_t rd(uint8_t reg) {
    m.mmio_write(kBase, 4, reg);
    return uint32_t(m.mmio_read(kBase + 0x10, 4));
  }
  void wr(uint8_t reg, uint32_t v) {
    m.mmio_write(kBase, 4, reg);
    m.mmio_write(kBase + 0x10, 4, v);
  }
  void entry(unsigned pin, uint32_t lo, uint32_t hi = 0) {
    wr(uint8_t(0x11 + 2 * pin), hi);
    wr(uint8_t(0x10 + 2 * pin), lo);
  }
  uint32_t lo(unsigned pin) { return rd(uint8_t(0x10 + 2 * pin)); }
  bool irr(unsigned v) {
    return m.mmio_read(Lapic::kDefaultBase + Lapic::IRR + 0x10 * (v / 32), 4) >> (v % 32) & 1;
  }
  void eoi() { m.mmio_write(Lapic::kDefaultBase + Lapic::EOI, 4, 0); }
};

constexpr uint32_t kLevel = 1u << 15, kMask = 1u << 16, kRemoteIrr = 1u << 14, kLowActive = 1u << 13;

TEST(IoApic, ResetValuesAndRegisterLayout) {
  Machine m;
  Io io{m};
  EXPECT_EQ(io.rd(IoApic::ID), 0x01000000u);       // the ID the MP table gives it
  EXPECT_EQ(io.rd(IoApic::VERSION), 0x00170011u);  // version 0x11, 24 entries
  EXPECT_EQ(io.rd(IoApic::ARB), 0x01000000u);
  for (unsigned pin = 0; pin < 24; ++pin) {
    EXPECT_EQ(io.lo(pin), kMask) << pin;  // masked after reset (3.2.4)
    EXPECT_EQ(io.rd(uint8_t(0x11 + 2 * pin)), 0u);
  }
  EXPECT_EQ(io.rd(0x03), 0u);  // unimplemented
  EXPECT_EQ(io.rd(0x40), 0u);  // past the table
  // Writable bits: ID 27:24; entry vector, mode, destination mode, polarity, trigger,
  // mask, destination 63:56; delivery status (12) and remote IRR (14) are read-only.
  io.wr(IoApic::ID, 0xFFFFFFFF);
  EXPECT_EQ(io.rd(IoApic::ID), 0x0F000000u);
  io.wr(IoApic::VERSION, 0);
  io.wr(IoApic::ARB, 0);
  EXPECT_EQ(io.rd(IoApic::VERSION), 0x00170011u);
  EXPECT_EQ(io.rd(IoApic::ARB), 0x01000000u);
  io.wr(0x10 + 2 * 5, 0xFFFFFFFF);
  io.wr(0x11 + 2 * 5, 0xFFFFFFFF);
  EXPECT_EQ(io.lo(5), 0x0001AFFFu);
  EXPECT_EQ(io.rd(0x11 + 2 * 5), 0xFF000000u);
}

TEST(IoApic, EdgeTriggeredIsaIrqsWithIrq0OnPin2) {
  Machine m;
  Io io{m};
  io.entry(2, 0x30);  // fixed, physical, edge, active high, unmasked, to APIC 0
  io.entry(0, 0x20);
  io.entry(4, 0x34);
  m.set_isa_irq(0, true);
  EXPECT_TRUE(io.irr(0x30));
  EXPECT_FALSE(io.irr(0x20));  // pin 0 has nothing (the override, MP table)
  m.set_isa_irq(0, false);
  m.set_isa_irq(2, true);  // the cascade input reaches no pin
  EXPECT_EQ(m.ioapic().state().pins, 0u);
  m.set_isa_irq(2, false);
  m.set_isa_irq(4, true);
  EXPECT_TRUE(io.irr(0x34));
  EXPECT_EQ(io.lo(4) & (1u << 12), 0u);  // delivery status idle: accepted at once
  EXPECT_EQ(m.intr_ack(), 0x34);
  io.eoi();
  m.set_isa_irq(4, true);  // no new edge while high
  EXPECT_FALSE(io.irr(0x34));
  m.set_isa_irq(4, false);
  m.set_isa_irq(4, true);
  EXPECT_TRUE(io.irr(0x34));
  EXPECT_EQ(m.intr_ack(), 0x34);
  io.eoi();
  EXPECT_EQ(m.intr_ack(), 0x30);
  io.eoi();
  // An edge on a masked pin is lost (3.2.4, "Interrupt Mask").
  m.set_isa_irq(4, false);
  io.entry(4, kMask | 0x34);
  m.set_isa_irq(4, true);
  io.entry(4, 0x34);
  EXPECT_FALSE(io.irr(0x34));
  EXPECT_EQ(io.lo(4) & kRemoteIrr, 0u);
}

TEST(IoApic, LevelTriggeredRemoteIrrIsClearedByTheLocalApicEoi) {
  Machine m;
  Io io{m};
  io.entry(9, kLevel | 0x59);
  m.set_isa_irq(9, true);
  EXPECT_TRUE(io.irr(0x59));
  EXPECT_TRUE(io.lo(9) & kRemoteIrr);
  // The LAPIC marks it level triggered (TMR), so its EOI is broadcast.
  EXPECT_TRUE(m.mmio_read(Lapic::kDefaultBase + Lapic::TMR + 0x20, 4) >> (0x59 % 32) & 1);
  EXPECT_EQ(m.intr_ack(), 0x59);
  EXPECT_FALSE(io.irr(0x59));
  io.eoi();  // still asserted: delivered again, remote IRR set again
  EXPECT_TRUE(io.irr(0x59));
  EXPECT_TRUE(io.lo(9) & kRemoteIrr);
  m.set_isa_irq(9, false);
  EXPECT_EQ(m.intr_ack(), 0x59);
  io.eoi();
  EXPECT_FALSE(io.irr(0x59));
  EXPECT_EQ(io.lo(9) & kRemoteIrr, 0u);
}

TEST(IoApic, LevelPinDeliversWhenUnmaskedWhileAssertedAndHonoursPolarity) {
  Machine m;
  Io io{m};
  io.entry(10, kMask | kLevel | 0x5A);
  m.set_isa_irq(10, true);
  EXPECT_FALSE(io.irr(0x5A));
  EXPECT_EQ(io.lo(10) & kRemoteIrr, 0u);  // masked: no side effect
  io.entry(10, kLevel | 0x5A);
  EXPECT_TRUE(io.irr(0x5A));
  // Low active (polarity 1): a line at 0 is asserted.
  io.entry(11, kLowActive | kLevel | 0x5B);
  EXPECT_TRUE(io.irr(0x5B));
  m.set_isa_irq(11, true);  // deasserted
  EXPECT_EQ(m.intr_ack(), 0x5B);
  io.eoi();
  EXPECT_FALSE(io.irr(0x5B));
}

TEST(IoApic, DestinationsPhysicalBroadcastAndLogical) {
  Machine m;
  Io io{m};
  io.entry(5, kLevel | 0x65, 5u << 24);  // APIC 5: nobody
  m.set_isa_irq(5, true);
  EXPECT_FALSE(io.irr(0x65));
  EXPECT_EQ(io.lo(5) & kRemoteIrr, 0u);  // not accepted
  io.entry(6, 0x66, 0xFFu << 24);  // broadcast
  m.set_isa_irq(6, true);
  EXPECT_TRUE(io.irr(0x66));
  m.mmio_write(Lapic::kDefaultBase + Lapic::LDR, 4, 0x02000000);  // flat model, bit 1
  io.entry(7, (1u << 11) | 0x67, 0x02u << 24);
  m.set_isa_irq(7, true);
  EXPECT_TRUE(io.irr(0x67));
  io.entry(12, (1u << 11) | 0x6C, 0x01u << 24);
  m.set_isa_irq(12, true);
  EXPECT_FALSE(io.irr(0x6C));
}

// ExtINT: the acknowledge goes to the 8259A, even with LINT0 masked.
class OnePic final : public InterruptController {
 public:
  bool intr_pending() const override { return pending; }
  uint8_t intr_ack() override {
    pending = false;
    return 0x08;
  }
  bool pending = false;
};

TEST(IoApic, ExtIntOpensThePicPathForOneAcknowledge) {
  Machine m;
  Io io{m};
  OnePic pic;
  m.set_pic(&pic);
  m.mmio_write(Lapic::kDefaultBase + Lapic::LVT_LINT0, 4, 0x10700);  // masked
  pic.pending = true;
  EXPECT_FALSE(m.pic_reaches_intr());
  io.entry(3, 0x700);  // ExtINT
  m.set_isa_irq(3, true);
  EXPECT_TRUE(m.pic_reaches_intr());
  EXPECT_EQ(m.intr_ack(), 0x08);
  EXPECT_FALSE(m.pic_reaches_intr());
}

TEST(IoApic, AccessSizes) {
  Machine m;
  m.mmio_write(kBase, 1, 0x01);  // IOREGSEL takes a byte
  EXPECT_EQ(m.mmio_read(kBase, 4), 0x01u);
  EXPECT_EQ(m.mmio_read(kBase + 0x10, 4), 0x00170011u);
  EXPECT_EQ(m.mmio_read(kBase + 0x12, 1), 0x17u);
  m.mmio_write(kBase, 4, 0x00);
  m.mmio_write(kBase + 0x10, 1, 0x0F);  // only dword writes reach IOWIN
  EXPECT_EQ(m.mmio_read(kBase + 0x10, 4), 0x01000000u);
  EXPECT_EQ(m.mmio_read(kBase + 0x20, 4), 0u);  // nothing else in the window
  EXPECT_EQ(m.mmio_read(kBase + 0xFFC, 4), 0u);
}

TEST(IoApic, SaveLoadRoundTripAndRejection) {
  Machine a;
  Io io{a};
  io.entry(9, kLevel | 0x59, 0x03u << 24);
  io.entry(9, kLevel | 0x59, 0x00u << 24);
  a.set_isa_irq(9, true);
  a.set_isa_irq(4, true);
  StateWriter w;
  a.ioapic().save(w);
  Machine b;
  StateReader r(w.data());
  b.ioapic().load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(b.ioapic().state(), a.ioapic().state());
  EXPECT_EQ(b.ioapic().dump(), a.ioapic().dump());

  const std::vector<uint8_t> good = w.data();
  auto load = [](std::vector<uint8_t> bytes) {
    Machine c;
    StateReader rr(bytes);
    c.ioapic().load(rr);
  };
  const size_t at = 8 + 6;  // after the section string "ioapic"
  std::vector<uint8_t> bad = good;
  bad[at + 1] = 0x01;  // ID bit 0: reserved
  EXPECT_THROW(load(bad), StateError);
  bad = good;
  bad[at + 9 + 8 * 4 + 1] = 0x40;  // remote IRR on edge-triggered entry 4
  EXPECT_THROW(load(bad), StateError);
  bad = good;
  bad[at + 9 + 8 * 24 + 3] = 0x01;  // pin 24
  EXPECT_THROW(load(bad), StateError);
  EXPECT_THROW(load(std::vector<uint8_t>(good.begin(), good.end() - 1)), StateError);
}

}  // namespace
