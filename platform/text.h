// platform/text.h — small text helpers shared by messages and dumps.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace platform {

// "0x1f": lower-case hexadecimal with a 0x prefix, no padding.
inline std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace platform
