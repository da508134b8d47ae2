// platform/device.h — what every device of the machine offers besides its bus interface.
//
// A device keeps its state in one struct (so save/load/dump cover all of it), goes back to
// its power-on state on reset(), prints a stable `key=value` text dump (machine dumps and
// the state hash use it), and saves/loads that state (snapshots). Devices that schedule
// events on the Scheduler re-arm them in load() from the loaded state: scheduled callbacks
// are never serialized.
//
// Port devices derive from PortDevice (port_bus.h), memory-mapped ones from MmioDevice
// (mmio.h); a device with both derives from both (Device is a virtual base).
#pragma once

#include <string>

#include "platform/state_io.h"

namespace platform {

class Device {
 public:
  virtual ~Device() = default;
  virtual const char* name() const = 0;
  // Back to the power-on state.
  virtual void reset() {}
  // The device state in a stable text form, one `key=value` a line. Empty for stateless
  // devices.
  virtual std::string dump() const { return {}; }
  // Snapshot support: write the whole state / read it back (same order). load() validates
  // every value and throws StateError for a malformed one.
  virtual void save(StateWriter&) const {}
  virtual void load(StateReader&) {}
};

}  // namespace platform
