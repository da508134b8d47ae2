// platform/input_queue.h — the one door through which host input enters the machine.
//
// Serial RX bytes, key presses and GUI-injected events are queued here with the CPU cycle
// at which the guest should see them; devices take them as the cycle counter passes. The
// recorder logs exactly this queue, so replaying it reproduces a run (ARCHITECTURE.md
// "Determinism").
//
// The Machine delivers each event at its cycle (a Scheduler event at next_cycle()):
// Serial bytes go to the COM1 UART's receive line (Uart16550::host_send), Keyboard bytes
// to the keyboard behind the 8042 (Kbc8042::host_key). Keyboard bytes are scancode set 1
// make/break codes and prefixes (platform/keymap.h turns characters into them). Devices
// pace delivery further (line rate, flow control), deterministically.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

namespace platform {

enum class InputChannel : uint8_t { Serial = 0, Keyboard = 1 };

struct InputEvent {
  uint64_t cycle = 0;  // delivered when the CPU's cycle counter reaches this value
  InputChannel channel = InputChannel::Serial;
  uint8_t byte = 0;
  bool operator==(const InputEvent&) const = default;
};

class InputQueue {
 public:
  // Events must be pushed in non-decreasing cycle order; an earlier cycle is raised to
  // the last queued one so that delivery order is always push order.
  void push(InputEvent e) {
    if (!q_.empty() && e.cycle < q_.back().cycle) e.cycle = q_.back().cycle;
    q_.push_back(e);
    if (on_push_) on_push_();
  }
  // Called after every push (the machine schedules delivery; a push while the machine
  // runs is honoured at its cycle).
  void set_on_push(std::function<void()> fn) { on_push_ = std::move(fn); }
  bool empty() const { return q_.empty(); }
  size_t size() const { return q_.size(); }
  // Cycle of the next event, or UINT64_MAX when none is queued.
  uint64_t next_cycle() const { return q_.empty() ? UINT64_MAX : q_.front().cycle; }
  // Removes and returns the events due at or before `now`, in order.
  std::vector<InputEvent> take_due(uint64_t now) {
    std::vector<InputEvent> out;
    while (!q_.empty() && q_.front().cycle <= now) {
      out.push_back(q_.front());
      q_.pop_front();
    }
    return out;
  }

 private:
  std::deque<InputEvent> q_;
  std::function<void()> on_push_;
};

}  // namespace platform
