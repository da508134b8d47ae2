// `ringside run`: option parsing (sizes, numbers, conflicts, unknown options), exit
// statuses, the summary, guest output separation, and the JSON Lines trace (header,
// event lines, byte-identical across runs).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "debugger/event_counter.h"
#include "debugger/run_command.h"
#include "debugger/run_options.h"
#include "debugger/trace_jsonl.h"
#include "tests/unit/loader_test_util.h"

using namespace debugger;
using ptest::Bytes;
using ptest::TempDir;

namespace {

TEST(CliOptions, Sizes) {
  EXPECT_EQ(parse_size("32M", "mem"), 32ull << 20);
  EXPECT_EQ(parse_size("1G", "mem"), 1ull << 30);
  EXPECT_EQ(parse_size("640k", "mem"), 640ull << 10);
  EXPECT_EQ(parse_size("64MiB", "mem"), 64ull << 20);
  EXPECT_EQ(parse_size("2MB", "mem"), 2ull << 20);
  EXPECT_EQ(parse_size("65536", "mem"), 65536u);
  EXPECT_EQ(parse_size("0x100000", "mem"), 0x100000u);
  EXPECT_THROW(parse_size("", "mem"), UsageError);
  EXPECT_THROW(parse_size("M", "mem"), UsageError);
  EXPECT_THROW(parse_size("12Q", "mem"), UsageError);
  EXPECT_THROW(parse_size("-1", "mem"), UsageError);
  EXPECT_THROW(parse_size("99999999999999999999", "mem"), UsageError);
  EXPECT_THROW(parse_size("99999999999G", "mem"), UsageError);
}

TEST(CliOptions, Numbers) {
  EXPECT_EQ(parse_number("0x7c00", "flat"), 0x7C00u);
  EXPECT_EQ(parse_number("1000", "flat"), 1000u);
  EXPECT_THROW(parse_number("0x", "flat"), UsageError);
  EXPECT_THROW(parse_number("12a", "flat"), UsageError);
}

TEST(CliOptions, ParsesEverything) {
  const RunOptions o = parse_run_options({"kernel.elf", "--mem", "64M", "--max-instructions", "1000",
                                          "--trace", "t.jsonl", "--progress", "--cmdline", "a b",
                                          "--module", "x.bin", "--module", "y.bin=Y arg",
                                          "--post-port", "0x190", "--cpu-mhz", "2000", "--dump-state"});
  EXPECT_EQ(o.image, "kernel.elf");
  EXPECT_EQ(o.mem, 64ull << 20);
  EXPECT_EQ(*o.max_instructions, 1000u);
  EXPECT_EQ(*o.trace, "t.jsonl");
  EXPECT_TRUE(o.progress);
  EXPECT_EQ(*o.cmdline, "a b");
  ASSERT_EQ(o.modules.size(), 2u);
  EXPECT_EQ(o.modules[1], "y.bin=Y arg");
  EXPECT_EQ(o.post_port, 0x190);
  EXPECT_EQ(o.cpu_mhz, 2000u);
  EXPECT_TRUE(o.dump_state);
  const ModuleSpec ms = parse_module_spec(o.modules[1]);
  EXPECT_EQ(ms.file, "y.bin");
  EXPECT_EQ(*ms.string, "Y arg");
  EXPECT_FALSE(parse_module_spec("z.bin").string.has_value());

  const RunOptions b = parse_run_options({"--boot", "disk.img"});
  EXPECT_EQ(*b.boot, "disk.img");
  EXPECT_FALSE(b.serial_out2_gate);  // COM1's IRQ is not gated by OUT2 unless asked (QEMU's way)
  EXPECT_TRUE(parse_run_options({"--serial-out2-gate", "k.elf"}).serial_out2_gate);
  const RunOptions f = parse_run_options({"--flat", "0x7c00", "--real", "prog.bin"});
  EXPECT_EQ(*f.flat, 0x7C00u);
  EXPECT_TRUE(f.real);
  const RunOptions l = parse_run_options({"--load=0x100000", "prog.bin"});
  EXPECT_EQ(*l.flat, 0x100000u);
  EXPECT_TRUE(parse_run_options({"--help"}).help);
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& needle) {
  try {
    parse_run_options(args);
    FAIL() << "accepted; expected an error mentioning '" << needle << "'";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(CliOptions, ConflictsAndMistakes) {
  expect_usage_error({"k.elf", "--frobnicate"}, "frobnicate");
  expect_usage_error({"k.elf", "--me", "1M"}, "me");  // no guessing of abbreviations
  expect_usage_error({}, "no image");
  expect_usage_error({"a.elf", "b.elf"}, "one IMAGE at a time");
  expect_usage_error({"--boot", "a.img", "--bios", "b.rom"}, "exclude each other");
  expect_usage_error({"--boot", "a.img", "k.elf"}, "one image too many");
  expect_usage_error({"--flat", "0x1000"}, "needs the binary");
  expect_usage_error({"--flat", "0x1000", "--load", "0x1000", "x.bin"}, "same option");
  expect_usage_error({"--real", "k.elf"}, "--real applies to --flat");
  expect_usage_error({"--boot", "a.img", "--cmdline", "x"}, "Multiboot kernels only");
  expect_usage_error({"k.elf", "--mem", "lots"}, "not a size");
  expect_usage_error({"k.elf", "--max-instructions", "0"}, "at least 1");
  expect_usage_error({"k.elf", "--post-port", "0x10000"}, "not an I/O port");
  expect_usage_error({"k.elf", "--mem", "1M", "--mem", "2M"}, "mem");
  expect_usage_error({"k.elf", "--module", "=x"}, "names no file");
}

TEST(CliOptions, HelpDocumentsOptionsAndExitStatuses) {
  const std::string h = run_help();
  for (const char* word : {"--mem", "--max-instructions", "--trace", "--progress", "--boot", "--bios",
                           "--flat", "--real", "--cmdline", "--module", "--post-port", "--cpu-mhz",
                           "--dump-state", "Exit status", "(v << 1) | 1"}) {
    EXPECT_NE(h.find(word), std::string::npos) << word;
  }
  EXPECT_NE(ringside_help().find("run"), std::string::npos);
}

// ---- running ----

struct CliResult {
  std::string out;
  std::ostringstream err;
  int status = -1;
};

CliResult run_cli(const std::vector<std::string>& args) {
  CliResult r;
  RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &r.err;
  std::ostringstream help;
  r.status = run_main(args, io, help);
  r.out += help.str();
  return r;
}

// Real-mode program: print "hi" on port 0xE9, "S" on the UART, POST 0x42, exit with 5.
const Bytes kHello = {0xB0, 'h', 0xE6, 0xE9, 0xB0, 'i', 0xE6, 0xE9,
                      0xBA, 0xF8, 0x03, 0xB0, 'S', 0xEE,  // mov dx, 0x3F8 ; mov al,'S' ; out dx, al
                      0xB0, 0x42, 0xE6, 0x80,               // POST 0x42
                      0xE4, 0x2E,                           // in al, 0x2E (unclaimed)
                      0xB0, 0x05, 0xE6, 0xF4};

TEST(CliRun, GuestOutputExitStatusAndSummary) {
  TempDir dir;
  const std::string prog = dir.write("hello.bin", kHello);
  const CliResult r = run_cli({"--flat", "0x7c00", "--real", prog});
  EXPECT_EQ(r.status, 11);  // (5 << 1) | 1
  EXPECT_EQ(r.out, "hiS");  // guest bytes only; nothing of Ringside's
  const std::string err = r.err.str();
  EXPECT_NE(err.find("stopped: exit port"), std::string::npos) << err;
  EXPECT_NE(err.find("12 instructions"), std::string::npos) << err;
  EXPECT_NE(err.find("last POST code: 0x42"), std::string::npos) << err;
  EXPECT_NE(err.find("1 unclaimed"), std::string::npos) << err;
  EXPECT_NE(err.find("exit status 11"), std::string::npos) << err;
}

TEST(CliRun, HaltInstructionLimitAndDumpState) {
  TempDir dir;
  const CliResult halt = run_cli({"--flat", "0x100000", dir.write("h.bin", {0x90, 0xF4}), "--dump-state"});
  EXPECT_EQ(halt.status, kExitHalted);
  EXPECT_NE(halt.err.str().find("halted with interrupts off"), std::string::npos) << halt.err.str();
  EXPECT_NE(halt.err.str().find("state hash: 0x"), std::string::npos);
  const CliResult loop = run_cli({"--flat", "0x100000", dir.write("l.bin", {0xEB, 0xFE}), "--max-instructions", "500"});
  EXPECT_EQ(loop.status, kExitLimit);
  EXPECT_NE(loop.err.str().find("instruction limit"), std::string::npos);
  EXPECT_NE(loop.err.str().find("500 instructions"), std::string::npos);
  const CliResult prog = run_cli({"--flat", "0x100000", dir.write("p.bin", {0xEB, 0xFE}), "--max-instructions",
                        "10000000", "--progress"});
  EXPECT_EQ(prog.status, kExitLimit);
  EXPECT_NE(prog.err.str().find("10000000 instructions"), std::string::npos) << prog.err.str();
}

TEST(CliRun, ErrorsHaveTheirStatuses) {
  TempDir dir;
  EXPECT_EQ(run_cli({"--frobnicate"}).status, kExitUsage);
  const CliResult missing = run_cli({dir.file("missing.elf")});
  EXPECT_EQ(missing.status, kExitLoadError);
  EXPECT_NE(missing.err.str().find("missing.elf: cannot open"), std::string::npos);
  const CliResult unknown = run_cli({dir.write("what.bin", Bytes(100, 0x90))});
  EXPECT_EQ(unknown.status, kExitLoadError);
  EXPECT_NE(unknown.err.str().find("--boot, --bios or --flat"), std::string::npos);
  const CliResult badmem = run_cli({"--mem", "100K", dir.write("x.bin", {0xF4}), "--flat", "0"});
  EXPECT_EQ(badmem.status, kExitUsage);
  EXPECT_NE(badmem.err.str().find("outside 1 MiB"), std::string::npos) << badmem.err.str();
  const CliResult clash = run_cli({"--post-port", "0xe9", dir.write("y.bin", {0xF4}), "--flat", "0"});
  EXPECT_EQ(clash.status, kExitUsage);
  const CliResult help = run_cli({"--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Exit status"), std::string::npos);
}

TEST(CliRun, MultibootKernelGetsCmdlineAndModules) {
  // a.out-kludge kernel at 0x100000: print the first byte of the command line and of the
  // first module, then exit with 0.
  const ptest::MbAddr a{0x100000, 0x100000, 0, 0x101000, 0x100020};
  Bytes k = ptest::multiboot_header(1u << 16, &a);
  ptest::put_bytes(k, 32, {0x8B, 0x43, 0x10,        // mov eax, [ebx+16]  (cmdline)
                           0x8A, 0x00, 0xE6, 0xE9,  // mov al, [eax] ; out 0xE9, al
                           0x8B, 0x43, 0x18,        // mov eax, [ebx+24]  (mods_addr)
                           0x8B, 0x00,              // mov eax, [eax]     (mod_start)
                           0x8A, 0x00, 0xE6, 0xE9,  // mov al, [eax] ; out 0xE9, al
                           0xB0, 0x00, 0xE6, 0xF4});
  TempDir dir;
  const std::string kernel = dir.write("kernel.bin", k);
  const std::string mod = dir.write("mod.txt", {'M', 'O', 'D'});
  const CliResult r = run_cli({kernel, "--cmdline", "Zebra", "--module", mod + "=the module"});
  EXPECT_EQ(r.status, 1) << r.err.str();
  EXPECT_EQ(r.out, "ZM");
  EXPECT_NE(r.err.str().find("loaded multiboot"), std::string::npos) << r.err.str();

  ptest::ElfSpec spec;
  ptest::ElfSeg text;
  text.vaddr = text.paddr = 0x100000;
  text.data = {0xF4};
  spec.entry = 0x100000;
  spec.segs = {text};
  const std::string elf = dir.write("plain.elf", ptest::build_elf(spec));
  EXPECT_EQ(run_cli({elf}).status, kExitHalted);
  const CliResult bad = run_cli({elf, "--cmdline", "x"});
  EXPECT_EQ(bad.status, kExitUsage);
  EXPECT_NE(bad.err.str().find("plain ELF"), std::string::npos) << bad.err.str();
  const CliResult badmod = run_cli({kernel, "--module", dir.file("absent.mod")});
  EXPECT_EQ(badmod.status, kExitLoadError);
  EXPECT_NE(badmod.err.str().find("absent.mod: cannot open"), std::string::npos) << badmod.err.str();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(CliRun, TraceHasAVersionedHeaderAndIsDeterministic) {
  TempDir dir;
  const std::string prog = dir.write("hello.bin", kHello);
  const std::string t1 = dir.file("a.jsonl"), t2 = dir.file("b.jsonl");
  EXPECT_EQ(run_cli({"--flat", "0x7c00", "--real", prog, "--trace", t1}).status, 11);
  EXPECT_EQ(run_cli({"--flat", "0x7c00", "--real", prog, "--trace", t2}).status, 11);
  const std::string a = slurp(t1), b = slurp(t2);
  EXPECT_EQ(a, b);
  std::istringstream lines(a);
  std::string header, line;
  std::getline(lines, header);
  EXPECT_EQ(header.rfind("{\"format\":\"ringside-trace\",\"version\":2,", 0), 0u) << header;
  EXPECT_NE(header.find("\"ram_bytes\":33554432"), std::string::npos);
  EXPECT_NE(header.find("\"name\":\"hello.bin\""), std::string::npos);  // no host path
  EXPECT_EQ(header.find(dir.file("")), std::string::npos);
  int port_io = 0, post = 0, unclaimed = 0;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    EXPECT_NE(line.find("\"before\":{\"mode\":"), std::string::npos) << line;
    if (line.find("\"port\":128") != std::string::npos && line.find("\"claimed\"") == std::string::npos) {
      ++post;
      EXPECT_NE(line.find("\"value\":66"), std::string::npos) << line;
    }
    if (line.find("\"claimed\":") != std::string::npos) ++port_io;
    if (line.find("\"claimed\":false") != std::string::npos) ++unclaimed;
  }
  EXPECT_EQ(port_io, 6);  // 2x 0xE9, UART, POST, 0x2E, 0xF4
  EXPECT_EQ(post, 1);
  EXPECT_EQ(unclaimed, 1);
  const CliResult again = run_cli({"--flat", "0x7c00", "--real", prog, "--trace", dir.file("nodir/x.jsonl")});
  EXPECT_EQ(again.status, kExitLoadError);
}

TEST(TraceJsonl, EventLinesCarryTheKindSpecificFields) {
  cpu::Event e;
  e.kind = cpu::EventKind::Exception;
  e.cycle = 812;
  e.instret = 301;
  e.before = {cpu::Mode::Protected, 3, 0};
  e.after = {cpu::Mode::Protected, 0, 0};
  e.cs = 0x1B;
  e.ip = 0x401000;
  e.vector = 14;
  e.has_error_code = true;
  e.error_code = 6;
  e.cr2 = 0xC0000000;
  const std::string line = TraceJsonl::event_line(e);
  for (const char* f : {"\"cycle\":812", "\"instret\":301", "\"cpl\":3", "\"cs\":27", "\"ip\":4198400",
                        "\"vector\":14", "\"error_code\":6", "\"cr2\":3221225472"}) {
    EXPECT_NE(line.find(f), std::string::npos) << f << " in " << line;
  }
  e.kind = cpu::EventKind::Shutdown;
  e.reason = "triple fault: \"#GP\" while delivering #DF";
  const std::string s = TraceJsonl::event_line(e);
  EXPECT_NE(s.find("\"reason\":\"triple fault: \\\"#GP\\\" while delivering #DF\""), std::string::npos) << s;
  EXPECT_EQ(s.find("error_code"), std::string::npos);
  EXPECT_EQ(json_string(std::string("a\x01\n", 3)), "\"a\\u0001\\n\"");
}

TEST(EventCounterTest, CountsByKindAndUnclaimedPorts) {
  EventCounter c;
  EXPECT_EQ(c.summary(), "none");
  cpu::Event e;
  e.kind = cpu::EventKind::PortIo;
  e.claimed = false;
  c.on_event(e);
  e.claimed = true;
  c.on_event(e);
  e.kind = cpu::EventKind::Exception;
  c.on_event(e);
  EXPECT_EQ(c.count(cpu::EventKind::PortIo), 2u);
  EXPECT_EQ(c.count(cpu::EventKind::Exception), 1u);
  EXPECT_EQ(c.total(), 3u);
  EXPECT_EQ(c.unclaimed_ports(), 1u);
  const std::string s = c.summary();
  EXPECT_NE(s.find("(1 unclaimed)"), std::string::npos) << s;
}

TEST(CliRun, ExitStatusMapping) {
  using platform::RunOutcome;
  using platform::StopKind;
  EXPECT_EQ(exit_status_for({StopKind::ExitPort, ""}, 0x201), 1);  // low 8 bits
  EXPECT_EQ(exit_status_for({StopKind::Shutdown, ""}, std::nullopt), kExitTripleFault);
  EXPECT_EQ(exit_status_for({StopKind::NotImplemented, ""}, std::nullopt), kExitNotImplemented);
  EXPECT_EQ(exit_status_for({StopKind::HaltedIdle, ""}, std::nullopt), kExitHalted);
}

}  // namespace
