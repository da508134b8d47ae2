// platform/devices/uart16550.h — a National Semiconductor PC16550D UART (COM1 at 0x3F8,
// IRQ 4), after the PC16550D datasheet (June 1995), section 8 "Registers".
//
//   offset 0 RBR (read) / THR (write); DLL when LCR.DLAB     4 MCR
//          1 IER; DLM when LCR.DLAB                           5 LSR
//          2 IIR (read) / FCR (write)                         6 MSR
//          3 LCR                                              7 SCR
//
// Modelled:
// - Receiver: a 16-byte FIFO (FCR bit 0) or the single RBR (16450 mode), FIFO reset, the
//   trigger levels 1/4/8/14 (FCR bits 7:6), LSR.DR, and overrun (LSR.OE): in FIFO mode a
//   character arriving at a full FIFO is lost; in 16450 mode it overwrites RBR (datasheet
//   LSR bit 1). The character timeout indication (IIR 0xC): in FIFO mode, with at least
//   one character in the FIFO and none received or read for 4 character times; cleared
//   by an RBR read. A character time is (start + data + parity + stop bits) x 16 x divisor
//   cycles of the 1.8432 MHz crystal, converted to CPU cycles with platform::Clock; a
//   divisor of 0 counts as 65536 (a choice: the datasheet leaves it undefined).
// - Interrupts (datasheet Table IV), highest priority first: receiver line status (6,
//   OE; cleared by an LSR read), received data available (4, FIFO at or above the
//   trigger level, or RBR full; cleared by reading below it), character timeout (0xC),
//   THR empty (2; set when THR empties and when IER.ETBEI is set while THR is empty,
//   cleared by an IIR read that reports it or by a THR write), modem status (0, the MSR
//   delta bits; cleared by an MSR read). IIR bits 7:6 are set in FIFO mode.
// - The IRQ output as a PC wires it: INTR reaches IRQ 4 through a buffer enabled by the
//   OUT2 pin, which is active when MCR bit 3 is set and forced inactive in loopback mode
//   (datasheet "Modem Control Register", bit 4: the outputs go to their inactive state).
//   So the line is INTR && MCR.OUT2 && !MCR.LOOP. set_out2_gate(false) takes the gate out
//   (the line is then INTR, loopback or not), as QEMU's 16550 has it: kernels written
//   against QEMU, xv6 among them (its uartinit writes MCR = 0), get their interrupts
//   there. The Machine does so unless MachineConfig::com1_out2_gates_irq.
// - Loopback (MCR bit 4): transmitted characters enter the receiver at once (with
//   overrun as above); MSR bits 7:4 follow OUT2, OUT1, DTR, RTS, and their changes set
//   the delta bits (DCTS, DDSR, TERI on RI falling, DDCD). Outside loopback the modem
//   inputs show a connected terminal: DCD, DSR and CTS active, RI inactive.
// - LSR.PE, FE, BI and bit 7 (error in RCVR FIFO) are never set: the line carries no
//   parity or framing errors and no breaks (LCR bit 6, set break, is stored only).
//
// Transmit is instant: a byte written to THR goes to the sink at once, so THR and the
// shift register are always empty (LSR.THRE and TEMT read 1). A THR write still clears
// the THRE interrupt and sets it again, so INTR drops and rises (an edge, as on hardware
// one character time later). Modelling the transmitter's timing would make every
// polling guest spin for 87 us of machine time a byte at 115200 baud, for no benefit.
//
// Host input (the machine's InputQueue, channel Serial) enters through host_send(): it
// is a terminal at the other end of the line that sends at the line rate (one character
// time a byte, from the current divisor and LCR) and obeys flow control: it sends a byte
// only while the receiver has room (the FIFO not full; in 16450 mode RBR empty) and not
// in loopback (where the receiver is disconnected from the line). So scripted input is
// never lost, and a run is the same whatever the guest's reading speed. receive() is the
// raw serial input: a character completing now, with the datasheet's overrun.
#pragma once

#include <cstdint>
#include <deque>

#include "platform/clock.h"
#include "platform/irq.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

class Uart16550 final : public PortDevice {
 public:
  static constexpr uint16_t kCom1 = 0x3F8, kCom2 = 0x2F8;
  static constexpr unsigned kCom1Irq = 4, kCom2Irq = 3;
  static constexpr uint16_t kPorts = 8;
  static constexpr size_t kFifoDepth = 16;
  static constexpr uint64_t kCrystalHz = 1'843'200;  // the PC's UART clock
  // Host bytes waiting on the line (flow control) a snapshot may hold.
  static constexpr size_t kMaxLineBytes = 64u << 20;

  // `sched` and `clock` give the time (character times, the timeout); `irq` is the ISA
  // line behind the OUT2 gate.
  Uart16550(uint16_t base, ByteSink sink, Scheduler& sched, const Clock& clock, IrqLine irq = {});
  ~Uart16550() override;

  const char* name() const override { return "uart16550"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // A byte from the host terminal: queued on the line, received at the line rate under
  // flow control (see above).
  void host_send(uint8_t byte);
  // A character completes on the serial input now (overrun if there is no room).
  void receive(uint8_t byte);

  // Whether OUT2 (and loopback) gate the IRQ line, as on a PC serial card (the default).
  // Configuration, not state: not saved.
  void set_out2_gate(bool on);
  bool out2_gate() const { return out2_gate_; }

  // INTR (before the OUT2 gate) and the IRQ line after it.
  bool intr() const { return interrupt_id() != 0x01; }
  bool irq_level() const { return irq_.level(); }
  uint16_t base() const { return base_; }
  uint64_t bytes_transmitted() const { return s_.tx_count; }
  uint64_t bytes_received() const { return s_.rx_count; }
  size_t line_pending() const { return s_.line.size(); }
  uint16_t divisor() const { return uint16_t(s_.dll | (s_.dlm << 8)); }
  // CPU cycles one character takes with the current divisor and LCR.
  uint64_t char_cycles() const;

 private:
  bool irq_output() const { return intr() && (!out2_gate_ || ((s_.mcr & 0x08) && !loopback())); }
  bool out2_gate_ = true;
  struct State {
    uint8_t ier = 0, lcr = 0, mcr = 0, scr = 0;
    uint8_t fcr = 0;             // bit 0 FIFO enable, bit 3 DMA mode, bits 7:6 trigger
    uint8_t dll = 0x01, dlm = 0;  // divisor 1: 115200 baud
    uint8_t lsr_err = 0;         // LSR bits 4:1 latched (only OE is ever set)
    uint8_t msr_delta = 0;       // MSR bits 3:0
    uint8_t msr_in = 0xB0;       // modem inputs as last seen (MSR bits 7:4)
    uint8_t rbr = 0;             // the last character read (what an empty RBR reads)
    bool thre_pending = false;   // THR-empty interrupt
    bool timeout_latched = false;
    std::deque<uint8_t> rx;      // receiver FIFO (at most 1 byte in 16450 mode)
    uint64_t rx_activity = 0;    // cycle of the last character received or read
    std::deque<uint8_t> line;    // host bytes not yet sent (flow control)
    bool in_flight = false;      // line.front() is on the wire, arriving at `arrival`
    uint64_t arrival = 0;
    uint64_t line_free = 0;      // cycle the last host byte finished arriving
    uint64_t tx_count = 0, rx_count = 0;
  };

  bool dlab() const { return s_.lcr & 0x80; }
  bool loopback() const { return s_.mcr & 0x10; }
  bool fifo_enabled() const { return s_.fcr & 0x01; }
  unsigned trigger() const;
  bool rx_has_room() const { return s_.rx.size() < (fifo_enabled() ? kFifoDepth : 1); }
  bool timed_out() const;
  uint64_t timeout_deadline() const { return s_.rx_activity + 4 * char_cycles(); }
  uint8_t lsr() const;
  uint8_t modem_inputs() const;
  uint8_t interrupt_id() const;  // IIR bits 3:0
  void note_modem_inputs();
  void clear_rx();
  // Recomputes the IRQ line and (re)arms the timeout and line events.
  void update();
  void arm_timeout();
  void pump_line();
  void on_arrival();

  uint16_t base_;
  ByteSink sink_;
  Scheduler& sched_;
  const Clock& clock_;
  IrqLine irq_;
  State s_;
  Scheduler::Id timeout_event_ = 0, arrival_event_ = 0;  // 0 = none
  uint64_t timeout_armed_ = 0;
};

}  // namespace platform
