// platform/devices/vga_text.h — a VGA in 80x25 colour text mode (BIOS mode 03h), the
// screen a PC kernel writes to at 0xB8000.
//
// References: IBM "VGA Technical Reference" (IBM Personal System/2 Hardware Interface
// Technical Reference, 1988: "Video Subsystem"), and FreeVGA's register pages which
// follow it. Register names below are IBM's.
//
// The text buffer stays ordinary guest RAM: the CPU writes characters (even bytes) and
// attributes (odd bytes) at full speed, and the device only reads the buffer through the
// machine when something renders it (text(), the CLI's --screen, later the GUI). Cell k of
// the screen is at 0xB8000 + (2 * (start + k) mod 0x8000): the start address (CRTC 0x0C/0x0D)
// counts cells, and the 32 KiB B8000-BFFFF window wraps. Rows are 80 cells apart (the
// offset register 0x13 is stored, not honoured); only text mode is rendered.
//
// Ports:
//   0x3D4/0x3D5  CRTC index/data (colour). Registers 0x00-0x18 are storage with mode 03h's
//                values at power-on (the machine has no video BIOS; Multiboot kernels expect
//                text mode set up). 0x0A/0x0B cursor start/end (bit 5 of 0x0A disables the
//                cursor), 0x0C/0x0D start address, 0x0E/0x0F cursor location. CRTC 0x11 bit 7
//                write-protects 0x00-0x07 (except 0x07 bit 4), as IBM documents. Indexes
//                above 0x18 read 0xFF; writes to them are dropped.
//   0x3DA        Input Status 1 (read): bit 0 "display disabled" (horizontal or vertical
//                blanking), bit 3 vertical retrace. Reading it resets the attribute
//                controller's index/data flip-flop.
//   0x3B4/0x3B5, 0x3BA  the same registers when Miscellaneous Output bit 0 (I/O address
//                select) is 0 (monochrome addressing); then the 0x3Dx ports do not decode,
//                and the other way round (unanswered ports read 0xFF, writes are dropped).
//   0x3C2 / 0x3CC  Miscellaneous Output (write / read); 0x3C2 reads Input Status 0 (0).
//   0x3C0/0x3C1  Attribute controller: 0x3C0 writes alternate index and data (the flip-flop),
//                0x3C0 reads the index, 0x3C1 reads the data; registers 0x00-0x14 are storage.
// Sequencer, graphics controller and DAC ports are not claimed. A word or dword access is
// split into byte accesses to consecutive ports, as on the ISA bus (`outw 0x3D4` writes
// the CRTC index and data at once); bytes that land on ports this device does not decode
// read 0xFF and are dropped.
//
// Retrace timing: the fixed timing of mode 03h (720x400 at 70 Hz, not the 60 Hz of the
// graphics modes): a 28.322 MHz dot clock, 900 dots a line of which 720 are displayed, 449
// lines a frame of which 400 are displayed, vertical retrace on lines 412-413 (CRTC 0x10 =
// 0x9C with overflow bit 8, ending when the line's low 4 bits equal CRTC 0x11's 0xE). The
// dot count is derived from the CPU cycle counter (platform::Clock), starting at line 0 at
// cycle 0, so the bits toggle the same way in every run. A guest that reprograms the CRTC
// timing registers changes nothing here.
//
// text() renders the 25 rows as UTF-8: each byte through code page 437 (the VGA's ROM font:
// 0x01-0x1F and 0x7F are the CP437 pictographs, 0x80-0xFE the accented letters, box drawing
// and symbols; 0x00 and 0xFF are blank glyphs and become spaces), trailing spaces trimmed,
// every row ending in '\n'. Attributes are not rendered.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "platform/clock.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

class VgaText final : public PortDevice {
 public:
  // Reads guest physical memory; false when the range is not all RAM (then the screen
  // renders blank).
  using MemoryReader = std::function<bool(uint64_t paddr, std::span<uint8_t> out)>;

  static constexpr uint64_t kTextBase = 0xB8000;
  static constexpr uint64_t kTextWindow = 0x8000;  // 32 KiB, B8000-BFFFF
  static constexpr unsigned kColumns = 80, kRows = 25;
  static constexpr unsigned kCrtcRegs = 0x19, kAttrRegs = 0x15;
  static constexpr uint64_t kDotHz = 28'322'000;
  static constexpr uint64_t kDotsPerLine = 900, kDisplayDots = 720;
  static constexpr uint64_t kLinesPerFrame = 449, kDisplayLines = 400;
  static constexpr uint64_t kRetraceFirstLine = 412, kRetraceEndLine = 414;  // [first, end)

  // Port ranges the machine maps to this device.
  struct PortRange {
    uint16_t first, count;
  };
  static constexpr PortRange kPortRanges[] = {
      {0x3B4, 2}, {0x3BA, 1}, {0x3C0, 3}, {0x3CC, 1}, {0x3D4, 2}, {0x3DA, 1}};

  VgaText(const Scheduler& sched, const Clock& clock, MemoryReader read_memory);

  const char* name() const override { return "vga_text"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  struct Cursor {
    unsigned row = 0, col = 0;
    bool visible = false;  // enabled (CRTC 0x0A bit 5 clear, start <= end) and on screen
  };
  // The 25 rows as described above.
  std::string text() const;
  Cursor cursor() const;
  uint16_t start_address() const { return uint16_t(s_.crtc[0x0C] << 8 | s_.crtc[0x0D]); }
  uint16_t cursor_location() const { return uint16_t(s_.crtc[0x0E] << 8 | s_.crtc[0x0F]); }
  uint8_t crtc(unsigned index) const { return index < kCrtcRegs ? s_.crtc[index] : 0xFF; }
  bool colour_addressing() const { return s_.misc & 0x01; }
  // Input Status 1 at `cycle` (without the flip-flop side effect).
  uint8_t input_status_1(uint64_t cycle) const;

 private:
  struct State {
    std::array<uint8_t, kCrtcRegs> crtc{};
    uint8_t crtc_index = 0;
    uint8_t misc = 0;
    std::array<uint8_t, kAttrRegs> attr{};
    uint8_t attr_index = 0;  // bits 4-0 index, bit 5 palette address source
    bool attr_data_next = false;  // the flip-flop: the next 0x3C0 write is data
  };

  uint8_t read_byte(uint16_t port);
  void write_byte(uint16_t port, uint8_t v);

  const Scheduler& sched_;
  const Clock& clock_;
  MemoryReader read_memory_;
  State s_;
};

}  // namespace platform
