// platform/port_bus.h — the x86 I/O port space (64 K byte-wide ports) and the devices on it.
//
// Devices register port ranges; an access is routed to the device that owns its first port
// and carries the full access size, so a 16- or 32-bit `in`/`out` reaches one device whole.
// A port nobody claims behaves as on a PC's ISA bus: reads float to all ones, writes are
// dropped, and the access is reported as unclaimed (the CPU marks its PortIo event so).
//
//   platform::PortBus bus;
//   bus.map(0x3F8, 8, &uart);          // throws std::logic_error on overlap
//   uint32_t v; bool claimed = bus.read(0x3F8 + 5, 1, v);
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "platform/device.h"

namespace platform {

// Where devices send guest output bytes (debug console, UART transmitter).
using ByteSink = std::function<void(uint8_t)>;

// All ones of `size` bytes (1, 2 or 4): what an unclaimed port reads as.
constexpr uint32_t all_ones(unsigned size) {
  return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

class PortDevice : public virtual Device {
 public:
  // `port` is the absolute port number; `size` is 1, 2 or 4. The value read is masked to
  // `size` bytes by the bus.
  virtual uint32_t io_read(uint16_t port, unsigned size) = 0;
  virtual void io_write(uint16_t port, unsigned size, uint32_t value) = 0;
};

class PortBus {
 public:
  PortBus();
  // Gives ports [first, first + count) to `dev`. Throws std::logic_error when the range
  // wraps past 0xFFFF or overlaps a range already mapped.
  void map(uint16_t first, uint32_t count, PortDevice* dev);
  // The device owning `port`, or nullptr.
  PortDevice* owner(uint16_t port) const;

  // Returns whether a device claimed the access. Unclaimed: value = all ones.
  bool read(uint16_t port, unsigned size, uint32_t& value);
  bool write(uint16_t port, unsigned size, uint32_t value);

  // Devices in the order they were first mapped (for reset, dump, hashing).
  const std::vector<PortDevice*>& devices() const { return devices_; }

 private:
  std::vector<PortDevice*> devices_;      // distinct devices, in mapping order
  std::array<uint8_t, 0x10000> owner_{};  // per port: devices_ index + 1, 0 = unclaimed
};

}  // namespace platform
