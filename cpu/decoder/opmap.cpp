// cpu/decoder/opmap.cpp — the one-byte and 0F opcode maps and the ModRM groups.
//
// Each row: opcode, handler, decode flags, cost class. Source: SDM Vol.2 Appendix A
// (Tables ). Rows not listed are invalid (#UD).
#include "cpu/decoder/opmap.h"

#include <array>

#include "cpu/exec/handlers.h"

namespace cpu {

namespace {
using C = CostClass;
constexpr uint16_t M = kModrm, LK = kLock, MO = kMemOnly;

using Map = std::array<OpDesc, 256>;
constexpr OpDesc kUd{ud, kInvalid, 0, C::Invalid};

constexpr Map one_byte() {
  Map t{};
  for (auto& e : t) e = kUd;
  auto r = [&](unsigned op, Handler fn, uint16_t fl, C c) { t[op] = OpDesc{fn, fl, 0, c}; };
  auto g = [&](unsigned op, Group grp, uint16_t fl) { t[op] = OpDesc{nullptr, uint16_t(fl | kGroup | M), grp, C::Alu}; };
  auto prefix = [&](unsigned op) { t[op] = OpDesc{nullptr, kPrefix, 0, C::Nop}; };

  // 00-3F: the eight ALU operations, each in six forms (op bits 5:3 select the operation).
  for (unsigned base = 0; base < 0x40; base += 8) {
    const C cost = C::Alu;
    const uint16_t lk = (base == 0x38) ? 0 : LK;  // CMP cannot be locked
    r(base + 0, alu_E_G, M | lk, cost);
    r(base + 1, alu_E_G, M | lk, cost);
    r(base + 2, alu_G_E, M, cost);
    r(base + 3, alu_G_E, M, cost);
    r(base + 4, alu_A_I, kIb, cost);
    r(base + 5, alu_A_I, kIz, cost);
  }
  r(0x06, push_S, 0, C::Stack);
  r(0x07, pop_S, 0, C::SegLoad);
  r(0x0E, push_S, 0, C::Stack);
  t[0x0F] = OpDesc{nullptr, kEscape, 0, C::Nop};
  r(0x16, push_S, 0, C::Stack);
  r(0x17, pop_S, 0, C::SegLoad);
  r(0x1E, push_S, 0, C::Stack);
  r(0x1F, pop_S, 0, C::SegLoad);
  prefix(0x26);
  r(0x27, daa, 0, C::Bcd);
  prefix(0x2E);
  r(0x2F, das, 0, C::Bcd);
  prefix(0x36);
  r(0x37, aaa, 0, C::Bcd);
  prefix(0x3E);
  r(0x3F, aas, 0, C::Bcd);
  for (unsigned i = 0; i < 8; ++i) {
    r(0x40 + i, inc_r, 0, C::Alu);
    r(0x48 + i, dec_r, 0, C::Alu);
    r(0x50 + i, push_r, 0, C::Stack);
    r(0x58 + i, pop_r, 0, C::Stack);
  }
  r(0x60, pusha, 0, C::PushPopAll);
  r(0x61, popa, 0, C::PushPopAll);
  r(0x62, bound_G_M, M | MO, C::Branch);
  r(0x63, arpl_E_G, M, C::System);
  prefix(0x64);
  prefix(0x65);
  prefix(0x66);
  prefix(0x67);
  r(0x68, push_I, kIz, C::Stack);
  r(0x69, imul_G_E_I, M | kIz, C::Mul);
  r(0x6A, push_I, kIbs, C::Stack);
  r(0x6B, imul_G_E_I, M | kIbs, C::Mul);
  r(0x6C, ins, 0, C::Io);
  r(0x6D, ins, 0, C::Io);
  r(0x6E, outs, 0, C::Io);
  r(0x6F, outs, 0, C::Io);
  for (unsigned i = 0; i < 16; ++i) r(0x70 + i, jcc_J, kJb, C::Branch);
  g(0x80, G1, kIb);
  g(0x81, G1, kIz);
  g(0x82, G1, kIb);
  g(0x83, G1, kIbs);
  r(0x84, test_E_G, M, C::Alu);
  r(0x85, test_E_G, M, C::Alu);
  r(0x86, xchg_E_G, M | LK, C::Xchg);
  r(0x87, xchg_E_G, M | LK, C::Xchg);
  r(0x88, mov_E_G, M, C::Mov);
  r(0x89, mov_E_G, M, C::Mov);
  r(0x8A, mov_G_E, M, C::Mov);
  r(0x8B, mov_G_E, M, C::Mov);
  r(0x8C, mov_E_S, M, C::Mov);
  r(0x8D, lea_G_M, M | MO, C::Lea);
  r(0x8E, mov_S_E, M, C::SegLoad);
  g(0x8F, G1A, 0);
  r(0x90, xchg_A_r, 0, C::Nop);  // NOP, or PAUSE with F3 (the handler tells)
  for (unsigned i = 1; i < 8; ++i) r(0x90 + i, xchg_A_r, 0, C::Xchg);
  r(0x98, cbw, 0, C::Alu);
  r(0x99, cwd, 0, C::Alu);
  r(0x9A, call_far_A, kPtr, C::FarTransfer);
  r(0x9B, fwait, 0, C::Nop);
  r(0x9C, pushf, 0, C::Flags);
  r(0x9D, popf, 0, C::Flags);
  r(0x9E, sahf, 0, C::Alu);
  r(0x9F, lahf, 0, C::Alu);
  r(0xA0, mov_A_O, kMoffs, C::Load);
  r(0xA1, mov_A_O, kMoffs, C::Load);
  r(0xA2, mov_O_A, kMoffs, C::Store);
  r(0xA3, mov_O_A, kMoffs, C::Store);
  r(0xA4, movs, 0, C::String);
  r(0xA5, movs, 0, C::String);
  r(0xA6, cmps, 0, C::String);
  r(0xA7, cmps, 0, C::String);
  r(0xA8, test_A_I, kIb, C::Alu);
  r(0xA9, test_A_I, kIz, C::Alu);
  r(0xAA, stos, 0, C::String);
  r(0xAB, stos, 0, C::String);
  r(0xAC, lods, 0, C::String);
  r(0xAD, lods, 0, C::String);
  r(0xAE, scas, 0, C::String);
  r(0xAF, scas, 0, C::String);
  for (unsigned i = 0; i < 8; ++i) {
    r(0xB0 + i, mov_r8_I, kIb, C::Mov);
    r(0xB8 + i, mov_r_I, kIz, C::Mov);
  }
  g(0xC0, G2, kIb);
  g(0xC1, G2, kIb);
  r(0xC2, ret_near, kIw, C::CallRet);
  r(0xC3, ret_near, 0, C::CallRet);
  r(0xC4, lxs_G_M, M | MO, C::SegLoad);
  r(0xC5, lxs_G_M, M | MO, C::SegLoad);
  g(0xC6, G11, kIb);
  g(0xC7, G11, kIz);
  r(0xC8, enter, kIwIb, C::PushPopAll);
  r(0xC9, leave, 0, C::Stack);
  r(0xCA, ret_far, kIw, C::FarTransfer);
  r(0xCB, ret_far, 0, C::FarTransfer);
  r(0xCC, int3, 0, C::FarTransfer);
  r(0xCD, int_I, kIb, C::FarTransfer);
  r(0xCE, into, 0, C::FarTransfer);
  r(0xCF, iret_, 0, C::FarTransfer);
  g(0xD0, G2, 0);
  g(0xD1, G2, 0);
  g(0xD2, G2, 0);
  g(0xD3, G2, 0);
  r(0xD4, aam, kIb, C::Div);
  r(0xD5, aad, kIb, C::Bcd);
  r(0xD6, salc, 0, C::Alu);
  r(0xD7, xlat, 0, C::Load);
  for (unsigned i = 0; i < 8; ++i) r(0xD8 + i, fpu_esc, M, C::Invalid);
  r(0xE0, loop_J, kJb, C::Branch);
  r(0xE1, loop_J, kJb, C::Branch);
  r(0xE2, loop_J, kJb, C::Branch);
  r(0xE3, jcxz_J, kJb, C::Branch);
  r(0xE4, in_A_I, kIb, C::Io);
  r(0xE5, in_A_I, kIb, C::Io);
  r(0xE6, out_I_A, kIb, C::Io);
  r(0xE7, out_I_A, kIb, C::Io);
  r(0xE8, call_J, kJz, C::CallRet);
  r(0xE9, jmp_J, kJz, C::Branch);
  r(0xEA, jmp_far_A, kPtr, C::FarTransfer);
  r(0xEB, jmp_J, kJb, C::Branch);
  r(0xEC, in_A_DX, 0, C::Io);
  r(0xED, in_A_DX, 0, C::Io);
  r(0xEE, out_DX_A, 0, C::Io);
  r(0xEF, out_DX_A, 0, C::Io);
  prefix(0xF0);
  r(0xF1, int1, 0, C::FarTransfer);
  prefix(0xF2);
  prefix(0xF3);
  r(0xF4, hlt, 0, C::Halt);
  r(0xF5, cmc, 0, C::Alu);
  g(0xF6, G3, 0);  // TEST (reg 0/1) takes an immediate: the decoder adds it
  g(0xF7, G3, 0);
  r(0xF8, clc, 0, C::Alu);
  r(0xF9, stc, 0, C::Alu);
  r(0xFA, cli, 0, C::Flags);
  r(0xFB, sti, 0, C::Flags);
  r(0xFC, cld, 0, C::Alu);
  r(0xFD, std_, 0, C::Alu);
  g(0xFE, G4, 0);
  g(0xFF, G5, 0);
  return t;
}

constexpr Map two_byte() {
  Map t{};
  for (auto& e : t) e = kUd;
  auto r = [&](unsigned op, Handler fn, uint16_t fl, C c) { t[op] = OpDesc{fn, fl, 0, c}; };
  auto g = [&](unsigned op, Group grp, uint16_t fl) { t[op] = OpDesc{nullptr, uint16_t(fl | kGroup | M), grp, C::System}; };

  g(0x00, G6, 0);
  g(0x01, G7, 0);
  r(0x02, lar_G_E, M, C::System);
  r(0x03, lsl_G_E, M, C::System);
  r(0x06, clts, 0, C::System);
  r(0x08, invd, 0, C::Serializing);
  r(0x09, wbinvd, 0, C::Serializing);
  r(0x0B, ud2, 0, C::Invalid);
  // 0F 0D and 0F 18-1F: hint NOPs with a ModRM operand (SDM Vol.2 "NOP": 0F 1F /0).
  r(0x0D, nop_E, M, C::Nop);
  for (unsigned op = 0x18; op <= 0x1F; ++op) r(op, nop_E, M, C::Nop);
  // SSE/MMX: no such unit on this CPU (CPUID says so): #UD. ModRM decoded for the length.
  for (unsigned op = 0x10; op <= 0x17; ++op) r(op, sse_ud, M, C::Invalid);
  for (unsigned op = 0x28; op <= 0x2F; ++op) r(op, sse_ud, M, C::Invalid);
  for (unsigned op = 0x50; op <= 0x7F; ++op) r(op, sse_ud, M, C::Invalid);
  r(0x77, sse_ud, 0, C::Invalid);  // EMMS has no ModRM
  for (unsigned op = 0xD0; op <= 0xFE; ++op) r(op, sse_ud, M, C::Invalid);
  r(0x20, mov_R_C, M, C::System);
  r(0x21, mov_R_D, M, C::System);
  r(0x22, mov_C_R, M, C::Serializing);
  r(0x23, mov_D_R, M, C::Serializing);
  r(0x30, wrmsr, 0, C::Msr);
  r(0x31, rdtsc, 0, C::Rdtsc);
  r(0x32, rdmsr, 0, C::Msr);
  r(0x33, rdpmc, 0, C::Msr);
  r(0x34, sysenter, 0, C::FarTransfer);
  r(0x35, sysexit, 0, C::FarTransfer);
  for (unsigned i = 0; i < 16; ++i) {
    r(0x40 + i, cmovcc_G_E, M, C::Mov);
    r(0x80 + i, jcc_J, kJz, C::Branch);
    r(0x90 + i, setcc_E, M, C::Alu);
  }
  r(0x78, vmx_insn, M, C::System);  // VMREAD
  r(0x79, vmx_insn, M, C::System);  // VMWRITE
  r(0xA0, push_S, 0, C::Stack);
  r(0xA1, pop_S, 0, C::SegLoad);
  r(0xA2, cpuid, 0, C::Cpuid);
  r(0xA3, bt_E_G, M, C::Bit);
  r(0xA4, shld_E_G, M | kIb, C::Shift);
  r(0xA5, shld_E_G, M, C::Shift);
  r(0xA8, push_S, 0, C::Stack);
  r(0xA9, pop_S, 0, C::SegLoad);
  r(0xAA, rsm, 0, C::System);
  r(0xAB, bt_E_G, M | LK, C::Bit);
  r(0xAC, shrd_E_G, M | kIb, C::Shift);
  r(0xAD, shrd_E_G, M, C::Shift);
  r(0xAF, imul_G_E, M, C::Mul);
  r(0xB0, cmpxchg_E_G, M | LK, C::Locked);
  r(0xB1, cmpxchg_E_G, M | LK, C::Locked);
  r(0xB2, lxs_G_M, M | MO, C::SegLoad);
  r(0xB3, bt_E_G, M | LK, C::Bit);
  r(0xB4, lxs_G_M, M | MO, C::SegLoad);
  r(0xB5, lxs_G_M, M | MO, C::SegLoad);
  r(0xB6, movzx_G_E, M, C::Mov);
  r(0xB7, movzx_G_E, M, C::Mov);
  r(0xB9, ud, M | kInvalid, C::Invalid);  // UD1
  g(0xBA, G8, kIb);
  r(0xBB, bt_E_G, M | LK, C::Bit);
  r(0xBC, bsf_G_E, M, C::Bit);
  r(0xBD, bsr_G_E, M, C::Bit);
  r(0xBE, movsx_G_E, M, C::Mov);
  r(0xBF, movsx_G_E, M, C::Mov);
  r(0xC0, xadd_E_G, M | LK, C::Locked);
  r(0xC1, xadd_E_G, M | LK, C::Locked);
  r(0xC2, sse_ud, M | kIb, C::Invalid);
  r(0xC3, sse_ud, M, C::Invalid);
  r(0xC4, sse_ud, M | kIb, C::Invalid);
  r(0xC5, sse_ud, M | kIb, C::Invalid);
  r(0xC6, sse_ud, M | kIb, C::Invalid);
  g(0xC7, G9, 0);
  for (unsigned i = 0; i < 8; ++i) r(0xC8 + i, bswap_r, 0, C::Alu);
  r(0xFF, ud, M | kInvalid, C::Invalid);  // UD0
  return t;
}

using GroupTable = std::array<std::array<OpDesc, 8>, kGroupCount>;

constexpr GroupTable groups() {
  GroupTable t{};
  for (auto& row : t)
    for (auto& e : row) e = kUd;
  auto r = [&](Group grp, unsigned reg, Handler fn, uint16_t fl, C c) {
    t[grp][reg] = OpDesc{fn, fl, 0, c};
  };
  for (unsigned reg = 0; reg < 8; ++reg) r(G1, reg, grp1_E_I, reg == 7 ? 0 : LK, C::Alu);
  r(G1A, 0, pop_E, 0, C::Stack);
  for (unsigned reg = 0; reg < 8; ++reg) r(G2, reg, shift_E, 0, C::Shift);
  r(G3, 0, test_E_I, 0, C::Alu);
  r(G3, 1, test_E_I, 0, C::Alu);  // undocumented alias of /0
  r(G3, 2, not_E, LK, C::Alu);
  r(G3, 3, neg_E, LK, C::Alu);
  r(G3, 4, mul_E, 0, C::Mul);
  r(G3, 5, imul_E, 0, C::Mul);
  r(G3, 6, div_E, 0, C::Div);
  r(G3, 7, idiv_E, 0, C::Div);
  r(G4, 0, inc_E, LK, C::Alu);
  r(G4, 1, dec_E, LK, C::Alu);
  r(G5, 0, inc_E, LK, C::Alu);
  r(G5, 1, dec_E, LK, C::Alu);
  r(G5, 2, call_E, 0, C::CallRet);
  r(G5, 3, call_far_M, MO, C::FarTransfer);
  r(G5, 4, jmp_E, 0, C::Branch);
  r(G5, 5, jmp_far_M, MO, C::FarTransfer);
  r(G5, 6, push_E, 0, C::Stack);
  for (unsigned reg = 0; reg < 6; ++reg) r(G6, reg, grp6, 0, C::System);
  for (unsigned reg = 0; reg < 8; ++reg) r(G7, reg, grp7, 0, C::System);
  r(G8, 4, bt_E_I, 0, C::Bit);
  r(G8, 5, bt_E_I, LK, C::Bit);
  r(G8, 6, bt_E_I, LK, C::Bit);
  r(G8, 7, bt_E_I, LK, C::Bit);
  r(G9, 1, grp9, LK | MO, C::Locked);  // CMPXCHG8B (SDM Vol.2: #UD if not a memory operand)
  r(G9, 6, grp9, 0, C::System);        // VMPTRLD / VMCLEAR / VMXON
  r(G9, 7, grp9, 0, C::System);        // VMPTRST
  r(G11, 0, mov_E_I, 0, C::Mov);
  return t;
}
}  // namespace

constexpr Map kOne = one_byte();
constexpr Map kTwo = two_byte();
constexpr GroupTable kGrp = groups();

const OpDesc kOneByteMap[256] = {
#define ROW(n) kOne[n]
#define ROW8(n) ROW(n), ROW(n + 1), ROW(n + 2), ROW(n + 3), ROW(n + 4), ROW(n + 5), ROW(n + 6), ROW(n + 7)
#define ROW64(n) ROW8(n), ROW8(n + 8), ROW8(n + 16), ROW8(n + 24), ROW8(n + 32), ROW8(n + 40), ROW8(n + 48), ROW8(n + 56)
    ROW64(0), ROW64(64), ROW64(128), ROW64(192)};
#undef ROW
#define ROW(n) kTwo[n]
const OpDesc kTwoByteMap[256] = {ROW64(0), ROW64(64), ROW64(128), ROW64(192)};
// 66 0F 38 80 INVEPT / 66 0F 38 81 INVVPID (SDM Vol.3 30.3): memory operand only.
const OpDesc kInvEptVpid{vmx_insn, kModrm | kMemOnly, 0, CostClass::System};
#undef ROW
#undef ROW8
#undef ROW64

const OpDesc kGroups[kGroupCount][8] = {
#define GROW(g) {kGrp[g][0], kGrp[g][1], kGrp[g][2], kGrp[g][3], kGrp[g][4], kGrp[g][5], kGrp[g][6], kGrp[g][7]}
    GROW(0), GROW(1), GROW(2), GROW(3), GROW(4), GROW(5), GROW(6), GROW(7), GROW(8), GROW(9), GROW(10), GROW(11)};
#undef GROW

namespace {
const char* const kOneNames[256] = {
    "add", "add", "add", "add", "add", "add", "push", "pop", "or", "or", "or", "or", "or", "or", "push", "0f",
    "adc", "adc", "adc", "adc", "adc", "adc", "push", "pop", "sbb", "sbb", "sbb", "sbb", "sbb", "sbb", "push", "pop",
    "and", "and", "and", "and", "and", "and", "es:", "daa", "sub", "sub", "sub", "sub", "sub", "sub", "cs:", "das",
    "xor", "xor", "xor", "xor", "xor", "xor", "ss:", "aaa", "cmp", "cmp", "cmp", "cmp", "cmp", "cmp", "ds:", "aas",
    "inc", "inc", "inc", "inc", "inc", "inc", "inc", "inc", "dec", "dec", "dec", "dec", "dec", "dec", "dec", "dec",
    "push", "push", "push", "push", "push", "push", "push", "push", "pop", "pop", "pop", "pop", "pop", "pop", "pop", "pop",
    "pusha", "popa", "bound", "arpl", "fs:", "gs:", "o16", "a16", "push", "imul", "push", "imul", "insb", "ins", "outsb", "outs",
    "jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja", "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg",
    "grp1", "grp1", "grp1", "grp1", "test", "test", "xchg", "xchg", "mov", "mov", "mov", "mov", "mov", "lea", "mov", "pop",
    "nop", "xchg", "xchg", "xchg", "xchg", "xchg", "xchg", "xchg", "cbw", "cwd", "callf", "fwait", "pushf", "popf", "sahf", "lahf",
    "mov", "mov", "mov", "mov", "movsb", "movs", "cmpsb", "cmps", "test", "test", "stosb", "stos", "lodsb", "lods", "scasb", "scas",
    "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov", "mov",
    "grp2", "grp2", "ret", "ret", "les", "lds", "mov", "mov", "enter", "leave", "retf", "retf", "int3", "int", "into", "iret",
    "grp2", "grp2", "grp2", "grp2", "aam", "aad", "salc", "xlat", "fpu", "fpu", "fpu", "fpu", "fpu", "fpu", "fpu", "fpu",
    "loopne", "loope", "loop", "jcxz", "in", "in", "out", "out", "call", "jmp", "jmpf", "jmp", "in", "in", "out", "out",
    "lock", "int1", "repne", "rep", "hlt", "cmc", "grp3", "grp3", "clc", "stc", "cli", "sti", "cld", "std", "grp4", "grp5"};

const char* const kGroupNames[kGroupCount][8] = {
    {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"},
    {"pop", "?", "?", "?", "?", "?", "?", "?"},
    {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"},
    {"test", "test", "not", "neg", "mul", "imul", "div", "idiv"},
    {"inc", "dec", "?", "?", "?", "?", "?", "?"},
    {"inc", "dec", "call", "callf", "jmp", "jmpf", "push", "?"},
    {"sldt", "str", "lldt", "ltr", "verr", "verw", "?", "?"},
    {"sgdt", "sidt", "lgdt", "lidt", "smsw", "?", "lmsw", "invlpg"},
    {"?", "?", "?", "?", "bt", "bts", "btr", "btc"},
    {"?", "cmpxchg8b", "?", "?", "?", "?", "vmptrld", "vmptrst"},
    {"mov", "?", "?", "?", "?", "?", "?", "?"},
    {"nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop"}};

struct TwoName {
  uint8_t op;
  const char* name;
};
constexpr TwoName kTwoNames[] = {
    {0x02, "lar"}, {0x03, "lsl"}, {0x06, "clts"}, {0x08, "invd"}, {0x09, "wbinvd"}, {0x0B, "ud2"},
    {0x0D, "nop"}, {0x1F, "nop"}, {0x20, "mov cr"}, {0x21, "mov dr"}, {0x22, "mov cr"},
    {0x23, "mov dr"}, {0x30, "wrmsr"}, {0x31, "rdtsc"}, {0x32, "rdmsr"}, {0x33, "rdpmc"},
    {0x34, "sysenter"}, {0x35, "sysexit"}, {0x78, "vmread"}, {0x79, "vmwrite"}, {0xA0, "push"},
    {0xA1, "pop"}, {0xA2, "cpuid"}, {0xA3, "bt"}, {0xA4, "shld"}, {0xA5, "shld"}, {0xA8, "push"},
    {0xA9, "pop"}, {0xAA, "rsm"}, {0xAB, "bts"}, {0xAC, "shrd"}, {0xAD, "shrd"}, {0xAF, "imul"},
    {0xB0, "cmpxchg"}, {0xB1, "cmpxchg"}, {0xB2, "lss"}, {0xB3, "btr"}, {0xB4, "lfs"},
    {0xB5, "lgs"}, {0xB6, "movzx"}, {0xB7, "movzx"}, {0xBB, "btc"}, {0xBC, "bsf"}, {0xBD, "bsr"},
    {0xBE, "movsx"}, {0xBF, "movsx"}, {0xC0, "xadd"}, {0xC1, "xadd"}};
}  // namespace

const char* opcode_name(uint16_t op, uint8_t reg) {
  reg &= 7;
  if (op >= kMap0F38) return (op & 1) ? "invvpid" : "invept";
  if (op < kMap0F) {
    const OpDesc& d = kOneByteMap[op];
    if (d.flags & kGroup) return kGroupNames[d.group][reg];
    return kOneNames[op];
  }
  const uint8_t b = uint8_t(op);
  const OpDesc& d = kTwoByteMap[b];
  if (d.flags & kGroup) return kGroupNames[d.group][reg];
  if (b >= 0x40 && b <= 0x4F) return "cmovcc";
  if (b >= 0x80 && b <= 0x8F) return "jcc";
  if (b >= 0x90 && b <= 0x9F) return "setcc";
  if (b >= 0xC8 && b <= 0xCF) return "bswap";
  for (const auto& n : kTwoNames)
    if (n.op == b) return n.name;
  return (d.flags & kInvalid) ? "(bad)" : "sse";
}

}  // namespace cpu
