// The local APIC (platform/devices/lapic.h) through its MMIO window, checked against the
// Intel SDM Vol.3 chapter 10: reset state, version, the timer in one-shot and periodic
// mode with every divide value, priorities (TPR, PPR, APR), IRR/ISR and EOI, self-IPIs
// and destination matching, ESR, spurious vector, software and global disable,
// relocation, access sizes, the PIC path rule, and save/load.
#include <gtest/gtest.h>

#include <random>

#include "platform/machine.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;

namespace {

constexpr uint64_t kBase = Lapic::kDefaultBase;

struct Apic {
  Machine& m;
  uint32_t rd(uint32_t off) { return uint32_t(m.mmio_read(kBase + off, 4)); }
  void wr(uint32_t off, uint32_t v) { m.mmio_write(kBase + off, 4, v); }
  // Advances machine time to `cycle` and runs the device events due by then.
  void at(uint64_t cycle) {
    m.cpu().state().cycles = cycle;
    m.scheduler().run_due(cycle);
  }
  bool irr(unsigned v) { return rd(Lapic::IRR + 0x10 * (v / 32)) >> (v % 32) & 1; }
  bool isr(unsigned v) { return rd(Lapic::ISR + 0x10 * (v / 32)) >> (v % 32) & 1; }
  bool tmr(unsigned v) { return rd(Lapic::TMR + 0x10 * (v / 32)) >> (v % 32) & 1; }
  void self_ipi(uint8_t vector, uint32_t extra = 0) { wr(Lapic::ICR_LO, (1u << 18) | extra | vector); }
  uint32_t esr() {
    wr(Lapic::ESR, 0);  // 10.5.3: write, then read
    return rd(Lapic::ESR);
  }
};

// A controller with one pending vector until acknowledged (as in platform_infra_test).
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

TEST(Lapic, PowerUpStateAndVersion) {
  // 10.4.7.1: the state after power-up (no firmware: what a --bios ROM finds).
  Machine m({.firmware_setup = false});
  Apic a{m};
  EXPECT_EQ(a.rd(Lapic::ID), 0u);  // the BSP, APIC ID 0 as CPUID.1:EBX[31:24] says
  // 10.4.8: version 0x14 (integrated xAPIC), max LVT entry 5 (six entries).
  EXPECT_EQ(a.rd(Lapic::VERSION), 0x00050014u);
  EXPECT_EQ(a.rd(Lapic::TPR), 0u);
  EXPECT_EQ(a.rd(Lapic::PPR), 0u);
  EXPECT_EQ(a.rd(Lapic::LDR), 0u);
  EXPECT_EQ(a.rd(Lapic::DFR), 0xFFFFFFFFu);
  EXPECT_EQ(a.rd(Lapic::SVR), 0xFFu);
  for (uint32_t off = Lapic::LVT_TIMER; off <= Lapic::LVT_ERROR; off += 0x10) EXPECT_EQ(a.rd(off), 0x10000u) << off;
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(a.rd(Lapic::ISR + 0x10 * i), 0u);
    EXPECT_EQ(a.rd(Lapic::TMR + 0x10 * i), 0u);
    EXPECT_EQ(a.rd(Lapic::IRR + 0x10 * i), 0u);
  }
  EXPECT_EQ(a.rd(Lapic::ICR_LO), 0u);
  EXPECT_EQ(a.rd(Lapic::TIMER_INITIAL), 0u);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 0u);
  EXPECT_EQ(a.rd(Lapic::TIMER_DIVIDE), 0u);
}

TEST(Lapic, FirmwareLeavesVirtualWireMode) {
  // Without a BIOS the machine sets what one leaves (MP spec 1.4 §3.6.2.2; SeaBIOS).
  Machine m;
  Apic a{m};
  EXPECT_EQ(a.rd(Lapic::SVR), 0x1FFu);
  EXPECT_EQ(a.rd(Lapic::LVT_LINT0), 0x8700u);  // ExtINT, level, unmasked
  EXPECT_EQ(a.rd(Lapic::LVT_LINT1), 0x8400u);  // NMI, unmasked
  EXPECT_EQ(a.rd(Lapic::LVT_TIMER), 0x10000u);
  m.reset();
  EXPECT_EQ(a.rd(Lapic::LVT_LINT0), 0x8700u);
}

TEST(Lapic, RegisterWritesKeepOnlyDefinedBits) {
  Machine m;
  Apic a{m};
  a.wr(Lapic::ID, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::ID), 0xFF000000u);
  a.wr(Lapic::ID, 0);
  a.wr(Lapic::TPR, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::TPR), 0xFFu);
  a.wr(Lapic::TPR, 0);
  a.wr(Lapic::LDR, 0x12345678);
  EXPECT_EQ(a.rd(Lapic::LDR), 0x12000000u);
  a.wr(Lapic::DFR, 0);
  EXPECT_EQ(a.rd(Lapic::DFR), 0x0FFFFFFFu);  // bits 27:0 read as ones
  a.wr(Lapic::VERSION, 0);
  EXPECT_EQ(a.rd(Lapic::VERSION), 0x00050014u);  // read-only
  a.wr(Lapic::ICR_HI, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::ICR_HI), 0xFF000000u);
  // LVT timer: vector, mask, mode; bit 18 (TSC-deadline) is reserved, not advertised.
  a.wr(Lapic::LVT_TIMER, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::LVT_TIMER), 0x000300FFu);
  a.wr(Lapic::LVT_LINT0, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::LVT_LINT0), 0x0001A7FFu);  // remote IRR and delivery status RO
  a.wr(Lapic::LVT_ERROR, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::LVT_ERROR), 0x000100FFu);
  a.wr(Lapic::TIMER_DIVIDE, 0xFFFFFFFF);
  EXPECT_EQ(a.rd(Lapic::TIMER_DIVIDE), 0xBu);
  EXPECT_EQ(a.esr(), 0u);  // none of this is an error
}

// ---- Timer (SDM 10.5.4) ----------------------------------------------------------------

TEST(LapicTimer, DivideConfigurationEncodings) {
  // Figure 10-10: bits 3, 1, 0.
  Machine m;
  Apic a{m};
  const std::pair<uint32_t, uint32_t> table[] = {{0x0, 2},  {0x1, 4},  {0x2, 8},  {0x3, 16},
                                                 {0x8, 32}, {0x9, 64}, {0xA, 128}, {0xB, 1}};
  for (auto [code, div] : table) {
    a.wr(Lapic::TIMER_DIVIDE, code);
    EXPECT_EQ(m.lapic().divisor(), div) << code;
  }
}

TEST(LapicTimer, OneShotCountsDownAtTheBusClockAndInterruptsOnce) {
  // At the default 1000 MHz CPU the 100 MHz bus ticks every 10 cycles; with divide 16
  // the count drops every 160 cycles, so 1000 counts take 160,000 cycles.
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, 0x40);  // one-shot, vector 0x40, unmasked
  a.wr(Lapic::TIMER_DIVIDE, 0x3);
  a.at(0);
  a.wr(Lapic::TIMER_INITIAL, 1000);
  EXPECT_EQ(m.scheduler().next_deadline(), 160'000u);  // one event, at the expiry
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 1000u);
  a.at(159);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 1000u);
  a.at(160);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 999u);
  a.at(80'000);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 500u);
  a.at(159'999);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 1u);
  EXPECT_FALSE(a.irr(0x40));
  a.at(160'000);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 0u);
  EXPECT_TRUE(a.irr(0x40));
  EXPECT_FALSE(a.tmr(0x40));  // timer interrupts are edge
  EXPECT_TRUE(m.lapic().intr_pending());
  // One-shot: stays at 0, no further event.
  EXPECT_EQ(m.scheduler().next_deadline(), Scheduler::kNever);
  a.at(1'000'000);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 0u);
  EXPECT_EQ(a.rd(Lapic::TIMER_INITIAL), 1000u);
}

TEST(LapicTimer, PeriodicReloadsWithEveryDivideValue) {
  for (auto [code, div] : {std::pair{0xBu, 1u}, {0x0u, 2u}, {0x9u, 64u}, {0xAu, 128u}}) {
    Machine m;
    Apic a{m};
    a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x41);  // periodic
    a.wr(Lapic::TIMER_DIVIDE, code);
    a.at(5);  // within bus tick 0
    a.wr(Lapic::TIMER_INITIAL, 100);
    const uint64_t period = 100ull * div * 10;  // cycles
    for (uint64_t k = 1; k <= 3; ++k) {
      EXPECT_EQ(m.scheduler().next_deadline(), k * period) << div;
      a.at(k * period - 1);
      EXPECT_FALSE(a.irr(0x41));
      EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 1u);
      a.at(k * period);
      EXPECT_TRUE(a.irr(0x41)) << div << " " << k;
      EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 100u);  // reloaded
      EXPECT_EQ(m.intr_ack(), 0x41);
      a.wr(Lapic::EOI, 0);
      a.at(k * period + period / 2);
      EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 50u);
    }
  }
}

TEST(LapicTimer, ZeroStopsAndRewritingRestarts) {
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x42);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);
  a.wr(Lapic::TIMER_INITIAL, 1000);  // period 10,000 cycles
  a.at(4'000);
  a.wr(Lapic::TIMER_INITIAL, 500);  // restarts from the new count
  EXPECT_EQ(m.scheduler().next_deadline(), 9'000u);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 500u);
  a.wr(Lapic::TIMER_INITIAL, 0);
  EXPECT_EQ(m.scheduler().next_deadline(), Scheduler::kNever);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 0u);
  a.at(100'000);
  EXPECT_FALSE(a.irr(0x42));
}

TEST(LapicTimer, MaskedTimerCountsWithoutEventsAndUnmaskingSkipsPassedExpiries) {
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, Lapic::kLvtMasked | (1u << 17) | 0x43);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);
  a.wr(Lapic::TIMER_INITIAL, 100);  // period 1,000 cycles
  EXPECT_EQ(m.scheduler().next_deadline(), Scheduler::kNever);
  a.at(2'500);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 50u);
  EXPECT_FALSE(a.irr(0x43));
  a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x43);  // unmask: the next expiry is at 3,000
  EXPECT_EQ(m.scheduler().next_deadline(), 3'000u);
  a.at(3'000);
  EXPECT_TRUE(a.irr(0x43));
  // A one-shot expiry that passed while masked is lost.
  a.wr(Lapic::LVT_TIMER, Lapic::kLvtMasked | 0x47);
  a.wr(Lapic::TIMER_INITIAL, 100);  // expires at 4,000
  a.at(5'000);
  a.wr(Lapic::LVT_TIMER, 0x47);
  EXPECT_EQ(m.scheduler().next_deadline(), Scheduler::kNever);
  a.at(10'000);
  EXPECT_FALSE(a.irr(0x47));
}

TEST(LapicTimer, AWriteBetweenTheExpiryAndItsEventKeepsTheInterrupt) {
  // The CPU stops for events between instructions: a register write inside the
  // instruction that crossed the expiry cycle must not make the due expiry disappear.
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x43);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);
  a.wr(Lapic::TIMER_INITIAL, 100);  // 1,000 cycles
  m.cpu().state().cycles = 1'003;   // past the expiry, event not yet run
  a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x43);
  EXPECT_EQ(m.scheduler().next_deadline(), 1'000u);
  a.at(1'003);
  EXPECT_TRUE(a.irr(0x43));
}

TEST(LapicTimer, NoEventsWhileItsInterruptWaitsInIrr) {
  // A periodic timer whose interrupt nobody takes (IF=0, say) schedules nothing: the
  // expiries in between merge into the one IRR bit (10.8.4). After the acknowledge the
  // next expiry is armed on the original schedule.
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, (1u << 17) | 0x46);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);
  a.wr(Lapic::TIMER_INITIAL, 1);  // a period of 10 cycles
  a.at(10);
  EXPECT_TRUE(a.irr(0x46));
  EXPECT_EQ(m.scheduler().next_deadline(), Scheduler::kNever);
  a.at(1'000'005);
  EXPECT_EQ(m.intr_ack(), 0x46);
  EXPECT_EQ(m.scheduler().next_deadline(), 1'000'010u);
  a.at(1'000'010);
  EXPECT_TRUE(a.irr(0x46));
}

TEST(LapicTimer, ChangingTheDivideContinuesFromTheCurrentCount) {
  Machine m;
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, 0x44);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);    // divide 1
  a.wr(Lapic::TIMER_INITIAL, 1000);  // expiry at 10,000
  a.at(4'000);
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 600u);
  a.wr(Lapic::TIMER_DIVIDE, 0x0);  // divide 2: 600 counts take 12,000 cycles more
  EXPECT_EQ(a.rd(Lapic::TIMER_CURRENT), 600u);
  EXPECT_EQ(m.scheduler().next_deadline(), 16'000u);
}

TEST(LapicTimer, FollowsTheConfiguredCpuClock) {
  Machine m({.cpu_mhz = 250});  // one bus tick every 2.5 cycles
  Apic a{m};
  a.wr(Lapic::LVT_TIMER, 0x45);
  a.wr(Lapic::TIMER_DIVIDE, 0xB);
  a.wr(Lapic::TIMER_INITIAL, 1000);  // 10 us of bus time = 2,500 cycles
  EXPECT_EQ(m.scheduler().next_deadline(), 2'500u);
}

// ---- Priorities, IRR/ISR, EOI (SDM 10.8) -----------------------------------------------

TEST(LapicPriority, HighestVectorAboveThePriorityClassIsDelivered) {
  Machine m;
  Apic a{m};
  a.self_ipi(0x45);
  a.self_ipi(0x80);
  a.self_ipi(0x83);
  EXPECT_TRUE(a.irr(0x45) && a.irr(0x80) && a.irr(0x83));
  EXPECT_TRUE(m.lapic().intr_pending());
  // APR (10.8.3.1): TPR 0 < IRRV class 8, so the highest class, 0x80.
  EXPECT_EQ(a.rd(Lapic::APR), 0x80u);
  EXPECT_EQ(m.intr_ack(), 0x83);  // the highest vector first
  EXPECT_TRUE(a.isr(0x83));
  EXPECT_FALSE(a.irr(0x83));
  EXPECT_EQ(a.rd(Lapic::PPR), 0x80u);  // PPR = ISRV[7:4]:0 when TPR is lower
  // 0x80 is in the same class as the one in service: held (10.8.3.1).
  EXPECT_FALSE(m.lapic().intr_pending());
  a.wr(Lapic::EOI, 0);
  EXPECT_FALSE(a.isr(0x83));
  EXPECT_EQ(a.rd(Lapic::PPR), 0u);
  EXPECT_EQ(m.intr_ack(), 0x80);
  a.wr(Lapic::EOI, 0);
  // TPR 0x50 holds back class 4 and 5; PPR = TPR when no higher class is in service.
  a.wr(Lapic::TPR, 0x52);
  EXPECT_EQ(a.rd(Lapic::PPR), 0x52u);
  EXPECT_FALSE(m.lapic().intr_pending());
  EXPECT_EQ(a.rd(Lapic::APR), 0x52u);  // TPR >= IRRV class and > ISRV class
  a.wr(Lapic::TPR, 0x3F);
  EXPECT_TRUE(m.lapic().intr_pending());
  EXPECT_EQ(m.intr_ack(), 0x45);
  // TPR class 3 is below ISRV class 4: PPR = 0x40.
  EXPECT_EQ(a.rd(Lapic::PPR), 0x40u);
  a.wr(Lapic::EOI, 0);
  EXPECT_EQ(a.rd(Lapic::PPR), 0x3Fu);
}

TEST(LapicPriority, EoiClearsTheHighestInServiceVectorOnly) {
  Machine m;
  Apic a{m};
  a.self_ipi(0x50);
  EXPECT_EQ(m.intr_ack(), 0x50);
  a.self_ipi(0x90);  // nests: class 9 above class 5
  EXPECT_EQ(m.intr_ack(), 0x90);
  EXPECT_TRUE(a.isr(0x50) && a.isr(0x90));
  a.wr(Lapic::EOI, 0);
  EXPECT_FALSE(a.isr(0x90));
  EXPECT_TRUE(a.isr(0x50));
  a.wr(Lapic::EOI, 0);
  EXPECT_FALSE(a.isr(0x50));
  a.wr(Lapic::EOI, 0);  // nothing in service: no effect
  EXPECT_EQ(a.rd(Lapic::PPR), 0u);
}

TEST(LapicPriority, SpuriousVectorWhenTheInterruptIsMaskedAtAcknowledge) {
  // 10.9: the spurious vector is returned and ISR is left alone.
  Machine m;
  Apic a{m};
  a.wr(Lapic::SVR, 0x100 | 0x3F);
  a.self_ipi(0x61);
  ASSERT_TRUE(m.lapic().intr_pending());
  a.wr(Lapic::TPR, 0x70);  // the CPU had sampled INTR; TPR masks it before INTA
  EXPECT_EQ(m.lapic().intr_ack(), 0x3F);
  EXPECT_FALSE(a.isr(0x61));
  EXPECT_TRUE(a.irr(0x61));
  EXPECT_FALSE(a.isr(0x3F));
}

// ---- ICR, self-IPIs, destinations (SDM 10.6) -------------------------------------------

TEST(LapicIpi, FixedSelfIpiThroughShorthandAndDestination) {
  Machine m;
  Apic a{m};
  a.self_ipi(0x70);  // shorthand self
  EXPECT_TRUE(a.irr(0x70));
  EXPECT_EQ(a.rd(Lapic::ICR_LO) & (1u << 12), 0u);  // delivery status: idle
  a.wr(Lapic::ICR_LO, (2u << 18) | 0x71);  // all including self
  EXPECT_TRUE(a.irr(0x71));
  a.wr(Lapic::ICR_LO, (3u << 18) | 0x72);  // all excluding self: nobody
  EXPECT_FALSE(a.irr(0x72));
  a.wr(Lapic::ICR_HI, 0u << 24);  // physical, own ID 0
  a.wr(Lapic::ICR_LO, 0x73);
  EXPECT_TRUE(a.irr(0x73));
  a.wr(Lapic::ICR_HI, 0xFFu << 24);  // physical broadcast
  a.wr(Lapic::ICR_LO, 0x74);
  EXPECT_TRUE(a.irr(0x74));
  a.wr(Lapic::ICR_HI, 5u << 24);  // another APIC ID: goes nowhere
  a.wr(Lapic::ICR_LO, 0x75);
  EXPECT_FALSE(a.irr(0x75));
  a.wr(Lapic::ID, 5u << 24);  // ... unless that is now our ID
  a.wr(Lapic::ICR_LO, 0x75);
  EXPECT_TRUE(a.irr(0x75));
  // Level-triggered fixed IPI: TMR set (10.8.4).
  a.self_ipi(0x76, 1u << 15 | 1u << 14);
  EXPECT_TRUE(a.tmr(0x76));
  EXPECT_EQ(a.esr(), 0u);
}

TEST(LapicIpi, LogicalDestinationsFlatAndCluster) {
  // 10.6.2.2.
  Machine m;
  Apic a{m};
  a.wr(Lapic::LDR, 0x24u << 24);
  a.wr(Lapic::ICR_HI, 0x04u << 24);
  a.wr(Lapic::ICR_LO, (1u << 11) | 0x80);  // flat: 0x24 & 0x04
  EXPECT_TRUE(a.irr(0x80));
  a.wr(Lapic::ICR_HI, 0x08u << 24);
  a.wr(Lapic::ICR_LO, (1u << 11) | 0x81);
  EXPECT_FALSE(a.irr(0x81));
  a.wr(Lapic::DFR, 0x0FFFFFFF);  // cluster model: cluster 2, member bit 2
  a.wr(Lapic::ICR_HI, 0x24u << 24);
  a.wr(Lapic::ICR_LO, (1u << 11) | 0x82);
  EXPECT_TRUE(a.irr(0x82));
  a.wr(Lapic::ICR_HI, 0x34u << 24);  // cluster 3
  a.wr(Lapic::ICR_LO, (1u << 11) | 0x83);
  EXPECT_FALSE(a.irr(0x83));
  a.wr(Lapic::ICR_HI, 0xF4u << 24);  // all clusters
  a.wr(Lapic::ICR_LO, (1u << 11) | 0x84);
  EXPECT_TRUE(a.irr(0x84));
}

TEST(LapicIpi, InitAndStartupGoNowhereAndLeaveTheCpuRunning) {
  Machine m;
  Apic a{m};
  const cpu::State before = m.cpu().state();
  a.wr(Lapic::ICR_HI, 1u << 24);
  a.wr(Lapic::ICR_LO, 0x00004500);  // INIT assert to APIC 1
  a.wr(Lapic::ICR_LO, 0x00004608);  // SIPI to APIC 1
  a.wr(Lapic::ICR_LO, 0x00044500);  // INIT to self: ignored (see lapic.h)
  a.wr(Lapic::ICR_LO, 0x00044608);
  EXPECT_EQ(m.cpu().state(), before);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_EQ(a.rd(Lapic::IRR + 0x10 * i), 0u);
  // xv6's INIT level de-assert broadcast: the IO APIC reloads its arbitration ID.
  m.ioapic().write_register(IoApic::ID, 3u << 24);
  a.wr(Lapic::ICR_LO, 0x00088500);
  EXPECT_EQ(m.ioapic().read_register(IoApic::ARB), 3u << 24);
  EXPECT_EQ(a.rd(Lapic::ICR_LO) & (1u << 12), 0u);
}

// ---- ESR (SDM 10.5.3) ------------------------------------------------------------------

TEST(LapicErrors, IllegalVectorsAndRegistersAreLatchedByAnEsrWrite) {
  Machine m;
  Apic a{m};
  a.self_ipi(0x05);  // send illegal vector: not sent
  EXPECT_FALSE(a.irr(0x05));
  EXPECT_EQ(a.rd(Lapic::ESR), 0u);  // not visible before the write
  EXPECT_EQ(a.esr(), Lapic::kEsrSendIllegal);
  EXPECT_EQ(a.esr(), 0u);  // the write cleared it
  a.wr(Lapic::LVT_TIMER, 0x07);  // a timer interrupt with vector 7: receive illegal
  a.wr(Lapic::TIMER_INITIAL, 1);
  a.at(m.scheduler().next_deadline());
  EXPECT_FALSE(a.irr(0x07));
  EXPECT_EQ(a.esr(), Lapic::kEsrReceiveIllegal);
  EXPECT_EQ(a.rd(0x040), 0u);  // reserved register
  a.wr(0x3F0, 1);
  EXPECT_EQ(a.esr(), Lapic::kEsrIllegalRegister);
  // With the error LVT unmasked, an error raises its interrupt.
  a.wr(Lapic::LVT_ERROR, 0x33);
  a.self_ipi(0x0F);
  EXPECT_TRUE(a.irr(0x33));
  EXPECT_EQ(a.esr(), Lapic::kEsrSendIllegal);
}

// ---- Enable, disable, relocation, access sizes -----------------------------------------

TEST(LapicEnable, SoftwareDisableMasksTheLvtAndHoldsInterrupts) {
  // 10.4.7.2.
  Machine m;
  Apic a{m};
  a.self_ipi(0x66);
  a.wr(Lapic::SVR, 0xFF);
  EXPECT_EQ(a.rd(Lapic::LVT_LINT0), 0x18700u);
  a.wr(Lapic::LVT_TIMER, 0x40);
  EXPECT_EQ(a.rd(Lapic::LVT_TIMER), 0x10040u);  // the mask stays set
  EXPECT_TRUE(a.irr(0x66));                     // held
  EXPECT_FALSE(m.lapic().intr_pending());
  a.wr(Lapic::SVR, 0x1FF);
  EXPECT_TRUE(m.lapic().intr_pending());
  EXPECT_EQ(a.rd(Lapic::LVT_TIMER), 0x10040u);  // re-enabling does not unmask
}

TEST(LapicEnable, TheWindowFollowsTheApicBaseMsr) {
  Machine m;
  Apic a{m};
  uint64_t& msr = m.cpu().state().msrs.apic_base;
  EXPECT_EQ(m.page(kBase, false), nullptr);
  a.wr(Lapic::TPR, 0x20);
  msr = 0xFE000000 | (1u << 11) | (1u << 8);  // relocate
  EXPECT_EQ(m.mmio_read(kBase + Lapic::VERSION, 4), 0xFFFFFFFFu);  // nothing there now
  EXPECT_EQ(m.mmio_read(0xFE000000 + Lapic::VERSION, 4), 0x00050014u);
  EXPECT_EQ(m.mmio_read(0xFE000000 + Lapic::TPR, 4), 0x20u);
  // Global disable (10.4.3): no window; the registers return to their power-up state.
  msr = 0xFEE00000 | (1u << 8);
  EXPECT_EQ(m.mmio_read(kBase + Lapic::VERSION, 4), 0xFFFFFFFFu);
  EXPECT_EQ(m.mmio_owner(kBase), nullptr);
  EXPECT_TRUE(m.pic_reaches_intr());
  m.lapic().intr_ack();  // the LAPIC notices at its next activity
  msr = 0xFEE00000 | (1u << 11) | (1u << 8);
  EXPECT_EQ(a.rd(Lapic::TPR), 0u);
  EXPECT_EQ(a.rd(Lapic::SVR), 0xFFu);
  EXPECT_EQ(a.rd(Lapic::LVT_LINT0), 0x10000u);
}

TEST(LapicEnable, OnlyAlignedDwordWritesTakeEffect) {
  // 10.4.1: registers are defined for 32-bit accesses at 16-byte aligned offsets.
  Machine m;
  Apic a{m};
  EXPECT_EQ(m.mmio_read(kBase + 0x30, 1), 0x14u);
  EXPECT_EQ(m.mmio_read(kBase + 0x32, 1), 0x05u);
  EXPECT_EQ(m.mmio_read(kBase + 0x30, 2), 0x0014u);
  EXPECT_EQ(m.mmio_read(kBase + 0x34, 4), 0u);  // bytes 4-15 of a slot
  m.mmio_write(kBase + Lapic::TPR, 1, 0x30);
  m.mmio_write(kBase + Lapic::TPR + 4, 4, 0x30);
  m.mmio_write(kBase + Lapic::TPR, 8, 0x30);
  EXPECT_EQ(a.rd(Lapic::TPR), 0u);
  m.mmio_write(kBase + Lapic::TPR, 4, 0x30);
  EXPECT_EQ(a.rd(Lapic::TPR), 0x30u);
  EXPECT_EQ(a.esr(), 0u);
}

// ---- The PIC path (virtual wire through LINT0) -----------------------------------------

TEST(LapicPicPath, ThePicReachesIntrOnlyThroughAnExtIntLint0OrADisabledApic) {
  Machine m;
  FakePic pic;
  m.set_pic(&pic);
  Apic a{m};
  auto acked_by_pic = [&] {
    pic.pending = true;
    const int before = pic.acks;
    m.update_intr();
    const bool reaches = m.pic_reaches_intr();
    const uint8_t v = m.intr_ack();
    pic.pending = false;
    EXPECT_EQ(reaches, pic.acks > before);
    return pic.acks > before && v == 0x40;
  };
  EXPECT_TRUE(acked_by_pic());                  // firmware: LINT0 ExtINT unmasked
  a.wr(Lapic::LVT_LINT0, 0x10700);              // masked (xv6 does this)
  EXPECT_FALSE(acked_by_pic());
  a.wr(Lapic::LVT_LINT0, 0x00030);              // unmasked but fixed mode
  EXPECT_FALSE(acked_by_pic());
  a.wr(Lapic::LVT_LINT0, 0x00700);
  EXPECT_TRUE(acked_by_pic());
  a.wr(Lapic::LVT_LINT0, 0x10700);
  a.wr(Lapic::SVR, 0x0FF);                      // software disabled
  EXPECT_TRUE(acked_by_pic());
  a.wr(Lapic::SVR, 0x1FF);
  EXPECT_FALSE(acked_by_pic());
  m.cpu().state().msrs.apic_base &= ~uint64_t(1u << 11);  // globally disabled
  EXPECT_TRUE(acked_by_pic());
  // Power-up state without firmware: software disabled, so the PIC passes.
  Machine bare({.firmware_setup = false});
  FakePic pic2;
  bare.set_pic(&pic2);
  EXPECT_TRUE(bare.pic_reaches_intr());
}

TEST(LapicPicPath, TheCpuTakesThePicInterruptOnlyWhileTheWireIsOpen) {
  Machine m;
  FakePic pic;
  m.set_pic(&pic);
  // IDT at 0x2000: vector 0x40 -> 0x11000 (interrupt gate). Handler: hlt. GDT at 0x3000.
  const uint32_t handler = 0x11000;
  ptest::Bytes gate{uint8_t(handler), uint8_t(handler >> 8), 0x08, 0x00, 0x00, 0x8E, uint8_t(handler >> 16),
                    uint8_t(handler >> 24)};
  ASSERT_TRUE(m.load_ram(0x2000 + 0x40 * 8, gate));
  ASSERT_TRUE(m.load_ram(handler, ptest::Bytes{0xF4}));
  ASSERT_TRUE(m.load_ram(0x10000, ptest::Bytes{0xFB, 0x90, 0xEB, 0xFE}));  // sti ; nop ; jmp $
  ASSERT_TRUE(m.load_ram(0x3000, ptest::Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,
                                              0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0}));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  m.cpu().state().idtr = cpu::TableReg{0x2000, 0x7FF};
  m.cpu().state().gdtr = cpu::TableReg{0x3000, 23};
  m.mmio_write(kBase + Lapic::LVT_LINT0, 4, 0x10700);  // masked: blocked
  pic.pending = true;
  m.update_intr();
  EXPECT_EQ(m.run({.max_instructions = 50}).kind, StopKind::InstructionLimit);
  EXPECT_EQ(pic.acks, 0);
  m.mmio_write(kBase + Lapic::LVT_LINT0, 4, 0x8700);  // the wire opens: taken at once
  const RunOutcome r = m.run({.max_instructions = 100});
  EXPECT_EQ(r.kind, StopKind::HaltedForever) << r.detail;
  EXPECT_EQ(pic.acks, 1);
  EXPECT_EQ(m.cpu().state().rip, handler + 1);
}

// ---- NMI -------------------------------------------------------------------------------

// Flat protected mode with IF=0 spinning at 0x10000; vector 2 (NMI) -> 0x11000: hlt.
void nmi_setup(Machine& m) {
  const uint32_t handler = 0x11000;
  ptest::Bytes gate{uint8_t(handler), uint8_t(handler >> 8), 0x08, 0x00, 0x00, 0x8E, uint8_t(handler >> 16),
                    uint8_t(handler >> 24)};
  ASSERT_TRUE(m.load_ram(0x2000 + 2 * 8, gate));
  ASSERT_TRUE(m.load_ram(handler, ptest::Bytes{0xF4}));
  ASSERT_TRUE(m.load_ram(0x10000, ptest::Bytes{0xFA, 0xEB, 0xFE}));  // cli ; jmp $
  ASSERT_TRUE(m.load_ram(0x3000, ptest::Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,
                                              0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0}));
  m.cpu().enter_flat_protected(0x10000, 0x8000);
  m.cpu().state().idtr = cpu::TableReg{0x2000, 0x7FF};
  m.cpu().state().gdtr = cpu::TableReg{0x3000, 23};
  EXPECT_EQ(m.run({.max_instructions = 20}).kind, StopKind::InstructionLimit);
}

TEST(LapicNmi, NmiIpiToItselfAndAnIoApicNmiEntryReachTheCpu) {
  {
    Machine m;
    nmi_setup(m);
    m.mmio_write(kBase + Lapic::ICR_HI, 4, 0);
    m.mmio_write(kBase + Lapic::ICR_LO, 4, 0x400);  // NMI, physical destination 0
    EXPECT_EQ(m.run({.max_instructions = 40}).kind, StopKind::HaltedForever);
    EXPECT_EQ(m.cpu().state().rip, 0x11001u);
  }
  {
    Machine m;
    nmi_setup(m);
    m.mmio_write(IoApic::kDefaultBase, 4, 0x10 + 2 * 7);
    m.mmio_write(IoApic::kDefaultBase + 0x10, 4, 0x400);  // pin 7: NMI, edge, unmasked
    m.set_isa_irq(7, true);
    EXPECT_EQ(m.run({.max_instructions = 40}).kind, StopKind::HaltedForever);
    EXPECT_EQ(m.cpu().state().rip, 0x11001u);
  }
}

// ---- Untrusted guest accesses ------------------------------------------------------------

TEST(LapicRobustness, RandomAccessesKeepAValidLoadableState) {
  // Any sequence of accesses, of any size and value, with time passing, interrupts taken
  // and the MSR toggled, must leave both APICs in a state that save/load accepts.
  Machine m;
  std::mt19937 rng(12345);
  uint64_t cycle = 0;
  for (int i = 0; i < 20000; ++i) {
    const uint32_t r = uint32_t(rng());
    const uint64_t v = (uint64_t(rng()) << 32) | rng();
    const unsigned size = 1u << (r % 4);
    const uint64_t off = (r >> 4) % 0x1000 & ~uint64_t(size - 1);
    switch ((r >> 20) % 8) {
      case 0:
      case 1: m.mmio_write(kBase + (off & 0x3F0), 4, v); break;  // mostly registers
      case 2: m.mmio_write(kBase + off, size, v); break;
      case 3: (void)m.mmio_read(kBase + off, size); break;
      case 4:
        if (r & 2) {
          m.mmio_write(IoApic::kDefaultBase + (r & 1 ? 0x10 : 0), 4, r & 1 ? v : (v % 0x40));
        } else {
          m.mmio_write(IoApic::kDefaultBase + off, size, v);
          (void)m.mmio_read(IoApic::kDefaultBase + off, size);
        }
        break;
      case 5: m.set_isa_irq((r >> 8) % 16, v & 1); break;
      case 6:
        cycle += v % 200'000;
        m.cpu().state().cycles = cycle;
        m.scheduler().run_due(cycle);
        break;
      default:
        if (m.lapic().intr_pending()) (void)m.intr_ack();
        if ((r & 0xFF) == 0) m.cpu().state().msrs.apic_base ^= 1u << 11;
        break;
    }
    ASSERT_LT(m.scheduler().pending(), 3u);
  }
  m.cpu().state().msrs.apic_base |= 1u << 11;
  StateWriter w;
  m.lapic().save(w);
  m.ioapic().save(w);
  Machine b;
  b.cpu().state().cycles = cycle;
  StateReader rd(w.data());
  EXPECT_NO_THROW(b.lapic().load(rd));
  EXPECT_NO_THROW(b.ioapic().load(rd));
  EXPECT_EQ(b.lapic().dump(), m.lapic().dump());
  EXPECT_EQ(b.ioapic().dump(), m.ioapic().dump());
}

// ---- Save / load -----------------------------------------------------------------------

TEST(LapicState, SaveLoadRoundTripReArmsTheTimer) {
  Machine a;
  Apic x{a};
  x.wr(Lapic::LVT_TIMER, (1u << 17) | 0xA8);
  x.wr(Lapic::TIMER_DIVIDE, 0x1);
  x.wr(Lapic::TIMER_INITIAL, 300);  // period 12,000 cycles
  x.wr(Lapic::TPR, 0x20);
  x.wr(Lapic::LDR, 0x01000000);
  x.self_ipi(0x90);
  EXPECT_EQ(a.intr_ack(), 0x90);
  x.self_ipi(0x31);
  x.at(12'000);
  EXPECT_EQ(a.intr_ack(), 0xA8);
  x.at(20'000);
  StateWriter w;
  a.lapic().save(w);

  Machine b;
  b.cpu().state().cycles = 20'000;
  StateReader r(w.data());
  b.lapic().load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(b.lapic().state(), a.lapic().state());
  EXPECT_EQ(b.lapic().dump(), a.lapic().dump());
  EXPECT_EQ(b.scheduler().next_deadline(), 24'000u);
  EXPECT_EQ(a.scheduler().next_deadline(), 24'000u);
}

TEST(LapicState, AnExpiryDueButNotRunAtSaveTimeFiresAfterLoad) {
  Machine a;
  Apic x{a};
  x.wr(Lapic::LVT_TIMER, 0x49);
  x.wr(Lapic::TIMER_DIVIDE, 0xB);
  x.wr(Lapic::TIMER_INITIAL, 100);  // one-shot at 1,000
  a.cpu().state().cycles = 1'004;   // the instruction crossed it; the event has not run
  StateWriter w;
  a.lapic().save(w);
  Machine b;
  b.cpu().state().cycles = 1'004;
  StateReader r(w.data());
  b.lapic().load(r);
  EXPECT_EQ(b.scheduler().next_deadline(), 1'000u);
  b.scheduler().run_due(1'004);
  EXPECT_TRUE(b.lapic().state().irr[0x49 / 32] >> (0x49 % 32) & 1);
}

TEST(LapicState, LoadRejectsMalformedState) {
  Machine a;
  StateWriter w;
  a.lapic().save(w);
  const std::vector<uint8_t> good = w.data();
  auto load = [](std::vector<uint8_t> bytes) {
    Machine b;
    StateReader r(bytes);
    b.lapic().load(r);
  };
  EXPECT_NO_THROW(load(good));
  const size_t fields = 8 + 5;  // after the section string "lapic"
  std::vector<uint8_t> bad = good;
  bad[fields + 4] = 0x12;  // TPR bits above 7 ... TPR = 0x1200
  bad[fields + 5] = 0x12;
  EXPECT_THROW(load(bad), StateError);
  bad = good;
  bad[fields + 4 * 4] = 0;  // SVR vector 0 is fine, but...
  bad[fields + 4 * 4 + 2] = 0x10;  // SVR bit 20 is reserved
  EXPECT_THROW(load(bad), StateError);
  bad = good;
  bad[fields + 4 * 5] = 0x01;  // ISR vector 0
  EXPECT_THROW(load(bad), StateError);
  EXPECT_THROW(load(std::vector<uint8_t>(good.begin(), good.end() - 3)), StateError);
  StateWriter other;
  other.section("ioapic");
  EXPECT_THROW(load(other.data()), StateError);
}

}  // namespace
