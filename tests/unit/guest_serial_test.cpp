// The serial echo kernel (tests/guests/serial_echo.S) fed by an input script: its output,
// exit status, where COM1 output goes (--serial), raw input (--serial-in), and
// determinism: the same script gives a byte-identical trace and the same final state. And
// the keyboard echo kernel (tests/guests/kbd_echo.S): key strokes from a script through
// the 8042.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct EchoRun {
  int status = -1;
  std::string out, err, trace;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ptest::Bytes bytes_of(const std::string& s) { return ptest::Bytes(s.begin(), s.end()); }

EchoRun run_echo(std::vector<std::string> args, const ptest::TempDir& dir, const std::string& trace_name,
                 std::istream* in = nullptr, const char* max_instructions = "50000000",
                 const char* kernel = "serial_echo.elf") {
  EchoRun r;
  const std::string trace = dir.file(trace_name);
  args.insert(args.begin(), kGuests + "/" + kernel);
  args.insert(args.end(), {"--trace", trace, "--dump-state", "--max-instructions", max_instructions});
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  std::ostringstream err, help;
  io.err = &err;
  io.in = in;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  r.trace = slurp(trace);
  return r;
}

const std::string kScript =
    "# two bursts: a line, then the end of the session\n"
    "at 100us serial \"hello, world\\r\\n\"\n"
    "after 300us serial \"bye.\"\n";
const std::string kExpected = "echo: ready\r\nHELLO, WORLD\r\nBYE\r\necho: 18 bytes\r\n";

std::string state_hash(const std::string& err) {
  const size_t p = err.find("state hash: ");
  return p == std::string::npos ? "" : err.substr(p, err.find('\n', p) - p);
}

TEST(GuestSerialEcho, EchoesScriptedInputUppercased) {
  ptest::TempDir dir;
  const std::string script = dir.write("in.txt", bytes_of(kScript));
  const EchoRun r = run_echo({"--input", script}, dir, "a.jsonl");
  EXPECT_EQ(r.out, kExpected) << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  // The kernel polls: no interrupt reaches the CPU.
  EXPECT_EQ(r.trace.find("\"kind\":\"interrupt\""), std::string::npos);
}

TEST(GuestSerialEcho, SameScriptGivesIdenticalTraceAndState) {
  ptest::TempDir dir;
  const std::string script = dir.write("in.txt", bytes_of(kScript));
  const EchoRun a = run_echo({"--input", script}, dir, "a.jsonl");
  const EchoRun b = run_echo({"--input", script}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_FALSE(state_hash(a.err).empty()) << a.err;
  EXPECT_EQ(state_hash(a.err), state_hash(b.err));
  // Input at another time is another run: the trace differs, the output does not.
  const std::string later = dir.write("later.txt", bytes_of("at 200us serial \"hello, world\\r\\n\"\n"
                                                             "after 300us serial \"bye.\"\n"));
  const EchoRun c = run_echo({"--input", later}, dir, "c.jsonl");
  EXPECT_EQ(c.out, kExpected);
  EXPECT_NE(c.trace, a.trace);
}

TEST(GuestSerialEcho, SerialOutputToAFileOrNowhere) {
  ptest::TempDir dir;
  const std::string script = dir.write("in.txt", bytes_of(kScript));
  const std::string out_file = dir.file("com1.txt");
  const EchoRun f = run_echo({"--input", script, "--serial", "file:" + out_file}, dir, "f.jsonl");
  EXPECT_EQ(f.status, 33) << f.err;
  EXPECT_EQ(f.out, "");  // stdout has only the 0xE9 console, which this kernel does not use
  EXPECT_EQ(slurp(out_file), kExpected);
  const EchoRun n = run_echo({"--input", script, "--serial", "none"}, dir, "n.jsonl");
  EXPECT_EQ(n.status, 33) << n.err;
  EXPECT_EQ(n.out, "");
  // Where the output goes does not change what the guest does.
  EXPECT_EQ(state_hash(n.err), state_hash(f.err));
}

TEST(GuestSerialEcho, RawSerialInputFromAFileOrStdin) {
  ptest::TempDir dir;
  const std::string raw = dir.write("raw.bin", bytes_of("abc.xyz"));
  const EchoRun r = run_echo({"--serial-in", raw}, dir, "r.jsonl");
  EXPECT_EQ(r.out, "echo: ready\r\nABC\r\necho: 4 bytes\r\n") << r.err;
  EXPECT_EQ(r.status, 33);
  std::istringstream in("Ok.");
  const EchoRun s = run_echo({"--serial-in", "-"}, dir, "s.jsonl", &in);
  EXPECT_EQ(s.out, "echo: ready\r\nOK\r\necho: 3 bytes\r\n") << s.err;
  // Without input the kernel waits forever: the instruction limit ends the run.
  const EchoRun w = run_echo({}, dir, "w.jsonl", nullptr, "1000000");
  EXPECT_EQ(w.out, "echo: ready\r\n");
  EXPECT_EQ(w.status, 10);
}

TEST(GuestKbdEcho, TypedKeysArriveThroughThe8042) {
  ptest::TempDir dir;
  const std::string script = dir.write("keys.txt", bytes_of("at 1ms key \"Hi, there!\\n\"\n"));
  const EchoRun a = run_echo({"--input", script}, dir, "k1.jsonl", nullptr, "50000000", "kbd_echo.elf");
  EXPECT_EQ(a.out, "kbd: ready\r\nHi, there!\r\nkbd: done\r\n") << a.err;
  EXPECT_EQ(a.status, 33) << a.err;
  const EchoRun b = run_echo({"--input", script}, dir, "k2.jsonl", nullptr, "50000000", "kbd_echo.elf");
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_EQ(state_hash(a.err), state_hash(b.err));
}

}  // namespace
