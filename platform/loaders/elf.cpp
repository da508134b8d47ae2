// platform/loaders/elf.cpp — see elf.h. Field offsets are those of Elf32_Ehdr and
// Elf32_Phdr in the TIS ELF 1.2 specification.
#include "platform/loaders/elf.h"

#include "platform/machine.h"

namespace platform {

namespace {

// e_ident indices and values (Figure 1-4, Figure 1-5..1-7).
constexpr unsigned EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6;
constexpr uint8_t ELFCLASS32 = 1, ELFCLASS64 = 2, ELFDATA2LSB = 1, EV_CURRENT = 1;
// Elf32_Ehdr field offsets.
constexpr unsigned kEhdrSize = 52;
constexpr unsigned E_TYPE = 16, E_MACHINE = 18, E_ENTRY = 24, E_PHOFF = 28, E_PHENTSIZE = 42,
                   E_PHNUM = 44;
constexpr uint16_t ET_EXEC = 2, ET_DYN = 3, EM_386 = 3;
// Elf32_Phdr.
constexpr unsigned kPhdrSize = 32;
constexpr unsigned P_TYPE = 0, P_OFFSET = 4, P_VADDR = 8, P_PADDR = 12, P_FILESZ = 16,
                   P_MEMSZ = 20, P_FLAGS = 24;
constexpr uint32_t PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;

}  // namespace

bool is_elf(const Image& img) {
  return img.bytes.size() >= 4 && img.bytes[0] == 0x7F && img.bytes[1] == 'E' &&
         img.bytes[2] == 'L' && img.bytes[3] == 'F';
}

ElfInfo parse_elf32(const Image& img) {
  if (!is_elf(img)) img.fail("not an ELF file (no 0x7F 'E' 'L' 'F' magic)");
  if (img.bytes.size() < kEhdrSize) {
    img.fail("truncated ELF header: the file has " + std::to_string(img.bytes.size()) +
             " bytes, an ELF32 header needs 52");
  }
  const uint8_t cls = img.bytes[EI_CLASS];
  if (cls == ELFCLASS64) img.fail("a 64-bit ELF (ELFCLASS64); only ELF32 i386 executables load");
  if (cls != ELFCLASS32) img.fail("bad ELF class " + std::to_string(cls) + " (expected 1, ELFCLASS32)");
  if (img.bytes[EI_DATA] != ELFDATA2LSB) img.fail("not a little-endian ELF (EI_DATA must be ELFDATA2LSB)");
  if (img.bytes[EI_VERSION] != EV_CURRENT) img.fail("unknown ELF version " + std::to_string(img.bytes[EI_VERSION]));

  const uint16_t type = *img.u16(E_TYPE);
  if (type == ET_DYN) img.fail("a shared object or PIE (ET_DYN); link a static executable (ET_EXEC)");
  if (type != ET_EXEC) img.fail("ELF type " + std::to_string(type) + " is not ET_EXEC (2)");
  const uint16_t machine = *img.u16(E_MACHINE);
  if (machine != EM_386) img.fail("ELF machine " + std::to_string(machine) + " is not EM_386 (3)");

  ElfInfo info;
  info.entry_virtual = *img.u32(E_ENTRY);
  const uint32_t phoff = *img.u32(E_PHOFF);
  const uint16_t phentsize = *img.u16(E_PHENTSIZE);
  const uint16_t phnum = *img.u16(E_PHNUM);
  if (phnum == 0) img.fail("no program headers (e_phnum = 0): nothing to load");
  if (phnum == 0xFFFF) img.fail("e_phnum = PN_XNUM (extended numbering) is not supported");
  if (phentsize < kPhdrSize) {
    img.fail("e_phentsize " + std::to_string(phentsize) + " is smaller than an Elf32_Phdr (32)");
  }
  const uint64_t table_end = uint64_t(phoff) + uint64_t(phentsize) * phnum;
  if (table_end > img.bytes.size()) {
    img.fail("the program header table [" + hex(phoff) + ", " + hex(table_end) +
             ") reaches past the end of the file (" + std::to_string(img.bytes.size()) + " bytes)");
  }

  for (unsigned i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + uint64_t(i) * phentsize;
    const uint32_t ptype = *img.u32(ph + P_TYPE);
    const std::string which = "program header " + std::to_string(i);
    if (ptype == PT_DYNAMIC || ptype == PT_INTERP) {
      img.fail(which + " asks for dynamic linking (PT_DYNAMIC/PT_INTERP); link statically");
    }
    if (ptype != PT_LOAD) continue;
    ElfSegment s;
    s.index = i;
    s.offset = *img.u32(ph + P_OFFSET);
    s.vaddr = *img.u32(ph + P_VADDR);
    s.paddr = *img.u32(ph + P_PADDR);
    s.filesz = *img.u32(ph + P_FILESZ);
    s.memsz = *img.u32(ph + P_MEMSZ);
    s.flags = *img.u32(ph + P_FLAGS);
    if (s.filesz > s.memsz) {
      img.fail(which + ": p_filesz " + hex(s.filesz) + " is larger than p_memsz " + hex(s.memsz));
    }
    if (uint64_t(s.offset) + s.filesz > img.bytes.size()) {
      img.fail(which + ": file range [" + hex(s.offset) + ", " + hex(uint64_t(s.offset) + s.filesz) +
               ") reaches past the end of the file (" + std::to_string(img.bytes.size()) + " bytes)");
    }
    if (uint64_t(s.paddr) + s.memsz > (uint64_t(1) << 32) ||
        uint64_t(s.vaddr) + s.memsz > (uint64_t(1) << 32)) {
      img.fail(which + ": [" + hex(s.paddr) + " + " + hex(s.memsz) + ") wraps past 4 GiB");
    }
    if (s.memsz == 0) continue;
    info.segments.push_back(s);
  }
  if (info.segments.empty()) img.fail("no PT_LOAD segment with a non-zero size");

  // Entry: virtual -> physical through the segment holding it (GRUB 2 multiboot_elfxx.c).
  bool found = false;
  for (const ElfSegment& s : info.segments) {
    if (info.entry_virtual >= s.vaddr && info.entry_virtual - s.vaddr < s.memsz) {
      info.entry = info.entry_virtual - s.vaddr + s.paddr;
      found = true;
      break;
    }
  }
  if (!found) img.fail("the entry point " + hex(info.entry_virtual) + " is not inside any PT_LOAD segment");
  return info;
}

void place_elf_segments(Machine& m, const Image& img, const ElfInfo& info, LoadReport& report) {
  for (const ElfSegment& s : info.segments) {
    const std::string which = "program header " + std::to_string(s.index);
    if (!m.in_ram(s.paddr, s.memsz)) {
      img.fail(which + ": physical range [" + hex(s.paddr) + ", " + hex(uint64_t(s.paddr) + s.memsz) +
               ") lies outside RAM (" + std::to_string(m.ram_size() / 1024) + " KiB; see --mem)");
    }
    m.load_ram(s.paddr, img.slice(s.offset, s.filesz));
    m.zero_ram(uint64_t(s.paddr) + s.filesz, s.memsz - s.filesz);
    report.ranges.push_back({s.paddr, s.memsz, "segment " + std::to_string(s.index) +
                                                   (s.memsz > s.filesz ? " (with bss)" : "")});
  }
}

LoadReport load_elf(Machine& m, const Image& img) {
  const ElfInfo info = parse_elf32(img);
  LoadReport report;
  report.format = "elf32";
  place_elf_segments(m, img, info, report);
  report.entry = info.entry;
  m.cpu().enter_flat_protected(info.entry, uint32_t(m.ram_size()));
  return report;
}

}  // namespace platform
