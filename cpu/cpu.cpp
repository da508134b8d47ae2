// cpu/cpu.cpp — reset, the execution loop, the decoded-instruction cache, lazy flags,
// operand access and the state dump.
#include "cpu/cpu.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cpu/cycles/model.h"
#include "cpu/decoder/decoder.h"
#include "cpu/exec/fast.h"
#include "cpu/internal.h"

namespace cpu {

// ---------------------------------------------------------------------------------------
// Construction and reset

Cpu::Cpu(Bus& bus) : bus_(bus), model_(&haswell_model()),
                     dcache_(std::make_unique<DecodeCache>()) {
  mem_access_cost_ = model_->mem_access;
  static_assert(kCodePages == DecodeCache::kPages);
  code_pages_ = dcache_->is_code.data();
  reset();
}

Cpu::~Cpu() = default;

void Cpu::set_cycle_model(const CycleModel* m) {
  model_ = m ? m : &haswell_model();
  mem_access_cost_ = model_->mem_access;
  dcache_->clear();  // cached instructions carry their cost
}

void Cpu::reset() {
  // SDM Vol.3 9.1.1 Table 9-1: processor state following power-up/reset.
  const uint64_t cycles = s_.cycles, instret = s_.instret;
  s_ = State{};
  s_.cycles = cycles;  // time keeps running across a reset
  s_.instret = instret;
  s_.eflags = flag::FIXED1;
  s_.rip = 0xFFF0;
  s_.cr0 = cr0::ET | cr0::CD | cr0::NW;
  for (auto& sg : s_.seg) sg = SegmentCache{0, 0, 0xFFFF, ar::P | ar::S | ar::WRITABLE | ar::ACCESSED};
  s_.seg[CS] = SegmentCache{0xF000, 0xFFFF0000, 0xFFFF, ar::P | ar::S | ar::CODE | ar::READABLE | ar::ACCESSED};
  s_.ldtr = SegmentCache{0, 0, 0xFFFF, ar::P | 2};  // LDT type
  s_.tr = SegmentCache{0, 0, 0xFFFF, ar::P | 0xB};  // busy 32-bit TSS
  s_.gdtr = TableReg{0, 0xFFFF};
  s_.idtr = TableReg{0, 0xFFFF};
  s_.gpr[RDX] = kResetEdx;
  s_.dr[6] = 0xFFFF0FF0;
  s_.dr[7] = 0x400;
  lf_live_ = false;
  attn_.intr = false;
  attn_.nmi = false;
  attn_.stop = false;
  stop_requested_ = yield_requested_ = false;
  pending_stop_ = StopReason::None;
  last_mode_ = mode_info();
  flush_tlb(true);
  dcache_->clear();
}

void Cpu::enter_flat_protected(uint32_t eip, uint32_t esp) {
  const ModeInfo before = mode_info();
  s_.cr0 = (s_.cr0 | cr0::PE | cr0::ET) & ~cr0::PG;
  const uint32_t data = ar::P | ar::S | ar::WRITABLE | ar::ACCESSED | ar::DB | ar::G;
  const uint32_t code = ar::P | ar::S | ar::CODE | ar::READABLE | ar::ACCESSED | ar::DB | ar::G;
  for (unsigned sg = 0; sg < 6; ++sg) s_.seg[sg] = SegmentCache{0x10, 0, 0xFFFFFFFF, data};
  s_.seg[CS] = SegmentCache{0x08, 0, 0xFFFFFFFF, code};
  s_.tr = SegmentCache{0, 0, 0xFFFF, ar::P | 0xB};
  s_.eflags = flag::FIXED1;
  lf_live_ = false;
  s_.rip = eip;
  s_.gpr[RSP] = esp;
  s_.cpl = 0;
  flush_tlb(true);
  (void)before;
  check_mode();
}

void Cpu::check_mode() {
  const ModeInfo now = mode_info();
  if (now == last_mode_) return;
  const ModeInfo before = last_mode_;
  last_mode_ = now;
  attn_.end_block = true;
  count_event(EventKind::ModeChange);
  if (obs_) {
    Event e;
    e.kind = EventKind::ModeChange;
    e.before = before;
    e.after = now;
    e.cs = s_.seg[CS].selector;
    e.ip = s_.rip;
    emit_raw(e);
  }
}

void Cpu::emit(Event e) {
  if (!obs_) return;
  e.before = last_mode_;
  e.after = mode_info();
  emit_raw(e);
}

void Cpu::emit_raw(Event& e) {
  e.cycle = s_.cycles;
  e.instret = s_.instret;
  obs_->on_event(e);
}

void Cpu::set_cpl(uint8_t cpl) {
  s_.cpl = cpl;
  attn_.end_block = true;
  check_mode();
}

// ---------------------------------------------------------------------------------------
// Lazy flags

void Cpu::fold_flags(uint32_t& f) const {
  if (!lf_live_) return;
  f &= ~flag::ARITH;
  f |= lf_aux_ | (zf() ? flag::ZF : 0) | (sf() ? flag::SF : 0) | (pf() ? flag::PF : 0);
}

uint32_t Cpu::flags() const {
  uint32_t f = s_.eflags;
  fold_flags(f);
  return f | flag::FIXED1;
}

void Cpu::set_flags(uint32_t v) {
  const bool vm_changed = (v ^ s_.eflags) & flag::VM;
  // Bits 3, 5, 15 and 22-31 always read as 0; bit 1 as 1 (SDM Vol.1 3.4.3).
  s_.eflags = (v & 0x003F7FD5u) | flag::FIXED1;
  lf_live_ = false;
  attn_.end_block = true;  // TF may now be set: single-stepping takes the exact path
  if (vm_changed) check_mode();
}

void Cpu::set_arith_flags(uint32_t mask, uint32_t bits) {
  fold_flags(s_.eflags);
  lf_live_ = false;
  s_.eflags = (s_.eflags & ~mask) | (bits & mask);
}

// ---------------------------------------------------------------------------------------
// Stack

uint64_t Cpu::peek(unsigned size, uint64_t depth) {
  const uint64_t mask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
  return read_sized(SS, (sp() + depth) & mask, size);
}


// ---------------------------------------------------------------------------------------
// Faults

void Cpu::fault(uint8_t vector) { throw Fault{vector, false, 0}; }
void Cpu::fault(uint8_t vector, uint32_t ec) { throw Fault{vector, true, ec}; }
void Cpu::not_implemented(const std::string& what) { throw NotImplemented{what}; }

void Cpu::halt() {
  s_.halted = true;
  attn_.end_block = true;
  count_event(EventKind::Halt);
  if (obs_) {
    Event e;
    e.kind = EventKind::Halt;
    e.cs = s_.seg[CS].selector;
    e.ip = s_.rip;
    e.reason = (s_.eflags & flag::IF) ? "waiting for interrupt" : "interrupts disabled";
    emit(e);
  }
}

// ---------------------------------------------------------------------------------------
// Fetch, decode cache and the execution loop

class Cpu::Fetcher final : public ByteSource {
 public:
  Fetcher(Cpu& c, uint64_t ip) : c_(c), ip_(ip) {}
  uint8_t at(unsigned k) override {
    uint64_t off = (ip_ + k) & c_.ip_mask();
    if (c_.mode() != Mode::Long && off > c_.s_.seg[CS].limit) c_.fault(GP, 0);
    const uint64_t lin = (c_.s_.seg[CS].base + off) & 0xFFFFFFFF;
    uint64_t paddr;
    uint8_t* p = c_.host_ptr(lin, kAccessFetch | c_.user_access(), paddr);
    if (k == 0) first_paddr_ = paddr;
    else if ((paddr & ~kPageMask) != (first_paddr_ & ~kPageMask)) crosses_ = true;
    if (p) return p[paddr & kPageMask];
    return uint8_t(c_.bus_.mmio_read(paddr, 1));
  }
  uint64_t first_paddr_ = 0;
  bool crosses_ = false;

 private:
  Cpu& c_;
  uint64_t ip_;
};

namespace {
// Decodes from a page of RAM; an instruction that would run past the page is not decoded.
class PageSource final : public ByteSource {
 public:
  PageSource(const uint8_t* page, unsigned offset) : page_(page), offset_(offset) {}
  struct Crosses {};
  uint8_t at(unsigned k) override {
    if (offset_ + k >= kPageSize) throw Crosses{};
    return page_[offset_ + k];
  }

 private:
  const uint8_t* page_;
  unsigned offset_;
};
}  // namespace

// Decodes the block starting at `paddr` (inside the RAM page at `page`). Returns nullptr
// when not even its first instruction can be decoded from this page alone (it crosses the
// page, or is longer than 15 bytes): the caller then takes the slow path.
DecodeBlock* Cpu::build_block(uint64_t paddr, const uint8_t* page, bool code32) {
  DecodeCache::Block& b = dcache_->slot(paddr);
  b.tag = 0;
  b.count = 0;
  unsigned off = unsigned(paddr & kPageMask);
  while (b.count < DecodeCache::kBlockMax && off < kPageSize) {
    Insn& i = b.insns[b.count];
    PageSource src(page, off);
    try {
      if (decode(src, code32, i, model_->cost).status == DecodeResult::TooLong) break;
    } catch (const PageSource::Crosses&) {
      break;
    }
    i.fn = specialize(i);
    ++b.count;
    off += i.len;
    if (i.ends_block) break;
  }
  if (b.count == 0) return nullptr;
  b.bytes = uint16_t(off - (paddr & kPageMask));
  mark_code_page(paddr, b.bytes);
  b.tag = paddr + 1;
  b.gen = dcache_->gen(paddr);
  b.code32 = code32;
  return &b;
}

// The block at the current CS:EIP, or nullptr when the code is not in RAM or its first
// instruction crosses a page. May raise #PF or #GP for the fetch.
DecodeBlock* Cpu::current_block() {
  const SegmentCache& cs = s_.seg[CS];
  if (mode() != Mode::Long && s_.rip > cs.limit) fault(GP, 0);
  const uint64_t lin = (cs.base + s_.rip) & 0xFFFFFFFF;
  uint64_t paddr;
  const uint8_t* page = host_ptr(lin, kAccessFetch | user_access(), paddr);
  if (!page) return nullptr;
  DecodeCache::Block& b = dcache_->slot(paddr);
  if (dcache_->valid(b, paddr, cs.big())) [[likely]] return &b;
  return build_block(paddr, page, cs.big());
}

// One instruction decoded the slow way: through the MMU byte by byte (code in ROM or MMIO,
// or an instruction that crosses a page).
const Insn& Cpu::decode_uncached() {
  Fetcher f(*this, s_.rip);
  DecodeResult r = decode(f, s_.seg[CS].big(), scratch_insn_, model_->cost);
  if (r.status == DecodeResult::TooLong) fault(GP, 0);  // SDM Vol.2 2.3.11
  return scratch_insn_;
}

// Executes one instruction (the slow, exact path: single-stepping with TF, code outside
// RAM, instructions crossing pages).
void Cpu::execute_one() {
  const uint64_t start_ip = s_.rip;
  const bool tf = s_.eflags & flag::TF;
  try {
    const DecodeBlock* b = current_block();
    const Insn& i = b ? b->insns[0] : decode_uncached();
    if (mode() != Mode::Long && start_ip + i.len - 1 > s_.seg[CS].limit) fault(GP, 0);
    cur_ = &i;
    // SDM Vol.3 17.3.1.1: RF is cleared at the start of every instruction (after the fetch
    // checks), so an RF=1 loaded by IRET lasts for one instruction.
    s_.eflags &= ~flag::RF;
    ss_shadow_ = false;
    next_ip_ = (start_ip + i.len) & ip_mask();
    i.fn(*this, i);
    if (has_pending_exit_) [[unlikely]] {
      take_pending_exit(start_ip);
      return;
    }
    s_.rip = next_ip_;
    s_.cycles += i.cost;
    mid_rep_ = repeating_;
    if (repeating_) repeating_ = false;
    else s_.instret++;
    // SDM Vol.3 17.3.1.4: single-step trap after an instruction that began with TF=1,
    // except after MOV SS / POP SS, which defer it past the next instruction (6.8.3).
    if (tf && !s_.halted && !ss_shadow_) deliver_exception(Fault{DB, false, 0}, true);
  } catch (const Fault& f) {
    fault_in_instruction(f, start_ip);
  } catch (const VmExit& e) {
    vm_exit_in_instruction(e, start_ip);
  } catch (const NotImplemented& n) {
    not_implemented_in_instruction(n, start_ip);
  }
  cur_ = nullptr;
}

void Cpu::fault_in_instruction(const Fault& f, uint64_t ip) {
  repeating_ = false;
  mid_rep_ = false;
  s_.rip = ip;
  // A faulting instruction still took its base cost (1 when it faulted being fetched).
  s_.cycles += cur_ ? cur_->cost : 1;
  cur_ = nullptr;
  deliver_exception(f, false);
}

// An instruction that causes a VM exit has no effect (SDM Vol.3 27.1): RIP stays at it and
// it does not retire; it took its base cost.
void Cpu::vm_exit_in_instruction(const VmExit& e, uint64_t ip) {
  repeating_ = false;
  mid_rep_ = false;
  s_.rip = ip;
  next_ip_ = ip;
  const unsigned len = cur_ ? cur_->len : 0;
  s_.cycles += cur_ ? cur_->cost : 1;
  cur_ = nullptr;
  attn_.end_block = true;
  virt_->vm_exit(*this, e, len);
}

void Cpu::vm_exit_now(const VmExit& e, unsigned insn_len) {
  attn_.end_block = true;
  virt_->vm_exit(*this, e, insn_len);
}

void Cpu::not_implemented_in_instruction(const NotImplemented& n, uint64_t ip) {
  repeating_ = false;
  s_.rip = ip;
  cur_ = nullptr;
  pending_stop_ = StopReason::NotImplemented;
  stop_detail_ = n.what;
}

// Runs the instructions of a block from `p` (at `ip`) while control falls through, up to
// `end`. Returns the last one run; `stop` says something needs attention or the cycle
// limit was reached. `Mask` is the IP width (16- or 32-bit code), a constant here so the
// loop keeps its state in registers. On a fault, cur_ is the faulting instruction (its
// address is recomputed by faulting_ip).
template <uint64_t Mask>
const Insn* Cpu::run_insns(const Insn* p, const Insn* end, uint64_t ip, uint64_t cycle_limit,
                           bool& stop) {
  for (;; ++p) {
    const Insn& i = *p;
    cur_ = &i;
    const uint64_t fall = (ip + i.len) & Mask;
    next_ip_ = fall;
    i.fn(*this, i);
    s_.rip = next_ip_;
    uint64_t cycles = s_.cycles + i.cost;
    // Keeps GCC from merging the two counter updates into one SSE add, which costs more
    // than two scalar ones here.
    asm("" : "+r"(cycles));
    s_.cycles = cycles;
    ++s_.instret;  // a REP with iterations left is taken back by the caller
    if (attention() || cycles >= cycle_limit) [[unlikely]] {
      stop = true;
      return p;
    }
    if (next_ip_ != fall || p == end) return p;
    ip = fall;
  }
}

// The address of the current instruction (cur_) of the block whose first instruction,
// `first`, is at `ip`: the instructions before it all fell through.
uint64_t Cpu::faulting_ip(const Insn* first, uint64_t ip, uint64_t mask) const {
  if (!cur_ || !first) return ip;
  for (const Insn* q = first; q != cur_; ++q) ip = (ip + q->len) & mask;
  return ip;
}

// Executes instructions of one decoded block for as long as control falls through from one
// to the next and nothing asks for attention (an interrupt line, a stop, a change of CS,
// mode or translation, a write to code). The fast path of run().
void Cpu::execute_block(const RunLimits& lim, uint64_t& steps) {
  uint64_t ip = s_.rip;
  uint64_t n = 0;  // steps taken here
  // Stop after `budget` steps: within the step limit and, since an instruction retires at
  // most once per step, within the instruction limit.
  const uint64_t budget = std::min(lim.max_steps - steps, lim.max_instructions - s_.instret);
  const uint64_t cycle_limit = lim.cycle_limit;
  bool rep = false;
  // Links made in an earlier call are not trusted: between calls anything may have changed
  // (the state, CS, the page tables). Within this call, everything a link relies on (CS,
  // CPL, mode, translation, the code itself) stays as it was, or the chain ends first.
  ++link_epoch_;
  DecodeBlock* prev = nullptr;  // the block run last in this chain
  const Insn* first = nullptr;  // the first instruction of the block now running
  // CS cannot change within a chain (set_cs ends it), so neither can the IP width.
  const uint64_t mask = ip_mask();
  attn_.end_block = false;
  try {
    // Blocks are chained: when one ends at a branch (or its last instruction) and nothing
    // needs attention, the next is found without going back through run(): through the
    // previous block's link when it leads to this IP, else looked up.
    for (;;) {
      ip = s_.rip;
      cur_ = nullptr;  // a fault in the fetch below costs 1 cycle, not an instruction's cost
      DecodeBlock* b;
      if (prev && prev->link_ip == ip && prev->link_epoch == link_epoch_ &&
          prev->link->tag == prev->link_tag) [[likely]] {
        b = prev->link;
        // The link was made after the checks below passed for this block at this IP; only
        // TF and RF could have changed since, and POPF and IRET end a chain.
        if (s_.eflags & (flag::TF | flag::RF)) [[unlikely]] break;
      } else {
        b = current_block();
        // Single-stepping (TF) and the one instruction after an IRET that set RF take the
        // exact path; inside a block neither can arise (IRET and POPF end it). So does a
        // block that does not lie wholly inside the CS limit, so the instruction that
        // crosses it raises its #GP(0).
        if (!b || (s_.eflags & (flag::TF | flag::RF)) ||
            (mode() != Mode::Long && ip + b->bytes - 1 > s_.seg[CS].limit)) {
          if (n == 0) {
            execute_one();
            n = 1;
          }
          break;
        }
        if (prev) {
          prev->link = b;
          prev->link_ip = ip;
          prev->link_tag = b->tag;
          prev->link_epoch = link_epoch_;  // after any walk current_block made
        }
      }
      // The last instruction to run here: the block's last, or the last the budget allows
      // (then the chain ends after it).
      const Insn* const last = b->insns + (b->count - 1);
      const Insn* const end = budget - n > b->count ? last : b->insns + (budget - n - 1);
      const Insn* p = first = b->insns;
      bool stop = false;
      p = mask == 0xFFFFFFFF ? run_insns<0xFFFFFFFF>(p, end, ip, cycle_limit, stop)
                             : run_insns<0xFFFF>(p, end, ip, cycle_limit, stop);
      n += uint64_t(p - first) + 1;
      if (has_pending_exit_) [[unlikely]] {
        // The last instruction run asked for a VM exit instead of executing
        // (vm_exit_insn_deferred): take back its retirement and cost, then exit as if it
        // had thrown (its attention request ended the loop right after it).
        --s_.instret;
        s_.cycles -= p->cost;
        cur_ = p;
        take_pending_exit(faulting_ip(first, ip, mask));
        break;
      }
      // A REP string instruction with iterations left re-executes from its own address, so
      // it is always the last instruction run here: it did not retire.
      rep = repeating_;
      if (rep) {
        --s_.instret;
        repeating_ = false;
        break;
      }
      if (stop || n >= budget) break;
      prev = b;
    }
    // An interrupt taken between REP iterations pushes RF=1 (SDM Vol.3 17.3.1.1); a REP
    // that still has iterations always ends the block, so only the last step matters.
    mid_rep_ = rep;
  } catch (const Fault& f) {
    // The instructions of this block before the faulting one, and the faulting one (or the
    // fetch that faulted: cur_ is null then, and ip the block's address).
    n += (cur_ ? uint64_t(cur_ - first) : 0) + 1;
    fault_in_instruction(f, faulting_ip(first, ip, mask));
  } catch (const VmExit& e) {
    n += (cur_ ? uint64_t(cur_ - first) : 0) + 1;
    vm_exit_in_instruction(e, faulting_ip(first, ip, mask));
  } catch (const NotImplemented& n_) {
    n += (cur_ ? uint64_t(cur_ - first) : 0) + 1;
    not_implemented_in_instruction(n_, faulting_ip(first, ip, mask));
  }
  steps += n;
  cur_ = nullptr;
}

StopReason Cpu::run(const RunLimits& lim) {
  pending_stop_ = StopReason::None;
  uint64_t steps = 0;
  bool delivered = false;  // an interrupt was delivered since the last instruction
  for (;;) {
    if (attn_.stop) {
      attn_.stop = false;
      const bool stop = stop_requested_;
      stop_requested_ = yield_requested_ = false;
      return stop ? StopReason::StopRequested : StopReason::CycleLimit;
    }
    // Interrupts are recognised at instruction boundaries (SDM Vol.3 6.9), so one pending
    // after the last step is delivered before the run returns. Another may be recognised
    // before the handler's first instruction: with INTR held asserted and a trap gate
    // (which leaves IF set), deliveries follow each other with no instruction between them.
    // Each such back-to-back delivery counts as a step and is checked against the limits,
    // so an interrupt storm cannot keep run() from returning (found by fuzz_cpu_protected).
    // VMX non-root operation: the boundaries where vt/ may make an event a VM exit besides
    // INTR and NMI (interrupt/NMI windows, monitor trap flag: every boundary; the VMX-
    // preemption timer: from its expiry cycle on).
    Virtualization::BoundaryWatch watch;
    if (s_.non_root) watch = virt_->boundary_watch(*this);
    if (attn_.intr || attn_.nmi || watch.every || s_.cycles >= watch.timer) {
      if (delivered && steps >= lim.max_steps) return StopReason::StepLimit;
      if (delivered && s_.cycles >= lim.cycle_limit) return StopReason::CycleLimit;
      if (service_interrupts()) {
        if (delivered) ++steps;
        delivered = true;
        if (pending_stop_ != StopReason::None) return pending_stop_;
        continue;
      }
    }
    if (s_.instret >= lim.max_instructions) return StopReason::InstructionLimit;
    if (steps >= lim.max_steps) return StopReason::StepLimit;
    if (s_.cycles >= lim.cycle_limit) return StopReason::CycleLimit;
    if (s_.halted) {
      if (s_.non_root) {
        // A halted guest wakes into the VM exit of its preemption timer: time passes up to
        // it here when it comes before the run's cycle limit (SDM Vol.3 25.5.1).
        if (watch.timer != UINT64_MAX && watch.timer > s_.cycles) {
          if (watch.timer >= lim.cycle_limit) return StopReason::Halted;
          s_.cycles = watch.timer;
          continue;
        }
        if (watch.intr_exits) return StopReason::Halted;  // INTR exits whatever IF
      }
      if (!(s_.eflags & flag::IF) && !attn_.nmi) return StopReason::HaltedForever;
      return StopReason::Halted;
    }
    if (s_.non_root) {
      // Stop at the boundary vt/ watches: after one instruction, or at the timer's expiry.
      RunLimits l = lim;
      l.cycle_limit = std::min(lim.cycle_limit, watch.every ? 0 : watch.timer);
      execute_block(l, steps);
    } else {
      execute_block(lim, steps);
    }
    delivered = false;
    if (pending_stop_ != StopReason::None) return pending_stop_;
  }
}

// ---------------------------------------------------------------------------------------
// Physical access for loaders and debuggers

void Cpu::phys_write(uint64_t paddr, const void* data, size_t len) {
  const uint8_t* src = static_cast<const uint8_t*>(data);
  while (len) {
    const size_t chunk = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    if (uint8_t* p = bus_.page(paddr, true)) {
      std::memcpy(p + (paddr & kPageMask), src, chunk);
    } else {
      for (size_t k = 0; k < chunk; ++k) bus_.mmio_write(paddr + k, 1, src[k]);
    }
    invalidate_code(paddr, chunk);
    paddr += chunk;
    src += chunk;
    len -= chunk;
  }
}

void Cpu::phys_read(uint64_t paddr, void* data, size_t len) {
  uint8_t* dst = static_cast<uint8_t*>(data);
  while (len) {
    const size_t chunk = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    if (uint8_t* p = bus_.page(paddr, false)) {
      std::memcpy(dst, p + (paddr & kPageMask), chunk);
    } else {
      for (size_t k = 0; k < chunk; ++k) dst[k] = uint8_t(bus_.mmio_read(paddr + k, 1));
    }
    paddr += chunk;
    dst += chunk;
    len -= chunk;
  }
}

bool Cpu::debug_read_linear(uint64_t linear, void* data, size_t len) {
  uint8_t* dst = static_cast<uint8_t*>(data);
  while (len) {
    uint64_t paddr;
    if (!debug_translate(linear, paddr)) return false;
    const size_t chunk = std::min<size_t>(len, kPageSize - (linear & kPageMask));
    phys_read(paddr, dst, chunk);
    linear += chunk;
    dst += chunk;
    len -= chunk;
  }
  return true;
}

void Cpu::invalidate_code(uint64_t paddr, uint64_t len) {
  if (!len) return;
  attn_.end_block = true;
  for (uint64_t p = paddr & ~kPageMask; p < paddr + len; p += kPageSize) dcache_->invalidate_page(p);
}

// ---------------------------------------------------------------------------------------
// Dump and hash

std::string Cpu::dump() const {
  char buf[2048];
  const uint32_t f = flags();
  int n = std::snprintf(
      buf, sizeof buf,
      "mode=%s cpl=%u\n"
      "eax=%08x ebx=%08x ecx=%08x edx=%08x\n"
      "esi=%08x edi=%08x ebp=%08x esp=%08x\n"
      "eip=%08x eflags=%08x\n",
      mode_name(mode()), s_.cpl, uint32_t(s_.gpr[RAX]), uint32_t(s_.gpr[RBX]),
      uint32_t(s_.gpr[RCX]), uint32_t(s_.gpr[RDX]), uint32_t(s_.gpr[RSI]), uint32_t(s_.gpr[RDI]),
      uint32_t(s_.gpr[RBP]), uint32_t(s_.gpr[RSP]), uint32_t(s_.rip), f);
  static const char* const kSeg[6] = {"es", "cs", "ss", "ds", "fs", "gs"};
  for (unsigned k = 0; k < 6; ++k) {
    const SegmentCache& sc = s_.seg[k];
    n += std::snprintf(buf + n, sizeof buf - n, "%s=%04x base=%08llx limit=%08x attr=%05x\n",
                       kSeg[k], sc.selector, (unsigned long long)sc.base, sc.limit, sc.attr);
  }
  n += std::snprintf(buf + n, sizeof buf - n,
                     "ldtr=%04x tr=%04x gdtr=%08llx/%04x idtr=%08llx/%04x\n"
                     "cr0=%08llx cr2=%08llx cr3=%08llx cr4=%08llx efer=%llx\n"
                     "cycles=%llu instret=%llu\n",
                     s_.ldtr.selector, s_.tr.selector, (unsigned long long)s_.gdtr.base,
                     s_.gdtr.limit, (unsigned long long)s_.idtr.base, s_.idtr.limit,
                     (unsigned long long)s_.cr0, (unsigned long long)s_.cr2,
                     (unsigned long long)s_.cr3, (unsigned long long)s_.cr4,
                     (unsigned long long)s_.efer, (unsigned long long)s_.cycles,
                     (unsigned long long)s_.instret);
  return std::string(buf, size_t(n));
}

uint64_t Cpu::state_hash() const {
  // FNV-1a over the fields, one at a time (no padding bytes are hashed).
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](uint64_t v) {
    for (int k = 0; k < 8; ++k) {
      h ^= (v >> (k * 8)) & 0xFF;
      h *= 0x100000001b3ull;
    }
  };
  for (uint64_t r : s_.gpr) mix(r);
  mix(s_.rip);
  mix(flags());
  for (const auto& sc : s_.seg) {
    mix(sc.selector);
    mix(sc.base);
    mix(sc.limit);
    mix(sc.attr);
  }
  for (const SegmentCache* sc : {&s_.ldtr, &s_.tr}) {
    mix(sc->selector);
    mix(sc->base);
    mix(sc->limit);
    mix(sc->attr);
  }
  mix(s_.gdtr.base);
  mix(s_.gdtr.limit);
  mix(s_.idtr.base);
  mix(s_.idtr.limit);
  mix(s_.cr0);
  mix(s_.cr2);
  mix(s_.cr3);
  mix(s_.cr4);
  mix(s_.efer);
  for (uint64_t d : s_.dr) mix(d);
  mix(s_.cpl);
  mix(s_.halted);
  mix(s_.non_root);
  mix(s_.cycles);
  mix(s_.instret);
  return h;
}

}  // namespace cpu
