// cpu/internal.h — the CPU's private caches: the TLB and the decoded-instruction cache.
// Included only by cpu/*.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"

namespace cpu {

// Maximum physical address width reported by CPUID 0x80000008 (Haswell: 39 bits).
constexpr unsigned kMaxPhysBits = 39;
constexpr uint64_t kPhysMask = (1ull << kMaxPhysBits) - 1;

// Decoded code, as blocks of consecutive instructions by the physical address of the
// first. A block ends at a control transfer, at the end of its page, before an instruction
// that crosses the page, or after kBlockMax instructions; a jump into the middle of one
// starts another. A page's generation counter is bumped when something writes to a page
// that holds decoded code, which makes the page's blocks stale.
struct DecodeBlock {
  static constexpr unsigned kMax = 16;
  uint64_t tag = 0;  // physical address of the first instruction + 1; 0 = empty
  uint32_t gen = 0;
  bool code32 = false;
  uint8_t count = 0;
  uint16_t bytes = 0;  // length of all its instructions
  // A direct link to the block that ran after this one, made by execute_block: when the
  // next IP is `link_ip`, the link epoch is still `link_epoch` and the linked slot still
  // holds the block it held (`link_tag`), the next block is `link` without a lookup.
  DecodeBlock* link = nullptr;
  uint64_t link_ip = 0;
  uint64_t link_tag = 0;
  uint64_t link_epoch = 0;
  Insn insns[kMax]{};
};

struct Cpu::DecodeCache {
  static constexpr unsigned kBlockMax = DecodeBlock::kMax;
  static constexpr unsigned kBlocks = 1u << 12;
  static constexpr unsigned kPages = 1u << 20;  // generation counters for 4 GiB (aliases above)
  using Block = DecodeBlock;
  std::vector<Block> blocks = std::vector<Block>(kBlocks);
  std::vector<uint32_t> gens = std::vector<uint32_t>(kPages);
  std::vector<uint8_t> is_code = std::vector<uint8_t>(kPages);

  static unsigned page_index(uint64_t paddr) { return unsigned(paddr >> 12) & (kPages - 1); }
  Block& slot(uint64_t paddr) {
    const uint64_t h = paddr ^ (paddr >> 12) ^ (paddr >> 24);
    return blocks[h & (kBlocks - 1)];
  }
  uint32_t gen(uint64_t paddr) const { return gens[page_index(paddr)]; }
  bool valid(const Block& b, uint64_t paddr, bool code32) const {
    return b.tag == paddr + 1 && b.gen == gen(paddr) && b.code32 == code32;
  }
  // The 64-byte lines of each code page that decoded instructions occupy (bit k: bytes
  // 64k..64k+63), so a write to data that shares a page with code (a kernel's variables
  // next to its text) leaves the decoded code alone. Only pages holding code have an entry.
  std::unordered_map<unsigned, uint64_t> lines;
  static uint64_t line_bits(unsigned first, unsigned end) {  // bytes [first, end) of a page
    const unsigned a = first >> 6, b = (end - 1) >> 6;
    return (b >= 63 ? ~0ull : ((2ull << b) - 1)) & ~((1ull << a) - 1);
  }
  void mark_code(uint64_t paddr, unsigned first, unsigned end) {
    const unsigned p = page_index(paddr);
    is_code[p] = 1;
    lines[p] |= line_bits(first, end);
  }
  bool holds_code(uint64_t paddr) const { return is_code[page_index(paddr)]; }
  // Whether bytes [paddr, paddr + size) (within one page) may hold decoded code.
  bool overlaps_code(uint64_t paddr, unsigned size) const {
    const unsigned p = page_index(paddr);
    if (!is_code[p]) return false;
    const auto it = lines.find(p);
    const unsigned off = unsigned(paddr & 0xFFF);
    return it == lines.end() || (it->second & line_bits(off, off + size)) != 0;
  }
  void invalidate_page(uint64_t paddr) {
    const unsigned p = page_index(paddr);
    if (is_code[p]) {
      is_code[p] = 0;
      ++gens[p];
      lines.erase(p);
    }
  }
  void clear() {
    for (auto& x : blocks) x.tag = 0;
  }
};

}  // namespace cpu
