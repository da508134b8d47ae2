// platform/devices/pit8254.cpp — see pit8254.h. Section names refer to the Intel 8254
// datasheet (231164).
#include "platform/devices/pit8254.h"

#include <cstdio>

namespace platform {

namespace {

uint16_t to_bcd(uint32_t v) {
  return uint16_t((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

// The initial count and start pulse in effect at pulse t (a pending mode 2/3 reload
// counts from its reload pulse on).
struct Phase {
  uint64_t start;
  uint32_t n;
};

}  // namespace

Pit8254::Pit8254(const Clock& clock, Scheduler& sched, IrqRouter* router)
    : clock_(clock), sched_(sched), irq0_(router, 0) {}

uint64_t Pit8254::tick() const { return clock_.ticks(sched_.now(), kPitHz); }

void Pit8254::reset() {
  if (event_) sched_.cancel(event_);
  event_ = 0;
  s_ = State{};
  irq0_.set(false);
}

// ---- The counting element, computed from the pulse number -------------------------------

uint32_t Pit8254::initial_count(const Channel& c) {
  if (!bcd(c)) return c.cr == 0 ? 65536u : c.cr;
  // BCD: four decades; 0 is the maximum, 10^4 ("Control Word Format", BCD).
  const uint32_t v = ((c.cr >> 12) & 15) * 1000u + ((c.cr >> 8) & 15) * 100u +
                     ((c.cr >> 4) & 15) * 10u + (c.cr & 15);
  return v % 10000 == 0 ? 10000u : v % 10000;
}

static Phase phase(const Pit8254::Channel& c, uint64_t t, uint32_t pending_n) {
  if (c.pending && t >= c.pending_at) return {c.pending_at, pending_n};
  return {c.start, c.n};
}

void Pit8254::settle(Channel& c, uint64_t t) {
  if (c.pending && t >= c.pending_at) {
    c.start = c.pending_at;
    c.n = initial_count(c);
    c.pending = false;
  }
}

uint16_t Pit8254::value(const Channel& c, uint64_t t) {
  if (!c.counting) return c.ce_hold;
  const Phase p = phase(c, t, initial_count(c));
  uint64_t d;
  if (c.suspended) {
    d = c.suspended_d;
  } else if (t < p.start) {
    return c.ce_hold;  // loaded on the next CLK pulse
  } else {
    d = t - p.start;
  }
  const uint32_t m = bcd(c) ? 10000u : 65536u;
  uint32_t v;
  switch (mode(c)) {
    case 2:  // counts n .. 1, reloads
      v = p.n - uint32_t(d % p.n);
      break;
    case 3: {  // "Mode 3": by twos from the even part of n, once per half-period
      const uint32_t ph = uint32_t(d % p.n), high = (p.n + 1) / 2, even = p.n & ~1u;
      v = ph < high ? even - 2 * ph : even - 2 * (ph - high);
      break;
    }
    default:  // modes 0, 1, 4, 5: counts down and wraps
      v = uint32_t((p.n + m - d % m) % m);
      break;
  }
  v %= m;
  return bcd(c) ? to_bcd(v) : uint16_t(v);
}

bool Pit8254::out_at(const Channel& c, uint64_t t) {
  const uint8_t md = mode(c);
  // "Mode Definitions": after the control word OUT is low in mode 0, high in the others.
  if (!c.counting) return md != 0;
  const Phase p = phase(c, t, initial_count(c));
  uint64_t d;
  if (c.suspended) {
    d = c.suspended_d;
  } else if (t < p.start) {
    return md != 0;
  } else {
    d = t - p.start;
  }
  switch (md) {
    case 0:  // high from terminal count on
    case 1:  // low from the trigger until terminal count
      return d >= p.n;
    case 2:  // low for the pulse in which CE is 1
      return d % p.n != p.n - 1;
    case 3:  // high for the first ceil(n/2) pulses of each period
      return d % p.n < (p.n + 1) / 2;
    default:  // 4, 5: low for the pulse after terminal count
      return d != p.n;
  }
}

bool Pit8254::null_count(const Channel& c, uint64_t t) {
  // "Status Byte": NULL COUNT is 1 from a control word or count write until the count is
  // loaded into CE.
  return !c.count_written || !c.counting || (!c.suspended && t < c.start) ||
         (c.pending && t < c.pending_at);
}

uint64_t Pit8254::next_edge(const Channel& c, uint64_t t) {
  if (!c.counting || c.suspended) return Scheduler::kNever;
  const Phase p = phase(c, t, initial_count(c));
  uint64_t e;
  switch (mode(c)) {
    case 0:
    case 1:
      e = p.start + p.n;
      break;
    case 2:
    case 3:
      if (p.n < 2) return Scheduler::kNever;
      if (c.pending && t < c.pending_at) return c.pending_at;
      if (t < p.start) return p.start + p.n;
      return p.start + ((t - p.start) / p.n + 1) * p.n;
    default:
      e = p.start + p.n + 1;
      break;
  }
  return e > t ? e : Scheduler::kNever;
}

// ---- Programming -------------------------------------------------------------------------

void Pit8254::write_control(uint8_t v, uint64_t t) {
  const unsigned sc = v >> 6;
  if (sc == 3) {
    // "Read-Back Command": D5 = 0 latches the count, D4 = 0 the status, of the counters
    // selected by D3 (2), D2 (1), D1 (0). A latch already held is kept.
    for (unsigned i = 0; i < 3; ++i) {
      if (!(v & (2u << i))) continue;
      Channel& c = s_.ch[i];
      settle(c, t);
      if (!(v & 0x20) && !c.count_latched) {
        c.latch = value(c, t);
        c.count_latched = true;
      }
      if (!(v & 0x10) && !c.status_latched) {
        c.status = uint8_t((out_at(c, t) ? 0x80 : 0) | (null_count(c, t) ? 0x40 : 0) | c.control);
        c.status_latched = true;
      }
    }
    return;
  }
  Channel& c = s_.ch[sc];
  settle(c, t);
  if ((v & 0x30) == 0) {
    // "Counter Latch Command": a second latch before the first is read is ignored.
    if (!c.count_latched) {
      c.latch = value(c, t);
      c.count_latched = true;
    }
    return;
  }
  // A control word resets the counter's logic; OUT goes to its initial state, and the
  // counter waits for a count.
  c.ce_hold = value(c, t);
  c.control = uint8_t(v & 0x3F);
  c.write_msb_next = c.read_msb_next = false;
  c.count_written = c.counting = c.suspended = c.pending = false;
  c.count_latched = c.status_latched = false;
  if (sc == 0) channel0_changed(t);
}

void Pit8254::count_complete(Channel& c, uint64_t t) {
  c.count_written = true;
  const uint32_t n = initial_count(c);
  switch (mode(c)) {
    case 0:
    case 4:
      // Loaded on the next CLK pulse; GATE low keeps it from counting.
      c.counting = true;
      c.start = t + 1;
      c.n = n;
      c.pending = false;
      c.suspended = !c.gate;
      c.suspended_d = 0;
      break;
    case 2:
    case 3:
      if (c.counting && t >= c.start) {
        // Counting: the new count is loaded at the end of the current period.
        if (!c.pending) {
          c.pending = true;
          c.pending_at = c.start + ((t - c.start) / c.n + 1) * c.n;
        }
      } else if (c.gate) {
        c.counting = true;
        c.start = t + 1;
        c.n = n;
        c.pending = false;
      } else {
        c.ce_hold = c.cr;  // loaded, waiting for GATE
      }
      break;
    default:
      break;  // modes 1 and 5 wait for a GATE rising edge
  }
}

void Pit8254::write_count(unsigned i, uint8_t v, uint64_t t) {
  Channel& c = s_.ch[i];
  settle(c, t);
  switch (rw(c)) {
    case 1:
      c.cr = v;
      count_complete(c, t);
      break;
    case 2:
      c.cr = uint16_t(v << 8);
      count_complete(c, t);
      break;
    default:
      if (!c.write_msb_next) {
        c.write_lsb = v;
        c.write_msb_next = true;
        if (mode(c) == 0) {
          // "Mode 0": writing the first byte disables counting; OUT goes low at once.
          c.ce_hold = value(c, t);
          c.counting = c.suspended = c.pending = false;
        }
      } else {
        c.cr = uint16_t(c.write_lsb | v << 8);
        c.write_msb_next = false;
        count_complete(c, t);
      }
      break;
  }
  if (i == 0) channel0_changed(t);
}

uint8_t Pit8254::read_count(unsigned i, uint64_t t) {
  Channel& c = s_.ch[i];
  settle(c, t);
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  const uint16_t v = c.count_latched ? c.latch : value(c, t);
  switch (rw(c)) {
    case 1:
      c.count_latched = false;
      return uint8_t(v);
    case 2:
      c.count_latched = false;
      return uint8_t(v >> 8);
    default:
      if (!c.read_msb_next) {
        c.read_msb_next = true;
        return uint8_t(v);
      }
      c.read_msb_next = false;
      c.count_latched = false;
      return uint8_t(v >> 8);
  }
}

void Pit8254::set_gate(Channel& c, bool level, uint64_t t) {
  if (level == c.gate) return;
  settle(c, t);
  c.gate = level;
  switch (mode(c)) {
    case 0:
    case 4:  // GATE low suspends counting
      if (!c.counting) break;
      if (!level) {
        c.suspended = true;
        c.suspended_d = t >= c.start ? t - c.start : 0;
      } else if (c.suspended) {
        c.suspended = false;
        c.start = t >= c.suspended_d ? t - c.suspended_d : 0;
      }
      break;
    case 2:
    case 3:  // GATE low stops counting (OUT high); a rising edge reloads
      if (!level) {
        if (c.counting) {
          c.ce_hold = value(c, t);
          c.counting = false;
          c.pending = false;
        }
        break;
      }
      [[fallthrough]];
    default:  // 1, 5: a rising edge triggers
      if (level && c.count_written) {
        c.counting = true;
        c.start = t + 1;
        c.n = initial_count(c);
        c.pending = false;
      }
      break;
  }
}

// ---- Channel 0: IRQ 0 and its edge event -------------------------------------------------

void Pit8254::drive_irq0(bool level) {
  s_.irq0 = level;
  irq0_.set(level);
}

void Pit8254::channel0_changed(uint64_t t) {
  drive_irq0(out_at(s_.ch[0], t));
  arm(t);
}

void Pit8254::arm(uint64_t after_tick) {
  s_.next_edge = next_edge(s_.ch[0], after_tick);
  schedule_edge();
}

void Pit8254::schedule_edge() {
  if (event_) sched_.cancel(event_);
  event_ = 0;
  if (s_.next_edge == Scheduler::kNever) return;
  const uint64_t e = s_.next_edge;
  event_ = sched_.schedule(clock_.cycle_of_tick(e, kPitHz), [this, e](uint64_t) { on_edge(e); });
}

void Pit8254::on_edge(uint64_t e) {
  event_ = 0;
  settle(s_.ch[0], e);
  // OUT rises at pulse e (it was low before it, or the line was left high through a mode 3
  // low half): an edge for the PIC.
  drive_irq0(false);
  drive_irq0(true);
  arm(e);
}

// ---- Ports -------------------------------------------------------------------------------

uint32_t Pit8254::io_read(uint16_t port, unsigned size) {
  uint32_t v = 0;
  const uint64_t t = tick();
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = uint16_t(port + i);
    uint8_t b = 0xFF;  // the control port does not read ("Read Operations")
    if (p >= kBasePort && p < kBasePort + 3) {
      b = read_count(p - kBasePort, t);
    } else if (p == kPortB) {
      b = uint8_t(s_.port_b | ((t / kRefreshPeriod) & 1) << 4 | (out_at(s_.ch[2], t) ? 0x20 : 0));
    }
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void Pit8254::io_write(uint16_t port, unsigned size, uint32_t value) {
  const uint64_t t = tick();
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = uint16_t(port + i);
    const uint8_t b = uint8_t(value >> (8 * i));
    if (p >= kBasePort && p < kBasePort + 3) {
      write_count(p - kBasePort, b, t);
    } else if (p == kBasePort + 3) {
      write_control(b, t);
    } else if (p == kPortB) {
      s_.port_b = uint8_t(b & 0x0F);
      set_gate(s_.ch[2], b & 1, t);
    }
  }
}

// ---- Dump and snapshots ------------------------------------------------------------------

std::string Pit8254::dump() const {
  std::string out;
  for (int i = 0; i < 3; ++i) {
    const Channel& c = s_.ch[i];
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "ch%d.control=%02x\nch%d.cr=%04x\nch%d.write=%d %02x\nch%d.read_msb_next=%d\n"
                  "ch%d.count_written=%d\nch%d.counting=%d\nch%d.start=%llu\nch%d.n=%u\n"
                  "ch%d.suspended=%d %llu\nch%d.pending=%d %llu\nch%d.ce_hold=%04x\nch%d.gate=%d\n"
                  "ch%d.latch=%d %04x\nch%d.status=%d %02x\n",
                  i, c.control, i, c.cr, i, c.write_msb_next ? 1 : 0, c.write_lsb, i,
                  c.read_msb_next ? 1 : 0, i, c.count_written ? 1 : 0, i, c.counting ? 1 : 0, i,
                  static_cast<unsigned long long>(c.start), i, c.n, i, c.suspended ? 1 : 0,
                  static_cast<unsigned long long>(c.suspended_d), i, c.pending ? 1 : 0,
                  static_cast<unsigned long long>(c.pending_at), i, c.ce_hold, i, c.gate ? 1 : 0, i,
                  c.count_latched ? 1 : 0, c.latch, i, c.status_latched ? 1 : 0, c.status);
    out += buf;
  }
  char buf[128];
  std::snprintf(buf, sizeof buf, "port_b=%02x\nirq0=%d\nnext_edge=%llu\n", s_.port_b, s_.irq0 ? 1 : 0,
                static_cast<unsigned long long>(s_.next_edge));
  out += buf;
  return out;
}

void Pit8254::save(StateWriter& w) const {
  w.section("pit8254");
  for (const Channel& c : s_.ch) {
    w.u8(c.control);
    w.u16(c.cr);
    w.u8(c.write_lsb);
    w.boolean(c.write_msb_next);
    w.boolean(c.read_msb_next);
    w.boolean(c.count_written);
    w.boolean(c.counting);
    w.u64(c.start);
    w.u32(c.n);
    w.boolean(c.suspended);
    w.u64(c.suspended_d);
    w.boolean(c.pending);
    w.u64(c.pending_at);
    w.u16(c.ce_hold);
    w.boolean(c.gate);
    w.boolean(c.count_latched);
    w.u16(c.latch);
    w.boolean(c.status_latched);
    w.u8(c.status);
  }
  w.u8(s_.port_b);
  w.boolean(s_.irq0);
  w.u64(s_.next_edge);
}

void Pit8254::load(StateReader& r) {
  r.section("pit8254");
  // Pulse numbers beyond this are centuries of machine time: a corrupt file.
  constexpr uint64_t kMaxTick = uint64_t(1) << 60;
  State s;
  for (int i = 0; i < 3; ++i) {
    Channel& c = s.ch[i];
    const std::string who = "channel " + std::to_string(i) + " ";
    c.control = r.u8();
    r.check(c.control <= 0x3F && rw(c) != 0, who + "control word " + std::to_string(c.control));
    c.cr = r.u16();
    c.write_lsb = r.u8();
    c.write_msb_next = r.boolean();
    c.read_msb_next = r.boolean();
    r.check(rw(c) == 3 || (!c.write_msb_next && !c.read_msb_next), who + "byte sequence outside RW=3");
    c.count_written = r.boolean();
    c.counting = r.boolean();
    c.start = r.u64();
    r.check(c.start <= kMaxTick, who + "start pulse " + std::to_string(c.start));
    c.n = r.u32();
    r.check(!c.counting || (c.n >= 1 && c.n <= (bcd(c) ? 10000u : 65536u)),
            who + "initial count " + std::to_string(c.n));
    c.suspended = r.boolean();
    c.suspended_d = r.u64();
    r.check(!c.suspended || ((mode(c) == 0 || mode(c) == 4) && c.counting),
            who + "suspended outside modes 0/4");
    r.check(c.suspended_d <= kMaxTick, who + "suspended count " + std::to_string(c.suspended_d));
    c.pending = r.boolean();
    c.pending_at = r.u64();
    r.check(!c.pending || ((mode(c) == 2 || mode(c) == 3) && c.counting && c.pending_at > c.start &&
                           c.pending_at <= kMaxTick),
            who + "pending reload");
    c.ce_hold = r.u16();
    c.gate = r.boolean();
    r.check(i == 2 || c.gate, who + "gate low (tied high)");
    c.count_latched = r.boolean();
    c.latch = r.u16();
    c.status_latched = r.boolean();
    c.status = r.u8();
  }
  s.port_b = r.u8();
  r.check(s.port_b <= 0x0F, "port 0x61 bits 7:4 set");
  r.check(s.ch[2].gate == bool(s.port_b & 1), "channel 2 gate differs from port 0x61 bit 0");
  s.irq0 = r.boolean();
  s.next_edge = r.u64();
  r.check(s.next_edge == Scheduler::kNever ||
              (s.next_edge >= 1 && s.next_edge <= kMaxTick && next_edge(s.ch[0], s.next_edge - 1) == s.next_edge),
          "channel 0 edge event at pulse " + std::to_string(s.next_edge) + " does not match its counter");
  s_ = s;
  irq0_.restore(s_.irq0);
  schedule_edge();
}

}  // namespace platform
