// tests/bench/cpu_loop_bench.cpp — interpreter speed on a register/memory ALU loop, the CPU
// alone on a TestBus (no devices). Prints guest instructions per host second.
//
//   build/tests/bench/cpu_loop_bench [iterations] [reg|mem]
//
// "mem" (default) adds a read-modify-write of memory to the loop; "reg" is registers only.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cpu/cpu.h"
#include "cpu/test_bus.h"

int main(int argc, char** argv) {
  const uint32_t iters = argc > 1 ? uint32_t(std::strtoul(argv[1], nullptr, 0)) : 5000000;
  cpu::TestBus bus(16u << 20);
  cpu::Cpu c(bus);
  c.enter_flat_protected(0x1000, 0x8000);
  const bool mem = !(argc > 2 && std::string(argv[2]) == "reg");
  if (mem) {
    // loop: add eax, ebx; xor edx, eax; add [0x9000], eax; inc ebx; dec ecx; jnz loop; hlt
    bus.load(0x1000, {0x01, 0xD8, 0x31, 0xC2, 0x01, 0x05, 0x00, 0x90, 0x00, 0x00, 0x43, 0x49,
                      0x75, 0xF2, 0xF4});
  } else {
    // loop: add eax, ebx; xor edx, eax; inc ebx; dec ecx; jnz loop; hlt
    bus.load(0x1000, {0x01, 0xD8, 0x31, 0xC2, 0x43, 0x49, 0x75, 0xF8, 0xF4});
  }
  c.state().gpr[cpu::RCX] = iters;
  const auto t0 = std::chrono::steady_clock::now();
  const cpu::StopReason r = c.run({});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double n = double(c.state().instret);
  std::printf("stop: %s\ninstructions: %.0f\ncycles: %llu\nseconds: %.3f\nMIPS: %.1f\n",
              cpu::stop_reason_name(r), n, (unsigned long long)c.state().cycles, secs, n / secs / 1e6);
  return r == cpu::StopReason::HaltedForever && c.state().gpr[cpu::RCX] == 0 ? 0 : 1;
}
