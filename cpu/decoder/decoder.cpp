// cpu/decoder/decoder.cpp — prefix, ModRM/SIB and immediate decoding (SDM Vol.2 ch.2).
#include "cpu/decoder/decoder.h"

#include "cpu/decoder/opmap.h"
#include "cpu/exec/handlers.h"
#include "cpu/state.h"

namespace cpu {

namespace {

struct TooLongError {};

class Reader {
 public:
  explicit Reader(ByteSource& s) : src_(s) {}
  uint8_t u8() {
    if (pos_ >= 15) throw TooLongError{};
    return src_.at(pos_++);
  }
  uint8_t peek() {
    if (pos_ >= 15) throw TooLongError{};
    return src_.at(pos_);
  }
  uint16_t u16() {
    uint16_t lo = u8();
    return uint16_t(lo | (u8() << 8));
  }
  uint32_t u32() {
    uint32_t lo = u16();
    return lo | (uint32_t(u16()) << 16);
  }
  unsigned pos() const { return pos_; }

 private:
  ByteSource& src_;
  unsigned pos_ = 0;
};

// `mod_ignored`: the opcode always names a register with r/m, whatever ModRM.mod says.
void decode_modrm(Reader& rd, Insn& i, bool mod_ignored) {
  const uint8_t m = rd.u8();
  i.has_modrm = true;
  i.modrm = m;
  i.mod = mod_ignored ? 3 : m >> 6;
  i.reg = (m >> 3) & 7;
  i.rm = m & 7;
  if (i.mod == 3) return;
  bool ss_default = false;
  if (i.adsize == 2) {
    // SDM Vol.2 Table 2-1: 16-bit addressing forms.
    static constexpr uint8_t kBase[8] = {RBX, RBX, RBP, RBP, kNoReg, kNoReg, RBP, RBX};
    static constexpr uint8_t kIndex[8] = {RSI, RDI, RSI, RDI, RSI, RDI, kNoReg, kNoReg};
    if (i.mod == 0 && i.rm == 6) {
      i.disp = rd.u16();
    } else {
      i.base = kBase[i.rm];
      i.index = kIndex[i.rm];
      ss_default = (i.base == RBP);
      if (i.mod == 1) i.disp = uint32_t(int32_t(int8_t(rd.u8())));
      else if (i.mod == 2) i.disp = rd.u16();
    }
  } else {
    // SDM Vol.2 Tables 2-2 and 2-3: 32-bit addressing forms with SIB.
    if (i.rm == 4) {
      const uint8_t sib = rd.u8();
      const uint8_t base = sib & 7, index = (sib >> 3) & 7;
      i.scale = sib >> 6;
      i.index = (index == 4) ? kNoReg : index;
      if (base == 5 && i.mod == 0) {
        i.disp = rd.u32();
      } else {
        i.base = base;
        ss_default = (base == RSP || base == RBP);
      }
    } else if (i.rm == 5 && i.mod == 0) {
      i.disp = rd.u32();
    } else {
      i.base = i.rm;
      ss_default = (i.rm == RBP);
    }
    if (i.mod == 1) i.disp = uint32_t(int32_t(int8_t(rd.u8())));
    else if (i.mod == 2) i.disp = rd.u32();
  }
  if (!i.seg_override) i.seg = ss_default ? SS : DS;
}

}  // namespace

DecodeResult decode(ByteSource& src, bool code32, Insn& i, const uint16_t* cost_table) {
  i = Insn{};
  i.opsize = code32 ? 4 : 2;
  i.adsize = code32 ? 4 : 2;
  i.seg = DS;
  DecodeResult res;
  Reader rd(src);
  try {
    uint8_t b;
    // Prefixes (SDM Vol.2 2.1.1), any order, the last segment override wins.
    for (;;) {
      b = rd.u8();
      switch (b) {
        case 0x26: i.seg = ES; i.seg_override = true; continue;
        case 0x2E: i.seg = CS; i.seg_override = true; continue;
        case 0x36: i.seg = SS; i.seg_override = true; continue;
        case 0x3E: i.seg = DS; i.seg_override = true; continue;
        case 0x64: i.seg = FS; i.seg_override = true; continue;
        case 0x65: i.seg = GS; i.seg_override = true; continue;
        case 0x66: i.opsize = code32 ? 2 : 4; i.p66 = true; continue;
        case 0x67: i.adsize = code32 ? 2 : 4; continue;
        case 0xF0: i.lock = true; continue;
        case 0xF2: case 0xF3: i.rep = b; continue;
        default: break;
      }
      break;
    }
    const OpDesc* d = &kOneByteMap[b];
    i.op = b;
    if (d->flags & kEscape) {
      b = rd.u8();
      i.op = uint16_t(kMap0F | b);
      d = &kTwoByteMap[b];
      // Three-byte maps 0F 38 / 0F 3A (SSSE3 and later) do not exist on this CPU, but for
      // the VMX instructions INVEPT (66 0F 38 80 /r) and INVVPID (66 0F 38 81 /r), memory
      // operand only (SDM Vol.3 30.3); the mandatory 66 prefix is checked by vt/. The third
      // byte always belongs to the opcode: any other 0F 38 xx is the invalid row (#UD),
      // three bytes long, so its length never depends on the bytes after it (found by
      // fuzz_decoder: a peek past the instruction made the exact bytes decode differently).
      if (b == 0x38) {
        const uint8_t b3 = rd.u8();
        if (b3 == 0x80 || b3 == 0x81) {
          i.op = uint16_t(kMap0F38 | b3);
          d = &kInvEptVpid;
        }
      }
    }
    // SDM Vol.2 "MOV—Move to/from Control Registers" and "MOV—Move to/from Debug
    // Registers" (0F 20-23): "The 2 bits in the mod field are ignored"; r/m is always a
    // general-purpose register, so no SIB or displacement follows.
    const bool mov_cr_dr = i.op >= (kMap0F | 0x20) && i.op <= (kMap0F | 0x23);
    if (d->flags & kModrm) decode_modrm(rd, i, mov_cr_dr);
    if (d->flags & kGroup) {
      const uint8_t grp = d->group;
      d = &kGroups[grp][i.reg];
      // Group 3 TEST takes an immediate that the other members do not.
      if (grp == G3 && i.reg < 2) i.imm = (i.op & 1) ? (i.opsize == 2 ? rd.u16() : rd.u32()) : rd.u8();
    }
    // The group row's own immediate flags live on the opcode row; fetch them now.
    const uint16_t fl = i.op >= kMap0F38 ? uint16_t(0)
                        : (i.op < kMap0F ? kOneByteMap[i.op] : kTwoByteMap[i.op & 0xFF]).flags;
    if (fl & kIb) i.imm = rd.u8();
    if (fl & kIbs) i.imm = uint64_t(int64_t(int8_t(rd.u8())));
    if (fl & kIw) i.imm = rd.u16();
    if (fl & kIz) i.imm = (i.opsize == 2) ? rd.u16() : rd.u32();
    if (fl & kJb) i.imm = uint64_t(int64_t(int8_t(rd.u8())));
    if (fl & kJz) i.imm = (i.opsize == 2) ? uint64_t(int64_t(int16_t(rd.u16()))) : uint64_t(int64_t(int32_t(rd.u32())));
    if (fl & kMoffs) i.imm = (i.adsize == 2) ? rd.u16() : rd.u32();
    if (fl & kPtr) {
      i.imm = (i.opsize == 2) ? rd.u16() : rd.u32();
      i.imm2 = rd.u16();
    }
    if (fl & kIwIb) {
      i.imm = rd.u16();
      i.imm2 = rd.u8();
    }
    i.len = uint8_t(rd.pos());
    i.fn = d->fn;
    i.cost = uint8_t(cost_table ? cost_table[static_cast<unsigned>(d->cost)] : 1);
    switch (d->cost) {
      case CostClass::Branch:
      case CostClass::CallRet:
      case CostClass::FarTransfer:
      case CostClass::Halt:
      case CostClass::Invalid:
      case CostClass::Serializing: i.ends_block = true; break;
      default: break;
    }
    if (d->flags & kInvalid) {
      i.fn = ud;
      res.status = DecodeResult::Invalid;
    } else if ((d->flags & kMemOnly) && i.mod == 3) {
      i.fn = ud;
      i.ends_block = true;
      res.status = DecodeResult::Invalid;
    } else if (i.lock && (!(d->flags & kLock) || !i.mem())) {
      // SDM Vol.2 "LOCK": #UD unless the instruction is one of the lockable ones with a
      // memory destination.
      i.fn = ud;
      i.ends_block = true;
      res.status = DecodeResult::LockInvalid;
    }
  } catch (const TooLongError&) {
    i.len = 15;
    i.fn = ud;
    i.ends_block = true;
    res.status = DecodeResult::TooLong;
  }
  return res;
}

namespace {
class BufferSource final : public ByteSource {
 public:
  BufferSource(const uint8_t* b, unsigned n) : b_(b), n_(n) {}
  uint8_t at(unsigned k) override {
    if (k >= n_) throw Short{};
    return b_[k];
  }
  struct Short {};

 private:
  const uint8_t* b_;
  unsigned n_;
};
}  // namespace

unsigned decode_bytes(const uint8_t* bytes, unsigned n, bool code32, Insn& out, DecodeResult* result) {
  BufferSource src(bytes, n);
  try {
    DecodeResult r = decode(src, code32, out, nullptr);
    if (result) *result = r;
    if (r.status == DecodeResult::TooLong) return 0;
    return out.len;
  } catch (const BufferSource::Short&) {
    return 0;
  }
}

}  // namespace cpu
