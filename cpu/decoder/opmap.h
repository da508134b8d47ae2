// cpu/decoder/opmap.h — the declarative opcode maps (one table per map, SDM Vol.2 App. A).
#pragma once

#include <cstdint>

#include "cpu/cycles/model.h"
#include "cpu/decoder/insn.h"

namespace cpu {

// Decode flags of one opcode.
enum : uint16_t {
  kModrm = 1 << 0,   // has a ModRM byte
  kIb = 1 << 1,      // imm8, zero-extended
  kIbs = 1 << 2,     // imm8, sign-extended
  kIw = 1 << 3,      // imm16
  kIz = 1 << 4,      // imm16 or imm32 by operand size
  kJb = 1 << 5,      // rel8, sign-extended
  kJz = 1 << 6,      // rel16/rel32 by operand size, sign-extended
  kPtr = 1 << 7,     // far pointer: offset (16/32 by operand size) then selector (imm2)
  kMoffs = 1 << 8,   // offset of address size
  kIwIb = 1 << 9,    // ENTER: imm16 then imm8 (imm2)
  kLock = 1 << 10,   // LOCK allowed (with a memory destination)
  kGroup = 1 << 11,  // handler chosen by ModRM.reg from a group table
  kMemOnly = 1 << 12,  // ModRM must name memory (#UD for mod=3)
  kPrefix = 1 << 13,   // a prefix byte (handled by the decoder itself)
  kEscape = 1 << 14,   // 0F: switch to the two-byte map
  kInvalid = 1 << 15,  // #UD
};

struct OpDesc {
  Handler fn;
  uint16_t flags;
  uint8_t group;  // with kGroup: index into kGroups
  CostClass cost;
};

enum Group : uint8_t {
  G1, G1A, G2, G3, G4, G5, G6, G7, G8, G9, G11, G_NOP, kGroupCount
};

extern const OpDesc kOneByteMap[256];
extern const OpDesc kTwoByteMap[256];
extern const OpDesc kGroups[kGroupCount][8];
extern const OpDesc kInvEptVpid;  // 66 0F 38 80/81

// Mnemonic of an opcode (for traces and statistics): "add", "grp1", ...
const char* opcode_name(uint16_t op, uint8_t reg);

}  // namespace cpu
