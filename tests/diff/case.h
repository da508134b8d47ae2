// tests/diff/case.h — one differential test case: code bytes, initial registers and the
// initial contents of the data window, for one code mode.
//
// Memory layout (the same on Ringside's TestBus and in Unicorn, which maps only these two
// regions, so any access outside them is reported by Unicorn as unmapped and the case is
// skipped rather than compared):
//   code   at kCodeBase, kCodeSize bytes
//   data   at data_base(mode), kDataSize bytes; the stack lives in its upper half
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace difftest {

// Real16: real-address mode, CS=DS=ES=SS=FS=GS=0 (Unicorn UC_MODE_16).
// Flat32: flat 32-bit protected mode at CPL 0, paging off (Unicorn UC_MODE_32).
enum class CodeMode : uint8_t { Real16, Flat32 };
const char* mode_name(CodeMode m);

constexpr uint32_t kCodeBase = 0x1000;
constexpr uint32_t kCodeSize = 0x2000;
constexpr uint32_t kDataSize = 0x2000;
// Below 64 KiB in both modes, so 16-bit offsets (real mode, or a 67 prefix in 32-bit
// code) reach it with segment base 0.
constexpr uint32_t data_base(CodeMode) { return 0x8000; }

struct Regs {
  std::array<uint32_t, 8> gpr{};  // EAX ECX EDX EBX ESP EBP ESI EDI
  uint32_t eip = kCodeBase;
  uint32_t eflags = 2;
  bool operator==(const Regs&) const = default;
};

struct Case {
  CodeMode mode = CodeMode::Flat32;
  std::vector<uint8_t> code;     // placed at kCodeBase
  std::vector<uint32_t> starts;  // offset of each instruction in `code`
  Regs init;
  std::vector<uint8_t> data;     // kDataSize bytes placed at data_base(mode)
  uint64_t seed = 0;             // the generator seed that reproduces it
};

// Text forms for reports.
std::string hex_bytes(const uint8_t* p, size_t n);
std::string regs_text(const Regs& r);

}  // namespace difftest
