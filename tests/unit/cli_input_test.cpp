// Input scripts (debugger/input_script.h) and the `ringside run` options for the serial
// port and host input: --serial stdio|file:PATH|none, --input FILE, --serial-in FILE,
// their usage errors (exit status 2) and load errors (8), and the Reset exit status.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "debugger/input_script.h"
#include "debugger/run_command.h"
#include "debugger/run_options.h"
#include "tests/unit/loader_test_util.h"

using namespace debugger;
using platform::InputChannel;
using platform::InputEvent;

namespace {

std::vector<InputEvent> parse(const std::string& text, uint32_t mhz = 1000) {
  return parse_input_script(text, mhz, "in.txt");
}

void expect_script_error(const std::string& text, const std::string& needle) {
  try {
    parse(text);
    FAIL() << "accepted '" << text << "'; expected an error mentioning '" << needle << "'";
  } catch (const InputScriptError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(InputScript, TimesChannelsStringsAndBytes) {
  const auto ev = parse(
      "# a comment line\n"
      "\n"
      "at 5ms serial \"hi\\r\"   # trailing comment\n"
      "after 2us serial 0x41 66 \"\\x43\\\\\\\"\"\n"
      "at 6000000cycles key \"A\"\n"
      "after 1s key 0xE0 0x48\n",
      1000);
  const uint64_t t1 = 5'000'000, t2 = t1 + 2'000, t3 = 6'000'000, t4 = t3 + 1'000'000'000;
  const std::vector<InputEvent> expected = {
      {t1, InputChannel::Serial, 'h'},     {t1, InputChannel::Serial, 'i'},
      {t1, InputChannel::Serial, '\r'},    {t2, InputChannel::Serial, 0x41},
      {t2, InputChannel::Serial, 66},      {t2, InputChannel::Serial, 'C'},
      {t2, InputChannel::Serial, '\\'},    {t2, InputChannel::Serial, '"'},
      {t3, InputChannel::Keyboard, 0x2A},  {t3, InputChannel::Keyboard, 0x1E},  // shift, a
      {t3, InputChannel::Keyboard, 0x9E},  {t3, InputChannel::Keyboard, 0xAA},
      {t4, InputChannel::Keyboard, 0xE0},  {t4, InputChannel::Keyboard, 0x48},
  };
  EXPECT_EQ(ev, expected);
}

TEST(InputScript, TimeUnitsFollowTheCpuClock) {
  // 250 MHz: 1 us = 250 cycles; ns round down.
  EXPECT_EQ(parse("at 1us serial 1", 250)[0].cycle, 250u);
  EXPECT_EQ(parse("at 3ns serial 1", 250)[0].cycle, 0u);   // 0.75 cycles
  EXPECT_EQ(parse("at 4ns serial 1", 250)[0].cycle, 1u);
  EXPECT_EQ(parse("at 2s serial 1", 250)[0].cycle, 500'000'000u);
  EXPECT_EQ(parse("at 7cycles serial 1", 250)[0].cycle, 7u);
  // A string with '#' inside is not a comment; CRLF line ends are accepted.
  const auto ev = parse("at 0ms serial \"a#b\"\r\nat 0ms serial 0x0d\r\n");
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[1].byte, '#');
}

TEST(InputScript, MalformedLinesNameTheirLine) {
  expect_script_error("at 5ms serial \"ok\"\nat 5 serial \"x\"", "in.txt:2:");
  expect_script_error("at 5 serial \"x\"", "unit");
  expect_script_error("at 5parsecs serial 1", "no known unit");
  expect_script_error("at ms serial 1", "not a time");
  expect_script_error("when 5ms serial 1", "expected 'at TIME' or 'after TIME'");
  expect_script_error("at", "needs a time");
  expect_script_error("at 5ms", "expected a channel");
  expect_script_error("at 5ms mouse 1", "unknown channel 'mouse'");
  expect_script_error("at 5ms serial", "at least one");
  expect_script_error("at 5ms serial 256", "neither a \"string\" nor a byte");
  expect_script_error("at 5ms serial hello", "neither");
  expect_script_error("at 5ms serial \"abc", "no closing");
  expect_script_error("at 5ms serial \"a\\q\"", "unknown escape");
  expect_script_error("at 5ms serial \"\\xg\"", "hexadecimal");
  expect_script_error("at 5ms key \"\\x01\"", "no key on a US keyboard types the character 0x01");
  expect_script_error("at 5ms serial 1\nat 4ms serial 2", "goes back in time");
  expect_script_error("at 99999999999999999999ms serial 1", "not a time");
  expect_script_error("at 18446744073709551615s serial 1", "too far");
  EXPECT_TRUE(parse("").empty());
  EXPECT_TRUE(parse("# only a comment\n\n   \n").empty());
}

TEST(CliOptions, SerialAndInputOptions) {
  EXPECT_EQ(parse_run_options({"k.elf"}).serial, RunOptions::Serial::Stdio);
  EXPECT_EQ(parse_run_options({"k.elf", "--serial", "none"}).serial, RunOptions::Serial::None);
  EXPECT_EQ(parse_run_options({"k.elf", "--serial=stdio"}).serial, RunOptions::Serial::Stdio);
  const RunOptions f = parse_run_options({"k.elf", "--serial", "file:out.txt", "--input", "in.txt",
                                          "--serial-in", "raw.bin"});
  EXPECT_EQ(f.serial, RunOptions::Serial::File);
  EXPECT_EQ(f.serial_path, "out.txt");
  EXPECT_EQ(*f.input, "in.txt");
  EXPECT_EQ(*f.serial_in, "raw.bin");
  const auto usage = [](const std::vector<std::string>& args, const std::string& needle) {
    try {
      parse_run_options(args);
      ADD_FAILURE() << "accepted; expected '" << needle << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  usage({"k.elf", "--serial", "tcp:1234"}, "not stdio, file:PATH or none");
  usage({"k.elf", "--serial", "file:"}, "needs a file name");
  usage({"k.elf", "--serial", "none", "--serial", "stdio"}, "serial");
  usage({"k.elf", "--input", ""}, "--input needs a file name");
  usage({"k.elf", "--input", "a", "--input", "b"}, "input");
  usage({"k.elf", "--input", "-", "--serial-in", "-"}, "both want stdin");
  usage({"k.elf", "--serial"}, "serial");
  const std::string h = run_help();
  for (const char* word : {"--serial", "file:PATH", "--input", "--serial-in", "12 "}) {
    EXPECT_NE(h.find(word), std::string::npos) << word;
  }
}

TEST(CliRun, ResetHasItsExitStatus) {
  EXPECT_EQ(exit_status_for({platform::StopKind::Reset, ""}, std::nullopt), kExitReset);
  ptest::TempDir dir;
  // Real mode: pulse the reset line through the 8042.
  const std::string prog = dir.write("r.bin", {0xB0, 0xFE, 0xE6, 0x64, 0xEB, 0xFE});
  RunIo io;
  std::string out;
  std::ostringstream err, help;
  io.guest_output = [&out](uint8_t b) { out += char(b); };
  io.err = &err;
  EXPECT_EQ(run_main({"--flat", "0x7c00", "--real", prog}, io, help), kExitReset);
  EXPECT_NE(err.str().find("stopped: reset: the guest reset the machine through the 8042"), std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("exit status 12"), std::string::npos) << err.str();
}

TEST(CliRun, InputAndSerialFileErrorsAreLoadErrors) {
  ptest::TempDir dir;
  const std::string prog = dir.write("h.bin", {0xF4});
  const std::string bad = dir.write("bad.in", ptest::Bytes{'a', 't', ' ', '1', 'm', 's', ' ', 'x', '\n'});
  auto run = [&](std::vector<std::string> args, std::string& err_text) {
    RunIo io;
    std::ostringstream err, help;
    io.guest_output = [](uint8_t) {};
    io.err = &err;
    args.insert(args.end(), {"--flat", "0x100000", prog});
    const int st = run_main(args, io, help);
    err_text = err.str();
    return st;
  };
  std::string e;
  EXPECT_EQ(run({"--input", dir.file("missing.in")}, e), kExitLoadError);
  EXPECT_NE(e.find("missing.in: cannot open for reading"), std::string::npos) << e;
  EXPECT_EQ(run({"--input", bad}, e), kExitLoadError);
  EXPECT_NE(e.find("bad.in:1: unknown channel 'x'"), std::string::npos) << e;
  EXPECT_EQ(run({"--serial-in", dir.file("missing.bin")}, e), kExitLoadError);
  EXPECT_EQ(run({"--serial", "file:" + dir.file("no/such/dir/out.txt")}, e), kExitLoadError);
  EXPECT_NE(e.find("cannot open the serial output file"), std::string::npos) << e;
  EXPECT_EQ(run({"--input", "-"}, e), kExitLoadError);  // RunIo without stdin
}

}  // namespace
