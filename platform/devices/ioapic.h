// platform/devices/ioapic.h — an Intel 82093AA I/O APIC at 0xFEC00000.
//
// Datasheet: "82093AA I/O Advanced Programmable Interrupt Controller (IOAPIC)", Intel,
// May 1996 (order 290566-001), section 3. Two memory-mapped registers select and reach
// the internal ones: IOREGSEL at +0x00 (bits 7:0 the register index) and IOWIN at +0x10.
//   index 0x00 IOAPICID   bits 27:24 the ID (read/write)
//         0x01 IOAPICVER  0x00170011: version 0x11, 24 redirection entries (0x17 = 23)
//         0x02 IOAPICARB  bits 27:24 the arbitration ID (read only; reloaded from the ID by
//                         an INIT level de-assert message from the local APIC)
//         0x10 + 2n, 0x11 + 2n  redirection entry n (0-23), low and high dword:
//              7:0 vector, 10:8 delivery mode (fixed, lowest priority, SMI, NMI, INIT,
//              ExtINT), 11 destination mode (0 physical, 1 logical), 12 delivery status
//              (RO), 13 polarity (1 = low active), 14 remote IRR (RO), 15 trigger mode
//              (1 = level), 16 mask, 63:56 destination.
// Inputs: pin n carries ISA IRQ n, except IRQ0 (the PIT) on pin 2 — the interrupt source
// override the MP table describes (Machine::set_isa_irq). Edge-triggered pins deliver on
// the asserting edge (after polarity) while unmasked; an edge on a masked pin is lost
// (datasheet 3.2.4, "Interrupt Mask"). Level-triggered pins deliver while asserted,
// unmasked and remote IRR is clear, and set remote IRR; the local APIC's EOI of that
// vector clears it, and a line still asserted then delivers again. Unmasking an asserted
// level pin delivers. NMI, INIT and ExtINT are edge-only (the datasheet requires edge
// mode for them); SMI is sent and ignored (no SMM).
// Delivery is instantaneous on the one-CPU APIC bus, so delivery status always reads 0
// (idle). Every message goes to the local APIC (the sink), which matches the destination
// (physical: its APIC ID or the 0xFF broadcast, 8 bits as in the xAPIC; logical:
// LDR/DFR) and acts on the delivery mode.
// Accesses: the datasheet defines 32-bit accesses. Here IOREGSEL takes a write of any
// size (its low byte) and reads back; IOWIN reads of any size return bytes of the selected
// 32-bit register, and only aligned 32-bit writes to IOWIN take effect. Other offsets
// read 0 and drop writes; unimplemented register indexes read 0 and drop writes.
// Reset: entries masked (0x00010000, the other bits zero where the datasheet says
// "undefined"), the ID and arbitration ID 1 — the value the machine's MP table gives it
// (a BIOS programs the ID; the machine plays the BIOS's part).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "platform/devices/lapic.h"
#include "platform/mmio.h"

namespace platform {

struct IoApicState {
  uint8_t ioregsel = 0;
  uint32_t id = 0, arb = 0;        // bits 27:24
  std::array<uint64_t, 24> redir{};
  uint32_t pins = 0;               // bit n: the electrical level of pin n
  bool operator==(const IoApicState&) const = default;
};

class IoApic final : public MmioDevice {
 public:
  static constexpr uint64_t kDefaultBase = 0xFEC00000;
  static constexpr uint64_t kWindowSize = 0x1000;
  static constexpr uint32_t kVersion = 0x00170011;
  static constexpr unsigned kPins = 24;
  static constexpr uint8_t kResetId = 1;
  static constexpr uint64_t kMasked = 1u << 16;
  static constexpr uint64_t kRemoteIrr = 1u << 14;
  static constexpr uint64_t kLevel = 1u << 15;
  static constexpr uint64_t kLowActive = 1u << 13;
  // Register indexes through IOREGSEL.
  enum Reg : uint8_t { ID = 0x00, VERSION = 0x01, ARB = 0x02, REDTBL = 0x10 };

  // Returns whether the message was accepted (a level interrupt sets remote IRR only then).
  using Sink = std::function<bool(const ApicMessage&)>;
  explicit IoApic(Sink sink) : sink_(std::move(sink)) { reset(); }

  const char* name() const override { return "ioapic"; }
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // Input pin `pin` (0-23) is now at `level` (electrical: before polarity).
  void set_pin(unsigned pin, bool level);
  // The EOI broadcast from the local APIC for `vector` (level-triggered interrupts).
  void eoi(uint8_t vector);
  // An INIT level de-assert message: the arbitration ID is reloaded from the ID.
  void init_deassert() { s_.arb = s_.id; }

  const IoApicState& state() const { return s_; }
  uint32_t read_register(uint8_t index) const;
  void write_register(uint8_t index, uint32_t value);

 private:
  bool asserted(unsigned pin) const;
  void send(unsigned pin);
  void service_level(unsigned pin);
  static bool edge_only(uint64_t entry);

  Sink sink_;
  IoApicState s_;
};

}  // namespace platform
