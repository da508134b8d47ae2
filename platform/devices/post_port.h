// platform/devices/post_port.h — the POST diagnostic port (0x80 by default).
//
// Firmware and CPU test ROMs write progress codes here (on a real PC a POST card shows
// them). Each write is reported through `on_write`, which the machine turns into a
// cpu::EventKind::PostCode event, and the last value is kept for the run summary. Reads
// return the last value written (as many chipsets latch it), 0xFF before any write.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "platform/port_bus.h"

namespace platform {

class PostPort final : public PortDevice {
 public:
  static constexpr uint16_t kDefaultPort = 0x80;
  using WriteFn = std::function<void(uint16_t port, unsigned size, uint32_t value)>;
  PostPort(uint16_t port, WriteFn on_write) : port_(port), on_write_(std::move(on_write)) {}

  const char* name() const override { return "post-port"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override { last_.reset(); writes_ = 0; }
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint16_t port() const { return port_; }
  std::optional<uint32_t> last() const { return last_; }
  uint64_t writes() const { return writes_; }

 private:
  uint16_t port_;
  WriteFn on_write_;
  std::optional<uint32_t> last_;
  uint64_t writes_ = 0;
};

}  // namespace platform
