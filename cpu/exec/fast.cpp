// cpu/exec/fast.cpp — specialised forms of the hottest instructions.
//
// The generic handlers in the family files decide operand size, register-or-memory and the
// ALU operation at run time. For the forms that dominate real code (register-register ALU
// operations, MOV, INC/DEC, Jcc with a 32-bit operand size) build_block() swaps in one of
// these, instantiated from templates with those decisions made at compile time. Semantics
// are identical to the generic handlers (the unit tests run both: blocks use these, the
// single-step path too, so every CPU test exercises them).
#include "cpu/exec/fast.h"

#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

enum AluOp : unsigned { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP };

template <unsigned Op>
inline uint32_t alu32(Cpu& c, uint32_t a, uint32_t b) {
  uint32_t r;
  if constexpr (Op == ADD) {
    r = a + b;
    c.set_lazy_add32(a, b, r);
  } else if constexpr (Op == ADC) {
    const uint32_t cin = c.cf();
    r = a + b + cin;
    c.set_lazy(Cpu::LazyOp::Adc, 4, a, b, r);
  } else if constexpr (Op == SBB) {
    const uint32_t cin = c.cf();
    r = a - b - cin;
    c.set_lazy(Cpu::LazyOp::Sbb, 4, a, b, r);
  } else if constexpr (Op == SUB || Op == CMP) {
    r = a - b;
    c.set_lazy_sub32(a, b, r);
  } else if constexpr (Op == OR) {
    r = a | b;
    c.set_lazy(Cpu::LazyOp::Logic, 4, a, b, r);
  } else if constexpr (Op == AND) {
    r = a & b;
    c.set_lazy(Cpu::LazyOp::Logic, 4, a, b, r);
  } else {
    r = a ^ b;
    c.set_lazy(Cpu::LazyOp::Logic, 4, a, b, r);
  }
  return r;
}

// op r/m32(reg), r32 (01, 09, ... with mod = 3).
template <unsigned Op>
void alu_rm_r32(Cpu& c, const Insn& i) {
  const uint32_t r = alu32<Op>(c, c.reg32(i.rm), c.reg32(i.reg));
  if constexpr (Op != CMP) c.set_reg32(i.rm, r);
}

// op r32, r/m32(reg) (03, 0B, ... with mod = 3).
template <unsigned Op>
void alu_r_rm32(Cpu& c, const Insn& i) {
  const uint32_t r = alu32<Op>(c, c.reg32(i.reg), c.reg32(i.rm));
  if constexpr (Op != CMP) c.set_reg32(i.reg, r);
}

// The effective address of a memory operand in one of the forms build_block tells apart:
// 32-bit addressing with a base register (bit 0 of F), an index register (bit 1), both or
// neither, each plus the displacement; or (F = kEaAny) whatever Cpu::ea handles.
constexpr unsigned kEaAny = 4;
template <unsigned F>
inline uint64_t ea_form(const Cpu& c, const Insn& i) {
  if constexpr (F == kEaAny) {
    return c.ea(i);
  } else {
    uint32_t a = i.disp;
    if constexpr (F & 1) a += c.reg32(i.base);
    if constexpr (F & 2) a += c.reg32(i.index) << i.scale;
    return a;
  }
}
unsigned ea_form_of(const Insn& i) {
  if (i.adsize != 4) return kEaAny;
  return (i.base != kNoReg ? 1u : 0u) | (i.index != kNoReg ? 2u : 0u);
}

// op r32, r/m32(memory).
template <unsigned Op, unsigned F>
void alu_r_m32(Cpu& c, const Insn& i) {
  const uint32_t m = uint32_t(c.read_sized(i.seg, ea_form<F>(c, i), 4));
  const uint32_t r = alu32<Op>(c, c.reg32(i.reg), m);
  if constexpr (Op != CMP) c.set_reg32(i.reg, r);
}

// op r/m32(memory), r32: read-modify-write (CMP only reads).
template <unsigned Op, unsigned F>
void alu_m_r32(Cpu& c, const Insn& i) {
  const uint64_t a = ea_form<F>(c, i);
  if constexpr (Op == CMP) {
    alu32<Op>(c, uint32_t(c.read_sized(i.seg, a, 4)), c.reg32(i.reg));
  } else if (uint8_t* h = c.rmw_host(i.seg, a, 4)) [[likely]] {
    uint32_t m;
    __builtin_memcpy(&m, h, 4);
    const uint32_t r = alu32<Op>(c, m, c.reg32(i.reg));
    __builtin_memcpy(h, &r, 4);
  } else {
    const uint32_t m = uint32_t(c.read_sized_rmw(i.seg, a, 4));
    const uint32_t r = alu32<Op>(c, m, c.reg32(i.reg));
    c.write_sized(i.seg, a, 4, r);
  }
}

// op r/m32(reg), imm (81 and 83 with mod = 3; the decoder sign-extended an 83 immediate).
template <unsigned Op>
void alu_rm_i32(Cpu& c, const Insn& i) {
  const uint32_t r = alu32<Op>(c, c.reg32(i.rm), uint32_t(i.imm));
  if constexpr (Op != CMP) c.set_reg32(i.rm, r);
}

// op EAX, imm32 (05, 0D, ...).
template <unsigned Op>
void alu_eax_i32(Cpu& c, const Insn& i) {
  const uint32_t r = alu32<Op>(c, c.reg32(RAX), uint32_t(i.imm));
  if constexpr (Op != CMP) c.set_reg32(RAX, r);
}

#define RINGSIDE_ALU_TABLE(name)                                                              \
  constexpr Handler name##_table[8] = {name<ADD>, name<OR>, name<ADC>, name<SBB>,             \
                                       name<AND>, name<SUB>, name<XOR>, name<CMP>};
RINGSIDE_ALU_TABLE(alu_rm_r32)
RINGSIDE_ALU_TABLE(alu_r_rm32)
RINGSIDE_ALU_TABLE(alu_rm_i32)
RINGSIDE_ALU_TABLE(alu_eax_i32)
#undef RINGSIDE_ALU_TABLE

// Memory forms, by ALU operation and effective-address form.
#define RINGSIDE_ALU_MEM_ROW(name, F)                                                          \
  {name<ADD, F>, name<OR, F>, name<ADC, F>, name<SBB, F>, name<AND, F>, name<SUB, F>,         \
   name<XOR, F>, name<CMP, F>}
#define RINGSIDE_ALU_MEM_TABLE(name)                                                          \
  constexpr Handler name##_table[5][8] = {                                                    \
      RINGSIDE_ALU_MEM_ROW(name, 0), RINGSIDE_ALU_MEM_ROW(name, 1), RINGSIDE_ALU_MEM_ROW(name, 2), \
      RINGSIDE_ALU_MEM_ROW(name, 3), RINGSIDE_ALU_MEM_ROW(name, kEaAny)};
RINGSIDE_ALU_MEM_TABLE(alu_r_m32)
RINGSIDE_ALU_MEM_TABLE(alu_m_r32)
#undef RINGSIDE_ALU_MEM_TABLE
#undef RINGSIDE_ALU_MEM_ROW

void test_rr32(Cpu& c, const Insn& i) {
  const uint32_t a = c.reg32(i.rm), b = c.reg32(i.reg);
  c.set_lazy(Cpu::LazyOp::Logic, 4, a, b, a & b);
}

void inc_r32(Cpu& c, const Insn& i) {
  const unsigned r = i.op & 7;
  const uint32_t a = c.reg32(r), res = a + 1;
  c.set_lazy_inc32(a, res);
  c.set_reg32(r, res);
}

void dec_r32(Cpu& c, const Insn& i) {
  const unsigned r = i.op & 7;
  const uint32_t a = c.reg32(r), res = a - 1;
  c.set_lazy_dec32(a, res);
  c.set_reg32(r, res);
}

void mov_rm_r32(Cpu& c, const Insn& i) { c.set_reg32(i.rm, c.reg32(i.reg)); }
void mov_r_rm32(Cpu& c, const Insn& i) { c.set_reg32(i.reg, c.reg32(i.rm)); }
template <unsigned F>
void mov_r_m32(Cpu& c, const Insn& i) {
  c.set_reg32(i.reg, uint32_t(c.read_sized(i.seg, ea_form<F>(c, i), 4)));
}
template <unsigned F>
void mov_m_r32(Cpu& c, const Insn& i) {
  c.write_sized(i.seg, ea_form<F>(c, i), 4, c.reg32(i.reg));
}
constexpr Handler kMovRM32[5] = {mov_r_m32<0>, mov_r_m32<1>, mov_r_m32<2>, mov_r_m32<3>,
                                 mov_r_m32<kEaAny>};
constexpr Handler kMovMR32[5] = {mov_m_r32<0>, mov_m_r32<1>, mov_m_r32<2>, mov_m_r32<3>,
                                 mov_m_r32<kEaAny>};
void mov_r_i32(Cpu& c, const Insn& i) { c.set_reg32(i.op & 7, uint32_t(i.imm)); }

template <unsigned Cc>
void jcc32(Cpu& c, const Insn& i) {
  if (c.condition(Cc)) c.jump_near(c.next_ip() + i.imm, 4);
}
constexpr Handler kJcc32[16] = {jcc32<0>,  jcc32<1>,  jcc32<2>,  jcc32<3>, jcc32<4>,  jcc32<5>,
                                jcc32<6>,  jcc32<7>,  jcc32<8>,  jcc32<9>, jcc32<10>, jcc32<11>,
                                jcc32<12>, jcc32<13>, jcc32<14>, jcc32<15>};

}  // namespace

Handler specialize(const Insn& i) {
  if (i.opsize != 4 || i.lock) return i.fn;
  const unsigned op = (i.op >> 3) & 7;
  const bool reg_form = i.has_modrm && i.mod == 3;
  if (i.fn == alu_E_G && (i.op & 1))
    return reg_form ? alu_rm_r32_table[op] : alu_m_r32_table[ea_form_of(i)][op];
  if (i.fn == alu_G_E && (i.op & 1))
    return reg_form ? alu_r_rm32_table[op] : alu_r_m32_table[ea_form_of(i)][op];
  if (i.fn == alu_A_I && (i.op & 1)) return alu_eax_i32_table[op];
  if (i.fn == grp1_E_I && (i.op == 0x81 || i.op == 0x83) && reg_form) return alu_rm_i32_table[i.reg];
  if (i.fn == test_E_G && i.op == 0x85 && reg_form) return test_rr32;
  if (i.fn == inc_r) return inc_r32;
  if (i.fn == dec_r) return dec_r32;
  if (i.fn == mov_E_G && i.op == 0x89) return reg_form ? mov_rm_r32 : kMovMR32[ea_form_of(i)];
  if (i.fn == mov_G_E && i.op == 0x8B) return reg_form ? mov_r_rm32 : kMovRM32[ea_form_of(i)];
  if (i.fn == mov_r_I) return mov_r_i32;
  if (i.fn == jcc_J) return kJcc32[i.op & 0xF];
  return i.fn;
}

}  // namespace cpu
