// tests/guests/popek.S: a guest kernel deprivileged to ring 3 runs sensitive-but-
// unprivileged instructions (vt/sensitive.h). Plain x86: each silently gives the guest the
// real (wrong) answer and Ringside reports a SensitiveInstruction event; QEMU 7.2 prints
// the same output (tests/guests/CMakeLists.txt has the command). With --virtualizable each
// raises #GP(0) and the kernel's monitor emulates it, so the guest sees its virtual state.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct PopekRun {
  int status = -1;
  std::string out, err, trace;
};

PopekRun run_popek(std::vector<std::string> extra, const ptest::TempDir& dir) {
  PopekRun r;
  const std::string trace = dir.file("popek.jsonl");
  std::vector<std::string> args = {kGuests + "/popek.elf", "--trace", trace};
  args.insert(args.end(), extra.begin(), extra.end());
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

// The value of `"key":` in a flat JSON line (strings unquoted; no escapes in these).
std::string field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  const size_t p = line.find(k);
  if (p == std::string::npos) return "";
  const size_t b = p + k.size();
  if (line[b] == '"') return line.substr(b + 1, line.find('"', b + 1) - b - 1);
  return line.substr(b, line.find_first_of(",}", b) - b);
}

// One line per sensitive_instruction or exception event, e.g.
// "sensitive popf ring 3 IF change dropped" or "exception 13 ec=0".
std::vector<std::string> events(const std::string& trace) {
  std::vector<std::string> seq;
  std::istringstream in(trace);
  std::string line;
  while (std::getline(in, line)) {
    const std::string kind = field(line, "kind");
    if (kind == "sensitive_instruction") {
      std::string t = "sensitive " + field(line, "id") + " ring " + field(line, "ring");
      if (field(line, "trapped") == "true") t += " trapped";
      seq.push_back(t + ": " + field(line, "detail"));
    } else if (kind == "exception") {
      seq.push_back("exception " + field(line, "vector") + " ec=" + field(line, "error_code"));
    }
  }
  return seq;
}

TEST(GuestPopek, PlainX86MisbehavesSilently) {
  ptest::TempDir dir;
  const PopekRun r = run_popek({}, dir);
  EXPECT_EQ(r.out,
            "popek: start\n"
            "popek: sgdt base=00108000 limit=002f\n"      // the monitor's GDT (SDM Vol.2 SGDT)
            "popek: smsw=00000019\n"                      // PE ET and the monitor's TS
            "popek: pushf after popf(IF=1): if=00000000\n"  // CPL 3 > IOPL 0: IF kept
            "popek: push cs=0000001b\n"                   // RPL 3 = CPL
            "popek: lar 0008 zf=00000000 ar=00000000\n"   // DPL 0 < CPL 3
            "popek: done\n")
      << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  const std::vector<std::string> expected = {
      "sensitive sgdt ring 3: revealed GDTR base 0x00108000 limit 0x002f",
      "sensitive smsw ring 3: revealed MSW 0x0019",
      "sensitive popf ring 3: IF change dropped",
      "sensitive pushf ring 3: revealed IF=0 IOPL=0",
      "sensitive push_sreg ring 3: revealed CPL 3 (CS 0x001b)",
      "sensitive lar ring 3: selector 0x0008: ZF=0 at CPL 3, ZF=1 at ring 0",
  };
  EXPECT_EQ(events(r.trace), expected);
  EXPECT_NE(r.trace.find("\"virtualizable\":false"), std::string::npos);
  EXPECT_NE(r.err.find("sensitive_instruction 6"), std::string::npos) << r.err;
}

TEST(GuestPopek, VirtualizableTrapsAndTheMonitorEmulates) {
  ptest::TempDir dir;
  const PopekRun r = run_popek({"--virtualizable"}, dir);
  EXPECT_EQ(r.out,
            "popek: start\n"
            "popek: #GP(0) trapped sgdt, emulated\n"
            "popek: #GP(0) trapped smsw, emulated\n"
            "popek: #GP(0) trapped popf, emulated\n"
            "popek: #GP(0) trapped pushf, emulated\n"
            "popek: #GP(0) trapped push cs, emulated\n"
            "popek: #GP(0) trapped lar, emulated\n"
            "popek: sgdt base=00002000 limit=0017\n"  // the guest's virtual GDTR
            "popek: smsw=00000011\n"                  // its virtual CR0: no TS
            "popek: pushf after popf(IF=1): if=00000200\n"
            "popek: push cs=00000008\n"
            "popek: lar 0008 zf=00000001 ar=00cf9b00\n"  // as ring 0 sees it (accessed code)
            "popek: done\n")
      << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  std::vector<std::string> expected;
  for (const char* id : {"sgdt", "smsw", "popf", "pushf", "push_sreg", "lar"}) {
    expected.push_back(std::string("sensitive ") + id + " ring 3 trapped: trapped: #GP(0)");
    expected.push_back("exception 13 ec=0");
  }
  EXPECT_EQ(events(r.trace), expected);
  EXPECT_NE(r.trace.find("\"virtualizable\":true"), std::string::npos);
}

}  // namespace
