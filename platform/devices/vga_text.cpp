// platform/devices/vga_text.cpp — see vga_text.h.
#include "platform/devices/vga_text.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <vector>

namespace platform {

namespace {

// Mode 03h register values (IBM VGA Technical Reference, BIOS mode table for mode 3;
// the same values SeaBIOS's and Bochs's VGA BIOSes program).
constexpr std::array<uint8_t, VgaText::kCrtcRegs> kMode3Crtc = {
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
    0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr std::array<uint8_t, VgaText::kAttrRegs> kMode3Attr = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
    0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};
constexpr uint8_t kMode3Misc = 0x67;  // colour addressing, 28.322 MHz clock, RAM enabled

// Code page 437 as UTF-8 (the VGA ROM font's glyphs; this file is UTF-8, and GCC keeps
// string literals in UTF-8); 0x00 and 0xFF are blank.
constexpr const char* kCp437[] = {
    /* 00 */ " ", "☺", "☻", "♥", "♦", "♣", "♠", "•", "◘", "○", "◙", "♂", "♀", "♪", "♫", "☼",
    /* 10 */ "►", "◄", "↕", "‼", "¶", "§", "▬", "↨", "↑", "↓", "→", "←", "∟", "↔", "▲", "▼",
    /* 20 */ " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/",
    /* 30 */ "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?",
    /* 40 */ "@", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O",
    /* 50 */ "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "[", "\\", "]", "^", "_",
    /* 60 */ "`", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o",
    /* 70 */ "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "{", "|", "}", "~", "⌂",
    /* 80 */ "Ç", "ü", "é", "â", "ä", "à", "å", "ç", "ê", "ë", "è", "ï", "î", "ì", "Ä", "Å",
    /* 90 */ "É", "æ", "Æ", "ô", "ö", "ò", "û", "ù", "ÿ", "Ö", "Ü", "¢", "£", "¥", "₧", "ƒ",
    /* A0 */ "á", "í", "ó", "ú", "ñ", "Ñ", "ª", "º", "¿", "⌐", "¬", "½", "¼", "¡", "«", "»",
    /* B0 */ "░", "▒", "▓", "│", "┤", "╡", "╢", "╖", "╕", "╣", "║", "╗", "╝", "╜", "╛", "┐",
    /* C0 */ "└", "┴", "┬", "├", "─", "┼", "╞", "╟", "╚", "╔", "╩", "╦", "╠", "═", "╬", "╧",
    /* D0 */ "╨", "╤", "╥", "╙", "╘", "╒", "╓", "╫", "╪", "┘", "┌", "█", "▄", "▌", "▐", "▀",
    /* E0 */ "α", "ß", "Γ", "π", "Σ", "σ", "µ", "τ", "Φ", "Θ", "Ω", "δ", "∞", "φ", "ε", "∩",
    /* F0 */ "≡", "±", "≥", "≤", "⌠", "⌡", "÷", "≈", "°", "∙", "·", "√", "ⁿ", "²", "■", " ",
};
static_assert(std::size(kCp437) == 256);

}  // namespace

VgaText::VgaText(const Scheduler& sched, const Clock& clock, MemoryReader read_memory)
    : sched_(sched), clock_(clock), read_memory_(std::move(read_memory)) {
  reset();
}

void VgaText::reset() {
  s_ = State{};
  s_.crtc = kMode3Crtc;
  s_.attr = kMode3Attr;
  s_.misc = kMode3Misc;
}

uint8_t VgaText::input_status_1(uint64_t cycle) const {
  const uint64_t dots = clock_.ticks(cycle, kDotHz);
  const uint64_t dot = dots % kDotsPerLine;
  const uint64_t line = (dots / kDotsPerLine) % kLinesPerFrame;
  const bool retrace = line >= kRetraceFirstLine && line < kRetraceEndLine;
  const bool blank = dot >= kDisplayDots || line >= kDisplayLines;
  return uint8_t((blank ? 0x01 : 0) | (retrace ? 0x08 : 0));
}

// A 16- or 32-bit access reaches consecutive byte ports, as the ISA bus splits it (kernels
// commonly `outw` the CRTC index and data together to 0x3D4).
uint32_t VgaText::io_read(uint16_t port, unsigned size) {
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint32_t(read_byte(uint16_t(port + i))) << (8 * i);
  return v;
}

void VgaText::io_write(uint16_t port, unsigned size, uint32_t value) {
  for (unsigned i = 0; i < size; ++i) write_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

uint8_t VgaText::read_byte(uint16_t port) {
  const uint16_t crtc_base = colour_addressing() ? 0x3D4 : 0x3B4;
  if (port == crtc_base) return s_.crtc_index;
  if (port == crtc_base + 1) return s_.crtc_index < kCrtcRegs ? s_.crtc[s_.crtc_index] : 0xFF;
  if (port == crtc_base + 6) {
    s_.attr_data_next = false;  // reading Input Status 1 resets the attribute flip-flop
    return input_status_1(sched_.now());
  }
  switch (port) {
    case 0x3C0: return s_.attr_index;
    case 0x3C1: return (s_.attr_index & 0x1F) < kAttrRegs ? s_.attr[s_.attr_index & 0x1F] : 0;
    case 0x3C2: return 0x00;  // Input Status 0: no switch sense, no retrace interrupt
    case 0x3CC: return s_.misc;
    default: return 0xFF;  // the inactive CRTC address range
  }
}

void VgaText::write_byte(uint16_t port, uint8_t v) {
  const uint16_t crtc_base = colour_addressing() ? 0x3D4 : 0x3B4;
  if (port == crtc_base) {
    s_.crtc_index = v;
    return;
  }
  if (port == crtc_base + 1) {
    const uint8_t i = s_.crtc_index;
    if (i >= kCrtcRegs) return;
    if ((s_.crtc[0x11] & 0x80) && i <= 0x07) {
      // CRTC 0x11 bit 7 protects 0x00-0x07; only the line compare bit 8 (0x07 bit 4) stays
      // writable.
      if (i == 0x07) s_.crtc[0x07] = uint8_t((s_.crtc[0x07] & ~0x10) | (v & 0x10));
      return;
    }
    s_.crtc[i] = v;
    return;
  }
  switch (port) {
    case 0x3C0:
      if (!s_.attr_data_next) {
        s_.attr_index = v & 0x3F;
      } else if ((s_.attr_index & 0x1F) < kAttrRegs) {
        s_.attr[s_.attr_index & 0x1F] = v;
      }
      s_.attr_data_next = !s_.attr_data_next;
      return;
    case 0x3C2: s_.misc = v; return;
    default: return;  // 0x3C1 and 0x3CC are read only; the inactive CRTC range
  }
}

std::string VgaText::text() const {
  std::vector<uint8_t> window(kTextWindow, 0);
  if (!read_memory_ || !read_memory_(kTextBase, window)) std::fill(window.begin(), window.end(), 0);
  std::string out;
  const uint32_t start = start_address();
  for (unsigned row = 0; row < kRows; ++row) {
    std::string line;
    for (unsigned col = 0; col < kColumns; ++col) {
      const uint32_t cell = start + row * kColumns + col;
      line += kCp437[window[(2 * cell) % kTextWindow]];
    }
    const size_t end = line.find_last_not_of(' ');
    line.erase(end == std::string::npos ? 0 : end + 1);
    out += line;
    out += '\n';
  }
  return out;
}

VgaText::Cursor VgaText::cursor() const {
  Cursor c;
  const unsigned pos = uint16_t(cursor_location() - start_address());
  c.row = pos / kColumns;
  c.col = pos % kColumns;
  const bool enabled = !(s_.crtc[0x0A] & 0x20) && (s_.crtc[0x0A] & 0x1F) <= (s_.crtc[0x0B] & 0x1F);
  c.visible = enabled && pos < kColumns * kRows;
  return c;
}

std::string VgaText::dump() const {
  std::string out;
  char buf[64];
  out += "crtc=";
  for (uint8_t b : s_.crtc) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  out += "\nattr=";
  for (uint8_t b : s_.attr) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "\ncrtc_index=%02x\nmisc=%02x\nattr_index=%02x\nattr_flipflop=%d\n",
                s_.crtc_index, s_.misc, s_.attr_index, s_.attr_data_next ? 1 : 0);
  out += buf;
  return out;
}

void VgaText::save(StateWriter& w) const {
  w.section("vga_text");
  w.bytes(s_.crtc);
  w.u8(s_.crtc_index);
  w.u8(s_.misc);
  w.bytes(s_.attr);
  w.u8(s_.attr_index);
  w.boolean(s_.attr_data_next);
}

void VgaText::load(StateReader& r) {
  r.section("vga_text");
  State s;
  const std::vector<uint8_t> crtc = r.bytes(kCrtcRegs);
  r.check(crtc.size() == kCrtcRegs, std::to_string(crtc.size()) + " CRTC registers");
  std::copy(crtc.begin(), crtc.end(), s.crtc.begin());
  s.crtc_index = r.u8();
  s.misc = r.u8();
  const std::vector<uint8_t> attr = r.bytes(kAttrRegs);
  r.check(attr.size() == kAttrRegs, std::to_string(attr.size()) + " attribute registers");
  std::copy(attr.begin(), attr.end(), s.attr.begin());
  s.attr_index = r.u8();
  r.check(s.attr_index < 0x40, "attribute index " + std::to_string(s.attr_index));
  s.attr_data_next = r.boolean();
  s_ = s;
}

}  // namespace platform
