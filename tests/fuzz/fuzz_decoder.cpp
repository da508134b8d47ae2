// tests/fuzz/fuzz_decoder.cpp — arbitrary bytes through cpu::decode_bytes in 16- and
// 32-bit code.
//
// Invariants (SDM Vol.2 2.3.11: an instruction is at most 15 bytes):
//   - the length returned is at most 15, and at most the bytes available;
//   - decoding is deterministic: the same bytes give the same Insn;
//   - decoding is prefix-closed: the instruction's own bytes alone decode to the same
//     Insn, and bytes after it do not change it.
#include <cstring>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

bool same(const cpu::Insn& a, const cpu::Insn& b) {
  return a.fn == b.fn && a.op == b.op && a.len == b.len && a.modrm == b.modrm &&
         a.mod == b.mod && a.reg == b.reg && a.rm == b.rm && a.seg == b.seg &&
         a.opsize == b.opsize && a.adsize == b.adsize && a.rep == b.rep && a.lock == b.lock &&
         a.p66 == b.p66 && a.seg_override == b.seg_override && a.has_modrm == b.has_modrm &&
         a.base == b.base && a.index == b.index && a.scale == b.scale && a.disp == b.disp &&
         a.imm == b.imm && a.imm2 == b.imm2 && a.ends_block == b.ends_block;
}

void check_mode(const uint8_t* data, size_t size, bool code32) {
  // Copy into an exactly-sized heap buffer so ASan catches any read past the end.
  const unsigned n = unsigned(size < 32 ? size : 32);
  std::vector<uint8_t> buf(data, data + n);

  cpu::Insn a, b;
  cpu::DecodeResult ra, rb;
  const unsigned la = cpu::decode_bytes(buf.data(), n, code32, a, &ra);
  const unsigned lb = cpu::decode_bytes(buf.data(), n, code32, b, &rb);
  FUZZ_CHECK(la <= 15);
  FUZZ_CHECK(la <= n);
  FUZZ_CHECK(la == lb && ra.status == rb.status);
  if (la == 0) return;
  FUZZ_CHECK(a.len == la);
  FUZZ_CHECK(same(a, b));

  // Only the instruction's own bytes: the same result.
  std::vector<uint8_t> exact(buf.begin(), buf.begin() + la);
  cpu::Insn c;
  cpu::DecodeResult rc;
  const unsigned lc = cpu::decode_bytes(exact.data(), la, code32, c, &rc);
  FUZZ_CHECK(lc == la && rc.status == ra.status);
  FUZZ_CHECK(same(a, c));

  // Other bytes after it: still the same instruction.
  std::vector<uint8_t> padded(exact);
  padded.resize(32, 0x90 ^ uint8_t(size));
  cpu::Insn d;
  cpu::DecodeResult rd;
  const unsigned ld = cpu::decode_bytes(padded.data(), unsigned(padded.size()), code32, d, &rd);
  FUZZ_CHECK(ld == la && rd.status == ra.status);
  FUZZ_CHECK(same(a, d));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Every suffix start in the first few bytes: one input checks several instructions.
  for (size_t off = 0; off < size && off < 4; ++off) {
    check_mode(data + off, size - off, false);
    check_mode(data + off, size - off, true);
  }
  return 0;
}
