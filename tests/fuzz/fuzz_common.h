// tests/fuzz/fuzz_common.h — helpers shared by the libFuzzer targets: little-endian reads
// that yield 0 past the end of the input, an ostream that discards, and a check that
// aborts (so libFuzzer records the input) with a message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <streambuf>

namespace fuzz {

// The fuzz input as a little-endian byte source; bytes past the end read as 0, so every
// input, however short, is a valid configuration.
struct Input {
  const uint8_t* data;
  size_t size;

  uint8_t u8(size_t off) const { return off < size ? data[off] : 0; }
  uint16_t u16(size_t off) const { return uint16_t(u8(off) | u8(off + 1) << 8); }
  uint32_t u32(size_t off) const { return uint32_t(u16(off)) | uint32_t(u16(off + 2)) << 16; }
  uint64_t u64(size_t off) const { return uint64_t(u32(off)) | uint64_t(u32(off + 4)) << 32; }
  // The bytes from `off` on (empty when the input is shorter).
  const uint8_t* tail(size_t off) const { return data + (off < size ? off : size); }
  size_t tail_size(size_t off) const { return off < size ? size - off : 0; }
};

// A stream that throws everything away (trace writers under test need somewhere to write).
class NullBuf final : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};
struct NullStream : std::ostream {
  NullStream() : std::ostream(&buf) {}
  NullBuf buf;
};

// An invariant a target checks: on failure, say which and abort (libFuzzer saves the input).
#define FUZZ_CHECK(cond)                                                             \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, \
                   #cond);                                                           \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)

}  // namespace fuzz
