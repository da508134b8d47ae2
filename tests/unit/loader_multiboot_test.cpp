// Multiboot 1 loader (Multiboot Specification 0.6.96): header search (3.1.1), checksum and
// flags (3.1.2), address fields and ELF loading (3.1.3), machine state at entry (3.2) and
// the boot information structure (3.3), including modules, command line and memory map.
#include <gtest/gtest.h>

#include "platform/loaders/detect.h"
#include "platform/loaders/multiboot.h"
#include "platform/machine.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;
using namespace ptest;

namespace {

// An a.out-kludge kernel: header at file offset 0 loaded at 0x100000, code at +32
// (mov al, '!' ; out 0xE9, al ; hlt), bss to 0x101000.
Bytes aout_kernel(uint32_t load = 0x100000, uint32_t bss_end = 0x101000) {
  const MbAddr a{load, load, 0, bss_end, load + 32};
  Bytes k = multiboot_header(mbh::AOUT_KLUDGE | mbh::PAGE_ALIGN | mbh::MEMORY_INFO, &a);
  put_bytes(k, 32, {0xB0, '!', 0xE6, 0xE9, 0xF4});
  return k;
}

void expect_mb_error(const Bytes& kernel, const std::string& needle, MultibootOptions opts = {}) {
  TempDir dir;
  const std::string path = dir.write("kernel.bin", kernel);
  Machine m;
  try {
    load_multiboot(m, read_image(path), opts);
    FAIL() << "no error; expected one mentioning '" << needle << "'";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
}

TEST(Multiboot, AoutKernelWithModulesAndCmdline) {
  TempDir dir;
  Bytes mod_a(5000);
  for (size_t i = 0; i < mod_a.size(); ++i) mod_a[i] = uint8_t(i * 13 + 1);
  const Bytes mod_b = {'B', 'B', 'B'};
  const std::string pa = dir.write("mod-a.bin", mod_a);
  const std::string pb = dir.write("mod-b.bin", mod_b);
  const std::string pk = dir.write("kernel.bin", aout_kernel());

  CapturedMachine cm;
  Machine& m = cm.m;
  m.ram()[0x100F00] = 0x55;  // must be zeroed as bss
  MultibootOptions opts;
  opts.cmdline = "console=e9 quiet";
  opts.modules.push_back({read_image(pa), std::nullopt});
  opts.modules.push_back({read_image(pb), std::string("initrd root=/dev/ram")});
  const Image kimg = read_image(pk);
  ASSERT_EQ(detect_image(kimg), ImageKind::Multiboot);
  const LoadReport rep = load_multiboot(m, kimg, opts);
  EXPECT_EQ(rep.format, "multiboot");
  EXPECT_EQ(rep.entry, 0x100020u);

  // 3.2: machine state.
  const cpu::State& s = m.cpu().state();
  EXPECT_EQ(uint32_t(s.gpr[cpu::RAX]), 0x2BADB002u);
  const uint32_t info = uint32_t(s.gpr[cpu::RBX]);
  EXPECT_EQ(info, kMultibootInfoBase);
  EXPECT_EQ(s.rip, 0x100020u);
  EXPECT_EQ(m.cpu().mode(), cpu::Mode::Protected);
  EXPECT_EQ(s.cr0 & (cpu::cr0::PE | cpu::cr0::PG), cpu::cr0::PE);
  EXPECT_EQ(m.cpu().flags() & (cpu::flag::IF | cpu::flag::VM), 0u);
  for (unsigned sr : {cpu::CS, cpu::DS, cpu::ES, cpu::FS, cpu::GS, cpu::SS}) {
    EXPECT_EQ(s.seg[sr].base, 0u) << sr;
    EXPECT_EQ(s.seg[sr].limit, 0xFFFFFFFFu) << sr;
    EXPECT_TRUE(s.seg[sr].big()) << sr;
  }
  EXPECT_TRUE(s.seg[cpu::CS].code());
  EXPECT_TRUE(s.seg[cpu::DS].attr & cpu::ar::WRITABLE);

  // Kernel image and bss.
  auto ram = m.ram();
  EXPECT_EQ(get32(ram, 0x100000), 0x1BADB002u);
  EXPECT_EQ(ram[0x100020], 0xB0);
  EXPECT_EQ(ram[0x100F00], 0);

  // 3.3: boot information.
  const uint32_t flags = get32(ram, info + 0);
  EXPECT_EQ(flags, mbi::MEMORY | mbi::CMDLINE | mbi::MODS | mbi::MEM_MAP | mbi::BOOT_LOADER_NAME);
  EXPECT_EQ(get32(ram, info + 4), 639u);  // mem_lower: below the EBDA (mp_table.h)
  EXPECT_EQ(get32(ram, info + 8), (32u << 20) / 1024 - 1024);  // mem_upper
  EXPECT_EQ(get_cstr(ram, get32(ram, info + 16)), "console=e9 quiet");
  EXPECT_EQ(get_cstr(ram, get32(ram, info + 64)), "Ringside");

  ASSERT_EQ(get32(ram, info + 20), 2u);  // mods_count
  const uint32_t mods = get32(ram, info + 24);
  const uint32_t a_start = get32(ram, mods + 0), a_end = get32(ram, mods + 4);
  const uint32_t b_start = get32(ram, mods + 16), b_end = get32(ram, mods + 20);
  EXPECT_EQ(a_start, 0x101000u);  // first page after the kernel's bss
  EXPECT_EQ(a_end - a_start, 5000u);
  EXPECT_EQ(b_start % 4096, 0u);
  EXPECT_GE(b_start, a_end);
  EXPECT_EQ(b_end - b_start, 3u);
  EXPECT_EQ(get_cstr(ram, get32(ram, mods + 8)), "mod-a.bin");  // base name, not the host path
  EXPECT_EQ(get_cstr(ram, get32(ram, mods + 24)), "initrd root=/dev/ram");
  EXPECT_EQ(get32(ram, mods + 12), 0u);
  EXPECT_TRUE(std::equal(mod_a.begin(), mod_a.end(), ram.begin() + a_start));
  EXPECT_EQ(ram[b_start], 'B');

  // Memory map: base memory up to the EBDA, the EBDA reserved (type 2: it holds the MP
  // tables), and the RAM above 1 MiB.
  const uint32_t mmap_len = get32(ram, info + 44), mmap = get32(ram, info + 48);
  ASSERT_EQ(mmap_len, 72u);
  EXPECT_EQ(get32(ram, mmap + 0), 20u);
  EXPECT_EQ(get64(ram, mmap + 4), 0u);
  EXPECT_EQ(get64(ram, mmap + 12), 0x9FC00u);
  EXPECT_EQ(get32(ram, mmap + 20), 1u);
  EXPECT_EQ(get32(ram, mmap + 24), 20u);
  EXPECT_EQ(get64(ram, mmap + 28), 0x9FC00u);
  EXPECT_EQ(get64(ram, mmap + 36), 0x400u);
  EXPECT_EQ(get32(ram, mmap + 44), 2u);
  EXPECT_EQ(get32(ram, mmap + 48), 20u);
  EXPECT_EQ(get64(ram, mmap + 52), 0x100000u);
  EXPECT_EQ(get64(ram, mmap + 60), (32u << 20) - 0x100000u);
  EXPECT_EQ(get32(ram, mmap + 68), 1u);

  // And it runs.
  EXPECT_EQ(m.run({.max_instructions = 100}).kind, StopKind::HaltedForever);
  EXPECT_EQ(cm.out, "!");
}

TEST(Multiboot, ElfKernelLoadsByProgramHeaders) {
  ElfSpec spec;
  ElfSeg text;
  text.vaddr = text.paddr = 0x200000;
  text.data = multiboot_header(mbh::PAGE_ALIGN | mbh::MEMORY_INFO);
  put_bytes(text.data, 12, {0xF4});
  text.memsz = 0x3000;
  spec.segs = {text};
  spec.entry = 0x20000C;
  const Bytes elf = build_elf(spec);
  TempDir dir;
  Machine m(MachineConfig{.ram_bytes = 8 * MiB});
  const Image img = read_image(dir.write("k.elf", elf));
  EXPECT_EQ(detect_image(img), ImageKind::Multiboot);  // Multiboot wins over plain ELF
  const LoadReport rep = load_multiboot(m, img, {});
  EXPECT_EQ(rep.entry, 0x20000Cu);
  const cpu::State& s = m.cpu().state();
  EXPECT_EQ(uint32_t(s.gpr[cpu::RAX]), 0x2BADB002u);
  EXPECT_EQ(s.rip, 0x20000Cu);
  auto ram = m.ram();
  const uint32_t info = uint32_t(s.gpr[cpu::RBX]);
  EXPECT_EQ(get32(ram, info + 8), 7u * 1024);  // mem_upper for 8 MiB
  EXPECT_EQ(get32(ram, info + 20), 0u);        // no modules
  EXPECT_EQ(get_cstr(ram, get32(ram, info + 16)), "");  // empty command line
  EXPECT_EQ(m.run({.max_instructions = 10}).kind, StopKind::HaltedForever);
}

TEST(Multiboot, InfoMovesAboveModulesWhenTheKernelSitsLow) {
  TempDir dir;
  Machine m;
  load_multiboot(m, read_image(dir.write("low.bin", aout_kernel(0x10000, 0x12000))), {});
  const uint32_t info = uint32_t(m.cpu().state().gpr[cpu::RBX]);
  EXPECT_EQ(info, 0x12000u);  // the first page after the kernel
  EXPECT_EQ(get32(m.ram(), info + 4), 639u);
  EXPECT_EQ(get32(m.ram(), 0x10000), 0x1BADB002u);  // kernel intact
}

TEST(Multiboot, HeaderNotAtOffsetZeroIsFound) {
  Bytes k(0x1800, 0);
  const MbAddr a{0x100100, 0x100000, 0, 0, 0x100120};
  put_bytes(k, 0x100, multiboot_header(mbh::AOUT_KLUDGE, &a));
  put_bytes(k, 0x120, {0xF4});
  TempDir dir;
  Machine m;
  load_multiboot(m, read_image(dir.write("k.bin", k)), {});
  EXPECT_EQ(m.cpu().state().rip, 0x100120u);
  EXPECT_EQ(m.ram()[0x100120], 0xF4);
  EXPECT_EQ(get32(m.ram(), 0x100100), 0x1BADB002u);
}

TEST(Multiboot, BadChecksum) {
  Bytes k = aout_kernel();
  put32(k, 8, get32(k, 8) + 1);
  expect_mb_error(k, "bad checksum");
}

TEST(Multiboot, HeaderBeyond8KiB) {
  Bytes k(0x3000, 0);
  const MbAddr a{0x102400, 0x100000, 0, 0, 0x100000};
  put_bytes(k, 0x2400, multiboot_header(mbh::AOUT_KLUDGE, &a));
  TempDir dir;
  EXPECT_EQ(detect_image(read_image(dir.write("k.bin", k))), ImageKind::Multiboot);
  expect_mb_error(k, "beyond the first 8192 bytes");
}

TEST(Multiboot, HeaderRunningPast8KiB) {
  Bytes k(0x2100, 0);
  const MbAddr a{0x101FF0, 0x100000, 0, 0, 0x100000};
  put_bytes(k, 0x1FF0, multiboot_header(mbh::AOUT_KLUDGE, &a));  // 32 bytes from 0x1FF0
  expect_mb_error(k, "runs past the first 8192 bytes");
}

TEST(Multiboot, TruncatedHeader) {
  Bytes k = multiboot_header(mbh::AOUT_KLUDGE);
  put32(k, 12, 0x100000);  // only 16 of the 32 bytes
  expect_mb_error(k, "truncated");
}

TEST(Multiboot, NoHeader) {
  expect_mb_error(Bytes(5000, 0x90), "no Multiboot header");
  expect_mb_error(Bytes{}, "no Multiboot header");
}

TEST(Multiboot, VideoModeAndUnknownRequirementsAreRefused) {
  const MbAddr a{0x100000, 0x100000, 0, 0, 0x100000};
  Bytes k = multiboot_header(mbh::AOUT_KLUDGE | mbh::VIDEO_MODE, &a);
  k.resize(64);
  expect_mb_error(k, "video mode");
  k = multiboot_header(mbh::AOUT_KLUDGE | (1u << 5), &a);
  expect_mb_error(k, "requirement flags 0x20");
}

TEST(Multiboot, BadAddressFields) {
  MbAddr a{0x100000, 0x100010, 0, 0, 0x100010};  // header_addr < load_addr
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "below load_addr");
  a = {0x100040, 0x100000, 0, 0, 0x100040};  // text would start 0x40 before the file
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "larger than the header's file offset");
  a = {0x100000, 0x100000, 0x180000, 0, 0x100000};  // load_end past the file
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "load_end_addr");
  a = {0x100000, 0x100000, 0x100020, 0x100010, 0x100000};  // bss_end < load_end
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "bss_end_addr");
  a = {0x100000, 0x100000, 0, 0x101000, 0x200000};  // entry outside
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "entry_addr");
  a = {0x7F000000, 0x7F000000, 0, 0, 0x7F000000};  // outside RAM
  expect_mb_error(multiboot_header(mbh::AOUT_KLUDGE, &a), "outside RAM");
}

TEST(Multiboot, WithoutAddressFieldsTheKernelMustBeElf) {
  Bytes k = multiboot_header(mbh::PAGE_ALIGN);
  k.resize(100);
  expect_mb_error(k, "must be an ELF file");
}

TEST(Multiboot, ModuleThatDoesNotFitNamesTheModule) {
  TempDir dir;
  const std::string big = dir.write("huge.mod", Bytes(2 * MiB));
  Machine m(MachineConfig{.ram_bytes = 2 * MiB});
  MultibootOptions opts;
  opts.modules.push_back({read_image(big), std::nullopt});
  try {
    load_multiboot(m, make_image("kernel.bin", aout_kernel()), opts);
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_EQ(e.file(), big);
    EXPECT_NE(std::string(e.what()).find("does not fit in RAM"), std::string::npos) << e.what();
  }
}

TEST(Multiboot, EveryTruncationIsAnErrorNotACrash) {
  const Bytes full = aout_kernel(0x100000, 0);  // load_end 0: whole file
  for (size_t n = 0; n < 37; ++n) {
    Machine m;
    const Bytes cut(full.begin(), full.begin() + long(std::min(n, full.size())));
    try {
      load_multiboot(m, make_image("cut.bin", cut), {});
      EXPECT_GE(n, 33u) << "loaded a kernel cut to " << n << " bytes";  // entry byte present
    } catch (const LoadError&) {
      EXPECT_LT(n, 33u) << "refused a kernel of " << n << " bytes";
    }
  }
}

}  // namespace
