// platform/irq.h — interrupt request lines and the controllers that drive the CPU's INTR.
//
// A device raises and lowers its ISA IRQ line through an IrqLine; the machine (an
// IrqRouter) forwards the level to the 8259A pair and the IO APIC and recomputes the
// CPU's INTR pin. Lines carry levels: an edge-triggered input sees a rising edge when a
// line goes from low to high, so a device that "pulses" its IRQ calls pulse() (raise then
// lower), and a level-triggered device holds the line high while its condition lasts.
//
//   IrqLine irq4(&machine, 4);
//   irq4.set(uart_has_interrupt);
#pragma once

#include <cstdint>

namespace platform {

class IrqRouter {
 public:
  virtual ~IrqRouter() = default;
  // ISA IRQ `irq` (0-15) is now at `level`.
  virtual void set_isa_irq(unsigned irq, bool level) = 0;
};

class IrqLine {
 public:
  IrqLine() = default;
  IrqLine(IrqRouter* router, unsigned irq) : router_(router), irq_(irq) {}

  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (router_) router_->set_isa_irq(irq_, level);
  }
  void raise() { set(true); }
  void lower() { set(false); }
  void pulse() {
    set(true);
    set(false);
  }
  bool level() const { return level_; }
  unsigned irq() const { return irq_; }
  // After a snapshot load: the device's computed level, pushed to the router.
  void restore(bool level) {
    level_ = !level;
    set(level);
  }

 private:
  IrqRouter* router_ = nullptr;
  unsigned irq_ = 0;
  bool level_ = false;
};

// Something that drives the CPU's INTR pin and answers its interrupt-acknowledge cycle
// (the 8259A master, the local APIC).
class InterruptController {
 public:
  virtual ~InterruptController() = default;
  // The controller's output to the CPU is asserted.
  virtual bool intr_pending() const = 0;
  // The INTA cycle: returns the vector and moves the interrupt to in-service. Called only
  // while intr_pending(); a controller whose request went away since returns its spurious
  // vector, as hardware does.
  virtual uint8_t intr_ack() = 0;
};

}  // namespace platform
