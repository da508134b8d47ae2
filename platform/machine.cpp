// platform/machine.cpp — see machine.h.
#include "platform/machine.h"


#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "cpu/cycles/model.h"
#include "platform/hash.h"
#include "platform/mp_table.h"
#include "platform/text.h"

namespace platform {

const char* stop_kind_name(StopKind k) {
  switch (k) {
    case StopKind::InstructionLimit: return "instruction limit";
    case StopKind::StepLimit: return "step limit";
    case StopKind::CycleLimit: return "cycle limit";
    case StopKind::ExitPort: return "exit port";
    case StopKind::HaltedForever: return "halted with interrupts off";
    case StopKind::HaltedIdle: return "halted, nothing can wake it";
    case StopKind::Shutdown: return "triple fault";
    case StopKind::NotImplemented: return "not implemented";
    case StopKind::StopRequested: return "stop requested";
    case StopKind::Reset: return "reset";
  }
  return "?";
}

namespace {

// Fixed device ports; the POST port must not clash with them.
struct FixedRange {
  uint16_t first, count;
  const char* what;
};
constexpr FixedRange kFixedPorts[] = {
    {DebugConsole::kDefaultPort, 1, "the debug console (0xE9)"},
    {DebugExit::kDefaultPort, DebugExit::kPorts, "isa-debug-exit (0xF4-0xF7)"},
    {Uart16550::kCom1, Uart16550::kPorts, "the COM1 UART (0x3F8-0x3FF)"},
    {Ide::kCommandBase, Ide::kCommandPorts, "the IDE command block (0x1F0-0x1F7)"},
    {Ide::kControlPort, 1, "the IDE control block (0x3F6)"},
    {Pic8259::kMasterPort, 2, "the master 8259A (0x20-0x21)"},
    {Pic8259::kSlavePort, 2, "the slave 8259A (0xA0-0xA1)"},
    {Pic8259::kElcrPort, 2, "the ELCR (0x4D0-0x4D1)"},
    {Pit8254::kBasePort, Pit8254::kPorts, "the 8254 PIT (0x40-0x43)"},
    {Pit8254::kPortB, 1, "system control port B (0x61)"},
    // ---- CMOS RTC, VGA text, PCI host ----
    {Mc146818::kIndexPort, Mc146818::kPorts, "the CMOS RTC (0x70-0x71)"},
    {0x3B4, 0x3DB - 0x3B4, "the VGA (0x3B4-0x3DA)"},
    {PciHost::kConfigAddress, PciHost::kPorts, "PCI configuration (0xCF8-0xCFF)"},
    {Kbc8042::kDataPort, 1, "the 8042 keyboard controller (0x60)"},
    {Kbc8042::kCommandPort, 1, "the 8042 keyboard controller (0x64)"},
    {SystemControlA::kPort, 1, "System Control Port A (0x92)"},
};

constexpr uint64_t kA20Bit = 1ull << 20;

}  // namespace

Machine::Machine(MachineConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.ram_bytes < MachineConfig::kMinRam || cfg_.ram_bytes > MachineConfig::kMaxRam) {
    throw std::invalid_argument("RAM size " + std::to_string(cfg_.ram_bytes) +
                                " bytes is outside 1 MiB .. 3 GiB");
  }
  if (cfg_.ram_bytes % cpu::kPageSize != 0) {
    throw std::invalid_argument("RAM size " + std::to_string(cfg_.ram_bytes) +
                                " bytes is not a multiple of 4 KiB");
  }
  for (const FixedRange& r : kFixedPorts) {
    if (cfg_.post_port >= r.first && cfg_.post_port < r.first + r.count) {
      throw std::invalid_argument("POST port " + hex(cfg_.post_port) + " clashes with " + r.what);
    }
  }
  if (cfg_.cpu_mhz == 0 || cfg_.cpu_mhz > 100000) {
    throw std::invalid_argument("CPU clock " + std::to_string(cfg_.cpu_mhz) + " MHz is outside 1..100000");
  }
  clock_.cpu_hz = uint64_t(cfg_.cpu_mhz) * 1'000'000;
  ram_.resize(cfg_.ram_bytes);

  ByteSink out = [this](uint8_t b) { output_byte(b); };
  console_ = std::make_unique<DebugConsole>(out);
  exit_ = std::make_unique<DebugExit>([this](uint32_t) {
    exit_pending_ = true;
    if (cpu_) cpu_->request_stop();
  });
  ByteSink serial_out = cfg_.serial_output ? cfg_.serial_output : out;
  uart_ = std::make_unique<Uart16550>(Uart16550::kCom1, serial_out, sched_, clock_,
                                      IrqLine(this, Uart16550::kCom1Irq));
  uart_->set_out2_gate(cfg_.com1_out2_gates_irq);  // (branch xv6) see MachineConfig
  post_ = std::make_unique<PostPort>(cfg_.post_port, [this](uint16_t port, unsigned size, uint32_t v) {
    cpu::Event e;
    e.kind = cpu::EventKind::PostCode;
    e.port = port;
    e.size = uint8_t(size);
    e.value = v;
    e.write = true;
    e.claimed = true;
    emit(e);
  });
  ports_.map(DebugConsole::kDefaultPort, 1, console_.get());
  ports_.map(DebugExit::kDefaultPort, DebugExit::kPorts, exit_.get());
  ports_.map(Uart16550::kCom1, Uart16550::kPorts, uart_.get());
  ports_.map(cfg_.post_port, 1, post_.get());
  for (Device* d : {static_cast<Device*>(console_.get()), static_cast<Device*>(exit_.get()),
                    static_cast<Device*>(uart_.get()), static_cast<Device*>(post_.get())}) {
    add_device(d);
  }
  // ---- IDE (primary channel, IRQ 14) ----
  ide_ = std::make_unique<Ide>(sched_, clock_, this);
  ports_.map(Ide::kCommandBase, Ide::kCommandPorts, ide_.get());
  ports_.map(Ide::kControlPort, 1, ide_.get());
  add_device(ide_.get());
  // ---- end IDE ----
  // ---- 8259A PIC pair and 8254 PIT (branch pic) ----
  // The PIC tells the machine whenever its INT output may have changed; the PIT drives
  // ISA IRQ 0 through this machine (an IrqRouter).
  pic8259_ = std::make_unique<Pic8259>([this] {
    if (cpu_) update_intr();
  });
  ports_.map(Pic8259::kMasterPort, 2, pic8259_.get());
  ports_.map(Pic8259::kSlavePort, 2, pic8259_.get());
  ports_.map(Pic8259::kElcrPort, 2, pic8259_.get());
  add_device(pic8259_.get());
  pit8254_ = std::make_unique<Pit8254>(clock_, sched_, this);
  ports_.map(Pit8254::kBasePort, Pit8254::kPorts, pit8254_.get());
  ports_.map(Pit8254::kPortB, 1, pit8254_.get());
  add_device(pit8254_.get());
  // ---- end 8259A / 8254 ----
  // ---- CMOS RTC (IRQ8), VGA text, PCI host ----
  if (!parse_rtc_time(format_rtc_time(cfg_.rtc_start))) {
    throw std::invalid_argument("RTC start time " + format_rtc_time(cfg_.rtc_start) +
                                " is not a valid date and time in 1901..2099");
  }
  rtc_ = std::make_unique<Mc146818>(sched_, clock_, IrqLine(this, Mc146818::kIrq), cfg_.rtc_start);
  rtc_->set_memory_size(cfg_.ram_bytes);
  vga_ = std::make_unique<VgaText>(sched_, clock_, [this](uint64_t paddr, std::span<uint8_t> out) {
    return read_ram(paddr, out);
  });
  pci_ = std::make_unique<PciHost>();
  ports_.map(Mc146818::kIndexPort, Mc146818::kPorts, rtc_.get());
  for (const VgaText::PortRange& r : VgaText::kPortRanges) ports_.map(r.first, r.count, vga_.get());
  ports_.map(PciHost::kConfigAddress, PciHost::kPorts, pci_.get());
  for (Device* d : {static_cast<Device*>(rtc_.get()), static_cast<Device*>(vga_.get()),
                    static_cast<Device*>(pci_.get())}) {
    add_device(d);
  }
  // ---- serial, keyboard, A20, reset (branch uart) ----
  kbc_ = std::make_unique<Kbc8042>(sched_, clock_, IrqLine(this, Kbc8042::kKeyboardIrq),
                                   IrqLine(this, Kbc8042::kAuxIrq),
                                   Kbc8042::Callbacks{[this](bool) { update_a20(); },
                                                      [this](const std::string& why) { request_reset(why); }});
  port92_ = std::make_unique<SystemControlA>(
      SystemControlA::Callbacks{[this](bool) { update_a20(); },
                                [this](const std::string& why) { request_reset(why); }});
  ports_.map(Kbc8042::kDataPort, 1, kbc_.get());
  ports_.map(Kbc8042::kCommandPort, 1, kbc_.get());
  ports_.map(SystemControlA::kPort, 1, port92_.get());
  add_device(kbc_.get());
  add_device(port92_.get());
  // ---- end serial, keyboard, A20, reset ----

  cpu_ = std::make_unique<cpu::Cpu>(*this);
  sched_.set_clock(&cpu_->state().cycles);
  // A device that schedules an event earlier than the running slice's deadline makes the
  // CPU return at the next instruction boundary, so the event runs on time.
  sched_.set_on_new_earliest([this] { cpu_->request_yield(); });
  const cpu::CycleModel* model = cpu::find_cycle_model(cfg_.cpu_model);
  if (!model)
    throw std::invalid_argument("unknown CPU model '" + cfg_.cpu_model + "' (known: " +
                                cpu::cycle_model_names() + ")");
  cpu_->set_cycle_model(model);
  cpu_->set_virtualizable(cfg_.virtualizable);  // Popek–Goldberg (branch pg)
  // ---- VT-x: the CPU has VMX unless the configuration turns it off ----
  if (cfg_.vmx) {
    const vt::Profile* profile = vt::find_profile(cfg_.vmx_profile);
    if (!profile)
      throw std::invalid_argument("unknown VMX profile '" + cfg_.vmx_profile + "' (known: " +
                                  vt::profile_names() + ")");
    vmx_ = std::make_unique<vt::Vmx>(*profile, [this] { return !a20_; });
    cpu_->set_virtualization(vmx_.get());
    add_device(vmx_.get());
  }
  // ---- end VT-x ----
  set_pic(pic8259_.get());  // 8259A (branch pic)
  input_.set_on_push([this] { arm_input(); });  // (branch uart)

  // ---- Local APIC, IO APIC, MP tables (begin) ----
  lapic_dev_ = std::make_unique<Lapic>(*this, cfg_.firmware_setup);
  ioapic_ = std::make_unique<IoApic>([this](const ApicMessage& msg) { return lapic_dev_->message(msg); });
  lapic_dev_->set_eoi_sink([this](uint8_t vector) { ioapic_->eoi(vector); });
  lapic_dev_->set_init_deassert_sink([this] { ioapic_->init_deassert(); });
  add_device(lapic_dev_.get());  // its window follows IA32_APIC_BASE: see mmio_owner()
  map_mmio(IoApic::kDefaultBase, IoApic::kWindowSize, ioapic_.get());
  set_lapic(lapic_dev_.get());
  if (cfg_.firmware_setup) install_mp_tables(*this);
  // ---- Local APIC, IO APIC, MP tables (end) ----
}

Machine::~Machine() = default;

void Machine::output_byte(uint8_t b) {
  if (cfg_.output) {
    cfg_.output(b);
  } else {
    std::fputc(b, stdout);
  }
}

// ---- Memory ----------------------------------------------------------------------------

bool Machine::load_ram(uint64_t paddr, std::span<const uint8_t> data) {
  if (!in_ram(paddr, data.size())) return false;
  if (data.empty()) return true;
  std::memcpy(ram_.data() + paddr, data.data(), data.size());
  cpu_->invalidate_code(paddr, data.size());
  return true;
}

bool Machine::zero_ram(uint64_t paddr, uint64_t len) {
  if (!in_ram(paddr, len)) return false;
  if (len == 0) return true;
  std::memset(ram_.data() + paddr, 0, len);
  cpu_->invalidate_code(paddr, len);
  return true;
}

bool Machine::read_ram(uint64_t paddr, std::span<uint8_t> out) const {
  if (!in_ram(paddr, out.size())) return false;
  if (!out.empty()) std::memcpy(out.data(), ram_.data() + paddr, out.size());
  return true;
}

void Machine::load_rom(std::span<const uint8_t> image) {
  if (image.empty()) throw std::invalid_argument("the firmware image is empty");
  if (image.size() > MachineConfig::kMaxRom) {
    throw std::invalid_argument("the firmware image is " + std::to_string(image.size()) +
                                " bytes; at most 256 KiB (262144 bytes) fit below 1 MiB");
  }
  const uint64_t padded = (image.size() + cpu::kPageMask) & ~cpu::kPageMask;
  rom_.assign(padded, 0xFF);
  std::memcpy(rom_.data() + (padded - image.size()), image.data(), image.size());
  cpu_->invalidate_code(MiB - padded, padded);
  cpu_->invalidate_code(4 * GiB - padded, padded);
}

int64_t Machine::rom_offset(uint64_t paddr) const {
  const uint64_t n = rom_.size();
  if (n == 0) return -1;
  if (paddr >= MiB - n && paddr < MiB) return int64_t(paddr - (MiB - n));
  if (paddr >= 4 * GiB - n && paddr < 4 * GiB) return int64_t(paddr - (4 * GiB - n));
  return -1;
}

// ---- cpu::Bus --------------------------------------------------------------------------

void Machine::add_device(Device* d) {
  if (d && std::find(devices_.begin(), devices_.end(), d) == devices_.end()) devices_.push_back(d);
}

void Machine::map_mmio(uint64_t base, uint64_t size, MmioDevice* dev) {
  if ((base | size) & cpu::kPageMask || size == 0 || base + size < base) {
    throw std::logic_error("MMIO window " + hex(base) + "+" + hex(size) + " is not page aligned");
  }
  for (const MmioWindow& w : mmio_) {
    if (base < w.base + w.size && w.base < base + size) {
      throw std::logic_error(std::string("MMIO window of ") + dev->name() + " overlaps " + w.dev->name());
    }
  }
  mmio_.push_back({base, size, dev});
  add_device(dev);
  cpu_->flush_tlb(true);  // pages of the window may have been cached as RAM
}

MmioDevice* Machine::mmio_owner(uint64_t paddr, uint64_t* base) const {
  // The local APIC's window is wherever IA32_APIC_BASE puts it, while enabled there.
  if (lapic_dev_ && lapic_dev_->window_contains(paddr)) {
    if (base) *base = lapic_dev_->base();
    return lapic_dev_.get();
  }
  for (const MmioWindow& w : mmio_) {
    if (paddr - w.base < w.size) {
      if (base) *base = w.base;
      return w.dev;
    }
  }
  return nullptr;
}

uint8_t* Machine::page(uint64_t paddr, bool write) {
  if (!a20_ && (paddr & kA20Bit)) return nullptr;  // aliased: mmio_read/write mask bit 20
  if (mmio_owner(paddr)) return nullptr;
  const int64_t ro = rom_offset(paddr);
  if (ro >= 0) return write ? nullptr : rom_.data() + (uint64_t(ro) & ~cpu::kPageMask);
  if (paddr < ram_.size()) return ram_.data() + (paddr & ~cpu::kPageMask);
  return nullptr;
}

uint64_t Machine::mmio_read(uint64_t paddr, unsigned size) {
  if (!a20_) paddr &= ~kA20Bit;  // (an access never crosses a page, so bit 20 is uniform)
  uint64_t base = 0;
  if (MmioDevice* d = mmio_owner(paddr, &base)) return d->mmio_read(paddr - base, size);
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = paddr + i;
    uint8_t b = 0xFF;  // unmapped: the bus floats high
    const int64_t ro = rom_offset(a);
    if (ro >= 0) {
      b = rom_[size_t(ro)];
    } else if (a < ram_.size()) {
      b = ram_[a];
    }
    v |= uint64_t(b) << (8 * i);
  }
  return v;
}

void Machine::mmio_write(uint64_t paddr, unsigned size, uint64_t value) {
  if (!a20_) paddr &= ~kA20Bit;
  uint64_t base = 0;
  if (MmioDevice* d = mmio_owner(paddr, &base)) {
    d->mmio_write(paddr - base, size, value);
    return;
  }
  // ROM and unmapped space drop writes. RAM comes here only through an A20 alias (page()
  // hands it out otherwise): decoded code of the page it lands in is dropped.
  bool wrote_ram = false;
  for (unsigned i = 0; i < size; ++i) {
    const uint64_t a = paddr + i;
    if (rom_offset(a) < 0 && a < ram_.size()) {
      ram_[a] = uint8_t(value >> (8 * i));
      wrote_ram = true;
    }
  }
  if (wrote_ram) cpu_->invalidate_code(paddr, size);
}

bool Machine::io_read(uint16_t port, unsigned size, uint32_t& value) {
  return ports_.read(port, size, value);
}

bool Machine::io_write(uint16_t port, unsigned size, uint32_t value) {
  return ports_.write(port, size, value);
}

// ---- Interrupts ------------------------------------------------------------------------

void Machine::set_isa_irq(unsigned irq, bool level) {
  if (irq >= 16) return;
  // The 8259A pair (it calls update_intr() itself through its change callback).
  if (pic8259_) pic8259_->set_irq(irq, level);
  // IO APIC: ISA IRQ n on pin n, IRQ0 on pin 2 (the MP table's override); IRQ2 is the
  // cascade input and reaches no pin.
  if (ioapic_ && irq != 2) ioapic_->set_pin(irq == 0 ? 2 : irq, level);
  update_intr();
}

bool Machine::pic_reaches_intr() const {
  return !lapic_dev_ || lapic_dev_->passes_extint() || lapic_dev_->extint_pending();
}

void Machine::update_intr() {
  if (!cpu_) return;
  bool intr = lapic_ && lapic_->intr_pending();
  if (!intr && pic_ && pic_reaches_intr() && pic_->intr_pending()) intr = true;
  cpu_->set_intr(intr);
}

uint8_t Machine::intr_ack() {
  uint8_t v = 0xFF;
  if (lapic_ && lapic_->intr_pending()) {
    v = lapic_->intr_ack();
  } else if (pic_ && pic_reaches_intr()) {
    // ExtINT: the acknowledge cycle goes to the 8259A (SDM Vol.3 10.5.1), which answers
    // with its spurious vector if its request went away.
    if (lapic_dev_) lapic_dev_->extint_acknowledged();
    v = pic_->intr_ack();
  } else if (lapic_) {
    v = lapic_->intr_ack();  // the request went away: the LAPIC's spurious vector
  }
  update_intr();
  return v;
}

// ---- Observers -------------------------------------------------------------------------

void Machine::add_observer(cpu::Observer* o) {
  fanout_.add(o);
  if (!fanout_.empty()) cpu_->set_observer(&fanout_);
}

void Machine::remove_observer(cpu::Observer* o) {
  fanout_.remove(o);
  if (fanout_.empty()) cpu_->set_observer(nullptr);
}

void Machine::emit(cpu::Event e) {
  cpu_->count_event(e.kind);
  if (fanout_.empty()) return;
  const cpu::State& s = cpu_->state();
  e.cycle = s.cycles;
  e.instret = s.instret;
  e.before = e.after = cpu_->mode_info();
  e.cs = s.seg[cpu::CS].selector;
  e.ip = s.rip;
  fanout_.on_event(e);
}

// ---- Running ---------------------------------------------------------------------------

void Machine::request_stop() { cpu_->request_stop(); }

RunOutcome Machine::run(const cpu::RunLimits& limits) {
  // With a step limit (debugger stepping) the CPU runs one step at a time so that steps
  // can be counted across scheduler slices; otherwise it runs up to each deadline.
  const bool stepping = limits.max_steps != UINT64_MAX;
  uint64_t steps = 0;
  for (;;) {
    cpu::State& s = cpu_->state();
    if (s.instret >= limits.max_instructions) return {StopKind::InstructionLimit, ""};
    if (steps >= limits.max_steps) return {StopKind::StepLimit, ""};
    if (s.cycles >= limits.cycle_limit) return {StopKind::CycleLimit, ""};
    sched_.run_due(s.cycles);
    if (exit_pending_) return take_exit_outcome();
    if (reset_pending_) {
      // (branch uart) The reset line: the machine resets; without firmware nothing is at
      // the reset vector, so the run ends there.
      reset_pending_ = false;
      const std::string why = reset_detail_;
      reset();
      if (!has_rom()) {
        return {StopKind::Reset, why + "; no firmware ROM (--bios) is loaded, so nothing runs at the reset vector"};
      }
      continue;
    }

    cpu::RunLimits slice;
    slice.max_instructions = limits.max_instructions;
    slice.max_steps = stepping ? 1 : UINT64_MAX;
    slice.cycle_limit = std::min(sched_.next_deadline(), limits.cycle_limit);
    const cpu::StopReason r = cpu_->run(slice);
    switch (r) {
      case cpu::StopReason::StepLimit:
        ++steps;
        continue;
      case cpu::StopReason::None:
      case cpu::StopReason::CycleLimit:
        continue;  // the loop head services the due events and checks the limits
      case cpu::StopReason::InstructionLimit:
        return {StopKind::InstructionLimit, ""};
      case cpu::StopReason::Halted: {
        // HLT with IF=1: nothing happens until a device event; skip the idle cycles.
        const uint64_t next = sched_.next_deadline();
        if (next == Scheduler::kNever) {
          return {StopKind::HaltedIdle,
                  "HLT with interrupts enabled, but no device event is pending that could "
                  "raise an interrupt"};
        }
        const uint64_t target = std::min(next, limits.cycle_limit);
        if (target > s.cycles) s.cycles = target;
        continue;
      }
      case cpu::StopReason::HaltedForever:
        return {StopKind::HaltedForever, "HLT with interrupts disabled"};
      case cpu::StopReason::Shutdown:
        return {StopKind::Shutdown, cpu_->stop_detail()};
      case cpu::StopReason::NotImplemented:
        return {StopKind::NotImplemented, cpu_->stop_detail()};
      case cpu::StopReason::StopRequested:
        if (exit_pending_) return take_exit_outcome();
        if (reset_pending_) continue;  // the loop head resets the machine
        return {StopKind::StopRequested, ""};
    }
  }
}

RunOutcome Machine::take_exit_outcome() {
  exit_pending_ = false;
  const uint32_t v = exit_->value().value_or(0);
  return {StopKind::ExitPort, "the guest wrote " + hex(v) + " to the isa-debug-exit port (status " +
                                  std::to_string(*exit_->status()) + ")"};
}

void Machine::reset() {
  sched_.clear();  // devices re-arm their events in reset()
  input_event_ = 0;
  for (Device* d : devices_) d->reset();
  exit_pending_ = false;
  reset_pending_ = false;
  cpu_->reset();
  update_a20();
  arm_input();  // host input already queued is still delivered at its cycle
}

// ---- serial, keyboard, A20, reset (branch uart) --------------------------------------

void Machine::update_a20() {
  // The chipset ORs the 8042's A20 output with port 0x92 bit 1 (PIIX4 datasheet, Port 92h).
  const bool on = kbc_->a20() || port92_->a20();
  if (on == a20_) return;
  a20_ = on;
  // Cached translations hold host pointers chosen by page() under the old mapping.
  if (cpu_) cpu_->flush_tlb(true);
}

void Machine::request_reset(const std::string& why) {
  reset_pending_ = true;
  reset_detail_ = why;
  if (cpu_) cpu_->request_stop();
}

void Machine::arm_input() {
  const uint64_t next = input_.next_cycle();
  if (next == UINT64_MAX) return;
  if (input_event_ && input_armed_ <= next) return;
  if (input_event_) sched_.cancel(input_event_);
  input_armed_ = next;
  input_event_ = sched_.schedule(next, [this](uint64_t due) {
    input_event_ = 0;
    deliver_input(due);
  });
}

void Machine::deliver_input(uint64_t due) {
  for (const InputEvent& e : input_.take_due(std::max(due, now()))) {
    switch (e.channel) {
      case InputChannel::Serial: uart_->host_send(e.byte); break;
      case InputChannel::Keyboard: kbc_->host_key(e.byte); break;
    }
  }
  arm_input();
}

// ---- end serial, keyboard, A20, reset ---------------------------------------------------

// ---- Dump and hash ---------------------------------------------------------------------

std::string Machine::dump() const {
  std::string out = cpu_->dump();
  if (!out.empty() && out.back() != '\n') out += '\n';
  for (const Device* d : devices_) {
    const std::string text = d->dump();
    if (text.empty()) continue;
    out += "[";
    out += d->name();
    out += "]\n";
    out += text;
  }
  return out;
}

uint64_t Machine::state_hash() const {
  Fnv1a h;
  h.add_u64(cpu_->state_hash());
  h.add_u64(ram_.size());
  h.add(ram_.data(), ram_.size());
  h.add_u64(rom_.size());
  h.add(rom_.data(), rom_.size());
  for (const Device* d : devices_) {
    h.add_string(d->name());
    h.add_string(d->dump());
  }
  return h.value();
}

}  // namespace platform
