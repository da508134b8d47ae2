// The guest kernel tests/guests/timer_apic.S through `ringside run`: it finds the MP tables
// the machine placed, runs the local APIC timer periodic, sends itself IPIs and programs
// an IO APIC entry. Checked: its output, exit status, the interrupts in the trace (vector,
// order, and the timer's period in cycles: SDM Vol.3 10.5.4 with the 100 MHz APIC bus),
// and that two runs give byte-identical traces.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct ApicRun {
  int status = -1;
  std::string out, err, trace;
};

ApicRun run_guest(std::vector<std::string> args, const ptest::TempDir& dir, const std::string& trace_name) {
  ApicRun r;
  const std::string trace = dir.file(trace_name);
  args.push_back("--trace");
  args.push_back(trace);
  std::ostringstream err, help;
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  std::ifstream in(trace, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  r.trace = ss.str();
  return r;
}

// The text after `"key":` up to the next ',' or '}' ("" when absent).
std::string field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const size_t p = line.find(k);
  if (p == std::string::npos) return "";
  const size_t b = p + k.size();
  return line.substr(b, line.find_first_of(",}", b) - b);
}

struct Interrupt {
  unsigned vector;
  uint64_t cycle;
};

std::vector<Interrupt> interrupts(const std::string& trace) {
  std::vector<Interrupt> out;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    if (field(line, "kind") != "\"interrupt\"") continue;
    EXPECT_EQ(field(line, "source"), "\"external\"") << line;
    out.push_back({unsigned(std::stoul(field(line, "vector"))), std::stoull(field(line, "cycle"))});
  }
  return out;
}

const char kExpected[] =
    "timer_apic: mp at 0009fc10, 1 cpu, lapic fee00000, ioapic 01 at fec00000\n"
    "timer_apic: lapic version 00050014\n"
    "timer_apic: 5 timer interrupts\n"
    "timer_apic: 2 self-IPIs\n"
    "timer_apic: ioapic version 00170011, redir 1 masked 00010050 unmasked 00000050\n"
    "timer_apic: done\n";

TEST(GuestApic, OutputExitStatusAndInterruptsAtTheTimerPeriod) {
  ptest::TempDir dir;
  const ApicRun r = run_guest({kGuests + "/timer_apic.elf"}, dir, "apic.jsonl");
  EXPECT_EQ(r.out, kExpected) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  const std::vector<Interrupt> irqs = interrupts(r.trace);
  ASSERT_EQ(irqs.size(), 7u) << r.trace;
  // Five timer interrupts (vector 0x40), then the two self-IPIs (0x41).
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(irqs[i].vector, 0x40u);
  EXPECT_EQ(irqs[5].vector, 0x41u);
  EXPECT_EQ(irqs[6].vector, 0x41u);
  // Divide 16, initial count 10000, 100 MHz bus, 1000 MHz CPU: 1,600,000 cycles a period.
  // The CPU waits in HLT, so each interrupt is taken at the very cycle the count expires.
  constexpr uint64_t kPeriod = 16 * 10000 * 10;
  EXPECT_GE(irqs[0].cycle, kPeriod);
  EXPECT_LT(irqs[0].cycle, kPeriod + 100'000);  // programmed early in the boot
  for (size_t i = 1; i < 5; ++i) EXPECT_EQ(irqs[i].cycle - irqs[i - 1].cycle, kPeriod) << i;
  // The IPIs are taken right after the ICR writes, not a timer period later.
  EXPECT_LT(irqs[6].cycle - irqs[4].cycle, 100'000u);
  EXPECT_NE(r.err.find("halt 5"), std::string::npos) << r.err;
}

TEST(GuestApic, TheTimerPeriodFollowsTheCpuClock) {
  // The APIC bus stays at 100 MHz: at 2000 MHz a period is twice as many cycles.
  ptest::TempDir dir;
  const ApicRun r = run_guest({kGuests + "/timer_apic.elf", "--cpu-mhz", "2000"}, dir, "fast.jsonl");
  EXPECT_EQ(r.status, 33) << r.err;
  const std::vector<Interrupt> irqs = interrupts(r.trace);
  ASSERT_EQ(irqs.size(), 7u);
  for (size_t i = 1; i < 5; ++i) EXPECT_EQ(irqs[i].cycle - irqs[i - 1].cycle, 3'200'000u) << i;
}

TEST(GuestApic, TwoRunsGiveIdenticalTraces) {
  ptest::TempDir dir;
  const ApicRun a = run_guest({kGuests + "/timer_apic.elf", "--dump-state"}, dir, "a.jsonl");
  const ApicRun b = run_guest({kGuests + "/timer_apic.elf", "--dump-state"}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace, b.trace);
  const size_t pa = a.err.find("state hash"), pb = b.err.find("state hash");
  ASSERT_NE(pa, std::string::npos);
  ASSERT_NE(pb, std::string::npos);
  EXPECT_EQ(a.err.substr(pa), b.err.substr(pb));
  // The dump includes the APICs' registers.
  EXPECT_NE(a.err.find("[lapic]"), std::string::npos);
  EXPECT_NE(a.err.find("[ioapic]"), std::string::npos);
}

}  // namespace
