// platform/loaders/image.h — what every loader shares: the file bytes, the error type,
// bounds-checked little-endian reads, and the report of what was loaded.
//
// Loaders never trust a file: every offset and size is checked before use, and anything
// wrong becomes a LoadError whose message names the file and the problem, e.g.
//   "kernel.elf: program header 1 reaches past the end of the file (...)".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "platform/text.h"

namespace platform {

class LoadError : public std::runtime_error {
 public:
  LoadError(const std::string& file, const std::string& problem)
      : std::runtime_error(file + ": " + problem), file_(file), problem_(problem) {}
  const std::string& file() const { return file_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_, problem_;
};

struct Image {
  std::string name;            // the path as given (messages only; never enters the guest)
  std::vector<uint8_t> bytes;  // the file, or its first max_bytes
  uint64_t file_size = 0;      // the whole file's size (>= bytes.size())

  // Little-endian reads; nullopt when [off, off + n) is outside `bytes`.
  std::optional<uint16_t> u16(uint64_t off) const;
  std::optional<uint32_t> u32(uint64_t off) const;
  // The same, throwing LoadError("... <what> lies beyond the end of the file").
  uint16_t need_u16(uint64_t off, const char* what) const;
  uint32_t need_u32(uint64_t off, const char* what) const;
  bool contains(uint64_t off, uint64_t len) const {
    return off <= bytes.size() && len <= bytes.size() - off;
  }
  std::span<const uint8_t> slice(uint64_t off, uint64_t len) const {
    return std::span<const uint8_t>(bytes).subspan(off, len);
  }
  [[noreturn]] void fail(const std::string& problem) const { throw LoadError(name, problem); }
};

// Reads a regular file. With max_bytes, only that many bytes are kept (file_size still
// reports the whole size). Throws LoadError when the file cannot be read.
Image read_image(const std::string& path, uint64_t max_bytes = UINT64_MAX);
// An image from memory (tests, generated payloads).
Image make_image(std::string name, std::vector<uint8_t> bytes);

// What a loader put where, and how the CPU will start.
struct LoadedRange {
  uint64_t start = 0, length = 0;
  std::string what;  // "segment 0", "module initrd", "boot information", ...
};
struct LoadReport {
  std::string format;  // "elf32", "multiboot", "boot image", "bios", "flat"
  uint64_t entry = 0;  // physical entry address
  std::vector<LoadedRange> ranges;
  std::vector<std::string> notes;  // warnings worth showing (no boot signature, ...)
  std::string describe() const;    // one line per range, for stderr
};

}  // namespace platform
