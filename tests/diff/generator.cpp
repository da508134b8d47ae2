// tests/diff/generator.cpp — encodings, operand values and address set-up.
#include "tests/diff/generator.h"

#include <algorithm>
#include <cstring>

#include "cpu/decoder/opmap.h"
#include "cpu/exec/handlers.h"
#include "cpu/state.h"

namespace difftest {

namespace {

using cpu::kMap0F;

constexpr uint32_t kBoundary32[] = {
    0,          1,          2,          0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x80000001,
    0xFFFFFFFE, 0x7F,       0x80,       0xFF,       0x100,      0x7FFF,     0x8000,
    0xFFFF,     0x10000,    7,          8,          9,          15,         16,
    17,         31,         32,         33,         0x0F,       0x99,       0x9A};
constexpr uint8_t kBoundary8[] = {0, 1, 2, 0xFF, 0x80, 0x7F, 0x81, 0xFE, 7, 8, 9,
                                  15, 16, 17, 31, 32, 33, 0x0F, 0x99, 0x9A};

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint32_t u32() { return uint32_t(g_()); }
  uint64_t u64() { return g_(); }
  uint32_t below(uint32_t n) { return n ? uint32_t(g_() % n) : 0; }
  bool chance(unsigned percent) { return below(100) < percent; }
  uint32_t value32() {
    if (chance(40)) return kBoundary32[below(std::size(kBoundary32))];
    if (chance(20)) return below(64);
    return u32();
  }
  uint8_t value8() { return chance(50) ? kBoundary8[below(std::size(kBoundary8))] : uint8_t(u32()); }

 private:
  std::mt19937_64 g_;
};

// A register value the instruction needs when it executes. `mask`: the bits that matter
// (0xFFFF for 16-bit addressing).
struct Req {
  uint8_t reg;
  uint32_t value;
  uint32_t mask;
};

// One instruction being built.
struct Built {
  std::vector<uint8_t> bytes;
  std::vector<Req> reqs;
  int branch_at = -1;     // offset of a relative branch displacement
  unsigned branch_size = 0;
  bool popf = false;
};

bool is_string(cpu::Handler fn) {
  return fn == cpu::movs || fn == cpu::cmps || fn == cpu::stos || fn == cpu::lods || fn == cpu::scas;
}

void put(std::vector<uint8_t>& b, uint32_t v, unsigned n) {
  for (unsigned k = 0; k < n; ++k) b.push_back(uint8_t(v >> (8 * k)));
}
void patch(std::vector<uint8_t>& b, size_t at, uint32_t v, unsigned n) {
  for (unsigned k = 0; k < n; ++k) b[at + k] = uint8_t(v >> (8 * k));
}

class Builder {
 public:
  Builder(Rng& rng, CodeMode mode, bool sequence) : r_(rng), mode_(mode), seq_(sequence) {}

  // An address in the lower half of the data window, away from its edges.
  uint32_t target() { return data_base(mode_) + 64 + r_.below(kDataSize / 2 - 128); }

  Built build(const Form& f) {
    Built out;
    auto& b = out.bytes;
    const bool code32 = mode_ == CodeMode::Flat32;
    const bool p66 = r_.chance(25), p67 = r_.chance(12);
    const unsigned opsize = (code32 != p66) ? 4 : 2;
    const unsigned adsize = (code32 != p67) ? 4 : 2;
    const bool has_modrm = f.flags & cpu::kModrm;

    // ModRM first (it decides whether LOCK is legal).
    unsigned mod = 3, reg = 0, rm = 0;
    if (has_modrm) {
      // 0F 0D (PREFETCHW) and 0F 18 (PREFETCHh) are documented with an m8 operand only
      // (SDM Vol.2); their register forms, NOPs on Intel hardware, are #UD in Unicorn.
      const bool mem_only = (f.flags & cpu::kMemOnly) || f.op == (kMap0F | 0x0D) || f.op == (kMap0F | 0x18);
      mod = mem_only ? r_.below(3) : (r_.chance(40) ? 3 : r_.below(3));
      reg = f.reg >= 0 ? unsigned(f.reg) : r_.below(8);
      rm = r_.below(8);
      if (seq_) {  // keep ESP pointing at the stack: never name it as a register operand
        while (f.reg < 0 && reg == 4) reg = r_.below(8);
        while (mod == 3 && rm == 4) rm = r_.below(8);
      }
    }

    if (p66) b.push_back(0x66);
    if (p67) b.push_back(0x67);
    if (r_.chance(10)) {
      // Segment overrides (all bases are 0). Not CS in 32-bit code: QEMU does not check the
      // segment type on data writes (a write through CS must #GP; see README.md).
      static constexpr uint8_t kSeg32[] = {0x26, 0x36, 0x3E, 0x64, 0x65};
      static constexpr uint8_t kSeg16[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65};
      b.push_back(code32 ? kSeg32[r_.below(5)] : kSeg16[r_.below(6)]);
    }
    const bool mem = has_modrm && mod != 3;
    // LOCK only where it is legal: Unicorn 2.0.1 aborts the whole process ("tcg fatal
    // error" in code generation) on a misplaced LOCK — LOCK CMPS, LOCK CMP m,r, LOCK BTS
    // r,r — even ahead of execution, so the #UD of a misplaced LOCK is not compared
    // (README.md; unicorn-engine/unicorn issue 1716 is the same abort for FF D8).
    if ((f.flags & cpu::kLock) && mem && r_.chance(30)) b.push_back(0xF0);
    bool rep = false;
    if (is_string(f.fn) && r_.chance(50)) {
      b.push_back(r_.chance(50) ? 0xF3 : 0xF2);
      rep = true;
    }
    if (f.op == 0x90 && r_.chance(20)) b.push_back(0xF3);  // PAUSE

    if (f.op >= kMap0F) b.push_back(0x0F);
    b.push_back(uint8_t(f.op));

    // Operand constraints that come before the address registers (addresses win a clash).
    if (f.fn == cpu::bt_E_G && mem) {
      const uint32_t off = uint32_t(int32_t(r_.below(1024)) - 512);
      out.reqs.push_back({uint8_t(reg), off, 0xFFFFFFFF});
    }
    if ((f.fn == cpu::div_E || f.fn == cpu::idiv_E) && !seq_ && r_.chance(50)) {
      // Mostly non-faulting divisions: a small or sign-extended high half.
      out.reqs.push_back({cpu::RDX, r_.chance(50) ? 0 : 0xFFFFFFFF, 0xFFFFFFFF});
    }

    if (has_modrm) {
      b.push_back(uint8_t((mod << 6) | (reg << 3) | rm));
      if (mod != 3) encode_address(out, mod, rm, adsize);
    }

    // Immediates.
    const uint16_t fl = f.flags;
    const bool wide = (f.op & 1) != 0;
    if ((f.op == 0xF6 || f.op == 0xF7) && f.reg >= 0 && f.reg < 2) put(b, wide ? r_.value32() : r_.value8(), wide ? opsize : 1);
    if (fl & (cpu::kIb | cpu::kIbs)) b.push_back(r_.value8());
    if (fl & cpu::kIw) put(b, f.fn == cpu::ret_near ? r_.below(16) * 2 : r_.u32(), 2);
    if (fl & cpu::kIz) put(b, r_.value32(), opsize);
    if (fl & cpu::kMoffs) put(b, target(), adsize);
    if (fl & cpu::kIwIb) {  // ENTER: small frame, mostly low nesting levels
      put(b, r_.below(64), 2);
      b.push_back(uint8_t(r_.chance(70) ? r_.below(2) : r_.below(5)));
      out.reqs.push_back({cpu::RBP, stack_addr(), 0xFFFFFFFF});
    }
    if (fl & (cpu::kJb | cpu::kJz)) {
      const unsigned n = (fl & cpu::kJb) ? 1 : opsize;
      out.branch_at = int(b.size());
      out.branch_size = n;
      put(b, r_.chance(50) ? r_.below(16) : r_.u32(), n);
    }

    // Implicit memory operands.
    const uint32_t amask = adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
    if (is_string(f.fn)) {
      out.reqs.push_back({cpu::RSI, target(), amask});
      out.reqs.push_back({cpu::RDI, target(), amask});
      if (rep) out.reqs.push_back({cpu::RCX, r_.below(6), amask});
    }
    if (f.fn == cpu::xlat) out.reqs.push_back({cpu::RBX, target(), amask});
    if (f.fn == cpu::leave) out.reqs.push_back({cpu::RBP, stack_addr(), 0xFFFFFFFF});
    out.popf = f.fn == cpu::popf;
    return out;
  }

  // The stack area in the upper half of the window.
  uint32_t stack_addr() {
    return data_base(mode_) + kDataSize * 3 / 4 + r_.below(128) - 64;
  }

 private:
  void encode_address(Built& out, unsigned mod, unsigned rm, unsigned adsize) {
    auto& b = out.bytes;
    const uint32_t t = target();
    if (adsize == 2) {
      // SDM Vol.2 Table 2-1.
      static constexpr int kBase[8] = {cpu::RBX, cpu::RBX, cpu::RBP, cpu::RBP, -1, -1, cpu::RBP, cpu::RBX};
      static constexpr int kIndex[8] = {cpu::RSI, cpu::RDI, cpu::RSI, cpu::RDI, cpu::RSI, cpu::RDI, -1, -1};
      if (mod == 0 && rm == 6) {
        put(b, t, 2);
        return;
      }
      const uint32_t disp = mod == 1 ? uint32_t(int32_t(int8_t(r_.u32()))) : (mod == 2 ? r_.u32() & 0xFFFF : 0);
      put(b, disp, mod == 1 ? 1 : (mod == 2 ? 2 : 0));
      uint32_t rest = (t - disp) & 0xFFFF;
      if (kIndex[rm] >= 0 && kBase[rm] >= 0) {
        const uint32_t iv = r_.below(32);
        out.reqs.push_back({uint8_t(kIndex[rm]), iv, 0xFFFF});
        rest = (rest - iv) & 0xFFFF;
      }
      out.reqs.push_back({uint8_t(kBase[rm] >= 0 ? kBase[rm] : kIndex[rm]), rest, 0xFFFF});
      return;
    }
    // SDM Vol.2 Tables 2-2 and 2-3.
    int base = int(rm), index = -1;
    unsigned scale = 0;
    if (rm == 4) {
      scale = r_.below(4);
      const unsigned ix = r_.below(8), bs = r_.below(8);
      b.push_back(uint8_t((scale << 6) | (ix << 3) | bs));
      index = ix == 4 ? -1 : int(ix);
      base = (bs == 5 && mod == 0) ? -1 : int(bs);
    } else if (rm == 5 && mod == 0) {
      base = -1;
    }
    const unsigned dsize = (mod == 1) ? 1 : ((mod == 2 || base < 0) ? 4 : 0);
    uint32_t disp = mod == 1 ? uint32_t(int32_t(int8_t(r_.u32()))) : uint32_t(int32_t(r_.below(2048)) - 1024);
    const size_t disp_at = b.size();
    put(b, disp, dsize);
    if (dsize == 0) disp = 0;
    uint32_t iv = 0;
    if (index >= 0) {
      iv = r_.below(32);
      out.reqs.push_back({uint8_t(index), iv, 0xFFFFFFFF});
    }
    if (base < 0) {
      patch(b, disp_at, t - (iv << scale), 4);
    } else if (base == index) {
      out.reqs.push_back({uint8_t(base), (t - disp) / (1u + (1u << scale)), 0xFFFFFFFF});
    } else {
      out.reqs.push_back({uint8_t(base), t - disp - (iv << scale), 0xFFFFFFFF});
    }
  }

  Rng& r_;
  CodeMode mode_;
  bool seq_;
};

Regs random_regs(Rng& r, Builder& bld, CodeMode mode) {
  Regs s;
  for (auto& g : s.gpr) g = r.value32();
  s.gpr[cpu::RSP] = bld.stack_addr();
  if (mode == CodeMode::Real16) s.gpr[cpu::RSP] |= r.u32() & 0xFFFF0000;  // upper half unused
  if (r.chance(50)) s.gpr[cpu::RBP] = bld.stack_addr();
  using namespace cpu::flag;
  s.eflags = FIXED1 | (r.u32() & (CF | PF | AF | ZF | SF | OF));
  if (r.chance(30)) s.eflags |= DF;
  if (r.chance(50)) s.eflags |= IF;
  s.eip = kCodeBase;
  return s;
}

std::vector<uint8_t> random_data(Rng& r) {
  // Random bytes, with a boundary value in one dword of every four.
  std::vector<uint8_t> d(kDataSize);
  for (size_t k = 0; k < d.size(); k += 16) {
    const uint64_t a = r.u64(), b = r.u64();
    std::memcpy(&d[k], &a, 8);
    std::memcpy(&d[k + 8], &b, 8);
    patch(d, k + 4 * (a >> 62), kBoundary32[(b >> 56) % std::size(kBoundary32)], 4);
  }
  return d;
}

// The instruction that loads `q` into its register: MOV r32/r16, imm.
void emit_mov(Case& c, const Req& q) {
  c.starts.push_back(uint32_t(c.code.size()));
  const bool code32 = c.mode == CodeMode::Flat32;
  const bool wide = q.mask != 0xFFFF;
  if (!code32 && wide) c.code.push_back(0x66);
  if (code32 && !wide) {  // a 32-bit MOV is as good, and keeps the upper half defined
    c.code.push_back(uint8_t(0xB8 + q.reg));
    put(c.code, q.value, 4);
    return;
  }
  c.code.push_back(uint8_t(0xB8 + q.reg));
  put(c.code, q.value, wide ? 4 : 2);
}

}  // namespace

Case single_case(CodeMode mode, const Form& form, uint64_t seed) {
  Rng r(seed);
  Builder bld(r, mode, false);
  Case c;
  c.mode = mode;
  c.seed = seed;
  c.init = random_regs(r, bld, mode);
  c.data = random_data(r);
  Built b = bld.build(form);
  for (const Req& q : b.reqs) c.init.gpr[q.reg] = (c.init.gpr[q.reg] & ~q.mask) | (q.value & q.mask);
  if (form.fn == cpu::xlat) c.init.gpr[cpu::RBX] -= c.init.gpr[cpu::RAX] & 0xFF;
  if (b.popf) {
    // TF (bit 8) clear in the popped value: a single-step trap is not what is tested here.
    const uint32_t sp = (mode == CodeMode::Real16 ? c.init.gpr[cpu::RSP] & 0xFFFF : c.init.gpr[cpu::RSP]);
    const uint32_t at = sp - data_base(mode) + 1;
    if (at < c.data.size()) c.data[at] &= 0xFE;
  }
  c.code = std::move(b.bytes);
  c.starts = {0};
  return c;
}

Case sequence_case(CodeMode mode, const std::vector<Form>& forms, uint64_t seed) {
  Rng r(seed);
  Builder bld(r, mode, true);
  Case c;
  c.mode = mode;
  c.seed = seed;
  c.init = random_regs(r, bld, mode);
  c.data = random_data(r);
  struct Branch {
    size_t insn;  // index in starts
    size_t at;    // displacement offset in code
    unsigned size;
  };
  std::vector<Branch> branches;
  std::vector<size_t> groups;  // first instruction of each group (set-up MOVs + instruction)
  const unsigned n = 1 + r.below(50);
  for (unsigned k = 0; k < n; ++k) {
    const Form& f = forms[r.below(uint32_t(forms.size()))];
    Built b = bld.build(f);
    groups.push_back(c.starts.size());
    for (const Req& q : b.reqs) emit_mov(c, q);
    const size_t at = c.code.size();
    c.starts.push_back(uint32_t(at));
    if (b.branch_at >= 0) branches.push_back({c.starts.size() - 1, at + size_t(b.branch_at), b.branch_size});
    c.code.insert(c.code.end(), b.bytes.begin(), b.bytes.end());
  }
  // Forward branches: to a later group (never past a group's set-up MOVs into its
  // instruction, whose operands would then be wild) or the end, within reach.
  groups.push_back(c.starts.size());
  for (const Branch& br : branches) {
    const uint32_t next = uint32_t(br.at + br.size);
    std::vector<uint32_t> targets;
    for (size_t j : groups) {
      if (j <= br.insn) continue;
      const uint32_t t = j < c.starts.size() ? c.starts[j] : uint32_t(c.code.size());
      if (br.size > 1 || t - next <= 127) targets.push_back(t);
    }
    const uint32_t t = targets[r.below(uint32_t(targets.size()))];
    patch(c.code, br.at, t - next, br.size);
  }
  return c;
}

}  // namespace difftest
