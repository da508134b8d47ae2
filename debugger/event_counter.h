// debugger/event_counter.h — counts events by kind for the run summary.
//
// An Observer that only counts: cheap enough to attach to every run. Port accesses no
// device claimed are counted separately, since they usually mean the guest probes for
// hardware this machine lacks.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "cpu/observer.h"

namespace debugger {

class EventCounter final : public cpu::Observer {
 public:
  void on_event(const cpu::Event& e) override;

  uint64_t count(cpu::EventKind k) const {
    const auto i = static_cast<unsigned>(k);
    return i < counts_.size() ? counts_[i] : 0;
  }
  uint64_t total() const;
  uint64_t unclaimed_ports() const { return unclaimed_ports_; }
  // "ModeChange 2, Exception 1, PortIo 40 (3 unclaimed)" in EventKind order, kinds with a
  // zero count left out; "none" when nothing happened.
  std::string summary() const;
  // The same text for the counts the CPU keeps itself (cpu::Cpu::event_counts()).
  static std::string format(const cpu::EventCounts& counts);

 private:
  std::array<uint64_t, cpu::kEventKinds> counts_{};
  uint64_t unclaimed_ports_ = 0;
};

}  // namespace debugger
