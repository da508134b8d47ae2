// tests/fuzz/cpu_harness.h — the input layout and the run loop shared by fuzz_cpu_real and
// fuzz_cpu_protected: the CPU alone on a cpu::TestBus, executing fuzzed bytes as code.
//
// Input layout (bytes past the end of the input read as 0, so any input is valid):
//   [0, 32)    EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI (ESP only with kOptFuzzedSp)
//   [32, 36)   EFLAGS (masked to the bits a program may set; VM never)
//   [36]       options (kOpt*)
//   [37]       vector the interrupt controller answers with (kOptIntr)
//   [38, 40)   handler stride: vector v's handler is at code + (v * stride) % code size
//   [40, 44)   extra CR0 bits (protected: MP EM TS NE WP AM)
//   [44, 48)   extra CR4 bits (protected: VME PVI TSD DE PGE PCE UMIP)
//   [48, 56)   gate bit k: vectors v with v % 64 == k get a DPL 3 gate (protected)
//   [56, 64)   gate bit k: trap gate instead of interrupt gate (protected)
//   [64, 128)  protected: GDT entries 8..15 (selectors 0x40..0x78), raw descriptors;
//              real: DS, ES, SS, FS, GS selectors at 64, 66, 68, 70, 72
//   [128, 192) protected, paging: flags of the page-table entry for page p are
//              byte[128 + p % 64] ^ 0x07 (so zeros mean present, writable, user)
//   [192, ...) code, copied to the code address (at most kMaxCode bytes). The whole input
//              is also copied to the data area, so loads see fuzzed values.
// The run: kSteps / 2 steps, then the INTR line and/or an NMI as the options say, then
// kSteps / 2 more steps. A run may stop early (HLT, shutdown, not implemented); nothing a
// guest does may crash, trip a sanitizer or hang.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <cstdint>
#include <memory>

#include "cpu/cpu.h"
#include "cpu/test_bus.h"
#include "debugger/event_counter.h"
#include "debugger/trace_jsonl.h"
#include "tests/fuzz/fuzz_common.h"

namespace fuzz {

constexpr size_t kRegs = 0, kEflags = 32, kOptions = 36, kIntrVector = 37, kStride = 38,
                 kCr0 = 40, kCr4 = 44, kDpl3Mask = 48, kTrapMask = 56, kExtra = 64,
                 kPteFlags = 128, kCode = 192;
constexpr size_t kMaxCode = 16384;
constexpr uint64_t kSteps = 2000;

enum : uint8_t {
  kOptObserve = 1 << 0,    // attach the JSONL trace writer and event counter
  kOptIntr = 1 << 1,       // assert INTR halfway
  kOptNmi = 1 << 2,        // raise an NMI halfway
  kOptFuzzedSp = 1 << 3,   // ESP from the input instead of the default stack
  kOptRing3 = 1 << 4,      // protected: start at CPL 3
  kOptPagingA = 1 << 5,    // protected: paging mode = (A | B << 1): off, 4 KiB, 4 MiB (PSE), PAE
  kOptPagingB = 1 << 6,
  kOptCode16 = 1 << 7,     // protected: 16-bit code segment (CS.D = 0)
};

// The EFLAGS bits an input may preset: the arithmetic flags, TF, IF, DF, IOPL, NT, AC, ID.
constexpr uint32_t kSettableFlags = cpu::flag::ARITH | cpu::flag::TF | cpu::flag::IF |
                                    cpu::flag::DF | cpu::flag::IOPL | cpu::flag::NT |
                                    cpu::flag::AC | cpu::flag::ID;

// Counts events and writes them as JSON Lines into nothing: exercises the observer paths.
struct TraceSink {
  NullStream out;
  debugger::TraceJsonl trace{out, debugger::TraceHeader{}};
  debugger::EventCounter counter;
  struct Fanout : cpu::Observer {
    TraceSink* self;
    void on_event(const cpu::Event& e) override {
      self->trace.on_event(e);
      self->counter.on_event(e);
    }
  } fanout;
  TraceSink() { fanout.self = this; }
};

// Runs the prepared CPU through the two halves of the run and checks what must always hold.
inline void run_and_check(cpu::Cpu& c, cpu::TestBus& bus, const Input& in) {
  const uint8_t opt = in.u8(kOptions);
  // RINGSIDE_FUZZ_DUMP=1: show what an input does (events as JSON Lines, the final state).
  static const bool verbose = std::getenv("RINGSIDE_FUZZ_DUMP") != nullptr;
  std::unique_ptr<TraceSink> sink;
  std::unique_ptr<debugger::TraceJsonl> shown;
  if (verbose) {
    shown = std::make_unique<debugger::TraceJsonl>(std::cerr, debugger::TraceHeader{});
    c.set_observer(shown.get());
  } else if (opt & kOptObserve) {
    sink = std::make_unique<TraceSink>();
    c.set_observer(&sink->fanout);
  }
  bus.intr_vector = in.u8(kIntrVector);
  c.run({.max_steps = kSteps / 2});
  if (opt & kOptIntr) c.set_intr(true);
  if (opt & kOptNmi) c.raise_nmi();
  c.run({.max_steps = kSteps / 2});

  if (verbose) std::cerr << c.dump() << "\nstop: " << c.stop_detail() << "\n";

  // Architectural invariants after any run.
  const cpu::State& s = c.state();
  FUZZ_CHECK(s.cpl <= 3);
  if (c.mode() == cpu::Mode::Real) FUZZ_CHECK(s.cpl == 0);
  if (c.mode() == cpu::Mode::Protected)  // SDM Vol.3 5.5: CPL is CS's RPL
    FUZZ_CHECK((s.seg[cpu::CS].selector & 3) == s.cpl);
  FUZZ_CHECK((c.flags() & cpu::flag::FIXED1) != 0);
  // The dump and hash walk the whole state: they must cope with whatever the run left.
  (void)c.dump();
  (void)c.state_hash();
  c.set_observer(nullptr);
}

// One TestBus and CPU for the whole process, reset for each input: constructing a Cpu
// allocates its decoded-block cache (megabytes), which would otherwise cost more than the
// run. RAM is zeroed, the CPU reset and its counters cleared, so each input starts from the
// same state (running a saved crash input alone in a fresh process reproduces it, and if it
// did not, Cpu::reset would be at fault).
struct Rig {
  cpu::TestBus bus;
  cpu::Cpu c{bus};
  explicit Rig(size_t ram) : bus(ram) {}
  void fresh() {
    std::memset(bus.ram().data(), 0, bus.ram().size());
    bus.ports.clear();
    c.set_observer(nullptr);
    c.reset();
    c.state().cycles = 0;
    c.state().instret = 0;
  }
};

// Vector v's handler: somewhere in the fuzzed code.
inline uint32_t handler_offset(const Input& in, unsigned v, size_t code_size) {
  if (code_size == 0) return 0;
  return uint32_t((uint64_t(v) * in.u16(kStride)) % code_size);
}

}  // namespace fuzz
