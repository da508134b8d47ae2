// platform/devices/debug_console.h — the Bochs/QEMU "port E9 hack" debug console.
//
// Every byte written to the port is sent to the output sink at once (the guest's stdout).
// Reading the port returns 0xE9, which is how guests detect the console (QEMU debugcon's
// default `readback` value; Bochs does the same). A 16/32-bit write sends its low byte.
#pragma once

#include <cstdint>

#include "platform/port_bus.h"

namespace platform {

class DebugConsole final : public PortDevice {
 public:
  static constexpr uint16_t kDefaultPort = 0xE9;
  explicit DebugConsole(ByteSink sink) : sink_(std::move(sink)) {}

  const char* name() const override { return "debug-console"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint64_t bytes_written() const { return bytes_; }

 private:
  ByteSink sink_;
  uint64_t bytes_ = 0;
};

}  // namespace platform
