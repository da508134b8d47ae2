// tests/unit/cpu_sys_fixture.h — helpers for the system-instruction and far-transfer tests:
// a 32-bit TSS loaded with LTR, exception handlers that halt, entering ring 3, and
// 32-bit paging with an identity map.
//
// Memory layout (on top of cpu_fixture.h): exception handler for vector v at
// kHandlers + v*16 (a HLT, so after a fault `rip == handler(v) + 1`), TSS at kTss (GDT
// selector 0x28) with its I/O bitmap (to 0x6068), ring-0 stack top kStack0 (TSS ESP0), ring-3 stack
// top kStack3, page directory at kPd and page table at kPt.
#pragma once

#include "tests/unit/cpu_fixture.h"

namespace cputest {

constexpr uint32_t kHandlers = 0x3000;
constexpr uint32_t kTss = 0x4000;
constexpr uint16_t kTssSel = 0x28;
constexpr uint32_t kIoBitmap = 0x68;  // offset of the I/O bitmap in the TSS
constexpr uint32_t kTssLimit = kIoBitmap + 0x2000;  // bitmap for all ports + terminator byte
constexpr uint32_t kStack0 = 0x6800;
constexpr uint32_t kStack3 = 0x7C00;  // above kStack (ring-0 stack of protected32)
constexpr uint32_t kPd = 0x10000;
constexpr uint32_t kPt = 0x11000;

class SysTest : public CpuTest {
 protected:
  // Flat protected mode at CPL 0, handlers for vectors 0-31 (interrupt gates, DPL 0), and
  // a 32-bit TSS loaded into TR with the real LTR instruction.
  void setup_pm() {
    protected32();
    for (unsigned v = 0; v < 32; ++v) {
      bus.byte(handler(v)) = 0xF4;  // hlt
      set_gate(v, 0x08, handler(v), 0xE, 0);
    }
    install_tss();
  }

  static uint32_t handler(unsigned v) { return kHandlers + v * 16; }

  // Like CpuTest::code, but through phys_write so code rewritten at the same address is
  // not served stale from the decoded-instruction cache.
  void code(std::initializer_list<uint8_t> bytes) {
    const std::vector<uint8_t> v(bytes);
    cpu.phys_write(kCode, v.data(), v.size());
  }

  void install_tss() {
    set_gdt(kTssSel >> 3, descriptor(kTss, kTssLimit, 0x89, 0x0));  // available 32-bit TSS
    bus.set_dword(kTss + 4, kStack0);  // ESP0
    bus.set_dword(kTss + 8, 0x10);     // SS0
    bus.set_dword(kTss + 0x64, uint32_t(kIoBitmap) << 16);  // I/O map base at 0x66
    for (uint32_t k = 0; k <= 0x2000; ++k)
      bus.byte(kTss + kIoBitmap + k) = (k == 0x2000) ? 0xFF : 0;  // all ports allowed
    // ltr ax at a scratch address, run once, then return to the caller's state.
    auto& s = cpu.state();
    const uint64_t rip = s.rip, rax = s.gpr[cpu::RAX];
    bus.load(0x2F00, {0x0F, 0x00, 0xD8});
    s.rip = 0x2F00;
    s.gpr[cpu::RAX] = kTssSel;
    run(1);
    s.rip = rip;
    s.gpr[cpu::RAX] = rax;
  }

  uint64_t gdt_entry(unsigned index) {
    const uint32_t a = kGdt + index * 8;
    return uint64_t(bus.dword(a)) | (uint64_t(bus.dword(a + 4)) << 32);
  }

  cpu::SegmentCache seg_from_gdt(uint16_t sel) {
    cpu::SegmentCache c = cpu::Cpu::cache_from_descriptor(sel, gdt_entry(sel >> 3));
    c.attr |= cpu::ar::ACCESSED;
    return c;
  }

  // Ring 3 with the flat ring-3 code (0x1B) and data (0x23) segments.
  void enter_ring3(uint32_t eip, uint32_t esp) {
    auto& s = cpu.state();
    s.seg[cpu::CS] = seg_from_gdt(0x1B);
    for (unsigned sg : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS})
      s.seg[sg] = seg_from_gdt(0x23);
    s.rip = eip;
    s.gpr[cpu::RSP] = esp;
    cpu.set_cpl(3);
  }

  // Runs until the CPU stops (HLT, limit of 200 instructions, shutdown, ...).
  cpu::StopReason go() { return cpu.run({cpu.state().instret + 200, UINT64_MAX}); }

  const cpu::State& st() const { return cpu.state(); }
  uint16_t sel(unsigned sg) const { return st().seg[sg].selector; }
  uint32_t esp() const { return uint32_t(st().gpr[cpu::RSP]); }
  // Runs `bytes` at kCode until a handler halts; returns the vector taken (or -1).
  int fault_of(std::initializer_list<uint8_t> bytes) {
    code(bytes);
    go();
    return vector_taken();
  }

  // The vector whose handler halted, or -1.
  int vector_taken() const {
    const uint64_t rip = cpu.state().rip;
    if (!cpu.state().halted || rip <= kHandlers || rip > kHandlers + 32 * 16) return -1;
    if ((rip - kHandlers - 1) % 16 != 0) return -1;
    return int((rip - kHandlers - 1) / 16);
  }

  uint32_t stack_dword(unsigned k) {
    const auto& s = cpu.state();
    return bus.dword(s.seg[cpu::SS].base + uint32_t(s.gpr[cpu::RSP]) + 4 * k);
  }
  // Error code of the exception just delivered (top of the handler's stack).
  uint32_t error_code() { return stack_dword(0); }

  // 32-bit paging: identity-map the first 4 MiB with user, writable pages.
  void setup_paging() {
    bus.set_dword(kPd, kPt | 0x7);
    for (uint32_t p = 0; p < 1024; ++p) bus.set_dword(kPt + p * 4, (p << 12) | 0x7);
    cpu.write_cr3(kPd);
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::PG);
  }
  uint32_t pte(uint32_t linear) const { return bus.dword(kPt + (linear >> 12) * 4); }
  void set_pte(uint32_t linear, uint32_t v) { bus.set_dword(kPt + (linear >> 12) * 4, v); }
};

}  // namespace cputest
