// ELF32 loader (TIS ELF 1.2): segments placed at p_paddr, bss zeroed, entry translated
// from virtual to physical, flat protected-mode entry; malformed files give a LoadError
// naming the file and the problem.
#include <gtest/gtest.h>

#include "platform/loaders/detect.h"
#include "platform/loaders/elf.h"
#include "platform/machine.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;
using namespace ptest;

namespace {

Bytes simple_elf() {
  ElfSpec spec;
  spec.entry = 0x100004;
  ElfSeg text;
  text.vaddr = text.paddr = 0x100000;
  text.data = {0x90, 0x90, 0x90, 0x90, 0xF4};
  ElfSeg data;
  data.vaddr = data.paddr = 0x102000;
  data.data = {0xAA, 0xBB};
  data.memsz = 0x100;  // bss follows
  spec.segs = {text, data};
  return build_elf(spec);
}

// Expects load_elf to throw a LoadError mentioning `needle` and the file name.
void expect_elf_error(const Bytes& bytes, const std::string& needle) {
  TempDir dir;
  const std::string path = dir.write("bad.elf", bytes);
  Machine m;
  try {
    load_elf(m, read_image(path));
    FAIL() << "no error; expected one mentioning '" << needle << "'";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(e.file(), path);
    EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
  }
}

TEST(ElfLoader, LoadsSegmentsZeroesBssAndEntersFlatProtectedMode) {
  TempDir dir;
  const std::string path = dir.write("k.elf", simple_elf());
  Machine m;
  m.ram()[0x102080] = 0x77;  // garbage where bss goes
  const Image img = read_image(path);
  EXPECT_EQ(detect_image(img), ImageKind::Elf);
  const LoadReport r = load_elf(m, img);
  EXPECT_EQ(r.format, "elf32");
  EXPECT_EQ(r.entry, 0x100004u);
  ASSERT_EQ(r.ranges.size(), 2u);
  EXPECT_EQ(m.ram()[0x100000], 0x90);
  EXPECT_EQ(m.ram()[0x100004], 0xF4);
  EXPECT_EQ(m.ram()[0x102000], 0xAA);
  EXPECT_EQ(m.ram()[0x102001], 0xBB);
  EXPECT_EQ(m.ram()[0x102080], 0);  // bss zeroed
  const cpu::State& s = m.cpu().state();
  EXPECT_EQ(m.cpu().mode(), cpu::Mode::Protected);
  EXPECT_EQ(s.rip, 0x100004u);
  EXPECT_EQ(s.seg[cpu::CS].selector, 0x08);
  EXPECT_EQ(s.seg[cpu::CS].base, 0u);
  EXPECT_EQ(s.seg[cpu::CS].limit, 0xFFFFFFFFu);
  EXPECT_TRUE(s.seg[cpu::CS].big());
  EXPECT_EQ(s.gpr[cpu::RSP], m.ram_size());
  EXPECT_EQ(s.cr0 & cpu::cr0::PG, 0u);
  EXPECT_EQ(m.cpu().flags() & cpu::flag::IF, 0u);
  // And it runs: four NOPs then HLT.
  EXPECT_EQ(m.run({.max_instructions = 100}).kind, StopKind::HaltedForever);
}

TEST(ElfLoader, HigherHalfEntryIsTranslatedToPhysical) {
  ElfSpec spec;
  spec.entry = 0xC0100010;
  ElfSeg text;
  text.vaddr = 0xC0100000;
  text.paddr = 0x100000;
  text.data = Bytes(0x20, 0x90);
  spec.segs = {text};
  TempDir dir;
  Machine m;
  const LoadReport r = load_elf(m, read_image(dir.write("hh.elf", build_elf(spec))));
  EXPECT_EQ(r.entry, 0x100010u);
  EXPECT_EQ(m.cpu().state().rip, 0x100010u);
  EXPECT_EQ(m.ram()[0x100000], 0x90);
}

TEST(ElfLoader, NonLoadSegmentsAreSkipped) {
  ElfSpec spec;
  spec.entry = 0x100000;
  ElfSeg note;
  note.type = 4;  // PT_NOTE
  note.vaddr = note.paddr = 0x7FFFFFF0;  // outside RAM, but not loaded
  note.data = {1, 2, 3};
  ElfSeg text;
  text.vaddr = text.paddr = 0x100000;
  text.data = {0xF4};
  spec.segs = {note, text};
  TempDir dir;
  Machine m;
  const LoadReport r = load_elf(m, read_image(dir.write("n.elf", build_elf(spec))));
  EXPECT_EQ(r.ranges.size(), 1u);
}

TEST(ElfLoader, TruncatedHeader) {
  Bytes b = simple_elf();
  b.resize(40);
  expect_elf_error(b, "truncated ELF header");
}

TEST(ElfLoader, ProgramHeaderTablePastTheEnd) {
  Bytes b = simple_elf();
  put32(b, 28, 0xFFFFFFF0);  // e_phoff
  expect_elf_error(b, "program header table");
}

TEST(ElfLoader, SegmentFileRangePastTheEnd) {
  Bytes b = simple_elf();
  put32(b, 52 + 4, 0x7FFFFFFF);  // first p_offset
  expect_elf_error(b, "program header 0: file range");
}

TEST(ElfLoader, SegmentFileSizePastTheEnd) {
  Bytes b = simple_elf();
  put32(b, 52 + 16, 0x100000);  // p_filesz
  put32(b, 52 + 20, 0x100000);  // p_memsz
  expect_elf_error(b, "reaches past the end of the file");
}

TEST(ElfLoader, FileSizeLargerThanMemSize) {
  Bytes b = simple_elf();
  put32(b, 52 + 20, 1);  // p_memsz < p_filesz
  expect_elf_error(b, "p_filesz");
}

TEST(ElfLoader, SegmentOutsideRam) {
  ElfSpec spec;
  spec.entry = 0x7F000000;
  ElfSeg text;
  text.vaddr = text.paddr = 0x7F000000;
  text.data = {0xF4};
  spec.segs = {text};
  expect_elf_error(build_elf(spec), "lies outside RAM");
}

TEST(ElfLoader, SegmentWrappingPast4GiB) {
  ElfSpec spec;
  spec.entry = 0xFFFFF000;
  ElfSeg text;
  text.vaddr = text.paddr = 0xFFFFF000;
  text.data = {0xF4};
  text.memsz = 0x2000;
  spec.segs = {text};
  expect_elf_error(build_elf(spec), "wraps past 4 GiB");
}

TEST(ElfLoader, EntryOutsideEverySegment) {
  Bytes b = simple_elf();
  put32(b, 24, 0x500000);
  expect_elf_error(b, "entry point 0x500000 is not inside any PT_LOAD segment");
}

TEST(ElfLoader, WrongKinds) {
  Bytes b = simple_elf();
  b[4] = 2;
  expect_elf_error(b, "64-bit");
  b = simple_elf();
  put16(b, 16, 3);
  expect_elf_error(b, "ET_DYN");
  b = simple_elf();
  put16(b, 18, 62);
  expect_elf_error(b, "EM_386");
  b = simple_elf();
  b[5] = 2;
  expect_elf_error(b, "little-endian");
  b = simple_elf();
  put16(b, 44, 0);
  expect_elf_error(b, "no program headers");
  b = simple_elf();
  put16(b, 42, 16);
  expect_elf_error(b, "e_phentsize");
}

TEST(ElfLoader, NotElfAtAll) {
  expect_elf_error(Bytes{'h', 'e', 'l', 'l', 'o'}, "not an ELF file");
  expect_elf_error(Bytes{}, "not an ELF file");
}

TEST(ElfLoader, EveryTruncationIsAnErrorNotACrash) {
  const Bytes full = simple_elf();
  TempDir dir;
  for (size_t n = 0; n < full.size(); n += (n < 128 ? 1 : 97)) {
    Machine m;
    const Bytes cut(full.begin(), full.begin() + long(n));
    EXPECT_THROW(load_elf(m, make_image("cut.elf", cut)), LoadError) << "length " << n;
  }
}

TEST(ImageFile, MissingFileAndDirectoryAreClearErrors) {
  TempDir dir;
  try {
    read_image(dir.file("nope.bin"));
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
  try {
    read_image(dir.file(""));
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

TEST(ImageFile, MaxBytesKeepsTheWholeSize) {
  TempDir dir;
  const std::string p = dir.write("big.bin", Bytes(10000, 1));
  const Image img = read_image(p, 100);
  EXPECT_EQ(img.bytes.size(), 100u);
  EXPECT_EQ(img.file_size, 10000u);
}

}  // namespace
