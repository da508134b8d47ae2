// cpu/decoder/insn.h — one decoded instruction, as cached per physical address.
#pragma once

#include <cstdint>

namespace cpu {

class Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

constexpr uint8_t kNoReg = 0xFF;

// Opcode numbering: 0x000-0x0FF the one-byte map, 0x100-0x1FF the 0F map, 0x200-0x2FF the
// 0F 38 map (only INVEPT 0x280 and INVVPID 0x281 exist on this CPU).
constexpr uint16_t kMap0F = 0x100;
constexpr uint16_t kMap0F38 = 0x200;

struct Insn {
  Handler fn = nullptr;
  uint16_t op = 0;        // opcode number (see kMap0F)
  uint8_t len = 0;        // total length in bytes, prefixes included
  uint8_t modrm = 0;      // raw ModRM byte (0 when the opcode has none)
  uint8_t mod = 0, reg = 0, rm = 0;
  uint8_t seg = 0;        // segment of the memory operand (default or override)
  uint8_t opsize = 4;     // 2 or 4 (8 in long mode later)
  uint8_t adsize = 4;     // 2 or 4
  uint8_t rep = 0;        // 0, 0xF2 (REPNE) or 0xF3 (REP/REPE)
  bool lock = false;
  bool p66 = false;       // a 66 prefix was present (mandatory-prefix forms)
  bool seg_override = false;
  bool has_modrm = false;
  uint8_t base = kNoReg, index = kNoReg, scale = 0;
  uint32_t disp = 0;
  uint64_t imm = 0;   // first immediate (sign- or zero-extended as the table says)
  uint64_t imm2 = 0;  // second immediate (far pointer selector, ENTER level)
  uint8_t cost = 1;   // base cycle cost from the cycle model
  bool ends_block = false;  // a control transfer (or #UD): nothing after it is pre-decoded

  bool mem() const { return has_modrm && mod != 3; }
};

}  // namespace cpu
