// cpu/mmu/paging.cpp — linear-to-physical translation (32-bit and PAE paging), the TLB,
// #PF error codes, and the data access paths (segment check + translation + bus).
//
// SDM Vol.3 ch.4: 4.3 (32-bit paging), 4.4 (PAE paging), 4.6 (access rights), 4.7 (#PF),
// 4.8 (accessed and dirty flags), 4.10 (TLBs).
#include <cstring>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "cpu/internal.h"

namespace cpu {

namespace {
constexpr uint64_t kP = 1, kRW = 2, kUS = 4, kA = 0x20, kD = 0x40, kPS = 0x80, kG = 0x100;
constexpr uint64_t kXD = 1ull << 63;

// #PF error code bits (SDM Vol.3 4.7).
constexpr uint32_t kPfP = 1, kPfW = 2, kPfU = 4, kPfRsvd = 8, kPfI = 16;

struct WalkResult {
  bool ok = false;
  uint32_t ec = 0;
  uint64_t paddr = 0;  // physical address of the 4 KiB page holding the linear address
  bool user = true, write = true, nx = false, dirty = false, global = false;
};
}  // namespace

// Walks the paging structures for `linear`. With `commit`, sets accessed/dirty bits as the
// SDM requires for an access of kind `access`; without, only looks (debugger).
static WalkResult walk_tables(Cpu& c, Bus& bus, uint64_t linear, unsigned access, bool commit,
                              unsigned& levels) {
  const State& s = c.state();
  WalkResult w;
  const bool is_write = access & Cpu::kAccessWrite;
  const bool is_user = access & Cpu::kAccessUser;
  const bool is_fetch = access & Cpu::kAccessFetch;
  const bool pae = s.cr4 & cr4::PAE;
  const bool nxe = pae && (s.efer & efer::NXE);
  uint32_t base_ec = (is_write ? kPfW : 0) | (is_user ? kPfU : 0) | ((is_fetch && nxe) ? kPfI : 0);

  // In VMX non-root operation the paging-structure entries are at guest-physical addresses
  // (SDM Vol.3 28.3.1): vt/ translates them (EPT) and may exit. A debugger's look at an
  // entry EPT does not map reads it as 0 (not present).
  auto guest_entry = [&](uint64_t& pa, bool write) {
    GuestPhysical g;
    g.gpa = pa;
    g.linear = linear;
    g.write = write;
    g.paging_entry = true;
    g.commit = commit;
    if (!c.virtualization()->guest_physical(c, g)) return false;
    levels += g.levels;
    pa = g.hpa;
    return true;
  };
  auto rd = [&](uint64_t pa, unsigned size) -> uint64_t {
    ++levels;
    if (c.non_root() && !guest_entry(pa, false)) [[unlikely]] return 0;
    uint64_t v = 0;
    if (uint8_t* p = bus.page(pa, false)) std::memcpy(&v, p + (pa & kPageMask), size);
    else v = bus.mmio_read(pa, size);
    return v;
  };
  auto wr = [&](uint64_t pa, unsigned size, uint64_t v) {
    if (c.non_root()) [[unlikely]] guest_entry(pa, true);
    if (uint8_t* p = bus.page(pa, true)) std::memcpy(p + (pa & kPageMask), &v, size);
    else bus.mmio_write(pa, size, v);
    c.invalidate_code(pa, size);
  };

  // Entries along the walk, for the A/D updates once the walk succeeds.
  uint64_t addr[3] = {}, val[3] = {};
  unsigned n = 0, esize = pae ? 8 : 4;
  uint64_t page_base = 0;
  uint64_t page_size = 4096;

  auto rsvd = [&]() {
    w.ec = base_ec | kPfP | kPfRsvd;
    return w;
  };

  if (!pae) {
    const uint64_t pde_addr = (s.cr3 & 0xFFFFF000) + ((linear >> 22) & 0x3FF) * 4;
    const uint64_t pde = rd(pde_addr, 4);
    if (!(pde & kP)) { w.ec = base_ec; return w; }
    addr[n] = pde_addr; val[n++] = pde;
    if ((pde & kPS) && (s.cr4 & cr4::PSE)) {
      // 4 MiB page; bits 20:13 give physical address bits (M-1):32 and bits 21:(M-19) are
      // reserved (SDM Vol.3 4.3, Table 4-4; M = MAXPHYADDR, at most 40 here).
      constexpr uint64_t kPse36Rsvd = 0x3FE000ull & ~((1ull << (kMaxPhysBits - 19)) - 1);
      if (pde & kPse36Rsvd) return rsvd();
      page_base = (pde & 0xFFC00000) | (((pde >> 13) & 0xFF) << 32);
      page_size = 4u << 20;
      w.global = pde & kG;
    } else {
      const uint64_t pte_addr = (pde & 0xFFFFF000) + ((linear >> 12) & 0x3FF) * 4;
      const uint64_t pte = rd(pte_addr, 4);
      if (!(pte & kP)) { w.ec = base_ec; return w; }
      addr[n] = pte_addr; val[n++] = pte;
      page_base = pte & 0xFFFFF000;
      w.global = pte & kG;
    }
  } else {
    // PAE: PDPTE, PDE, PTE (8 bytes each). Reserved bits above MAXPHYADDR and, without
    // EFER.NXE, the XD bit cause #PF with RSVD set.
    const uint64_t rsv_hi = ~kPhysMask & ~kXD & 0xFFFFFFFFFFFFF000ull;
    const uint64_t pdpte_addr = (s.cr3 & 0xFFFFFFE0) + ((linear >> 30) & 3) * 8;
    const uint64_t pdpte = rd(pdpte_addr, 8);
    if (!(pdpte & kP)) { w.ec = base_ec; return w; }
    if ((pdpte & (rsv_hi | kXD | 0x1E6))) return rsvd();  // SDM 4.4.1: PDPTE bits 2:1, 8:5
    const uint64_t pde_addr = (pdpte & kPhysMask & ~0xFFFull) + ((linear >> 21) & 0x1FF) * 8;
    const uint64_t pde = rd(pde_addr, 8);
    if (!(pde & kP)) { w.ec = base_ec; return w; }
    if ((pde & rsv_hi) || (!nxe && (pde & kXD))) return rsvd();
    addr[n] = pde_addr; val[n++] = pde;
    if (pde & kPS) {
      if (pde & 0x1FE000) return rsvd();  // bits 20:13 reserved in a 2 MiB PDE
      page_base = pde & kPhysMask & ~0x1FFFFFull;
      page_size = 2u << 20;
      w.global = pde & kG;
    } else {
      const uint64_t pte_addr = (pde & kPhysMask & ~0xFFFull) + ((linear >> 12) & 0x1FF) * 8;
      const uint64_t pte = rd(pte_addr, 8);
      if (!(pte & kP)) { w.ec = base_ec; return w; }
      if ((pte & rsv_hi) || (!nxe && (pte & kXD))) return rsvd();
      addr[n] = pte_addr; val[n++] = pte;
      page_base = pte & kPhysMask & ~0xFFFull;
      w.global = pte & kG;
    }
  }

  for (unsigned k = 0; k < n; ++k) {
    w.user = w.user && (val[k] & kUS);
    w.write = w.write && (val[k] & kRW);
    if (nxe && (val[k] & kXD)) w.nx = true;
  }
  w.dirty = val[n - 1] & kD;
  w.paddr = (page_base + (linear & (page_size - 1))) & ~kPageMask;

  // SDM Vol.3 4.6: access rights.
  const bool wp = s.cr0 & cr0::WP;
  bool allowed = true;
  if (is_user && !w.user) allowed = false;
  if (is_write && !w.write && (is_user || wp)) allowed = false;
  if (is_fetch && w.nx) allowed = false;
  if (!allowed) {
    w.ec = base_ec | kPfP;
    return w;
  }
  if (commit) {
    // SDM Vol.3 4.8: set A on every entry used, D on the final entry on a write.
    for (unsigned k = 0; k < n; ++k) {
      uint64_t nv = val[k] | kA;
      if (k == n - 1 && is_write) nv |= kD;
      if (nv != val[k]) wr(addr[k], esize == 8 ? 8 : 4, nv);
    }
    if (is_write) w.dirty = true;
  }
  w.ok = true;
  return w;
}

uint8_t* Cpu::host_ptr_slow(uint64_t linear, unsigned access, uint64_t& paddr) {
  // A TLB miss, or the cached rights do not cover this access: walk.
  TlbEntry& e = tlb_slot(linear, access);
  // Links between decoded blocks stand for instruction TLB hits: a fetch that walks (and
  // so may find another translation, or set accessed bits) starts a new link epoch.
  if (access & kAccessFetch) ++link_epoch_;
  const uint64_t lpn = linear >> 12;
  TlbEntry fill;
  fill.tag = lpn;
  if (!(s_.cr0 & cr0::PG)) {
    fill.ppage = linear & ~kPageMask;
    fill.allow = 0xFF;
    fill.global = false;
  } else {
    unsigned levels = 0;
    WalkResult w = walk_tables(*this, bus_, linear, access, true, levels);
    s_.cycles += uint64_t(levels) * model_->page_walk_level;
    if (!w.ok) {
      throw Fault{PF, true, w.ec, linear};
    }
    fill.ppage = w.paddr;
    fill.global = w.global && (s_.cr4 & cr4::PGE);
    const bool wp = s_.cr0 & cr0::WP;
    for (unsigned a = 0; a < 8; ++a) {
      const bool wr = a & kAccessWrite, us = a & kAccessUser, fe = a & kAccessFetch;
      if (wr && fe) continue;
      if (us && !w.user) continue;
      if (wr && (!w.dirty || (!w.write && (us || wp)))) continue;
      if (fe && w.nx) continue;
      fill.allow |= uint8_t(1u << a);
    }
  }
  if (s_.non_root) [[unlikely]] guest_physical_page(fill, linear, access);
  fill.host_r = bus_.page(fill.ppage, false);
  fill.host_w = bus_.page(fill.ppage, true);
  if (e.tag == ~0ull) note_tlb_fill(&e);
  e = fill;
  paddr = e.ppage | (linear & kPageMask);
  return (access & kAccessWrite) ? e.host_w : e.host_r;
}

// VMX non-root operation: the page's address is guest-physical; vt/ translates it (EPT,
// SDM Vol.3 28.3) or exits, and says which accesses the TLB entry may allow.
void Cpu::guest_physical_page(TlbEntry& fill, uint64_t linear, unsigned access) {
  GuestPhysical g;
  g.gpa = fill.ppage | (linear & kPageMask);
  g.linear = linear;
  g.write = access & kAccessWrite;
  g.fetch = access & kAccessFetch;
  virt_->guest_physical(*this, g);
  s_.cycles += uint64_t(g.levels) * model_->page_walk_level;
  fill.ppage = g.hpa & ~kPageMask;
  uint8_t mask = 0;
  for (unsigned a = 0; a < 8; ++a) {
    const unsigned need = (a & kAccessFetch) ? 4 : (a & kAccessWrite) ? 2 : 1;
    if (g.rights & need) mask |= uint8_t(1u << a);
  }
  fill.allow &= mask;
}

uint64_t Cpu::translate(uint64_t linear, unsigned access) {
  uint64_t paddr;
  host_ptr(linear, access, paddr);
  return paddr;
}

bool Cpu::debug_translate(uint64_t linear, uint64_t& paddr) {
  if (mode() != Mode::Long) linear &= 0xFFFFFFFF;
  if (!(s_.cr0 & cr0::PG)) {
    paddr = linear;
  } else {
    unsigned levels = 0;
    WalkResult w = walk_tables(*this, bus_, linear, 0, false, levels);
    if (!w.ok) return false;
    paddr = w.paddr | (linear & kPageMask);
  }
  if (s_.non_root) {
    GuestPhysical g;
    g.gpa = paddr;
    g.linear = linear;
    g.commit = false;
    if (!virt_->guest_physical(*this, g)) return false;
    paddr = g.hpa;
  }
  return true;
}

void Cpu::note_tlb_fill(const TlbEntry* e) {
  if (tlb_filled_count_ == tlb_filled_.size()) {
    tlb_filled_overflow_ = true;
    return;
  }
  const bool itlb = e >= itlb_.data() && e < itlb_.data() + kTlbEntries;
  const size_t k = size_t(e - (itlb ? itlb_.data() : tlb_.data()));
  tlb_filled_[tlb_filled_count_++] = uint16_t(k | (itlb ? kTlbEntries : 0));
}

// Clears the entries recorded as filled (the common case: a few dozen pages in use, as
// around every VM entry and exit) or, once more were filled than the record holds, both
// whole TLBs; global entries stay (and stay recorded) unless `include_global`.
void Cpu::flush_tlb(bool include_global) {
  attn_.end_block = true;  // the running block's code may now map elsewhere
  ++link_epoch_;
  if (tlb_filled_overflow_) {
    tlb_filled_overflow_ = false;
    tlb_filled_count_ = 0;
    for (auto* t : {&tlb_, &itlb_}) {
      for (auto& x : *t) {
        if (include_global || !x.global) x = TlbEntry{};
        else note_tlb_fill(&x);
      }
    }
    return;
  }
  size_t kept = 0;
  for (size_t i = 0; i < tlb_filled_count_; ++i) {
    const uint16_t k = tlb_filled_[i];
    TlbEntry& x = (k & kTlbEntries) ? itlb_[k & (kTlbEntries - 1)] : tlb_[k];
    if (include_global || !x.global || x.tag == ~0ull) x = TlbEntry{};
    else tlb_filled_[kept++] = k;
  }
  tlb_filled_count_ = kept;
}

void Cpu::invlpg(uint64_t linear) {
  attn_.end_block = true;
  ++link_epoch_;
  // A large page may cover many 4 KiB TLB entries: flush them all to be safe.
  if (s_.cr4 & (cr4::PSE | cr4::PAE)) {
    flush_tlb(true);
    return;
  }
  linear &= 0xFFFFFFFF;
  for (auto* t : {&tlb_, &itlb_}) {
    TlbEntry& x = (*t)[(linear >> 12) & (kTlbEntries - 1)];
    if (x.tag == (linear >> 12)) x = TlbEntry{};
  }
}

void Cpu::note_write(uint64_t paddr, unsigned size) {
  if (dcache_->overlaps_code(paddr, size)) {
    dcache_->invalidate_page(paddr);
    attn_.end_block = true;  // the running block may be what was just overwritten
  }
}

void Cpu::mark_code_page(uint64_t paddr, unsigned bytes) {
  const unsigned first = unsigned(paddr & kPageMask);
  dcache_->mark_code(paddr, first, first + bytes);
}

// ---------------------------------------------------------------------------------------
// Segment checks (SDM Vol.3 5.3 limit checking, 5.4 type checking)

uint64_t Cpu::check_seg_slow(unsigned seg, uint64_t off, unsigned size, bool write) {
  const SegmentCache& sc = s_.seg[seg];
  const uint8_t vec = (seg == SS) ? SS_ : GP;
  const Mode m = mode();
  if (m == Mode::Long) return sc.base + off;  // long mode arrives later
  if (m == Mode::Protected) {
    if (sc.attr & ar::UNUSABLE) fault(vec, 0);
    const uint32_t type = sc.attr & ar::TYPE;
    if (write) {
      if ((type & ar::CODE) || !(type & ar::WRITABLE)) fault(vec, 0);
    } else if ((type & ar::CODE) && !(type & ar::READABLE)) {
      fault(vec, 0);
    }
  }
  const uint64_t last = off + size - 1;
  if ((sc.attr & ar::S) && !(sc.attr & ar::CODE) && (sc.attr & ar::EXPAND_DOWN)) {
    const uint64_t upper = sc.big() ? 0xFFFFFFFFull : 0xFFFFull;
    if (off <= sc.limit || last > upper) fault(vec, 0);
  } else if (last > sc.limit) {
    fault(vec, 0);
  }
  return (sc.base + off) & 0xFFFFFFFF;
}

// ---------------------------------------------------------------------------------------
// Data access

uint64_t Cpu::read_linear_slow(uint64_t linear, unsigned size, unsigned acc) {
  if (((linear & kPageMask) + size) <= kPageSize) {
    s_.cycles += model_->mem_access;
    uint64_t paddr;
    uint8_t* p = host_ptr(linear, acc, paddr);
    if (p) {
      uint64_t v = 0;
      std::memcpy(&v, p + (paddr & kPageMask), size);
      return v;
    }
    return bus_.mmio_read(paddr, size);
  }
  // Crosses a page: byte by byte (both pages are checked before the value is used).
  uint64_t v = 0;
  for (unsigned k = 0; k < size; ++k) v |= read_linear_slow((linear + k) & 0xFFFFFFFF, 1, acc) << (8 * k);
  return v;
}

void Cpu::write_linear_slow(uint64_t linear, unsigned size, uint64_t v, unsigned acc) {
  if (((linear & kPageMask) + size) <= kPageSize) {
    s_.cycles += model_->mem_access;
    uint64_t paddr;
    uint8_t* p = host_ptr(linear, acc, paddr);
    if (p) {
      std::memcpy(p + (paddr & kPageMask), &v, size);
      note_write(paddr, size);
    } else {
      bus_.mmio_write(paddr, size, v);
      invalidate_code(paddr, size);
    }
    return;
  }
  // Crosses a page: check that both pages are writable before writing anything, so a
  // #PF on the second page leaves memory unchanged and the instruction restartable.
  const unsigned first = unsigned(kPageSize - (linear & kPageMask));
  translate(linear, acc);
  translate((linear + first) & 0xFFFFFFFF, acc);
  for (unsigned k = 0; k < size; ++k)
    write_linear_slow((linear + k) & 0xFFFFFFFF, 1, (v >> (8 * k)) & 0xFF, acc);
}

uint64_t Cpu::read_rmw_slow(uint64_t lin, unsigned size) {
  // Probe for write first so a read-only page faults as a write (SDM: RMW accesses).
  const unsigned acc = kAccessWrite | user_access();
  translate(lin, acc);
  // A split access faulting on its second page reports the first byte of that page in CR2
  // (SDM Vol.3 6.15 "Interrupt 14": the linear address that generated the exception), as
  // write_linear_slow and the byte-wise read path do.
  if (((lin & kPageMask) + size) > kPageSize) translate(((lin | kPageMask) + 1) & 0xFFFFFFFF, acc);
  return read_linear(lin, size, false);
}

template <typename T> T Cpu::read(unsigned seg, uint64_t offset) {
  return T(read_sized(seg, offset, sizeof(T)));
}
template <typename T> void Cpu::write(unsigned seg, uint64_t offset, T v) {
  write_sized(seg, offset, sizeof(T), v);
}
template <typename T> T Cpu::read_for_write(unsigned seg, uint64_t offset) {
  return T(read_sized_rmw(seg, offset, sizeof(T)));
}

template uint8_t Cpu::read<uint8_t>(unsigned, uint64_t);
template uint16_t Cpu::read<uint16_t>(unsigned, uint64_t);
template uint32_t Cpu::read<uint32_t>(unsigned, uint64_t);
template uint64_t Cpu::read<uint64_t>(unsigned, uint64_t);
template void Cpu::write<uint8_t>(unsigned, uint64_t, uint8_t);
template void Cpu::write<uint16_t>(unsigned, uint64_t, uint16_t);
template void Cpu::write<uint32_t>(unsigned, uint64_t, uint32_t);
template void Cpu::write<uint64_t>(unsigned, uint64_t, uint64_t);
template uint8_t Cpu::read_for_write<uint8_t>(unsigned, uint64_t);
template uint16_t Cpu::read_for_write<uint16_t>(unsigned, uint64_t);
template uint32_t Cpu::read_for_write<uint32_t>(unsigned, uint64_t);
template uint64_t Cpu::read_for_write<uint64_t>(unsigned, uint64_t);

}  // namespace cpu
