// cpu/cpu.cpp — reset, the execution loop, the decoded-instruction cache, lazy flags,
// operand access and the state dump.
#include "cpu/cpu.h"

#include <cstdio>
#include <cstring>

#include "cpu/cycles/model.h"
#include "cpu/decoder/decoder.h"
#include "cpu/internal.h"

namespace cpu {

// ---------------------------------------------------------------------------------------
// Construction and reset

Cpu::Cpu(Bus& bus) : bus_(bus), model_(&haswell_model()),
                     dcache_(std::make_unique<DecodeCache>()) {
  mem_access_cost_ = model_->mem_access;
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
  lz_op_ = LazyOp::None;
  intr_ = false;
  nmi_pending_ = false;
  stop_requested_ = false;
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
  lz_op_ = LazyOp::None;
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
  check_mode();
}

// ---------------------------------------------------------------------------------------
// Lazy flags

namespace {
constexpr uint64_t size_mask(unsigned size) { return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1; }
constexpr uint64_t sign_bit(unsigned size) { return 1ull << (size * 8 - 1); }
}  // namespace

bool Cpu::cf() const {
  const uint64_t m = size_mask(lz_size_);
  switch (lz_op_) {
    case LazyOp::None:
    case LazyOp::Inc:
    case LazyOp::Dec: return s_.eflags & flag::CF;
    case LazyOp::Add: return (lz_r_ & m) < (lz_a_ & m);
    case LazyOp::Adc: return (lz_r_ & m) <= (lz_a_ & m);
    case LazyOp::Sub: return (lz_a_ & m) < (lz_b_ & m);
    case LazyOp::Sbb: return (lz_a_ & m) <= (lz_b_ & m);
    case LazyOp::Logic: return false;
    case LazyOp::Neg: return (lz_b_ & m) != 0;
  }
  return false;
}

bool Cpu::zf() const {
  if (lz_op_ == LazyOp::None) return s_.eflags & flag::ZF;
  return (lz_r_ & size_mask(lz_size_)) == 0;
}

bool Cpu::sf() const {
  if (lz_op_ == LazyOp::None) return s_.eflags & flag::SF;
  return lz_r_ & sign_bit(lz_size_);
}

bool Cpu::pf() const {
  if (lz_op_ == LazyOp::None) return s_.eflags & flag::PF;
  return !__builtin_parity(unsigned(lz_r_ & 0xFF));
}

bool Cpu::af() const {
  switch (lz_op_) {
    case LazyOp::None: return s_.eflags & flag::AF;
    case LazyOp::Logic: return false;
    case LazyOp::Inc: return (lz_r_ & 0xF) == 0;
    case LazyOp::Dec: return (lz_r_ & 0xF) == 0xF;
    default: return (lz_a_ ^ lz_b_ ^ lz_r_) & 0x10;
  }
}

bool Cpu::of() const {
  const uint64_t sb = sign_bit(lz_size_);
  switch (lz_op_) {
    case LazyOp::None: return s_.eflags & flag::OF;
    case LazyOp::Add:
    case LazyOp::Adc: return ((lz_a_ ^ lz_r_) & (lz_b_ ^ lz_r_)) & sb;
    case LazyOp::Sub:
    case LazyOp::Sbb:
    case LazyOp::Neg: return ((lz_a_ ^ lz_b_) & (lz_a_ ^ lz_r_)) & sb;
    case LazyOp::Logic: return false;
    case LazyOp::Inc: return (lz_r_ & size_mask(lz_size_)) == sb;
    case LazyOp::Dec: return (lz_r_ & size_mask(lz_size_)) == sb - 1;
  }
  return false;
}

void Cpu::preserve_cf() {
  if (lz_op_ != LazyOp::None) s_.eflags = (s_.eflags & ~flag::CF) | (cf() ? flag::CF : 0);
}

void Cpu::fold_flags(uint32_t& f) const {
  if (lz_op_ == LazyOp::None) return;
  f &= ~flag::ARITH;
  f |= (cf() ? flag::CF : 0) | (pf() ? flag::PF : 0) | (af() ? flag::AF : 0) |
       (zf() ? flag::ZF : 0) | (sf() ? flag::SF : 0) | (of() ? flag::OF : 0);
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
  lz_op_ = LazyOp::None;
  if (vm_changed) check_mode();
}

void Cpu::set_arith_flags(uint32_t mask, uint32_t bits) {
  fold_flags(s_.eflags);
  lz_op_ = LazyOp::None;
  s_.eflags = (s_.eflags & ~mask) | (bits & mask);
}

bool Cpu::condition(unsigned cc) const {
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

// ---------------------------------------------------------------------------------------
// Registers and operands

uint64_t Cpu::reg(unsigned r, unsigned size) const {
  switch (size) {
    case 1: return reg8(r);
    case 2: return reg16(r);
    case 4: return reg32(r);
    default: return s_.gpr[r];
  }
}

void Cpu::set_reg(unsigned r, unsigned size, uint64_t v) {
  switch (size) {
    case 1: set_reg8(r, uint8_t(v)); break;
    case 2: set_reg16(r, uint16_t(v)); break;
    case 4: set_reg32(r, uint32_t(v)); break;
    default: s_.gpr[r] = v; break;
  }
}

uint64_t Cpu::ea(const Insn& i) const {
  uint64_t a = i.disp;
  if (i.base != kNoReg) a += s_.gpr[i.base];
  if (i.index != kNoReg) a += s_.gpr[i.index] << i.scale;
  return i.adsize == 2 ? (a & 0xFFFF) : (a & 0xFFFFFFFF);
}

uint64_t Cpu::read_rm(const Insn& i, unsigned size) {
  if (i.mod == 3) return reg(i.rm, size);
  return read_sized(i.seg, ea(i), size);
}

uint64_t Cpu::read_rm_rmw(const Insn& i, unsigned size) {
  if (i.mod == 3) return reg(i.rm, size);
  return read_sized_rmw(i.seg, ea(i), size);
}

void Cpu::write_rm(const Insn& i, unsigned size, uint64_t v) {
  if (i.mod == 3) set_reg(i.rm, size, v);
  else write_sized(i.seg, ea(i), size, v);
}

// ---------------------------------------------------------------------------------------
// Stack

void Cpu::set_sp(uint64_t v) {
  if (stack_size() == 4) s_.gpr[RSP] = uint32_t(v);
  else set_reg16(RSP, uint16_t(v));
}

void Cpu::push(unsigned size, uint64_t v) {
  const uint64_t nsp = (sp() - size) & (stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull);
  write_sized(SS, nsp, size, v);  // write first: a fault leaves ESP unchanged
  set_sp(nsp);
}

uint64_t Cpu::pop(unsigned size) {
  const uint64_t v = read_sized(SS, sp(), size);
  set_sp(sp() + size);
  return v;
}

uint64_t Cpu::peek(unsigned size, uint64_t depth) {
  const uint64_t mask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
  return read_sized(SS, (sp() + depth) & mask, size);
}

void Cpu::jump_near(uint64_t target, unsigned opsize) {
  if (opsize == 2) target &= 0xFFFF;
  else target &= 0xFFFFFFFF;
  // SDM Vol.2 JMP: #GP(0) if the target is beyond the code segment limit.
  if (mode() != Mode::Long && target > s_.seg[CS].limit) fault(GP, 0);
  next_ip_ = target;
}

// ---------------------------------------------------------------------------------------
// Faults

void Cpu::fault(uint8_t vector) { throw Fault{vector, false, 0}; }
void Cpu::fault(uint8_t vector, uint32_t ec) { throw Fault{vector, true, ec}; }
void Cpu::not_implemented(const std::string& what) { throw NotImplemented{what}; }

void Cpu::halt() {
  s_.halted = true;
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

// The fast path: a TLB hit for the fetch and a valid cached decode at that physical address.
inline const Insn& Cpu::fetch_decode() {
  const SegmentCache& cs = s_.seg[CS];
  const uint64_t lin = (cs.base + s_.rip) & 0xFFFFFFFF;
  const TlbEntry& t = tlb_[(lin >> 12) & (kTlbEntries - 1)];
  const unsigned acc = kAccessFetch | user_access();
  if (t.tag == (lin >> 12) && ((t.allow >> acc) & 1) && t.host_r && !(s_.efer & efer::LMA)) [[likely]] {
    const uint64_t paddr = t.ppage | (lin & kPageMask);
    const DecodeCache::Entry& e = dcache_->slot(paddr);
    if (e.tag == paddr + 1 && e.gen == dcache_->gen(paddr) && e.code32 == cs.big() &&
        s_.rip + e.insn.len - 1 <= cs.limit) [[likely]]
      return e.insn;
  }
  return fetch_decode_slow();
}

const Insn& Cpu::fetch_decode_slow() {
  const uint64_t lin = (s_.seg[CS].base + s_.rip) & 0xFFFFFFFF;
  const bool code32 = s_.seg[CS].big();
  uint64_t paddr;
  // Translate the first byte (this also checks fetch permission on every execution).
  if (mode() != Mode::Long && s_.rip > s_.seg[CS].limit) fault(GP, 0);
  uint8_t* page = host_ptr(lin, kAccessFetch | user_access(), paddr);
  if (page) {
    DecodeCache::Entry& e = dcache_->slot(paddr);
    const uint32_t gen = dcache_->gen(paddr);
    if (e.tag == paddr + 1 && e.gen == gen && e.code32 == code32) {
      // The cached length must still fit in the code segment.
      if (mode() != Mode::Long && s_.rip + e.insn.len - 1 > s_.seg[CS].limit) fault(GP, 0);
      return e.insn;
    }
    Fetcher f(*this, s_.rip);
    DecodeResult r = decode(f, code32, e.insn, model_->cost);
    if (r.status == DecodeResult::TooLong) {
      e.tag = 0;
      fault(GP, 0);  // SDM Vol.2 2.3.11: instructions longer than 15 bytes raise #GP(0)
    }
    if (!f.crosses_) {
      e.tag = paddr + 1;
      e.gen = dcache_->gen(paddr);
      e.code32 = code32;
      mark_code_page(paddr);
    } else {
      e.tag = 0;
    }
    return e.insn;
  }
  // Code outside RAM (ROM through MMIO, unmapped): decode every time.
  Fetcher f(*this, s_.rip);
  DecodeResult r = decode(f, code32, scratch_insn_, model_->cost);
  if (r.status == DecodeResult::TooLong) fault(GP, 0);
  return scratch_insn_;
}

void Cpu::execute_one() {
  const uint64_t start_ip = s_.rip;
  const bool tf = s_.eflags & flag::TF;
  try {
    const Insn& i = fetch_decode();
    cur_ = &i;
    // SDM Vol.3 17.3.1.1: RF is cleared at the start of every instruction (after the fetch
    // checks), so an RF=1 loaded by IRET lasts for one instruction.
    s_.eflags &= ~flag::RF;
    ss_shadow_ = false;
    next_ip_ = (start_ip + i.len) & ip_mask();
    i.fn(*this, i);
    s_.rip = next_ip_;
    s_.cycles += i.cost;
    mid_rep_ = repeating_;
    if (repeating_) repeating_ = false;
    else s_.instret++;
    // SDM Vol.3 17.3.1.4: single-step trap after an instruction that began with TF=1,
    // except after MOV SS / POP SS, which defer it past the next instruction (6.8.3).
    if (tf && !s_.halted && !ss_shadow_) deliver_exception(Fault{DB, false, 0}, true);
  } catch (const Fault& f) {
    repeating_ = false;
    mid_rep_ = false;
    s_.rip = start_ip;
    // A faulting instruction still took its base cost (1 when it faulted being fetched).
    s_.cycles += cur_ ? cur_->cost : 1;
    deliver_exception(f, false);
  } catch (const NotImplemented& n) {
    repeating_ = false;
    s_.rip = start_ip;
    pending_stop_ = StopReason::NotImplemented;
    stop_detail_ = n.what;
  }
  cur_ = nullptr;
}

StopReason Cpu::run(const RunLimits& lim) {
  pending_stop_ = StopReason::None;
  uint64_t steps = 0;
  for (;;) {
    if (stop_requested_) {
      stop_requested_ = false;
      return StopReason::StopRequested;
    }
    // Interrupts are recognised at instruction boundaries (SDM Vol.3 6.9), so one pending
    // after the last step is delivered before the run returns.
    if ((intr_ || nmi_pending_) && service_interrupts()) {
      if (pending_stop_ != StopReason::None) return pending_stop_;
      continue;
    }
    if (s_.instret >= lim.max_instructions) return StopReason::InstructionLimit;
    if (steps >= lim.max_steps) return StopReason::StepLimit;
    if (s_.cycles >= lim.cycle_limit) return StopReason::CycleLimit;
    if (s_.halted) {
      if (!(s_.eflags & flag::IF) && !nmi_pending_) return StopReason::HaltedForever;
      return StopReason::Halted;
    }
    execute_one();
    ++steps;
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
  mix(s_.cycles);
  mix(s_.instret);
  return h;
}

}  // namespace cpu
