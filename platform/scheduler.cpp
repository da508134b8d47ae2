// platform/scheduler.cpp — see scheduler.h.
#include "platform/scheduler.h"

namespace platform {

Scheduler::Id Scheduler::schedule(uint64_t cycle, Callback cb) {
  const Id id = next_id_++;
  const bool earliest = events_.empty() || cycle < events_.begin()->first.first;
  events_.emplace(std::make_pair(cycle, id), std::move(cb));
  if (earliest && on_new_earliest_) on_new_earliest_();
  return id;
}

bool Scheduler::cancel(Id id) {
  for (auto it = events_.begin(); it != events_.end(); ++it) {
    if (it->first.second == id) {
      events_.erase(it);
      return true;
    }
  }
  return false;
}

uint64_t Scheduler::next_deadline() const {
  return events_.empty() ? kNever : events_.begin()->first.first;
}

size_t Scheduler::run_due(uint64_t now) {
  size_t ran = 0;
  while (!events_.empty() && events_.begin()->first.first <= now) {
    auto node = events_.extract(events_.begin());
    node.mapped()(node.key().first);
    ++ran;
  }
  return ran;
}

}  // namespace platform
