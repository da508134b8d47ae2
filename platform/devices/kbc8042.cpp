// platform/devices/kbc8042.cpp — see kbc8042.h.
#include "platform/devices/kbc8042.h"

#include <cstdio>

#include "platform/keymap.h"
#include "platform/text.h"

namespace platform {

namespace {
constexpr uint8_t kAck = 0xFA, kResend = 0xFE, kBatOk = 0xAA;
// The set number 1-3 a keyboard reports, as the guest reads it through the 8042's
// translation (its table maps 0x01, 0x02, 0x03 to 0x43, 0x41, 0x3F).
constexpr uint8_t kTranslatedSet[4] = {0x00, 0x43, 0x41, 0x3F};
}  // namespace

Kbc8042::Kbc8042(Scheduler& sched, const Clock& clock, IrqLine irq1, IrqLine irq12, Callbacks cb)
    : sched_(sched), clock_(clock), irq1_(irq1), irq12_(irq12), cb_(std::move(cb)) {
  s_.ram[0] = kDefaultCommandByte;
}

Kbc8042::~Kbc8042() {
  if (arrival_event_) sched_.cancel(arrival_event_);
}

void Kbc8042::reset() {
  if (arrival_event_) sched_.cancel(arrival_event_);
  arrival_event_ = 0;
  s_ = State{};
  s_.ram[0] = kDefaultCommandByte;
  irq1_.lower();
  irq12_.lower();
}

uint8_t Kbc8042::status() const {
  return uint8_t((s_.obf ? 0x01 : 0) | (s_.sys ? 0x04 : 0) | (s_.a2 ? 0x08 : 0) | 0x10 |
                 (s_.obf && s_.aux ? 0x20 : 0));
}

void Kbc8042::update_irqs() {
  irq1_.set(s_.obf && !s_.aux && (s_.ram[0] & 0x01));
  irq12_.set(s_.obf && s_.aux && (s_.ram[0] & 0x02));
}

bool Kbc8042::next_keyboard_byte(uint8_t& b, bool take) {
  if (!s_.kb_out.empty()) {
    b = s_.kb_out.front();
    if (take) s_.kb_out.pop_front();
    return true;
  }
  if (!s_.kb_scanning) return false;
  while (s_.key_bytes.empty() && !s_.keys.empty()) {
    if (!take) {
      b = s_.keys.front();  // the first byte may differ once converted; only "some byte" matters
      return true;
    }
    const uint8_t code = s_.keys.front();
    s_.keys.pop_front();
    if (translate() || s_.kb_set == 1) {
      s_.key_bytes.push_back(code);
    } else {
      set1_to_set2(code, s_.key_bytes);  // a code without a set 2 key is dropped
    }
  }
  if (s_.key_bytes.empty()) return false;
  b = s_.key_bytes.front();
  if (take) s_.key_bytes.erase(s_.key_bytes.begin());
  return true;
}

void Kbc8042::pump() {
  if (!s_.obf && !s_.ctl.empty()) {
    const Out o = s_.ctl.front();
    s_.ctl.pop_front();
    s_.out = o.byte;
    s_.obf = true;
    s_.aux = o.src == Source::Aux;
  }
  uint8_t b;
  if (!s_.obf && !s_.in_flight && !keyboard_disabled() && next_keyboard_byte(b, false)) {
    s_.in_flight = true;
    s_.arrival = sched_.now() + clock_.cycle_of_tick(kTransferNs, 1'000'000'000);
    arrival_event_ = sched_.schedule(s_.arrival, [this](uint64_t) {
      arrival_event_ = 0;
      on_arrival();
    });
  }
  update_irqs();
}

void Kbc8042::on_arrival() {
  s_.in_flight = false;
  uint8_t b;
  // The buffer may have filled meanwhile (a controller result) or the interface been
  // disabled: the byte then stays in the keyboard.
  if (!s_.obf && !keyboard_disabled() && next_keyboard_byte(b, true)) {
    s_.out = b;
    s_.obf = true;
    s_.aux = false;
    s_.kb_last = b;
  }
  pump();
}

void Kbc8042::host_key(uint8_t code) {
  s_.keys.push_back(code);
  pump();
}

uint32_t Kbc8042::io_read(uint16_t port, unsigned) {
  if (port == kCommandPort) return status();
  const uint8_t v = s_.out;
  s_.obf = false;
  s_.aux = false;
  // OBF (and with it IRQ 1/12) drops before the next byte loads, even a controller result
  // that loads at once: an edge-triggered PIC sees a new rising edge for it.
  update_irqs();
  pump();
  return v;
}

void Kbc8042::io_write(uint16_t port, unsigned, uint32_t value) {
  const uint8_t v = uint8_t(value);
  if (port == kCommandPort) {
    s_.a2 = true;
    write_command(v);
  } else {
    s_.a2 = false;
    write_data(v);
  }
  pump();
}

void Kbc8042::write_command(uint8_t cmd) {
  s_.pending_cmd = 0;
  if (cmd >= 0x20 && cmd <= 0x3F) {
    ctl_reply(s_.ram[cmd & 0x1F]);  // 0x20: the command byte
    return;
  }
  if ((cmd >= 0x60 && cmd <= 0x7F) || cmd == 0xD1 || cmd == 0xD2 || cmd == 0xD3 || cmd == 0xD4) {
    s_.pending_cmd = cmd;  // the data byte follows on port 0x60
    return;
  }
  if (cmd >= 0xF0) {
    // Pulse output port bits 3:0 low for 6 us where the command's bit is 0; bit 0 is the
    // CPU reset line.
    if (!(cmd & 0x01)) pulse_reset("the guest reset the machine through the 8042 (command " + hex(cmd) + ")");
    return;
  }
  switch (cmd) {
    case 0xA7: s_.ram[0] |= 0x20; break;            // disable aux
    case 0xA8: s_.ram[0] &= uint8_t(~0x20); break;  // enable aux
    case 0xA9: ctl_reply(0x00); break;              // aux interface test: no error
    case 0xAA:                                      // self test
      s_.sys = true;
      ctl_reply(0x55);
      break;
    case 0xAB: ctl_reply(0x00); break;              // keyboard interface test: no error
    case 0xAD: s_.ram[0] |= 0x10; break;            // disable keyboard
    case 0xAE: s_.ram[0] &= uint8_t(~0x10); break;  // enable keyboard
    case 0xC0: ctl_reply(0x00); break;              // input port
    case 0xD0: {                                    // read output port
      uint8_t v = uint8_t(s_.outport & ~0x30);
      if (s_.obf) v |= s_.aux ? 0x20 : 0x10;
      ctl_reply(v);
      break;
    }
    case 0xDD: set_output_port(uint8_t(s_.outport & ~0x02)); break;  // A20 off
    case 0xDF: set_output_port(uint8_t(s_.outport | 0x02)); break;   // A20 on
    case 0xE0: ctl_reply(0x00); break;                               // test inputs
    default: break;  // not modelled: ignored
  }
}

void Kbc8042::write_data(uint8_t v) {
  const uint8_t cmd = s_.pending_cmd;
  s_.pending_cmd = 0;
  if (cmd >= 0x60 && cmd <= 0x7F) {
    s_.ram[cmd & 0x1F] = v;
    if (cmd == 0x60) s_.sys = v & 0x04;  // the status SYS flag follows command byte bit 2
    return;
  }
  switch (cmd) {
    case 0xD1: set_output_port(v); return;
    case 0xD2: ctl_reply(v, Source::Keyboard); return;
    case 0xD3: ctl_reply(v, Source::Aux); return;
    case 0xD4: return;  // to the aux device: none is attached
    default: break;
  }
  // Data for the keyboard. Sending it re-enables the keyboard interface (as QEMU does).
  s_.ram[0] &= uint8_t(~0x10);
  keyboard_command(v);
}

void Kbc8042::keyboard_command(uint8_t v) {
  const uint8_t pending = s_.kb_pending;
  s_.kb_pending = 0;
  if (pending && v < 0xED) {
    switch (pending) {
      case 0xED:
        s_.kb_leds = v & 0x07;
        kb_reply(kAck);
        return;
      case 0xF3:
        s_.kb_typematic = v & 0x7F;
        kb_reply(kAck);
        return;
      case 0xF0:
        if (v == 0) {
          kb_reply(kAck);
          kb_reply(translate() ? kTranslatedSet[s_.kb_set] : s_.kb_set);
        } else if (v <= 3) {
          s_.kb_set = v;
          s_.key_bytes.clear();
          kb_reply(kAck);
        } else {
          kb_reply(kResend);
        }
        return;
      default: break;
    }
  }
  switch (v) {
    case 0xED:
    case 0xF0:
    case 0xF3:
      kb_reply(kAck);
      s_.kb_pending = v;
      return;
    case 0xEE: kb_reply(0xEE); return;  // echo
    case 0xF2:                          // identify: MF-II keyboard
      kb_reply(kAck);
      kb_reply(0xAB);
      kb_reply(translate() ? 0x41 : 0x83);
      return;
    case 0xF4: s_.kb_scanning = true; kb_reply(kAck); return;
    case 0xF5:  // disable scanning and restore defaults
      s_.kb_scanning = false;
      s_.kb_typematic = 0x2B;
      kb_reply(kAck);
      return;
    case 0xF6:  // restore defaults
      s_.kb_typematic = 0x2B;
      kb_reply(kAck);
      return;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
      kb_reply(kAck);  // set 3 key types: accepted, no effect
      return;
    case 0xFE: kb_reply(s_.kb_last); return;  // resend
    case 0xFF:                                // reset and self test
      s_.kb_out.clear();
      s_.key_bytes.clear();
      s_.kb_scanning = true;
      s_.kb_set = 2;
      s_.kb_leds = 0;
      s_.kb_typematic = 0x2B;
      kb_reply(kAck);
      kb_reply(kBatOk);
      return;
    default: kb_reply(kResend); return;
  }
}

void Kbc8042::set_output_port(uint8_t v) {
  const uint8_t old = s_.outport;
  s_.outport = uint8_t(v & ~0x30);  // bits 5:4 are the OBF lines, computed
  if (((old ^ v) & 0x02) && cb_.a20) cb_.a20(v & 0x02);
  if (!(v & 0x01)) pulse_reset("the guest reset the machine through the 8042 (output port bit 0 = 0)");
}

void Kbc8042::pulse_reset(const std::string& why) {
  if (cb_.reset) cb_.reset(why);
}

std::string Kbc8042::dump() const {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "status=%02x\ncommand_byte=%02x\noutput_port=%02x\nout=%02x\npending_cmd=%02x\n"
                "results_pending=%zu\nkb_scanning=%d\nkb_set=%u\nkb_leds=%u\nkb_typematic=%02x\n"
                "kb_pending=%02x\nkb_replies=%zu\nkeys_pending=%zu\nkey_bytes=%zu\nin_flight=%d\n",
                status(), s_.ram[0], s_.outport, s_.out, s_.pending_cmd, s_.ctl.size(),
                s_.kb_scanning ? 1 : 0, unsigned(s_.kb_set), unsigned(s_.kb_leds), s_.kb_typematic,
                s_.kb_pending, s_.kb_out.size(), s_.keys.size(), s_.key_bytes.size(), s_.in_flight ? 1 : 0);
  return buf;
}

void Kbc8042::save(StateWriter& w) const {
  w.section("kbc8042");
  w.bytes(s_.ram);
  w.u8(s_.outport);
  w.u8(s_.out);
  w.boolean(s_.obf);
  w.boolean(s_.aux);
  w.boolean(s_.sys);
  w.boolean(s_.a2);
  w.u8(s_.pending_cmd);
  w.u64(s_.ctl.size());
  for (const Out& o : s_.ctl) {
    w.u8(o.byte);
    w.u8(uint8_t(o.src));
  }
  w.bytes(std::vector<uint8_t>(s_.kb_out.begin(), s_.kb_out.end()));
  w.bytes(std::vector<uint8_t>(s_.keys.begin(), s_.keys.end()));
  w.bytes(s_.key_bytes);
  w.boolean(s_.kb_scanning);
  w.u8(s_.kb_set);
  w.u8(s_.kb_leds);
  w.u8(s_.kb_typematic);
  w.u8(s_.kb_pending);
  w.u8(s_.kb_last);
  w.boolean(s_.in_flight);
  w.u64(s_.arrival);
}

void Kbc8042::load(StateReader& r) {
  r.section("kbc8042");
  State s;
  const std::vector<uint8_t> ram = r.bytes(s.ram.size());
  r.check(ram.size() == s.ram.size(), "internal RAM of " + std::to_string(ram.size()) + " bytes");
  std::copy(ram.begin(), ram.end(), s.ram.begin());
  s.outport = r.u8();
  r.check((s.outport & 0x30) == 0, "output port " + hex(s.outport) + " with OBF bits stored");
  s.out = r.u8();
  s.obf = r.boolean();
  s.aux = r.boolean();
  r.check(s.obf || !s.aux, "AUXB without OBF");
  s.sys = r.boolean();
  s.a2 = r.boolean();
  s.pending_cmd = r.u8();
  const uint8_t pc = s.pending_cmd;
  r.check(pc == 0 || (pc >= 0x60 && pc <= 0x7F) || (pc >= 0xD1 && pc <= 0xD4),
          "pending controller command " + hex(pc));
  const uint64_t nctl = r.u64();
  r.check(nctl <= kMaxPending, std::to_string(nctl) + " controller results pending");
  for (uint64_t k = 0; k < nctl; ++k) {
    Out o;
    o.byte = r.u8();
    const uint8_t src = r.u8();
    r.check(src <= 2, "result source " + std::to_string(src));
    o.src = Source(src);
    s.ctl.push_back(o);
  }
  const std::vector<uint8_t> kb_out = r.bytes(kMaxPending);
  s.kb_out.assign(kb_out.begin(), kb_out.end());
  const std::vector<uint8_t> keys = r.bytes(kMaxKeyBytes);
  s.keys.assign(keys.begin(), keys.end());
  s.key_bytes = r.bytes(8);
  s.kb_scanning = r.boolean();
  s.kb_set = r.u8();
  r.check(s.kb_set >= 1 && s.kb_set <= 3, "scancode set " + std::to_string(s.kb_set));
  s.kb_leds = r.u8();
  r.check(s.kb_leds <= 7, "LEDs " + std::to_string(s.kb_leds));
  s.kb_typematic = r.u8();
  r.check(s.kb_typematic <= 0x7F, "typematic " + hex(s.kb_typematic));
  s.kb_pending = r.u8();
  r.check(s.kb_pending == 0 || s.kb_pending == 0xED || s.kb_pending == 0xF0 || s.kb_pending == 0xF3,
          "pending keyboard command " + hex(s.kb_pending));
  s.kb_last = r.u8();
  s.in_flight = r.boolean();
  s.arrival = r.u64();

  if (arrival_event_) sched_.cancel(arrival_event_);
  arrival_event_ = 0;
  s_ = std::move(s);
  if (s_.in_flight) {
    arrival_event_ = sched_.schedule(s_.arrival, [this](uint64_t) {
      arrival_event_ = 0;
      on_arrival();
    });
  }
  irq1_.restore(s_.obf && !s_.aux && (s_.ram[0] & 0x01));
  irq12_.restore(s_.obf && s_.aux && (s_.ram[0] & 0x02));
}

}  // namespace platform
