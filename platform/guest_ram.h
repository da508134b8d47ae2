// platform/guest_ram.h — the guest's RAM: one zeroed host buffer whose pages the host
// commits only when the guest (or a loader) first touches them.
//
// std::vector value-initialises its bytes, which writes every page up front: a 1 GiB guest
// would cost 1 GiB of host memory before it ran an instruction. calloc of a large block
// gets fresh zero pages from the kernel instead, committed on first write.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

namespace platform {

class GuestRam {
 public:
  GuestRam() = default;
  explicit GuestRam(uint64_t bytes) { resize(bytes); }

  void resize(uint64_t bytes) {
    void* p = std::calloc(bytes ? bytes : 1, 1);
    if (!p) throw std::bad_alloc();
    buf_.reset(static_cast<uint8_t*>(p));
    size_ = bytes;
  }
  uint64_t size() const { return size_; }
  uint8_t* data() { return buf_.get(); }
  const uint8_t* data() const { return buf_.get(); }
  uint8_t& operator[](uint64_t i) { return buf_[i]; }
  uint8_t operator[](uint64_t i) const { return buf_[i]; }
  operator std::span<uint8_t>() { return {buf_.get(), size_}; }
  operator std::span<const uint8_t>() const { return {buf_.get(), size_}; }

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t[], Free> buf_;
  uint64_t size_ = 0;
};

}  // namespace platform
