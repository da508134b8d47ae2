// platform/devices/mc146818.h — the Motorola MC146818A real-time clock and CMOS RAM (ports
// 0x70/0x71, ISA IRQ8), as every PC/AT has it.
//
// Datasheet: Motorola MC146818A "Real-Time Clock Plus RAM (RTC)" (1984; the sections cited
// below as "DS"). PC usage (the NVRAM layout) follows the IBM PC AT Technical Reference
// (1984, "CMOS RAM Address Map").
//
// Ports: 0x70 index (write only; bits 6-0 select one of the 128 CMOS bytes, bit 7 is the
// PC's NMI-disable gate, kept and exposed through nmi_disabled(); a read of 0x70 returns
// 0xFF as on most chipsets), 0x71 data (the selected byte). The index stays after an access.
// Word and dword accesses are split into bytes to consecutive ports, as on the ISA bus.
//
// Bytes (DS "Address Map"):
//   0x00 seconds  0x01 seconds alarm  0x02 minutes  0x03 minutes alarm  0x04 hours
//   0x05 hours alarm  0x06 day of week (1 = Sunday)  0x07 date  0x08 month  0x09 year (00-99)
//   0x0A register A: UIP (bit 7, read only), DV2-0 (6-4), RS3-0 (3-0)
//   0x0B register B: SET, PIE, AIE, UIE, SQWE, DM (1 = binary, 0 = BCD), 24/12, DSE
//   0x0C register C (read only): IRQF, PF, AF, UF; a read clears all and lowers IRQ8
//   0x0D register D (read only): VRT (always 1: the battery is good)
//   0x0E-0x7F  NVRAM; the PC's century byte is 0x32 (BCD or binary, as register B says).
//
// Time is never host time: the 32.768 kHz time base is derived from the CPU cycle counter
// (platform::Clock), so the same run reads the same time. The clock starts at a configured
// calendar time (RtcTime, default 2000-01-01 00:00:00, a Saturday; `--rtc-start`), the
// divider phase at cycle 0 is zero, and an update cycle ends (the registers advance by one
// second and UF is set) at every whole second of machine time: with a 1000 MHz CPU, at
// cycles 1e9, 2e9, ... UIP reads 1 during the 244 us before an update cycle and the 1984 us
// it takes (DS "Update Cycle", tBUC + tUC for the 32.768 kHz time base: 73 ticks), i.e. for
// the last 73 ticks of each second; the registers change at the end of that window, so a
// program that waits for UIP = 0 reads a consistent time.
//
// The counters run on the register bytes as the chip does: in BCD or binary and 12- or
// 24-hour mode as register B says at the time of each update; changing DM or 24/12 does not
// convert the stored bytes (DS "Register B": the time must be re-initialised). SET = 1 stops
// updates (the divider keeps running, so periodic interrupts continue) and clears UIE; the
// program then writes the time registers and clears SET. Leap years are years divisible by
// 4 (DS: right for 1901-2099). When the year rolls over from 99 to 00 the century byte 0x32
// is incremented too (as QEMU and later chipsets do; the MC146818A itself has no century).
// Out-of-range values written by the guest (DS: "undefined") are normalised at the next
// update: a field at or beyond its limit wraps to its first value and carries.
//
// Register A's divider bits: DV = 010 runs the chain on the PC's 32.768 kHz crystal; DV = 11x
// holds it in reset, and the first update happens 500 ms after the reset ends (DS "Divider
// Reset"); the other combinations select time bases a PC does not have, and are treated as
// stopped. The periodic rate is RS3-0 (DS Table 5: 0 = off, 1 = 3.90625 ms, 2 = 7.8125 ms,
// 3 = 122.070 us ... 15 = 500 ms). PF, AF and UF are set when their event happens whatever
// the enable bits; IRQF = PF*PIE + AF*AIE + UF*UIE drives IRQ8 (the chip's active-low IRQ
// pin, inverted on the PC: the IrqLine is high while IRQF is 1). An alarm byte with bits
// 7-6 = 11 matches any value ("don't care"). A scheduler event is armed only when an enabled
// source can raise the line next; everything else is computed when the guest reads it.
//
// dump() shows the registers as of sync_cycle (the last access or event): the counters are
// brought up to date lazily, so the dump, like the hash built from it, is a function of
// what the guest did and when, never of the host.
//
// Not modelled: daylight saving (DSE is stored, never acted on), the square-wave pin
// (SQWE is stored), the 4.194304 / 1.048576 MHz time bases.
//
// reset() is the chip's RESET pin (DS "RESET"): PIE, AIE, UIE, SQWE and the flags of
// register C clear; the time, the NVRAM and register A are battery backed and stay, as
// they do when a PC reboots. A new Mc146818 is the power-on state: the start time, register
// A = 0x26 (DV = 010, 1024 Hz), B = 0x02 (24-hour, BCD), alarms and NVRAM zero; the machine
// then fills the NVRAM (set_memory_size()).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/clock.h"
#include "platform/irq.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

// A calendar time for the RTC (local time: the chip knows no time zones).
struct RtcTime {
  uint16_t year = 2000;  // 1901..2099 (the chip's leap-year rule holds there)
  uint8_t month = 1;     // 1..12
  uint8_t day = 1;       // 1..days in the month
  uint8_t hour = 0;      // 0..23
  uint8_t minute = 0;    // 0..59
  uint8_t second = 0;    // 0..59
  bool operator==(const RtcTime&) const = default;
};

// "YYYY-MM-DDTHH:MM:SS" (ISO 8601 extended format; a trailing 'Z' is accepted and ignored).
// nullopt when malformed or out of range (year 1901..2099, a real date, 24-hour time).
std::optional<RtcTime> parse_rtc_time(std::string_view text);
// "YYYY-MM-DDTHH:MM:SS".
std::string format_rtc_time(const RtcTime& t);
// 1 = Sunday .. 7 = Saturday (DS "Address Map"), for a valid time.
unsigned rtc_day_of_week(const RtcTime& t);

class Mc146818 final : public PortDevice {
 public:
  static constexpr uint16_t kIndexPort = 0x70;
  static constexpr uint16_t kDataPort = 0x71;
  static constexpr uint16_t kPorts = 2;
  static constexpr unsigned kIrq = 8;
  static constexpr uint64_t kTimeBaseHz = 32768;
  // UIP is set for the last 73 ticks of each second: tBUC 244 us + tUC 1984 us.
  static constexpr uint64_t kUipTicks = 73;
  static constexpr uint8_t kCenturyByte = 0x32;

  // Register bits (DS "Registers").
  static constexpr uint8_t kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D;
  static constexpr uint8_t kA_UIP = 0x80;
  static constexpr uint8_t kB_SET = 0x80, kB_PIE = 0x40, kB_AIE = 0x20, kB_UIE = 0x10,
                           kB_SQWE = 0x08, kB_DM = 0x04, kB_24H = 0x02, kB_DSE = 0x01;
  static constexpr uint8_t kC_IRQF = 0x80, kC_PF = 0x40, kC_AF = 0x20, kC_UF = 0x10;
  static constexpr uint8_t kD_VRT = 0x80;

  // `irq` is ISA IRQ8 through the machine; `sched` gives the time (its now()) and takes
  // the interrupt events; `clock` converts cycles to 32.768 kHz ticks.
  Mc146818(Scheduler& sched, const Clock& clock, IrqLine irq, RtcTime start = {});
  ~Mc146818() override;

  const char* name() const override { return "mc146818"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // Sets the calendar registers (in the current DM and 24/12 format) and the century byte,
  // as a program would with SET. `t` must be valid (parse_rtc_time's rules).
  void set_time(const RtcTime& t);
  // The calendar as of now (decoded from the registers; meaningful when they hold valid
  // values).
  RtcTime time();
  // Fills the AT NVRAM from the machine's RAM size and updates the checksum: equipment
  // (0x14), base memory 640 KB (0x15/0x16), extended memory in KB above 1 MiB (0x17/0x18
  // and 0x30/0x31, at most 0xFFFF), 64 KB blocks above 16 MiB (0x34/0x35, at most 0xFFFF),
  // shutdown status 0 (0x0F), no floppy (0x10) or hard disk types (0x12, 0x19, 0x1A).
  void set_memory_size(uint64_t ram_bytes);
  // Recomputes the checksum over 0x10-0x2D into 0x2E (high byte) and 0x2F (low byte).
  void update_checksum();

  // Direct access to a CMOS byte (no side effects; for the machine and tests).
  uint8_t cmos(unsigned index) const { return s_.cmos[index & 0x7F]; }
  void set_cmos(unsigned index, uint8_t v) { s_.cmos[index & 0x7F] = v; }
  // Port 0x70 bit 7: the PC's NMI gate (the machine may mask NMIs with it).
  bool nmi_disabled() const { return s_.nmi_disabled; }
  bool irq_level() const { return irq_.level(); }

 private:
  struct State {
    std::array<uint8_t, 128> cmos{};  // register A's UIP bit and C's IRQF are computed
    uint8_t index = 0;                // port 0x70 bits 6-0
    bool nmi_disabled = false;        // port 0x70 bit 7
    uint64_t sync_cycle = 0;          // the registers and flags are current for this cycle
    uint64_t divider_origin = 0;      // cycle at which the divider held divider_offset ticks
    uint64_t divider_offset = 0;      // ticks at divider_origin (16384 after a divider reset)
  };

  bool running() const { return (s_.cmos[kRegA] & 0x70) == 0x20; }
  uint64_t ticks_at(uint64_t cycle) const;
  uint64_t periodic_ticks() const;  // the periodic interrupt's period in ticks; 0 = off
  bool uip(uint64_t now) const;
  // Brings the time registers and the flags of register C up to `now`.
  void sync(uint64_t now);
  void advance(uint64_t seconds);
  void update_irq();
  void arm();  // (re)schedules the next interrupt event, if one can happen
  uint8_t read_register(uint8_t index);
  void write_register(uint8_t index, uint8_t v);

  Scheduler& sched_;
  const Clock& clock_;
  IrqLine irq_;
  State s_;
  std::optional<Scheduler::Id> event_;
};

}  // namespace platform
