// platform/devices/debug_exit.h — QEMU's isa-debug-exit device.
//
// Writing value v to any of its ports ends the run; the process exit status is
// (v << 1) | 1, so a guest can never produce status 0 this way (QEMU hw/misc/debugexit.c).
// Ringside maps it as `-device isa-debug-exit,iobase=0xf4,iosize=4` would: ports
// 0xF4-0xF7. Reads return 0 (the device has no read side). The machine passes a callback
// that stops the CPU.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "platform/port_bus.h"

namespace platform {

class DebugExit final : public PortDevice {
 public:
  static constexpr uint16_t kDefaultPort = 0xF4;
  static constexpr uint16_t kPorts = 4;
  // `on_exit(value)` is called for every write (the machine stops the CPU there).
  explicit DebugExit(std::function<void(uint32_t value)> on_exit) : on_exit_(std::move(on_exit)) {}

  const char* name() const override { return "isa-debug-exit"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override { value_.reset(); }
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // The value last written, if any.
  std::optional<uint32_t> value() const { return value_; }
  // (v << 1) | 1 for the value last written (an int, as QEMU passes it to exit()).
  std::optional<uint32_t> status() const {
    if (!value_) return std::nullopt;
    return (*value_ << 1) | 1;
  }

 private:
  std::function<void(uint32_t)> on_exit_;
  std::optional<uint32_t> value_;
};

}  // namespace platform
