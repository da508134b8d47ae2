// The pcprobe guest kernel (tests/guests/pcprobe.S) on the whole machine through
// `ringside run`: it reads the CMOS RTC (MC146818A, waiting for UIP = 0), waits for a VGA
// vertical retrace, writes the text screen and the CRTC cursor, and scans PCI bus 0 with
// configuration mechanism #1. The test checks its COM1 output, the screen that --screen
// prints after it, the cursor line on stderr and the exit status; and the CLI's
// validation of --rtc-start.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct ProbeRun {
  int status = -1;
  std::string out;  // guest output, then the screen with --screen
  std::string err;
};

ProbeRun run_probe(std::vector<std::string> args) {
  ProbeRun r;
  std::ostringstream err, help;
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  return r;
}

// 25 screen rows: the given ones, then empty rows.
std::string screen(std::vector<std::string> rows) {
  rows.resize(25);
  std::string s;
  for (const std::string& row : rows) s += row + "\n";
  return s;
}

TEST(GuestPcprobe, ReadsTheRtcDrawsTheScreenAndFindsTheHostBridge) {
  const ProbeRun r = run_probe({kGuests + "/pcprobe.elf", "--rtc-start", "2026-11-25T12:00:00", "--screen"});
  const std::string serial =
      "pcprobe: start\n"
      "pcprobe: rtc 2026-11-25 12:00:00 weekday 4\n"  // a Wednesday (1 = Sunday)
      "pcprobe: vga retrace seen\n"
      "pcprobe: pci 00:00.0 8086:1237 class 060000\n"  // the 440FX host bridge, alone
      "pcprobe: done\n";
  EXPECT_EQ(r.out, serial + screen({"pcprobe: hello from the VGA text buffer", "", "rtc 2026-11-25 12:00:00"}))
      << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  EXPECT_NE(r.err.find("ringside: screen cursor at row 2 column 23\n"), std::string::npos) << r.err;
}

TEST(GuestPcprobe, DefaultStartTimeAndNoScreenWithoutTheOption) {
  const ProbeRun r = run_probe({kGuests + "/pcprobe.elf"});
  EXPECT_NE(r.out.find("pcprobe: rtc 2000-01-01 00:00:00 weekday 7\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hello from the VGA"), std::string::npos);  // no screen printed
  EXPECT_EQ(r.err.find("screen cursor"), std::string::npos);
  EXPECT_EQ(r.status, 33) << r.err;
}

// The RTC, VGA and PCI state is part of the state hash, and derived from cycles only: two
// runs end in the same state.
TEST(GuestPcprobe, TwoRunsEndInTheSameState) {
  auto hash = [](const ProbeRun& r) {
    const size_t p = r.err.find("state hash: ");
    return p == std::string::npos ? std::string("none") : r.err.substr(p, r.err.find('\n', p) - p);
  };
  const ProbeRun a = run_probe({kGuests + "/pcprobe.elf", "--rtc-start", "2026-11-25T12:00:00", "--dump-state"});
  const ProbeRun b = run_probe({kGuests + "/pcprobe.elf", "--rtc-start", "2026-11-25T12:00:00", "--dump-state"});
  EXPECT_NE(hash(a), "none") << a.err;
  EXPECT_EQ(hash(a), hash(b));
  EXPECT_NE(a.err.find("[mc146818]\n"), std::string::npos);
  EXPECT_NE(a.err.find("[vga_text]\n"), std::string::npos);
  EXPECT_NE(a.err.find("[pci_host]\n"), std::string::npos);
  // The guest left the cursor at cell 183 (row 2, column 23): CRTC 0x0E/0x0F = 00 b7.
  EXPECT_NE(a.err.find("crtc=5f4f50825581bf1f004f0d0e000000b7"), std::string::npos) << a.err;
}

TEST(GuestPcprobe, MalformedRtcStartIsAUsageError) {
  for (const char* bad : {"2026-11-25", "2026-02-30T00:00:00", "tomorrow", "2100-01-01T00:00:00"}) {
    const ProbeRun r = run_probe({kGuests + "/pcprobe.elf", "--rtc-start", bad});
    EXPECT_EQ(r.status, 2) << bad;
    EXPECT_NE(r.err.find("--rtc-start: '" + std::string(bad) + "' is not a date and time"), std::string::npos)
        << r.err;
  }
}

}  // namespace
