// tests/unit/loader_test_util.h — helpers for platform, loader and CLI tests: a temporary
// directory, little-endian byte builders, an ELF32 image builder and a machine whose guest
// output is captured.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "platform/machine.h"

namespace ptest {

using Bytes = std::vector<uint8_t>;

// A fresh directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ringside-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const Bytes& data) const {
    const std::string p = file(name);
    std::ofstream out(p, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size()));
    return p;
  }

 private:
  std::filesystem::path path_;
};

inline void put16(Bytes& b, size_t off, uint16_t v) {
  if (b.size() < off + 2) b.resize(off + 2);
  b[off] = uint8_t(v);
  b[off + 1] = uint8_t(v >> 8);
}
inline void put32(Bytes& b, size_t off, uint32_t v) {
  if (b.size() < off + 4) b.resize(off + 4);
  for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
inline void put_bytes(Bytes& b, size_t off, const Bytes& data) {
  if (b.size() < off + data.size()) b.resize(off + data.size());
  std::copy(data.begin(), data.end(), b.begin() + off);
}
inline uint32_t get32(std::span<const uint8_t> b, uint64_t off) {
  return uint32_t(b[off]) | uint32_t(b[off + 1]) << 8 | uint32_t(b[off + 2]) << 16 |
         uint32_t(b[off + 3]) << 24;
}
inline uint64_t get64(std::span<const uint8_t> b, uint64_t off) {
  return get32(b, off) | uint64_t(get32(b, off + 4)) << 32;
}
inline std::string get_cstr(std::span<const uint8_t> b, uint64_t off) {
  std::string s;
  while (off < b.size() && b[off]) s += char(b[off++]);
  return s;
}

// ELF32 builder: header at 0, program headers at 52, segment data from 0x1000, each on
// its own 4 KiB-aligned file offset (TIS ELF 1.2 Figures 1-3 and 2-1).
struct ElfSeg {
  uint32_t vaddr = 0, paddr = 0;
  Bytes data;
  uint32_t memsz = 0;  // 0: data.size()
  uint32_t type = 1;   // PT_LOAD
};
struct ElfSpec {
  uint32_t entry = 0;
  std::vector<ElfSeg> segs;
  uint8_t cls = 1;        // ELFCLASS32
  uint16_t type = 2;      // ET_EXEC
  uint16_t machine = 3;   // EM_386
};
inline Bytes build_elf(const ElfSpec& spec) {
  Bytes b(52, 0);
  b[0] = 0x7F; b[1] = 'E'; b[2] = 'L'; b[3] = 'F';
  b[4] = spec.cls;
  b[5] = 1;  // little-endian
  b[6] = 1;  // EV_CURRENT
  put16(b, 16, spec.type);
  put16(b, 18, spec.machine);
  put32(b, 20, 1);
  put32(b, 24, spec.entry);
  put32(b, 28, 52);  // e_phoff
  put16(b, 40, 52);  // e_ehsize
  put16(b, 42, 32);  // e_phentsize
  put16(b, 44, uint16_t(spec.segs.size()));
  uint32_t off = 0x1000;
  for (size_t i = 0; i < spec.segs.size(); ++i) {
    const ElfSeg& s = spec.segs[i];
    const size_t ph = 52 + i * 32;
    put32(b, ph + 0, s.type);
    put32(b, ph + 4, off);
    put32(b, ph + 8, s.vaddr);
    put32(b, ph + 12, s.paddr);
    put32(b, ph + 16, uint32_t(s.data.size()));
    put32(b, ph + 20, s.memsz ? s.memsz : uint32_t(s.data.size()));
    put32(b, ph + 24, 5);  // R+X
    put32(b, ph + 28, 0x1000);
    put_bytes(b, off, s.data);
    off = (off + uint32_t(s.data.size()) + 0xFFF) & ~0xFFFu;
  }
  if (b.size() < 0x1000) b.resize(0x1000);
  return b;
}

// A Multiboot 1 header (Multiboot 0.6.96 3.1.1-3.1.3): 12 bytes, or 32 with the address
// fields when flags bit 16 is set.
struct MbAddr {
  uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};
inline Bytes multiboot_header(uint32_t flags, const MbAddr* addr = nullptr, bool good_checksum = true) {
  Bytes h;
  put32(h, 0, 0x1BADB002);
  put32(h, 4, flags);
  put32(h, 8, uint32_t(-(0x1BADB002u + flags)) + (good_checksum ? 0 : 1));
  if (addr) {
    put32(h, 12, addr->header_addr);
    put32(h, 16, addr->load_addr);
    put32(h, 20, addr->load_end_addr);
    put32(h, 24, addr->bss_end_addr);
    put32(h, 28, addr->entry_addr);
  }
  return h;
}

// A machine whose guest output is appended to `out`.
struct CapturedMachine {
  std::string out;
  platform::Machine m;
  explicit CapturedMachine(platform::MachineConfig cfg = {})
      : m([&] {
          cfg.output = [this](uint8_t b) { out += char(b); };
          return cfg;
        }()) {}
};

// Collects events.
struct EventLog : cpu::Observer {
  std::vector<cpu::Event> events;
  void on_event(const cpu::Event& e) override { events.push_back(e); }
  std::vector<cpu::Event> of(cpu::EventKind k) const {
    std::vector<cpu::Event> r;
    for (const auto& e : events) if (e.kind == k) r.push_back(e);
    return r;
  }
};

}  // namespace ptest
