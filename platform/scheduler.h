// platform/scheduler.h — device events keyed by CPU cycle (ARCHITECTURE.md "platform/").
//
// Devices never read host time: a timer that fires in 1 ms schedules a callback at
// `now + cycles_per_ms`. The machine runs the CPU up to next_deadline(), then run_due().
// Events due at the same cycle run in the order they were scheduled, so a run is
// deterministic.
//
// A callback receives the cycle it was scheduled for (the CPU may be a few cycles past it,
// since it stops only between instructions), so periodic devices re-arm without drift.
//
//   auto id = sched.schedule(cycle + 1000, [&](uint64_t due) { pit.tick(due); });
//   sched.cancel(id);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

namespace platform {

class Scheduler {
 public:
  using Callback = std::function<void(uint64_t due)>;
  using Id = uint64_t;
  static constexpr uint64_t kNever = UINT64_MAX;

  // The machine's time: the CPU's cycle counter (set by the machine; 0 until then).
  void set_clock(const uint64_t* cycles) { clock_ = cycles; }
  uint64_t now() const { return clock_ ? *clock_ : 0; }
  // Called when schedule() creates a new earliest event; the machine uses it to make the
  // running CPU return at once, so the new deadline is honoured even mid-slice.
  void set_on_new_earliest(std::function<void()> fn) { on_new_earliest_ = std::move(fn); }

  // Schedules `cb` to run when the cycle counter reaches `cycle`. Returns an id for cancel().
  Id schedule(uint64_t cycle, Callback cb);
  // Schedules `cb` `delay` cycles from now().
  Id schedule_in(uint64_t delay, Callback cb) {
    const uint64_t t = now();
    return schedule(delay > kNever - t ? kNever - 1 : t + delay, std::move(cb));
  }
  // Removes a pending event; false when it already ran or never existed.
  bool cancel(Id id);

  // The cycle of the earliest pending event, or kNever.
  uint64_t next_deadline() const;
  bool empty() const { return events_.empty(); }
  size_t pending() const { return events_.size(); }

  // Runs every event due at or before `now`, earliest first (ties in scheduling order),
  // including events those callbacks schedule for a cycle <= now. Returns how many ran.
  size_t run_due(uint64_t now);

  void clear() { events_.clear(); }

 private:
  // Key: (cycle, sequence number). The sequence number doubles as the Id.
  std::map<std::pair<uint64_t, Id>, Callback> events_;
  Id next_id_ = 1;
  const uint64_t* clock_ = nullptr;
  std::function<void()> on_new_earliest_;
};

}  // namespace platform
