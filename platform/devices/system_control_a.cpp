// platform/devices/system_control_a.cpp — see system_control_a.h.
#include "platform/devices/system_control_a.h"

#include "platform/text.h"

namespace platform {

uint32_t SystemControlA::io_read(uint16_t, unsigned) { return value_; }

void SystemControlA::io_write(uint16_t, unsigned, uint32_t value) {
  const uint8_t old = value_, v = uint8_t(value);
  value_ = v;
  if (((old ^ v) & 0x02) && cb_.a20) cb_.a20(v & 0x02);
  if ((v & 0x01) && !(old & 0x01) && cb_.reset) {
    cb_.reset("the guest reset the machine through port 0x92 (fast reset)");
  }
}

std::string SystemControlA::dump() const { return "value=" + hex(value_) + "\n"; }

void SystemControlA::save(StateWriter& w) const {
  w.section("port92");
  w.u8(value_);
}

void SystemControlA::load(StateReader& r) {
  r.section("port92");
  value_ = r.u8();
}

}  // namespace platform
