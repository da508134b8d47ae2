// tests/diff/forms.h — the instruction forms the generators draw from, read off Ringside's
// own opcode maps (kOneByteMap, kTwoByteMap, kGroups), minus the exclusions listed with
// their reasons in forms.cpp (kExclusions).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cpu/decoder/insn.h"
#include "tests/diff/case.h"

namespace difftest {

struct Form {
  uint16_t op;     // Ringside opcode number (kMap0F | byte for the 0F map)
  int8_t reg;      // ModRM.reg for a group member, -1 when the reg field is free
  uint16_t flags;  // decode flags of the opcode row (immediates) | the member's own flags
  cpu::Handler fn;
  const char* name;  // cpu::opcode_name
};

// Every form the harness may generate in `mode`. `sequence` drops the forms that leave
// straight-line code or make a sequence non-reproducible (see kExclusions).
std::vector<Form> valid_forms(CodeMode mode, bool sequence);

struct Exclusion {
  std::string what;
  std::string reason;
};
// The exclusion list, for the report and the README.
std::vector<Exclusion> exclusions();

}  // namespace difftest
