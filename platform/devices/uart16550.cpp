// platform/devices/uart16550.cpp — see uart16550.h. Register behaviour follows the
// PC16550D datasheet (National Semiconductor, 1995), section 8 "Registers".
#include "platform/devices/uart16550.h"

#include <cstdio>

namespace platform {

void Uart16550::reset() {
  rx_.clear();
  ier_ = lcr_ = mcr_ = scr_ = fcr_ = 0;
  dll_ = 0x01;
  dlm_ = 0x00;
  overrun_ = false;
  thre_pending_ = false;
}

uint8_t Uart16550::lsr() const {
  // Bit 0 DR (data ready), bit 1 OE (overrun), bit 5 THRE, bit 6 TEMT: the transmitter is
  // always empty because a written byte leaves at once.
  return uint8_t((rx_.empty() ? 0 : 0x01) | (overrun_ ? 0x02 : 0) | 0x60);
}

uint8_t Uart16550::msr() const {
  if (loopback()) {
    // Loopback: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2.
    return uint8_t(((mcr_ & 0x02) ? 0x10 : 0) | ((mcr_ & 0x01) ? 0x20 : 0) |
                   ((mcr_ & 0x04) ? 0x40 : 0) | ((mcr_ & 0x08) ? 0x80 : 0));
  }
  return 0xB0;  // DCD | DSR | CTS: a terminal is connected
}

uint8_t Uart16550::interrupt_id() const {
  // Datasheet Table IV, priority order: line status (6), received data (4), THR empty (2),
  // modem status (0, never: no delta bits are modelled). 1 = none pending.
  if ((ier_ & 0x04) && overrun_) return 0x06;
  if ((ier_ & 0x01) && !rx_.empty()) return 0x04;
  if ((ier_ & 0x02) && thre_pending_) return 0x02;
  return 0x01;
}

void Uart16550::receive(uint8_t byte) {
  const size_t depth = fifo_enabled() ? kFifoDepth : 1;
  if (rx_.size() >= depth) {
    overrun_ = true;  // the new byte is lost, as with a full FIFO
    return;
  }
  rx_.push_back(byte);
}

uint32_t Uart16550::io_read(uint16_t port, unsigned) {
  switch ((port - base_) & 7) {
    case 0:
      if (dlab()) return dll_;
      if (rx_.empty()) return 0;
      {
        const uint8_t b = rx_.front();
        rx_.pop_front();
        return b;
      }
    case 1: return dlab() ? dlm_ : ier_;
    case 2: {
      const uint8_t id = interrupt_id();
      if (id == 0x02) thre_pending_ = false;  // reading IIR clears a THRE interrupt
      return uint8_t((fifo_enabled() ? 0xC0 : 0) | id);
    }
    case 3: return lcr_;
    case 4: return mcr_;
    case 5: {
      const uint8_t v = lsr();
      overrun_ = false;  // error bits clear on read
      return v;
    }
    case 6: return msr();
    default: return scr_;
  }
}

void Uart16550::io_write(uint16_t port, unsigned, uint32_t value) {
  const uint8_t v = uint8_t(value);
  switch ((port - base_) & 7) {
    case 0:
      if (dlab()) {
        dll_ = v;
        return;
      }
      ++tx_count_;
      if (loopback()) {
        receive(v);
      } else if (sink_) {
        sink_(v);
      }
      thre_pending_ = true;  // transmitted at once: THR is empty again
      return;
    case 1:
      if (dlab()) {
        dlm_ = v;
        return;
      }
      // Enabling the THRE interrupt while THR is empty raises it at once.
      if ((v & 0x02) && !(ier_ & 0x02)) thre_pending_ = true;
      ier_ = v & 0x0F;
      return;
    case 2:
      if (v & 0x02) rx_.clear();  // bit 1: reset the receiver FIFO
      fcr_ = v & 0xC9;            // keep enable, DMA mode and trigger level bits
      return;
    case 3: lcr_ = v; return;
    case 4: mcr_ = v & 0x1F; return;
    case 5: return;  // LSR: writes are for factory test only
    case 6: return;  // MSR: read only
    default: scr_ = v; return;
  }
}

std::string Uart16550::dump() const {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "ier=%02x\nlcr=%02x\nmcr=%02x\nscr=%02x\nfcr=%02x\ndivisor=%u\nrx_pending=%zu\n"
                "overrun=%d\nthre_pending=%d\ntx=%llu\n",
                ier_, lcr_, mcr_, scr_, fcr_, unsigned(divisor()), rx_.size(), overrun_ ? 1 : 0,
                thre_pending_ ? 1 : 0, static_cast<unsigned long long>(tx_count_));
  return buf;
}

}  // namespace platform
