// cpu/mmu/segment.cpp — descriptors and segment-register loads.
//
// SDM Vol.3 3.4.5 (segment descriptors), 5.5-5.8 (privilege checks), and the
// "Operation" sections of MOV/POP/LDS in Vol.2 for the load-time checks.
#include "cpu/cpu.h"
#include "cpu/internal.h"

namespace cpu {

bool Cpu::read_descriptor(uint16_t selector, uint64_t& desc) {
  const bool ldt = selector & 4;
  const uint64_t index = selector & 0xFFF8;
  uint64_t base;
  uint32_t limit;
  if (ldt) {
    if (s_.ldtr.unusable() || (s_.ldtr.selector & 0xFFFC) == 0) return false;
    base = s_.ldtr.base;
    limit = s_.ldtr.limit;
  } else {
    base = s_.gdtr.base;
    limit = s_.gdtr.limit;
  }
  if (index + 7 > limit) return false;
  desc = read_linear(base + index, 8, true);
  return true;
}

void Cpu::write_descriptor_accessed(uint16_t selector, uint64_t desc) {
  // SDM Vol.3 3.4.5.1: the processor sets the accessed bit when it loads the selector.
  constexpr uint64_t kAccessed = 1ull << 40;
  if (desc & kAccessed) return;
  if (!((desc >> 44) & 1)) return;  // system descriptors have no accessed bit
  const uint64_t base = (selector & 4) ? s_.ldtr.base : s_.gdtr.base;
  const uint64_t addr = base + (selector & 0xFFF8) + 5;
  write_linear(addr, 1, uint8_t((desc >> 40) | 1), true);
}

SegmentCache Cpu::cache_from_descriptor(uint16_t selector, uint64_t d) {
  SegmentCache c;
  c.selector = selector;
  c.base = ((d >> 16) & 0xFFFFFF) | (((d >> 56) & 0xFF) << 24);
  uint32_t limit = uint32_t((d & 0xFFFF) | (((d >> 48) & 0xF) << 16));
  const bool g = (d >> 55) & 1;
  if (g) limit = (limit << 12) | 0xFFF;
  c.limit = limit;
  // Descriptor bits 40-47 (type, S, DPL, P) and 52-55 (AVL, L, D/B, G) map onto the VMX
  // access-rights layout bits 0-7 and 12-15.
  c.attr = uint32_t((d >> 40) & 0xFF) | uint32_t(((d >> 52) & 0xF) << 12);
  return c;
}

void Cpu::load_seg_real(unsigned seg, uint16_t selector) {
  // Real and virtual-8086 mode: base = selector * 16; limit and attributes unchanged
  // (so "unreal mode" limits survive, as on hardware).
  SegmentCache& c = s_.seg[seg];
  c.selector = selector;
  c.base = uint64_t(selector) << 4;
  if (seg == CS) attn_.end_block = true;
  if (seg == CS) {
    // The CS cache's attributes stay as they were, but it must stay a usable code segment.
    c.attr = (c.attr & ~ar::UNUSABLE) | ar::P | ar::S;
  } else {
    c.attr &= ~ar::UNUSABLE;
    c.attr |= ar::P | ar::S;
  }
}

void Cpu::load_seg(unsigned seg, uint16_t selector) {
  if (mode() == Mode::Real || mode() == Mode::Virtual8086) {
    load_seg_real(seg, selector);
    return;
  }
  if (seg == CS) fault(UD);  // MOV CS is #UD; far transfers use far_jump/far_call
  const uint16_t idx = selector & 0xFFFC;
  const uint8_t rpl = selector & 3;
  if (seg == SS) {
    // SDM Vol.2 MOV/POP SS: null → #GP(0); RPL ≠ CPL, not writable data, or DPL ≠ CPL →
    // #GP(selector); not present → #SS(selector).
    if (idx == 0) fault(GP, 0);
    uint64_t d;
    if (!read_descriptor(selector, d)) fault(GP, idx);
    SegmentCache c = cache_from_descriptor(selector, d);
    if (rpl != s_.cpl || !(c.attr & ar::S) || (c.attr & ar::CODE) || !(c.attr & ar::WRITABLE) ||
        c.dpl() != s_.cpl)
      fault(GP, idx);
    if (!(c.attr & ar::P)) fault(SS_, idx);
    write_descriptor_accessed(selector, d);
    c.attr |= ar::ACCESSED;
    s_.seg[SS] = c;
    return;
  }
  // DS, ES, FS, GS.
  if (idx == 0) {
    // A null selector may be loaded; any later use faults (SDM Vol.3 3.4.2).
    SegmentCache c;
    c.selector = selector;
    c.base = 0;
    c.limit = 0;
    c.attr = ar::UNUSABLE;
    s_.seg[seg] = c;
    return;
  }
  uint64_t d;
  if (!read_descriptor(selector, d)) fault(GP, idx);
  SegmentCache c = cache_from_descriptor(selector, d);
  // Must be a data segment or a readable code segment.
  if (!(c.attr & ar::S) || ((c.attr & ar::CODE) && !(c.attr & ar::READABLE))) fault(GP, idx);
  // Data and non-conforming code: both RPL and CPL must be <= DPL.
  const bool conforming_code = (c.attr & ar::CODE) && (c.attr & ar::CONFORMING);
  if (!conforming_code && (rpl > c.dpl() || s_.cpl > c.dpl())) fault(GP, idx);
  if (!(c.attr & ar::P)) fault(NP, idx);
  write_descriptor_accessed(selector, d);
  c.attr |= ar::ACCESSED;
  s_.seg[seg] = c;
}

// SDM Vol.3 6.12.1 and 5.8.5: the stack for privilege level `dpl` comes from the current
// TSS (SSn:ESPn), with the checks both interrupt delivery and call gates make. `ext` is the
// EXT bit of the error codes (1 for hardware events, 0 for instructions).
Cpu::InnerStack Cpu::inner_stack(uint8_t dpl, uint32_t ext) {
  const bool tss32 = (s_.tr.attr & 0x8) != 0;
  const uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
  const uint32_t need = tss32 ? off + 5 : off + 3;
  if (need > s_.tr.limit) fault(TS, (s_.tr.selector & 0xFFFC) | ext);
  uint16_t ss_sel;
  uint32_t esp;
  if (tss32) {
    esp = uint32_t(read_linear(s_.tr.base + off, 4, true));
    ss_sel = uint16_t(read_linear(s_.tr.base + off + 4, 2, true));
  } else {
    esp = uint32_t(read_linear(s_.tr.base + off, 2, true));
    ss_sel = uint16_t(read_linear(s_.tr.base + off + 2, 2, true));
  }
  // Null → #TS(EXT); outside the table, RPL or DPL ≠ the new CPL, or not a writable data
  // segment → #TS(selector); not present → #SS(selector).
  if ((ss_sel & 0xFFFC) == 0) fault(TS, ext);
  uint64_t sdesc;
  if (!read_descriptor(ss_sel, sdesc)) fault(TS, (ss_sel & 0xFFFC) | ext);
  SegmentCache ss = cache_from_descriptor(ss_sel, sdesc);
  if ((ss_sel & 3) != dpl || ss.dpl() != dpl || !(ss.attr & ar::S) || (ss.attr & ar::CODE) ||
      !(ss.attr & ar::WRITABLE))
    fault(TS, (ss_sel & 0xFFFC) | ext);
  if (!(ss.attr & ar::P)) fault(SS_, (ss_sel & 0xFFFC) | ext);
  return InnerStack{ss, ss.big() ? esp : (esp & 0xFFFF), sdesc};
}

}  // namespace cpu
