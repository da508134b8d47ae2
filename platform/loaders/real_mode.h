// platform/loaders/real_mode.h — starting the CPU in real mode at a chosen CS:IP.
//
// Starts from the RESET state (SDM Vol.3 9.1.1, Table 9-1) and changes only what a BIOS
// would have changed before jumping to a boot sector: CS:IP and SS:SP. In real mode a
// segment's base is selector * 16 (SDM Vol.3 20.1.1); limits and attributes keep their
// reset values.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace platform {

inline void set_real_segment(cpu::State& s, unsigned seg, uint16_t selector) {
  s.seg[seg].selector = selector;
  s.seg[seg].base = uint64_t(selector) << 4;
}

inline void enter_real_mode(cpu::Cpu& c, uint16_t cs, uint16_t ip, uint16_t ss, uint16_t sp) {
  c.reset();
  cpu::State& s = c.state();
  set_real_segment(s, cpu::CS, cs);
  s.rip = ip;
  set_real_segment(s, cpu::SS, ss);
  s.gpr[cpu::RSP] = sp;
}

}  // namespace platform
