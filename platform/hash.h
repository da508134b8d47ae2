// platform/hash.h — FNV-1a 64-bit (Fowler/Noll/Vo, IETF draft-eastlake-fnv), the one hash
// used for state hashes and image fingerprints. Byte-order independent: integers are fed
// little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace platform {

class Fnv1a {
 public:
  static constexpr uint64_t kOffset = 0xcbf29ce484222325ull;
  static constexpr uint64_t kPrime = 0x100000001b3ull;

  void add(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    uint64_t h = h_;
    for (size_t i = 0; i < len; ++i) {
      h ^= p[i];
      h *= kPrime;
    }
    h_ = h;
  }
  void add_u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      const uint8_t b = uint8_t(v >> (8 * i));
      add(&b, 1);
    }
  }
  // Length-prefixed, so ("ab","c") and ("a","bc") differ.
  void add_string(std::string_view s) {
    add_u64(s.size());
    add(s.data(), s.size());
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = kOffset;
};

inline uint64_t fnv1a(const void* data, size_t len) {
  Fnv1a h;
  h.add(data, len);
  return h.value();
}

}  // namespace platform
