// tests/diff/undefined.cpp — the undefined-results table (SDM Vol.2, the "Flags Affected"
// paragraph of each instruction; Vol.1 Appendix A, Table A-2 "Codes Describing Flags").
#include "tests/diff/undefined.h"

#include <cstring>

#include "cpu/decoder/opmap.h"
#include "cpu/state.h"

namespace difftest {

namespace {

using namespace cpu::flag;

// Operand-dependent parts of a rule.
enum class Rule : uint8_t {
  None,
  Shift,        // SHL/SAL/SHR/SAR: count 0 -> nothing; AF; OF if count > 1; CF for SHL/SHR
                // when count >= width
  Rotate,       // ROL/ROR/RCL/RCR: masked count 0 -> nothing; OF if masked count > 1
  DoubleShift,  // SHLD/SHRD: count 0 -> nothing; AF; OF if count > 1; count > width ->
                // every flag and the destination
  BitScan,      // BSF/BSR: source 0 -> destination undefined
  Bswap16,      // BSWAP with a 16-bit operand: destination undefined
  PushSreg,     // PUSH Sreg with a 32-bit operand: the upper 2 bytes of the slot
};

struct UndefinedRule {
  const char* mnemonic;  // as cpu::opcode_name gives it
  uint32_t flags;        // always undefined
  Rule rule;
  const char* sdm;       // where the SDM says so
};

constexpr uint32_t kAll = CF | PF | AF | ZF | SF | OF;

constexpr UndefinedRule kUndefinedRules[] = {
    {"and", AF, Rule::None, "SDM Vol.2 AND: AF undefined"},
    {"or", AF, Rule::None, "SDM Vol.2 OR: AF undefined"},
    {"xor", AF, Rule::None, "SDM Vol.2 XOR: AF undefined"},
    {"test", AF, Rule::None, "SDM Vol.2 TEST: AF undefined"},
    {"mul", SF | ZF | AF | PF, Rule::None, "SDM Vol.2 MUL: SF, ZF, AF, PF undefined"},
    {"imul", SF | ZF | AF | PF, Rule::None, "SDM Vol.2 IMUL: SF, ZF, AF, PF undefined"},
    {"div", kAll, Rule::None, "SDM Vol.2 DIV: CF, OF, SF, ZF, AF, PF undefined"},
    {"idiv", kAll, Rule::None, "SDM Vol.2 IDIV: CF, OF, SF, ZF, AF, PF undefined"},
    {"shl", 0, Rule::Shift, "SDM Vol.2 SAL/SAR/SHL/SHR: Flags Affected"},
    {"sal", 0, Rule::Shift, "SDM Vol.2 SAL/SAR/SHL/SHR: Flags Affected"},
    {"shr", 0, Rule::Shift, "SDM Vol.2 SAL/SAR/SHL/SHR: Flags Affected"},
    {"sar", 0, Rule::Shift, "SDM Vol.2 SAL/SAR/SHL/SHR: Flags Affected"},
    {"rol", 0, Rule::Rotate, "SDM Vol.2 RCL/RCR/ROL/ROR: OF defined only for 1-bit rotates"},
    {"ror", 0, Rule::Rotate, "SDM Vol.2 RCL/RCR/ROL/ROR: OF defined only for 1-bit rotates"},
    {"rcl", 0, Rule::Rotate, "SDM Vol.2 RCL/RCR/ROL/ROR: OF defined only for 1-bit rotates"},
    {"rcr", 0, Rule::Rotate, "SDM Vol.2 RCL/RCR/ROL/ROR: OF defined only for 1-bit rotates"},
    {"shld", 0, Rule::DoubleShift, "SDM Vol.2 SHLD: Flags Affected; count > size: result undefined"},
    {"shrd", 0, Rule::DoubleShift, "SDM Vol.2 SHRD: Flags Affected; count > size: result undefined"},
    {"bsf", CF | OF | SF | AF | PF, Rule::BitScan, "SDM Vol.2 BSF: source 0 -> destination undefined"},
    {"bsr", CF | OF | SF | AF | PF, Rule::BitScan, "SDM Vol.2 BSR: source 0 -> destination undefined"},
    {"bt", OF | SF | AF | PF, Rule::None, "SDM Vol.2 BT: OF, SF, AF, PF undefined"},
    {"bts", OF | SF | AF | PF, Rule::None, "SDM Vol.2 BTS: OF, SF, AF, PF undefined"},
    {"btr", OF | SF | AF | PF, Rule::None, "SDM Vol.2 BTR: OF, SF, AF, PF undefined"},
    {"btc", OF | SF | AF | PF, Rule::None, "SDM Vol.2 BTC: OF, SF, AF, PF undefined"},
    {"daa", OF, Rule::None, "SDM Vol.2 DAA: OF undefined"},
    {"das", OF, Rule::None, "SDM Vol.2 DAS: OF undefined"},
    {"aaa", OF | SF | ZF | PF, Rule::None, "SDM Vol.2 AAA: OF, SF, ZF, PF undefined"},
    {"aas", OF | SF | ZF | PF, Rule::None, "SDM Vol.2 AAS: OF, SF, ZF, PF undefined"},
    {"aam", OF | AF | CF, Rule::None, "SDM Vol.2 AAM: OF, AF, CF undefined"},
    {"aad", OF | AF | CF, Rule::None, "SDM Vol.2 AAD: OF, AF, CF undefined"},
    {"bswap", 0, Rule::Bswap16, "SDM Vol.2 BSWAP: 16-bit operand gives an undefined result"},
    {"push", 0, Rule::PushSreg,
     "SDM Vol.2 PUSH: a segment register pushed with a 32-bit operand is either zero-extended "
     "or written with a 16-bit move, leaving the upper 2 bytes unmodified"},
};

constexpr uint32_t mask_of(unsigned size) { return size >= 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1; }

unsigned wsize(const cpu::Insn& i) { return (i.op & 1) ? i.opsize : 1; }

// The r/m operand's value before the instruction.
uint32_t rm_value(const cpu::Insn& i, unsigned size, const Regs& r, const MemReader& mem) {
  if (i.mod == 3) {
    if (size == 1) return i.rm < 4 ? r.gpr[i.rm] & 0xFF : (r.gpr[i.rm - 4] >> 8) & 0xFF;
    return r.gpr[i.rm] & mask_of(size);
  }
  return uint32_t(mem(effective_address(i, r), size));
}

void set_dest_undefined(Undefined& u, const cpu::Insn& i, unsigned size, bool reg_field,
                        const Regs& r) {
  if (reg_field || i.mod == 3) {
    const unsigned n = reg_field ? i.reg : i.rm;
    u.gpr_bits[n] |= mask_of(size);
  } else {
    u.mem_addr = effective_address(i, r);
    u.mem_len = size;
  }
}

}  // namespace

uint32_t effective_address(const cpu::Insn& i, const Regs& r) {
  uint32_t ea = i.disp;
  if (i.base != cpu::kNoReg) ea += r.gpr[i.base];
  if (i.index != cpu::kNoReg) ea += r.gpr[i.index] << i.scale;
  return i.adsize == 2 ? (ea & 0xFFFF) : ea;
}

Undefined undefined_after(const cpu::Insn& i, const Regs& before, bool code32, const MemReader& mem) {
  Undefined u;
  const char* name = cpu::opcode_name(i.op, i.reg);
  const UndefinedRule* rule = nullptr;
  for (const auto& row : kUndefinedRules)
    if (std::strcmp(row.mnemonic, name) == 0) rule = &row;
  if (!rule) return u;
  u.flags = rule->flags;
  switch (rule->rule) {
    case Rule::None:
      break;
    case Rule::Shift:
    case Rule::Rotate: {
      unsigned count;
      switch (i.op) {
        case 0xD0: case 0xD1: count = 1; break;
        case 0xD2: case 0xD3: count = before.gpr[cpu::RCX] & 0xFF; break;
        default: count = unsigned(i.imm); break;
      }
      count &= 0x1F;  // the masked count the SDM's rules speak of
      if (count == 0) break;  // flags not affected
      if (count > 1) u.flags |= OF;
      if (rule->rule == Rule::Shift) {
        u.flags |= AF;
        const bool sar = std::strcmp(name, "sar") == 0;
        if (!sar && count >= wsize(i) * 8) u.flags |= CF;
      }
      break;
    }
    case Rule::DoubleShift: {
      const unsigned count = unsigned((i.op & 1) ? (before.gpr[cpu::RCX] & 0xFF) : i.imm) & 0x1F;
      if (count == 0) break;
      u.flags |= AF;
      if (count > 1) u.flags |= OF;
      if (count > i.opsize * 8u) {
        u.flags |= kAll;
        set_dest_undefined(u, i, i.opsize, false, before);
      }
      break;
    }
    case Rule::BitScan:
      if (rm_value(i, i.opsize, before, mem) == 0) set_dest_undefined(u, i, i.opsize, true, before);
      break;
    case Rule::Bswap16:
      if (i.opsize == 2) u.gpr_bits[i.op & 7] |= 0xFFFF;
      break;
    case Rule::PushSreg: {
      const bool sreg = i.op == 0x06 || i.op == 0x0E || i.op == 0x16 || i.op == 0x1E ||
                        i.op == (cpu::kMap0F | 0xA0) || i.op == (cpu::kMap0F | 0xA8);
      if (!sreg || i.opsize != 4) break;
      // SS.B = CS.D in both of the harness's modes.
      const uint32_t sp_mask = code32 ? 0xFFFFFFFF : 0xFFFF;
      u.mem_addr = (before.gpr[cpu::RSP] - 4 + 2) & sp_mask;
      u.mem_len = 2;
      break;
    }
  }
  return u;
}

}  // namespace difftest
