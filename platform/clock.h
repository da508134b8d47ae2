// platform/clock.h — converting between CPU cycles and device time.
//
// All machine time is the CPU's cycle counter (ARCHITECTURE.md "Determinism"). A device
// clocked at `hz` (the 8254's 1.193182 MHz, the RTC's 32.768 kHz, a LAPIC timer at the
// bus clock) counts ticks = floor(cycles * hz / cpu_hz). Integer arithmetic only (128-bit
// intermediates), so every host computes the same tick for the same cycle.
#pragma once

#include <cstdint>

namespace platform {

struct Clock {
  uint64_t cpu_hz = 1'000'000'000;

  // Device ticks elapsed after `cycles` CPU cycles.
  uint64_t ticks(uint64_t cycles, uint64_t hz) const {
    return uint64_t((unsigned __int128)cycles * hz / cpu_hz);
  }
  // The first cycle at which `ticks(cycle, hz) >= n`: when the n-th device tick happens.
  uint64_t cycle_of_tick(uint64_t n, uint64_t hz) const {
    const unsigned __int128 c = ((unsigned __int128)n * cpu_hz + hz - 1) / hz;
    return c > UINT64_MAX ? UINT64_MAX : uint64_t(c);
  }
  // Nanoseconds of machine time after `cycles` cycles.
  uint64_t nanoseconds(uint64_t cycles) const { return ticks(cycles, 1'000'000'000); }
};

// The 8254's input clock: 1.193182 MHz (the PC's 14.31818 MHz crystal divided by 12).
constexpr uint64_t kPitHz = 1'193'182;

}  // namespace platform
