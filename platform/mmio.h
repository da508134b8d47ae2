// platform/mmio.h — memory-mapped devices (local APIC, IO APIC, ...).
//
// The machine routes a physical access that is not RAM or ROM to the MMIO device whose
// window contains it. `offset` is relative to the window base; `size` is 1, 2, 4 or 8 and
// the access never crosses a 4 KiB page (the CPU splits it). Devices with 32-bit registers
// decide what a narrower or misaligned access does (the xAPIC, for instance, only defines
// aligned 32-bit accesses: SDM Vol.3 10.4.1).
#pragma once

#include <cstdint>

#include "platform/device.h"

namespace platform {

class MmioDevice : public virtual Device {
 public:
  virtual uint64_t mmio_read(uint64_t offset, unsigned size) = 0;
  virtual void mmio_write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

}  // namespace platform
