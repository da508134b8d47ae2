// tests/fuzz/loader_harness.h — what the loader targets share: a small machine whose guest
// output goes nowhere, and a bounded run of whatever a loader accepted.
//
// A loader may refuse an image with platform::LoadError; any other exception, crash,
// sanitizer report or hang is a bug. An accepted image runs for kSteps steps with the
// JSONL trace writer attached, then the machine dumps and hashes its state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "debugger/event_counter.h"
#include "debugger/trace_jsonl.h"
#include "platform/loaders/detect.h"
#include "platform/loaders/image.h"
#include "platform/machine.h"
#include "tests/fuzz/fuzz_common.h"

namespace fuzz {

constexpr uint64_t kLoaderSteps = 2000;

// One small machine (2 MiB of RAM, guest output discarded) for the whole process, reset
// for each input: constructing a machine allocates the CPU's decoded-block cache
// (megabytes), which would cost more than the run. RAM is zeroed and the machine reset, so
// each input starts from the same state (a saved crash input run alone in a fresh process
// reproduces it; if it did not, Machine::reset would be at fault).
inline platform::Machine& fresh_machine() {
  static platform::Machine m([] {
    platform::MachineConfig cfg;
    cfg.ram_bytes = 2 * platform::MiB;
    cfg.output = [](uint8_t) {};
    return cfg;
  }());
  m.zero_ram(0, m.ram_size());
  m.scheduler().clear();
  m.reset();
  m.cpu().state().cycles = 0;
  m.cpu().state().instret = 0;
  return m;
}

inline platform::Image image_of(const uint8_t* data, size_t size, const char* name) {
  platform::Image img = platform::make_image(name, std::vector<uint8_t>(data, data + size));
  (void)platform::detect_image(img);  // must cope with anything too
  return img;
}

inline void run_loaded(platform::Machine& m, const platform::LoadReport& report) {
  (void)report.describe();
  NullStream out;
  debugger::TraceHeader header = debugger::TraceHeader::from(m.config());
  header.loader = report.format;
  debugger::TraceJsonl trace(out, header);
  debugger::EventCounter counter;
  m.add_observer(&trace);
  m.add_observer(&counter);
  (void)m.run({.max_steps = kLoaderSteps});
  m.remove_observer(&counter);
  m.remove_observer(&trace);
  (void)counter.summary();
  (void)m.dump();
  (void)m.state_hash();
}

}  // namespace fuzz
