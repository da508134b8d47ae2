// tests/unit/cpu_fixture.h — drive the CPU alone on a TestBus.
//
// Code goes at kCode; the stack top is kStack. protected32() gives flat 32-bit protected
// mode at CPL 0 (GDT at kGdt with flat code 0x08, data 0x10, ring-3 code 0x1B, data 0x23),
// real16() real mode with all segments 0.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/test_bus.h"

namespace cputest {

constexpr uint32_t kCode = 0x1000;
constexpr uint32_t kData = 0x8000;
constexpr uint32_t kStack = 0x7000;
constexpr uint32_t kGdt = 0x500;
constexpr uint32_t kIdt = 0x600;

// Builds an 8-byte segment descriptor.
inline uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags4) {
  uint64_t d = limit & 0xFFFF;
  d |= uint64_t(base & 0xFFFFFF) << 16;
  d |= uint64_t(access) << 40;
  d |= uint64_t((limit >> 16) & 0xF) << 48;
  d |= uint64_t(flags4 & 0xF) << 52;
  d |= uint64_t(base >> 24) << 56;
  return d;
}

class CpuTest : public ::testing::Test {
 protected:
  CpuTest() : bus(16u << 20), cpu(bus) {}

  void real16() {
    cpu.reset();
    auto& s = cpu.state();
    for (auto& sg : s.seg) {
      sg.selector = 0;
      sg.base = 0;
    }
    s.rip = kCode;
    s.gpr[cpu::RSP] = kStack;
    s.idtr = {0, 0x3FF};
  }

  void protected32() {
    cpu.reset();
    // GDT: null, code0 0x08, data0 0x10, code3 0x18, data3 0x20.
    set_gdt(1, descriptor(0, 0xFFFFF, 0x9A, 0xC));
    set_gdt(2, descriptor(0, 0xFFFFF, 0x92, 0xC));
    set_gdt(3, descriptor(0, 0xFFFFF, 0xFA, 0xC));
    set_gdt(4, descriptor(0, 0xFFFFF, 0xF2, 0xC));
    cpu.enter_flat_protected(kCode, kStack);
    cpu.state().gdtr = {kGdt, 16 * 8 - 1};
    cpu.state().idtr = {kIdt, 256 * 8 - 1};
  }

  void set_gdt(unsigned index, uint64_t d) {
    bus.set_dword(kGdt + index * 8, uint32_t(d));
    bus.set_dword(kGdt + index * 8 + 4, uint32_t(d >> 32));
  }

  // An interrupt/trap gate in the IDT (type 0xE interrupt, 0xF trap).
  void set_gate(unsigned vector, uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl) {
    const uint32_t lo = (offset & 0xFFFF) | (uint32_t(sel) << 16);
    const uint32_t hi = (offset & 0xFFFF0000) | (1u << 15) | (uint32_t(dpl) << 13) | (uint32_t(type) << 8);
    bus.set_dword(kIdt + vector * 8, lo);
    bus.set_dword(kIdt + vector * 8 + 4, hi);
  }

  // Loads code at kCode. The bus write bypasses the CPU, so drop any decoded copy (tests
  // that reload code at the same address would otherwise run the stale instruction).
  void code(std::initializer_list<uint8_t> bytes) {
    bus.load(kCode, bytes);
    cpu.invalidate_code(kCode, bytes.size());
  }

  // Runs n steps (instructions, a faulting one included, with the delivery that follows),
  // or until the CPU stops for another reason.
  cpu::StopReason run(uint64_t n) { return cpu.run({UINT64_MAX, n, UINT64_MAX}); }

  uint32_t eax() const { return uint32_t(cpu.state().gpr[cpu::RAX]); }
  uint32_t reg(unsigned r) const { return uint32_t(cpu.state().gpr[r]); }
  void set(unsigned r, uint64_t v) { cpu.state().gpr[r] = v; }
  uint32_t eflags() const { return cpu.flags(); }
  bool flag_set(uint32_t f) const { return (cpu.flags() & f) != 0; }

  cpu::TestBus bus;
  cpu::Cpu cpu;
};

}  // namespace cputest
