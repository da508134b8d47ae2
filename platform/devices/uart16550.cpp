// platform/devices/uart16550.cpp — see uart16550.h. Register behaviour follows the
// PC16550D datasheet (National Semiconductor, 1995), section 8 "Registers", and Table IV
// (interrupt control functions).
#include "platform/devices/uart16550.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace platform {

namespace {
// IER bits.
constexpr uint8_t kErbfi = 0x01, kEtbei = 0x02, kElsi = 0x04, kEdssi = 0x08;
// MCR bits.
constexpr uint8_t kDtr = 0x01, kRts = 0x02, kOut1 = 0x04, kOut2 = 0x08;
// IIR interrupt identifications (bits 3:0).
constexpr uint8_t kIdNone = 0x01, kIdLine = 0x06, kIdData = 0x04, kIdTimeout = 0x0C, kIdThre = 0x02,
                  kIdModem = 0x00;
}  // namespace

Uart16550::Uart16550(uint16_t base, ByteSink sink, Scheduler& sched, const Clock& clock, IrqLine irq)
    : base_(base), sink_(std::move(sink)), sched_(sched), clock_(clock), irq_(irq) {}

Uart16550::~Uart16550() {
  if (timeout_event_) sched_.cancel(timeout_event_);
  if (arrival_event_) sched_.cancel(arrival_event_);
}

void Uart16550::reset() {
  if (timeout_event_) sched_.cancel(timeout_event_);
  if (arrival_event_) sched_.cancel(arrival_event_);
  timeout_event_ = arrival_event_ = 0;
  timeout_armed_ = 0;
  s_ = State{};
  s_.msr_in = modem_inputs();
  irq_.lower();
}

uint64_t Uart16550::char_cycles() const {
  // Bits per character, in half bits: start + 5..8 data + parity + 1, 1.5 or 2 stop bits
  // (LCR bit 2: 1.5 with 5-bit words, else 2).
  const unsigned data = 5 + (s_.lcr & 0x03);
  unsigned half_bits = 2 * (1 + data + ((s_.lcr & 0x08) ? 1 : 0));
  half_bits += (s_.lcr & 0x04) ? (data == 5 ? 3 : 4) : 2;
  const uint64_t div = divisor() ? divisor() : 65536;
  // 16 clocks of the crystal a bit: ticks = 16 * div * half_bits / 2.
  return std::max<uint64_t>(1, clock_.cycle_of_tick(8 * div * half_bits, kCrystalHz));
}

unsigned Uart16550::trigger() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[s_.fcr >> 6];
}

bool Uart16550::timed_out() const {
  if (!fifo_enabled() || s_.rx.empty()) return false;
  return s_.timeout_latched || sched_.now() >= timeout_deadline();
}

uint8_t Uart16550::lsr() const {
  // Bit 0 DR, bits 4:1 errors, bit 5 THRE and bit 6 TEMT (transmit is instant), bit 7
  // RCVR FIFO error (never: no PE/FE/BI).
  return uint8_t((s_.rx.empty() ? 0 : 0x01) | s_.lsr_err | 0x60);
}

uint8_t Uart16550::modem_inputs() const {
  if (loopback()) {
    // Datasheet MCR bit 4: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2.
    return uint8_t(((s_.mcr & kRts) ? 0x10 : 0) | ((s_.mcr & kDtr) ? 0x20 : 0) |
                   ((s_.mcr & kOut1) ? 0x40 : 0) | ((s_.mcr & kOut2) ? 0x80 : 0));
  }
  return 0xB0;  // DCD | DSR | CTS: a terminal is connected
}

void Uart16550::note_modem_inputs() {
  const uint8_t now = modem_inputs(), was = s_.msr_in;
  const uint8_t changed = now ^ was;
  if (changed & 0x10) s_.msr_delta |= 0x01;              // DCTS
  if (changed & 0x20) s_.msr_delta |= 0x02;              // DDSR
  if ((was & 0x40) && !(now & 0x40)) s_.msr_delta |= 0x04;  // TERI: RI went inactive
  if (changed & 0x80) s_.msr_delta |= 0x08;              // DDCD
  s_.msr_in = now;
}

uint8_t Uart16550::interrupt_id() const {
  // Datasheet Table IV, highest priority first.
  if ((s_.ier & kElsi) && (s_.lsr_err & 0x1E)) return kIdLine;
  if (s_.ier & kErbfi) {
    if (!s_.rx.empty() && (!fifo_enabled() || s_.rx.size() >= trigger())) return kIdData;
    if (timed_out()) return kIdTimeout;
  }
  if ((s_.ier & kEtbei) && s_.thre_pending) return kIdThre;
  if ((s_.ier & kEdssi) && (s_.msr_delta & 0x0F)) return kIdModem;
  return kIdNone;
}

void Uart16550::set_out2_gate(bool on) {
  out2_gate_ = on;
  irq_.set(irq_output());
}

void Uart16550::update() {
  irq_.set(irq_output());
  arm_timeout();
}

void Uart16550::arm_timeout() {
  // The timeout needs an event only to raise the IRQ at its cycle; IIR reads compute it.
  uint64_t want = 0;
  if ((s_.ier & kErbfi) && fifo_enabled() && !s_.rx.empty() && !timed_out()) want = timeout_deadline();
  if (want == timeout_armed_ && (want == 0 || timeout_event_)) return;
  if (timeout_event_) sched_.cancel(timeout_event_);
  timeout_event_ = 0;
  timeout_armed_ = want;
  if (want) {
    timeout_event_ = sched_.schedule(want, [this](uint64_t) {
      timeout_event_ = 0;
      timeout_armed_ = 0;
      update();
    });
  }
}

void Uart16550::clear_rx() {
  s_.rx.clear();
  s_.timeout_latched = false;
}

void Uart16550::receive(uint8_t byte) {
  ++s_.rx_count;
  // The timeout timer restarts on a new character unless the timeout already happened.
  if (timed_out()) s_.timeout_latched = true;
  s_.rx_activity = sched_.now();
  if (fifo_enabled()) {
    if (s_.rx.size() >= kFifoDepth) {
      s_.lsr_err |= 0x02;  // OE: the character in the shift register is lost
    } else {
      s_.rx.push_back(byte);
    }
  } else {
    if (!s_.rx.empty()) {
      s_.lsr_err |= 0x02;  // OE: the new character overwrites RBR
      s_.rx.front() = byte;
    } else {
      s_.rx.push_back(byte);
    }
  }
  update();
}

void Uart16550::host_send(uint8_t byte) {
  s_.line.push_back(byte);
  pump_line();
}

void Uart16550::pump_line() {
  if (s_.in_flight || s_.line.empty() || loopback() || !rx_has_room()) return;
  s_.in_flight = true;
  s_.arrival = std::max(sched_.now(), s_.line_free) + char_cycles();
  arrival_event_ = sched_.schedule(s_.arrival, [this](uint64_t) {
    arrival_event_ = 0;
    on_arrival();
  });
}

void Uart16550::on_arrival() {
  s_.in_flight = false;
  s_.line_free = s_.arrival;
  // Flow control: a byte the receiver cannot take now (loopback was entered or the FIFO
  // filled meanwhile) stays with the sender.
  if (!s_.line.empty() && !loopback() && rx_has_room()) {
    const uint8_t b = s_.line.front();
    s_.line.pop_front();
    receive(b);
  }
  pump_line();
}

uint32_t Uart16550::io_read(uint16_t port, unsigned) {
  switch ((port - base_) & 7) {
    case 0: {
      if (dlab()) return s_.dll;
      if (!s_.rx.empty()) {
        s_.rbr = s_.rx.front();
        s_.rx.pop_front();
      }
      // Reading restarts the timeout timer and clears a timeout indication.
      s_.timeout_latched = false;
      s_.rx_activity = sched_.now();
      pump_line();
      update();
      return s_.rbr;
    }
    case 1: return dlab() ? s_.dlm : s_.ier;
    case 2: {
      const uint8_t id = interrupt_id();
      if (id == kIdThre) {
        s_.thre_pending = false;  // an IIR read that reports THRE clears it
        update();
      }
      return uint8_t((fifo_enabled() ? 0xC0 : 0) | id);
    }
    case 3: return s_.lcr;
    case 4: return s_.mcr;
    case 5: {
      const uint8_t v = lsr();
      s_.lsr_err = 0;  // OE, PE, FE, BI clear when LSR is read
      update();
      return v;
    }
    case 6: {
      const uint8_t v = uint8_t(s_.msr_in | s_.msr_delta);
      s_.msr_delta = 0;
      update();
      return v;
    }
    default: return s_.scr;
  }
}

void Uart16550::io_write(uint16_t port, unsigned, uint32_t value) {
  const uint8_t v = uint8_t(value);
  switch ((port - base_) & 7) {
    case 0:
      if (dlab()) {
        s_.dll = v;
        update();  // the character time changed: the timeout moves
        return;
      }
      ++s_.tx_count;
      // The write clears the THRE interrupt; the byte leaves at once, THR is empty again.
      s_.thre_pending = false;
      update();
      if (loopback()) {
        receive(v);
      } else if (sink_) {
        sink_(v);
      }
      s_.thre_pending = true;
      update();
      return;
    case 1: {
      if (dlab()) {
        s_.dlm = v;
        update();
        return;
      }
      const uint8_t old = s_.ier;
      s_.ier = v & 0x0F;  // bits 7:4 are always 0
      // THR is always empty: enabling ETBEI raises the THRE interrupt, disabling drops it.
      if ((s_.ier ^ old) & kEtbei) s_.thre_pending = s_.ier & kEtbei;
      update();
      return;
    }
    case 2: {
      // FCR. Bit 0 enables both FIFOs; changing it clears them. The other bits are
      // programmed only together with bit 0 = 1.
      const bool enable = v & 0x01;
      if (enable != fifo_enabled()) clear_rx();
      if (!enable) {
        s_.fcr &= uint8_t(~0x01);
      } else {
        if (v & 0x02) clear_rx();  // RCVR FIFO reset (the XMIT FIFO is always empty)
        s_.fcr = v & 0xC9;         // enable, DMA mode, trigger level
      }
      pump_line();
      update();
      return;
    }
    case 3:
      s_.lcr = v;
      update();
      return;
    case 4:
      s_.mcr = v & 0x1F;  // bits 7:5 are always 0
      note_modem_inputs();
      pump_line();
      update();
      return;
    case 5: return;  // LSR: writes are for factory test only
    case 6: return;  // MSR: read only
    default: s_.scr = v; return;
  }
}

std::string Uart16550::dump() const {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "ier=%02x\nlcr=%02x\nmcr=%02x\nscr=%02x\nfcr=%02x\ndivisor=%u\nlsr=%02x\nmsr=%02x\n"
                "iir=%02x\nrx_pending=%zu\nthre_pending=%d\ntimeout=%d\nline_pending=%zu\n"
                "tx=%llu\nrx=%llu\n",
                s_.ier, s_.lcr, s_.mcr, s_.scr, s_.fcr, unsigned(divisor()), lsr(),
                unsigned(s_.msr_in | s_.msr_delta), unsigned((fifo_enabled() ? 0xC0 : 0) | interrupt_id()),
                s_.rx.size(), s_.thre_pending ? 1 : 0, timed_out() ? 1 : 0, s_.line.size(),
                static_cast<unsigned long long>(s_.tx_count), static_cast<unsigned long long>(s_.rx_count));
  std::string out = buf;
  out += "rx_fifo=";
  for (uint8_t b : s_.rx) {
    char h[4];
    std::snprintf(h, sizeof h, "%02x", b);
    out += h;
  }
  out += "\n";
  return out;
}

void Uart16550::save(StateWriter& w) const {
  w.section("uart16550");
  for (uint8_t b : {s_.ier, s_.lcr, s_.mcr, s_.scr, s_.fcr, s_.dll, s_.dlm, s_.lsr_err, s_.msr_delta,
                    s_.msr_in, s_.rbr}) {
    w.u8(b);
  }
  w.boolean(s_.thre_pending);
  w.boolean(s_.timeout_latched);
  w.bytes(std::vector<uint8_t>(s_.rx.begin(), s_.rx.end()));
  w.u64(s_.rx_activity);
  w.bytes(std::vector<uint8_t>(s_.line.begin(), s_.line.end()));
  w.boolean(s_.in_flight);
  w.u64(s_.arrival);
  w.u64(s_.line_free);
  w.u64(s_.tx_count);
  w.u64(s_.rx_count);
}

void Uart16550::load(StateReader& r) {
  r.section("uart16550");
  State s;
  s.ier = r.u8();
  s.lcr = r.u8();
  s.mcr = r.u8();
  s.scr = r.u8();
  s.fcr = r.u8();
  s.dll = r.u8();
  s.dlm = r.u8();
  s.lsr_err = r.u8();
  s.msr_delta = r.u8();
  s.msr_in = r.u8();
  s.rbr = r.u8();
  r.check((s.ier & 0xF0) == 0, "IER " + std::to_string(s.ier) + " has bits 7:4 set");
  r.check((s.mcr & 0xE0) == 0, "MCR " + std::to_string(s.mcr) + " has bits 7:5 set");
  r.check((s.fcr & ~0xC9) == 0, "FCR " + std::to_string(s.fcr) + " has unused bits set");
  r.check((s.lsr_err & ~0x1E) == 0, "LSR errors " + std::to_string(s.lsr_err));
  r.check((s.msr_delta & 0xF0) == 0, "MSR deltas " + std::to_string(s.msr_delta));
  r.check((s.msr_in & 0x0F) == 0, "MSR inputs " + std::to_string(s.msr_in));
  s.thre_pending = r.boolean();
  s.timeout_latched = r.boolean();
  const std::vector<uint8_t> rx = r.bytes(kFifoDepth);
  r.check((s.fcr & 0x01) || rx.size() <= 1, "16450 mode with " + std::to_string(rx.size()) + " bytes in RBR");
  s.rx.assign(rx.begin(), rx.end());
  s.rx_activity = r.u64();
  const std::vector<uint8_t> line = r.bytes(kMaxLineBytes);
  s.line.assign(line.begin(), line.end());
  s.in_flight = r.boolean();
  s.arrival = r.u64();
  s.line_free = r.u64();
  r.check(!s.in_flight || !s.line.empty(), "a line byte in flight with none queued");
  s.tx_count = r.u64();
  s.rx_count = r.u64();

  if (timeout_event_) sched_.cancel(timeout_event_);
  if (arrival_event_) sched_.cancel(arrival_event_);
  timeout_event_ = arrival_event_ = 0;
  timeout_armed_ = 0;
  s_ = std::move(s);
  // Re-arm the events from the loaded state.
  if (s_.in_flight) {
    arrival_event_ = sched_.schedule(s_.arrival, [this](uint64_t) {
      arrival_event_ = 0;
      on_arrival();
    });
  }
  irq_.restore(irq_output());
  arm_timeout();
}

}  // namespace platform
