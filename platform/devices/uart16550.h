// platform/devices/uart16550.h — a National Semiconductor PC16550D UART (COM1 at 0x3F8).
//
// Good enough for transmit: a byte written to THR goes to the output sink at once, so the
// transmitter is always empty (LSR reads 0x60: THRE | TEMT). The other registers are
// real storage with the datasheet's layout, so drivers that probe and program the chip
// (divisor latch, LCR, MCR, scratch register test, FIFO enable, loopback test) work:
//   offset 0 RBR/THR (DLL when LCR.DLAB)  1 IER (DLM when DLAB)  2 IIR/FCR  3 LCR
//          4 MCR  5 LSR  6 MSR  7 SCR
// In loopback mode (MCR bit 4) transmitted bytes come back into the receiver and MSR
// mirrors the MCR outputs (datasheet "Modem Control Register"); otherwise MSR shows a
// connected terminal (DCD, DSR, CTS). Received bytes enter through receive(). IIR reports
// the highest-priority pending interrupt; the IRQ line is computed (irq()) but no
// interrupt controller is attached yet.
#pragma once

#include <cstdint>
#include <deque>

#include "platform/port_bus.h"

namespace platform {

class Uart16550 final : public PortDevice {
 public:
  static constexpr uint16_t kCom1 = 0x3F8;
  static constexpr uint16_t kPorts = 8;
  static constexpr size_t kFifoDepth = 16;

  Uart16550(uint16_t base, ByteSink sink) : base_(base), sink_(std::move(sink)) {}

  const char* name() const override { return "uart16550"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // A byte arriving on the serial line (from the InputQueue).
  void receive(uint8_t byte);
  // The INTR output (before the OUT2 gate a PC puts in front of the PIC).
  bool irq() const { return interrupt_id() != 0x01; }
  uint16_t base() const { return base_; }
  uint64_t bytes_transmitted() const { return tx_count_; }
  uint16_t divisor() const { return uint16_t(dll_ | (dlm_ << 8)); }

 private:
  bool dlab() const { return lcr_ & 0x80; }
  bool loopback() const { return mcr_ & 0x10; }
  bool fifo_enabled() const { return fcr_ & 0x01; }
  uint8_t lsr() const;
  uint8_t msr() const;
  uint8_t interrupt_id() const;  // IIR bits 3:0

  uint16_t base_;
  ByteSink sink_;
  std::deque<uint8_t> rx_;
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
  uint8_t dll_ = 0x01, dlm_ = 0x00;  // divisor 1 = 115200 baud
  bool overrun_ = false;
  bool thre_pending_ = false;  // THR-empty interrupt (cleared by IIR read or THR write)
  uint64_t tx_count_ = 0;
};

}  // namespace platform
