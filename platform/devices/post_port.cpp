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

void PostPort::save(StateWriter& w) const {
  w.section("post-port");
  w.boolean(last_.has_value());
  w.u32(last_.value_or(0));
  w.u64(writes_);
}

void PostPort::load(StateReader& r) {
  r.section("post-port");
  const bool has = r.boolean();
  const uint32_t v = r.u32();
  const uint64_t writes = r.u64();
  r.check(has || v == 0, "a last value without the written flag");
  r.check(has == (writes != 0), "last value and write count disagree");
  last_.reset();
  if (has) last_ = v;
  writes_ = writes;
}

}  // namespace platform
