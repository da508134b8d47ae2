// debugger/run_options.cpp — see run_options.h.
#include "debugger/run_options.h"

#include <boost/program_options.hpp>
#include <cctype>

#include "cpu/cycles/model.h"

namespace debugger {

namespace po = boost::program_options;

uint64_t parse_number(const std::string& text, const std::string& option) {
  const auto bad = [&]() {
    return UsageError("--" + option + ": '" + text + "' is not a number (decimal or 0x hexadecimal)");
  };
  if (text.empty()) throw bad();
  size_t i = 0;
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    i = 2;
  }
  uint64_t v = 0;
  for (; i < text.size(); ++i) {
    const char c = char(std::tolower(static_cast<unsigned char>(text[i])));
    unsigned d;
    if (c >= '0' && c <= '9') d = unsigned(c - '0');
    else if (base == 16 && c >= 'a' && c <= 'f') d = unsigned(c - 'a' + 10);
    else throw bad();
    if (v > (UINT64_MAX - d) / unsigned(base)) {
      throw UsageError("--" + option + ": '" + text + "' is too large");
    }
    v = v * unsigned(base) + d;
  }
  return v;
}

uint64_t parse_size(const std::string& text, const std::string& option) {
  size_t end = text.size();
  // Optional "iB" / "B" after the unit letter.
  std::string lower;
  for (char c : text) lower += char(std::tolower(static_cast<unsigned char>(c)));
  auto ends_with = [&](const std::string& s) {
    return lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with("ib")) end -= 2;
  else if (ends_with("b") && !(lower.size() > 2 && lower[0] == '0' && lower[1] == 'x')) end -= 1;
  uint64_t mult = 1;
  if (end > 0) {
    switch (lower[end - 1]) {
      case 'k': mult = 1ull << 10; --end; break;
      case 'm': mult = 1ull << 20; --end; break;
      case 'g': mult = 1ull << 30; --end; break;
      default: break;
    }
  }
  if (end == 0) throw UsageError("--" + option + ": '" + text + "' is not a size (e.g. 32M, 1G, 65536)");
  uint64_t n;
  try {
    n = parse_number(text.substr(0, end), option);
  } catch (const UsageError&) {
    throw UsageError("--" + option + ": '" + text + "' is not a size (e.g. 32M, 1G, 65536)");
  }
  if (n > UINT64_MAX / mult) throw UsageError("--" + option + ": '" + text + "' is too large");
  return n * mult;
}

ModuleSpec parse_module_spec(const std::string& spec) {
  ModuleSpec m;
  const size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    m.file = spec;
  } else {
    m.file = spec.substr(0, eq);
    m.string = spec.substr(eq + 1);
  }
  return m;
}

RunOptions parse_run_options(const std::vector<std::string>& args) {
  po::options_description desc;
  desc.add_options()
      ("help,h", po::bool_switch())
      ("mem", po::value<std::string>())
      ("max-instructions", po::value<std::string>())
      ("trace", po::value<std::string>())
      ("progress", po::bool_switch())
      ("boot", po::value<std::string>())
      ("bios", po::value<std::string>())
      ("flat", po::value<std::string>())
      ("load", po::value<std::string>())
      ("real", po::bool_switch())
      ("cmdline", po::value<std::string>())
      ("module", po::value<std::vector<std::string>>()->composing())
      ("post-port", po::value<std::string>())
      ("cpu-mhz", po::value<std::string>())
      ("cpu-model", po::value<std::string>())
      ("virtualizable", po::bool_switch())  // Popek–Goldberg (branch pg)
      ("dump-state", po::bool_switch())
      ("no-vmx", po::bool_switch())
      ("disk0", po::value<std::string>())
      ("disk1", po::value<std::string>())
      ("disk-writeback", po::bool_switch())
      ("rtc-start", po::value<std::string>())
      ("screen", po::bool_switch())
      ("serial", po::value<std::string>())
      ("input", po::value<std::string>())
      ("serial-in", po::value<std::string>())
      ("serial-out2-gate", po::bool_switch())
      ("image", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("image", -1);

  po::variables_map vm;
  try {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(desc).positional(pos).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }

  RunOptions o;
  o.help = vm["help"].as<bool>();
  if (o.help) return o;
  if (vm.count("image")) {
    const auto& images = vm["image"].as<std::vector<std::string>>();
    if (images.size() > 1) {
      throw UsageError("one IMAGE at a time (got '" + images[0] + "' and '" + images[1] + "')");
    }
    o.image = images[0];
  }
  auto str = [&](const char* name) -> std::optional<std::string> {
    if (!vm.count(name)) return std::nullopt;
    return vm[name].as<std::string>();
  };
  o.boot = str("boot");
  o.bios = str("bios");
  o.trace = str("trace");
  o.cmdline = str("cmdline");
  if (vm.count("module")) o.modules = vm["module"].as<std::vector<std::string>>();
  o.progress = vm["progress"].as<bool>();
  o.real = vm["real"].as<bool>();
  o.dump_state = vm["dump-state"].as<bool>();
  o.virtualizable = vm["virtualizable"].as<bool>();  // Popek–Goldberg (branch pg)
  o.no_vmx = vm["no-vmx"].as<bool>();

  if (auto v = str("mem")) o.mem = parse_size(*v, "mem");
  if (auto v = str("max-instructions")) {
    o.max_instructions = parse_number(*v, "max-instructions");
    if (*o.max_instructions == 0) throw UsageError("--max-instructions must be at least 1");
  }
  if (auto v = str("post-port")) {
    const uint64_t p = parse_number(*v, "post-port");
    if (p > 0xFFFF) throw UsageError("--post-port: " + *v + " is not an I/O port (0..0xFFFF)");
    o.post_port = uint16_t(p);
  }
  if (auto v = str("cpu-model")) {
    if (!cpu::find_cycle_model(*v))
      throw UsageError("--cpu-model: unknown model '" + *v + "' (known: " + cpu::cycle_model_names() + ")");
    o.cpu_model = *v;
  }
  if (auto v = str("cpu-mhz")) {
    const uint64_t mhz = parse_number(*v, "cpu-mhz");
    if (mhz == 0 || mhz > 100000) throw UsageError("--cpu-mhz: " + *v + " is not in 1..100000");
    o.cpu_mhz = uint32_t(mhz);
  }
  // ---- CMOS RTC and VGA text ----
  if (auto v = str("rtc-start")) {
    o.rtc_start = platform::parse_rtc_time(*v);
    if (!o.rtc_start) {
      throw UsageError("--rtc-start: '" + *v +
                       "' is not a date and time YYYY-MM-DDTHH:MM:SS in 1901..2099 (e.g. 2026-11-25T12:00:00)");
    }
  }
  o.screen = vm["screen"].as<bool>();
  if (vm.count("flat") && vm.count("load")) throw UsageError("--flat and --load are the same option; give one");
  if (auto v = str("flat")) o.flat = parse_number(*v, "flat");
  if (auto v = str("load")) o.flat = parse_number(*v, "load");
  if (o.trace && o.trace->empty()) throw UsageError("--trace needs a file name");

  // ---- serial and input (branch uart) ----
  if (auto v = str("serial")) {
    if (*v == "stdio") {
      o.serial = RunOptions::Serial::Stdio;
    } else if (*v == "none") {
      o.serial = RunOptions::Serial::None;
    } else if (v->rfind("file:", 0) == 0) {
      o.serial = RunOptions::Serial::File;
      o.serial_path = v->substr(5);
      if (o.serial_path.empty()) throw UsageError("--serial file:PATH needs a file name after 'file:'");
    } else {
      throw UsageError("--serial: '" + *v + "' is not stdio, file:PATH or none");
    }
  }
  o.input = str("input");
  if (o.input && o.input->empty()) throw UsageError("--input needs a file name");
  o.serial_in = str("serial-in");
  o.serial_out2_gate = vm["serial-out2-gate"].as<bool>();
  if (o.serial_in && o.serial_in->empty()) throw UsageError("--serial-in needs a file name (or - for stdin)");
  if (o.serial_in && o.input && *o.serial_in == "-" && *o.input == "-") {
    throw UsageError("--input - and --serial-in - both want stdin; give one of them a file");
  }
  // ---- end serial and input ----

  // Exactly one image, of one kind.
  const int kinds = int(o.boot.has_value()) + int(o.bios.has_value()) + int(o.flat.has_value());
  if (kinds > 1) throw UsageError("--boot, --bios and --flat exclude each other; give one");
  if ((o.boot || o.bios) && !o.image.empty()) {
    throw UsageError(std::string(o.boot ? "--boot" : "--bios") + " takes the image as its value; '" +
                     o.image + "' is one image too many");
  }
  if (o.flat && o.image.empty()) throw UsageError("--flat ADDR needs the binary as IMAGE");
  if (!o.boot && !o.bios && o.image.empty()) throw UsageError("no image given (ringside run IMAGE)");
  if (o.real && !o.flat) throw UsageError("--real applies to --flat binaries only");
  if ((o.cmdline || !o.modules.empty()) && (o.boot || o.bios || o.flat)) {
    throw UsageError("--cmdline and --module apply to Multiboot kernels only");
  }
  for (const std::string& m : o.modules) {
    if (parse_module_spec(m).file.empty()) throw UsageError("--module '" + m + "' names no file");
  }

  // ---- IDE disks ----
  o.disk0 = str("disk0");
  o.disk1 = str("disk1");
  o.disk_writeback = vm["disk-writeback"].as<bool>();
  if (o.disk0 && o.disk0->empty()) throw UsageError("--disk0 needs a disk image file name");
  if (o.disk1 && o.disk1->empty()) throw UsageError("--disk1 needs a disk image file name");
  if (o.disk0 && o.disk1 && *o.disk0 == *o.disk1) {
    throw UsageError("--disk0 and --disk1 name the same file '" + *o.disk0 + "'; give two images");
  }
  if (o.disk_writeback && !o.disk0 && !o.disk1 && !o.boot) {
    throw UsageError("--disk-writeback applies to disks, and none is given (--disk0, --disk1 or a --boot disk)");
  }
  return o;
}

std::string ringside_help() {
  return
      "ringside - a cycle-level x86 system simulator\n"
      "\n"
      "Usage: ringside <command> [options]\n"
      "\n"
      "Commands:\n"
      "  run IMAGE     run a guest (Multiboot kernel, ELF32 executable, boot image,\n"
      "                firmware ROM or flat binary) and report why it stopped\n"
      "\n"
      "Options:\n"
      "  -h, --help    this text\n"
      "\n"
      "'ringside run --help' lists the options of run.\n";
}

std::string run_help() {
  return
      "Usage: ringside run [options] IMAGE\n"
      "       ringside run [options] --boot DISK.img\n"
      "       ringside run [options] --bios ROM.bin\n"
      "       ringside run [options] --flat ADDR [--real] BINARY\n"
      "\n"
      "Runs a guest on the minimal machine (RAM, debug console on port 0xE9,\n"
      "isa-debug-exit on 0xF4, a 16550A UART on 0x3F8, an 8042 keyboard controller, a\n"
      "POST port) until it halts, exits through port 0xF4, triple-faults, resets or\n"
      "reaches a limit. The guest's output (port 0xE9 and, unless --serial says\n"
      "otherwise, the UART) goes to stdout byte for byte; Ringside's messages and the\n"
      "summary go to stderr.\n"
      "\n"
      "IMAGE is recognised by its contents: a Multiboot 1 header in the first 8 KiB makes\n"
      "it a Multiboot kernel, else the ELF magic an ELF32 i386 executable (entered in flat\n"
      "32-bit protected mode). Other kinds must be named:\n"
      "  --boot IMAGE          raw floppy/disk image: sector 0 at 0x7C00, the following\n"
      "                        sectors preloaded from 0x7E00 up to 640 KiB; real mode at\n"
      "                        0000:7C00, DL = 0x00 (<= 2.88 MB) or 0x80\n"
      "  --bios FILE           firmware ROM (<= 256 KiB) ending at 1 MiB and at 4 GiB,\n"
      "                        started from the reset vector F000:FFF0\n"
      "  --flat ADDR           load IMAGE as a raw binary at physical ADDR and enter it\n"
      "                        in flat 32-bit protected mode (alias: --load ADDR)\n"
      "  --real                with --flat: enter in real mode instead (below 1 MiB)\n"
      "  --cmdline TEXT        Multiboot: the kernel command line\n"
      "  --module FILE[=TEXT]  Multiboot: a boot module (repeatable, in order); TEXT is\n"
      "                        its string (default: FILE's base name)\n"
      "\n"
      "Machine:\n"
      "  --mem SIZE            RAM size, e.g. 32M (default), 1G, 640K or bytes;\n"
      "                        1 MiB .. 3 GiB, a multiple of 4 KiB\n"
      "  --post-port PORT      the POST code port (default 0x80)\n"
      "  --cpu-mhz N           the CPU clock in MHz (default 1000): all device time (the\n"
      "                        PIT, RTC, UART baud rate, disk latency, input script times)\n"
      "                        is derived from the cycle count, never from the host clock\n"
      "  --cpu-model NAME      cycle model: haswell (default; Agner Fog's Haswell table)\n"
      "                        or flat (one cycle per instruction)\n"
      "  --virtualizable       a Popek-Goldberg-virtualizable x86: the sensitive but\n"
      "                        unprivileged instructions (SGDT, PUSHF, POPF, PUSH CS,\n"
      "                        LAR, ...; docs/POPEK_GOLDBERG.md) raise #GP(0) at CPL > 0\n"
      "  --disk0 PATH          raw hard-disk image (size a multiple of 512) as the primary\n"
      "                        IDE master (ports 0x1F0-0x1F7, 0x3F6, IRQ 14); a --boot\n"
      "                        image larger than 2.88 MB is disk0 unless --disk0 is given\n"
      "  --disk1 PATH          the same, as the primary IDE slave\n"
      "  --disk-writeback      write the guest's disk writes into the image files; by\n"
      "                        default they go to memory and the files are never changed\n"
      "  --rtc-start TIME      the CMOS clock's time at power-on, YYYY-MM-DDTHH:MM:SS\n"
      "                        (default 2000-01-01T00:00:00); it then advances with the\n"
      "                        CPU's cycles, never with the host's clock\n"
      "\n"
      "Serial port and keyboard:\n"
      "  --serial WHERE        where COM1 (0x3F8) output goes: stdio (default: stdout,\n"
      "                        like the port 0xE9 output), file:PATH, or none\n"
      "  --input FILE          a timed input script for COM1 and the keyboard (- = stdin),\n"
      "                        lines like  at 5ms serial \"hello\\r\"  or  after 2ms key \"ls\\n\"\n"
      "                        (times in ns, us, ms, s or cycles; see README.md)\n"
      "  --serial-in FILE      send FILE's bytes to COM1 from cycle 0 at the line rate\n"
      "                        (- = all of stdin, read before the run starts)\n"
      "  --serial-out2-gate    COM1 raises IRQ 4 only while MCR.OUT2 is set, as on a PC\n"
      "                        serial card (default: not gated, as in QEMU; xv6 relies on it)\n"
      "\n"
      "Running and output:\n"
      "  --max-instructions N  stop after N instructions\n"
      "  --trace FILE.jsonl    write every event (JSON Lines, versioned header)\n"
      "  --progress            a line on stderr about once a second: instructions,\n"
      "                        cycles, MIPS\n"
      "  --dump-state          print the CPU and device state and the state hash at the end\n"
      "  --no-vmx              a CPU without VT-x (CPUID.1:ECX.VMX = 0, VMX instructions #UD)\n"
      "  --screen              when the run ends, print the VGA text screen (80x25 at\n"
      "                        0xB8000, CP437 as UTF-8, trailing blanks trimmed) to stdout\n"
      "                        after the guest's output; the cursor position goes to stderr\n"
      "  -h, --help            this text\n"
      "\n"
      "Exit status:\n"
      "  (v << 1) | 1  the guest wrote v to the isa-debug-exit port 0xF4 (always odd;\n"
      "                the low 8 bits, as for any process)\n"
      "  0             the guest halted (HLT with interrupts off, or with interrupts on\n"
      "                and nothing that could wake it)\n"
      "  2             bad command line\n"
      "  4             triple fault (shutdown)\n"
      "  6             the CPU met something not implemented yet\n"
      "  8             a file could not be read, loaded or written (or an input script\n"
      "                is malformed)\n"
      "  10            --max-instructions reached\n"
      "  12            the guest reset the machine (8042 command 0xFE, port 0x92) and\n"
      "                no --bios ROM is loaded\n";
}

}  // namespace debugger
