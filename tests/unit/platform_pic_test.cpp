// The 8259A pair, driven through its ports (0x20-0x21, 0xA0-0xA1, ELCR 0x4D0-0x4D1) and
// its ISA IRQ inputs, checked against the Intel 8259A datasheet (231468): the ICW
// sequence, OCW1-3, priority and nesting, the EOI kinds, rotation, special mask mode,
// poll, the cascade through IR2, spurious IR7/IR15, edge vs level, and the vector of each
// INTA sequence. Section names in comments are the datasheet's.
#include <gtest/gtest.h>

#include "platform/devices/pic8259.h"
#include "platform/machine.h"
#include "platform/state_io.h"

using namespace platform;

namespace {

struct PicFixture : ::testing::Test {
  Pic8259 pic{[this] { ++changes; }};
  int changes = 0;

  void out(uint16_t port, uint8_t v) { pic.io_write(port, 1, v); }
  uint8_t in(uint16_t port) { return uint8_t(pic.io_read(port, 1)); }
  // The PC/AT sequence every kernel uses: edge triggered, cascade, ICW4, 8086 mode;
  // vectors 0x20 and 0x28; slave on master IR2.
  void init_pc(uint8_t icw4 = 0x01, uint8_t icw1 = 0x11) {
    out(0x20, icw1);
    out(0x21, 0x20);
    out(0x21, 0x04);
    out(0x21, icw4);
    out(0xA0, icw1);
    out(0xA1, 0x28);
    out(0xA1, 0x02);
    out(0xA1, 0x01);
  }
  uint8_t irr(uint16_t base) {
    out(base, 0x0A);  // OCW3: read IRR
    return in(base);
  }
  uint8_t isr(uint16_t base) {
    out(base, 0x0B);  // OCW3: read ISR
    return in(base);
  }
};

TEST_F(PicFixture, PowerOnMasksEverythingAndIcw1ClearsTheMask) {
  EXPECT_EQ(in(0x21), 0xFF);
  EXPECT_EQ(in(0xA1), 0xFF);
  pic.set_irq(1, true);
  EXPECT_FALSE(pic.intr_pending());
  init_pc();
  // "Initialization Command Words": ICW1 clears the IMR; status reads select IRR.
  EXPECT_EQ(in(0x21), 0x00);
  EXPECT_EQ(in(0xA1), 0x00);
  // The edge-sense circuit is reset: IRQ 1, already high, needs a new rising edge.
  EXPECT_EQ(in(0x20), 0x00);
  EXPECT_FALSE(pic.intr_pending());
  pic.set_irq(1, false);
  pic.set_irq(1, true);
  EXPECT_EQ(in(0x20), 0x02);
  EXPECT_TRUE(pic.intr_pending());
  EXPECT_GT(changes, 0);
}

TEST_F(PicFixture, IcwSequenceSkipsIcw3InSingleModeAndIcw4WithoutIc4) {
  // ICW1 = 0x12: single (SNGL), no ICW4: only ICW2 follows, then bytes at A0=1 are OCW1.
  out(0x20, 0x12);
  out(0x21, 0x40);
  out(0x21, 0x5A);
  EXPECT_EQ(in(0x21), 0x5A);
  out(0x21, 0xFE);
  pic.set_irq(0, true);
  EXPECT_EQ(pic.intr_ack(), 0x40);
  // ICW1 = 0x13 (single, IC4): ICW2 then ICW4 (AEOI here), no ICW3.
  out(0x20, 0x13);
  out(0x21, 0x48);
  out(0x21, 0x03);  // ICW4: AEOI, 8086
  out(0x21, 0xFD);  // OCW1
  EXPECT_EQ(in(0x21), 0xFD);
  EXPECT_EQ(pic.state().chip[0].icw4, 0x03);
}

TEST_F(PicFixture, EdgeRequestIsAcknowledgedAndEnds) {
  init_pc();
  pic.set_irq(0, true);
  EXPECT_EQ(irr(0x20), 0x01);
  EXPECT_TRUE(pic.intr_pending());
  // "Interrupt Sequence" (8086): the vector is ICW2 T7-T3 with the level in bits 2-0;
  // the ISR bit is set and the IRR bit reset.
  EXPECT_EQ(pic.intr_ack(), 0x20);
  EXPECT_EQ(irr(0x20), 0x00);
  EXPECT_EQ(isr(0x20), 0x01);
  EXPECT_FALSE(pic.intr_pending());
  out(0x20, 0x20);  // OCW2: non-specific EOI
  EXPECT_EQ(isr(0x20), 0x00);
  // Edge triggered: the line staying high does not request again.
  EXPECT_FALSE(pic.intr_pending());
  pic.set_irq(0, false);
  pic.set_irq(0, true);
  EXPECT_TRUE(pic.intr_pending());
}

TEST_F(PicFixture, APulsedLineKeepsItsRequestUntilAcknowledged) {
  init_pc();
  pic.set_irq(4, true);
  pic.set_irq(4, false);  // IrqLine::pulse(): documented deviation, the edge latches
  EXPECT_EQ(irr(0x20), 0x10);
  EXPECT_EQ(pic.intr_ack(), 0x24);
}

TEST_F(PicFixture, MaskedRequestsStayInIrrButDoNotInterrupt) {
  init_pc();
  out(0x21, 0x08);  // OCW1: mask IR3
  pic.set_irq(3, true);
  EXPECT_EQ(irr(0x20), 0x08);
  EXPECT_FALSE(pic.intr_pending());
  out(0x21, 0x00);
  EXPECT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x23);
}

TEST_F(PicFixture, FullyNestedPriorityAndNonSpecificEoi) {
  init_pc();
  // "Fully Nested Mode": IR0 highest, IR7 lowest.
  pic.set_irq(5, true);
  pic.set_irq(3, true);
  EXPECT_EQ(pic.intr_ack(), 0x23);
  // IR5 is lower than IR3 in service: blocked.
  EXPECT_FALSE(pic.intr_pending());
  // IR1 is higher: it nests.
  pic.set_irq(1, true);
  EXPECT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x21);
  EXPECT_EQ(isr(0x20), 0x0A);
  // "End of Interrupt": a non-specific EOI resets the highest-priority ISR bit.
  out(0x20, 0x20);
  EXPECT_EQ(isr(0x20), 0x08);
  EXPECT_FALSE(pic.intr_pending());
  out(0x20, 0x20);
  EXPECT_EQ(isr(0x20), 0x00);
  EXPECT_EQ(pic.intr_ack(), 0x25);
}

TEST_F(PicFixture, SpecificEoiResetsTheNamedLevel) {
  init_pc();
  pic.set_irq(6, true);
  EXPECT_EQ(pic.intr_ack(), 0x26);
  pic.set_irq(2 + 2, true);
  EXPECT_EQ(pic.intr_ack(), 0x24);
  EXPECT_EQ(isr(0x20), 0x50);
  out(0x20, 0x66);  // OCW2: specific EOI, L = 6
  EXPECT_EQ(isr(0x20), 0x10);
  out(0x20, 0x40);  // OCW2 010: no operation
  EXPECT_EQ(isr(0x20), 0x10);
}

TEST_F(PicFixture, RotationCommandsMoveTheLowestPriority) {
  init_pc();
  // "Specific Rotation": set priority with L = 4: IR5 highest, IR4 lowest.
  out(0x20, 0xC4);
  pic.set_irq(3, true);
  pic.set_irq(6, true);
  EXPECT_EQ(pic.intr_ack(), 0x26);
  out(0x20, 0x20);
  EXPECT_EQ(pic.intr_ack(), 0x23);
  // "Automatic Rotation": rotate on non-specific EOI: IR3 becomes the lowest, so IR4
  // (pending with IR1) is now the highest.
  pic.set_irq(1, true);
  pic.set_irq(4, true);
  out(0x20, 0xA0);
  EXPECT_EQ(pic.state().chip[0].lowest, 3);
  EXPECT_EQ(pic.intr_ack(), 0x24);
  // Rotate on specific EOI (L = 4): IR4 lowest; IR1 next.
  out(0x20, 0xE4);
  EXPECT_EQ(pic.state().chip[0].lowest, 4);
  EXPECT_EQ(isr(0x20), 0x00);
  EXPECT_EQ(pic.intr_ack(), 0x21);
}

TEST_F(PicFixture, AutomaticEoiLeavesIsrClearAndCanRotate) {
  init_pc(0x03);  // ICW4: AEOI, 8086
  pic.set_irq(2 + 3, true);
  EXPECT_EQ(pic.intr_ack(), 0x25);
  EXPECT_EQ(isr(0x20), 0x00);
  // OCW2 100: rotate in AEOI mode (set): each acknowledged line becomes the lowest.
  out(0x20, 0x80);
  pic.set_irq(3, true);
  EXPECT_EQ(pic.intr_ack(), 0x23);
  EXPECT_EQ(pic.state().chip[0].lowest, 3);
  out(0x20, 0x00);  // rotate in AEOI mode (clear)
  pic.set_irq(6, true);
  EXPECT_EQ(pic.intr_ack(), 0x26);
  EXPECT_EQ(pic.state().chip[0].lowest, 3);
}

TEST_F(PicFixture, CascadeAcknowledgeTakesTheVectorFromTheSlave) {
  init_pc();
  pic.set_irq(10, true);
  // "Cascading": the slave's INT is the master's IR2 request.
  EXPECT_EQ(irr(0xA0), 0x04);
  EXPECT_EQ(irr(0x20), 0x04);
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x2A);
  EXPECT_EQ(isr(0x20), 0x04);
  EXPECT_EQ(isr(0xA0), 0x04);
  // While master IR2 is in service (fully nested), a higher slave line waits...
  pic.set_irq(8, true);
  EXPECT_FALSE(pic.intr_pending());
  // ...but IRQ 0 and 1 (above IR2 on the master) get through.
  pic.set_irq(1, true);
  EXPECT_EQ(pic.intr_ack(), 0x21);
  out(0x20, 0x20);  // EOI IR1
  out(0xA0, 0x20);  // EOI to the slave, then the master
  out(0x20, 0x20);
  EXPECT_EQ(isr(0x20), 0x00);
  EXPECT_EQ(isr(0xA0), 0x00);
  // The slave's IR0 (IRQ 8) is still requesting: a fresh cascade acknowledge.
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x28);
  // A masked slave line does not reach the master.
  out(0xA1, 0x08);
  pic.set_irq(11, true);
  EXPECT_EQ(irr(0xA0), 0x08);
  out(0xA0, 0x20);
  out(0x20, 0x20);
  EXPECT_FALSE(pic.intr_pending());
}

TEST_F(PicFixture, WithoutASlaveInIcw3TheMasterSuppliesTheIr2Vector) {
  // ICW3 = 0x00 on the master: no IR has a slave, so IR2 is an ordinary input.
  out(0x20, 0x11);
  out(0x21, 0x20);
  out(0x21, 0x00);
  out(0x21, 0x01);
  out(0xA0, 0x11);
  out(0xA1, 0x28);
  out(0xA1, 0x02);
  out(0xA1, 0x01);
  pic.set_irq(9, true);
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x22);
  EXPECT_EQ(isr(0xA0), 0x00);
}

TEST_F(PicFixture, SpecialFullyNestedModeLetsAHigherSlaveLineThrough) {
  init_pc(0x11);  // master ICW4: SFNM, 8086
  pic.set_irq(12, true);
  EXPECT_EQ(pic.intr_ack(), 0x2C);
  // "Special Fully Nested Mode": the master is not locked out by IR2 in service, so the
  // slave's higher-priority IR1 (IRQ 9) is acknowledged...
  pic.set_irq(9, true);
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x29);
  EXPECT_EQ(isr(0xA0), 0x12);
  // ...while master lines below IR2 stay blocked.
  pic.set_irq(5, true);
  EXPECT_FALSE(pic.intr_pending());
}

TEST_F(PicFixture, SpuriousIr7WhenALevelRequestVanishesBeforeInta) {
  init_pc();
  out(0x4D0, 0x20);  // ELCR: IRQ 5 level triggered
  pic.set_irq(5, true);
  ASSERT_TRUE(pic.intr_pending());
  pic.set_irq(5, false);
  // "Interrupt Sequence": no request at INTA: the IR7 vector, no ISR bit.
  EXPECT_EQ(pic.intr_ack(), 0x27);
  EXPECT_EQ(isr(0x20), 0x00);
  // A request masked between INT and INTA is also gone.
  pic.set_irq(4, true);
  out(0x21, 0x10);
  EXPECT_EQ(pic.intr_ack(), 0x27);
  EXPECT_EQ(isr(0x20), 0x00);
}

TEST_F(PicFixture, SpuriousIr15WhenTheSlaveRequestVanishesAfterTheMasterLatchedIt) {
  init_pc();
  pic.set_irq(9, true);
  EXPECT_EQ(irr(0x20), 0x04);
  // The slave line is masked before the INTA sequence: the master's IR2 edge stays
  // latched, the slave has nothing: the slave answers with its IR7 vector (IRQ 15).
  out(0xA1, 0x02);
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x2F);
  // The master believes IR2 is in service (the OS must EOI the master only); the slave's
  // ISR is untouched.
  EXPECT_EQ(isr(0x20), 0x04);
  EXPECT_EQ(isr(0xA0), 0x00);
}

TEST_F(PicFixture, LevelTriggeredLinesRequestAgainAfterEoiWhileHigh) {
  init_pc(0x01, 0x19);  // ICW1.LTIM: level-triggered mode for every line
  pic.set_irq(3, true);
  EXPECT_EQ(pic.intr_ack(), 0x23);
  EXPECT_FALSE(pic.intr_pending());  // in service blocks it
  out(0x20, 0x20);
  // "Level Triggered Mode": the IR input is still high: another interrupt.
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x23);
  out(0x20, 0x20);
  pic.set_irq(3, false);
  EXPECT_FALSE(pic.intr_pending());
  EXPECT_EQ(irr(0x20), 0x00);
}

TEST_F(PicFixture, ElcrSelectsLevelPerLineAndKeepsReservedBitsZero) {
  // PIIX ELCR1 bits 2:0 and ELCR2 bits 0 and 5 are reserved (IRQ 0, 1, 2, 8, 13).
  out(0x4D0, 0xFF);
  out(0x4D1, 0xFF);
  EXPECT_EQ(in(0x4D0), 0xF8);
  EXPECT_EQ(in(0x4D1), 0xDE);
  out(0x4D0, 0x00);
  out(0x4D1, 0x00);
  init_pc();
  out(0x4D1, 0x08);  // IRQ 11 level triggered
  pic.set_irq(11, true);
  EXPECT_EQ(pic.intr_ack(), 0x2B);
  out(0xA0, 0x20);
  out(0x20, 0x20);
  ASSERT_TRUE(pic.intr_pending());  // still high: requests again
  EXPECT_EQ(pic.intr_ack(), 0x2B);
  // "Level Triggered Mode": the line must go low before the EOI, or it interrupts again.
  pic.set_irq(11, false);
  out(0xA0, 0x20);
  out(0x20, 0x20);
  EXPECT_FALSE(pic.intr_pending());
  // A 16-bit access reaches both ELCR bytes (byte cycles on the ISA bus).
  pic.io_write(0x4D0, 2, 0x4020);
  EXPECT_EQ(pic.io_read(0x4D0, 2), 0x4020u);
}

TEST_F(PicFixture, PollCommandActsAsAcknowledge) {
  init_pc();
  out(0x21, 0xFF);
  pic.set_irq(6, true);
  pic.set_irq(3, true);
  // "Poll Command": OCW3 P=1; the next read is I - - - - W2 W1 W0 and sets the ISR bit.
  out(0x20, 0x0C);
  // Masked lines take no part in priority resolution: nothing to report (I = 0).
  EXPECT_EQ(in(0x20), 0x00);
  out(0x21, 0x00);
  out(0x20, 0x0C);
  EXPECT_EQ(in(0x20), 0x83);
  EXPECT_EQ(isr(0x20), 0x08);
  // Without P, port 0x20 reads a status register again.
  EXPECT_EQ(in(0x20), 0x08);
}

TEST_F(PicFixture, SpecialMaskModeEnablesLowerLines) {
  init_pc();
  pic.set_irq(3, true);
  EXPECT_EQ(pic.intr_ack(), 0x23);
  pic.set_irq(5, true);
  EXPECT_FALSE(pic.intr_pending());
  // "Special Mask Mode": OCW3 ESMM=1 SMM=1, then mask IR3: lower IR5 is enabled.
  out(0x20, 0x68);
  out(0x21, 0x08);
  ASSERT_TRUE(pic.intr_pending());
  EXPECT_EQ(pic.intr_ack(), 0x25);
  out(0x20, 0x65);  // specific EOI IR5
  out(0x20, 0x48);  // reset special mask mode
  pic.set_irq(5, false);
  pic.set_irq(5, true);
  EXPECT_FALSE(pic.intr_pending());  // IR3 (masked, in service) inhibits again
}

TEST_F(PicFixture, SaveLoadRoundTripAndMalformedStates) {
  init_pc();
  out(0x4D0, 0x80);
  pic.set_irq(7, true);
  pic.set_irq(10, true);
  pic.set_irq(4, true);
  EXPECT_EQ(pic.intr_ack(), 0x2A);  // IR2 (the slave's IRQ 10) beats IR4
  out(0x20, 0xC5);
  StateWriter w;
  pic.save(w);
  int other_changes = 0;
  Pic8259 copy([&] { ++other_changes; });
  StateReader r(w.data());
  copy.load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(copy.dump(), pic.dump());
  EXPECT_GT(other_changes, 0);  // the machine's INTR is recomputed
  EXPECT_EQ(copy.intr_ack(), pic.intr_ack());

  // Byte 10 after the section marker (8-byte length + 7 characters) is the master's
  // lowest-priority line; 9 is no line.
  std::vector<uint8_t> bad = w.data();
  const size_t base = 8 + 7;
  bad[base + 10] = 9;
  StateReader rb(bad);
  EXPECT_THROW(copy.load(rb), StateError);
  // A level-triggered line whose request differs from its level.
  bad = w.data();
  bad[base + 0] &= 0x7F;  // master IRR bit 7 (ELCR level, line high) cleared
  StateReader rc(bad);
  EXPECT_THROW(copy.load(rc), StateError);
  // Truncated.
  bad = w.data();
  bad.resize(bad.size() - 1);
  StateReader rd(bad);
  EXPECT_THROW(copy.load(rd), StateError);
  // Nothing was taken from the rejected states.
  EXPECT_EQ(copy.state().chip[0].lowest, pic.state().chip[0].lowest);
}

TEST_F(PicFixture, WideAndUnusedAccessesAreHarmless) {
  init_pc();
  pic.io_write(0x20, 2, 0xFB0A);  // OCW3 (read IRR) at 0x20, then OCW1 at 0x21
  EXPECT_EQ(in(0x21), 0xFB);
  EXPECT_EQ(pic.io_read(0x20, 4) >> 16, 0xFFFFu);  // 0x22-0x23 are not the PIC's
  pic.set_irq(16, true);
  pic.set_irq(2, true);  // no ISA IRQ 2 on an AT: ignored
  EXPECT_EQ(irr(0x20), 0x00);
}

// The machine: ISA lines reach the PIC through set_isa_irq, and the INTA cycle returns
// its vector.
TEST(MachinePic, IsaIrqLinesReachThePicAndTheCpuAcknowledges) {
  Machine m;
  for (auto [port, v] : {std::pair<uint16_t, uint8_t>{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04},
                         {0x21, 0x01}, {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}}) {
    m.io_write(port, 1, v);
  }
  IrqLine line(&m, 14);
  line.raise();
  EXPECT_TRUE(m.pic8259().intr_pending());
  EXPECT_EQ(m.intr_ack(), 0x2E);
  line.lower();
  m.io_write(0xA0, 1, 0x20);
  m.io_write(0x20, 1, 0x20);
  EXPECT_FALSE(m.pic8259().intr_pending());
  EXPECT_NE(m.dump().find("[pic8259]\nmaster.irr="), std::string::npos);
}

}  // namespace
