// platform/devices/pic8259.cpp — see pic8259.h. Section names refer to the Intel 8259A
// datasheet (231468); ELCR to the PIIX/PIIX3 datasheet (82371FB/SB).
#include "platform/devices/pic8259.h"

#include <cstdio>

namespace platform {

namespace {

// PIIX ELCR: IRQ 0, 1, 2 (0x4D0 bits 2:0) and IRQ 8, 13 (0x4D1 bits 0, 5) are reserved
// and must be edge triggered.
constexpr uint8_t kElcrMask[2] = {0xF8, 0xDE};

}  // namespace

void Pic8259::reset() {
  // The IR pins carry what the devices drive; a reset of the chip does not change them.
  const uint8_t master_lines = s_.chip[0].lines, slave_lines = s_.chip[1].lines;
  s_ = State{};
  s_.chip[0].lines = uint8_t(master_lines & ~(1u << kCascadeLine));
  s_.chip[1].lines = slave_lines;
  update();
}

// ---- Inputs ------------------------------------------------------------------------------

void Pic8259::set_line(Chip& c, unsigned line, bool level) {
  const uint8_t bit = uint8_t(1u << line);
  const bool was = c.lines & bit;
  c.lines = level ? uint8_t(c.lines | bit) : uint8_t(c.lines & ~bit);
  if (level_triggered(c, line)) {
    // "Level Triggered Mode": the request follows the IR level.
    c.irr = level ? uint8_t(c.irr | bit) : uint8_t(c.irr & ~bit);
  } else if (level && !was) {
    // "Edge Triggered Mode": a low-to-high transition latches the request.
    c.irr |= bit;
  }
}

void Pic8259::set_irq(unsigned irq, bool level) {
  // ISA IRQ 2 does not exist on a PC/AT: master IR2 is the cascade (the bus pin that was
  // IRQ2 on the PC/XT is wired to IRQ 9).
  if (irq >= 16 || irq == kCascadeLine) return;
  set_line(s_.chip[irq >> 3], irq & 7, level);
  update();
}

void Pic8259::update() {
  // "Cascading": the slave's INT output is the master's IR2 input.
  const bool slave_int = resolve(s_.chip[1], false) >= 0;
  set_line(s_.chip[0], kCascadeLine, slave_int);
  if (on_change_) on_change_();
}

// ---- Priority resolution and acknowledge -------------------------------------------------

int Pic8259::resolve(const Chip& c, bool master) {
  if (c.init_step != 0) return -1;  // no requests are serviced mid-initialization
  const uint8_t req = uint8_t(c.irr & ~c.imr);
  if (!req) return -1;
  // "Special Mask Mode": an in-service line that is masked no longer inhibits others.
  const uint8_t in_service = c.special_mask ? uint8_t(c.isr & ~c.imr) : c.isr;
  const bool sfnm = master && (c.icw4 & 0x10);
  // Walk from the highest priority (the line after the lowest) downwards ("Automatic
  // Rotation": priority is relative to `lowest`).
  for (unsigned p = 0; p < 8; ++p) {
    const unsigned line = (c.lowest + 1 + p) & 7;
    const uint8_t bit = uint8_t(1u << line);
    if (in_service & bit) {
      // "Fully Nested Mode": a line in service blocks its own and lower levels. "Special
      // Fully Nested Mode": the master still lets the slave's line through.
      if (sfnm && line == kCascadeLine && (req & bit)) return int(line);
      return -1;
    }
    if (req & bit) return int(line);
  }
  return -1;
}

void Pic8259::acknowledge(Chip& c, unsigned line) {
  const uint8_t bit = uint8_t(1u << line);
  // The edge-sense latch is consumed; a level-triggered request stays while the line is
  // high (and in-service blocks it).
  if (!level_triggered(c, line)) c.irr &= uint8_t(~bit);
  if (c.icw4 & 0x02) {
    // "Automatic End of Interrupt Mode": ISR is reset at the end of the INTA sequence.
    if (c.rotate_aeoi) c.lowest = uint8_t(line);
  } else {
    c.isr |= bit;
  }
}

bool Pic8259::intr_pending() const { return resolve(s_.chip[0], true) >= 0; }

uint8_t Pic8259::intr_ack() {
  Chip& m = s_.chip[0];
  uint8_t vector;
  const int line = resolve(m, true);
  if (line < 0) {
    // "Interrupt Sequence": the request went away before INTA: the master answers with its
    // IR7 vector and sets no ISR bit.
    vector = uint8_t(vector_base(m) | 7);
  } else {
    acknowledge(m, unsigned(line));
    // "Cascading": in cascade mode the slave supplies the vector of an IR that ICW3 marks
    // as having a slave; otherwise the master does.
    if (unsigned(line) == kCascadeLine && cascade() && (m.icw3 >> kCascadeLine & 1)) {
      Chip& sl = s_.chip[1];
      const int sline = resolve(sl, false);
      set_line(m, kCascadeLine, false);  // the slave's INT drops during INTA
      if (sline < 0) {
        vector = uint8_t(vector_base(sl) | 7);  // spurious IRQ 15
      } else {
        acknowledge(sl, unsigned(sline));
        vector = uint8_t(vector_base(sl) | unsigned(sline));
      }
    } else {
      vector = uint8_t(vector_base(m) | unsigned(line));
    }
  }
  update();
  return vector;
}

// ---- Commands ----------------------------------------------------------------------------

void Pic8259::eoi(Chip& c, uint8_t ocw2) {
  const unsigned level = ocw2 & 7;
  // The in-service line with the highest priority (for the non-specific forms).
  auto highest_in_service = [&c]() -> int {
    for (unsigned p = 0; p < 8; ++p) {
      const unsigned line = (c.lowest + 1 + p) & 7;
      if (c.isr >> line & 1) return int(line);
    }
    return -1;
  };
  // OCW2 bits 7:5 = R, SL, EOI.
  switch (ocw2 >> 5) {
    case 0: c.rotate_aeoi = false; break;   // rotate in AEOI mode (clear)
    case 1: {                               // non-specific EOI
      const int l = highest_in_service();
      if (l >= 0) c.isr &= uint8_t(~(1u << l));
      break;
    }
    case 2: break;                          // no operation
    case 3: c.isr &= uint8_t(~(1u << level)); break;  // specific EOI
    case 4: c.rotate_aeoi = true; break;    // rotate in AEOI mode (set)
    case 5: {                               // rotate on non-specific EOI
      const int l = highest_in_service();
      if (l >= 0) {
        c.isr &= uint8_t(~(1u << l));
        c.lowest = uint8_t(l);
      }
      break;
    }
    case 6: c.lowest = uint8_t(level); break;  // set priority
    case 7:                                     // rotate on specific EOI
      c.isr &= uint8_t(~(1u << level));
      c.lowest = uint8_t(level);
      break;
  }
}

void Pic8259::write_command(Chip& c, uint8_t v) {
  if (v & 0x10) {
    // ICW1 ("Initialization Command Words"): edge-sense circuit reset, IMR cleared, IR7
    // lowest priority, special mask mode cleared, status read set to IRR; without IC4 all
    // ICW4 functions are zero. ISR and pending edge requests are cleared as well (as
    // Bochs and QEMU do); level requests stay while their lines are high.
    c.icw1 = v;
    if (!(v & 0x01)) c.icw4 = 0;
    c.imr = 0;
    c.isr = 0;
    c.irr = 0;
    for (unsigned line = 0; line < 8; ++line) {
      if (level_triggered(c, line) && (c.lines >> line & 1)) c.irr |= uint8_t(1u << line);
    }
    c.lowest = 7;
    c.special_mask = false;
    c.read_isr = false;
    c.poll = false;
    c.rotate_aeoi = false;
    c.init_step = 2;
  } else if (v & 0x08) {
    // OCW3: D6 ESMM, D5 SMM, D2 P, D1 RR, D0 RIS.
    if (v & 0x40) c.special_mask = v & 0x20;
    if (v & 0x04) c.poll = true;
    if (v & 0x02) c.read_isr = v & 0x01;
  } else {
    eoi(c, v);  // OCW2
  }
}

void Pic8259::write_data(Chip& c, uint8_t v) {
  const bool ic4 = c.icw1 & 0x01, single = c.icw1 & 0x02;
  switch (c.init_step) {
    case 2:  // ICW2: vector base T7-T3 (8086 mode)
      c.icw2 = v;
      c.init_step = single ? (ic4 ? 4 : 0) : 3;
      break;
    case 3:  // ICW3: master: slave bitmap; slave: its ID in bits 2:0
      c.icw3 = v;
      c.init_step = ic4 ? 4 : 0;
      break;
    case 4:  // ICW4: D4 SFNM, D3 BUF, D2 M/S, D1 AEOI, D0 uPM
      c.icw4 = uint8_t(v & 0x1F);
      c.init_step = 0;
      break;
    default:  // OCW1
      c.imr = v;
      break;
  }
}

uint8_t Pic8259::read_command(Chip& c) {
  if (c.poll) {
    // "Poll Command": the read acts as an interrupt acknowledge and returns
    // I - - - - W2 W1 W0 (I = an interrupt was pending).
    c.poll = false;
    const int line = resolve(c, &c == &s_.chip[0]);
    if (line < 0) return 0x00;
    acknowledge(c, unsigned(line));
    update();
    return uint8_t(0x80 | unsigned(line));
  }
  return c.read_isr ? c.isr : c.irr;
}

// ---- Ports -------------------------------------------------------------------------------

uint32_t Pic8259::io_read(uint16_t port, unsigned size) {
  // A wider access is split into byte cycles, as the ISA bus does.
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = uint16_t(port + i);
    uint8_t b = 0xFF;
    if (p == kMasterPort || p == kSlavePort) {
      b = read_command(s_.chip[p == kSlavePort]);
    } else if (p == kMasterPort + 1 || p == kSlavePort + 1) {
      b = s_.chip[p == kSlavePort + 1].imr;
    } else if (p == kElcrPort || p == kElcrPort + 1) {
      b = s_.chip[p - kElcrPort].elcr;
    }
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void Pic8259::io_write(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) {
    const uint16_t p = uint16_t(port + i);
    const uint8_t b = uint8_t(value >> (8 * i));
    if (p == kMasterPort || p == kSlavePort) {
      write_command(s_.chip[p == kSlavePort], b);
    } else if (p == kMasterPort + 1 || p == kSlavePort + 1) {
      write_data(s_.chip[p == kSlavePort + 1], b);
    } else if (p == kElcrPort || p == kElcrPort + 1) {
      Chip& c = s_.chip[p - kElcrPort];
      c.elcr = uint8_t(b & kElcrMask[p - kElcrPort]);
      // Lines now level triggered request while high.
      for (unsigned line = 0; line < 8; ++line) {
        if (level_triggered(c, line)) {
          const uint8_t bit = uint8_t(1u << line);
          c.irr = (c.lines & bit) ? uint8_t(c.irr | bit) : uint8_t(c.irr & ~bit);
        }
      }
    } else {
      continue;
    }
    update();
  }
}

// ---- Dump and snapshots ------------------------------------------------------------------

std::string Pic8259::dump() const {
  std::string out;
  const char* names[2] = {"master", "slave"};
  for (int i = 0; i < 2; ++i) {
    const Chip& c = s_.chip[i];
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%s.irr=%02x\n%s.isr=%02x\n%s.imr=%02x\n%s.lines=%02x\n%s.elcr=%02x\n"
                  "%s.icw=%02x %02x %02x %02x\n%s.init_step=%u\n%s.lowest=%u\n"
                  "%s.read_isr=%d\n%s.poll=%d\n%s.special_mask=%d\n%s.rotate_aeoi=%d\n",
                  names[i], c.irr, names[i], c.isr, names[i], c.imr, names[i], c.lines, names[i],
                  c.elcr, names[i], c.icw1, c.icw2, c.icw3, c.icw4, names[i], unsigned(c.init_step),
                  names[i], unsigned(c.lowest), names[i], c.read_isr ? 1 : 0, names[i], c.poll ? 1 : 0,
                  names[i], c.special_mask ? 1 : 0, names[i], c.rotate_aeoi ? 1 : 0);
    out += buf;
  }
  return out;
}

void Pic8259::save(StateWriter& w) const {
  w.section("pic8259");
  for (const Chip& c : s_.chip) {
    w.u8(c.irr);
    w.u8(c.isr);
    w.u8(c.imr);
    w.u8(c.lines);
    w.u8(c.elcr);
    w.u8(c.icw1);
    w.u8(c.icw2);
    w.u8(c.icw3);
    w.u8(c.icw4);
    w.u8(c.init_step);
    w.u8(c.lowest);
    w.boolean(c.read_isr);
    w.boolean(c.poll);
    w.boolean(c.special_mask);
    w.boolean(c.rotate_aeoi);
  }
}

void Pic8259::load(StateReader& r) {
  r.section("pic8259");
  State s;
  for (int i = 0; i < 2; ++i) {
    Chip& c = s.chip[i];
    const std::string who = i == 0 ? "master " : "slave ";
    c.irr = r.u8();
    c.isr = r.u8();
    c.imr = r.u8();
    c.lines = r.u8();
    c.elcr = r.u8();
    r.check(!(c.elcr & ~kElcrMask[i]), who + "ELCR sets a reserved bit");
    c.icw1 = r.u8();
    r.check(c.icw1 & 0x10 || c.icw1 == 0, who + "ICW1 lacks bit 4");
    c.icw2 = r.u8();
    c.icw3 = r.u8();
    c.icw4 = r.u8();
    r.check(!(c.icw4 & 0xE0), who + "ICW4 sets bits 7:5");
    c.init_step = r.u8();
    r.check(c.init_step == 0 || (c.init_step >= 2 && c.init_step <= 4),
            who + "initialization step " + std::to_string(c.init_step));
    c.lowest = r.u8();
    r.check(c.lowest <= 7, who + "lowest-priority line " + std::to_string(c.lowest));
    c.read_isr = r.boolean();
    c.poll = r.boolean();
    c.special_mask = r.boolean();
    c.rotate_aeoi = r.boolean();
    for (unsigned line = 0; line < 8; ++line) {
      if (level_triggered(c, line)) {
        r.check((c.irr >> line & 1) == (c.lines >> line & 1),
                who + "level-triggered IR" + std::to_string(line) + " request differs from its line");
      }
    }
  }
  r.check(bool(s.chip[0].lines & (1u << kCascadeLine)) == (resolve(s.chip[1], false) >= 0),
          "the master's IR2 level differs from the slave's INT output");
  s_ = s;
  update();
}

}  // namespace platform
