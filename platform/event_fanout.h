// platform/event_fanout.h — forwards each cpu::Event to every registered observer.
//
// The CPU reports to at most one Observer; the machine installs this fan-out as that
// observer whenever at least one listener (trace writer, counter, debugger) is attached,
// and removes it when none is, so an unobserved run pays nothing. Observers are called in
// the order they were added.
#pragma once

#include <algorithm>
#include <vector>

#include "cpu/observer.h"

namespace platform {

class EventFanout final : public cpu::Observer {
 public:
  void add(cpu::Observer* o) {
    if (o && std::find(list_.begin(), list_.end(), o) == list_.end()) list_.push_back(o);
  }
  void remove(cpu::Observer* o) { list_.erase(std::remove(list_.begin(), list_.end(), o), list_.end()); }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }

  void on_event(const cpu::Event& e) override {
    for (cpu::Observer* o : list_) o->on_event(e);
  }

 private:
  std::vector<cpu::Observer*> list_;
};

}  // namespace platform
