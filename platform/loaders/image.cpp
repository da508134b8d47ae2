// platform/loaders/image.cpp — see image.h.
#include "platform/loaders/image.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <sys/stat.h>

namespace platform {

std::optional<uint16_t> Image::u16(uint64_t off) const {
  if (!contains(off, 2)) return std::nullopt;
  return uint16_t(bytes[off] | bytes[off + 1] << 8);
}

std::optional<uint32_t> Image::u32(uint64_t off) const {
  if (!contains(off, 4)) return std::nullopt;
  return uint32_t(bytes[off]) | uint32_t(bytes[off + 1]) << 8 | uint32_t(bytes[off + 2]) << 16 |
         uint32_t(bytes[off + 3]) << 24;
}

uint16_t Image::need_u16(uint64_t off, const char* what) const {
  auto v = u16(off);
  if (!v) fail(std::string(what) + " (at offset " + hex(off) + ") lies beyond the end of the file");
  return *v;
}

uint32_t Image::need_u32(uint64_t off, const char* what) const {
  auto v = u32(off);
  if (!v) fail(std::string(what) + " (at offset " + hex(off) + ") lies beyond the end of the file");
  return *v;
}

Image read_image(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw LoadError(path, std::string("cannot open: ") + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) throw LoadError(path, "not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LoadError(path, std::string("cannot open: ") + std::strerror(errno));
  Image img;
  img.name = path;
  img.file_size = uint64_t(st.st_size);
  const uint64_t want = std::min<uint64_t>(img.file_size, max_bytes);
  img.bytes.resize(want);
  if (want > 0 && !in.read(reinterpret_cast<char*>(img.bytes.data()), std::streamsize(want))) {
    throw LoadError(path, "read error after " + std::to_string(in.gcount()) + " bytes");
  }
  return img;
}

Image make_image(std::string name, std::vector<uint8_t> bytes) {
  Image img;
  img.name = std::move(name);
  img.file_size = bytes.size();
  img.bytes = std::move(bytes);
  return img;
}

std::string LoadReport::describe() const {
  std::string out = format + ", entry " + hex(entry) + "\n";
  for (const LoadedRange& r : ranges) {
    out += "  [" + hex(r.start) + ", " + hex(r.start + r.length) + ") " + r.what + "\n";
  }
  for (const std::string& n : notes) out += "  note: " + n + "\n";
  return out;
}

}  // namespace platform
