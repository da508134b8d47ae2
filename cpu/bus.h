// cpu/bus.h — how the CPU reaches memory, ports and the interrupt controller.
//
// The platform implements this. RAM is reached through direct page pointers (the fast
// path); anything else (ROM writes, MMIO, unmapped space) goes through mmio_read/write.
#pragma once

#include <cstdint>

namespace cpu {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kPageMask = kPageSize - 1;

class Bus {
 public:
  virtual ~Bus() = default;

  // Host pointer to the start of the 4 KiB physical page holding `paddr` when that page is
  // ordinary memory that may be accessed directly (for `write`, writable RAM), else nullptr.
  virtual uint8_t* page(uint64_t paddr, bool write) = 0;

  // Slow path for pages page() refused. size is 1, 2, 4 or 8 and the access never crosses
  // a page. Unmapped reads return all ones; unmapped writes are dropped.
  virtual uint64_t mmio_read(uint64_t paddr, unsigned size) = 0;
  virtual void mmio_write(uint64_t paddr, unsigned size, uint64_t value) = 0;

  // Port I/O. Returns whether a device claimed the port (unclaimed reads yield all ones).
  virtual bool io_read(uint16_t port, unsigned size, uint32_t& value) = 0;
  virtual bool io_write(uint16_t port, unsigned size, uint32_t value) = 0;

  // Interrupt acknowledge cycle: the vector of the highest-priority pending interrupt.
  // Called only after the CPU saw its INTR line (Cpu::set_intr) asserted with IF=1.
  virtual uint8_t intr_ack() { return 0xFF; }
};

}  // namespace cpu
