// platform/state_io.h — the byte format devices save their state in (snapshots, issue 6).
//
// A device writes its state field by field with StateWriter and reads it back with
// StateReader in the same order. The reader is for untrusted files: every read is bounds
// checked and throws StateError with a message naming the section and what was wrong;
// load() methods must also range-check values (a FIFO count above the FIFO depth, an enum
// out of range) with StateReader::check(), so a corrupt snapshot is a clear error, never
// undefined behaviour. Integers are little-endian.
//
//   StateWriter w;  w.section("pit8254");  w.u16(count);  w.boolean(gate);
//   StateReader r(w.data());  r.section("pit8254");  count = r.u16();  gate = r.boolean();
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace platform {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class StateWriter {
 public:
  void u8(uint8_t v) { buf_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  void bytes(std::span<const uint8_t> b) {
    u64(b.size());
    buf_.insert(buf_.end(), b.begin(), b.end());
  }
  void string(std::string_view s) {
    u64(s.size());
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  // A named marker: the reader checks it, so a device reading the wrong section (or a
  // file from another version) fails where the mismatch starts.
  void section(std::string_view name) { string(name); }

  const std::vector<uint8_t>& data() const { return buf_; }

 private:
  void put(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) buf_.push_back(uint8_t(v >> (8 * i)));
  }
  std::vector<uint8_t> buf_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const uint8_t> data) : d_(data) {}

  uint8_t u8() { return uint8_t(get(1)); }
  uint16_t u16() { return uint16_t(get(2)); }
  uint32_t u32() { return uint32_t(get(4)); }
  uint64_t u64() { return get(8); }
  bool boolean() {
    const uint8_t v = u8();
    check(v <= 1, "a boolean is " + std::to_string(v));
    return v != 0;
  }
  std::vector<uint8_t> bytes(uint64_t max_len) {
    const uint64_t n = u64();
    check(n <= max_len, "a byte string of " + std::to_string(n) + " bytes (at most " +
                            std::to_string(max_len) + " allowed)");
    need(n);
    std::vector<uint8_t> out(d_.begin() + long(pos_), d_.begin() + long(pos_ + n));
    pos_ += n;
    return out;
  }
  std::string string(uint64_t max_len = 4096) {
    const std::vector<uint8_t> b = bytes(max_len);
    return std::string(b.begin(), b.end());
  }
  void section(std::string_view name) {
    const std::string got = string(256);
    if (got != name) {
      throw StateError("state: expected section '" + std::string(name) + "' at byte " +
                       std::to_string(pos_) + ", found '" + got + "'");
    }
    section_ = name;
  }
  // Throws StateError("state: <section>: <what>") unless `ok`.
  void check(bool ok, const std::string& what) const {
    if (!ok) throw StateError("state: " + section_ + ": invalid value: " + what);
  }
  bool at_end() const { return pos_ == d_.size(); }
  size_t position() const { return pos_; }

 private:
  void need(uint64_t n) const {
    if (n > d_.size() - pos_) {
      throw StateError("state: " + section_ + ": truncated at byte " + std::to_string(pos_) +
                       " (needed " + std::to_string(n) + " more)");
    }
  }
  uint64_t get(int n) {
    need(uint64_t(n));
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t(d_[pos_ + size_t(i)]) << (8 * i);
    pos_ += size_t(n);
    return v;
  }
  std::span<const uint8_t> d_;
  size_t pos_ = 0;
  std::string section_ = "(start)";
};

}  // namespace platform
