// debugger/run_command.cpp — see run_command.h.
#include "debugger/run_command.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include "debugger/input_script.h"
#include "debugger/trace_jsonl.h"
#include "platform/disk_image.h"
#include "platform/hash.h"
#include "platform/loaders/bios.h"
#include "platform/loaders/boot.h"
#include "platform/loaders/detect.h"
#include "platform/loaders/elf.h"
#include "platform/loaders/flat.h"
#include "platform/loaders/multiboot.h"
#include "vt/exit_reasons.h"
#include "vt/vmx.h"

namespace debugger {

namespace {

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string stop_line(const platform::RunOutcome& o) {
  std::string s = platform::stop_kind_name(o.kind);
  if (!o.detail.empty()) s += ": " + o.detail;
  return s;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int exit_status_for(const platform::RunOutcome& outcome, std::optional<uint32_t> exit_port_status) {
  using platform::StopKind;
  switch (outcome.kind) {
    case StopKind::ExitPort: return int(exit_port_status.value_or(1) & 0xFF);
    case StopKind::HaltedForever:
    case StopKind::HaltedIdle:
    case StopKind::StopRequested: return kExitHalted;
    case StopKind::Shutdown: return kExitTripleFault;
    case StopKind::NotImplemented: return kExitNotImplemented;
    case StopKind::InstructionLimit:
    case StopKind::StepLimit:
    case StopKind::CycleLimit: return kExitLimit;
    case StopKind::Reset: return kExitReset;
  }
  return kExitHalted;
}

// "1001 (cpuid 1000, vmcall 1)": exits by reason, most frequent first; "" without exits.
std::string vm_exit_summary(const vt::Vmx& vmx) {
  std::vector<std::pair<uint64_t, uint32_t>> by;
  uint64_t total = 0;
  for (uint32_t r = 0; r < cpu::exit_reason::kCount; ++r) {
    if (const uint64_t n = vmx.exit_count(r)) {
      by.push_back({n, r});
      total += n;
    }
  }
  if (!total) return "";
  std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out = std::to_string(total);
  out += " (";
  for (size_t k = 0; k < by.size(); ++k) {
    if (k) out += ", ";
    const char* name = vt::exit_reason_name(by[k].second);
    out += name ? std::string(name) : std::to_string(by[k].second);
    out += ' ';
    out += std::to_string(by[k].first);
  }
  out += ')';
  return out;
}

std::string format_summary(const RunSummary& s) {
  std::string out;
  out += "ringside: stopped: " + stop_line(s.outcome) + "\n";
  out += "ringside: " + std::to_string(s.instructions) + " instructions, " +
         std::to_string(s.cycles) + " cycles, " + fmt("%.3f", s.host_seconds) + " s host, " +
         (s.host_seconds > 0 ? fmt("%.2f", double(s.instructions) / s.host_seconds / 1e6) : std::string("-")) +
         " MIPS\n";
  out += "ringside: events: " + s.events + "\n";
  out += "ringside: last POST code: " +
         (s.last_post ? platform::hex(*s.last_post) : std::string("none")) + " (port " +
         platform::hex(s.post_port) + ")\n";
  if (!s.vm_exits.empty()) out += "ringside: VM exits: " + s.vm_exits + "\n";
  for (const std::string& d : s.disks) out += "ringside: " + d + "\n";
  out += "ringside: exit status " + std::to_string(s.exit_status) + "\n";
  return out;
}

// ---- serial and input (branch uart) ----
namespace {

// The contents of FILE, or of stdin for "-". False (with a message) when unreadable.
bool read_input_file(const std::string& file, const RunIo& io, std::string& out, std::ostream& err) {
  if (file == "-") {
    if (!io.in) {
      err << "ringside run: no stdin to read\n";
      return false;
    }
    out.assign(std::istreambuf_iterator<char>(*io.in), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream f(file, std::ios::binary);
  if (!f) {
    err << "ringside run: " << file << ": cannot open for reading\n";
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  return true;
}

}  // namespace
// ---- end serial and input ----

int run_command(const RunOptions& opts, const RunIo& io) {
  std::ostream& err = *io.err;

  platform::MachineConfig cfg;
  cfg.ram_bytes = opts.mem;
  cfg.post_port = opts.post_port;
  cfg.cpu_mhz = opts.cpu_mhz;
  cfg.cpu_model = opts.cpu_model;
  cfg.firmware_setup = !opts.bios;  // a --bios ROM builds its own MP tables (mp_table.h)
  cfg.virtualizable = opts.virtualizable;  // Popek–Goldberg (branch pg)
  cfg.com1_out2_gates_irq = opts.serial_out2_gate;
  cfg.vmx = !opts.no_vmx;
  cfg.output = io.guest_output;
  if (opts.rtc_start) cfg.rtc_start = *opts.rtc_start;  // CMOS RTC
  // ---- serial and input (branch uart) ----
  // The input files are read before anything runs, so a run never waits on the host.
  std::vector<platform::InputEvent> input_events;
  if (opts.input) {
    std::string text;
    if (!read_input_file(*opts.input, io, text, err)) return kExitLoadError;
    try {
      input_events = parse_input_script(text, opts.cpu_mhz, *opts.input == "-" ? "<stdin>" : *opts.input);
    } catch (const InputScriptError& e) {
      err << "ringside run: " << e.what() << "\n";
      return kExitLoadError;
    }
  }
  if (opts.serial_in) {
    std::string bytes;
    if (!read_input_file(*opts.serial_in, io, bytes, err)) return kExitLoadError;
    // At cycle 0, ahead of the script's events (the queue keeps push order).
    std::vector<platform::InputEvent> raw;
    for (char c : bytes) raw.push_back({0, platform::InputChannel::Serial, uint8_t(c)});
    input_events.insert(input_events.begin(), raw.begin(), raw.end());
  }
  std::ofstream serial_file;
  if (opts.serial == RunOptions::Serial::File) {
    serial_file.open(opts.serial_path, std::ios::binary | std::ios::trunc);
    if (!serial_file) {
      err << "ringside run: " << opts.serial_path << ": cannot open the serial output file for writing\n";
      return kExitLoadError;
    }
    cfg.serial_output = [&serial_file](uint8_t b) { serial_file.put(char(b)); };
  } else if (opts.serial == RunOptions::Serial::None) {
    cfg.serial_output = [](uint8_t) {};
  }
  // ---- end serial and input ----
  std::unique_ptr<platform::Machine> machine;
  try {
    machine = std::make_unique<platform::Machine>(cfg);
  } catch (const std::invalid_argument& e) {
    err << "ringside run: " << e.what() << "\n";
    return kExitUsage;
  }
  platform::Machine& m = *machine;

  // Load.
  platform::LoadReport report;
  platform::Image image;
  try {
    if (opts.boot) {
      image = platform::read_image(*opts.boot, platform::kBootImageMaxBytes);
      report = platform::load_boot_image(m, image);
    } else if (opts.bios) {
      image = platform::read_image(*opts.bios, platform::MachineConfig::kMaxRom + 1);
      report = platform::load_bios(m, image);
    } else if (opts.flat) {
      image = platform::read_image(opts.image);
      report = platform::load_flat(m, image, *opts.flat,
                                   opts.real ? platform::FlatMode::Real : platform::FlatMode::Protected);
    } else {
      image = platform::read_image(opts.image, platform::MachineConfig::kMaxRam + 1);
      switch (platform::detect_image(image)) {
        case platform::ImageKind::Multiboot: {
          platform::MultibootOptions mb;
          mb.cmdline = opts.cmdline.value_or("");
          for (const std::string& spec : opts.modules) {
            const ModuleSpec ms = parse_module_spec(spec);
            mb.modules.push_back({platform::read_image(ms.file, platform::MachineConfig::kMaxRam + 1), ms.string});
          }
          report = platform::load_multiboot(m, image, mb);
          break;
        }
        case platform::ImageKind::Elf:
          if (opts.cmdline || !opts.modules.empty()) {
            err << "ringside run: " << opts.image
                << ": --cmdline and --module apply to Multiboot kernels, and this is a plain ELF "
                   "executable (no Multiboot header)\n";
            return kExitUsage;
          }
          report = platform::load_elf(m, image);
          break;
        case platform::ImageKind::Unknown:
          throw platform::LoadError(opts.image,
                                    "not a Multiboot kernel (no header in the first 8 KiB) and not "
                                    "ELF; name its kind with --boot, --bios or --flat ADDR");
      }
    }
  } catch (const platform::LoadError& e) {
    err << "ringside run: " << e.what() << "\n";
    return kExitLoadError;
  }
  err << "ringside: loaded " << report.describe();
  for (const platform::InputEvent& e : input_events) m.input().push(e);  // (branch uart)

  // ---- IDE disks ----
  // A --boot image the boot loader treats as a hard disk (DL = 0x80: larger than the
  // largest floppy, 2.88 MB) is also disk0, as the BIOS that booted it would have seen;
  // a floppy-sized image is a floppy, which this machine has no controller for.
  std::optional<std::string> disk0 = opts.disk0;
  bool disk0_from_boot = false;
  if (!disk0 && opts.boot && image.file_size > platform::kLargestFloppy) {
    if (opts.disk1 && *opts.disk1 == *opts.boot) {
      err << "ringside: " << *opts.boot << ": not attached as disk0: it is already disk1\n";
    } else if (image.file_size % platform::DiskImage::kSectorSize == 0) {
      disk0 = *opts.boot;
      disk0_from_boot = true;
    } else {
      err << "ringside: " << *opts.boot << ": not attached as disk0: " << image.file_size
          << " bytes is not a multiple of 512\n";
    }
  }
  try {
    const std::optional<std::string> paths[2] = {disk0, opts.disk1};
    for (unsigned slot = 0; slot < 2; ++slot) {
      if (!paths[slot]) continue;
      m.ide().attach(slot, platform::DiskImage::open(*paths[slot], opts.disk_writeback));
      const platform::DiskImage& d = *m.ide().disk(slot);
      std::string line = "disk" + std::to_string(slot) + ": " + d.path() + " (" + std::to_string(d.sectors()) +
                         " sectors, " + (d.writeback() ? "writeback" : "overlay; the file is not modified") + ")";
      if (slot == 0 && disk0_from_boot) line += " from --boot";
      err << "ringside: " << line << "\n";
    }
  } catch (const platform::LoadError& e) {
    err << "ringside run: " << e.what() << "\n";
    return kExitLoadError;
  }

  // Observers: only the trace, when asked for; the CPU counts events by itself, so a run
  // without --trace never builds an event.
  const cpu::EventCounts counts_before = m.cpu().event_counts();
  std::ofstream trace_file;
  std::unique_ptr<TraceJsonl> trace;
  if (opts.trace) {
    trace_file.open(*opts.trace, std::ios::binary | std::ios::trunc);
    if (!trace_file) {
      err << "ringside run: " << *opts.trace << ": cannot open the trace file for writing\n";
      return kExitLoadError;
    }
    TraceHeader h = TraceHeader::from(cfg);
    h.image = base_name(image.name);
    h.loader = report.format;
    h.image_fnv1a = platform::fnv1a(image.bytes.data(), image.bytes.size());
    h.image_size = image.bytes.size();
    trace = std::make_unique<TraceJsonl>(trace_file, h);
    m.add_observer(trace.get());
  }

  // Run.
  const uint64_t start_instret = m.cpu().state().instret;
  const uint64_t limit = opts.max_instructions ? start_instret + *opts.max_instructions : UINT64_MAX;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  platform::RunOutcome outcome;
  if (!opts.progress) {
    outcome = m.run({.max_instructions = limit});
  } else {
    // Run in slices so a line can be printed about once a second; slicing at instruction
    // boundaries does not change what the guest sees.
    constexpr uint64_t kSlice = 4'000'000;
    auto last = t0;
    uint64_t last_instret = start_instret;
    for (;;) {
      const uint64_t now_instret = m.cpu().state().instret;
      const uint64_t slice_end = limit - now_instret > kSlice ? now_instret + kSlice : limit;
      outcome = m.run({.max_instructions = slice_end});
      if (outcome.kind != platform::StopKind::InstructionLimit || slice_end == limit) break;
      const auto t = Clock::now();
      const double dt = std::chrono::duration<double>(t - last).count();
      if (dt >= 1.0) {
        const cpu::State& s = m.cpu().state();
        char line[160];
        std::snprintf(line, sizeof line, "ringside: %" PRIu64 " instructions, %" PRIu64 " cycles, %.2f MIPS\n",
                      s.instret - start_instret, s.cycles, double(s.instret - last_instret) / dt / 1e6);
        err << line << std::flush;
        last = t;
        last_instret = s.instret;
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();

  // ---- VGA text screen (--screen): after the guest's output, on the same stream ----
  if (opts.screen) {
    const std::string screen = m.vga().text();
    if (io.guest_output) {
      for (char c : screen) io.guest_output(uint8_t(c));
    } else {
      std::fwrite(screen.data(), 1, screen.size(), stdout);
    }
    const platform::VgaText::Cursor cur = m.vga().cursor();
    err << "ringside: screen cursor at row " << cur.row << " column " << cur.col
        << (cur.visible ? "" : " (hidden)") << "\n";
  }
  if (io.flush_guest_output) io.flush_guest_output();
  if (serial_file.is_open()) {  // (branch uart)
    serial_file.flush();
    if (!serial_file) err << "ringside run: " << opts.serial_path << ": error while writing the serial output\n";
  }
  if (trace) {
    m.remove_observer(trace.get());
    trace->flush();  // the writer buffers lines
    trace_file.flush();
    if (!trace_file) {
      err << "ringside run: " << *opts.trace << ": error while writing the trace\n";
    }
  }

  RunSummary sum;
  sum.outcome = outcome;
  sum.instructions = m.cpu().state().instret - start_instret;
  sum.cycles = m.cpu().state().cycles;
  sum.host_seconds = seconds;
  cpu::EventCounts counts = m.cpu().event_counts();
  for (unsigned k = 0; k < cpu::kEventKinds; ++k) counts.by_kind[k] -= counts_before.by_kind[k];
  counts.unclaimed_ports -= counts_before.unclaimed_ports;
  sum.events = EventCounter::format(counts);
  if (const vt::Vmx* vmx = m.vmx()) sum.vm_exits = vm_exit_summary(*vmx);
  sum.last_post = m.post().last();
  sum.post_port = m.post().port();
  sum.exit_status = exit_status_for(outcome, m.exit_status());
  for (unsigned slot = 0; slot < 2; ++slot) {  // ---- IDE disks ----
    if (const platform::DiskImage* d = m.ide().disk(slot)) {
      sum.disks.push_back("disk" + std::to_string(slot) + ": " +
                          (d->writeback() ? std::string("writeback") :
                                            std::to_string(d->overlay().size()) + " sectors in the overlay"));
    }
  }
  err << format_summary(sum);
  if (opts.dump_state) {
    char h[64];
    std::snprintf(h, sizeof h, "state hash: 0x%016" PRIx64 "\n", m.state_hash());
    err << m.dump() << h;
  }
  err.flush();
  return sum.exit_status;
}

int run_main(const std::vector<std::string>& args, const RunIo& io, std::ostream& help_out) {
  RunOptions opts;
  try {
    opts = parse_run_options(args);
  } catch (const UsageError& e) {
    *io.err << "ringside run: " << e.what() << "\nTry 'ringside run --help'.\n";
    return kExitUsage;
  }
  if (opts.help) {
    help_out << run_help();
    return 0;
  }
  return run_command(opts, io);
}

}  // namespace debugger
