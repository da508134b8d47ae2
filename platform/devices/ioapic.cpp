// platform/devices/ioapic.cpp — see ioapic.h. Section numbers refer to the 82093AA
// datasheet (Intel order 290566-001).
#include "platform/devices/ioapic.h"

#include <cstdio>

namespace platform {

namespace {
// Writable bits of a redirection entry: vector, delivery mode, destination mode,
// polarity, trigger mode, mask (low dword) and the destination (bits 63:56).
constexpr uint64_t kRedirWritable = 0xFF00'0000'0001'AFFFull;
}  // namespace

void IoApic::reset() {
  s_ = IoApicState{};
  s_.id = s_.arb = uint32_t(kResetId) << 24;
  for (uint64_t& e : s_.redir) e = kMasked;  // 3.2.4: masked after reset
}

bool IoApic::edge_only(uint64_t entry) {
  const unsigned mode = (entry >> 8) & 7;
  return mode != apic_mode::Fixed && mode != apic_mode::LowestPriority;
}

bool IoApic::asserted(unsigned pin) const {
  const bool high = (s_.pins >> pin) & 1;
  return high != bool(s_.redir[pin] & kLowActive);
}

void IoApic::send(unsigned pin) {
  const uint64_t e = s_.redir[pin];
  ApicMessage msg;
  msg.vector = uint8_t(e);
  msg.mode = uint8_t((e >> 8) & 7);
  msg.logical = e & (1u << 11);
  msg.level = (e & kLevel) && !edge_only(e);
  msg.dest = uint8_t(e >> 56);
  // 3.2.4: remote IRR is set when the local APIC accepts a level interrupt. Set before
  // the message goes out, so an EOI that the sink's delivery causes finds it.
  if (msg.level) s_.redir[pin] |= kRemoteIrr;
  if (!sink_ || !sink_(msg)) s_.redir[pin] &= ~kRemoteIrr;  // nobody accepted it
}

void IoApic::service_level(unsigned pin) {
  const uint64_t e = s_.redir[pin];
  if (!(e & kLevel) || edge_only(e) || (e & (kMasked | kRemoteIrr)) || !asserted(pin)) return;
  send(pin);
}

void IoApic::set_pin(unsigned pin, bool level) {
  if (pin >= kPins) return;
  const bool was = asserted(pin);
  if (level) {
    s_.pins |= 1u << pin;
  } else {
    s_.pins &= ~(1u << pin);
  }
  const uint64_t e = s_.redir[pin];
  if ((e & kLevel) && !edge_only(e)) {
    service_level(pin);
  } else if (!was && asserted(pin) && !(e & kMasked)) {
    send(pin);  // the asserting edge
  }
}

void IoApic::eoi(uint8_t vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& e = s_.redir[pin];
    if ((e & kLevel) && (e & kRemoteIrr) && uint8_t(e) == vector) {
      e &= ~kRemoteIrr;
      service_level(pin);  // still asserted: deliver again
    }
  }
}

uint32_t IoApic::read_register(uint8_t index) const {
  switch (index) {
    case ID: return s_.id;
    case VERSION: return kVersion;
    case ARB: return s_.arb;
    default:
      if (index >= REDTBL && index < REDTBL + 2 * kPins) {
        const uint64_t e = s_.redir[(index - REDTBL) / 2];
        return uint32_t((index & 1) ? e >> 32 : e);
      }
      return 0;  // unimplemented
  }
}

void IoApic::write_register(uint8_t index, uint32_t value) {
  if (index == ID) {
    s_.id = value & 0x0F000000;
    return;
  }
  if (index < REDTBL || index >= REDTBL + 2 * kPins) return;  // read-only or unimplemented
  const unsigned pin = (index - REDTBL) / 2;
  uint64_t& e = s_.redir[pin];
  const uint64_t shift = (index & 1) ? 32 : 0;
  const uint64_t writable = kRedirWritable & (0xFFFFFFFFull << shift);
  e = (e & ~writable) | ((uint64_t(value) << shift) & writable);
  if (!(e & kLevel)) e &= ~kRemoteIrr;  // remote IRR is meaningless for edge entries
  service_level(pin);  // an asserted level pin that got unmasked delivers
}

uint64_t IoApic::mmio_read(uint64_t offset, unsigned size) {
  uint64_t v = 0;
  if (offset < 4) {
    v = uint64_t(s_.ioregsel) >> (8 * offset);
  } else if (offset >= 0x10 && offset < 0x14) {
    v = uint64_t(read_register(s_.ioregsel)) >> (8 * (offset - 0x10));
  }
  return size >= 8 ? v : v & ((uint64_t(1) << (8 * size)) - 1);
}

void IoApic::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset == 0) {
    s_.ioregsel = uint8_t(value);
  } else if (offset == 0x10 && size == 4) {
    write_register(s_.ioregsel, uint32_t(value));
  }
}

std::string IoApic::dump() const {
  std::string out;
  char buf[96];
  std::snprintf(buf, sizeof buf, "ioregsel=%02x\nid=%08x\narb=%08x\npins=%06x\n", s_.ioregsel, s_.id,
                s_.arb, s_.pins);
  out += buf;
  for (unsigned i = 0; i < kPins; ++i) {
    std::snprintf(buf, sizeof buf, "redir%u=%016llx\n", i, static_cast<unsigned long long>(s_.redir[i]));
    out += buf;
  }
  return out;
}

void IoApic::save(StateWriter& w) const {
  w.section("ioapic");
  w.u8(s_.ioregsel);
  w.u32(s_.id);
  w.u32(s_.arb);
  for (uint64_t e : s_.redir) w.u64(e);
  w.u32(s_.pins);
}

void IoApic::load(StateReader& r) {
  r.section("ioapic");
  IoApicState s;
  s.ioregsel = r.u8();
  s.id = r.u32();
  r.check((s.id & ~0x0F000000u) == 0, "the ID has reserved bits set");
  s.arb = r.u32();
  r.check((s.arb & ~0x0F000000u) == 0, "the arbitration ID has reserved bits set");
  for (uint64_t& e : s.redir) {
    e = r.u64();
    r.check((e & ~(kRedirWritable | kRemoteIrr)) == 0, "a redirection entry has reserved bits set");
    r.check(!(e & kRemoteIrr) || (e & kLevel), "remote IRR set on an edge-triggered entry");
  }
  s.pins = r.u32();
  r.check(s.pins >> kPins == 0, "pin levels beyond pin 23");
  s_ = s;
}

}  // namespace platform
