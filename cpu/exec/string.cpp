// cpu/exec/string.cpp — MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP/REPE/REPNE.
//
// SDM Vol.2 "MOVS", "CMPS", ..., "REP/REPE/REPZ/REPNE/REPNZ". Operand size by wsize(i);
// SI/DI/CX or ESI/EDI/ECX by address size; DF selects the direction. A segment override
// applies to the source (DS:SI) only; the destination is always ES:DI.
//
// Restartable execution: a repeated instruction does at most kBatch iterations per call
// (1 when TF is set, so single-step traps come after each iteration, SDM Vol.3 17.3.1.4),
// updating (E)CX/(E)SI/(E)DI after every iteration. When iterations remain it leaves the
// instruction pointer on the instruction, so the main loop services interrupts and
// re-executes it; a fault mid-way is reported with the registers of the faulting
// iteration (SDM Vol.2 REP: "the state is saved so the instruction can resume").
#include "cpu/cycles/model.h"
#include "cpu/exec/handlers.h"

namespace cpu {

namespace {

constexpr unsigned kBatch = 256;

uint64_t addr_mask(const Insn& i) { return i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF; }

// Moves (E)SI or (E)DI by one element in the DF direction.
void advance(Cpu& c, const Insn& i, unsigned r, unsigned size) {
  const uint64_t step = (c.state().eflags & flag::DF) ? uint64_t(0) - size : size;
  c.set_reg(r, i.adsize, (c.reg(r, i.adsize) + step) & addr_mask(i));
}

// Runs `one` (a single iteration) once, or under a REP prefix while (E)CX != 0. For CMPS and
// SCAS (`conditional`), REPE stops when ZF = 0 and REPNE when ZF = 1.
template <typename F>
void repeat(Cpu& c, const Insn& i, bool conditional, F&& one) {
  const uint64_t iter_cost = c.cycle_model().string_iteration;
  if (!i.rep) {
    one();
    c.add_cycles(iter_cost);
    return;
  }
  const unsigned batch = (c.state().eflags & flag::TF) ? 1 : kBatch;
  for (unsigned n = 0;; ++n) {
    const uint64_t count = c.reg(RCX, i.adsize);
    if (count == 0) return;
    if (n == batch) {
      c.repeat_instruction();  // more to do: run this instruction again
      return;
    }
    one();
    c.add_cycles(iter_cost);
    c.set_reg(RCX, i.adsize, (count - 1) & addr_mask(i));
    if (conditional) {
      const bool zf = c.zf();
      if ((i.rep == 0xF3 && !zf) || (i.rep == 0xF2 && zf)) return;
    }
  }
}

}  // namespace

void movs(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  repeat(c, i, false, [&] {
    const uint64_t v = c.read_sized(i.seg, c.reg(RSI, i.adsize), size);
    c.write_sized(ES, c.reg(RDI, i.adsize), size, v);
    advance(c, i, RSI, size);
    advance(c, i, RDI, size);
  });
}

void cmps(Cpu& c, const Insn& i) {
  // Flags as CMP SRC1, SRC2 with SRC1 = [DS:SI] and SRC2 = [ES:DI].
  const unsigned size = wsize(i);
  repeat(c, i, true, [&] {
    const uint64_t a = c.read_sized(i.seg, c.reg(RSI, i.adsize), size);
    const uint64_t b = c.read_sized(ES, c.reg(RDI, i.adsize), size);
    const uint64_t m = size == 4 ? 0xFFFFFFFFull : (1ull << (size * 8)) - 1;
    c.set_lazy(Cpu::LazyOp::Sub, size, a, b, (a - b) & m);
    advance(c, i, RSI, size);
    advance(c, i, RDI, size);
  });
}

void stos(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  repeat(c, i, false, [&] {
    c.write_sized(ES, c.reg(RDI, i.adsize), size, c.reg(RAX, size));
    advance(c, i, RDI, size);
  });
}

void lods(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  repeat(c, i, false, [&] {
    c.set_reg(RAX, size, c.read_sized(i.seg, c.reg(RSI, i.adsize), size));
    advance(c, i, RSI, size);
  });
}

void scas(Cpu& c, const Insn& i) {
  // Flags as CMP accumulator, [ES:DI].
  const unsigned size = wsize(i);
  repeat(c, i, true, [&] {
    const uint64_t a = c.reg(RAX, size);
    const uint64_t b = c.read_sized(ES, c.reg(RDI, i.adsize), size);
    const uint64_t m = size == 4 ? 0xFFFFFFFFull : (1ull << (size * 8)) - 1;
    c.set_lazy(Cpu::LazyOp::Sub, size, a, b, (a - b) & m);
    advance(c, i, RDI, size);
  });
}

void ins(Cpu& c, const Insn& i) {
  // The I/O permission check comes before any memory access; the destination is probed for
  // writing before the port is read, so a #PF/#GP on ES:DI does not consume device data.
  const unsigned size = wsize(i);
  repeat(c, i, false, [&] {
    const uint16_t port = c.reg16(RDX);
    c.check_io_permission(port, size);
    // VMX non-root: the exit comes after the #GP and before any memory access.
    if (c.non_root()) c.virtualization()->intercept_io(c, port, size, true);
    const uint64_t di = c.reg(RDI, i.adsize);
    c.read_sized_rmw(ES, di, size);  // write probe
    const uint32_t v = c.port_in(port, size);
    c.write_sized(ES, di, size, v);
    advance(c, i, RDI, size);
  });
}

void outs(Cpu& c, const Insn& i) {
  const unsigned size = wsize(i);
  repeat(c, i, false, [&] {
    const uint16_t port = c.reg16(RDX);
    c.check_io_permission(port, size);
    if (c.non_root()) c.virtualization()->intercept_io(c, port, size, false);
    const uint64_t v = c.read_sized(i.seg, c.reg(RSI, i.adsize), size);
    c.port_out(port, size, uint32_t(v));
    advance(c, i, RSI, size);
  });
}

}  // namespace cpu
