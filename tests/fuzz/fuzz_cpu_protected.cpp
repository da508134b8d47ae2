// tests/fuzz/fuzz_cpu_protected.cpp — fuzzed bytes executed as 32-bit (or 16-bit) code in
// flat protected mode, at CPL 0 or 3, with paging off, 4 KiB, 4 MiB (PSE) or PAE pages.
//
// Layout in cpu_harness.h. Memory (2 MiB of RAM; above it reads all ones, writes vanish):
//   0x00500  GDT: null, 0x08 code0, 0x10 data0, 0x1B code3, 0x23 data3, 0x28 TSS (busy,
//            in TR), 0x30 16-bit code0 and 0x3B 16-bit code3 (both based at 0x10000),
//            0x40..0x78 straight from the input (call gates, LDTs, odd segments...)
//   0x00800  IDT: 256 gates into the fuzzed code, DPL and type from the input
//   0x01000  32-bit TSS: ESP0 = 0x8000, SS0 = 0x10; I/O bitmap denying ports 0-127
//   0x04000  page directory (PAE: 512 entries), 0x05000 page table, 0x06000 PAE PDPT
//   0x08000  ring-0 stack top, 0x09000 ring-3 stack top (unless ESP is fuzzed)
//   0x10000  the code (at most 16 KiB); 0x20000 the whole input
// Exceptions therefore land in fuzzed code, possibly with a privilege change, and the code
// may rewrite every table above.
#include "tests/fuzz/cpu_harness.h"

namespace {

constexpr uint32_t kGdt = 0x500, kIdt = 0x800, kTss = 0x1000, kPd = 0x4000, kPt = 0x5000,
                   kPdpt = 0x6000, kStack0 = 0x8000, kStack3 = 0x9000, kCodeAddr = 0x10000,
                   kDataAddr = 0x20000;
constexpr uint32_t kIoBitmap = 0x68, kTssLimit = kIoBitmap + 0x2000;

uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags4) {
  uint64_t d = limit & 0xFFFF;
  d |= uint64_t(base & 0xFFFFFF) << 16;
  d |= uint64_t(access) << 40;
  d |= uint64_t((limit >> 16) & 0xF) << 48;
  d |= uint64_t(flags4 & 0xF) << 52;
  d |= uint64_t(base >> 24) << 56;
  return d;
}

struct Setup {
  const fuzz::Input& in;
  cpu::TestBus& bus;
  cpu::Cpu& c;

  void put64(uint32_t addr, uint64_t v) {
    bus.set_dword(addr, uint32_t(v));
    bus.set_dword(addr + 4, uint32_t(v >> 32));
  }
  uint64_t gdt(unsigned index) const {
    const uint32_t a = kGdt + index * 8;
    return uint64_t(bus.dword(a)) | uint64_t(bus.dword(a + 4)) << 32;
  }
  cpu::SegmentCache cache(uint16_t sel) const {
    cpu::SegmentCache sc = cpu::Cpu::cache_from_descriptor(sel, gdt(sel >> 3));
    sc.attr |= cpu::ar::ACCESSED;
    return sc;
  }
  uint32_t pte_flags(unsigned p) const { return in.u8(fuzz::kPteFlags + p % 64) ^ 0x07u; }

  void tables(bool code16, size_t code_size) {
    put64(kGdt + 1 * 8, descriptor(0, 0xFFFFF, 0x9A, 0xC));
    put64(kGdt + 2 * 8, descriptor(0, 0xFFFFF, 0x92, 0xC));
    put64(kGdt + 3 * 8, descriptor(0, 0xFFFFF, 0xFA, 0xC));
    put64(kGdt + 4 * 8, descriptor(0, 0xFFFFF, 0xF2, 0xC));
    put64(kGdt + 5 * 8, descriptor(kTss, kTssLimit, 0x8B, 0x0));  // busy 32-bit TSS
    put64(kGdt + 6 * 8, descriptor(kCodeAddr, 0xFFFF, 0x9A, 0x0));
    put64(kGdt + 7 * 8, descriptor(kCodeAddr, 0xFFFF, 0xFA, 0x0));
    for (unsigned k = 0; k < 8; ++k) put64(kGdt + (8 + k) * 8, in.u64(fuzz::kExtra + 8 * k));

    const uint64_t dpl3 = in.u64(fuzz::kDpl3Mask), trap = in.u64(fuzz::kTrapMask);
    for (unsigned v = 0; v < 256; ++v) {
      const uint32_t off = fuzz::handler_offset(in, v, code_size) + (code16 ? 0 : kCodeAddr);
      const uint16_t sel = code16 ? 0x30 : 0x08;
      const uint32_t type = ((trap >> (v % 64)) & 1) ? 0xF : 0xE;
      const uint32_t dpl = ((dpl3 >> (v % 64)) & 1) ? 3 : 0;
      bus.set_dword(kIdt + v * 8, (off & 0xFFFF) | uint32_t(sel) << 16);
      bus.set_dword(kIdt + v * 8 + 4, (off & 0xFFFF0000) | 1u << 15 | dpl << 13 | type << 8);
    }

    bus.set_dword(kTss + 4, kStack0);  // ESP0
    bus.set_dword(kTss + 8, 0x10);     // SS0
    bus.set_dword(kTss + 0x64, kIoBitmap << 16);
    uint8_t* bitmap = bus.ram().data() + kTss + kIoBitmap;  // RAM is zero already
    std::memset(bitmap, 0xFF, 16);
    bitmap[0x2000] = 0xFF;  // the terminating byte
  }

  // Paging mode 1: 4 KiB pages; 2: 4 MiB pages (CR4.PSE); 3: PAE with 4 KiB pages.
  void paging(unsigned mode) {
    cpu::State& s = c.state();
    if (mode == 1) {
      bus.set_dword(kPd, kPt | 0x7);
      for (uint32_t p = 0; p < 1024; ++p) bus.set_dword(kPt + p * 4, p << 12 | pte_flags(p));
      s.cr3 = kPd;
    } else if (mode == 2) {
      for (uint32_t p = 0; p < 1024; ++p)
        bus.set_dword(kPd + p * 4, p << 22 | 0x80 | (pte_flags(p) & 0x7F));
      s.cr4 |= cpu::cr4::PSE;
      s.cr3 = kPd;
    } else {
      put64(kPdpt, kPd | 1);
      put64(kPd, kPt | 0x7);
      for (uint32_t p = 0; p < 512; ++p) put64(kPt + p * 8, uint64_t(p) << 12 | pte_flags(p));
      s.cr4 |= cpu::cr4::PAE;
      s.cr3 = kPdpt;
    }
    s.cr0 |= cpu::cr0::PG;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fuzz;
  const Input in{data, size};
  const uint8_t opt = in.u8(kOptions);
  const bool code16 = opt & kOptCode16, ring3 = opt & kOptRing3;
  static Rig rig(2u << 20);
  rig.fresh();
  cpu::TestBus& bus = rig.bus;
  cpu::Cpu& c = rig.c;

  const size_t code_size = std::min(in.tail_size(kCode), kMaxCode);
  bus.load(kCodeAddr, in.tail(kCode), code_size);
  bus.load(kDataAddr, data, std::min<size_t>(size, 0x10000));
  Setup setup{in, bus, c};
  setup.tables(code16, code_size);

  c.enter_flat_protected(code16 ? 0 : kCodeAddr, ring3 ? kStack3 : kStack0);
  cpu::State& s = c.state();
  s.gdtr = {kGdt, 16 * 8 - 1};
  s.idtr = {kIdt, 256 * 8 - 1};
  s.tr = setup.cache(0x28);
  constexpr uint32_t kCr0Extra = cpu::cr0::MP | cpu::cr0::EM | cpu::cr0::TS | cpu::cr0::NE |
                                 cpu::cr0::WP | cpu::cr0::AM;
  constexpr uint32_t kCr4Extra = cpu::cr4::VME | cpu::cr4::PVI | cpu::cr4::TSD | cpu::cr4::DE |
                                 cpu::cr4::PGE | cpu::cr4::PCE | cpu::cr4::UMIP;
  s.cr0 |= in.u32(kCr0) & kCr0Extra;
  s.cr4 |= in.u32(kCr4) & kCr4Extra;
  if (const unsigned mode = (opt / kOptPagingA) & 3) setup.paging(mode);
  c.flush_tlb(true);

  if (ring3) {
    s.seg[cpu::CS] = setup.cache(code16 ? 0x3B : 0x1B);
    for (unsigned sg : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS}) s.seg[sg] = setup.cache(0x23);
    c.set_cpl(3);
  } else if (code16) {
    s.seg[cpu::CS] = setup.cache(0x30);
  }
  for (unsigned r = 0; r < 8; ++r)
    if (r != cpu::RSP || (opt & kOptFuzzedSp)) s.gpr[r] = in.u32(kRegs + 4 * r);
  c.set_flags(cpu::flag::FIXED1 | (in.u32(kEflags) & kSettableFlags));

  run_and_check(c, bus, in);
  return 0;
}
