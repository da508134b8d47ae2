// Guest-program tests: the kernels of tests/guests/, built with the GNU toolchain, run on
// the whole machine through `ringside run`. Each test checks the guest's output, its exit
// status, and the exact sequence of ring transitions, exceptions and interrupts in the
// trace — the sequence the SDM prescribes for what the kernel does.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;
const std::string kSource = RINGSIDE_SOURCE_DIR;

struct GuestRun {
  int status = -1;
  std::string out;  // guest output (port 0xE9 and the UART)
  std::string err;  // Ringside's messages and summary
  std::string trace;
};

GuestRun run_guest(std::vector<std::string> args, const ptest::TempDir& dir, const std::string& trace_name) {
  GuestRun r;
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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The text after `"key":` up to the next ',' or '}' (quotes dropped), searching from
// `from`; "" when absent. Enough for the flat JSON Lines the trace writer emits.
std::string field(const std::string& line, const std::string& key, size_t from = 0) {
  const std::string k = "\"" + key + "\":";
  const size_t p = line.find(k, from);
  if (p == std::string::npos) return "";
  size_t b = p + k.size();
  size_t e = line.find_first_of(",}", b);
  std::string v = line.substr(b, e - b);
  if (!v.empty() && v.front() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

// One line per ring change, exception or interrupt, e.g. "cpl 0->3", "exception 14 ec=5",
// "interrupt 128 software". (No std::regex: GCC 12 warns inside it under -O1 -Werror.)
std::vector<std::string> transitions(const std::string& trace) {
  std::vector<std::string> seq;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    const std::string kind = field(line, "kind");
    if (kind == "mode_change") {
      const size_t before = line.find("\"before\":"), after = line.find("\"after\":");
      if (before == std::string::npos || after == std::string::npos) continue;
      seq.push_back("cpl " + field(line, "cpl", before) + "->" + field(line, "cpl", after));
    } else if (kind == "exception" || kind == "interrupt") {
      std::string text = kind + " " + field(line, "vector");
      const std::string ec = field(line, "error_code");
      if (!ec.empty()) text += " ec=" + ec;
      if (kind == "interrupt") text += " " + field(line, "source");
      seq.push_back(text);
    }
  }
  return seq;
}

TEST(GuestRings, OutputExitStatusAndTransitions) {
  ptest::TempDir dir;
  const GuestRun r = run_guest({kGuests + "/rings.elf"}, dir, "rings.jsonl");
  EXPECT_EQ(r.out, read_file(kSource + "/tests/guests/rings.expected")) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  // The kernel IRETs to ring 3; ring 3 makes a system call through a DPL-3 trap gate
  // (vector 0x80), touches a supervisor page (#PF, error code 5 = present | user, read),
  // executes CLI with IOPL 0 (#GP(0)), and finally asks the kernel to exit (0x80 again).
  const std::vector<std::string> expected = {
      "cpl 0->3",
      "interrupt 128 software", "cpl 3->0", "cpl 0->3",
      "exception 14 ec=5", "cpl 3->0", "cpl 0->3",
      "exception 13 ec=0", "cpl 3->0", "cpl 0->3",
      "interrupt 128 software", "cpl 3->0",
  };
  EXPECT_EQ(transitions(r.trace), expected);
  EXPECT_NE(r.err.find("exit port"), std::string::npos) << r.err;
}

TEST(GuestRings, TwoRunsGiveIdenticalTracesAndStateHashes) {
  ptest::TempDir dir;
  const GuestRun a = run_guest({kGuests + "/rings.elf", "--dump-state"}, dir, "a.jsonl");
  const GuestRun b = run_guest({kGuests + "/rings.elf", "--dump-state"}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace, b.trace);
  // --dump-state prints the state hash; both runs must end in the same state.
  const size_t pa = a.err.find("hash"), pb = b.err.find("hash");
  ASSERT_NE(pa, std::string::npos) << a.err;
  ASSERT_NE(pb, std::string::npos) << b.err;
  EXPECT_EQ(a.err.substr(pa, a.err.find('\n', pa) - pa), b.err.substr(pb, b.err.find('\n', pb) - pb));
}

TEST(GuestHello16, BootSectorPrintsAndExits) {
  ptest::TempDir dir;
  const GuestRun r = run_guest({"--boot", kGuests + "/hello16.img"}, dir, "h.jsonl");
  EXPECT_EQ(r.out, "hello16\n") << r.err;
  EXPECT_EQ(r.status, 1) << r.err;  // wrote 0 to the exit port: (0 << 1) | 1
  // Real mode throughout: no ring or mode change at all.
  EXPECT_TRUE(transitions(r.trace).empty());
}

}  // namespace

namespace {

// --cpu-model selects the cycle table: with "flat" every instruction costs one cycle and
// nothing else costs anything, so the summary's cycles are its instructions plus the two
// that faulted (the #PF and #GP: attempted, not retired); the default model charges
// memory accesses and exception delivery on top.
TEST(GuestRings, CpuModelSelectsTheCycleTable) {
  ptest::TempDir dir;
  const GuestRun flat = run_guest({kGuests + "/rings.elf", "--cpu-model", "flat"}, dir, "f.jsonl");
  EXPECT_EQ(flat.status, 33);
  EXPECT_NE(flat.trace.find("\"cpu_model\":\"flat\""), std::string::npos);
  const size_t p = flat.err.find(" instructions, ");
  ASSERT_NE(p, std::string::npos) << flat.err;
  const size_t start = flat.err.rfind(' ', p - 1) + 1;
  const std::string insns = flat.err.substr(start, p - start);
  const size_t q = flat.err.find(" cycles", p);
  const std::string cycles = flat.err.substr(p + 15, q - (p + 15));
  EXPECT_EQ(std::stoull(insns) + 2, std::stoull(cycles)) << flat.err;

  const GuestRun hw = run_guest({kGuests + "/rings.elf"}, dir, "h.jsonl");
  EXPECT_NE(hw.trace.find("\"cpu_model\":\"haswell\""), std::string::npos);
  EXPECT_EQ(hw.err.find(" " + insns + " cycles"), std::string::npos) << hw.err;

  const GuestRun bad = run_guest({kGuests + "/rings.elf", "--cpu-model", "pentium9"}, dir, "b.jsonl");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("unknown model 'pentium9'"), std::string::npos) << bad.err;
}

}  // namespace

#include "platform/loaders/image.h"
#include "platform/loaders/multiboot.h"
#include "platform/machine.h"

namespace {

// Determinism across slicing: running the kernel one step at a time (as a debugger does)
// must end in exactly the state of one uninterrupted run — registers, cycle count, RAM and
// devices — and produce the same output. Record/replay and reverse execution rely on it.
TEST(GuestRings, SteppingEndsInTheSameStateAsRunning) {
  auto boot = [](std::string& out) {
    platform::MachineConfig cfg;
    cfg.output = [&out](uint8_t b) { out += char(b); };
    auto m = std::make_unique<platform::Machine>(cfg);
    platform::load_multiboot(*m, platform::read_image(kGuests + "/rings.elf"), {});
    return m;
  };
  std::string out_run, out_step;
  auto a = boot(out_run);
  const platform::RunOutcome ra = a->run({});
  auto b = boot(out_step);
  platform::RunOutcome rb;
  unsigned steps = 0;
  for (;;) {
    rb = b->run({.max_steps = 1});
    if (rb.kind != platform::StopKind::StepLimit) break;
    ASSERT_LT(++steps, 1000000u);
  }
  EXPECT_EQ(ra.kind, platform::StopKind::ExitPort);
  EXPECT_EQ(rb.kind, ra.kind);
  EXPECT_EQ(out_step, out_run);
  EXPECT_EQ(b->cpu().state().instret, a->cpu().state().instret);
  EXPECT_EQ(b->cpu().state().cycles, a->cpu().state().cycles);
  EXPECT_EQ(b->state_hash(), a->state_hash());
}

}  // namespace
