// The VGA text-mode device on the whole machine: the CPU's text buffer at 0xB8000 is RAM,
// the CRTC (IBM VGA Technical Reference, "CRT Controller Registers") picks the start
// address and the cursor, and Input Status 1's retrace bits follow the cycle counter.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "platform/machine.h"

using namespace platform;

namespace {

uint32_t in(Machine& m, uint16_t port) {
  uint32_t v = 0;
  m.io_read(port, 1, v);
  return v;
}
void out(Machine& m, uint16_t port, uint8_t v) { m.io_write(port, 1, v); }
void crtc(Machine& m, uint8_t index, uint8_t v) {
  out(m, 0x3D4, index);
  out(m, 0x3D5, v);
}
// Writes characters (attribute 0x07) at screen cell `cell` of the buffer, no start offset.
void put(Machine& m, unsigned cell, const std::string& s) {
  std::vector<uint8_t> bytes;
  for (char c : s) {
    bytes.push_back(uint8_t(c));
    bytes.push_back(0x07);
  }
  ASSERT_TRUE(m.load_ram(0xB8000 + 2 * cell, bytes));
}
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t p = 0;
  while (p < text.size()) {
    const size_t e = text.find('\n', p);
    out.push_back(text.substr(p, e - p));
    p = e + 1;
  }
  return out;
}

TEST(VgaText, RendersTheBufferRowByRowTrimmed) {
  Machine m;
  put(m, 0, "Hello   ");
  put(m, 80 + 10, "row one");
  put(m, 24 * 80 + 75, "last!");
  const std::vector<std::string> rows = lines(m.vga().text());
  ASSERT_EQ(rows.size(), 25u);
  EXPECT_EQ(rows[0], "Hello");
  EXPECT_EQ(rows[1], "          row one");
  EXPECT_EQ(rows[2], "");
  EXPECT_EQ(rows[24], std::string(75, ' ') + "last!");
  EXPECT_EQ(m.vga().text().back(), '\n');
}

TEST(VgaText, Cp437BytesBecomeUtf8) {
  Machine m;
  ASSERT_TRUE(m.load_ram(0xB8000, std::vector<uint8_t>{0x01, 7, 0xC9, 7, 0xCD, 7, 0x00, 7, 0x82, 7,
                                                        0xE1, 7, 0x7F, 7, 0xFF, 7, 'x', 7}));
  // ☺ ╔ ═ (NUL is blank) é ß ⌂ (0xFF is blank) x
  EXPECT_EQ(lines(m.vga().text())[0], "\u263A\u2554\u2550 \u00E9\u00DF\u2302 x");
}

TEST(VgaText, StartAddressScrollsAndWrapsInThe32KiBWindow) {
  Machine m;
  put(m, 0, "first");
  put(m, 80, "second");
  crtc(m, 0x0C, 0x00);
  crtc(m, 0x0D, 80);  // start at cell 80: the screen shows from the second row
  EXPECT_EQ(m.vga().start_address(), 80);
  EXPECT_EQ(lines(m.vga().text())[0], "second");
  // Start at cell 0x3FFF: its first cell is the window's last word, then it wraps to 0.
  ASSERT_TRUE(m.load_ram(0xBFFFE, std::vector<uint8_t>{'>', 7}));
  crtc(m, 0x0C, 0x3F);
  crtc(m, 0x0D, 0xFF);
  EXPECT_EQ(lines(m.vga().text())[0], ">first");
}

TEST(VgaText, CursorFollowsTheLocationAndStartRegisters) {
  Machine m;
  VgaText::Cursor c = m.vga().cursor();
  EXPECT_TRUE(c.visible);  // mode 3: cursor lines 0x0D-0x0E, at cell 0
  EXPECT_EQ(c.row, 0u);
  EXPECT_EQ(c.col, 0u);
  crtc(m, 0x0E, 0x00);
  crtc(m, 0x0F, 2 * 80 + 5);
  c = m.vga().cursor();
  EXPECT_EQ(c.row, 2u);
  EXPECT_EQ(c.col, 5u);
  crtc(m, 0x0D, 80);  // scrolled by a row: the cursor moves up with the text
  EXPECT_EQ(m.vga().cursor().row, 1u);
  crtc(m, 0x0D, 0);
  crtc(m, 0x0A, 0x20 | 0x0D);  // bit 5: cursor off
  EXPECT_FALSE(m.vga().cursor().visible);
  crtc(m, 0x0A, 0x0F);  // start below the end: no cursor
  crtc(m, 0x0B, 0x0E);
  EXPECT_FALSE(m.vga().cursor().visible);
  crtc(m, 0x0A, 0x0D);
  crtc(m, 0x0E, 0x07);
  crtc(m, 0x0F, 0xCF);  // 0x7CF = 1999: the last cell
  EXPECT_TRUE(m.vga().cursor().visible);
  EXPECT_EQ(m.vga().cursor().row, 24u);
  EXPECT_EQ(m.vga().cursor().col, 79u);
  crtc(m, 0x0F, 0xD0);  // 0x7D0 = 2000: just past it
  EXPECT_FALSE(m.vga().cursor().visible);
}

TEST(VgaText, WordWritesSetIndexAndDataAtOnce) {
  Machine m;
  // outw(0x3D4, 0x0E | hi << 8), outw(0x3D4, 0x0F | lo << 8): the usual cursor update.
  m.io_write(0x3D4, 2, 0x0E | 0x01 << 8);
  m.io_write(0x3D4, 2, 0x0F | 0x23 << 8);
  EXPECT_EQ(m.vga().cursor_location(), 0x0123);
  uint32_t v = 0;
  m.io_read(0x3D4, 2, v);
  EXPECT_EQ(v, 0x230Fu);  // index, then the register it selects
}

TEST(VgaText, CrtcRegistersReadBackWithWriteProtect) {
  Machine m;
  out(m, 0x3D4, 0x0A);
  EXPECT_EQ(in(m, 0x3D4), 0x0Au);
  EXPECT_EQ(in(m, 0x3D5), 0x0Du);  // mode 3 cursor start
  out(m, 0x3D4, 0x01);
  EXPECT_EQ(in(m, 0x3D5), 0x4Fu);  // horizontal display end: 80 characters
  out(m, 0x3D4, 0x30);
  EXPECT_EQ(in(m, 0x3D5), 0xFFu);  // no such register
  out(m, 0x3D5, 0x12);
  EXPECT_EQ(in(m, 0x3D5), 0xFFu);
  // CRTC 0x11 bit 7 (mode 3 sets it) protects 0x00-0x07, except 0x07 bit 4.
  crtc(m, 0x01, 0x27);
  out(m, 0x3D4, 0x01);
  EXPECT_EQ(in(m, 0x3D5), 0x4Fu);
  crtc(m, 0x07, 0x00);
  out(m, 0x3D4, 0x07);
  EXPECT_EQ(in(m, 0x3D5), 0x0Fu);  // 0x1F with bit 4 cleared
  crtc(m, 0x11, 0x0E);             // unprotect
  crtc(m, 0x01, 0x27);
  out(m, 0x3D4, 0x01);
  EXPECT_EQ(in(m, 0x3D5), 0x27u);
}

TEST(VgaText, MiscOutputSelectsColourOrMonochromeAddressing) {
  Machine m;
  EXPECT_EQ(in(m, 0x3CC), 0x67u);
  EXPECT_EQ(in(m, 0x3B4), 0xFFu);  // monochrome range inactive
  out(m, 0x3C2, 0x66);             // I/O address select = 0: 0x3Bx
  EXPECT_EQ(in(m, 0x3CC), 0x66u);
  out(m, 0x3B4, 0x0F);
  out(m, 0x3B5, 0x21);
  EXPECT_EQ(in(m, 0x3B5), 0x21u);
  EXPECT_EQ(m.vga().cursor_location(), 0x21);
  EXPECT_EQ(in(m, 0x3D5), 0xFFu);  // colour range inactive
  out(m, 0x3D5, 0x55);             // dropped
  EXPECT_EQ(m.vga().crtc(0x0F), 0x21);
  out(m, 0x3C2, 0x67);
  EXPECT_EQ(in(m, 0x3D5), 0x21u);
}

TEST(VgaText, RetraceBitsFollowTheCycleCounterAt70Hz) {
  Machine m;  // 1000 MHz
  const Clock& clk = m.clock();
  auto status_at_dot = [&](uint64_t dot) { return m.vga().input_status_1(clk.cycle_of_tick(dot, VgaText::kDotHz)); };
  EXPECT_EQ(status_at_dot(0), 0x00);              // line 0, displaying
  EXPECT_EQ(status_at_dot(719), 0x00);
  EXPECT_EQ(status_at_dot(720), 0x01);            // horizontal blanking
  EXPECT_EQ(status_at_dot(900), 0x00);            // line 1
  EXPECT_EQ(status_at_dot(400 * 900), 0x01);      // vertical blanking, no retrace yet
  EXPECT_EQ(status_at_dot(412 * 900 - 1), 0x01);
  EXPECT_EQ(status_at_dot(412 * 900), 0x09);      // vertical retrace (CRTC 0x10 = 0x19C)
  EXPECT_EQ(status_at_dot(414 * 900 - 1), 0x09);
  EXPECT_EQ(status_at_dot(414 * 900), 0x01);      // retrace end (CRTC 0x11 low bits 0xE)
  EXPECT_EQ(status_at_dot(449 * 900), 0x00);      // the next frame
  // One second holds 70 frames' retraces (449 lines x 900 dots at 28.322 MHz: 70.09 Hz).
  unsigned edges = 0;
  bool was = false;
  for (uint64_t c = 0; c <= 1'000'000'000; c += 10'000) {
    const bool vr = m.vga().input_status_1(c) & 0x08;
    if (vr && !was) ++edges;
    was = vr;
  }
  EXPECT_EQ(edges, 70u);
  // Through the port, at the CPU's cycle (0 here).
  EXPECT_EQ(in(m, 0x3DA), 0x00u);
}

TEST(VgaText, InputStatusReadResetsTheAttributeFlipFlop) {
  Machine m;
  in(m, 0x3DA);
  out(m, 0x3C0, 0x10);  // index: mode control
  out(m, 0x3C0, 0x08);  // data
  EXPECT_EQ(in(m, 0x3C0), 0x10u);
  EXPECT_EQ(in(m, 0x3C1), 0x08u);
  out(m, 0x3C0, 0x12);  // index again (the flip-flop toggled back)
  in(m, 0x3DA);         // reset: the next write is an index
  out(m, 0x3C0, 0x20 | 0x11);
  EXPECT_EQ(in(m, 0x3C0), 0x31u);  // bit 5 (palette address source) kept
  out(m, 0x3C0, 0x04);
  EXPECT_EQ(in(m, 0x3C1), 0x04u);  // overscan colour
}

TEST(VgaText, SaveLoadRoundTripsAndRejectsMalformedState) {
  Machine a;
  crtc(a, 0x0E, 0x01);
  crtc(a, 0x0F, 0x23);
  out(a, 0x3C2, 0x66);
  in(a, 0x3BA);
  out(a, 0x3C0, 0x13);
  StateWriter w;
  a.vga().save(w);
  Machine b;
  StateReader r(w.data());
  b.vga().load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(b.vga().dump(), a.vga().dump());
  EXPECT_EQ(b.vga().cursor_location(), 0x0123);
  EXPECT_FALSE(b.vga().colour_addressing());

  auto load = [](std::vector<uint8_t> d) {
    Machine m;
    StateReader rd(d);
    m.vga().load(rd);
  };
  // Layout: section (8 + 8), crtc (8 + 25), index, misc, attr (8 + 21), attr index, flip-flop.
  std::vector<uint8_t> d = w.data();
  d[16 + 8 + 25 + 2 + 8 + 21] = 0x40;  // attribute index beyond 6 bits
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d.back() = 2;  // the flip-flop boolean
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d[16] = 24;  // 24 CRTC registers
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d.pop_back();
  EXPECT_THROW(load(d), StateError);
}

}  // namespace
