// platform/devices/mc146818.cpp — see mc146818.h. "DS" is the Motorola MC146818A datasheet.
#include "platform/devices/mc146818.h"

#include <algorithm>
#include <cstdio>

namespace platform {

namespace {

constexpr uint64_t kSecondTicks = Mc146818::kTimeBaseHz;

// DS "Address Map": leap years are the years divisible by 4 (the two-digit year).
unsigned days_in_month(unsigned month, unsigned year2) {
  static constexpr uint8_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 31;  // a garbage month counts 31 days until it wraps
  if (month == 2 && year2 % 4 == 0) return 29;
  return kDays[month - 1];
}

bool valid_date(unsigned year, unsigned month, unsigned day) {
  return year >= 1901 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(month, year % 100);
}

unsigned from_bcd(uint8_t v) { return unsigned(v >> 4) * 10 + (v & 0x0F); }
uint8_t to_bcd(unsigned v) { return uint8_t(((v / 10) % 10) << 4 | (v % 10)); }

// The calendar as plain numbers, decoded from (and encoded back to) the register bytes.
struct Calendar {
  unsigned sec, min, hour, dow, day, month, year, century;  // hour 0-23, year 0-99
};

// One update cycle's increment (DS "Update Cycle"), in the binary domain. Values at or
// beyond their limit (a guest may write anything) wrap and carry, so the walk always ends.
void tick_second(Calendar& c) {
  if (++c.sec < 60) return;
  c.sec = 0;
  if (++c.min < 60) return;
  c.min = 0;
  if (++c.hour < 24) return;
  c.hour = 0;
  c.dow = (c.dow >= 7 || c.dow == 0) ? 1 : c.dow + 1;
  if (++c.day <= days_in_month(c.month, c.year)) return;
  c.day = 1;
  if (++c.month <= 12) return;
  c.month = 1;
  if (++c.year < 100) return;
  c.year = 0;
  c.century = (c.century + 1) % 100;
}

// Whole days forward, time of day unchanged. The chip's calendar repeats every 100 years
// (25 leap years: 36525 days), in which the century advances once.
void advance_days(Calendar& c, uint64_t days) {
  if (c.dow < 1 || c.dow > 7) c.dow = 1;
  c.dow = unsigned((c.dow - 1 + days % 7) % 7) + 1;
  c.century = unsigned((c.century + days / 36525) % 100);
  uint64_t d = days % 36525;
  while (d > 0) {
    const unsigned dim = days_in_month(c.month, c.year);
    if (c.day > dim) c.day = dim;
    const uint64_t left = dim - c.day;  // days to the end of this month
    if (d <= left) {
      c.day += unsigned(d);
      return;
    }
    d -= left + 1;
    c.day = 1;
    if (c.month < 1 || ++c.month > 12) {
      c.month = 1;
      if (++c.year >= 100) {
        c.year = 0;
        c.century = (c.century + 1) % 100;
      }
    }
  }
}

}  // namespace

// ---- Calendar helpers ------------------------------------------------------------------

std::optional<RtcTime> parse_rtc_time(std::string_view text) {
  if (!text.empty() && (text.back() == 'Z' || text.back() == 'z')) text.remove_suffix(1);
  // YYYY-MM-DDTHH:MM:SS: 19 characters, digits except at the separators.
  if (text.size() != 19) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char sep = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : 0;
    if (sep) {
      if (c != sep && !(i == 10 && (c == 't' || c == ' '))) return std::nullopt;
    } else if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  auto num = [&](size_t at, size_t len) {
    unsigned v = 0;
    for (size_t i = at; i < at + len; ++i) v = v * 10 + unsigned(text[i] - '0');
    return v;
  };
  RtcTime t;
  const unsigned year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const unsigned hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (!valid_date(year, month, day) || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  t.year = uint16_t(year);
  t.month = uint8_t(month);
  t.day = uint8_t(day);
  t.hour = uint8_t(hour);
  t.minute = uint8_t(minute);
  t.second = uint8_t(second);
  return t;
}

std::string format_rtc_time(const RtcTime& t) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02uT%02u:%02u:%02u", unsigned(t.year), unsigned(t.month),
                unsigned(t.day), unsigned(t.hour), unsigned(t.minute), unsigned(t.second));
  return buf;
}

unsigned rtc_day_of_week(const RtcTime& t) {
  // Days since 1901-01-01, a Tuesday (3), with the 4-year rule that holds over 1901-2099.
  uint64_t days = 0;
  for (unsigned y = 1901; y < t.year; ++y) days += (y % 4 == 0) ? 366 : 365;
  for (unsigned m = 1; m < t.month; ++m) days += days_in_month(m, t.year % 100);
  days += t.day - 1u;
  return unsigned((2 + days) % 7) + 1;
}

// ---- The chip --------------------------------------------------------------------------

Mc146818::Mc146818(Scheduler& sched, const Clock& clock, IrqLine irq, RtcTime start)
    : sched_(sched), clock_(clock), irq_(irq) {
  s_.cmos[kRegA] = 0x26;  // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz)
  s_.cmos[kRegB] = kB_24H;
  s_.cmos[kRegD] = kD_VRT;
  s_.sync_cycle = s_.divider_origin = sched_.now();
  set_time(start);
}

Mc146818::~Mc146818() {
  if (event_) sched_.cancel(*event_);
}

void Mc146818::reset() {
  // DS "RESET": clears PIE, AIE, UIE, SQWE and IRQF, PF, AF, UF; the rest is untouched.
  sync(sched_.now());
  s_.cmos[kRegB] &= uint8_t(~(kB_PIE | kB_AIE | kB_UIE | kB_SQWE));
  s_.cmos[kRegC] = 0;
  s_.nmi_disabled = false;
  s_.index = 0;
  update_irq();
  arm();
}

void Mc146818::set_time(const RtcTime& t) {
  sync(sched_.now());
  const bool binary = s_.cmos[kRegB] & kB_DM;
  auto enc = [binary](unsigned v) { return binary ? uint8_t(v) : to_bcd(v); };
  uint8_t hour = enc(t.hour);
  if (!(s_.cmos[kRegB] & kB_24H)) {
    const unsigned h12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
    hour = uint8_t(enc(h12) | (t.hour >= 12 ? 0x80 : 0));
  }
  s_.cmos[0x00] = enc(t.second);
  s_.cmos[0x02] = enc(t.minute);
  s_.cmos[0x04] = hour;
  s_.cmos[0x06] = uint8_t(rtc_day_of_week(t));  // 1-7: the same in BCD and binary
  s_.cmos[0x07] = enc(t.day);
  s_.cmos[0x08] = enc(t.month);
  s_.cmos[0x09] = enc(t.year % 100);
  s_.cmos[kCenturyByte] = enc(t.year / 100);
}

RtcTime Mc146818::time() {
  sync(sched_.now());
  const bool binary = s_.cmos[kRegB] & kB_DM;
  auto dec = [binary](uint8_t v) { return binary ? unsigned(v) : from_bcd(v); };
  unsigned hour = dec(uint8_t(s_.cmos[0x04] & (s_.cmos[kRegB] & kB_24H ? 0xFF : 0x7F)));
  if (!(s_.cmos[kRegB] & kB_24H)) hour = hour % 12 + ((s_.cmos[0x04] & 0x80) ? 12 : 0);
  RtcTime t;
  t.second = uint8_t(dec(s_.cmos[0x00]));
  t.minute = uint8_t(dec(s_.cmos[0x02]));
  t.hour = uint8_t(hour);
  t.day = uint8_t(dec(s_.cmos[0x07]));
  t.month = uint8_t(dec(s_.cmos[0x08]));
  t.year = uint16_t(dec(s_.cmos[kCenturyByte]) * 100 + dec(s_.cmos[0x09]));
  return t;
}

void Mc146818::set_memory_size(uint64_t ram_bytes) {
  // IBM PC AT Technical Reference, "CMOS RAM Address Map".
  s_.cmos[0x0F] = 0x00;  // shutdown status: normal power-on
  s_.cmos[0x10] = 0x00;  // diskette drive types: none
  s_.cmos[0x12] = 0x00;  // fixed disk types: none (the IDE model may fill these)
  s_.cmos[0x19] = s_.cmos[0x1A] = 0x00;
  // Equipment: bits 7-6 diskettes - 1, 5-4 display (00 = EGA/VGA), bit 1 coprocessor (the
  // CPU has no x87), bit 0 diskettes present.
  s_.cmos[0x14] = 0x00;
  const uint16_t base_kb = ram_bytes >= 640 * 1024 ? 640 : uint16_t(ram_bytes / 1024);
  s_.cmos[0x15] = uint8_t(base_kb);
  s_.cmos[0x16] = uint8_t(base_kb >> 8);
  const uint64_t mib = 1024 * 1024;
  const uint64_t ext_kb = ram_bytes > mib ? (ram_bytes - mib) / 1024 : 0;
  const uint16_t ext = ext_kb > 0xFFFF ? 0xFFFF : uint16_t(ext_kb);
  s_.cmos[0x17] = s_.cmos[0x30] = uint8_t(ext);
  s_.cmos[0x18] = s_.cmos[0x31] = uint8_t(ext >> 8);
  const uint64_t blocks = ram_bytes > 16 * mib ? (ram_bytes - 16 * mib) / (64 * 1024) : 0;
  const uint16_t b64 = blocks > 0xFFFF ? 0xFFFF : uint16_t(blocks);
  s_.cmos[0x34] = uint8_t(b64);
  s_.cmos[0x35] = uint8_t(b64 >> 8);
  update_checksum();
}

void Mc146818::update_checksum() {
  unsigned sum = 0;
  for (unsigned i = 0x10; i <= 0x2D; ++i) sum += s_.cmos[i];
  s_.cmos[0x2E] = uint8_t(sum >> 8);
  s_.cmos[0x2F] = uint8_t(sum);
}

// ---- Time base -------------------------------------------------------------------------

uint64_t Mc146818::ticks_at(uint64_t cycle) const {
  if (cycle <= s_.divider_origin) return s_.divider_offset;
  return s_.divider_offset + clock_.ticks(cycle - s_.divider_origin, kTimeBaseHz);
}

uint64_t Mc146818::periodic_ticks() const {
  // DS Table 5 (32.768 kHz time base): RS 1 and 2 give 3.90625 and 7.8125 ms (as RS 8 and
  // 9); RS n >= 3 gives 2^(n-1) ticks (122.070 us for 3, 500 ms for 15).
  const unsigned rs = s_.cmos[kRegA] & 0x0F;
  if (rs == 0) return 0;
  if (rs <= 2) return uint64_t(1) << (rs + 6);
  return uint64_t(1) << (rs - 1);
}

bool Mc146818::uip(uint64_t now) const {
  if (!running() || (s_.cmos[kRegB] & kB_SET)) return false;  // DS: SET clears UIP
  return ticks_at(now) % kSecondTicks >= kSecondTicks - kUipTicks;
}

void Mc146818::sync(uint64_t now) {
  if (now <= s_.sync_cycle) return;
  if (running()) {
    const uint64_t t0 = ticks_at(s_.sync_cycle), t1 = ticks_at(now);
    const uint64_t updates = t1 / kSecondTicks - t0 / kSecondTicks;
    if (updates > 0 && !(s_.cmos[kRegB] & kB_SET)) advance(updates);
    const uint64_t p = periodic_ticks();
    if (p && t1 / p > t0 / p) s_.cmos[kRegC] |= kC_PF;
  }
  s_.sync_cycle = now;
  update_irq();
}

void Mc146818::advance(uint64_t seconds) {
  uint8_t* r = s_.cmos.data();
  const bool binary = r[kRegB] & kB_DM;
  const bool h24 = r[kRegB] & kB_24H;
  auto dec = [binary](uint8_t v) { return binary ? unsigned(v) : from_bcd(v); };
  auto enc = [binary](unsigned v) { return binary ? uint8_t(v) : to_bcd(v); };
  auto dec_hour = [&](uint8_t v) {
    if (h24) return dec(v);
    return dec(uint8_t(v & 0x7F)) % 12 + ((v & 0x80) ? 12u : 0u);
  };
  Calendar c{dec(r[0x00]), dec(r[0x02]), dec_hour(r[0x04]), r[0x06],
             dec(r[0x07]), dec(r[0x08]), dec(r[0x09]), dec(r[kCenturyByte])};

  // Alarm bytes: bits 7-6 = 11 is "don't care" (DS "Alarm"); else the value to match.
  auto alarm = [&](uint8_t v, bool hour) -> int {
    if ((v & 0xC0) == 0xC0) return -1;
    return int(hour ? dec_hour(v) : dec(v));
  };
  const int a_sec = alarm(r[0x01], false), a_min = alarm(r[0x03], false), a_hour = alarm(r[0x05], true);
  auto alarm_matches = [&] {
    return (a_sec < 0 || unsigned(a_sec) == c.sec) && (a_min < 0 || unsigned(a_min) == c.min) &&
           (a_hour < 0 || unsigned(a_hour) == c.hour);
  };

  // Far jumps go by whole days; the last day (at least) is walked second by second, so
  // an alarm that matched in it sets AF — every alarm time occurs within any 24 hours.
  constexpr uint64_t kDay = 86400;
  if (seconds > 2 * kDay) {
    const uint64_t skip_days = seconds / kDay - 1;
    advance_days(c, skip_days);
    seconds -= skip_days * kDay;
  }
  bool alarm_hit = false;
  for (uint64_t i = 0; i < seconds; ++i) {
    tick_second(c);
    if (alarm_matches()) alarm_hit = true;
  }

  r[0x00] = enc(c.sec);
  r[0x02] = enc(c.min);
  if (h24) {
    r[0x04] = enc(c.hour);
  } else {
    const unsigned h12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
    r[0x04] = uint8_t(enc(h12) | (c.hour >= 12 ? 0x80 : 0));
  }
  r[0x06] = uint8_t(c.dow);
  r[0x07] = enc(c.day);
  r[0x08] = enc(c.month);
  r[0x09] = enc(c.year);
  r[kCenturyByte] = enc(c.century);
  r[kRegC] |= kC_UF;
  if (alarm_hit) r[kRegC] |= kC_AF;
}

void Mc146818::update_irq() {
  // DS "Register C": IRQF = PF*PIE + AF*AIE + UF*UIE.
  uint8_t& c = s_.cmos[kRegC];
  const bool irqf = (c & s_.cmos[kRegB] & (kC_PF | kC_AF | kC_UF)) != 0;
  c = uint8_t((c & 0x70) | (irqf ? kC_IRQF : 0));
  irq_.set(irqf);
}

void Mc146818::arm() {
  if (event_) {
    sched_.cancel(*event_);
    event_.reset();
  }
  // While IRQ8 is high nothing can change it but a read of register C; until then the
  // flags are computed lazily.
  if (!running() || irq_.level()) return;
  const uint8_t b = s_.cmos[kRegB];
  const uint64_t now = sched_.now();
  const uint64_t t = ticks_at(now);
  uint64_t next = UINT64_MAX;  // in ticks
  const uint64_t p = periodic_ticks();
  if ((b & kB_PIE) && p) next = (t / p + 1) * p;
  if ((b & (kB_UIE | kB_AIE)) && !(b & kB_SET)) next = std::min(next, (t / kSecondTicks + 1) * kSecondTicks);
  if (next == UINT64_MAX) return;
  const uint64_t cycle = s_.divider_origin + clock_.cycle_of_tick(next - s_.divider_offset, kTimeBaseHz);
  event_ = sched_.schedule(cycle, [this](uint64_t) {
    event_.reset();
    sync(sched_.now());
    arm();
  });
}

// ---- Registers -------------------------------------------------------------------------

uint8_t Mc146818::read_register(uint8_t index) {
  const uint64_t now = sched_.now();
  sync(now);
  switch (index) {
    case kRegA: return uint8_t(s_.cmos[kRegA] | (uip(now) ? kA_UIP : 0));
    case kRegC: {
      // DS "Register C": all bits clear when read; IRQ8 goes low.
      const uint8_t v = s_.cmos[kRegC];
      s_.cmos[kRegC] = 0;
      update_irq();
      arm();
      return v;
    }
    case kRegD: return kD_VRT;
    default: return s_.cmos[index];
  }
}

void Mc146818::write_register(uint8_t index, uint8_t v) {
  const uint64_t now = sched_.now();
  sync(now);
  switch (index) {
    case kRegA: {
      const bool was_running = running();
      s_.cmos[kRegA] = v & 0x7F;  // UIP is read only
      if (running() && !was_running) {
        // DS "Divider Reset": the first update cycle comes 500 ms after the chain restarts.
        s_.divider_origin = now;
        s_.divider_offset = kSecondTicks / 2;
      }
      break;
    }
    case kRegB:
      if (v & kB_SET) v &= uint8_t(~kB_UIE);  // DS "Register B": SET = 1 clears UIE
      s_.cmos[kRegB] = v;
      break;
    case kRegC:
    case kRegD:
      return;  // read only
    default:
      s_.cmos[index] = v;
      return;  // time, alarm and NVRAM bytes: no effect on the interrupt line
  }
  update_irq();
  arm();
}

// A wider access is split into byte accesses to consecutive ports, as the ISA bus does
// (a word write to 0x70 sets the index, then writes the data port); bytes beyond 0x71
// float.
uint32_t Mc146818::io_read(uint16_t port, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const unsigned p = port + i;
    // The index register is write only: it reads 0xFF.
    const uint8_t b = p == kDataPort ? read_register(s_.index) : 0xFF;
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void Mc146818::io_write(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) {
    const unsigned p = port + i;
    const uint8_t b = uint8_t(value >> (8 * i));
    if (p == kIndexPort) {
      s_.index = b & 0x7F;
      s_.nmi_disabled = b & 0x80;
    } else if (p == kDataPort) {
      write_register(s_.index, b);
    }
  }
}

// ---- Dump and snapshots ----------------------------------------------------------------

std::string Mc146818::dump() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "index=%02x\nnmi_disabled=%d\nregs=%02x %02x %02x %02x %02x %02x %02x %02x %02x %02x\n"
                "a=%02x\nb=%02x\nc=%02x\nsync_cycle=%llu\ndivider_origin=%llu\ndivider_offset=%llu\nirq=%d\n",
                s_.index, s_.nmi_disabled ? 1 : 0, s_.cmos[0], s_.cmos[1], s_.cmos[2], s_.cmos[3],
                s_.cmos[4], s_.cmos[5], s_.cmos[6], s_.cmos[7], s_.cmos[8], s_.cmos[9], s_.cmos[kRegA],
                s_.cmos[kRegB], s_.cmos[kRegC], static_cast<unsigned long long>(s_.sync_cycle),
                static_cast<unsigned long long>(s_.divider_origin),
                static_cast<unsigned long long>(s_.divider_offset), irq_.level() ? 1 : 0);
  std::string out = buf;
  out += "nvram=";
  for (unsigned i = 0x0E; i < 0x80; ++i) {
    char h[3];
    std::snprintf(h, sizeof h, "%02x", s_.cmos[i]);
    out += h;
  }
  out += "\n";
  return out;
}

void Mc146818::save(StateWriter& w) const {
  w.section("mc146818");
  w.bytes(s_.cmos);
  w.u8(s_.index);
  w.boolean(s_.nmi_disabled);
  w.u64(s_.sync_cycle);
  w.u64(s_.divider_origin);
  w.u64(s_.divider_offset);
}

void Mc146818::load(StateReader& r) {
  r.section("mc146818");
  State s;
  const std::vector<uint8_t> cmos = r.bytes(128);
  r.check(cmos.size() == 128, "CMOS RAM of " + std::to_string(cmos.size()) + " bytes (128 expected)");
  std::copy(cmos.begin(), cmos.end(), s.cmos.begin());
  s.index = r.u8();
  s.nmi_disabled = r.boolean();
  s.sync_cycle = r.u64();
  s.divider_origin = r.u64();
  s.divider_offset = r.u64();
  r.check(s.index < 0x80, "index " + std::to_string(s.index));
  r.check((s.cmos[kRegA] & kA_UIP) == 0, "register A has the computed UIP bit stored");
  r.check((s.cmos[kRegC] & 0x0F) == 0, "register C bits 3-0 are not zero");
  r.check(s.cmos[kRegD] == kD_VRT, "register D is not 0x80");
  r.check(s.divider_offset < kSecondTicks, "divider offset " + std::to_string(s.divider_offset));
  r.check(s.divider_origin <= s.sync_cycle, "divider origin after the last update");
  if (event_) {
    sched_.cancel(*event_);
    event_.reset();
  }
  s_ = s;
  // IRQF is computed from the flags and enables; push the level to the router.
  const bool irqf = (s_.cmos[kRegC] & s_.cmos[kRegB] & 0x70) != 0;
  s_.cmos[kRegC] = uint8_t((s_.cmos[kRegC] & 0x70) | (irqf ? kC_IRQF : 0));
  irq_.restore(irqf);
  arm();
}

}  // namespace platform
