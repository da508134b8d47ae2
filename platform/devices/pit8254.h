// platform/devices/pit8254.h — the Intel 8254 programmable interval timer (0x40-0x43) and
// the PC's system control port B (0x61), which gates timer 2 and reads back its output.
//
// Datasheet: Intel 8254 Programmable Interval Timer (order no. 231164): "Control Word
// Format", "Read Operations" (counter latch command, read-back command, status byte),
// "Mode Definitions" (modes 0-5), "Operation Common to All Modes" (GATE, counter loading).
// Port 0x61: IBM PC/AT Technical Reference, "System Control Port B".
//
//   Pit8254 pit(machine.clock(), machine.scheduler(), &machine);   // IRQ 0 via the router
//   ports.map(0x40, 4, &pit); ports.map(0x61, 1, &pit);
//
// Time: the input clock CLK is kPitHz (1.193182 MHz) derived from the CPU cycle counter
// (Clock::ticks): CLK pulse number T has happened at every cycle c with ticks(c) >= T.
// Counters are never stepped: the counting element (CE) and OUT are computed from the
// current tick when the guest reads them. The only Scheduler event is for channel 0, at
// the next rising edge of its OUT (the edge that raises IRQ 0): mode 0 terminal count,
// each period of modes 2 and 3, the end of the mode 4 strobe. Periodic events are placed
// by tick number (Clock::cycle_of_tick), so they never drift.
//
// Modelled:
// - Channels 0-2; control word (SC, RW LSB/MSB/LSB-then-MSB, modes 0-5 with 6/7 as 2/3,
//   BCD); counts written and read in two halves; counter latch command (a second latch
//   before the first is read is ignored); read-back command (count and/or status of any
//   channel set); status byte (OUT, NULL COUNT, RW, mode, BCD).
// - A count is loaded into CE on the CLK pulse after it is written. Mode 0: OUT low from
//   the control word (and from the first byte of a two-byte count, which stops counting)
//   until terminal count, N + 1 pulses after the write; CE keeps counting (wraps). Mode 1:
//   started by a GATE rising edge, OUT low for N pulses. Mode 2: OUT low for one pulse
//   when CE reaches 1, period N; a count written while counting takes effect at the next
//   reload. Mode 3: square wave, OUT high for ceil(N/2) and low for floor(N/2) pulses, CE
//   decrements by two. Modes 4/5: OUT low for the one pulse after terminal count
//   (software / GATE triggered).
// - GATE: channels 0 and 1 are tied high; channel 2's gate is port 0x61 bit 0. Low GATE
//   suspends modes 0 and 4 and stops modes 2 and 3 (OUT high); a rising edge reloads
//   modes 2 and 3 and triggers modes 1 and 5.
// - Channel 0's OUT drives ISA IRQ 0 (an IrqLine).
// - Port 0x61: bit 0 timer 2 gate, bit 1 speaker data, bits 2-3 (parity/IOCHK check
//   enables) stored; bit 4 refresh toggle (flips every 18 CLK pulses, ~15.1 us, like the
//   DRAM refresh request a PC derives from timer 1); bit 5 timer 2 OUT; bits 6-7 read 0.
//
// Deviations, documented:
// - IRQ 0 is driven only at OUT's rising edges (the scheduled events) and on
//   programming: in mode 3 the line stays high through the low half-period (an
//   edge-triggered PIC sees the same edges). OUT itself reads correctly at all times.
// - Mode 3: a count written while counting is loaded at the end of the current period,
//   not of the current half-period. Counts of 1 in modes 2 and 3 (illegal per datasheet)
//   give no edges. Invalid BCD digits are taken at face value modulo 10000. NULL COUNT
//   is not set again by a count rewritten while a mode 1/5 one-shot runs.
// - Power-on: every channel is in mode 0, LSB-then-MSB, binary, with no count: not
//   counting, OUT low (the datasheet leaves this undefined; no BIOS has programmed it).
#pragma once

#include <cstdint>
#include <string>

#include "platform/clock.h"
#include "platform/irq.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

class Pit8254 final : public PortDevice {
 public:
  static constexpr uint16_t kBasePort = 0x40;  // counters 0-2 at 0x40-0x42, control 0x43
  static constexpr uint16_t kPorts = 4;
  static constexpr uint16_t kPortB = 0x61;      // system control port B
  static constexpr uint64_t kRefreshPeriod = 18;  // CLK pulses per port 0x61 bit 4 flip

  struct Channel {
    uint8_t control = 0x30;     // bits 5:0 of the control word: RW(5:4) M(3:1) BCD(0)
    uint16_t cr = 0;            // the count register as written
    uint8_t write_lsb = 0;      // RW=3: the LSB waiting for its MSB
    bool write_msb_next = false;
    bool read_msb_next = false;
    bool count_written = false;  // a complete count since the control word
    bool counting = false;       // CE counts from `start` with initial count `n`
    uint64_t start = 0;          // CLK pulse at which CE was loaded with n
    uint32_t n = 0;              // the initial count in use, 1..65536 (BCD: 1..10000)
    bool suspended = false;      // modes 0/4 with GATE low: CE frozen at d = suspended_d
    uint64_t suspended_d = 0;
    bool pending = false;        // modes 2/3: cr is loaded at pulse pending_at
    uint64_t pending_at = 0;
    uint16_t ce_hold = 0;        // CE while not counting
    bool gate = true;
    bool count_latched = false;
    uint16_t latch = 0;
    bool status_latched = false;
    uint8_t status = 0;
  };
  struct State {
    // Channel 2's gate is port 0x61 bit 0, which is 0 at power-on.
    Channel ch[3] = {Channel{}, Channel{}, Channel{.gate = false}};
    uint8_t port_b = 0;  // port 0x61 bits 3:0 as written
    bool irq0 = false;   // the level driven on IRQ 0
    uint64_t next_edge = Scheduler::kNever;  // CLK pulse of the armed channel 0 edge event
  };

  Pit8254(const Clock& clock, Scheduler& sched, IrqRouter* router);

  const char* name() const override { return "pit8254"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  const State& state() const { return s_; }
  // The current CLK pulse count, CE value (as the guest would read it: BCD in BCD mode),
  // OUT level of channel `c` (0-2).
  uint64_t tick() const;
  uint16_t counter(unsigned c) const { return value(s_.ch[c], tick()); }
  bool out(unsigned c) const { return out_at(s_.ch[c], tick()); }
  // The CLK pulse of channel 0's next scheduled OUT rising edge, or Scheduler::kNever.
  uint64_t next_edge_tick() const { return s_.next_edge; }

 private:
  static uint8_t mode(const Channel& c) {
    const uint8_t m = (c.control >> 1) & 7;
    return m >= 6 ? uint8_t(m - 4) : m;
  }
  static uint8_t rw(const Channel& c) { return (c.control >> 4) & 3; }
  static bool bcd(const Channel& c) { return c.control & 1; }
  static uint32_t initial_count(const Channel& c);  // n for cr (0 = the maximum)
  static uint16_t value(const Channel& c, uint64_t t);
  static bool out_at(const Channel& c, uint64_t t);
  static bool null_count(const Channel& c, uint64_t t);
  // Channel 0's next OUT rising edge after pulse t, or kNever.
  static uint64_t next_edge(const Channel& c, uint64_t t);
  // Folds a pending mode 2/3 reload whose pulse has come.
  static void settle(Channel& c, uint64_t t);

  void write_control(uint8_t v, uint64_t t);
  void write_count(unsigned i, uint8_t v, uint64_t t);
  uint8_t read_count(unsigned i, uint64_t t);
  void count_complete(Channel& c, uint64_t t);
  void set_gate(Channel& c, bool level, uint64_t t);
  // Channel 0 changed: drive IRQ 0 to OUT and re-arm the edge event.
  void channel0_changed(uint64_t t);
  void drive_irq0(bool level);
  // (Re)schedules the channel 0 event for its first OUT rising edge after `after_tick`.
  void arm(uint64_t after_tick);
  void schedule_edge();
  void on_edge(uint64_t edge_tick);

  const Clock& clock_;
  Scheduler& sched_;
  IrqLine irq0_;
  State s_;
  Scheduler::Id event_ = 0;  // not state: re-armed from s_.next_edge
};

}  // namespace platform
