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
  std::string out;
  for (unsigned i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    if (!out.empty()) out += ", ";
    const auto k = static_cast<cpu::EventKind>(i);
    out += cpu::event_kind_name(k);
    out += ' ';
    out += std::to_string(counts_[i]);
    if (k == cpu::EventKind::PortIo && unclaimed_ports_ > 0) {
      out += " (" + std::to_string(unclaimed_ports_) + " unclaimed)";
    }
  }
  return out.empty() ? "none" : out;
}

}  // namespace debugger
