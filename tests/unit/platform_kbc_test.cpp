// The 8042 keyboard controller and the keyboard behind it, through ports 0x60/0x64
// (IBM PC AT Technical Reference, keyboard controller section; IBM PS/2 Hardware
// Interface Technical Reference for the command byte and 0xA7-0xA9, 0xD2-0xD4), the
// keyboard command set, scancode sets 1 and 2, and, through the machine, the A20 gate
// (8042 output port bit 1, port 0x92 bit 1) and the reset line.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "platform/devices/debug_console.h"
#include "platform/devices/debug_exit.h"
#include "platform/devices/kbc8042.h"
#include "platform/devices/post_port.h"
#include "platform/devices/system_control_a.h"
#include "platform/keymap.h"
#include "platform/loaders/bios.h"
#include "platform/loaders/flat.h"
#include "platform/machine.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;

namespace {

struct IrqLog : IrqRouter {
  bool level[16] = {};
  std::vector<std::pair<unsigned, bool>> changes;
  void set_isa_irq(unsigned irq, bool l) override {
    level[irq] = l;
    changes.emplace_back(irq, l);
  }
};

struct Rig {
  uint64_t cycles = 0;
  Scheduler sched;
  Clock clock;  // 1 GHz: a keyboard byte takes 250000 cycles
  IrqLog irqs;
  std::vector<bool> a20;
  std::vector<std::string> resets;
  Kbc8042 k{sched, clock, IrqLine(&irqs, 1), IrqLine(&irqs, 12),
            Kbc8042::Callbacks{[this](bool on) { a20.push_back(on); },
                               [this](const std::string& why) { resets.push_back(why); }}};

  Rig() { sched.set_clock(&cycles); }
  uint8_t status() { return uint8_t(k.io_read(0x64, 1)); }
  uint8_t data() { return uint8_t(k.io_read(0x60, 1)); }
  void cmd(uint8_t v) { k.io_write(0x64, 1, v); }
  void put(uint8_t v) { k.io_write(0x60, 1, v); }
  void advance(uint64_t d) {
    const uint64_t end = cycles + d;
    while (sched.next_deadline() <= end) {
      cycles = std::max(cycles, sched.next_deadline());
      sched.run_due(cycles);
    }
    cycles = end;
  }
  // Reads every byte the controller produces within `limit` cycles, polling OBF as a
  // driver does.
  std::vector<uint8_t> drain(uint64_t limit = 10'000'000) {
    std::vector<uint8_t> got;
    const uint64_t end = cycles + limit;
    while (cycles < end) {
      if (status() & 0x01) {
        got.push_back(data());
        continue;
      }
      if (sched.next_deadline() > end) break;
      advance(sched.next_deadline() - cycles);
    }
    return got;
  }
};

using Bytes = std::vector<uint8_t>;
constexpr uint64_t kByte = Kbc8042::kTransferNs;  // cycles at 1 GHz

TEST(Kbc8042Test, PowerOnStatusCommandByteAndOutputPort) {
  Rig r;
  // Status: SYS (a BIOS ran) and INH (keyboard not inhibited); buffers empty.
  EXPECT_EQ(r.status(), 0x14);
  r.cmd(0x20);
  EXPECT_EQ(r.status(), 0x1D);  // OBF, and A2: the last write went to the command port
  EXPECT_EQ(r.data(), Kbc8042::kDefaultCommandByte);
  EXPECT_EQ(r.status(), 0x1C);
  r.cmd(0xD0);
  EXPECT_EQ(r.data(), 0xCF);  // A20 on, reset line high, OBF bits clear
  // Self test and interface tests.
  r.cmd(0xAA);
  EXPECT_EQ(r.data(), 0x55);
  r.cmd(0xAB);
  EXPECT_EQ(r.data(), 0x00);
  r.cmd(0xA9);
  EXPECT_EQ(r.data(), 0x00);
  // Read while empty: the last byte again, OBF stays clear.
  EXPECT_EQ(r.data(), 0x00);
  EXPECT_EQ(r.status() & 0x01, 0);
}

TEST(Kbc8042Test, CommandByteControlsIrq1AndSys) {
  Rig r;
  r.cmd(0x60);
  r.put(0x00);  // no interrupts, SYS clear, no translation
  EXPECT_EQ(r.status() & 0x04, 0);
  EXPECT_EQ(r.status() & 0x08, 0);  // A2 = 0 after a data write
  r.cmd(0x20);
  EXPECT_FALSE(r.irqs.level[1]);  // OBF with keyboard interrupts off
  EXPECT_EQ(r.data(), 0x00);
  r.cmd(0x60);
  r.put(0x05);  // IRQ 1 on, SYS
  EXPECT_EQ(r.status() & 0x04, 0x04);
  r.cmd(0xD2);  // "write keyboard output buffer": as if from the keyboard
  r.put(0x9C);
  EXPECT_TRUE(r.irqs.level[1]);
  EXPECT_EQ(r.data(), 0x9C);
  EXPECT_FALSE(r.irqs.level[1]);
  // Aux data: AUXB and IRQ 12 when command byte bit 1 allows.
  r.cmd(0xD3);
  r.put(0x08);
  EXPECT_EQ(r.status() & 0x21, 0x21);
  EXPECT_FALSE(r.irqs.level[12]);
  EXPECT_FALSE(r.irqs.level[1]);
  EXPECT_EQ(r.data(), 0x08);
  r.cmd(0x60);
  r.put(0x07);
  r.cmd(0xD3);
  r.put(0x09);
  EXPECT_TRUE(r.irqs.level[12]);
  r.data();
  EXPECT_FALSE(r.irqs.level[12]);
  // Internal RAM beyond the command byte.
  r.cmd(0x65);
  r.put(0x42);
  r.cmd(0x25);
  EXPECT_EQ(r.data(), 0x42);
  // A20 on/off and aux enable/disable are reflected.
  r.cmd(0xA7);
  r.cmd(0x20);
  EXPECT_EQ(r.data() & 0x20, 0x20);
  r.cmd(0xA8);
  r.cmd(0x20);
  EXPECT_EQ(r.data() & 0x20, 0x00);
}

TEST(Kbc8042Test, OutputPortDrivesA20AndReset) {
  Rig r;
  r.cmd(0xDD);
  EXPECT_FALSE(r.k.a20());
  r.cmd(0xDF);
  EXPECT_TRUE(r.k.a20());
  EXPECT_EQ(r.a20, (std::vector<bool>{false, true}));
  r.cmd(0xD1);
  r.put(0xCD);  // A20 off through the output port
  EXPECT_FALSE(r.k.a20());
  r.cmd(0xD0);
  EXPECT_EQ(r.data(), 0xCD);
  EXPECT_TRUE(r.resets.empty());
  // Output port bit 0 low is the CPU reset line.
  r.cmd(0xD1);
  r.put(0xCE);
  ASSERT_EQ(r.resets.size(), 1u);
  // 0xF0-0xFF pulse the output port bits whose command bit is 0: bit 0 resets.
  r.cmd(0xFF);
  r.cmd(0xFD);
  EXPECT_EQ(r.resets.size(), 1u);
  r.cmd(0xFE);
  r.cmd(0xF0);
  ASSERT_EQ(r.resets.size(), 3u);
  EXPECT_NE(r.resets[1].find("0xfe"), std::string::npos) << r.resets[1];
}

TEST(Kbc8042Test, KeyboardCommands) {
  Rig r;
  r.cmd(0x60);
  r.put(0x45);
  // Reset: ACK, then BAT passed; each byte takes its transfer time.
  r.put(0xFF);
  EXPECT_EQ(r.status() & 0x01, 0);
  r.advance(kByte - 1);
  EXPECT_EQ(r.status() & 0x01, 0);
  r.advance(1);
  EXPECT_TRUE(r.irqs.level[1]);
  EXPECT_EQ(r.data(), 0xFA);
  EXPECT_EQ(r.drain(), (Bytes{0xAA}));
  // Identify: an MF-II keyboard, 0xAB 0x83, which the translating 8042 turns into 0x41.
  r.put(0xF2);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xAB, 0x41}));
  r.cmd(0x60);
  r.put(0x05);  // translation off
  r.put(0xF2);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xAB, 0x83}));
  // LEDs with their argument.
  r.put(0xED);
  r.put(0x07);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xFA}));
  EXPECT_EQ(r.k.leds(), 7u);
  // Scancode set: report, select 1, report.
  r.put(0xF0);
  r.put(0x00);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xFA, 0x02}));
  r.put(0xF0);
  r.put(0x01);
  r.put(0xF0);
  r.put(0x00);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0x01}));
  // Echo, enable, disable, typematic, set-3 commands, an unknown byte, resend.
  r.put(0xEE);
  r.put(0xF5);
  r.put(0xF4);
  r.put(0xF3);
  r.put(0x20);
  r.put(0xFA);
  r.put(0x01);
  EXPECT_EQ(r.drain(), (Bytes{0xEE, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFE}));
  r.put(0xFE);
  EXPECT_EQ(r.drain(), (Bytes{0xFE}));
  // A command in place of an argument is a command.
  r.put(0xED);
  r.put(0xF2);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0xFA, 0xAB, 0x83}));
}

TEST(Kbc8042Test, KeysInSet1AndSet2) {
  Rig r;
  std::vector<uint8_t> codes;
  ASSERT_TRUE(type_ascii('A', codes));
  for (uint8_t c : codes) r.k.host_key(c);
  // Translation on (the default): set 1 as given, a byte every transfer time.
  r.advance(4 * kByte);
  EXPECT_EQ(r.data(), 0x2A);  // only one in the buffer at a time
  EXPECT_EQ(r.drain(), (Bytes{0x1E, 0x9E, 0xAA}));
  // Translation off, keyboard in set 2: break codes are F0 + make.
  r.cmd(0x60);
  r.put(0x01);
  r.k.host_key(0x1E);
  r.k.host_key(0x9E);
  r.k.host_key(0xE0);
  r.k.host_key(0x48);  // cursor up
  EXPECT_EQ(r.drain(), (Bytes{0x1C, 0xF0, 0x1C, 0xE0, 0x75}));
  // The keyboard interface disabled (0xAD): keys wait; 0xAE lets them through.
  r.cmd(0x60);
  r.put(0x45);
  r.cmd(0xAD);
  r.k.host_key(0x10);
  EXPECT_TRUE(r.drain().empty());
  EXPECT_EQ(r.k.keys_pending(), 1u);
  r.cmd(0xAE);
  EXPECT_EQ(r.drain(), (Bytes{0x10}));
  // Scanning disabled (0xF5): keys wait in the keyboard until 0xF4.
  r.put(0xF5);
  EXPECT_EQ(r.drain(), (Bytes{0xFA}));
  r.k.host_key(0x11);
  EXPECT_TRUE(r.drain().empty());
  r.put(0xF4);
  EXPECT_EQ(r.drain(), (Bytes{0xFA, 0x11}));
  // Controller results go ahead of keyboard bytes.
  r.k.host_key(0x12);
  r.cmd(0x20);
  EXPECT_EQ(r.drain(), (Bytes{0x45, 0x12}));
  // Two results back to back: IRQ 1 drops when the first is read and rises for the second
  // (a new edge), as OBF does.
  r.cmd(0xD2);
  r.put(0x01);
  r.cmd(0xD2);
  r.put(0x02);
  r.irqs.changes.clear();
  EXPECT_EQ(r.data(), 0x01);
  EXPECT_EQ(r.irqs.changes, (std::vector<std::pair<unsigned, bool>>{{1, false}, {1, true}}));
  EXPECT_EQ(r.data(), 0x02);
}

TEST(Kbc8042Test, SaveLoadRoundTrip) {
  Rig a;
  a.cmd(0x60);
  a.put(0x47);
  a.put(0xF2);
  a.k.host_key(0x1E);
  a.cmd(0xD1);  // pending data byte
  StateWriter w;
  a.k.save(w);
  Rig b;
  StateReader rd(w.data());
  b.k.load(rd);
  EXPECT_TRUE(rd.at_end());
  EXPECT_EQ(b.k.dump(), a.k.dump());
  a.put(0xCF);
  b.put(0xCF);
  EXPECT_EQ(b.drain(), a.drain());
  ASSERT_GT(w.data().size(), 3u);
  const std::vector<uint8_t> bad(w.data().begin(), w.data().end() - 3);  // truncated
  Rig c;
  StateReader rb(bad);
  EXPECT_THROW(c.k.load(rb), StateError);
}

TEST(Keymap, AsciiToSet1AndSet1ToSet2) {
  auto typed = [](char c) {
    std::vector<uint8_t> v;
    EXPECT_TRUE(type_ascii(c, v)) << c;
    return v;
  };
  EXPECT_EQ(typed('a'), (Bytes{0x1E, 0x9E}));
  EXPECT_EQ(typed('A'), (Bytes{0x2A, 0x1E, 0x9E, 0xAA}));
  EXPECT_EQ(typed('\n'), (Bytes{0x1C, 0x9C}));
  EXPECT_EQ(typed(' '), (Bytes{0x39, 0xB9}));
  EXPECT_EQ(typed('1'), (Bytes{0x02, 0x82}));
  EXPECT_EQ(typed('~'), (Bytes{0x2A, 0x29, 0xA9, 0xAA}));
  EXPECT_EQ(typed('|'), (Bytes{0x2A, 0x2B, 0xAB, 0xAA}));
  EXPECT_EQ(typed('/'), (Bytes{0x35, 0xB5}));
  std::vector<uint8_t> none;
  EXPECT_FALSE(type_ascii('\x01', none));
  EXPECT_FALSE(type_ascii(char(0xE9), none));
  EXPECT_TRUE(none.empty());
  std::vector<uint8_t> s2;
  EXPECT_TRUE(set1_to_set2(0x1E, s2));  // A
  EXPECT_TRUE(set1_to_set2(0x9E, s2));
  EXPECT_TRUE(set1_to_set2(0x41, s2));  // F7: set 2 0x83
  EXPECT_TRUE(set1_to_set2(0x01, s2));  // Esc
  EXPECT_FALSE(set1_to_set2(0x55, s2));
  EXPECT_EQ(s2, (Bytes{0x1C, 0xF0, 0x1C, 0x83, 0x76}));
}

// ---- through the machine: A20 and reset ----

// Real-mode program at 0x7C00 (DS = 0, ES = 0xFFFF: ES:0x10 is physical 0x100000).
const ptest::Bytes kA20Program = {
    0xB8, 0xFF, 0xFF,                    // mov ax, 0xffff
    0x8E, 0xC0,                          // mov es, ax
    0x31, 0xC0,                          // xor ax, ax
    0x8E, 0xD8,                          // mov ds, ax
    0x26, 0xC6, 0x06, 0x10, 0x00, 'A',   // mov byte [es:0x10], 'A'   (A20 on: 0x100000)
    0xC6, 0x06, 0x00, 0x00, 'Z',         // mov byte [0], 'Z'
    0x26, 0xA0, 0x10, 0x00, 0xE6, 0xE9,  // mov al, [es:0x10] ; out 0xe9, al   -> A
    0xB0, 0xDD, 0xE6, 0x64,              // 8042: A20 off
    0x26, 0xA0, 0x10, 0x00, 0xE6, 0xE9,  // -> Z (wraps to 0)
    0x26, 0xC6, 0x06, 0x10, 0x00, 'Y',   // mov byte [es:0x10], 'Y'   (writes 0)
    0xA0, 0x00, 0x00, 0xE6, 0xE9,        // mov al, [0] ; out 0xe9  -> Y
    0xB0, 0x02, 0xE6, 0x92,              // port 0x92 bit 1: A20 on again (ORed)
    0x26, 0xA0, 0x10, 0x00, 0xE6, 0xE9,  // -> A
    0xB0, 0x00, 0xE6, 0xF4,              // exit
};

TEST(MachineA20, GateMasksAddressBit20AndFlushesTranslations) {
  ptest::CapturedMachine cm;
  EXPECT_TRUE(cm.m.a20_enabled());  // as a BIOS leaves it
  Image img;
  img.name = "a20.bin";
  img.bytes = kA20Program;
  load_flat(cm.m, img, 0x7C00, FlatMode::Real);
  const RunOutcome r = cm.m.run({.max_instructions = 1000});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(cm.out, "AZYA");
  EXPECT_TRUE(cm.m.a20_enabled());
  // The two sources are ORed: the gate is off only when both are.
  cm.m.io_write(0x64, 1, 0xDF);
  cm.m.io_write(0x92, 1, 0x00);
  EXPECT_TRUE(cm.m.a20_enabled());  // the 8042 still enables it
  cm.m.io_write(0x64, 1, 0xDD);
  EXPECT_FALSE(cm.m.a20_enabled());
  uint8_t b = 0;
  cm.m.cpu().phys_read(0x100000, &b, 1);
  EXPECT_EQ(b, 'Y');  // physical 0
  cm.m.io_write(0x92, 1, 0x02);
  EXPECT_TRUE(cm.m.a20_enabled());
  cm.m.cpu().phys_read(0x100000, &b, 1);
  EXPECT_EQ(b, 'A');
}

TEST(MachineA20, CodeWrittenThroughTheAliasIsNotStale) {
  // With A20 off, code at 0:0x600 is patched through FFFF:0x610 and then run: the patched
  // bytes must run, not the decoded originals.
  ptest::CapturedMachine cm;
  const ptest::Bytes sub = {0xB0, 'o', 0xE6, 0xE9, 0xC3};  // at 0x600: mov al,'o'; out; ret
  ASSERT_TRUE(cm.m.load_ram(0x600, sub));
  const ptest::Bytes prog = {
      0xB0, 0xDD, 0xE6, 0x64,                    // A20 off
      0xB8, 0xFF, 0xFF, 0x8E, 0xC0,              // es = 0xffff
      0xE8, 0x00, 0x00,                          // call 0x600 (patched below)
      0x26, 0xC6, 0x06, 0x11, 0x06, 'n',         // mov byte [es:0x611], 'n' -> 0x601
      0xE8, 0x00, 0x00,                          // call 0x600 again
      0xB0, 0x00, 0xE6, 0xF4,                    // exit
  };
  ptest::Bytes p = prog;
  // call rel16 targets: 0x600 - (0x7C00 + end of the call).
  const auto rel = [](unsigned call_end) { return uint16_t(0x600 - (0x7C00 + call_end)); };
  p[10] = uint8_t(rel(12));
  p[11] = uint8_t(rel(12) >> 8);
  p[19] = uint8_t(rel(21));
  p[20] = uint8_t(rel(21) >> 8);
  Image img;
  img.name = "alias.bin";
  img.bytes = p;
  load_flat(cm.m, img, 0x7C00, FlatMode::Real);
  cm.m.cpu().state().gpr[cpu::RSP] = 0x7000;
  const RunOutcome r = cm.m.run({.max_instructions = 1000});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(cm.out, "on");
}

TEST(MachineReset, Without8042FirmwareTheRunStopsWithReset) {
  for (const ptest::Bytes& prog : {ptest::Bytes{0xB0, 'x', 0xE6, 0xE9, 0xB0, 0xFE, 0xE6, 0x64, 0xEB, 0xFE},
                                   ptest::Bytes{0xB0, 'x', 0xE6, 0xE9, 0xB0, 0x01, 0xE6, 0x92, 0xEB, 0xFE}}) {
    ptest::CapturedMachine cm;
    Image img;
    img.name = "reset.bin";
    img.bytes = prog;
    load_flat(cm.m, img, 0x7C00, FlatMode::Real);
    const RunOutcome r = cm.m.run({.max_instructions = 1000});
    EXPECT_EQ(r.kind, StopKind::Reset) << r.detail;
    EXPECT_NE(r.detail.find("reset the machine"), std::string::npos) << r.detail;
    EXPECT_EQ(cm.out, "x");
    // The machine did reset: the CPU is at the reset vector.
    EXPECT_EQ(cm.m.cpu().state().seg[cpu::CS].selector, 0xF000);
    EXPECT_EQ(cm.m.cpu().state().rip, 0xFFF0u);
  }
}

TEST(MachineReset, WithFirmwareTheMachineResetsAndContinues) {
  // A 4 KiB ROM: prints 'R', counts boots in RAM at 0x500, resets through the 8042 until
  // the count reaches 2, then exits with 7. RAM survives the reset; the CPU restarts at
  // F000:FFF0.
  ptest::Bytes rom(4096, 0xFF);
  const ptest::Bytes code = {
      0xB0, 'R', 0xE6, 0xE9,              // mov al,'R' ; out 0xe9, al
      0x31, 0xC0, 0x8E, 0xD8,              // xor ax, ax ; mov ds, ax
      0xFE, 0x06, 0x00, 0x05,              // inc byte [0x500]
      0x80, 0x3E, 0x00, 0x05, 0x02,        // cmp byte [0x500], 2
      0x73, 0x06,                          // jae exit
      0xB0, 0xFE, 0xE6, 0x64,              // 8042: pulse reset
      0xEB, 0xFE,                          // jmp $ (never reached)
      0xB0, 0x07, 0xE6, 0xF4,              // exit: out 0xf4, 7
  };
  std::copy(code.begin(), code.end(), rom.begin());
  const ptest::Bytes vec = {0xEA, 0x00, 0xF0, 0x00, 0xF0};  // jmp far F000:F000
  std::copy(vec.begin(), vec.end(), rom.begin() + 0xFF0);
  ptest::CapturedMachine cm;
  Image img;
  img.name = "rom.bin";
  img.bytes = rom;
  load_bios(cm.m, img);
  const RunOutcome r = cm.m.run({.max_instructions = 1000});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(cm.out, "RR");
  EXPECT_EQ(*cm.m.exit_status(), 15u);
}

TEST(MachineKeyboard, InputQueueKeysReachPort60) {
  ptest::CapturedMachine cm;
  Machine& m = cm.m;
  m.input().push({500, InputChannel::Keyboard, 0x1E});
  m.input().push({500, InputChannel::Keyboard, 0x9E});
  uint64_t& now = m.cpu().state().cycles;
  auto run_to = [&](uint64_t c) {
    while (m.scheduler().next_deadline() <= c) {
      now = std::max(now, m.scheduler().next_deadline());
      m.scheduler().run_due(now);
    }
    now = c;
  };
  uint32_t v = 0;
  run_to(500 + kByte - 1);
  m.io_read(0x64, 1, v);
  EXPECT_EQ(v & 1, 0u);
  run_to(500 + kByte);
  m.io_read(0x64, 1, v);
  EXPECT_EQ(v & 1, 1u);
  m.io_read(0x60, 1, v);
  EXPECT_EQ(v, 0x1Eu);
  run_to(500 + 2 * kByte);
  m.io_read(0x60, 1, v);
  EXPECT_EQ(v, 0x9Eu);
}

TEST(SystemControlPortA, StoresBitsAndPulsesResetOnRisingBit0) {
  std::vector<bool> a20;
  int resets = 0;
  SystemControlA p(SystemControlA::Callbacks{[&](bool on) { a20.push_back(on); },
                                             [&](const std::string&) { ++resets; }});
  EXPECT_EQ(p.io_read(0x92, 1), 0u);
  p.io_write(0x92, 1, 0x02);
  EXPECT_TRUE(p.a20());
  p.io_write(0x92, 1, 0x03);
  EXPECT_EQ(resets, 1);
  p.io_write(0x92, 1, 0x03);  // bit 0 already 1: no new pulse
  EXPECT_EQ(resets, 1);
  EXPECT_EQ(p.io_read(0x92, 1), 0x03u);
  p.io_write(0x92, 1, 0x00);
  EXPECT_EQ(a20, (std::vector<bool>{true, false}));
  StateWriter w;
  p.io_write(0x92, 1, 0x42);
  p.save(w);
  SystemControlA q({});
  StateReader r(w.data());
  q.load(r);
  EXPECT_EQ(q.value(), 0x42);
}

// Guest input is untrusted: any sequence of accesses to the UART, the 8042 and port 0x92,
// with time passing, leaves the devices consistent and their queues bounded.
TEST(MachineDevices, RandomPortAccessesStayBounded) {
  ptest::CapturedMachine cm;
  Machine& m = cm.m;
  std::mt19937 rng(12345);
  const uint16_t ports[] = {0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x3FE, 0x3FF, 0x60, 0x64, 0x92};
  uint64_t& now = m.cpu().state().cycles;
  for (int k = 0; k < 200000; ++k) {
    const uint32_t r = rng();
    const uint16_t port = ports[r % std::size(ports)];
    const uint8_t v = uint8_t(r >> 8);
    uint32_t got = 0;
    if (r & 0x10000) {
      m.io_write(port, 1, v);
    } else {
      m.io_read(port, 1, got);
    }
    if ((r >> 17) % 64 == 0) m.input().push({now, (r & 0x40000) ? InputChannel::Keyboard : InputChannel::Serial, v});
    now += (r >> 20) % 4096;
    m.scheduler().run_due(now);
  }
  const std::string d = m.dump();
  auto value = [&d](const std::string& key) {
    const size_t p = d.find("\n" + key + "=");
    EXPECT_NE(p, std::string::npos) << key;
    return p == std::string::npos ? 0ul : std::stoul(d.substr(p + key.size() + 2));
  };
  EXPECT_LE(value("results_pending"), 16u);
  EXPECT_LE(value("kb_replies"), 16u);
  EXPECT_LE(value("rx_pending"), 16u);
}

// The small devices save and load their state too (and refuse inconsistent state).
TEST(SmallDevices, SaveLoadRoundTrips) {
  DebugConsole c1(nullptr), c2(nullptr);
  c1.io_write(0xE9, 1, 'x');
  c1.io_write(0xE9, 1, 'y');
  DebugExit e1(nullptr), e2(nullptr), e3(nullptr);
  e1.io_write(0xF4, 1, 0x21);
  PostPort p1(0x80, nullptr), p2(0x80, nullptr), p3(0x80, nullptr);
  p1.io_write(0x80, 1, 0x42);
  StateWriter w;
  c1.save(w);
  e1.save(w);
  e3.save(w);  // never written
  p1.save(w);
  p3.save(w);
  StateReader r(w.data());
  c2.load(r);
  e2.load(r);
  EXPECT_EQ(e2.dump(), e1.dump());
  e2.load(r);
  EXPECT_FALSE(e2.value().has_value());
  p2.load(r);
  EXPECT_EQ(p2.dump(), p1.dump());
  p2.load(r);
  EXPECT_FALSE(p2.last().has_value());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(c2.dump(), c1.dump());
  // A POST port that claims a value but no writes is refused.
  StateWriter bad;
  bad.section("post-port");
  bad.boolean(true);
  bad.u32(5);
  bad.u64(0);
  StateReader rb(bad.data());
  EXPECT_THROW(p3.load(rb), StateError);
}

}  // namespace
