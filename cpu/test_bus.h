// cpu/test_bus.h — a minimal Bus for driving the CPU on its own: flat RAM, port accesses
// recorded, nothing else. Tests and the differential harness set registers, segment
// caches and memory directly, run N instructions and read the state back.
//
//   cpu::TestBus bus(1 << 20);
//   cpu::Cpu c(bus);
//   bus.load(0x7C00, {0xB8, 0x34, 0x12});      // mov ax, 0x1234
//   c.state().seg[cpu::CS] = ...; c.state().rip = 0x7C00;
//   c.run({.max_instructions = c.state().instret + 1});
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "cpu/bus.h"

namespace cpu {

class TestBus final : public Bus {
 public:
  explicit TestBus(size_t ram_bytes = 16u << 20) : ram_(ram_bytes, 0) {}

  struct PortAccess {
    uint16_t port;
    unsigned size;
    bool write;
    uint32_t value;
  };

  uint8_t* page(uint64_t paddr, bool) override {
    if (paddr >= ram_.size()) return nullptr;
    return ram_.data() + (paddr & ~kPageMask);
  }
  uint64_t mmio_read(uint64_t, unsigned size) override {
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
  }
  void mmio_write(uint64_t, unsigned, uint64_t) override {}
  bool io_read(uint16_t port, unsigned size, uint32_t& value) override {
    value = in_value;
    ports.push_back({port, size, false, value});
    return true;
  }
  bool io_write(uint16_t port, unsigned size, uint32_t value) override {
    ports.push_back({port, size, true, value});
    return true;
  }
  uint8_t intr_ack() override { return intr_vector; }

  void load(uint64_t addr, std::initializer_list<uint8_t> bytes) {
    for (uint8_t b : bytes) ram_.at(addr++) = b;
  }
  void load(uint64_t addr, const void* data, size_t n) {
    if (addr + n <= ram_.size()) std::memcpy(ram_.data() + addr, data, n);
  }
  uint8_t& byte(uint64_t addr) { return ram_.at(addr); }
  uint32_t dword(uint64_t addr) const {
    uint32_t v = 0;
    std::memcpy(&v, ram_.data() + addr, 4);
    return v;
  }
  void set_dword(uint64_t addr, uint32_t v) { std::memcpy(ram_.data() + addr, &v, 4); }
  std::vector<uint8_t>& ram() { return ram_; }

  std::vector<PortAccess> ports;
  uint32_t in_value = 0xFFFFFFFF;
  uint8_t intr_vector = 0x20;

 private:
  std::vector<uint8_t> ram_;
};

}  // namespace cpu
