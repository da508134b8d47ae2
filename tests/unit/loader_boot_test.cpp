// Boot images (sector 0 at 0x7C00, the rest preloaded from 0x7E00 to 640 KiB or to the
// EBDA, DL by image size), firmware ROMs (reset vector F000:FFF0) and flat binaries (protected or real mode).
#include <gtest/gtest.h>

#include "platform/loaders/bios.h"
#include "platform/loaders/boot.h"
#include "platform/loaders/detect.h"
#include "platform/loaders/flat.h"
#include "platform/machine.h"
#include "platform/mp_table.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;
using namespace ptest;

namespace {

// A boot image of `size` bytes: sector n filled with byte n+1; sector 0 starts with
// `code` and ends with the 0x55 0xAA signature.
Bytes boot_image(size_t size, const Bytes& code = {0xF4}) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) b[i] = uint8_t(i / 512 + 1);
  put_bytes(b, 0, code);
  b[510] = 0x55;
  b[511] = 0xAA;
  return b;
}

TEST(BootImage, FloppyGoesTo7C00WithFollowingSectorsPreloaded) {
  TempDir dir;
  const Bytes img = boot_image(1474560);
  const std::string path = dir.write("floppy.img", img);
  Machine m;
  const LoadReport r = load_boot_image(m, read_image(path, kBootImageMaxBytes));
  EXPECT_EQ(r.entry, 0x7C00u);
  auto ram = m.ram();
  EXPECT_EQ(ram[0x7C00], 0xF4);
  EXPECT_EQ(ram[0x7C00 + 511], 0xAA);
  EXPECT_EQ(ram[0x7E00], 2);               // sector 1
  EXPECT_EQ(ram[0x7E00 + 512], 3);         // sector 2
  // The preload stops at the EBDA the machine placed for the MP tables (a BIOS keeps it):
  // the last preloaded byte is 0x9FBFF, and the MP floating pointer is still there.
  EXPECT_EQ(ram[0x9FBFF], uint8_t((0x9FBFF - 0x7E00) / 512 + 2));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&ram[kMpFloatingPointer]), 4), "_MP_");
  EXPECT_EQ(ram[0xA0000], 0);              // nothing past the line
  const cpu::State& s = m.cpu().state();
  EXPECT_EQ(m.cpu().mode(), cpu::Mode::Real);
  EXPECT_EQ(s.seg[cpu::CS].selector, 0);
  EXPECT_EQ(s.seg[cpu::CS].base, 0u);
  EXPECT_EQ(s.rip, 0x7C00u);
  EXPECT_EQ(s.seg[cpu::SS].selector, 0);
  EXPECT_EQ(uint16_t(s.gpr[cpu::RSP]), 0x7C00);
  EXPECT_EQ(uint8_t(s.gpr[cpu::RDX]), 0x00);  // first floppy
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("sectors fit below 0x9fc00") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(BootImage, WithoutMpTablesThePreloadGoesUpTo640KiB) {
  // With a --bios ROM (no firmware_setup) there is no EBDA to keep: up to 0xA0000.
  TempDir dir;
  MachineConfig cfg;
  cfg.firmware_setup = false;
  Machine m(cfg);
  const LoadReport r = load_boot_image(m, read_image(dir.write("hd.img", boot_image(4 * MiB)), kBootImageMaxBytes));
  auto ram = m.ram();
  EXPECT_EQ(ram[0x9FFFF], uint8_t((0x9FFFF - 0x7E00) / 512 + 2));  // last byte below 640 KiB
  EXPECT_EQ(ram[0xA0000], 0);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("sectors fit below 0xa0000") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(BootImage, LargerThanAFloppyIsTheFirstHardDisk) {
  TempDir dir;
  Machine m;
  load_boot_image(m, read_image(dir.write("disk.img", boot_image(2949120 + 512)), kBootImageMaxBytes));
  EXPECT_EQ(uint8_t(m.cpu().state().gpr[cpu::RDX]), 0x80);
  Machine m2;
  load_boot_image(m2, read_image(dir.write("288.img", boot_image(2949120)), kBootImageMaxBytes));
  EXPECT_EQ(uint8_t(m2.cpu().state().gpr[cpu::RDX]), 0x00);
  EXPECT_EQ(boot_drive_for_size(737280), 0x00);
  EXPECT_EQ(boot_drive_for_size(10 * MiB), 0x80);
}

TEST(BootImage, SmallImageAndMissingSignature) {
  Machine m;
  Bytes b = boot_image(1024);
  b[510] = 0;
  const LoadReport r = load_boot_image(m, make_image("x.img", b));
  EXPECT_EQ(m.ram()[0x7E00], 2);
  EXPECT_EQ(m.ram()[0x7E00 + 512], 0);
  bool noted = false;
  for (const auto& n : r.notes) noted |= n.find("boot signature") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(BootImage, ShorterThanASectorIsRefused) {
  Machine m;
  try {
    load_boot_image(m, make_image("tiny.img", Bytes(100)));
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("tiny.img: the image is 100 bytes"), std::string::npos) << e.what();
  }
}

TEST(BootImage, RunsInRealMode) {
  // mov al, dl ; add al, '0' ; out 0xE9, al ; mov al, 1 ; out 0xF4, al
  CapturedMachine cm;
  load_boot_image(cm.m, make_image("b.img", boot_image(1474560, {0x88, 0xD0, 0x04, '0', 0xE6, 0xE9,
                                                                  0xB0, 0x01, 0xE6, 0xF4})));
  const RunOutcome r = cm.m.run({.max_instructions = 100});
  EXPECT_EQ(r.kind, StopKind::ExitPort) << r.detail;
  EXPECT_EQ(cm.out, "0");
  EXPECT_EQ(*cm.m.exit_status(), 3u);
}

TEST(Bios, MappedAtTheTopAndStartedFromTheResetVector) {
  Bytes rom(64 * KiB, 0xFF);
  // At F000:FFF0: mov al, 0x77 ; out 0x80, al ; hlt
  put_bytes(rom, rom.size() - 16, {0xB0, 0x77, 0xE6, 0x80, 0xF4});
  TempDir dir;
  CapturedMachine cm;
  const LoadReport r = load_bios(cm.m, read_image(dir.write("bios.bin", rom)));
  EXPECT_EQ(r.entry, 0xFFFFFFF0u);
  const cpu::State& s = cm.m.cpu().state();
  EXPECT_EQ(s.seg[cpu::CS].selector, 0xF000);
  EXPECT_EQ(s.rip, 0xFFF0u);
  EXPECT_EQ(cm.m.mmio_read(0xFFFF0, 1), 0xB0u);
  EXPECT_EQ(cm.m.mmio_read(0xFFFFFFF0, 1), 0xB0u);
  const RunOutcome out = cm.m.run({.max_instructions = 100});
  EXPECT_EQ(out.kind, StopKind::HaltedForever) << out.detail;
  EXPECT_EQ(*cm.m.post().last(), 0x77u);
}

TEST(Bios, TooLargeOrEmptyIsAClearError) {
  TempDir dir;
  Machine m;
  try {
    load_bios(m, read_image(dir.write("big.rom", Bytes(256 * KiB + 16)), MachineConfig::kMaxRom + 1));
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 256 KiB"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_bios(m, make_image("empty.rom", {})), LoadError);
}

TEST(Flat, ProtectedModeAtTheLoadAddress) {
  TempDir dir;
  Machine m;
  const LoadReport r = load_flat(m, read_image(dir.write("p.bin", {0x90, 0xF4})), 0x200000, FlatMode::Protected);
  EXPECT_EQ(r.entry, 0x200000u);
  EXPECT_EQ(m.ram()[0x200001], 0xF4);
  EXPECT_EQ(m.cpu().mode(), cpu::Mode::Protected);
  EXPECT_EQ(m.cpu().state().rip, 0x200000u);
  EXPECT_EQ(m.cpu().state().seg[cpu::CS].selector, 0x08);
  EXPECT_EQ(m.run({.max_instructions = 10}).kind, StopKind::HaltedForever);
}

TEST(Flat, RealModeSegmentChoice) {
  Machine m;
  load_flat(m, make_image("r.bin", {0xF4}), 0x7C00, FlatMode::Real);
  EXPECT_EQ(m.cpu().mode(), cpu::Mode::Real);
  EXPECT_EQ(m.cpu().state().seg[cpu::CS].selector, 0);
  EXPECT_EQ(m.cpu().state().rip, 0x7C00u);
  load_flat(m, make_image("r.bin", {0xF4}), 0x12345, FlatMode::Real);
  const cpu::State& s = m.cpu().state();
  EXPECT_EQ(s.seg[cpu::CS].selector, 0x1000);
  EXPECT_EQ(s.seg[cpu::CS].base, 0x10000u);
  EXPECT_EQ(s.rip, 0x2345u);
  EXPECT_EQ(s.seg[cpu::DS].selector, 0x1000);
  EXPECT_EQ(s.seg[cpu::SS].selector, 0x1000);
  EXPECT_EQ(uint16_t(s.gpr[cpu::RSP]), 0x2345);
  EXPECT_EQ(m.run({.max_instructions = 10}).kind, StopKind::HaltedForever);
}

TEST(Flat, Errors) {
  Machine m(MachineConfig{.ram_bytes = 2 * MiB});
  EXPECT_THROW(load_flat(m, make_image("e.bin", {}), 0x1000, FlatMode::Protected), LoadError);
  EXPECT_THROW(load_flat(m, make_image("f.bin", Bytes(16)), 2 * MiB - 8, FlatMode::Protected), LoadError);
  EXPECT_THROW(load_flat(m, make_image("g.bin", Bytes(16)), 0xFFFF8, FlatMode::Real), LoadError);
  EXPECT_THROW(load_flat(m, make_image("h.bin", Bytes(16)), 1ull << 32, FlatMode::Protected), LoadError);
}

TEST(Detect, KindsByContent) {
  EXPECT_EQ(detect_image(make_image("a", {0x7F, 'E', 'L', 'F', 1})), ImageKind::Elf);
  EXPECT_EQ(detect_image(make_image("b", Bytes(600, 0x90))), ImageKind::Unknown);
  EXPECT_EQ(detect_image(make_image("c", multiboot_header(0))), ImageKind::Multiboot);
  EXPECT_EQ(detect_image(make_image("d", multiboot_header(0, nullptr, false))), ImageKind::Multiboot);
}

}  // namespace
