// cpu/internal.h — the CPU's private caches: the TLB and the decoded-instruction cache.
// Included only by cpu/*.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"

namespace cpu {

// Maximum physical address width reported by CPUID 0x80000008 (Haswell: 39 bits).
constexpr unsigned kMaxPhysBits = 39;
constexpr uint64_t kPhysMask = (1ull << kMaxPhysBits) - 1;

// Decoded instructions by physical address. A page's generation counter is bumped when
// something writes to a page that holds decoded code, which makes its entries stale.
struct Cpu::DecodeCache {
  static constexpr unsigned kEntries = 1u << 15;
  static constexpr unsigned kPages = 1u << 20;  // generation counters for 4 GiB (aliases above)
  struct Entry {
    uint64_t tag = 0;  // physical address + 1; 0 = empty
    uint32_t gen = 0;
    bool code32 = false;
    Insn insn{};
  };
  std::vector<Entry> entries = std::vector<Entry>(kEntries);
  std::vector<uint32_t> gens = std::vector<uint32_t>(kPages);
  std::vector<uint8_t> is_code = std::vector<uint8_t>(kPages);

  static unsigned page_index(uint64_t paddr) { return unsigned(paddr >> 12) & (kPages - 1); }
  Entry& slot(uint64_t paddr) {
    const uint64_t h = paddr ^ (paddr >> 15);
    return entries[h & (kEntries - 1)];
  }
  uint32_t gen(uint64_t paddr) const { return gens[page_index(paddr)]; }
  void mark_code(uint64_t paddr) { is_code[page_index(paddr)] = 1; }
  bool holds_code(uint64_t paddr) const { return is_code[page_index(paddr)]; }
  void invalidate_page(uint64_t paddr) {
    const unsigned p = page_index(paddr);
    if (is_code[p]) {
      is_code[p] = 0;
      ++gens[p];
    }
  }
  void clear() {
    for (auto& x : entries) x.tag = 0;
  }
};

}  // namespace cpu
