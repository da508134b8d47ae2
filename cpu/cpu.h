// cpu/cpu.h — the x86 interpreter: fetch, decode (cached), execute, deliver events.
//
// Use:
//   cpu::Cpu c(bus);            // bus: platform::Machine's, or cpu::TestBus in tests
//   c.reset();                  // power-up state, CS:IP = F000:FFF0 (SDM Vol.3 9.1.4)
//   auto r = c.run({.max_instructions = 1000000});
//
// The public section below the "handler interface" line is what the instruction handlers
// in exec/ use; front ends use only the part above it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/bus.h"
#include "cpu/decoder/insn.h"
#include "cpu/observer.h"
#include "cpu/state.h"
#include "cpu/virtualization.h"

namespace cpu {

struct CycleModel;
struct DecodeBlock;  // cpu/internal.h

// Exception vectors (SDM Vol.3 Table 6-1).
enum Vector : uint8_t {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10,
  NP = 11, SS_ = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19,
};

// Thrown by handlers and the MMU; caught by the execution loop, which delivers it.
struct Fault {
  uint8_t vector;
  bool has_error_code;
  uint32_t error_code;
  // #PF: the linear address, loaded into CR2 when the fault is delivered (not when it is
  // raised: a page fault that causes a VM exit leaves CR2 alone, SDM Vol.3 27.1).
  uint64_t address = 0;
};

// Thrown for behaviour this version does not implement (task switch, V86 mode, ...):
// the run stops with a clear report instead of silently misbehaving.
struct NotImplemented {
  std::string what;
};

// EDX after reset: the processor signature (family 6, model 0x3C Haswell, stepping 3).
constexpr uint32_t kResetEdx = 0x000306C3;

// What CPUID returns for `leaf`/`subleaf` (exec/system.cpp). For firmware tables that
// describe the processor, such as the MP table's CPU signature and feature flags.
struct CpuidRegs {
  uint32_t eax, ebx, ecx, edx;
};
CpuidRegs cpuid_query(uint32_t leaf, uint32_t subleaf, bool vmx);

enum class StopReason : uint8_t {
  None,
  InstructionLimit,  // max_instructions reached
  StepLimit,         // max_steps reached
  CycleLimit,        // cycle_limit reached (the scheduler's next event)
  Halted,            // HLT with interrupts enabled: waiting for an interrupt
  HaltedForever,     // HLT with IF=0 and no NMI possible
  Shutdown,          // triple fault
  StopRequested,     // request_stop() (exit port, debugger)
  NotImplemented,
};
const char* stop_reason_name(StopReason r);

// A step is one instruction executed or attempted: an instruction that faults is a step
// (ending in its handler) but does not retire. Interrupts pending at a step boundary are
// delivered before the run returns, so a step lands where the hardware would continue. An
// interrupt delivered right after another, with no instruction between them (an interrupt
// storm), counts as a step too, so every run ends within its step and cycle limits.
struct RunLimits {
  uint64_t max_instructions = UINT64_MAX;  // stop when instret reaches this value
  uint64_t max_steps = UINT64_MAX;         // stop after this many steps of this run
  uint64_t cycle_limit = UINT64_MAX;       // stop when cycles reach this value
};

class Cpu {
 public:
  explicit Cpu(Bus& bus);
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  // Power-up / RESET state (SDM Vol.3 9.1.1, Table 9-1).
  void reset();
  // The documented initial state for a kernel a loader starts directly in 32-bit protected
  // mode: flat 4 GiB code (CS=0x08) and data (0x10) segments, paging off, IF=0, CPL 0.
  // GDTR still points at nothing; kernels must load their own GDT before reloading segments.
  void enter_flat_protected(uint32_t eip, uint32_t esp);

  State& state() { return s_; }
  const State& state() const { return s_; }
  Mode mode() const {
    if (!(s_.cr0 & cr0::PE)) return Mode::Real;
    if (s_.efer & efer::LMA) return Mode::Long;
    if (s_.eflags & flag::VM) return Mode::Virtual8086;
    return Mode::Protected;
  }
  // vmx_level: 1 in VMX non-root operation. The hardware has one level; deeper nesting
  // exists only in a hypervisor's software (docs/VT.md "Nesting").
  ModeInfo mode_info() const { return ModeInfo{mode(), s_.cpl, uint8_t(s_.non_root ? 1 : 0)}; }
  uint32_t flags() const;     // EFLAGS with the lazily kept arithmetic flags folded in
  void set_flags(uint32_t v); // raw write, no privilege checks

  void set_observer(Observer* o) { obs_ = o; }
  Observer* observer() const { return obs_; }
  const EventCounts& event_counts() const { return counts_; }
  void count_event(EventKind k) { ++counts_.by_kind[static_cast<unsigned>(k)]; }
  void set_virtualization(Virtualization* v) { virt_ = v; }
  // VMX non-root operation (set by vt/ at VM entry and exit): the CPU consults the
  // Virtualization's non-root hooks while it is true.
  bool non_root() const { return s_.non_root; }
  void set_non_root(bool on) {
    s_.non_root = on;
    attn_.end_block = true;
  }
  void set_cycle_model(const CycleModel* m);
  const CycleModel& cycle_model() const { return *model_; }

  // The INTR pin, driven by the interrupt controller; sampled at instruction boundaries.
  void set_intr(bool level) { attn_.intr = level; }
  void raise_nmi() { attn_.nmi = true; }
  // (branch vmxevent) For vt/'s event exits: the INTR line and a pending NMI as the CPU sees
  // them, and taking the NMI (an NMI that causes a VM exit is consumed by it).
  bool intr_line() const { return attn_.intr; }
  bool nmi_pending() const { return attn_.nmi; }
  void take_nmi() { attn_.nmi = false; }
  void request_stop() {
    stop_requested_ = true;
    attn_.stop = true;
  }
  // Ends the current run() at the next instruction boundary with StopReason::CycleLimit,
  // as if its cycle limit had been reached: the machine calls this when a device schedules
  // an event earlier than the deadline the CPU was given.
  void request_yield() {
    yield_requested_ = true;
    attn_.stop = true;
  }

  StopReason run(const RunLimits& limits);
  StopReason step() { return run({UINT64_MAX, 1, UINT64_MAX}); }

  // Why the last run stopped with NotImplemented or Shutdown, in words.
  const std::string& stop_detail() const { return stop_detail_; }

  // Physical memory access for loaders, debuggers and tests (bypasses translation).
  void phys_write(uint64_t paddr, const void* data, size_t len);
  void phys_read(uint64_t paddr, void* data, size_t len);
  // Linear access through the current translation with supervisor rights; returns false
  // when some page is not mapped. Never faults, never sets accessed/dirty bits.
  bool debug_read_linear(uint64_t linear, void* data, size_t len);
  bool debug_translate(uint64_t linear, uint64_t& paddr);

  // Devices doing DMA and loaders tell the CPU so decoded code there is dropped.
  void invalidate_code(uint64_t paddr, uint64_t len);
  void flush_tlb(bool include_global = true);

  // A stable text dump and a hash of the architectural state (registers only; the
  // machine adds RAM and devices).
  std::string dump() const;
  uint64_t state_hash() const;

  // ------------------------------------------------------------------------------------
  // Handler interface: used by exec/ and mmu/. Not for front ends.

  Bus& bus() { return bus_; }

  // Registers by size.
  uint8_t reg8(unsigned r) const {  // AL..BH encoding (no REX)
    return r < 4 ? uint8_t(s_.gpr[r]) : uint8_t(s_.gpr[r - 4] >> 8);
  }
  void set_reg8(unsigned r, uint8_t v) {
    if (r < 4) s_.gpr[r] = (s_.gpr[r] & ~0xFFull) | v;
    else s_.gpr[r - 4] = (s_.gpr[r - 4] & ~0xFF00ull) | (uint64_t(v) << 8);
  }
  uint16_t reg16(unsigned r) const { return uint16_t(s_.gpr[r]); }
  void set_reg16(unsigned r, uint16_t v) { s_.gpr[r] = (s_.gpr[r] & ~0xFFFFull) | v; }
  uint32_t reg32(unsigned r) const { return uint32_t(s_.gpr[r]); }
  void set_reg32(unsigned r, uint32_t v) { s_.gpr[r] = v; }  // zero-extends, as long mode
  // Register of operand size `size` (1 uses the 8-bit encoding).
  uint64_t reg(unsigned r, unsigned size) const {
    switch (size) {
      case 1: return reg8(r);
      case 2: return reg16(r);
      case 4: return reg32(r);
      default: return s_.gpr[r];
    }
  }
  void set_reg(unsigned r, unsigned size, uint64_t v) {
    switch (size) {
      case 1: set_reg8(r, uint8_t(v)); break;
      case 2: set_reg16(r, uint16_t(v)); break;
      case 4: set_reg32(r, uint32_t(v)); break;
      default: s_.gpr[r] = v; break;
    }
  }

  // Lazy arithmetic flags. The last flag-setting operation leaves its result, sign-extended
  // to 64 bits, from which ZF, SF and PF are read; CF, AF and OF are taken at the operation
  // from its carry-out (or borrow-out) vector and kept in their EFLAGS bit positions. So
  // every operation costs a few ALU instructions and reading a flag a load and a test.
  enum class LazyOp : uint8_t { Add, Adc, Sub, Sbb, Logic, Inc, Dec, Neg };
  void set_lazy(LazyOp op, unsigned size, uint64_t a, uint64_t b, uint64_t r) {
    const unsigned bits = size * 8;
    uint64_t v = 0;  // bit k: carry (borrow) out of bit k
    switch (op) {
      case LazyOp::Add:
      case LazyOp::Adc:
      case LazyOp::Inc: v = (a & b) | ((a | b) & ~r); break;
      case LazyOp::Sub:
      case LazyOp::Sbb:
      case LazyOp::Dec:
      case LazyOp::Neg: v = (~a & b) | ((~a | b) & r); break;
      case LazyOp::Logic: break;  // CF = OF = 0; AF undefined, kept 0
    }
    const uint64_t top = v >> (bits - 1), next = v >> (bits - 2);
    uint32_t aux = uint32_t(top & 1) | uint32_t(((v >> 3) & 1) << 4) |
                   uint32_t(((top ^ next) & 1) << 11);
    if (op == LazyOp::Inc || op == LazyOp::Dec) aux = (aux & ~flag::CF) | (cf() ? flag::CF : 0);
    lf_res_ = uint64_t(int64_t(r << (64 - bits)) >> (64 - bits));
    lf_aux_ = aux;
    lf_live_ = true;
  }
  // ADD and SUB/CMP of 32-bit operands (set_lazy's Add and Sub, fewer steps): CF from the
  // unsigned comparison, AF from bit 4 of a ^ b ^ r, OF from the operand and result signs.
  void set_lazy_add32(uint32_t a, uint32_t b, uint32_t r) {
    lf_aux_ = uint32_t(r < a) | ((a ^ b ^ r) & flag::AF) | ((((a ^ r) & (b ^ r)) >> 31) << 11);
    lf_res_ = uint64_t(int64_t(int32_t(r)));
    lf_live_ = true;
  }
  void set_lazy_sub32(uint32_t a, uint32_t b, uint32_t r) {
    lf_aux_ = uint32_t(a < b) | ((a ^ b ^ r) & flag::AF) | ((((a ^ b) & (a ^ r)) >> 31) << 11);
    lf_res_ = uint64_t(int64_t(int32_t(r)));
    lf_live_ = true;
  }
  // INC and DEC of a 32-bit operand (set_lazy's Inc and Dec, fewer steps): CF is kept,
  // AF is the carry (borrow) out of bit 3, OF is set when the result overflowed.
  void set_lazy_inc32(uint32_t a, uint32_t r) {
    lf_aux_ = (cf() ? flag::CF : 0) | ((a ^ r) & flag::AF) | (r == 0x80000000u ? flag::OF : 0);
    lf_res_ = uint64_t(int64_t(int32_t(r)));
    lf_live_ = true;
  }
  void set_lazy_dec32(uint32_t a, uint32_t r) {
    lf_aux_ = (cf() ? flag::CF : 0) | ((a ^ r) & flag::AF) | (r == 0x7FFFFFFFu ? flag::OF : 0);
    lf_res_ = uint64_t(int64_t(int32_t(r)));
    lf_live_ = true;
  }
  bool cf() const { return (lf_live_ ? lf_aux_ : s_.eflags) & flag::CF; }
  bool af() const { return (lf_live_ ? lf_aux_ : s_.eflags) & flag::AF; }
  bool of() const { return (lf_live_ ? lf_aux_ : s_.eflags) & flag::OF; }
  bool zf() const { return lf_live_ ? lf_res_ == 0 : (s_.eflags & flag::ZF) != 0; }
  bool sf() const { return lf_live_ ? int64_t(lf_res_) < 0 : (s_.eflags & flag::SF) != 0; }
  bool pf() const {
    return lf_live_ ? !__builtin_parity(unsigned(lf_res_ & 0xFF)) : (s_.eflags & flag::PF) != 0;
  }
  // After writing s_.eflags directly (delivery, IRET): the arithmetic bits there are current.
  void flags_written() { lf_live_ = false; }
  // Folds lazy flags into s_.eflags and then sets the given arithmetic flags to `bits`.
  void set_arith_flags(uint32_t mask, uint32_t bits);
  // Jcc/SETcc/CMOVcc condition 0..15 (SDM Vol.2 Appendix B.1).
  bool condition(unsigned cc) const {
    bool r;
    switch (cc >> 1) {
      case 0: r = of(); break;
      case 1: r = cf(); break;
      case 2: r = zf(); break;
      case 3: r = cf() || zf(); break;
      case 4: r = sf(); break;
      case 5: r = pf(); break;
      case 6: r = sf() != of(); break;
      default: r = zf() || (sf() != of()); break;
    }
    return (cc & 1) ? !r : r;
  }

  // Memory through segmentation and paging. `seg` is a segment register number.
  template <typename T> T read(unsigned seg, uint64_t offset);
  template <typename T> void write(unsigned seg, uint64_t offset, T v);
  // Read-modify-write: checks write permission before reading (faults as a write).
  template <typename T> T read_for_write(unsigned seg, uint64_t offset);
  uint64_t read_sized(unsigned seg, uint64_t offset, unsigned size) {
    return read_linear(check_seg(seg, offset, size, false), size, false);
  }
  void write_sized(unsigned seg, uint64_t offset, unsigned size, uint64_t v) {
    write_linear(check_seg(seg, offset, size, true), size, v, false);
  }
  uint64_t read_sized_rmw(unsigned seg, uint64_t offset, unsigned size) {
    const uint64_t lin = check_seg(seg, offset, size, true);
    if (lin & (size - 1)) [[unlikely]] check_alignment();
    const unsigned acc = kAccessWrite | user_access();
    if (((lin & kPageMask) + size) <= kPageSize) {
      const TlbEntry& e = tlb_[(lin >> 12) & (kTlbEntries - 1)];
      if (e.tag == (lin >> 12) && ((e.allow >> acc) & 1) && e.host_w) [[likely]] {
        s_.cycles += mem_access_cost_;
        uint64_t v = 0;
        __builtin_memcpy(&v, e.host_w + (lin & kPageMask), size);
        return v;
      }
    }
    return read_rmw_slow(lin, size);
  }
  uint64_t read_rmw_slow(uint64_t linear, unsigned size);
  // A read-modify-write in one step: the host address of the operand when it is aligned,
  // on a page of RAM the data TLB allows writing and that holds no decoded code; both
  // accesses are charged. Otherwise nullptr, and the caller uses read_sized_rmw and
  // write_sized, which handle everything else (the segment check here faults as theirs).
  uint8_t* rmw_host(unsigned seg, uint64_t offset, unsigned size) {
    const uint64_t lin = check_seg(seg, offset, size, true);
    if (lin & (size - 1)) return nullptr;  // misaligned (may cross a page, may #AC)
    const unsigned acc = kAccessWrite | user_access();
    const TlbEntry& e = tlb_[(lin >> 12) & (kTlbEntries - 1)];
    if (e.tag == (lin >> 12) && ((e.allow >> acc) & 1) && e.host_w &&
        !code_pages_[(e.ppage >> 12) & (kCodePages - 1)]) [[likely]] {
      s_.cycles += 2 * mem_access_cost_;
      return e.host_w + (lin & kPageMask);
    }
    return nullptr;
  }
  // A misaligned data access at CPL 3 with CR0.AM and EFLAGS.AC set raises #AC(0)
  // (SDM Vol.3 6.15, "Interrupt 17"). Called only for misaligned accesses.
  void check_alignment() {
    if (s_.cpl == 3 && (s_.cr0 & cr0::AM) && (s_.eflags & flag::AC)) fault(AC, 0);
  }

  // Linear accesses. `supervisor` makes it an implicit supervisor access (descriptor tables,
  // TSS) whatever the CPL. The fast path is a TLB hit on one page of RAM.
  uint64_t read_linear(uint64_t linear, unsigned size, bool supervisor) {
    if ((linear & (size - 1)) && !supervisor) [[unlikely]] check_alignment();
    const unsigned acc = supervisor ? 0 : user_access();
    if (((linear & kPageMask) + size) <= kPageSize) {
      const TlbEntry& e = tlb_[(linear >> 12) & (kTlbEntries - 1)];
      if (e.tag == (linear >> 12) && ((e.allow >> acc) & 1) && e.host_r) [[likely]] {
        s_.cycles += mem_access_cost_;
        uint64_t v = 0;
        __builtin_memcpy(&v, e.host_r + (linear & kPageMask), size);
        return v;
      }
    }
    return read_linear_slow(linear, size, acc);
  }
  void write_linear(uint64_t linear, unsigned size, uint64_t v, bool supervisor) {
    if ((linear & (size - 1)) && !supervisor) [[unlikely]] check_alignment();
    const unsigned acc = kAccessWrite | (supervisor ? 0 : user_access());
    if (((linear & kPageMask) + size) <= kPageSize) {
      const TlbEntry& e = tlb_[(linear >> 12) & (kTlbEntries - 1)];
      if (e.tag == (linear >> 12) && ((e.allow >> acc) & 1) && e.host_w &&
          !code_pages_[(e.ppage >> 12) & (kCodePages - 1)]) [[likely]] {
        s_.cycles += mem_access_cost_;
        __builtin_memcpy(e.host_w + (linear & kPageMask), &v, size);
        return;
      }
    }
    write_linear_slow(linear, size, v, acc);
  }

  // Effective address of the ModRM memory operand (already masked to the address size).
  uint64_t ea(const Insn& i) const {
    uint64_t a = i.disp;
    if (i.base != kNoReg) a += s_.gpr[i.base];
    if (i.index != kNoReg) a += s_.gpr[i.index] << i.scale;
    return i.adsize == 2 ? (a & 0xFFFF) : (a & 0xFFFFFFFF);
  }
  uint64_t read_rm(const Insn& i, unsigned size) {
    if (i.mod == 3) return reg(i.rm, size);
    return read_sized(i.seg, ea(i), size);
  }
  // For read-modify-write forms: a memory operand is probed for writing first.
  uint64_t read_rm_rmw(const Insn& i, unsigned size) {
    if (i.mod == 3) return reg(i.rm, size);
    return read_sized_rmw(i.seg, ea(i), size);
  }
  void write_rm(const Insn& i, unsigned size, uint64_t v) {
    if (i.mod == 3) set_reg(i.rm, size, v);
    else write_sized(i.seg, ea(i), size, v);
  }

  // Stack. push/pop honour SS.B for the stack-pointer size.
  unsigned stack_size() const { return s_.seg[SS].big() ? 4 : 2; }
  uint64_t sp() const { return stack_size() == 4 ? uint32_t(s_.gpr[RSP]) : uint16_t(s_.gpr[RSP]); }
  void set_sp(uint64_t v) {
    if (stack_size() == 4) s_.gpr[RSP] = uint32_t(v);
    else set_reg16(RSP, uint16_t(v));
  }
  void push(unsigned size, uint64_t v) {
    const uint64_t nsp = (sp() - size) & (stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull);
    write_sized(SS, nsp, size, v);  // write first: a fault leaves ESP unchanged
    set_sp(nsp);
  }
  uint64_t pop(unsigned size) {
    const uint64_t v = read_sized(SS, sp(), size);
    set_sp(sp() + size);
    return v;
  }
  uint64_t peek(unsigned size, uint64_t depth_bytes = 0);  // read without moving SP

  // Control transfer helpers.
  uint64_t next_ip() const { return next_ip_; }
  void set_next_ip(uint64_t ip) { next_ip_ = ip; }
  // A REP string instruction with iterations left: execute it again from the same address
  // without counting it as retired (it retires once, when its count runs out).
  void repeat_instruction() {
    next_ip_ = s_.rip;
    repeating_ = true;
  }
  // Near jump: #GP(0) if the target is beyond the code segment limit (SDM Vol.2 JMP).
  void jump_near(uint64_t target, unsigned opsize) {
    target &= (opsize == 2) ? 0xFFFFull : 0xFFFFFFFFull;
    if (!(s_.efer & efer::LMA) && target > s_.seg[CS].limit) fault(GP, 0);
    next_ip_ = target;
  }
  uint64_t ip_mask() const { return s_.seg[CS].big() ? 0xFFFFFFFFull : 0xFFFFull; }

  // Segment loads (mmu/segment.cpp): the full SDM load-time checks for each kind of load.
  // MOV/POP/LxS to a data or stack segment. The MOV SS / POP SS interrupt shadow is the
  // caller's to set: LSS has none (SDM Vol.3 6.8.3).
  void load_seg(unsigned seg, uint16_t selector);
  void load_seg_real(unsigned seg, uint16_t selector);  // real-mode semantics
  // Reads the 8-byte descriptor for `selector` from the GDT or LDT. Returns false when the
  // selector is outside the table limit.
  bool read_descriptor(uint16_t selector, uint64_t& desc);
  void write_descriptor_accessed(uint16_t selector, uint64_t desc);
  static SegmentCache cache_from_descriptor(uint16_t selector, uint64_t desc);
  // The stack for a more privileged level, read from the TSS and checked.
  struct InnerStack {
    SegmentCache ss;
    uint64_t sp;
    uint64_t desc;  // the SS descriptor, for its accessed bit
  };
  InnerStack inner_stack(uint8_t dpl, uint32_t ext);
  // Far transfers (exec/control.cpp and interrupts.cpp).
  void far_jump(uint16_t selector, uint64_t offset, unsigned opsize);
  void far_call(uint16_t selector, uint64_t offset, unsigned opsize);
  void far_return(unsigned opsize, uint16_t pop_bytes);
  void iret(unsigned opsize);
  void set_cpl(uint8_t cpl);
  // Every write of the CS cache goes through here: a running decoded block ends.
  void set_cs(const SegmentCache& c) {
    s_.seg[CS] = c;
    attn_.end_block = true;
  }

  // A VM exit between instructions (an exception or interrupt being delivered, a triple
  // fault): RIP is where the guest would continue. Only in non-root operation.
  // `insn_len`: the VM-exit instruction length, for an exit during the delivery of a
  // software interrupt or exception (SDM Vol.3 27.2.5); 0 otherwise.
  void vm_exit_now(const VmExit& e, unsigned insn_len = 0);
  // A VM exit caused by the current instruction (throws VmExit; the execution loop rewinds
  // the instruction and performs the exit). Only in non-root operation.
  [[noreturn]] void vm_exit_insn(const VmExit& e) { throw e; }
  // The same without unwinding, for the hottest unconditional exit (CPUID): the handler
  // calls this and returns at once; the execution loop then takes the instruction back
  // (not retired, RIP at it) and performs the exit, exactly as for a thrown VmExit.
  void vm_exit_insn_deferred(uint32_t reason) {
    pending_exit_ = VmExit{};
    pending_exit_.reason = reason;
    has_pending_exit_ = true;
    attn_.end_block = true;
  }
  [[noreturn]] void vm_exit_insn(uint32_t reason, uint64_t qualification = 0) {
    VmExit e;
    e.reason = reason;
    e.qualification = qualification;
    throw e;
  }
  // Delivers an event injected by VM entry (SDM Vol.3 26.6): `type` is the interruption
  // type of the VM-entry interruption-information field (0 external interrupt, 2 NMI, 3
  // hardware exception, 4 software interrupt, 5 privileged software exception, 6 software
  // exception); `insn_len` is the return-address offset for types 4-6.
  void inject_event(uint8_t vector, unsigned type, bool has_ec, uint32_t ec, unsigned insn_len);
  // Sets RIP after a change made outside an instruction's normal flow (VM entry, VM exit):
  // the running instruction continues there.
  void jump_to(uint64_t rip) {
    s_.rip = rip;
    next_ip_ = rip;
    attn_.end_block = true;
  }

  // Raise a fault (throws Fault).
  [[noreturn]] void fault(uint8_t vector);
  [[noreturn]] void fault(uint8_t vector, uint32_t error_code);
  [[noreturn]] void not_implemented(const std::string& what);
  // Software interrupts (INT n, INT3, INTO, INT1) after the instruction completes.
  void software_interrupt(uint8_t vector, InterruptSource src);
  // HLT.
  void halt();
  // STI/MOV SS/POP SS: block interrupts until after the next instruction.
  void set_interrupt_shadow() { s_.shadow_until = s_.instret + 2; }
  // MOV SS / POP SS: the interrupt shadow, and the single-step trap after this instruction
  // is suppressed too (SDM Vol.3 6.8.3).
  void set_stack_switch_shadow() {
    set_interrupt_shadow();
    ss_shadow_ = true;
    mov_ss_until_ = s_.shadow_until;
  }
  // Events are blocked by MOV SS / POP SS: the previous instruction loaded SS (VMX
  // "blocking by MOV SS", SDM Vol.3 24.4.2; VMLAUNCH fails with error 26).
  bool blocking_by_mov_ss() const { return s_.instret < mov_ss_until_; }
  // Blocking by STI or MOV SS is in force for the next instruction (VMX interruptibility
  // state, SDM Vol.3 24.4.2).
  bool interrupt_shadow() const { return s_.instret < s_.shadow_until; }
  void clear_interrupt_shadow() {
    s_.shadow_until = 0;
    mov_ss_until_ = 0;
  }
  // VMX abort and other shutdowns decided outside the CPU: the run stops with Shutdown.
  void shutdown_now(const std::string& why) { shutdown(why); }

  // Control registers (exec/system.cpp): writes with the SDM checks and TLB effects.
  void write_cr0(uint64_t v);
  void write_cr3(uint64_t v);
  void write_cr4(uint64_t v);
  void invlpg(uint64_t linear);
  // MSRs: return false for an MSR this CPU does not implement (caller raises #GP(0)).
  bool read_msr(uint32_t index, uint64_t& v);
  bool write_msr(uint32_t index, uint64_t v);
  uint64_t tsc() const { return s_.cycles + s_.msrs.tsc_offset; }

  // Port I/O with the IOPL / TSS I/O-bitmap check (SDM Vol.1 19.5) and the PortIo event.
  void check_io_permission(uint16_t port, unsigned size) {
    // Real mode, and protected mode with CPL <= IOPL: always allowed (SDM Vol.1 19.5).
    const uint32_t f = s_.eflags;
    if (!(s_.cr0 & cr0::PE) || (!(f & flag::VM) && s_.cpl <= ((f & flag::IOPL) >> 12))) return;
    check_io_bitmap(port, size);
  }
  void check_io_bitmap(uint16_t port, unsigned size);
  uint32_t port_in(uint16_t port, unsigned size);
  void port_out(uint16_t port, unsigned size, uint32_t v);
  void port_accessed(uint16_t port, unsigned size, bool write, bool claimed, uint32_t v);

  // Popek–Goldberg (vt/sensitive.h). The sensitive instructions' handlers test
  // deprivileged() (protected mode at CPL > 0) and only then call in here, so the common
  // path pays one compare. sensitive_trap: the --virtualizable machine reports the
  // instruction as trapped and raises #GP(0). sensitive_silent: counts the event and, when
  // observed, reports what differed from ring 0 (`detail` returns a std::string and runs
  // only when an observer is attached).
  bool deprivileged() const { return s_.cpl > 0 && (s_.cr0 & cr0::PE); }
  bool virtualizable() const { return virtualizable_; }
  void set_virtualizable(bool on) { virtualizable_ = on; }
  [[noreturn]] void sensitive_trap(Sensitive id);
  template <typename Detail> void sensitive_silent(Sensitive id, Detail&& detail) {
    count_event(EventKind::SensitiveInstruction);
    if (obs_) emit_sensitive(id, false, detail());
  }
  void emit_sensitive(Sensitive id, bool trapped, std::string detail);

  // Cycle accounting beyond the per-instruction base cost.
  void add_cycles(uint64_t n) { s_.cycles += n; }

  Virtualization* virtualization() const { return virt_; }
  void emit(Event e);  // fills cycle/instret/mode and calls the observer
  void check_mode();   // emits ModeChange when CPL or the operating mode changed

  // Access kinds for translation: bit 0 write, bit 1 user, bit 2 instruction fetch.
  static constexpr unsigned kAccessWrite = 1, kAccessUser = 2, kAccessFetch = 4;
  unsigned user_access() const { return s_.cpl == 3 ? kAccessUser : 0; }
  bool observed() const { return obs_ != nullptr; }
  const Insn* current_insn() const { return cur_; }

 private:
  struct DecodeCache;

  // A direct-mapped TLB. Each entry caches one 4 KiB translation with the permission for
  // every kind of access: bit `access` of `allow` is set when that access may proceed
  // without a walk (a write only once the dirty bit is set, so the first write walks).
  struct TlbEntry {
    uint64_t tag = ~0ull;  // linear page number; ~0 = empty
    uint64_t ppage = 0;    // physical address of the page
    uint8_t* host_r = nullptr;
    uint8_t* host_w = nullptr;
    uint8_t allow = 0;
    bool global = false;
  };
  static constexpr unsigned kTlbEntries = 1024;
  static_assert((kTlbEntries & (kTlbEntries - 1)) == 0);

  class Fetcher;
  void execute_one();
  void emit_raw(Event& e);
  DecodeBlock* current_block();
  DecodeBlock* build_block(uint64_t paddr, const uint8_t* page, bool code32);
  const Insn& decode_uncached();
  void execute_block(const RunLimits& lim, uint64_t& steps);
  uint64_t faulting_ip(const Insn* first, uint64_t ip, uint64_t mask) const;
  template <uint64_t Mask>
  const Insn* run_insns(const Insn* p, const Insn* end, uint64_t ip, uint64_t cycle_limit,
                        bool& stop);
  void fault_in_instruction(const Fault& f, uint64_t ip);
  void not_implemented_in_instruction(const NotImplemented& n, uint64_t ip);
  void vm_exit_in_instruction(const VmExit& e, uint64_t ip);
  VmExit pending_exit_{};  // vm_exit_insn_deferred
  bool has_pending_exit_ = false;
  void take_pending_exit(uint64_t ip) {
    has_pending_exit_ = false;
    const VmExit e = pending_exit_;
    vm_exit_in_instruction(e, ip);
  }
  bool service_interrupts();  // true if an interrupt was delivered
  // `fault_rf`: the event is a fault-class exception, whose EFLAGS image carries RF=1.
  void deliver(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec, uint64_t return_ip,
               bool fault_rf = false);
  void deliver_exception(const Fault& f, bool trap);
  // `first_rf`: the EFLAGS image of this event (not of faults during its delivery) has RF=1.
  // `soft_len`: an injected software interrupt/exception, whose return address is that far
  // past RIP; `inject_type`: the interruption type of an injected event (IDT-vectoring
  // information of an exit during its delivery), -1 for the CPU's own events.
  void deliver_event(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec, bool is_exception,
                     bool first_rf = false, unsigned soft_len = 0, int inject_type = -1);
  void deliver_real(uint8_t vector, uint64_t return_ip);
  void deliver_protected(uint8_t vector, InterruptSource src, bool has_ec, uint32_t ec,
                         uint64_t return_ip, bool fault_rf);
  void shutdown(const std::string& why);
  void fold_flags(uint32_t& eflags) const;
  void mode_changed(const ModeInfo& before);

  // Paging.
  uint64_t translate(uint64_t linear, unsigned access);  // access: bit0 write, bit1 user, bit2 fetch
  TlbEntry& tlb_slot(uint64_t linear, unsigned access) {
    auto& t = (access & kAccessFetch) ? itlb_ : tlb_;
    return t[(linear >> 12) & (kTlbEntries - 1)];
  }
  uint8_t* host_ptr(uint64_t linear, unsigned access, uint64_t& paddr) {
    const TlbEntry& e = tlb_slot(linear, access);
    if (e.tag == (linear >> 12) && ((e.allow >> access) & 1)) [[likely]] {
      paddr = e.ppage | (linear & kPageMask);
      return (access & kAccessWrite) ? e.host_w : e.host_r;
    }
    return host_ptr_slow(linear, access, paddr);
  }
  uint8_t* host_ptr_slow(uint64_t linear, unsigned access, uint64_t& paddr);
  void guest_physical_page(TlbEntry& fill, uint64_t linear, unsigned access);  // non-root (EPT)
  uint64_t read_linear_slow(uint64_t linear, unsigned size, unsigned access);
  void write_linear_slow(uint64_t linear, unsigned size, uint64_t v, unsigned access);
  void note_write(uint64_t paddr, unsigned size);
  void mark_code_page(uint64_t paddr, unsigned bytes);  // bytes decoded from paddr on
  // Segment checks. The fast path accepts a usable, expand-up segment of the right type
  // with the access inside the limit; everything else (real mode oddities, expand-down,
  // faults) goes to the full check.
  uint64_t check_seg(unsigned seg, uint64_t off, unsigned size, bool write) {
    const SegmentCache& sc = s_.seg[seg];
    const uint32_t a = sc.attr;
    constexpr uint32_t kMask = ar::UNUSABLE | ar::CODE | ar::EXPAND_DOWN | ar::WRITABLE;
    const bool type_ok = write ? (a & kMask) == ar::WRITABLE
                               : ((a & (ar::UNUSABLE | ar::CODE | ar::EXPAND_DOWN)) == 0 ||
                                  (a & (ar::UNUSABLE | ar::CODE | ar::READABLE)) == (ar::CODE | ar::READABLE));
    if (type_ok && off + size - 1 <= sc.limit && !(s_.efer & efer::LMA)) [[likely]]
      return (sc.base + off) & 0xFFFFFFFF;
    return check_seg_slow(seg, off, size, write);
  }
  uint64_t check_seg_slow(unsigned seg, uint64_t offset, unsigned size, bool write);

  Bus& bus_;
  State s_;
  Observer* obs_ = nullptr;
  EventCounts counts_{};
  Virtualization* virt_ = nullptr;
  const CycleModel* model_ = nullptr;

  bool lf_live_ = false;  // false: the arithmetic bits of s_.eflags are current
  uint64_t lf_res_ = 0;
  uint32_t lf_aux_ = 0;   // CF, AF, OF in their EFLAGS positions

  // The four reasons a running block stops early, together so attention() is one load.
  struct Attention {
    bool intr = false;         // the INTR line
    bool nmi = false;          // an NMI is pending
    bool stop = false;         // request_stop()
    bool end_block = false;    // CS, CPL, mode or translation changed, code written, TF, HLT
  } attn_;
  static_assert(sizeof(Attention) == 4);
  bool attention() const {
    uint32_t v;
    __builtin_memcpy(&v, &attn_, sizeof v);
    return v != 0;
  }
  bool stop_requested_ = false;   // attn_.stop means a stop ...
  bool yield_requested_ = false;  // ... or a yield (both may be pending)
  StopReason pending_stop_ = StopReason::None;
  std::string stop_detail_;

  uint64_t next_ip_ = 0;
  bool repeating_ = false;
  bool ss_shadow_ = false;  // the current instruction loaded SS with MOV or POP
  uint64_t mov_ss_until_ = 0;  // shadow_until of the last MOV SS / POP SS
  bool mid_rep_ = false;    // the last step was a REP iteration other than the last
  const Insn* cur_ = nullptr;
  ModeInfo last_mode_{};

  // Separate instruction and data TLBs, as on real processors: a data access never evicts
  // the translation a running block of code relies on.
  std::array<TlbEntry, kTlbEntries> tlb_{};
  std::array<TlbEntry, kTlbEntries> itlb_{};
  // The TLB entries filled since the last flush (index, | kTlbEntries for the ITLB), so a
  // flush clears those only; when more were filled than this holds, a flush clears all.
  std::array<uint16_t, 256> tlb_filled_{};
  size_t tlb_filled_count_ = 0;
  bool tlb_filled_overflow_ = false;
  void note_tlb_fill(const TlbEntry* e);
  uint16_t mem_access_cost_ = 0;
  // One byte per physical page (aliased above 4 GiB): set while decoded code from that page
  // is cached. Writes to such a page take the slow path, which drops the decoded code.
  static constexpr unsigned kCodePages = 1u << 20;
  const uint8_t* code_pages_ = nullptr;  // DecodeCache::is_code
  std::unique_ptr<DecodeCache> dcache_;
  // Direct links between decoded blocks are valid within one link epoch: a new one begins
  // with every execute_block call and whenever an instruction fetch walks the page tables.
  uint64_t link_epoch_ = 0;
  Insn scratch_insn_;
  bool virtualizable_ = false;  // the Popek–Goldberg-virtualizable x86 (set_virtualizable)
};

}  // namespace cpu
