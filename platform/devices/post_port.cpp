// platform/devices/post_port.cpp — see post_port.h.
#include "platform/devices/post_port.h"

namespace platform {

uint32_t PostPort::io_read(uint16_t, unsigned size) { return last_ ? *last_ : all_ones(size); }

void PostPort::io_write(uint16_t port, unsigned size, uint32_t value) {
  last_ = value;
  ++writes_;
  if (on_write_) on_write_(port, size, value);
}

std::string PostPort::dump() const {
  return "last=" + (last_ ? std::to_string(*last_) : std::string("none")) +
         "\nwrites=" + std::to_string(writes_) + "\n";
}

}  // namespace platform
