// platform/devices/pic8259.h — the PC's cascaded pair of Intel 8259A programmable
// interrupt controllers, with the PIIX edge/level control registers (ELCR).
//
// Datasheet: Intel 8259A Programmable Interrupt Controller (order no. 231468), sections
// "Interrupt Sequence", "Programming the 8259A" (ICW1-4, OCW1-3), "Fully Nested Mode",
// "End of Interrupt", "Automatic Rotation", "Special Mask Mode", "Poll Command",
// "Cascading"; ELCR: Intel 82371FB/SB (PIIX/PIIX3) datasheet, registers 04D0h/04D1h.
//
//   Pic8259 pic([&] { machine.update_intr(); });
//   ports.map(0x20, 2, &pic); ports.map(0xA0, 2, &pic); ports.map(0x4D0, 2, &pic);
//   pic.set_irq(0, true);                 // ISA IRQ 0-15 input levels
//   if (pic.intr_pending()) vector = pic.intr_ack();
//
// Wiring (as on every PC/AT): master at 0x20-0x21 drives the CPU's INTR, slave at
// 0xA0-0xA1 drives the master's IR2; ISA IRQ 0-7 are master IR0-7, IRQ 8-15 slave IR0-7.
//
// Modelled:
// - ICW1-ICW4 sequence (ICW3 only in cascade mode, ICW4 only when ICW1.IC4). ICW1 clears
//   IMR and ISR, resets priority (IR7 lowest), special mask mode and the edge-sense
//   latches, and selects IRR for status reads. Edge or level triggering: ICW1.LTIM for the
//   whole chip, or per line through the ELCR (a line is level triggered if either says so).
// - OCW1 (IMR), OCW2 (non-specific / specific EOI, rotate on non-specific / specific EOI,
//   set priority, rotate-in-AEOI set/clear), OCW3 (read IRR/ISR, poll, special mask mode).
// - Priority resolution with rotation, in-service nesting (fully nested mode), special
//   fully nested mode on the master (ICW4.SFNM: a slave request is let through while IR2
//   is in service), special mask mode (in-service bits of masked lines stop inhibiting),
//   automatic EOI (ICW4.AEOI) with optional rotation.
// - The cascade: the master's IR2 input is the slave's INT output; an acknowledge that
//   resolves to IR2 in cascade mode (ICW1.SNGL=0) with ICW3 bit 2 set takes the vector
//   from the slave (the slave's ICW3 ID is not compared: it is the only slave).
// - Spurious interrupts: when no request is left at the acknowledge, the master returns
//   its IR7 vector (ISR unchanged); when the master resolved IR2 but the slave has nothing,
//   the slave returns its IR7 vector (IRQ15), the master's ISR bit 2 is set and the slave's
//   ISR is unchanged (datasheet "Interrupt Sequence", last paragraph).
// - Vectors: 8086 mode (ICW2 bits 7:3 | level). ICW4.uPM=0 (8080/85 CALL sequence) is not
//   modelled: the vector is returned as in 8086 mode.
// - ELCR 0x4D0 (IRQ 0-7) and 0x4D1 (IRQ 8-15): 1 = level. The PIIX reserved bits (IRQ 0,
//   1, 2, 8, 13) read as zero and ignore writes.
//
// Deviations, documented:
// - Edge-triggered inputs latch the request on the rising edge and keep it until the
//   acknowledge, even if the line falls first (as QEMU does): devices may pulse() a line.
//   The datasheet requires the line to stay high until the first INTA; a vanishing
//   request still gives a spurious IR7 for level-triggered lines and masked requests.
// - The master's cascade input IR2 follows the slave's INT output. During the slave's
//   acknowledge, INT drops (as the real pin does between INTA pulses), so a request still
//   pending in the slave raises a fresh edge on the master's IR2.
// - Power-on state (before any ICW1): all lines masked (IMR = 0xFF), vector base 0, edge
//   triggered — no BIOS has run. Buffered mode (ICW4.BUF, M/S) is stored but has no effect.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "platform/irq.h"
#include "platform/port_bus.h"

namespace platform {

class Pic8259 final : public PortDevice, public InterruptController {
 public:
  static constexpr uint16_t kMasterPort = 0x20;
  static constexpr uint16_t kSlavePort = 0xA0;
  static constexpr uint16_t kElcrPort = 0x4D0;  // 0x4D0 master lines, 0x4D1 slave lines
  static constexpr unsigned kCascadeLine = 2;   // the master input wired to the slave INT

  // One 8259A.
  struct Chip {
    uint8_t irr = 0;    // interrupt request register
    uint8_t isr = 0;    // in-service register
    uint8_t imr = 0xFF; // interrupt mask register (OCW1)
    uint8_t lines = 0;  // input levels of IR0-7
    uint8_t elcr = 0;   // 1 = level triggered (ELCR)
    uint8_t icw1 = 0, icw2 = 0, icw3 = 0, icw4 = 0;
    uint8_t init_step = 0;   // 0 = operational; 2, 3, 4 = the next byte at A0=1 is ICWn
    uint8_t lowest = 7;      // the line with the lowest priority (rotation)
    bool read_isr = false;   // OCW3 RR/RIS: status reads at A0=0 return ISR (else IRR)
    bool poll = false;       // OCW3 P: the next read at A0=0 is a poll
    bool special_mask = false;
    bool rotate_aeoi = false;
  };
  struct State {
    Chip chip[2];  // [0] master, [1] slave
  };

  // `on_change` is called whenever the master's INT output may have changed.
  explicit Pic8259(std::function<void()> on_change) : on_change_(std::move(on_change)) {}

  const char* name() const override { return "pic8259"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // ISA IRQ `irq` (0-15) is now at `level`; other numbers are ignored.
  void set_irq(unsigned irq, bool level);

  // InterruptController: the master's INT output, and the INTA sequence.
  bool intr_pending() const override;
  uint8_t intr_ack() override;

  const State& state() const { return s_; }

 private:
  // The line with the highest priority that may interrupt now, or -1.
  static int resolve(const Chip& c, bool master);
  static bool level_triggered(const Chip& c, unsigned line) {
    return (c.icw1 & 0x08) || (c.elcr >> line & 1);
  }
  static uint8_t vector_base(const Chip& c) { return c.icw2 & 0xF8; }
  bool cascade() const { return !(s_.chip[0].icw1 & 0x02); }
  void set_line(Chip& c, unsigned line, bool level);
  // The INTA effect on one chip for `line`: ISR set (unless AEOI), edge request cleared.
  void acknowledge(Chip& c, unsigned line);
  void write_command(Chip& c, uint8_t v);  // A0=0: ICW1, OCW2, OCW3
  void write_data(Chip& c, uint8_t v);     // A0=1: ICW2-4, OCW1
  uint8_t read_command(Chip& c);
  void eoi(Chip& c, uint8_t ocw2);
  // Propagates the slave's INT to the master's IR2, then tells the machine.
  void update();

  State s_;
  std::function<void()> on_change_;
};

}  // namespace platform
