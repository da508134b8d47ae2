// platform/port_bus.cpp — see port_bus.h.
#include "platform/port_bus.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace platform {

PortBus::PortBus() = default;

void PortBus::map(uint16_t first, uint32_t count, PortDevice* dev) {
  if (!dev) throw std::logic_error("PortBus::map: null device");
  if (count == 0 || uint32_t(first) + count > 0x10000) {
    throw std::logic_error(std::string("PortBus::map: bad port range for ") + dev->name());
  }
  for (uint32_t p = first; p < first + count; ++p) {
    if (owner_[p] != 0) {
      char msg[160];
      std::snprintf(msg, sizeof msg, "PortBus::map: port 0x%x of %s is already taken by %s",
                    p, dev->name(), devices_[owner_[p] - 1]->name());
      throw std::logic_error(msg);
    }
  }
  auto it = std::find(devices_.begin(), devices_.end(), dev);
  if (it == devices_.end()) {
    if (devices_.size() >= 255) throw std::logic_error("PortBus::map: too many devices");
    devices_.push_back(dev);
    it = devices_.end() - 1;
  }
  const uint8_t slot = uint8_t(it - devices_.begin() + 1);
  for (uint32_t p = first; p < first + count; ++p) owner_[p] = slot;
}

PortDevice* PortBus::owner(uint16_t port) const {
  const uint8_t slot = owner_[port];
  return slot ? devices_[slot - 1] : nullptr;
}

bool PortBus::read(uint16_t port, unsigned size, uint32_t& value) {
  PortDevice* dev = owner(port);
  if (!dev) {
    value = all_ones(size);
    return false;
  }
  value = dev->io_read(port, size) & all_ones(size);
  return true;
}

bool PortBus::write(uint16_t port, unsigned size, uint32_t value) {
  PortDevice* dev = owner(port);
  if (!dev) return false;
  dev->io_write(port, size, value & all_ones(size));
  return true;
}

}  // namespace platform
