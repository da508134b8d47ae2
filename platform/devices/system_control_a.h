// platform/devices/system_control_a.h — System Control Port A at 0x92 ("fast A20" and
// "fast reset"), as IBM PS/2 machines introduced it and PC chipsets keep it (e.g. Intel
// 82371AB PIIX4 datasheet, Port 92h).
//
//   bit 0  fast reset: writing 1 where it was 0 pulses the CPU reset line
//   bit 1  fast A20: 1 enables address line 20 (ORed with the 8042's A20 output)
// The other bits are stored and read back without effect (as QEMU does); power-on value 0.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "platform/port_bus.h"

namespace platform {

class SystemControlA final : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0x92;
  struct Callbacks {
    std::function<void(bool enabled)> a20;
    std::function<void(const std::string& why)> reset;
  };
  explicit SystemControlA(Callbacks cb) : cb_(std::move(cb)) {}

  const char* name() const override { return "port92"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override { value_ = 0; }
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  bool a20() const { return value_ & 0x02; }
  uint8_t value() const { return value_; }

 private:
  Callbacks cb_;
  uint8_t value_ = 0;
};

}  // namespace platform
