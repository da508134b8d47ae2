// platform/loaders/multiboot.h — Multiboot 1 kernels (Multiboot Specification 0.6.96).
//
//   3.1.1  the header: 4-byte aligned, wholly within the first 8192 bytes of the image
//   3.1.2  magic 0x1BADB002, flags, checksum (magic + flags + checksum == 0 mod 2^32);
//          flag bits 0-15 are requirements: a loader that cannot meet one must refuse.
//          Ringside meets bit 0 (page-aligned modules) and bit 1 (memory information);
//          bit 2 (video mode) is refused: there is no display yet.
//   3.1.3  the address fields (flags bit 16): header_addr, load_addr, load_end_addr,
//          bss_end_addr, entry_addr; without bit 16 the kernel must be ELF and is loaded
//          by its program headers (see elf.h).
//   3.2    machine state at entry: EAX = 0x2BADB002, EBX = physical address of the boot
//          information; CS a 32-bit read/execute segment with offset 0 and limit
//          0xFFFFFFFF; DS, ES, FS, GS, SS 32-bit read/write with offset 0 and limit
//          0xFFFFFFFF; A20 enabled; CR0 PG = 0, PE = 1; EFLAGS VM = 0, IF = 0. ESP is
//          "undefined": Ringside sets it to the top of RAM.
//   3.3    boot information: Ringside fills flags bits 0 (mem_lower = 640, or 639 when
//          the machine placed an EBDA with the MP tables (mp_table.h); mem_upper = KiB
//          above 1 MiB), 2 (cmdline), 3 (modules), 6 (memory map: type 1 ranges
//          [0, 0xA0000) — or [0, 0x9FC00) and the EBDA [0x9FC00, 0xA0000) as type 2,
//          reserved — and [1 MiB, end of RAM)) and 9 (boot_loader_name "Ringside").
//
// Placement: modules follow the kernel, each on a 4 KiB boundary, in command-line order;
// mod_end is one past a module's last byte, as GRUB sets it.
// The boot information block (info structure, memory map, module list, strings) goes at
// kInfoBase (64 KiB) when that space is free, else on the next page after the last
// module. Nothing host-specific enters the guest: the command line is exactly --cmdline
// and a module's string defaults to its file's base name, so runs are reproducible on
// any host.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/loaders/image.h"

namespace platform {

class Machine;

constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;
constexpr uint64_t kMultibootSearchLimit = 8192;
constexpr uint64_t kMultibootInfoBase = 0x10000;

// Boot information flags (3.3).
namespace mbi {
constexpr uint32_t MEMORY = 1u << 0, BOOTDEV = 1u << 1, CMDLINE = 1u << 2, MODS = 1u << 3,
                   AOUT_SYMS = 1u << 4, ELF_SHDR = 1u << 5, MEM_MAP = 1u << 6,
                   DRIVE_INFO = 1u << 7, CONFIG_TABLE = 1u << 8, BOOT_LOADER_NAME = 1u << 9,
                   APM_TABLE = 1u << 10, VBE_INFO = 1u << 11, FRAMEBUFFER_INFO = 1u << 12;
// Byte offsets in the multiboot_info structure.
constexpr unsigned FLAGS = 0, MEM_LOWER = 4, MEM_UPPER = 8, BOOT_DEVICE = 12, CMDLINE_ADDR = 16,
                   MODS_COUNT = 20, MODS_ADDR = 24, MMAP_LENGTH = 44, MMAP_ADDR = 48,
                   BOOT_LOADER_NAME_ADDR = 64;
constexpr unsigned kInfoSize = 116;  // through the framebuffer fields of 0.6.96
constexpr unsigned kModuleEntrySize = 16;  // mod_start, mod_end, string, reserved
constexpr unsigned kMmapEntrySize = 24;    // size (= 20), base_addr, length, type
}  // namespace mbi

// Header flags (3.1.2).
namespace mbh {
constexpr uint32_t PAGE_ALIGN = 1u << 0, MEMORY_INFO = 1u << 1, VIDEO_MODE = 1u << 2,
                   AOUT_KLUDGE = 1u << 16;
}

struct MultibootHeader {
  uint64_t offset = 0;  // in the file
  uint32_t flags = 0;
  // 3.1.3 address fields, valid when flags & AOUT_KLUDGE.
  uint32_t header_addr = 0, load_addr = 0, load_end_addr = 0, bss_end_addr = 0, entry_addr = 0;
};

// The first valid header in the first 8 KiB. Throws LoadError when there is none, with the
// reason: a magic whose checksum is wrong, a header found only beyond 8 KiB, a header
// running past 8 KiB or the file, or no magic at all.
MultibootHeader find_multiboot_header(const Image& img);
// True if the image looks like a Multiboot kernel: a 4-byte aligned magic in the first
// 8 KiB, or a valid header (magic + checksum) anywhere (so that a misplaced header gives
// a clear error instead of silently booting as plain ELF).
bool looks_like_multiboot(const Image& img);

struct MultibootModule {
  Image image;
  std::optional<std::string> string;  // --module FILE=STRING; default: FILE's base name
};

struct MultibootOptions {
  std::string cmdline;
  std::vector<MultibootModule> modules;
};

// Loads the kernel and modules, writes the boot information and enters the kernel in the
// 3.2 state. Throws LoadError naming the kernel or module file.
LoadReport load_multiboot(Machine& m, const Image& kernel, const MultibootOptions& opts);

}  // namespace platform
