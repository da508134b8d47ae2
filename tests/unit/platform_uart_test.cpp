// The 16550A UART against the PC16550D datasheet (National Semiconductor, June 1995):
// register reset values (Table II / "Reset" in section 8), the divisor latch and the
// character time, the receiver FIFO with trigger levels and overrun (LSR bit 1), the
// character timeout indication, interrupt priorities and their reset conditions
// (Table IV), the OUT2 gate of a PC's IRQ line, loopback (MCR bit 4) and the MSR delta
// bits, and the host line's pacing and flow control. Driven through the registers.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "platform/devices/uart16550.h"
#include "platform/machine.h"

using namespace platform;

namespace {

struct IrqLog : IrqRouter {
  std::vector<std::pair<unsigned, bool>> changes;
  void set_isa_irq(unsigned irq, bool level) override { changes.emplace_back(irq, level); }
};

// Register offsets.
enum : unsigned { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct Rig {
  uint64_t cycles = 0;
  Scheduler sched;
  Clock clock;  // 1 GHz
  IrqLog irqs;
  std::string out;
  Uart16550 u{Uart16550::kCom1, [this](uint8_t b) { out += char(b); }, sched, clock, IrqLine(&irqs, 4)};

  Rig() { sched.set_clock(&cycles); }
  uint8_t rd(unsigned off) { return uint8_t(u.io_read(uint16_t(Uart16550::kCom1 + off), 1)); }
  void wr(unsigned off, uint8_t v) { u.io_write(uint16_t(Uart16550::kCom1 + off), 1, v); }
  // Advances time to `c`, running due events at their own cycles.
  void advance_to(uint64_t c) {
    while (sched.next_deadline() <= c) {
      cycles = std::max(cycles, sched.next_deadline());
      sched.run_due(cycles);
    }
    cycles = c;
  }
  bool irq() const { return u.irq_level(); }
};

TEST(Uart16550Test, ResetValues) {
  // Datasheet Table II, "Master Reset": IER, IIR = 01, FCR, LCR, MCR = 0, LSR = 60; MSR
  // bits 3:0 = 0 and bits 7:4 follow the modem inputs (here a connected terminal).
  Rig r;
  r.u.reset();
  EXPECT_EQ(r.rd(IER), 0x00);
  EXPECT_EQ(r.rd(IIR), 0x01);
  EXPECT_EQ(r.rd(LCR), 0x00);
  EXPECT_EQ(r.rd(MCR), 0x00);
  EXPECT_EQ(r.rd(LSR), 0x60);
  EXPECT_EQ(r.rd(MSR), 0xB0);
  // IER bits 7:4 and MCR bits 7:5 are always 0.
  r.wr(IER, 0xFF);
  EXPECT_EQ(r.rd(IER), 0x0F);
  r.wr(MCR, 0xE3);
  EXPECT_EQ(r.rd(MCR), 0x03);
  // Scratch register: any value.
  r.wr(SCR, 0xA5);
  EXPECT_EQ(r.rd(SCR), 0xA5);
  EXPECT_FALSE(r.irq());
}

TEST(Uart16550Test, DivisorLatchAndCharacterTime) {
  Rig r;
  r.wr(LCR, 0x80);  // DLAB
  r.wr(DLL, 12);    // 9600 baud: 1.8432 MHz / (16 * 12)
  r.wr(DLM, 0);
  EXPECT_EQ(r.rd(DLL), 12);
  EXPECT_EQ(r.rd(DLM), 0);
  r.wr(LCR, 0x03);  // 8N1: 10 bits
  EXPECT_EQ(r.u.divisor(), 12u);
  EXPECT_TRUE(r.out.empty());  // DLL writes are not characters
  // 10 bits x 16 x 12 = 1920 crystal clocks = 1041.67 us = 1041667 cycles at 1 GHz.
  EXPECT_EQ(r.u.char_cycles(), 1041667u);
  // 7 data bits, even parity, 2 stop bits (LCR 0x1E): 1 + 7 + 1 + 2 = 11 bits.
  r.wr(LCR, 0x1E);
  EXPECT_EQ(r.u.char_cycles(), 1145834u);  // ceil(11 * 16 * 12 / 1.8432 MHz)
  // 5 data bits with "2" stop bits means 1.5 (LCR bit 2): 1 + 5 + 1.5 = 7.5 bits.
  r.wr(LCR, 0x04);
  EXPECT_EQ(r.u.char_cycles(), 781250u);
  // The latch and IER share offset 1: DLAB selects.
  r.wr(LCR, 0x83);
  r.wr(DLM, 0x01);
  r.wr(LCR, 0x03);
  r.wr(IER, 0x05);
  EXPECT_EQ(r.rd(IER), 0x05);
  EXPECT_EQ(r.u.divisor(), 0x10Cu);
}

TEST(Uart16550Test, Mode16450ReceiveAndOverrun) {
  Rig r;
  r.wr(IER, 0x05);  // received data + line status interrupts
  r.wr(MCR, 0x08);  // OUT2: the IRQ reaches the bus
  r.u.receive('a');
  EXPECT_EQ(r.rd(LSR), 0x61);  // DR
  EXPECT_EQ(r.rd(IIR), 0x04);  // received data available; no FIFO bits
  EXPECT_TRUE(r.irq());
  // LSR bit 1: a character transferred into RBR before the CPU read the previous one
  // destroys it; OE is a line status interrupt, the highest priority.
  r.u.receive('b');
  EXPECT_EQ(r.rd(IIR), 0x06);
  EXPECT_EQ(r.rd(LSR), 0x63);  // DR | OE
  EXPECT_EQ(r.rd(LSR), 0x61);  // reading LSR cleared OE
  EXPECT_EQ(r.rd(IIR), 0x04);
  EXPECT_EQ(r.rd(RBR), 'b');
  EXPECT_EQ(r.rd(LSR), 0x60);
  EXPECT_EQ(r.rd(IIR), 0x01);
  EXPECT_FALSE(r.irq());
}

TEST(Uart16550Test, FifoTriggerLevels) {
  // FCR bits 7:6 = 00, 01, 10, 11: the received data interrupt at 1, 4, 8, 14 bytes.
  const std::pair<uint8_t, unsigned> levels[] = {{0x00, 1}, {0x40, 4}, {0x80, 8}, {0xC0, 14}};
  for (const auto& [bits, level] : levels) {
    Rig r;
    r.wr(FCR, uint8_t(bits | 0x01));
    r.wr(IER, 0x01);
    for (unsigned k = 1; k < level; ++k) r.u.receive(uint8_t(k));
    EXPECT_EQ(r.rd(IIR), 0xC1) << level;  // FIFO mode, nothing yet
    r.u.receive(0xEE);
    EXPECT_EQ(r.rd(IIR), 0xC4) << level;
    r.rd(RBR);  // one below the trigger level again: the interrupt goes away
    EXPECT_EQ(r.rd(IIR), 0xC1) << level;
  }
}

TEST(Uart16550Test, FifoOverrunKeepsTheFirstSixteen) {
  Rig r;
  r.wr(FCR, 0x01);
  for (unsigned k = 0; k < 17; ++k) r.u.receive(uint8_t('A' + k));
  // LSR bit 1 in FIFO mode: the character in the shift register is overwritten and not
  // transferred to the FIFO.
  EXPECT_EQ(r.rd(LSR), 0x63);
  std::string got;
  while (r.rd(LSR) & 0x01) got += char(r.rd(RBR));
  EXPECT_EQ(got, "ABCDEFGHIJKLMNOP");
}

TEST(Uart16550Test, FcrEnableResetAndUnprogrammedBits) {
  Rig r;
  r.wr(FCR, 0x01);
  EXPECT_EQ(r.rd(IIR) & 0xC0, 0xC0);  // IIR bits 7:6 set in FIFO mode
  r.u.receive('x');
  r.u.receive('y');
  r.wr(FCR, 0x03);  // RCVR FIFO reset
  EXPECT_EQ(r.rd(LSR) & 0x01, 0);
  r.u.receive('z');
  r.wr(FCR, 0x00);  // leaving FIFO mode clears the FIFOs
  EXPECT_EQ(r.rd(LSR) & 0x01, 0);
  EXPECT_EQ(r.rd(IIR) & 0xC0, 0x00);
  // "FCR0 must be 1 when other FCR bits are written to or they will not be programmed":
  // a reset request with bit 0 = 0 does nothing; neither does a trigger level.
  r.u.receive('q');
  r.wr(FCR, 0xC2);
  EXPECT_EQ(r.rd(LSR) & 0x01, 0x01);
  EXPECT_EQ(r.rd(IIR) & 0xC0, 0x00);
}

TEST(Uart16550Test, CharacterTimeoutAfterFourCharacterTimes) {
  Rig r;
  r.wr(FCR, 0x81);  // FIFO, trigger 8
  r.wr(IER, 0x01);
  r.wr(MCR, 0x08);
  const uint64_t ct = r.u.char_cycles();  // divisor 1, LCR 0 (5N1: 7 bits)
  r.u.receive('1');
  r.u.receive('2');
  EXPECT_EQ(r.rd(IIR), 0xC1);
  r.advance_to(4 * ct - 1);
  EXPECT_FALSE(r.irq());
  EXPECT_EQ(r.rd(IIR), 0xC1);
  r.advance_to(4 * ct);  // the timeout event raises the IRQ at its cycle
  EXPECT_TRUE(r.irq());
  EXPECT_EQ(r.rd(IIR), 0xCC);
  // An RBR read clears the indication and restarts the timer.
  EXPECT_EQ(r.rd(RBR), '1');
  EXPECT_EQ(r.rd(IIR), 0xC1);
  EXPECT_FALSE(r.irq());
  r.advance_to(8 * ct - 1);
  EXPECT_FALSE(r.irq());
  r.advance_to(8 * ct);
  EXPECT_EQ(r.rd(IIR), 0xCC);
  EXPECT_EQ(r.rd(RBR), '2');
  // Empty: no timeout, ever.
  r.advance_to(100 * ct);
  EXPECT_EQ(r.rd(IIR), 0xC1);
  // A character received before the timeout restarts the timer.
  r.u.receive('3');
  r.advance_to(103 * ct);
  r.u.receive('4');
  r.advance_to(106 * ct);
  EXPECT_EQ(r.rd(IIR), 0xC1);
  r.advance_to(107 * ct);
  EXPECT_EQ(r.rd(IIR), 0xCC);
}

TEST(Uart16550Test, TransmitterEmptyInterrupt) {
  Rig r;
  r.wr(MCR, 0x08);
  // Enabling ETBEI while THR is empty raises the THRE interrupt.
  r.wr(IER, 0x02);
  EXPECT_TRUE(r.irq());
  EXPECT_EQ(r.rd(IIR), 0x02);
  // An IIR read that reports THRE clears it.
  EXPECT_EQ(r.rd(IIR), 0x01);
  EXPECT_FALSE(r.irq());
  // A THR write clears it; the byte leaves at once, so THR is empty again: the line
  // drops and rises (an edge for an edge-triggered PIC).
  r.irqs.changes.clear();
  r.wr(THR, 'x');
  EXPECT_EQ(r.out, "x");
  EXPECT_EQ(r.u.bytes_transmitted(), 1u);
  EXPECT_EQ(r.rd(LSR), 0x60);  // THRE | TEMT
  EXPECT_EQ(r.irqs.changes, (std::vector<std::pair<unsigned, bool>>{{4, true}}));
  // With the interrupt pending, a write makes the line go low, then high again.
  r.irqs.changes.clear();
  r.wr(THR, 'y');
  EXPECT_EQ(r.irqs.changes, (std::vector<std::pair<unsigned, bool>>{{4, false}, {4, true}}));
  EXPECT_EQ(r.rd(IIR), 0x02);
  // Disabling ETBEI withdraws it.
  r.wr(IER, 0x00);
  EXPECT_FALSE(r.irq());
  EXPECT_EQ(r.rd(IIR), 0x01);
}

TEST(Uart16550Test, InterruptPriorities) {
  // Table IV: line status > received data > THRE > modem status.
  Rig r;
  r.wr(MCR, 0x10);  // loopback: the modem inputs change -> delta bits
  r.wr(IER, 0x0F);
  r.wr(THR, 'a');   // into the receiver
  r.wr(THR, 'b');   // overrun: 16450 mode
  EXPECT_EQ(r.rd(IIR), 0x06);
  r.rd(LSR);
  EXPECT_EQ(r.rd(IIR), 0x04);
  r.rd(RBR);
  EXPECT_EQ(r.rd(IIR), 0x02);  // (reading it clears THRE)
  EXPECT_EQ(r.rd(IIR), 0x00);  // modem status
  r.rd(MSR);
  EXPECT_EQ(r.rd(IIR), 0x01);
}

TEST(Uart16550Test, Out2GatesTheIrqAndLoopbackDisconnectsIt) {
  Rig r;
  r.wr(IER, 0x02);  // THRE pending
  EXPECT_TRUE(r.u.intr());
  EXPECT_FALSE(r.irq());  // OUT2 off: the PC's IRQ buffer is disabled
  r.wr(MCR, 0x08);
  EXPECT_TRUE(r.irq());
  r.wr(MCR, 0x18);  // loopback forces OUT2 inactive
  EXPECT_TRUE(r.u.intr());
  EXPECT_FALSE(r.irq());
  r.wr(MCR, 0x08);
  EXPECT_TRUE(r.irq());
}

TEST(Uart16550Test, WithoutTheOut2GateTheIrqFollowsIntr) {
  // QEMU's wiring (and the Machine's default, MachineConfig::com1_out2_gates_irq): xv6's
  // uartinit writes MCR = 0 and still gets its received-data interrupts.
  Rig r;
  r.u.set_out2_gate(false);
  EXPECT_FALSE(r.u.out2_gate());
  r.wr(MCR, 0x00);
  r.wr(IER, 0x01);  // received data available
  EXPECT_FALSE(r.irq());
  r.u.receive('x');
  EXPECT_TRUE(r.irq());  // IIR = 0x04 drives the line with OUT2 clear
  EXPECT_EQ(r.rd(IIR), 0x04);
  EXPECT_EQ(r.rd(RBR), 'x');
  EXPECT_FALSE(r.irq());
  r.wr(IER, 0x02);  // THRE, in loopback too: nothing gates INTR any more
  r.wr(MCR, 0x10);
  EXPECT_TRUE(r.irq());
  // Putting the gate back applies at once.
  r.u.set_out2_gate(true);
  EXPECT_FALSE(r.irq());
}

TEST(Uart16550Test, LoopbackModemSignalsAndDeltas) {
  Rig r;
  // Loopback with all outputs off: CTS, DSR, DCD fall from the terminal's levels.
  r.wr(MCR, 0x10);
  EXPECT_EQ(r.rd(MSR), 0x0B);  // DCTS | DDSR | DDCD, inputs all inactive
  EXPECT_EQ(r.rd(MSR), 0x00);  // deltas clear on read
  // RTS -> CTS, DTR -> DSR, OUT1 -> RI, OUT2 -> DCD.
  r.wr(MCR, 0x1F);
  EXPECT_EQ(r.rd(MSR), 0xF0 | 0x0B);  // RI rising sets no TERI
  r.wr(MCR, 0x1B);                    // OUT1 off: RI falls
  EXPECT_EQ(r.rd(MSR), 0xB4);         // TERI
  // Transmitted bytes come back; nothing reaches the sink.
  r.wr(THR, 0x5A);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.rd(LSR), 0x61);
  EXPECT_EQ(r.rd(RBR), 0x5A);
  // The modem status interrupt.
  r.wr(IER, 0x08);
  r.wr(MCR, 0x19);  // RTS off: DCTS
  EXPECT_EQ(r.rd(IIR), 0x00);
  EXPECT_EQ(r.rd(MSR), 0xA1);
  EXPECT_EQ(r.rd(IIR), 0x01);
}

TEST(Uart16550Test, HostLineIsPacedAndFlowControlled) {
  Rig r;
  r.wr(LCR, 0x03);  // 8N1 at 115200: 86806 cycles a character
  const uint64_t ct = r.u.char_cycles();
  EXPECT_EQ(ct, 86806u);
  for (char c : std::string("abc")) r.u.host_send(uint8_t(c));
  r.advance_to(ct - 1);
  EXPECT_EQ(r.rd(LSR) & 0x01, 0);
  r.advance_to(ct);
  EXPECT_EQ(r.rd(LSR) & 0x01, 1);
  // 16450 mode: RBR is full, so the terminal holds 'b' (nothing is overrun).
  r.advance_to(10 * ct);
  EXPECT_EQ(r.rd(LSR), 0x61);
  EXPECT_EQ(r.u.line_pending(), 2u);
  EXPECT_EQ(r.rd(RBR), 'a');
  // 'b' takes a character time from the read.
  r.advance_to(11 * ct - 1);
  EXPECT_EQ(r.rd(LSR) & 0x01, 0);
  r.advance_to(11 * ct);
  EXPECT_EQ(r.rd(RBR), 'b');
  // FIFO mode: bytes arrive back to back.
  r.wr(FCR, 0x01);
  for (char c : std::string("defgh")) r.u.host_send(uint8_t(c));
  r.advance_to(17 * ct);
  std::string got;
  while (r.rd(LSR) & 0x01) got += char(r.rd(RBR));
  EXPECT_EQ(got, "cdefgh");
  // Loopback disconnects the line: bytes wait.
  r.wr(MCR, 0x10);
  r.u.host_send('i');
  r.advance_to(30 * ct);
  EXPECT_EQ(r.rd(LSR) & 0x01, 0);
  r.wr(MCR, 0x00);
  r.advance_to(31 * ct);
  EXPECT_EQ(r.rd(RBR), 'i');
  EXPECT_EQ(r.u.bytes_received(), 9u);
}

TEST(Uart16550Test, SaveLoadRoundTripReArmsEvents) {
  Rig a;
  a.wr(LCR, 0x83);
  a.wr(DLL, 3);
  a.wr(LCR, 0x03);
  a.wr(FCR, 0x81);  // trigger 8: four bytes stay below it
  a.wr(IER, 0x0B);
  a.wr(MCR, 0x0B);
  a.wr(SCR, 0x77);
  a.u.receive('1');
  for (char c : std::string("xyz")) a.u.host_send(uint8_t(c));
  StateWriter w;
  a.u.save(w);

  Rig b;
  StateReader rd(w.data());
  b.u.load(rd);
  EXPECT_TRUE(rd.at_end());
  EXPECT_EQ(b.u.dump(), a.u.dump());
  // The byte in flight and the timeout were re-armed: both rigs evolve alike.
  for (uint64_t t : {a.u.char_cycles(), 3 * a.u.char_cycles(), 10 * a.u.char_cycles()}) {
    a.advance_to(t);
    b.advance_to(t);
    EXPECT_EQ(b.u.dump(), a.u.dump()) << t;
    EXPECT_EQ(b.irq(), a.irq()) << t;
  }
  EXPECT_EQ(b.rd(IIR), 0xCC);  // the timeout indication

  // Corrupt values are refused.
  std::vector<uint8_t> bad = w.data();
  bad[8 + 9] = 0xF0;  // IER with bits 7:4 (after the section name: 8-byte length + 9 chars)
  StateReader rb(bad);
  Rig c;
  EXPECT_THROW(c.u.load(rb), StateError);
}

// Through the machine: COM1's IRQ is ISA line 4, host input from the InputQueue arrives at
// its cycle, a push while the machine waits is scheduled too, and serial output can go to
// its own sink.
TEST(Uart16550Test, MachineDeliversInputQueueBytesAtTheirCycle) {
  std::string console, serial;
  MachineConfig cfg;
  cfg.output = [&console](uint8_t b) { console += char(b); };
  cfg.serial_output = [&serial](uint8_t b) { serial += char(b); };
  Machine m(cfg);
  m.io_write(0x3F8, 1, 'S');
  m.io_write(0xE9, 1, 'C');
  EXPECT_EQ(serial, "S");
  EXPECT_EQ(console, "C");

  m.io_write(0x3FA, 1, 0x01);  // FIFO
  const uint64_t ct = m.uart().char_cycles();
  m.input().push({1000, InputChannel::Serial, 'h'});
  m.input().push({1000, InputChannel::Serial, 'i'});
  EXPECT_EQ(m.scheduler().next_deadline(), 1000u);
  auto run_to = [&m](uint64_t c) {  // as run() does: each event at its own cycle
    uint64_t& now = m.cpu().state().cycles;
    while (m.scheduler().next_deadline() <= c) {
      now = std::max(now, m.scheduler().next_deadline());
      m.scheduler().run_due(now);
    }
    now = c;
  };
  run_to(999);
  EXPECT_EQ(m.uart().line_pending(), 0u);
  run_to(1000);
  EXPECT_EQ(m.uart().line_pending(), 2u);
  run_to(1000 + 2 * ct);
  uint32_t v = 0;
  std::string got;
  for (;;) {
    m.io_read(0x3FD, 1, v);
    if (!(v & 1)) break;
    m.io_read(0x3F8, 1, v);
    got += char(v);
  }
  EXPECT_EQ(got, "hi");
  // A push after the queue ran dry is scheduled as well.
  m.input().push({5 * ct, InputChannel::Serial, '!'});
  EXPECT_EQ(m.scheduler().next_deadline(), 5 * ct);
  run_to(6 * ct);  // sent at 5 ct, received a character time later
  m.io_read(0x3F8, 1, v);
  EXPECT_EQ(v, uint32_t('!'));
}


TEST(Uart16550Test, MachineWiresCom1WithoutTheOut2GateUnlessConfigured) {
  // MachineConfig::com1_out2_gates_irq: off by default (QEMU's wiring, xv6's expectation),
  // on for a PC serial card's OUT2-enabled IRQ buffer.
  Machine plain;
  EXPECT_FALSE(plain.uart().out2_gate());
  plain.io_write(0x3F9, 1, 0x02);  // IER: THR empty, with MCR = 0
  EXPECT_TRUE(plain.uart().irq_level());
  MachineConfig cfg;
  cfg.com1_out2_gates_irq = true;
  Machine gated(cfg);
  EXPECT_TRUE(gated.uart().out2_gate());
  gated.io_write(0x3F9, 1, 0x02);
  EXPECT_TRUE(gated.uart().intr());
  EXPECT_FALSE(gated.uart().irq_level());
  gated.io_write(0x3FC, 1, 0x08);  // OUT2
  EXPECT_TRUE(gated.uart().irq_level());
}

}  // namespace
