// The acceptance test of the PC platform (issue 4): tests/guests/xv6ish, a C kernel whose
// device code follows xv6-x86's (mp.c, lapic.c, ioapic.c, picirq.c, uart.c, kbd.c, ide.c,
// console.c), booted the way xv6 boots: `ringside run --boot xv6ish.img` runs its boot
// sector, which enables A20 through the 8042, enters protected mode and loads the kernel
// ELF from disk 0 by PIO; the kernel finds the MP tables, programs the local APIC timer,
// masks the 8259As, routes IRQ 1, 4 and 14 through the IO APIC, reads and writes disk 1
// by interrupt-driven IDE, and echoes COM1 and keyboard input from an --input script to
// COM1 and the CGA screen until the line "halt".
//
// Checked: the COM1 output, the screen (--screen), the exit status, the interrupts in the
// trace (LAPIC timer 32, keyboard 33, COM1 36, IDE 46: xv6's T_IRQ0 + IRQ numbers) and
// determinism (two runs: byte-identical traces, interrupts at the same instruction counts).
//
// The same image on QEMU 7.2 (SeaBIOS builds its own MP tables; its IO APIC has ID 0):
//   (sleep 2; printf 'hi there\r'; sleep 0.5; printf 'halt\r'; sleep 3) |
//   qemu-system-i386 -drive file=xv6ish.img,format=raw,index=0,snapshot=on
//     -drive file=d1.img,format=raw,index=1,snapshot=on -serial stdio -display none
//     -monitor none -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
//     -rtc base=2026-11-25T12:00:00          (one command line)
// prints the same boot, RTC, IDE (same checksum, "11 interrupts") and echo lines, with
// "ioapic 0" instead of 1 and more ticks (host time), and exits with status 33. Without the
// machine's default of no OUT2 gate on COM1's IRQ (uart16550.h), xv6's uartinit, which
// writes MCR = 0, would get no serial interrupt on Ringside: QEMU does not gate either.
// Bochs 2.7 (its BIOS's MP tables, the same two disks) boots it to the prompt too, but its
// COM1 output loses characters: Bochs times the transmitter at 9600 baud and xv6's
// uartputc gives up waiting for THRE after 128 polls (its microdelay is empty); Ringside's
// transmitter is instant (uart16550.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct Xv6Run {
  int status = -1;
  std::string out, err, trace;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Xv6Run run_xv6(std::vector<std::string> extra, const ptest::TempDir& dir, const std::string& trace_name) {
  Xv6Run r;
  std::vector<std::string> args = {"--boot", kGuests + "/xv6ish.img", "--rtc-start", "2026-11-25T12:00:00",
                                   "--screen", "--max-instructions", "20000000", "--trace", dir.file(trace_name)};
  args.insert(args.end(), extra.begin(), extra.end());
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  std::ostringstream err, help;
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  r.trace = slurp(dir.file(trace_name));
  return r;
}

// The data disk (xv6's fs.img is disk 1): 64 sectors, byte i of sector s is
// (13 s + 7 i) & 0xFF, sector 0 starts with a NUL-terminated line the kernel prints.
ptest::Bytes data_disk() {
  ptest::Bytes b(64 * 512);
  for (size_t s = 0; s < 64; ++s)
    for (size_t i = 0; i < 512; ++i) b[s * 512 + i] = uint8_t(s * 13 + i * 7);
  const std::string hello = "hello from disk 1 sector 0";
  std::copy(hello.begin(), hello.end(), b.begin());
  b[hello.size()] = 0;
  return b;
}

// The kernel's checksum: the 32-bit sum of the dwords of sectors 0-7, in %x.
std::string checksum(const ptest::Bytes& img) {
  uint32_t sum = 0;
  for (size_t i = 0; i < 8 * 512; i += 4) sum += ptest::get32(img, i);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", sum);
  return buf;
}

// Serial bytes at 9600 baud take ~1.04 ms each; keys 250 us a byte (make, break).
const std::string kScript =
    "# after the boot and the disk session (a few ms)\n"
    "at 20ms serial \"hi there\\r\"\n"
    "at 60ms key \"LS -l\\bL\\n\"\n"
    "at 350ms serial \"halt\\r\"\n";

std::string boot_lines(const std::string& sum) {
  return "cpu0: starting, 1 cpu(s), ioapic 1, lapic at fee00000\n"
         "rtc: 2026-11-25 12:0:0\n"
         "ide: disk 1 present, using disk 1\n"
         "ide: sector 0 says \"hello from disk 1 sector 0\"\n"
         "ide: checksum of sectors 0-7: " + sum + "\n"
         "ide: sector 5 written and read back: ok\n"
         "ide: 11 interrupts\n";
}

// 25 screen rows: the given ones, then empty rows.
std::string screen(const std::string& text) {
  std::string out = text;
  size_t rows = 0;
  for (char c : text) rows += c == '\n';
  for (; rows < 25; ++rows) out += "\n";
  return out;
}

struct Interrupt {
  unsigned vector;
  std::string instret;
};

std::string field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const size_t p = line.find(k);
  if (p == std::string::npos) return "";
  const size_t b = p + k.size();
  return line.substr(b, line.find_first_of(",}", b) - b);
}

std::vector<Interrupt> interrupts(const std::string& trace) {
  std::vector<Interrupt> out;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    if (field(line, "kind") != "\"interrupt\"") continue;
    EXPECT_EQ(field(line, "source"), "\"external\"") << line;
    out.push_back({unsigned(std::stoul(field(line, "vector"))), field(line, "instret")});
  }
  return out;
}

TEST(GuestXv6ish, BootsFromDiskAndRunsItsDevicesByInterrupt) {
  ptest::TempDir dir;
  const ptest::Bytes d1 = data_disk();
  const std::string d1_path = dir.write("d1.img", d1);
  const std::string script = dir.write("in.txt", ptest::Bytes(kScript.begin(), kScript.end()));
  const Xv6Run r = run_xv6({"--disk1", d1_path, "--input", script, "--dump-state"}, dir, "a.jsonl");
  // COM1 echoes each byte; "\r" becomes "\n"; Backspace erases with "\b \b" (consputc).
  const std::string session = boot_lines(checksum(d1)) +
                              "$ hi there\n"
                              "line: \"hi there\" (8 bytes)\n"
                              "$ LS -l\b \bL\n"
                              "line: \"LS -L\" (5 bytes)\n"
                              "$ halt\n";
  // Input bytes taken: 9 serial, 7 typed (Backspace is not one), 5 for "halt\r"; key
  // interrupts: one a scancode byte, 4 for a shifted letter (shift make, make, break,
  // shift break), 2 for the others.
  const std::string summary =
      "summary: ticks 3, keyboard irqs 22, com1 irqs 14, ide irqs 11, spurious 0\n"
      "summary: input bytes 21, disk bytes read 5120, checksum " + checksum(d1) + "\n";
  // The screen: the same text without uartinit's banner (COM1 only) and with the
  // backspace done in place; the cursor cell holds a blank.
  const std::string cga = boot_lines(checksum(d1)) +
                          "$ hi there\n"
                          "line: \"hi there\" (8 bytes)\n"
                          "$ LS -L\n"
                          "line: \"LS -L\" (5 bytes)\n"
                          "$ halt\n" +
                          "summary: ticks 3, keyboard irqs 22, com1 irqs 14, ide irqs 11, spurious 0\n"
                          "summary: input bytes 21, disk bytes read 5120, checksum " + checksum(d1) + "\n";
  EXPECT_EQ(r.out, "xv6ish...\n" + session + summary + screen(cga)) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  EXPECT_NE(r.err.find("screen cursor at row 14 column 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("disk1: 1 sectors in the overlay"), std::string::npos) << r.err;

  // The interrupts: IDE (46) during the disk session, then COM1 (36) and keyboard (33)
  // as the input arrives, the LAPIC timer (32) every 100 ms; nothing else (no spurious
  // 63, no 8259A vector: both are masked, LINT0 too).
  const std::vector<Interrupt> irqs = interrupts(r.trace);
  std::map<unsigned, unsigned> count;
  for (const Interrupt& i : irqs) count[i.vector]++;
  EXPECT_EQ(count.size(), 4u);
  EXPECT_EQ(count[32], 3u);
  EXPECT_EQ(count[33], 22u);
  EXPECT_EQ(count[36], 14u);
  EXPECT_EQ(count[46], 11u);
  ASSERT_GE(irqs.size(), 11u);
  for (size_t i = 0; i < 11; ++i) EXPECT_EQ(irqs[i].vector, 46u) << i;
  // The controllers as xv6 leaves them (--dump-state): the LAPIC enabled with spurious
  // vector 63, the timer periodic at 32 with divide 1 (TDCR 0xB), LINT0/LINT1 masked, TPR
  // 0; the IO APIC's pins 1, 4 and 14 unmasked, edge, active high, to APIC ID 0 at
  // vectors 33, 36 and 46, the other pins masked at 32 + pin; both 8259As masked.
  for (const char* line : {"\nsvr=0000013f\n", "\nlvt_timer=00020020\n", "\nlvt_lint0=00010000\n",
                           "\nlvt_lint1=00010000\n", "\nlvt_error=00000033\n", "\ntpr=00000000\n",
                           "\nredir0=0000000000010020\n", "\nredir1=0000000000000021\n",
                           "\nredir2=0000000000010022\n", "\nredir4=0000000000000024\n",
                           "\nredir14=000000000000002e\n", "\nredir23=0000000000010037\n",
                           "\nmaster.imr=ff\n", "\nslave.imr=ff\n"}) {
    EXPECT_NE(r.err.find(line), std::string::npos) << line << r.err;
  }

  // The boot sector entered protected mode once and the kernel took no exception.
  EXPECT_EQ(r.trace.find("\"kind\":\"exception\""), std::string::npos);
}

TEST(GuestXv6ish, SameScriptGivesIdenticalTracesAndInterruptTimes) {
  ptest::TempDir dir;
  const std::string d1 = dir.write("d1.img", data_disk());
  const std::string script = dir.write("in.txt", ptest::Bytes(kScript.begin(), kScript.end()));
  const Xv6Run a = run_xv6({"--disk1", d1, "--input", script}, dir, "a.jsonl");
  const Xv6Run b = run_xv6({"--disk1", d1, "--input", script}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.out, b.out);
  EXPECT_TRUE(a.trace == b.trace) << "the traces differ";
  const std::vector<Interrupt> ia = interrupts(a.trace), ib = interrupts(b.trace);
  ASSERT_EQ(ia.size(), ib.size());
  for (size_t i = 0; i < ia.size(); ++i) {
    EXPECT_EQ(ia[i].vector, ib[i].vector) << i;
    EXPECT_EQ(ia[i].instret, ib[i].instret) << i;
  }
}

TEST(GuestXv6ish, WithoutDisk1ItReadsItsOwnDisk) {
  // xv6's ideinit probes disk 1 through the status register: without --disk1 it reads 0.
  ptest::TempDir dir;
  const std::string halt = "at 10ms serial \"halt\\r\"\n";
  const std::string script = dir.write("in.txt", ptest::Bytes(halt.begin(), halt.end()));
  const Xv6Run r = run_xv6({"--input", script}, dir, "a.jsonl");
  const std::string img = slurp(kGuests + "/xv6ish.img");
  const std::string sum = checksum(ptest::Bytes(img.begin(), img.end()));
  EXPECT_NE(r.out.find("ide: disk 1 absent, using disk 0\n"
                       "ide: checksum of sectors 0-7: " + sum + "\n"
                       "ide: sector 5 written and read back: ok\n"
                       "ide: 11 interrupts\n"),
            std::string::npos)
      << r.out << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  EXPECT_NE(r.err.find("disk0: 1 sectors in the overlay"), std::string::npos) << r.err;
}

}  // namespace
