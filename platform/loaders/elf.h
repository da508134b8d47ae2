// platform/loaders/elf.h — ELF32 executables for i386 (ET_EXEC, EM_386).
//
// References: "Tool Interface Standard (TIS) Executable and Linking Format (ELF)
// Specification, Version 1.2", Book I: Figure 1-3 (ELF header), Figure 1-4 (e_ident),
// Figure 2-1 (program header), "Program Loading" (PT_LOAD, p_filesz <= p_memsz, the rest
// zero-filled).
//
// Each PT_LOAD segment is copied to its physical address p_paddr (paging is off at entry)
// and its bss zeroed. The entry point is e_entry translated from virtual to physical
// through the segment that contains it, as GRUB 2 does for Multiboot ELF kernels, so a
// higher-half kernel linked at 0xC0100000 and loaded at 0x100000 starts at its physical
// entry. load_elf() then enters 32-bit flat protected mode (Cpu::enter_flat_protected)
// with ESP at the top of RAM.
#pragma once

#include <cstdint>
#include <vector>

#include "platform/loaders/image.h"

namespace platform {

class Machine;

struct ElfSegment {
  unsigned index = 0;  // program header number
  uint32_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, flags = 0;
};

struct ElfInfo {
  uint32_t entry_virtual = 0;
  uint32_t entry = 0;                 // physical
  std::vector<ElfSegment> segments;   // PT_LOAD segments with memsz > 0, file order
};

bool is_elf(const Image& img);  // the 4 magic bytes 0x7F 'E' 'L' 'F'

// Validates the headers and every PT_LOAD (file ranges, sizes, address overflow, entry
// inside a segment). Throws LoadError naming what is wrong.
ElfInfo parse_elf32(const Image& img);

// Copies the segments into RAM (each must fit inside RAM) and zeroes their bss. Does not
// touch the CPU.
void place_elf_segments(Machine& m, const Image& img, const ElfInfo& info, LoadReport& report);

// parse + place + enter flat protected mode at the entry point.
LoadReport load_elf(Machine& m, const Image& img);

}  // namespace platform
