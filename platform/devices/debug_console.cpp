// platform/devices/debug_console.cpp — see debug_console.h.
#include "platform/devices/debug_console.h"

namespace platform {

uint32_t DebugConsole::io_read(uint16_t, unsigned) { return 0xE9; }

void DebugConsole::io_write(uint16_t, unsigned, uint32_t value) {
  ++bytes_;
  if (sink_) sink_(uint8_t(value));
}

std::string DebugConsole::dump() const { return "bytes_written=" + std::to_string(bytes_) + "\n"; }

void DebugConsole::save(StateWriter& w) const {
  w.section("debug-console");
  w.u64(bytes_);
}

void DebugConsole::load(StateReader& r) {
  r.section("debug-console");
  bytes_ = r.u64();
}

}  // namespace platform
