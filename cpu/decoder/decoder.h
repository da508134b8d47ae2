// cpu/decoder/decoder.h — turns instruction bytes into an Insn using the opcode maps.
//
// The decoder knows encodings only: prefixes, ModRM/SIB, displacement and immediates
// (SDM Vol.2 ch.2). It raises #UD for invalid opcodes and misplaced LOCK, and #GP(0) when an
// instruction would be longer than 15 bytes. Semantics live in exec/.
#pragma once

#include <cstdint>

#include "cpu/cycles/model.h"
#include "cpu/decoder/insn.h"

namespace cpu {

// Byte source for the decoder: returns the byte at offset `k` from the instruction start,
// fetching (and faulting) as needed. `k` grows by one each call.
class ByteSource {
 public:
  virtual uint8_t at(unsigned k) = 0;

 protected:
  ~ByteSource() = default;
};

struct DecodeResult {
  enum Status : uint8_t { Ok, Invalid, TooLong, LockInvalid } status = Ok;
};

// Decodes one instruction. `code32` is CS.D (default operand and address size 32).
// On Invalid/LockInvalid the Insn still has its length and prefixes so a caller can report
// it; executing it raises #UD.
DecodeResult decode(ByteSource& src, bool code32, Insn& out, const uint16_t* cost_table);

// Decodes from a byte buffer (for tests and the disassembly cross-check). Returns the
// length, or 0 when the buffer is too short or the instruction is longer than 15 bytes.
unsigned decode_bytes(const uint8_t* bytes, unsigned n, bool code32, Insn& out,
                      DecodeResult* result = nullptr);

}  // namespace cpu
