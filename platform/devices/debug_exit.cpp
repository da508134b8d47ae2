// platform/devices/debug_exit.cpp — see debug_exit.h.
#include "platform/devices/debug_exit.h"

namespace platform {

uint32_t DebugExit::io_read(uint16_t, unsigned) { return 0; }

void DebugExit::io_write(uint16_t, unsigned, uint32_t value) {
  // QEMU debug_exit_write(): exit((val << 1) | 1), whatever the offset within the range.
  value_ = value;
  if (on_exit_) on_exit_(value);
}

std::string DebugExit::dump() const {
  return value_ ? "exit_value=" + std::to_string(*value_) + "\n" : "exit_value=none\n";
}

void DebugExit::save(StateWriter& w) const {
  w.section("isa-debug-exit");
  w.boolean(value_.has_value());
  w.u32(value_.value_or(0));
}

void DebugExit::load(StateReader& r) {
  r.section("isa-debug-exit");
  const bool has = r.boolean();
  const uint32_t v = r.u32();
  r.check(has || v == 0, "an exit value without the written flag");
  value_.reset();
  if (has) value_ = v;
}

}  // namespace platform
