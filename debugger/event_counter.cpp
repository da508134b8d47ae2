// debugger/event_counter.cpp — see event_counter.h.
#include "debugger/event_counter.h"

namespace debugger {

void EventCounter::on_event(const cpu::Event& e) {
  const auto i = static_cast<unsigned>(e.kind);
  if (i < counts_.size()) ++counts_[i];
  if (e.kind == cpu::EventKind::PortIo && !e.claimed) ++unclaimed_ports_;
}

uint64_t EventCounter::total() const {
  uint64_t t = 0;
  for (uint64_t c : counts_) t += c;
  return t;
}

std::string EventCounter::summary() const {
  cpu::EventCounts c;
  for (unsigned i = 0; i < counts_.size(); ++i) c.by_kind[i] = counts_[i];
  c.unclaimed_ports = unclaimed_ports_;
  return format(c);
}

std::string EventCounter::format(const cpu::EventCounts& counts) {
  std::string out;
  for (unsigned i = 0; i < cpu::kEventKinds; ++i) {
    if (counts.by_kind[i] == 0) continue;
    if (!out.empty()) out += ", ";
    const auto k = static_cast<cpu::EventKind>(i);
    out += cpu::event_kind_name(k);
    out += ' ';
    out += std::to_string(counts.by_kind[i]);
    if (k == cpu::EventKind::PortIo && counts.unclaimed_ports > 0) {
      out += " (" + std::to_string(counts.unclaimed_ports) + " unclaimed)";
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace debugger
