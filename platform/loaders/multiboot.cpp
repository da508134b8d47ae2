// platform/loaders/multiboot.cpp — see multiboot.h. Section numbers refer to the
// Multiboot Specification version 0.6.96.
#include "platform/loaders/multiboot.h"

#include <algorithm>

#include "platform/loaders/elf.h"
#include "platform/machine.h"
#include "platform/mp_table.h"

namespace platform {

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLowMemEnd = 0xA0000;  // 640 KiB: mem_lower
constexpr char kLoaderName[] = "Ringside";

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

bool header_at(const Image& img, uint64_t off, uint32_t& flags, bool& checksum_ok) {
  auto magic = img.u32(off);
  if (!magic || *magic != kMultibootHeaderMagic) return false;
  auto f = img.u32(off + 4);
  auto c = img.u32(off + 8);
  if (!f || !c) return false;
  flags = *f;
  checksum_ok = uint32_t(*magic + *f + *c) == 0;
  return true;
}

void put32(std::vector<uint8_t>& b, uint64_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
void put64(std::vector<uint8_t>& b, uint64_t off, uint64_t v) {
  put32(b, off, uint32_t(v));
  put32(b, off + 4, uint32_t(v >> 32));
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
  return a < b + blen && b < a + alen;
}

}  // namespace

bool looks_like_multiboot(const Image& img) {
  const uint64_t limit = std::min<uint64_t>(img.bytes.size(), kMultibootSearchLimit);
  for (uint64_t off = 0; off + 4 <= limit; off += 4) {
    if (img.u32(off) == kMultibootHeaderMagic) return true;
  }
  for (uint64_t off = kMultibootSearchLimit; off + 12 <= img.bytes.size(); off += 4) {
    uint32_t flags;
    bool ok;
    if (header_at(img, off, flags, ok) && ok) return true;
  }
  return false;
}

MultibootHeader find_multiboot_header(const Image& img) {
  // 3.1.1: longword aligned, contained completely within the first 8192 bytes.
  const uint64_t limit = std::min<uint64_t>(img.bytes.size(), kMultibootSearchLimit);
  std::optional<uint64_t> bad_offset;
  uint32_t bad_sum = 0;
  for (uint64_t off = 0; off + 12 <= limit; off += 4) {
    uint32_t flags;
    bool ok;
    if (!header_at(img, off, flags, ok)) continue;
    if (!ok) {
      if (!bad_offset) {
        bad_offset = off;
        bad_sum = kMultibootHeaderMagic + flags + *img.u32(off + 8);
      }
      continue;
    }
    MultibootHeader h;
    h.offset = off;
    h.flags = flags;
    const uint64_t size = (flags & mbh::VIDEO_MODE) ? 48 : (flags & mbh::AOUT_KLUDGE) ? 32 : 12;
    if (off + size > kMultibootSearchLimit) {
      img.fail("the Multiboot header at offset " + hex(off) + " is " + std::to_string(size) +
               " bytes long with its flags and runs past the first 8192 bytes (Multiboot 0.6.96 3.1.1)");
    }
    if (off + size > img.bytes.size()) {
      img.fail("the Multiboot header at offset " + hex(off) + " is truncated: its flags need " +
               std::to_string(size) + " bytes");
    }
    if (flags & mbh::AOUT_KLUDGE) {
      h.header_addr = *img.u32(off + 12);
      h.load_addr = *img.u32(off + 16);
      h.load_end_addr = *img.u32(off + 20);
      h.bss_end_addr = *img.u32(off + 24);
      h.entry_addr = *img.u32(off + 28);
    }
    return h;
  }
  if (bad_offset) {
    img.fail("the Multiboot header at offset " + hex(*bad_offset) +
             " has a bad checksum: magic + flags + checksum = " + hex(bad_sum) +
             ", must be 0 (Multiboot 0.6.96 3.1.2)");
  }
  for (uint64_t off = kMultibootSearchLimit; off + 12 <= img.bytes.size(); off += 4) {
    uint32_t flags;
    bool ok;
    if (header_at(img, off, flags, ok) && ok) {
      img.fail("the Multiboot header is at offset " + hex(off) +
               ", beyond the first 8192 bytes where the spec requires it (Multiboot 0.6.96 "
               "3.1.1); move it to the start of the image (e.g. first in the link order)");
    }
  }
  img.fail("no Multiboot header (magic 0x1BADB002, 4-byte aligned) in the first 8192 bytes");
}

LoadReport load_multiboot(Machine& m, const Image& kernel, const MultibootOptions& opts) {
  const MultibootHeader h = find_multiboot_header(kernel);

  // 3.1.2: bits 0-15 are requirements; refuse any we cannot meet.
  if (h.flags & mbh::VIDEO_MODE) {
    kernel.fail("the Multiboot header asks for a video mode (flags bit 2), which Ringside cannot "
                "provide (no display device yet); a loader must then refuse (Multiboot 0.6.96 3.1.2)");
  }
  const uint32_t unknown = h.flags & 0xFFFF & ~(mbh::PAGE_ALIGN | mbh::MEMORY_INFO | mbh::VIDEO_MODE);
  if (unknown) {
    kernel.fail("the Multiboot header sets requirement flags " + hex(unknown) +
                " that Multiboot 0.6.96 does not define; a loader must refuse (3.1.2)");
  }

  LoadReport report;
  report.format = "multiboot";
  uint64_t entry = 0;
  uint64_t kernel_end = 0;

  if (h.flags & mbh::AOUT_KLUDGE) {
    // 3.1.3: the address fields say where the image goes.
    if (h.header_addr < h.load_addr) {
      kernel.fail("Multiboot header_addr " + hex(h.header_addr) + " is below load_addr " +
                  hex(h.load_addr) + " (3.1.3)");
    }
    const uint64_t delta = uint64_t(h.header_addr) - h.load_addr;
    if (delta > h.offset) {
      kernel.fail("Multiboot header_addr - load_addr = " + hex(delta) +
                  " is larger than the header's file offset " + hex(h.offset) +
                  ", so the text would start before the file (3.1.3)");
    }
    const uint64_t load_offset = h.offset - delta;
    uint64_t load_len;
    if (h.load_end_addr == 0) {
      load_len = kernel.bytes.size() - load_offset;  // the whole rest of the file
    } else {
      if (h.load_end_addr < h.load_addr) {
        kernel.fail("Multiboot load_end_addr " + hex(h.load_end_addr) + " is below load_addr " +
                    hex(h.load_addr) + " (3.1.3)");
      }
      load_len = uint64_t(h.load_end_addr) - h.load_addr;
      if (load_offset + load_len > kernel.bytes.size()) {
        kernel.fail("Multiboot load_end_addr " + hex(h.load_end_addr) + " asks for " +
                    std::to_string(load_len) + " bytes from file offset " + hex(load_offset) +
                    ", but the file has only " + std::to_string(kernel.bytes.size()) + " bytes");
      }
    }
    const uint64_t load_end = uint64_t(h.load_addr) + load_len;
    uint64_t end = load_end;
    if (h.bss_end_addr != 0) {
      if (h.bss_end_addr < load_end) {
        kernel.fail("Multiboot bss_end_addr " + hex(h.bss_end_addr) + " is below the end of the " +
                    "loaded image " + hex(load_end) + " (3.1.3)");
      }
      end = h.bss_end_addr;
    }
    if (!m.in_ram(h.load_addr, end - h.load_addr)) {
      kernel.fail("the kernel's range [" + hex(h.load_addr) + ", " + hex(end) +
                  ") lies outside RAM (" + std::to_string(m.ram_size() / 1024) + " KiB; see --mem)");
    }
    if (h.entry_addr < h.load_addr || h.entry_addr >= end) {
      kernel.fail("Multiboot entry_addr " + hex(h.entry_addr) + " is outside the loaded kernel [" +
                  hex(h.load_addr) + ", " + hex(end) + ")");
    }
    m.load_ram(h.load_addr, kernel.slice(load_offset, load_len));
    report.ranges.push_back({h.load_addr, load_len, "kernel text+data"});
    if (end > load_end) {
      m.zero_ram(load_end, end - load_end);
      report.ranges.push_back({load_end, end - load_end, "kernel bss"});
    }
    entry = h.entry_addr;
    kernel_end = end;
  } else {
    // Without the address fields the image must be ELF (3.1.3; GRUB's behaviour).
    if (!is_elf(kernel)) {
      kernel.fail("the Multiboot header does not set flags bit 16 (address fields), so the "
                  "kernel must be an ELF file, and it is not (Multiboot 0.6.96 3.1.3)");
    }
    const ElfInfo info = parse_elf32(kernel);
    place_elf_segments(m, kernel, info, report);
    entry = info.entry;
    for (const ElfSegment& s : info.segments) kernel_end = std::max<uint64_t>(kernel_end, uint64_t(s.paddr) + s.memsz);
  }
  std::vector<LoadedRange> occupied = report.ranges;

  // Modules: page-aligned (flags bit 0 asks for it; Ringside always does it), in order.
  struct Placed {
    uint64_t start, end;
    std::string string;
  };
  std::vector<Placed> mods;
  uint64_t cursor = align_up(kernel_end, kPage);
  for (const MultibootModule& mod : opts.modules) {
    const uint64_t start = align_up(cursor, kPage);
    const uint64_t len = mod.image.bytes.size();
    if (!m.in_ram(start, len)) {
      mod.image.fail("the module (" + std::to_string(len) + " bytes) does not fit in RAM at " +
                     hex(start) + " (RAM ends at " + hex(m.ram_size()) + "; see --mem)");
    }
    m.load_ram(start, mod.image.slice(0, len));
    mods.push_back({start, start + len, mod.string.value_or(base_name(mod.image.name))});
    report.ranges.push_back({start, len, "module " + mods.back().string});
    occupied.push_back(report.ranges.back());
    cursor = start + len;
  }

  // The boot information block: info structure, memory map, module list, strings.
  // Base memory ends at the EBDA when the machine placed one (the MP tables live there;
  // mp_table.h): that KiB is reported reserved (type 2), as a BIOS's E820 map does.
  const uint64_t low_end =
      std::min<uint64_t>(m.config().firmware_setup ? kEbdaBase : kLowMemEnd, m.ram_size());
  struct MmapEntry {
    uint64_t base, length;
    uint32_t type;  // 1 available, 2 reserved
  };
  std::vector<MmapEntry> mmap;
  mmap.push_back({0, low_end, 1});
  if (m.config().firmware_setup) mmap.push_back({kEbdaBase, kEbdaEnd - kEbdaBase, 2});
  if (m.ram_size() > MiB) mmap.push_back({MiB, m.ram_size() - MiB, 1});

  const uint64_t info_size = align_up(mbi::kInfoSize, 8);
  const uint64_t mmap_off = info_size;
  const uint64_t mods_off = mmap_off + mmap.size() * mbi::kMmapEntrySize;
  const uint64_t strings_off = mods_off + mods.size() * mbi::kModuleEntrySize;
  uint64_t total = strings_off + opts.cmdline.size() + 1 + sizeof kLoaderName;
  for (const Placed& p : mods) total += p.string.size() + 1;

  uint64_t base = kMultibootInfoBase;
  bool low_ok = base + total <= low_end;
  for (const LoadedRange& r : occupied) {
    if (overlaps(base, total, r.start, r.length)) low_ok = false;
  }
  if (!low_ok) base = align_up(cursor, kPage);
  if (!m.in_ram(base, total)) {
    kernel.fail("no room in RAM for the Multiboot boot information (" + std::to_string(total) +
                " bytes at " + hex(base) + "; see --mem)");
  }
  if (base + total > (uint64_t(1) << 32)) kernel.fail("boot information would lie above 4 GiB");

  std::vector<uint8_t> blk(total, 0);
  const uint32_t b32 = uint32_t(base);
  put32(blk, mbi::FLAGS,
        mbi::MEMORY | mbi::CMDLINE | mbi::MODS | mbi::MEM_MAP | mbi::BOOT_LOADER_NAME);
  put32(blk, mbi::MEM_LOWER, uint32_t(low_end / 1024));
  put32(blk, mbi::MEM_UPPER, m.ram_size() > MiB ? uint32_t((m.ram_size() - MiB) / 1024) : 0);
  put32(blk, mbi::MODS_COUNT, uint32_t(mods.size()));
  put32(blk, mbi::MODS_ADDR, uint32_t(b32 + mods_off));
  put32(blk, mbi::MMAP_LENGTH, uint32_t(mmap.size() * mbi::kMmapEntrySize));
  put32(blk, mbi::MMAP_ADDR, uint32_t(b32 + mmap_off));
  for (size_t i = 0; i < mmap.size(); ++i) {
    const uint64_t e = mmap_off + i * mbi::kMmapEntrySize;
    put32(blk, e, mbi::kMmapEntrySize - 4);  // size excludes the size field itself
    put64(blk, e + 4, mmap[i].base);
    put64(blk, e + 12, mmap[i].length);
    put32(blk, e + 20, mmap[i].type);
  }
  uint64_t str = strings_off;
  auto put_string = [&](const std::string& s) {
    const uint32_t addr = uint32_t(b32 + str);
    std::copy(s.begin(), s.end(), blk.begin() + str);
    str += s.size() + 1;  // NUL already there
    return addr;
  };
  put32(blk, mbi::CMDLINE_ADDR, put_string(opts.cmdline));
  for (size_t i = 0; i < mods.size(); ++i) {
    const uint64_t e = mods_off + i * mbi::kModuleEntrySize;
    put32(blk, e, uint32_t(mods[i].start));
    put32(blk, e + 4, uint32_t(mods[i].end));
    put32(blk, e + 8, put_string(mods[i].string));
  }
  put32(blk, mbi::BOOT_LOADER_NAME_ADDR, put_string(kLoaderName));
  m.load_ram(base, blk);
  report.ranges.push_back({base, total, "boot information"});

  // 3.2: the machine state at entry.
  cpu::Cpu& c = m.cpu();
  c.enter_flat_protected(uint32_t(entry), uint32_t(m.ram_size()));
  c.state().gpr[cpu::RAX] = kMultibootBootloaderMagic;
  c.state().gpr[cpu::RBX] = b32;
  report.entry = entry;
  return report;
}

}  // namespace platform
