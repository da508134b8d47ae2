// platform/devices/lapic.cpp — see lapic.h. Section numbers refer to the Intel SDM Vol.3
// chapter 10, "Advanced Programmable Interrupt Controller (APIC)".
#include "platform/devices/lapic.h"

#include <algorithm>
#include <cstdio>

#include "platform/machine.h"

namespace platform {

namespace {

// Writable bits of each LVT entry (Figure 10-8). Delivery status (12) and remote IRR (14)
// are read-only; timer bit 18 (TSC-deadline) is reserved since CPUID does not advertise it.
constexpr uint32_t kLvtWritable[6] = {
    0x000300FF,  // timer: vector, mask, periodic
    0x000107FF,  // thermal: vector, delivery mode, mask
    0x000107FF,  // performance counters
    0x0001A7FF,  // LINT0: vector, delivery mode, polarity, trigger mode, mask
    0x0001A7FF,  // LINT1
    0x000100FF,  // error: vector, mask
};
// ICR low: vector, delivery mode, destination mode, level, trigger mode, shorthand.
constexpr uint32_t kIcrLoWritable = 0x000CCFFF;

int highest_bit(const std::array<uint32_t, 8>& bits) {
  for (int i = 7; i >= 0; --i) {
    if (bits[size_t(i)]) return i * 32 + 31 - __builtin_clz(bits[size_t(i)]);
  }
  return -1;
}
bool test_bit(const std::array<uint32_t, 8>& bits, unsigned v) { return bits[v / 32] >> (v % 32) & 1; }
void set_bit(std::array<uint32_t, 8>& bits, unsigned v, bool on) {
  if (on) {
    bits[v / 32] |= 1u << (v % 32);
  } else {
    bits[v / 32] &= ~(1u << (v % 32));
  }
}

}  // namespace

Lapic::Lapic(Machine& m, bool virtual_wire) : m_(m), virtual_wire_(virtual_wire) { reset(); }

// ---- Reset -----------------------------------------------------------------------------

void Lapic::power_up_state() {
  // 10.4.7.1: IRR, ISR, TMR, ICR, LDR, TPR, the timer registers and the divide
  // configuration are zero; DFR is all ones; the LVT entries are masked; SVR is 0xFF.
  const bool msr = s_.msr_enabled;
  s_ = LapicState{};
  s_.msr_enabled = msr;
  for (uint32_t& e : s_.lvt) e = kLvtMasked;
  if (timer_event_) {
    m_.scheduler().cancel(timer_event_);
    timer_event_ = 0;
  }
}

void Lapic::reset() {
  power_up_state();
  s_.msr_enabled = true;  // the CPU's reset sets IA32_APIC_BASE bit 11
  if (virtual_wire_) {
    // What a BIOS leaves for virtual wire mode (SeaBIOS smp.c): APIC software enabled,
    // LINT0 ExtINT (level), LINT1 NMI (level).
    s_.svr = 0x1FF;
    s_.lvt[Lint0] = 0x8700;
    s_.lvt[Lint1] = 0x8400;
  }
}

void Lapic::observe_msr() {
  const bool en = globally_enabled();
  if (s_.msr_enabled && !en) power_up_state();  // 10.4.3: initialisation may be lost
  s_.msr_enabled = en;
}

bool Lapic::globally_enabled() const { return m_.cpu().state().msrs.apic_base & (1u << 11); }

uint64_t Lapic::base() const { return m_.cpu().state().msrs.apic_base & ~uint64_t(0xFFF); }

// ---- Priorities (10.8.3) ---------------------------------------------------------------

uint8_t Lapic::ppr() const {
  // 10.8.3.1: PPR = TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4]:0.
  const int isrv = highest_bit(s_.isr);
  const uint32_t isr_class = isrv < 0 ? 0 : uint32_t(isrv) & 0xF0;
  return uint8_t((s_.tpr & 0xF0) >= isr_class ? s_.tpr : isr_class);
}

uint8_t Lapic::apr() const {
  // Arbitration priority (the SDM's P6-family description of the APR): TPR when
  // TPR[7:4] >= IRRV[7:4] and TPR[7:4] > ISRV[7:4]; otherwise the highest of the three
  // classes, with bits 3:0 zero.
  const int isrv = highest_bit(s_.isr), irrv = highest_bit(s_.irr);
  const uint32_t t = s_.tpr & 0xF0, is = isrv < 0 ? 0 : uint32_t(isrv) & 0xF0,
                 ir = irrv < 0 ? 0 : uint32_t(irrv) & 0xF0;
  if (t >= ir && t > is) return uint8_t(s_.tpr);
  return uint8_t(std::max({t, is, ir}));
}

bool Lapic::deliverable(uint8_t* vector) const {
  if (!globally_enabled() || !software_enabled()) return false;
  const int irrv = highest_bit(s_.irr);
  if (irrv < 0 || (uint32_t(irrv) & 0xF0) <= (ppr() & 0xF0u)) return false;
  if (vector) *vector = uint8_t(irrv);
  return true;
}

bool Lapic::intr_pending() const { return deliverable(nullptr); }

uint8_t Lapic::intr_ack() {
  observe_msr();
  uint8_t v;
  // 10.9: an interrupt that went away (or got masked by TPR) before the acknowledge is
  // answered with the spurious vector, which does not enter ISR.
  if (!deliverable(&v)) return uint8_t(s_.svr);
  set_bit(s_.irr, v, false);
  set_bit(s_.isr, v, true);
  if (v == uint8_t(s_.lvt[Timer]) && !timer_event_) rearm_timer();  // see rearm_timer()
  return v;
}

bool Lapic::passes_extint() const {
  if (!globally_enabled() || !software_enabled()) return true;
  const uint32_t lint0 = s_.lvt[Lint0];
  return !(lint0 & kLvtMasked) && ((lint0 >> 8) & 7) == apic_mode::ExtInt;
}

void Lapic::changed() { m_.update_intr(); }

// ---- Accepting interrupts --------------------------------------------------------------

void Lapic::accept(uint8_t vector, bool level) {
  if (vector < 16) {
    // 10.5.2: vectors 0-15 are illegal; the interrupt is not accepted.
    signal_error(kEsrReceiveIllegal);
    return;
  }
  set_bit(s_.irr, vector, true);
  set_bit(s_.tmr, vector, level);  // 10.8.4: TMR set for level, cleared for edge
  changed();
}

void Lapic::signal_error(uint32_t bits) {
  s_.esr_pending |= bits;
  const uint32_t e = s_.lvt[Error];
  if (e & kLvtMasked) return;
  const uint8_t v = uint8_t(e);
  if (v < 16) {
    s_.esr_pending |= kEsrReceiveIllegal;  // the error interrupt itself is illegal
    return;
  }
  set_bit(s_.irr, v, true);
  set_bit(s_.tmr, v, false);
  changed();
}

bool Lapic::matches(uint8_t dest, bool logical) const {
  if (!logical) return dest == 0xFF || dest == uint8_t(s_.id >> 24);  // 10.6.2.1
  // 10.6.2.2: the flat model (DFR 31:28 = 1111b) ANDs the 8-bit logical ID with the
  // destination; the cluster model (0000b) compares the cluster (bits 7:4, 1111b =
  // all clusters) and ANDs the 4-bit member mask.
  const uint8_t logical_id = uint8_t(s_.ldr >> 24);
  switch (s_.dfr >> 28) {
    case 0xF: return (logical_id & dest) != 0;
    case 0x0:
      return ((dest >> 4) == 0xF || (dest >> 4) == (logical_id >> 4)) && (logical_id & dest & 0xF) != 0;
    default: return false;
  }
}

bool Lapic::message(const ApicMessage& msg) {
  observe_msr();
  if (!globally_enabled() || !matches(msg.dest, msg.logical)) return false;
  switch (msg.mode) {
    case apic_mode::Fixed:
    case apic_mode::LowestPriority:
      if (msg.vector < 16) {
        signal_error(kEsrReceiveIllegal);  // 10.5.2: not accepted
        return false;
      }
      accept(msg.vector, msg.level);
      return true;
    case apic_mode::Nmi: m_.cpu().raise_nmi(); return true;
    case apic_mode::ExtInt:
      s_.extint_pending = true;
      changed();
      return true;
    default: return true;  // SMI (no SMM), INIT and SIPI to the BSP: see lapic.h
  }
}

void Lapic::eoi() {
  const int v = highest_bit(s_.isr);
  if (v < 0) return;
  set_bit(s_.isr, unsigned(v), false);
  // 10.8.5: the EOI of a level-triggered interrupt is broadcast to the IO APICs.
  if (test_bit(s_.tmr, unsigned(v)) && eoi_sink_) eoi_sink_(uint8_t(v));
  changed();
}

void Lapic::send_ipi() {
  const uint32_t lo = s_.icr_lo;
  const uint8_t vector = uint8_t(lo), mode = uint8_t((lo >> 8) & 7);
  const bool logical = lo & (1u << 11), assert_level = lo & (1u << 14), level = lo & (1u << 15);
  const unsigned shorthand = (lo >> 18) & 3;
  bool to_self;
  switch (shorthand) {
    case 1:  // self
    case 2:  // all including self
      to_self = true;
      break;
    case 3: to_self = false; break;  // all excluding self: there is no other CPU
    default: to_self = matches(uint8_t(s_.icr_hi >> 24), logical); break;
  }
  switch (mode) {
    case apic_mode::Fixed:
    case apic_mode::LowestPriority:
      if (vector < 16) {
        signal_error(kEsrSendIllegal);  // 10.5.3: the message is not sent
        return;
      }
      if (to_self) accept(vector, level);
      return;
    case apic_mode::Nmi:
      if (to_self) m_.cpu().raise_nmi();
      return;
    case apic_mode::Init:
      // INIT level de-assert (10.6.1): all APICs reload their arbitration IDs; no target
      // is affected. INIT (assert) to itself is ignored: see lapic.h.
      if (level && !assert_level && init_deassert_sink_) init_deassert_sink_();
      return;
    default: return;  // SIPI to itself or nowhere, SMI, reserved modes
  }
}

// ---- Timer (10.5.4) --------------------------------------------------------------------

uint32_t Lapic::divisor() const {
  // Figure 10-10: bits 3, 1, 0: 000 = 2, 001 = 4, ..., 110 = 128, 111 = 1.
  const uint32_t d = (s_.timer_divide & 3) | ((s_.timer_divide >> 1) & 4);
  return d == 7 ? 1 : 2u << d;
}

uint64_t Lapic::bus_tick() const { return m_.clock().ticks(m_.now(), kBusHz); }

uint32_t Lapic::current_count() const {
  if (!timer_running()) return 0;
  const uint64_t elapsed = (bus_tick() - s_.timer_start_tick) / divisor();
  if (elapsed < s_.timer_start_count) return uint32_t(s_.timer_start_count - elapsed);
  // Periodic: reloaded from the initial count each time the count reaches 0.
  if (timer_periodic() && s_.timer_initial != 0)
    return uint32_t(s_.timer_initial - (elapsed - s_.timer_start_count) % s_.timer_initial);
  return 0;  // one-shot: stays at 0 until reprogrammed
}

uint64_t Lapic::expiry_cycle(uint64_t k) const {
  // Expiry k (1-based) is at bus tick start + divisor * (start count + initial * (k-1)).
  if (k == 0 || (k > 1 && (!timer_periodic() || s_.timer_initial == 0))) return Scheduler::kNever;
  const unsigned __int128 tick =
      (unsigned __int128)s_.timer_start_tick +
      (unsigned __int128)divisor() * (s_.timer_start_count + (unsigned __int128)s_.timer_initial * (k - 1));
  if (tick >= UINT64_MAX) return Scheduler::kNever;
  const uint64_t c = m_.clock().cycle_of_tick(uint64_t(tick), kBusHz);
  return c >= Scheduler::kNever ? Scheduler::kNever - 1 : c;
}

void Lapic::rearm_timer(bool keep_next) {
  const bool was_armed = timer_event_ != 0 || keep_next;
  if (timer_event_) {
    m_.scheduler().cancel(timer_event_);
    timer_event_ = 0;
  }
  if (!timer_running() || !globally_enabled() || (s_.lvt[Timer] & kLvtMasked)) return;
  // While the timer's vector still waits in IRR, further expiries would change nothing
  // (IRR holds one request per vector): no events until it is acknowledged, so a fast
  // periodic timer that the guest does not service costs nothing.
  const uint8_t vector = uint8_t(s_.lvt[Timer]);
  if (vector >= 16 && test_bit(s_.irr, vector)) return;
  // Expiries that passed while no event was armed (masked, disabled, or the interrupt still
  // in IRR) are skipped: find the first one at or after now. An armed event that is due
  // but has not run yet (an MMIO write inside the instruction that crossed its cycle)
  // keeps its expiry.
  const uint64_t now = m_.now();
  const uint64_t first_tick =
      now == 0 ? 0 : m_.clock().ticks(now - 1, kBusHz) + 1;  // first tick at cycle >= now
  const unsigned __int128 t1 =
      (unsigned __int128)s_.timer_start_tick + (unsigned __int128)divisor() * s_.timer_start_count;
  uint64_t k = 1;
  if (t1 < first_tick) {
    k = 2;  // one-shot: its only expiry has passed
    if (timer_periodic() && s_.timer_initial != 0) {
      const unsigned __int128 period = (unsigned __int128)divisor() * s_.timer_initial;
      const unsigned __int128 n = (first_tick - t1 + period - 1) / period;
      k = n >= UINT64_MAX - 1 ? UINT64_MAX - 1 : uint64_t(n) + 1;
    }
  }
  if (!was_armed && k > s_.timer_next) s_.timer_next = k;
  uint64_t at = expiry_cycle(s_.timer_next);
  if (at == Scheduler::kNever) return;
  const uint64_t next = s_.timer_next;
  timer_event_ = m_.scheduler().schedule(at, [this, next](uint64_t) {
    timer_event_ = 0;
    timer_fire(next);
  });
}

void Lapic::timer_fire(uint64_t k) {
  observe_msr();
  if (k != s_.timer_next || !timer_running()) return;
  s_.timer_next = k + 1;
  if (!(s_.lvt[Timer] & kLvtMasked)) accept(uint8_t(s_.lvt[Timer]), false);
  rearm_timer();
}

// ---- Registers -------------------------------------------------------------------------

uint32_t Lapic::read_reg(uint32_t offset) {
  observe_msr();
  if (offset >= ISR && offset < ISR + 0x80) return s_.isr[(offset - ISR) / 16];
  if (offset >= TMR && offset < TMR + 0x80) return s_.tmr[(offset - TMR) / 16];
  if (offset >= IRR && offset < IRR + 0x80) return s_.irr[(offset - IRR) / 16];
  if (offset >= LVT_TIMER && offset <= LVT_ERROR) return s_.lvt[(offset - LVT_TIMER) / 16];
  switch (offset) {
    case ID: return s_.id;
    case VERSION: return kVersion;
    case TPR: return s_.tpr;
    case APR: return apr();
    case PPR: return ppr();
    case EOI: return 0;  // write-only
    case RRD: return 0;  // remote read is not supported
    case LDR: return s_.ldr;
    case DFR: return s_.dfr;
    case SVR: return s_.svr;
    case ESR: return s_.esr;
    case ICR_LO: return s_.icr_lo;  // delivery status (12) is always idle
    case ICR_HI: return s_.icr_hi;
    case TIMER_INITIAL: return s_.timer_initial;
    case TIMER_CURRENT: return current_count();
    case TIMER_DIVIDE: return s_.timer_divide;
    default:
      signal_error(kEsrIllegalRegister);
      return 0;
  }
}

void Lapic::write_reg(uint32_t offset, uint32_t v) {
  observe_msr();
  if (offset >= LVT_TIMER && offset <= LVT_ERROR) {
    const unsigned i = (offset - LVT_TIMER) / 16;
    uint32_t nv = v & kLvtWritable[i];
    if (!software_enabled()) nv |= kLvtMasked;  // 10.4.7.2: masks held set
    s_.lvt[i] = nv;
    if (i == Timer) rearm_timer();
    if (i == Lint0) changed();  // the PIC path may open or close
    return;
  }
  switch (offset) {
    case ID: s_.id = v & 0xFF000000; return;
    case TPR:
      s_.tpr = v & 0xFF;
      changed();
      return;
    case EOI: eoi(); return;
    case LDR: s_.ldr = v & 0xFF000000; return;
    case DFR: s_.dfr = (v & 0xF0000000) | 0x0FFFFFFF; return;
    case SVR:
      s_.svr = v & 0x3FF;  // vector, software enable, focus check
      if (!software_enabled()) {
        for (uint32_t& e : s_.lvt) e |= kLvtMasked;
      }
      rearm_timer();
      changed();
      return;
    case ESR:
      // 10.5.3: a write latches the errors detected since the previous write.
      s_.esr = s_.esr_pending;
      s_.esr_pending = 0;
      return;
    case ICR_LO:
      s_.icr_lo = v & kIcrLoWritable;
      send_ipi();
      return;
    case ICR_HI: s_.icr_hi = v & 0xFF000000; return;
    case TIMER_INITIAL:
      // 10.5.4: writing the initial count starts (or restarts) the count-down; 0 stops it.
      s_.timer_initial = v;
      s_.timer_start_tick = bus_tick();
      s_.timer_start_count = v;
      s_.timer_next = 1;
      rearm_timer();
      return;
    case TIMER_DIVIDE: {
      const uint32_t count = current_count();
      s_.timer_divide = v & 0xB;
      if (timer_running()) {  // continue from the current count at the new rate
        s_.timer_start_tick = bus_tick();
        s_.timer_start_count = count;
        s_.timer_next = 1;
      }
      rearm_timer();
      return;
    }
    case VERSION:
    case APR:
    case PPR:
    case RRD:
    case TIMER_CURRENT:
      return;  // read-only
    default:
      if ((offset >= ISR && offset < IRR + 0x80)) return;  // ISR, TMR, IRR: read-only
      signal_error(kEsrIllegalRegister);
      return;
  }
}

uint64_t Lapic::mmio_read(uint64_t offset, unsigned size) {
  const uint32_t slot = uint32_t(offset & 0xFF0);
  const unsigned byte = unsigned(offset & 0xF);
  if (byte >= 4) return 0;  // bytes 4-15 of a 16-byte slot
  const uint64_t v = uint64_t(read_reg(slot)) >> (8 * byte);
  return size >= 8 ? v : v & ((uint64_t(1) << (8 * size)) - 1);
}

void Lapic::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
  if (size != 4 || (offset & 0xF) != 0) return;  // 10.4.1: only aligned 32-bit stores
  write_reg(uint32_t(offset & 0xFF0), uint32_t(value));
}

// ---- Dump, save, load ------------------------------------------------------------------

std::string Lapic::dump() const {
  std::string out;
  char buf[128];
  auto line = [&](const char* key, uint64_t v) {
    std::snprintf(buf, sizeof buf, "%s=%08llx\n", key, static_cast<unsigned long long>(v));
    out += buf;
  };
  line("id", s_.id);
  line("tpr", s_.tpr);
  line("ppr", ppr());
  line("ldr", s_.ldr);
  line("dfr", s_.dfr);
  line("svr", s_.svr);
  for (const auto& [key, bits] : {std::pair{"isr", &s_.isr}, {"tmr", &s_.tmr}, {"irr", &s_.irr}}) {
    for (unsigned i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%s%u=%08x\n", key, i, (*bits)[i]);
      out += buf;
    }
  }
  line("esr", s_.esr);
  line("esr_pending", s_.esr_pending);
  line("icr_lo", s_.icr_lo);
  line("icr_hi", s_.icr_hi);
  static const char* const kLvtNames[6] = {"lvt_timer", "lvt_thermal", "lvt_perf",
                                           "lvt_lint0", "lvt_lint1",   "lvt_error"};
  for (unsigned i = 0; i < 6; ++i) line(kLvtNames[i], s_.lvt[i]);
  line("timer_initial", s_.timer_initial);
  line("timer_divide", s_.timer_divide);
  line("timer_start_tick", s_.timer_start_tick);
  line("timer_start_count", s_.timer_start_count);
  line("timer_next", s_.timer_next);
  out += s_.extint_pending ? "extint_pending=1\n" : "extint_pending=0\n";
  out += s_.msr_enabled ? "msr_enabled=1\n" : "msr_enabled=0\n";
  return out;
}

void Lapic::save(StateWriter& w) const {
  w.section("lapic");
  w.u32(s_.id);
  w.u32(s_.tpr);
  w.u32(s_.ldr);
  w.u32(s_.dfr);
  w.u32(s_.svr);
  for (const auto* a : {&s_.isr, &s_.tmr, &s_.irr}) {
    for (uint32_t x : *a) w.u32(x);
  }
  w.u32(s_.esr);
  w.u32(s_.esr_pending);
  w.u32(s_.icr_lo);
  w.u32(s_.icr_hi);
  for (uint32_t x : s_.lvt) w.u32(x);
  w.u32(s_.timer_initial);
  w.u32(s_.timer_divide);
  w.u64(s_.timer_start_tick);
  w.u32(s_.timer_start_count);
  w.u64(s_.timer_next);
  w.boolean(s_.extint_pending);
  w.boolean(s_.msr_enabled);
}

void Lapic::load(StateReader& r) {
  r.section("lapic");
  LapicState s;
  auto field = [&](uint32_t mask, const char* what) {
    const uint32_t v = r.u32();
    r.check((v & ~mask) == 0, std::string(what) + " has reserved bits set");
    return v;
  };
  s.id = field(0xFF000000, "ID");
  s.tpr = field(0xFF, "TPR");
  s.ldr = field(0xFF000000, "LDR");
  s.dfr = r.u32();
  r.check((s.dfr & 0x0FFFFFFF) == 0x0FFFFFFF, "DFR bits 27:0 must be ones");
  s.svr = field(0x3FF, "SVR");
  for (auto* a : {&s.isr, &s.tmr, &s.irr}) {
    for (uint32_t& x : *a) x = r.u32();
  }
  r.check((s.isr[0] & 0xFFFF) == 0 && (s.irr[0] & 0xFFFF) == 0, "vectors 0-15 in ISR or IRR");
  constexpr uint32_t kEsrBits = kEsrSendIllegal | kEsrReceiveIllegal | kEsrIllegalRegister;
  s.esr = field(kEsrBits, "ESR");
  s.esr_pending = field(kEsrBits, "the pending ESR bits");
  s.icr_lo = field(kIcrLoWritable, "ICR low");
  s.icr_hi = field(0xFF000000, "ICR high");
  for (unsigned i = 0; i < 6; ++i) {
    s.lvt[i] = field(kLvtWritable[i], "an LVT entry");
    r.check(s.svr & 0x100 || s.lvt[i] & kLvtMasked, "an LVT entry is unmasked while software disabled");
  }
  s.timer_initial = r.u32();
  s.timer_divide = field(0xB, "the divide configuration");
  s.timer_start_tick = r.u64();
  s.timer_start_count = r.u32();
  s.timer_next = r.u64();
  r.check(s.timer_next >= 1, "the timer's next expiry index is 0");
  s.extint_pending = r.boolean();
  s.msr_enabled = r.boolean();
  s_ = s;
  // Scheduled events are never saved: re-arm from the state. Whenever the timer can fire,
  // the saved machine had its event armed for timer_next (perhaps due and not yet run),
  // so that expiry is kept rather than skipped.
  rearm_timer(/*keep_next=*/true);
}

}  // namespace platform
