// platform/devices/lapic.h — the local APIC (xAPIC mode) of the one CPU.
//
// Intel SDM Vol.3 chapter 10 ("Advanced Programmable Interrupt Controller"). The CPU's
// INTR source: the machine asks intr_pending() and, on the CPU's acknowledge cycle,
// intr_ack(). Modelled:
//   - the 4 KiB MMIO window at the IA32_APIC_BASE MSR's base (10.4.4, 10.4.5). The
//     window follows the MSR live (cpu().state().msrs.apic_base): relocation takes effect
//     at the next access, and with the global enable bit 11 clear there is no window at
//     all (10.4.3). Clearing bit 11 also returns the registers to the power-up state
//     (10.4.3: "prior initialization ... may be lost"); the LAPIC notices at its next
//     access, interrupt or timer event. A base moved onto RAM takes effect for pages
//     the CPU already cached at its next TLB flush (WRMSR does not flush).
//   - registers (Table 10-1): ID (8-bit, 31:24), version 0x00050014 (10.4.8: an
//     integrated xAPIC, version 0x14, max LVT entry 5 = six LVT entries, no EOI-broadcast
//     suppression — the value Pentium 4 and Core processors report, and QEMU and Bochs),
//     TPR, APR, PPR (10.8.3.1), EOI, RRD (reads 0), LDR, DFR (flat/cluster, 10.6.2.2),
//     SVR (vector 7:0 all writable as on Pentium 4 and later, software enable 8, focus
//     check 9 stored; 10.9), ISR/TMR/IRR (8 x 32 bits), ESR (10.5.3: write, then read;
//     bits 5 send illegal vector, 6 receive illegal vector, 7 illegal register address),
//     ICR low/high, the LVT (timer, thermal, performance, LINT0, LINT1, error), the
//     timer's initial count, current count and divide configuration.
//   - priority (10.8.3): the highest IRR vector whose class is above PPR's class is
//     delivered; the acknowledge moves it to ISR; if none qualifies any more at the
//     acknowledge, the spurious vector (SVR 7:0) is returned and ISR is untouched (10.9).
//     EOI clears the highest ISR bit and, when that vector's TMR bit is set (level
//     triggered), broadcasts the EOI to the IO APIC (10.8.5).
//   - vectors 0-15 are illegal (10.5.2): an LVT, IO APIC or self-IPI interrupt with such
//     a vector sets ESR bit 6 and is not put into IRR; an ICR send of a fixed or
//     lowest-priority IPI with one sets ESR bit 5 and is not sent. Each new error
//     raises the LVT error interrupt when it is unmasked (its own illegal vector only
//     sets bit 6).
//   - the timer (10.5.4): one-shot and periodic (TSC-deadline is not advertised, so LVT
//     timer bit 18 is reserved). It counts at the bus clock, kBusHz = 100 MHz (the
//     100 MHz BCLK of the Haswell the CPU model describes), divided by the divide
//     configuration (1-128), derived from the CPU cycle counter through Clock: at the
//     default 1000 MHz CPU one bus tick is 10 cycles. The current count is computed
//     when read; a Scheduler event exists only for the next expiry of an unmasked
//     timer whose previous interrupt has left IRR (expiries while it waits there would
//     merge into it anyway). Writing the initial count (re)starts it, writing 0 stops it; changing the
//     mode in the LVT does not restart it; changing the divide configuration continues
//     from the current count at the new rate.
//   - software disable (SVR bit 8 = 0, 10.4.7.2): all LVT mask bits set and held set;
//     interrupts accepted into IRR are held, nothing is delivered to the CPU.
//   - the ICR (10.6.1): fixed and lowest-priority IPIs to this CPU (shorthand self or
//     all-including-self, or a destination that matches: physical = the APIC ID or the
//     0xFF broadcast, logical = LDR under the DFR model) are accepted at once, so the
//     delivery status bit (12) always reads 0 (idle). NMI to self raises the CPU's NMI.
//     INIT level de-assert (trigger level, level 0) only resynchronises the arbitration
//     IDs (the IO APIC's arbitration ID is reloaded). There is one CPU, the BSP: INIT
//     and SIPI to any other APIC ID go nowhere, and INIT or SIPI to itself are ignored
//     (an INIT would restart the BSP at the reset vector, where without --bios there is
//     no firmware to run; a SIPI is ignored by a CPU not waiting for one). SMI and the
//     reserved delivery modes are ignored.
//   - messages from the IO APIC (message()): fixed/lowest priority into IRR (TMR set for
//     level triggered), NMI to the CPU, ExtINT opens the PIC path for one acknowledge.
//   - accesses (10.4.1): only 32-bit accesses at 16-byte aligned offsets are defined.
//     Here a narrower or unaligned read returns the bytes of the 32-bit register of its
//     16-byte slot (bytes 4-15 of a slot read 0); any write that is not an aligned
//     32-bit store is dropped. An aligned access to a reserved offset reads 0, sets ESR
//     bit 7 (illegal register address) and raises the error interrupt; writes to
//     read-only registers are ignored.
// The PIC path: the 8259A's output reaches the CPU's INTR when passes_extint() — the
// LAPIC is globally or software disabled, or LVT LINT0 is unmasked with delivery mode
// ExtINT (virtual wire mode, MP spec 1.4 §3.6.2.2) — or when an ExtINT message from the
// IO APIC is pending. Not modelled: LINT0/LINT1 in other delivery modes (no source
// drives the pins except the PIC as virtual wire), thermal and performance-monitoring
// interrupts (their LVT entries are storage), x2APIC, TSC-deadline mode, SMI, remote read.
//
// Reset: the power-up state of 10.4.7.1 (LVT masked, SVR 0xFF, DFR all ones, the rest
// zero; APIC ID 0). With `virtual_wire` (the machine starts kernels without a BIOS), the
// LAPIC then gets what a BIOS leaves for virtual wire mode (SeaBIOS smp.c: SVR |= 0x100,
// LINT0 = 0x8700 ExtINT level, LINT1 = 0x8400 NMI level): SVR 0x1FF, LINT0 0x8700,
// LINT1 0x8400.
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "platform/irq.h"
#include "platform/mmio.h"
#include "platform/scheduler.h"

namespace platform {

class Machine;

// Delivery modes of LVT entries, the ICR and IO APIC redirection entries (SDM 10.5.1,
// 10.6.1; 82093AA datasheet 3.2.4).
namespace apic_mode {
constexpr uint8_t Fixed = 0, LowestPriority = 1, Smi = 2, Nmi = 4, Init = 5, StartUp = 6,
                  ExtInt = 7;
}

// An interrupt message on the APIC bus (from the IO APIC to the local APIC).
struct ApicMessage {
  uint8_t vector = 0;
  uint8_t mode = apic_mode::Fixed;  // apic_mode::*
  bool logical = false;             // destination mode
  bool level = false;               // trigger mode: level (true) or edge
  uint8_t dest = 0;                 // APIC ID (physical) or logical destination
};

struct LapicState {
  uint32_t id = 0;  // bits 31:24
  uint32_t tpr = 0, ldr = 0, dfr = 0xFFFFFFFF, svr = 0xFF;
  std::array<uint32_t, 8> isr{}, tmr{}, irr{};
  uint32_t esr = 0;          // what ESR reads: the errors latched at the last ESR write
  uint32_t esr_pending = 0;  // errors detected since the last ESR write
  uint32_t icr_lo = 0, icr_hi = 0;
  std::array<uint32_t, 6> lvt{};  // timer, thermal, performance, LINT0, LINT1, error
  uint32_t timer_initial = 0, timer_divide = 0;
  // The counter held `timer_start_count` at bus tick `timer_start_tick`; 0 = stopped.
  uint64_t timer_start_tick = 0;
  uint32_t timer_start_count = 0;
  uint64_t timer_next = 1;  // the next expiry (1-based, from the start) not yet signalled
  bool extint_pending = false;  // an ExtINT message from the IO APIC awaits its INTA
  bool msr_enabled = true;      // IA32_APIC_BASE bit 11 as last observed
  bool operator==(const LapicState&) const = default;
};

class Lapic final : public MmioDevice, public InterruptController {
 public:
  static constexpr uint64_t kDefaultBase = 0xFEE00000;
  static constexpr uint64_t kWindowSize = 0x1000;
  static constexpr uint32_t kVersion = 0x00050014;
  static constexpr uint64_t kBusHz = 100'000'000;

  // Register offsets (SDM Vol.3 Table 10-1).
  enum Reg : uint32_t {
    ID = 0x20, VERSION = 0x30, TPR = 0x80, APR = 0x90, PPR = 0xA0, EOI = 0xB0, RRD = 0xC0,
    LDR = 0xD0, DFR = 0xE0, SVR = 0xF0, ISR = 0x100, TMR = 0x180, IRR = 0x200, ESR = 0x280,
    ICR_LO = 0x300, ICR_HI = 0x310, LVT_TIMER = 0x320, LVT_THERMAL = 0x330, LVT_PERF = 0x340,
    LVT_LINT0 = 0x350, LVT_LINT1 = 0x360, LVT_ERROR = 0x370, TIMER_INITIAL = 0x380,
    TIMER_CURRENT = 0x390, TIMER_DIVIDE = 0x3E0,
  };
  // LVT indices into LapicState::lvt.
  enum Lvt : unsigned { Timer = 0, Thermal = 1, Perf = 2, Lint0 = 3, Lint1 = 4, Error = 5 };
  // ESR bits (Figure 10-9).
  static constexpr uint32_t kEsrSendIllegal = 1u << 5, kEsrReceiveIllegal = 1u << 6,
                            kEsrIllegalRegister = 1u << 7;
  static constexpr uint32_t kLvtMasked = 1u << 16;

  Lapic(Machine& m, bool virtual_wire);

  const char* name() const override { return "lapic"; }
  uint64_t mmio_read(uint64_t offset, unsigned size) override;
  void mmio_write(uint64_t offset, unsigned size, uint64_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // InterruptController: a fixed interrupt above the processor priority is pending.
  bool intr_pending() const override;
  uint8_t intr_ack() override;

  // ---- Wiring (the machine) ----
  bool globally_enabled() const;  // IA32_APIC_BASE bit 11
  bool software_enabled() const { return s_.svr & 0x100; }
  uint64_t base() const;          // the window base from IA32_APIC_BASE
  bool window_contains(uint64_t paddr) const {
    return globally_enabled() && paddr - base() < kWindowSize;
  }
  // The PIC path rule (see the header comment).
  bool passes_extint() const;
  bool extint_pending() const { return s_.extint_pending; }
  // The PIC answered an INTA that went through the LAPIC: the ExtINT message is used up.
  void extint_acknowledged() { s_.extint_pending = false; }
  // The EOI broadcast for level-triggered vectors (the IO APIC clears remote IRR), and the
  // INIT level de-assert broadcast (the IO APIC reloads its arbitration ID).
  void set_eoi_sink(std::function<void(uint8_t)> fn) { eoi_sink_ = std::move(fn); }
  void set_init_deassert_sink(std::function<void()> fn) { init_deassert_sink_ = std::move(fn); }

  // An interrupt message from the APIC bus; dropped unless it addresses this APIC.
  // Returns whether it was accepted.
  bool message(const ApicMessage& msg);
  // Does a message to `dest` (physical APIC ID or logical destination) reach this APIC?
  bool matches(uint8_t dest, bool logical) const;

  // ---- Inspection (tests, debugger) ----
  const LapicState& state() const { return s_; }
  uint32_t read_reg(uint32_t offset);  // an aligned 32-bit read
  uint8_t ppr() const;
  uint8_t apr() const;
  uint32_t current_count() const;
  uint32_t divisor() const;  // 1..128

 private:
  void power_up_state();
  void observe_msr();  // resets the registers when bit 11 went from 1 to 0
  void write_reg(uint32_t offset, uint32_t v);
  void accept(uint8_t vector, bool level);  // into IRR (and TMR)
  void signal_error(uint32_t bits);
  void send_ipi();
  void eoi();
  bool deliverable(uint8_t* vector) const;
  void changed();  // recompute the CPU's INTR pin

  // Timer.
  uint64_t bus_tick() const;
  bool timer_running() const { return s_.timer_start_count != 0; }
  bool timer_periodic() const { return s_.lvt[Timer] & (1u << 17); }
  uint64_t expiry_cycle(uint64_t k) const;  // Scheduler::kNever when none
  // Cancels and re-schedules the timer event. Expiries that passed while no event was
  // armed are skipped, unless `keep_next` (load(): the saved machine had it armed).
  void rearm_timer(bool keep_next = false);
  void timer_fire(uint64_t k);

  Machine& m_;
  bool virtual_wire_;
  LapicState s_;
  Scheduler::Id timer_event_ = 0;
  std::function<void(uint8_t)> eoi_sink_;
  std::function<void()> init_deassert_sink_;
};

}  // namespace platform
