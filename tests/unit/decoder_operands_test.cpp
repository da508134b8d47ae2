// Decoder cross-check against Capstone 4.0.2, operands: for every ModRM (and, for the SIB
// forms, every SIB) byte under representative opcodes, in 16- and 32-bit code with both
// address sizes and with segment overrides, Ringside's memory operand (segment, base,
// index, scale, displacement), its ModRM.reg register and its immediate must be what
// Capstone reports. The length cross-check is decoder_capstone_test.cpp.
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <utility>
#include <string>
#include <vector>

#include "cpu/decoder/decoder.h"
#include "cpu/state.h"

namespace {

using cpu::Insn;

// Capstone register ids of the eight 32-bit and 16-bit general registers, in encoding order.
constexpr x86_reg kReg32[8] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                               X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI};
constexpr x86_reg kReg16[8] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                               X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI};
constexpr x86_reg kSeg[6] = {X86_REG_ES, X86_REG_CS, X86_REG_SS,
                             X86_REG_DS, X86_REG_FS, X86_REG_GS};

x86_reg gpr(uint8_t r, unsigned size) {
  if (r == cpu::kNoReg) return X86_REG_INVALID;
  return size == 2 ? kReg16[r] : kReg32[r];
}

struct Detail {
  csh h = 0;
  cs_insn* insn = nullptr;
  explicit Detail(cs_mode mode) {
    if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) return;
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    insn = cs_malloc(h);
  }
  ~Detail() {
    if (insn) cs_free(insn, 1);
    if (h) cs_close(&h);
  }
  bool decode(const std::vector<uint8_t>& b) {
    const uint8_t* p = b.data();
    size_t n = b.size();
    uint64_t addr = 0;
    return cs_disasm_iter(h, &p, &n, &addr, insn);
  }
};

std::string hex(const std::vector<uint8_t>& b) {
  std::string s;
  char t[4];
  for (uint8_t x : b) {
    std::snprintf(t, sizeof t, "%02x ", x);
    s += t;
  }
  return s;
}

// Opcode (after prefixes), and whether ModRM.reg names a 32/16-bit register operand.
struct Form {
  std::vector<uint8_t> opcode;
  bool reg_operand;
  unsigned imm_bytes;  // 0, 1 (sign-extended) or 4/2 by operand size (value 4)
};

const Form kForms[] = {
    {{0x8B}, true, 0},        // mov r, r/m
    {{0x01}, true, 0},        // add r/m, r
    {{0x8D}, true, 0},        // lea r, m
    {{0x0F, 0xB6}, true, 0},  // movzx r, r/m8
    {{0x81}, false, 4},       // add r/m, imm (ModRM.reg = 0)
    {{0x83}, false, 1},       // add r/m, imm8 sign-extended
    {{0xC7}, false, 4},       // mov r/m, imm
};

TEST(DecoderOperands, MemoryRegisterAndImmediateOperandsAgreeWithCapstone) {
  std::mt19937_64 rng(0x4F50524E);
  unsigned compared = 0;
  for (bool code32 : {false, true}) {
    Detail cs(code32 ? CS_MODE_32 : CS_MODE_16);
    ASSERT_NE(cs.insn, nullptr);
    for (bool a67 : {false, true}) {
      const unsigned adsize = (code32 != a67) ? 4 : 2;
      const unsigned opsize = code32 ? 4 : 2;
      for (const Form& f : kForms) {
        for (unsigned modrm = 0; modrm < 256; ++modrm) {
          if ((modrm >> 6) == 3) continue;              // register forms: no memory operand
          if (f.opcode[0] == 0x81 || f.opcode[0] == 0x83 || f.opcode[0] == 0xC7)
            if ((modrm >> 3) & 7) continue;             // the /0 member only
          const bool sib = adsize == 4 && (modrm & 7) == 4;
          for (unsigned s = 0; s < (sib ? 256u : 1u); ++s) {
            std::vector<uint8_t> b;
            static constexpr uint8_t kSegPrefix[6] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};
            const unsigned seg = unsigned(rng() % 8);  // 6, 7: no override
            if (seg < 6) b.push_back(kSegPrefix[seg]);
            if (a67) b.push_back(0x67);
            b.insert(b.end(), f.opcode.begin(), f.opcode.end());
            b.push_back(uint8_t(modrm));
            if (sib) b.push_back(uint8_t(s));
            for (int k = 0; k < 8; ++k) b.push_back(uint8_t(rng()));  // disp + imm bytes
            Insn i;
            const unsigned len = cpu::decode_bytes(b.data(), unsigned(b.size()), code32, i);
            ASSERT_TRUE(cs.decode(b)) << hex(b);
            ASSERT_EQ(len, cs.insn->size) << hex(b);
            const cs_x86& x = cs.insn->detail->x86;
            const cs_x86_op* mem = nullptr;
            const cs_x86_op* reg = nullptr;
            const cs_x86_op* imm = nullptr;
            for (unsigned k = 0; k < x.op_count; ++k) {
              if (x.operands[k].type == X86_OP_MEM) mem = &x.operands[k];
              if (x.operands[k].type == X86_OP_REG && !reg) reg = &x.operands[k];
              if (x.operands[k].type == X86_OP_IMM) imm = &x.operands[k];
            }
            ASSERT_NE(mem, nullptr) << hex(b);
            const std::string where = hex(b) + (code32 ? " (32-bit code)" : " (16-bit code)");
            // With a scale of 1 base and index are interchangeable: 16-bit [si] is base SI
            // to Capstone and index SI to Ringside. Compare them as a pair then.
            x86_reg rb = gpr(i.base, adsize), ri = gpr(i.index, adsize);
            x86_reg cb = x86_reg(mem->mem.base), ci = x86_reg(mem->mem.index);
            if (i.scale == 0) {
              if (rb > ri) std::swap(rb, ri);
              if (cb > ci) std::swap(cb, ci);
            } else {
              EXPECT_EQ(mem->mem.scale, 1 << i.scale) << where;
            }
            EXPECT_EQ(cb, rb) << where;
            EXPECT_EQ(ci, ri) << where;
            // Displacements: Capstone sign-extends; Ringside keeps 32 bits (16 with a16).
            const uint64_t dmask = adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
            EXPECT_EQ(uint64_t(mem->mem.disp) & dmask, uint64_t(i.disp) & dmask) << where;
            // Capstone names the segment only when a prefix overrides it.
            if (i.seg_override) {
              EXPECT_EQ(mem->mem.segment, kSeg[i.seg]) << where;
            }
            if (f.reg_operand) {
              ASSERT_NE(reg, nullptr) << where;
              EXPECT_EQ(reg->reg, gpr(i.reg, opsize)) << where;
            }
            if (f.imm_bytes) {
              ASSERT_NE(imm, nullptr) << where;
              const uint64_t omask = opsize == 2 ? 0xFFFF : 0xFFFFFFFF;
              EXPECT_EQ(uint64_t(imm->imm) & omask, i.imm & omask) << where;
            }
            ++compared;
            if (::testing::Test::HasFailure()) return;  // one clear report, not thousands
          }
        }
      }
    }
  }
  EXPECT_GT(compared, 10000u);
}

}  // namespace
