// platform/machine.h — the minimal PC: CPU + RAM + firmware ROM + port bus + devices.
//
//   platform::Machine m({.ram_bytes = 64 << 20});
//   platform::load_elf(m, platform::read_image("kernel.elf"));   // loaders/
//   platform::RunOutcome r = m.run({.max_instructions = 1'000'000});
//
// Physical memory map (ARCHITECTURE.md "platform/"):
//   [0, ram_bytes)                 RAM, one contiguous host buffer whose pages the host
//                                  commits as they are touched (page() hands out direct
//                                  pointers). 0xA0000-0xBFFFF (VGA) is plain RAM for now.
//   [1 MiB - rom, 1 MiB)           the --bios ROM when loaded (read only; writes dropped),
//   [4 GiB - rom, 4 GiB)           and its alias just below 4 GiB, where the reset vector
//                                  F000:FFF0 fetches from (SDM Vol.3 9.1.4).
//   [0xFEC00000, +4 KiB)           the IO APIC (platform/devices/ioapic.h)
//   [IA32_APIC_BASE, +4 KiB)       the local APIC while the MSR enables it (default
//                                  0xFEE00000; platform/devices/lapic.h)
//   anything else                  unmapped: reads all ones, writes dropped.
// Ports (each device's header has the details):
//   0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1  8259A pair and ELCR      0x40-0x43, 0x61  8254 PIT, port B
//   0x60, 0x64  8042 (IRQ 1, 12)       0x92  System Control Port A (fast A20, reset)
//   0x70-0x71  CMOS RTC (IRQ 8)        0x80 (default)  POST port
//   0xE9  debug console                0xF4-0xF7  isa-debug-exit
//   0x1F0-0x1F7, 0x3F6  primary IDE channel (IRQ 14; no disks until ide().attach())
//   0x3B4-0x3B5, 0x3BA, 0x3C0-0x3C2, 0x3CC, 0x3D4-0x3D5, 0x3DA  VGA (text buffer at 0xB8000 in RAM)
//   0x3F8-0x3FF  COM1 16550A (IRQ 4)   0xCF8-0xCFF  PCI configuration mechanism #1
// Unclaimed ports read all ones; writes are dropped.
//
// A20: physical address bit 20 is forced to 0 while neither the 8042's
// A20 output nor port 0x92 bit 1 enables it (the chipset ORs the two); enabled at power-on,
// as a PC BIOS leaves it. While A20 is off, page() hands out no page whose address has bit
// 20 set, so those accesses come to mmio_read/mmio_write, which mask the bit; decoded code
// stays keyed by unaliased RAM pages, and the TLB is flushed whenever A20 changes. The
// reset line (8042 command 0xFE or output port bit 0, port 0x92 bit 0) resets the machine
// (reset()): with a firmware ROM the run continues at the reset vector; without one
// nothing is there, so run() stops with StopKind::Reset.
// Host input (input()) is delivered at its cycle: Serial to COM1, Keyboard to the 8042.
//
// Without --bios (MachineConfig::firmware_setup) the machine also does what a BIOS leaves
// behind for an SMP-aware kernel: MP tables in the EBDA and the BIOS data area words that
// find them (platform/mp_table.h), and the local APIC in virtual wire mode.
//
// All time is the CPU's cycle counter: devices schedule work on the Scheduler, and run()
// executes the CPU up to the next deadline, services it, and repeats.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cpu/bus.h"
#include "cpu/cpu.h"
#include "platform/devices/debug_console.h"
#include "platform/devices/debug_exit.h"
#include "platform/devices/ide.h"
// ---- 8259A PIC pair and 8254 PIT (branch pic) ----
#include "platform/devices/pic8259.h"
#include "platform/devices/pit8254.h"
// ---- end 8259A / 8254 ----
#include "platform/devices/mc146818.h"
#include "platform/devices/pci_host.h"
#include "platform/devices/kbc8042.h"
#include "platform/devices/ioapic.h"
#include "platform/devices/lapic.h"
#include "platform/devices/post_port.h"
#include "platform/devices/system_control_a.h"
#include "platform/devices/uart16550.h"
#include "platform/devices/vga_text.h"
#include "platform/clock.h"
#include "platform/device.h"
#include "platform/event_fanout.h"
#include "platform/guest_ram.h"
#include "platform/input_queue.h"
#include "platform/irq.h"
#include "platform/mmio.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"
#include "vt/vmx.h"  // VT-x

namespace platform {

constexpr uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

struct MachineConfig {
  uint64_t ram_bytes = 32 * MiB;  // multiple of 4 KiB, kMinRam..kMaxRam
  uint16_t post_port = PostPort::kDefaultPort;
  uint32_t cpu_mhz = 1000;        // the CPU clock: device time = cycles / cpu_mhz
  std::string cpu_model = "haswell";  // cycle model (cpu/cycles/model.h); must exist
  // Guest output (debug console and UART transmit). Empty: bytes go to stdout.
  ByteSink output{};
  // ---- CMOS RTC (mc146818.h) ----
  RtcTime rtc_start{};  // the RTC's calendar at cycle 0 (default 2000-01-01T00:00:00)
  // COM1 transmit, when it should go elsewhere than `output` (empty: to `output`).
  ByteSink serial_output{};
  // Play the BIOS's part for kernels started without one (no --bios): MP tables and BIOS
  // data area (mp_table.h), the local APIC in virtual wire mode (lapic.h). A --bios ROM
  // builds its own, so the CLI turns this off for it.
  bool firmware_setup = true;
  // ---- Popek–Goldberg (branch pg; vt/sensitive.h) ----
  // The hypothetical virtualizable x86: the cataloged sensitive instructions raise #GP(0)
  // at CPL > 0 instead of behaving silently, so a trap-and-emulate monitor works.
  bool virtualizable = false;
  // ---- end Popek–Goldberg ----
  // ---- VT-x (vt/vmx.h) ----
  bool vmx = true;                       // false: a CPU without VMX (--no-vmx)
  std::string vmx_profile = "haswell";   // vt::find_profile(); must exist
  // ---- end VT-x ----
  // ---- COM1 IRQ gate (branch xv6) ----
  // Whether COM1's MCR.OUT2 gates IRQ 4 as on a PC serial card (uart16550.h). Off by
  // default, as in QEMU: xv6 leaves OUT2 clear and expects its serial interrupts.
  bool com1_out2_gates_irq = false;
  // ---- end COM1 IRQ gate ----

  static constexpr uint64_t kMinRam = 1 * MiB;
  // RAM ends below the 32-bit MMIO and ROM area (the PCI hole starts at 3 GiB on a PC).
  static constexpr uint64_t kMaxRam = 3 * GiB;
  static constexpr uint64_t kMaxRom = 256 * KiB;
};

// Why Machine::run() returned.
enum class StopKind : uint8_t {
  InstructionLimit,  // limits.max_instructions reached
  StepLimit,         // limits.max_steps reached (counted over the whole run() call)
  CycleLimit,        // limits.cycle_limit reached
  ExitPort,          // the guest wrote the isa-debug-exit port
  HaltedForever,     // HLT with interrupts off (no NMI source exists)
  HaltedIdle,        // HLT with interrupts on, but no device event can ever wake it
  Shutdown,          // triple fault
  NotImplemented,    // the CPU met behaviour this version does not implement
  StopRequested,     // Machine::request_stop() / a debugger
  Reset,             // the guest pulsed the reset line and no firmware ROM is loaded
};
const char* stop_kind_name(StopKind k);

struct RunOutcome {
  StopKind kind = StopKind::StopRequested;
  std::string detail;  // human-readable: triple-fault cause, not-implemented feature, ...
};

class Machine final : public cpu::Bus, public IrqRouter {
 public:
  // Throws std::invalid_argument for a bad configuration (RAM size, POST port clash).
  explicit Machine(MachineConfig cfg = {});
  ~Machine() override;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const MachineConfig& config() const { return cfg_; }
  cpu::Cpu& cpu() { return *cpu_; }
  const cpu::Cpu& cpu() const { return *cpu_; }
  Scheduler& scheduler() { return sched_; }
  InputQueue& input() { return input_; }
  PortBus& ports() { return ports_; }
  const Clock& clock() const { return clock_; }
  uint64_t now() const { return cpu_->state().cycles; }

  // ---- Memory ----
  uint64_t ram_size() const { return ram_.size(); }
  std::span<uint8_t> ram() { return ram_; }
  std::span<const uint8_t> ram() const { return ram_; }
  // Copies `data` into RAM at `paddr` and drops decoded code there. Returns false (and
  // writes nothing) when [paddr, paddr + len) is not entirely RAM.
  bool load_ram(uint64_t paddr, std::span<const uint8_t> data);
  // Zero-fills RAM (for .bss); same bounds rule as load_ram().
  bool zero_ram(uint64_t paddr, uint64_t len);
  // Reads RAM; false when the range is not entirely RAM.
  bool read_ram(uint64_t paddr, std::span<uint8_t> out) const;
  bool in_ram(uint64_t paddr, uint64_t len) const {
    return paddr <= ram_.size() && len <= ram_.size() - paddr;
  }

  // Maps a firmware image (1..256 KiB) so that it ends at 1 MiB and at 4 GiB. An image
  // whose size is not a multiple of 4 KiB is padded with 0xFF in front, so its last byte
  // still sits at 0xFFFFF. Throws std::invalid_argument for a bad size.
  void load_rom(std::span<const uint8_t> image);
  bool has_rom() const { return !rom_.empty(); }
  uint64_t rom_size() const { return rom_.size(); }  // after padding

  // ---- Observers ----
  // Every cpu::Event (and the machine's own PostCode events) goes to each observer added.
  void add_observer(cpu::Observer* o);
  void remove_observer(cpu::Observer* o);
  // Emits a platform-originated event (e.g. PostCode): cycle, instret, mode, CS:IP are
  // filled from the CPU. Does nothing when no observer is attached.
  void emit(cpu::Event e);

  // ---- Devices ----
  // Every device, in the order added: reset(), dump(), state_hash() and snapshots visit
  // them in this order. Port and MMIO devices are added when mapped.
  const std::vector<Device*>& devices() const { return devices_; }
  void add_device(Device* d);
  // Gives physical [base, base + size) to `dev` (4 KiB aligned; throws std::logic_error on
  // overlap with another window). MMIO windows take precedence over RAM and ROM, which
  // page() then never hands out for those pages.
  void map_mmio(uint64_t base, uint64_t size, MmioDevice* dev);
  // The device whose window holds `paddr`, and the window base; nullptr when none.
  MmioDevice* mmio_owner(uint64_t paddr, uint64_t* base = nullptr) const;

  // ---- Interrupts ----
  // IrqRouter: ISA IRQ lines go to the 8259A pair and the IO APIC (IRQ n to pin n, IRQ0
  // to pin 2, IRQ2 nowhere: the routing the MP table describes).
  void set_isa_irq(unsigned irq, bool level) override;
  // The controllers driving INTR. Null until the device exists.
  void set_pic(InterruptController* pic) { pic_ = pic; update_intr(); }
  void set_lapic(InterruptController* lapic) { lapic_ = lapic; update_intr(); }
  // ---- Local APIC, IO APIC (begin) ----
  // The 8259A's output reaches INTR through the local APIC's LINT0 (virtual wire): only
  // while the LAPIC passes ExtINT (Lapic::passes_extint()) or holds an ExtINT message
  // from the IO APIC.
  bool pic_reaches_intr() const;
  Lapic& lapic() { return *lapic_dev_; }
  IoApic& ioapic() { return *ioapic_; }
  // ---- Local APIC, IO APIC (end) ----
  // Recomputes the CPU's INTR pin from the controllers; devices call this whenever their
  // output may have changed.
  void update_intr();

  DebugConsole& debug_console() { return *console_; }
  DebugExit& debug_exit() { return *exit_; }
  Uart16550& uart() { return *uart_; }
  PostPort& post() { return *post_; }
  // ---- IDE (primary channel; disks attached by the caller) ----
  Ide& ide() { return *ide_; }
  // ---- 8259A PIC pair and 8254 PIT (branch pic) ----
  Pic8259& pic8259() { return *pic8259_; }
  Pit8254& pit8254() { return *pit8254_; }
  // ---- end 8259A / 8254 ----
  // ---- CMOS RTC, VGA text, PCI host (misc devices) ----
  Mc146818& rtc() { return *rtc_; }
  VgaText& vga() { return *vga_; }
  PciHost& pci() { return *pci_; }
  // ---- serial, keyboard, A20, reset (branch uart) ----
  Kbc8042& kbc() { return *kbc_; }
  SystemControlA& port92() { return *port92_; }
  bool a20_enabled() const { return a20_; }
  // ---- end serial, keyboard, A20, reset ----
  // ---- VT-x: null when the machine has no VMX (MachineConfig::vmx = false) ----
  vt::Vmx* vmx() { return vmx_.get(); }
  // The status the guest asked for through the exit port: (v << 1) | 1.
  std::optional<uint32_t> exit_status() const { return exit_->status(); }

  // ---- Running ----
  // Runs until a limit, the exit port, a halt nothing can end, a triple fault, a
  // not-implemented stop or request_stop(). Limits mean what they mean for Cpu::run:
  // max_instructions and cycle_limit are absolute, max_steps counts steps of this call.
  // Device events are serviced at their cycle; HLT with interrupts on skips idle cycles to
  // the next event. Use designated initializers: m.run({.max_instructions = n}).
  RunOutcome run(const cpu::RunLimits& limits);
  void request_stop();

  // Resets devices and the CPU (RAM and ROM keep their contents).
  void reset();

  // A stable text dump (CPU registers + device state) and a deterministic 64-bit hash of
  // CPU state + RAM + ROM + device state (FNV-1a).
  std::string dump() const;
  uint64_t state_hash() const;

  // ---- cpu::Bus ----
  uint8_t* page(uint64_t paddr, bool write) override;
  uint64_t mmio_read(uint64_t paddr, unsigned size) override;
  void mmio_write(uint64_t paddr, unsigned size, uint64_t value) override;
  bool io_read(uint16_t port, unsigned size, uint32_t& value) override;
  bool io_write(uint16_t port, unsigned size, uint32_t value) override;
  uint8_t intr_ack() override;

 private:
  // Offset into rom_ for a physical address in either ROM window, or -1.
  int64_t rom_offset(uint64_t paddr) const;
  void output_byte(uint8_t b);
  RunOutcome take_exit_outcome();
  // ---- serial, keyboard, A20, reset (branch uart) ----
  void update_a20();
  void request_reset(const std::string& why);
  // Schedules delivery of the input queue's next event (if not already scheduled).
  void arm_input();
  void deliver_input(uint64_t due);
  // ---- end serial, keyboard, A20, reset ----

  MachineConfig cfg_;
  GuestRam ram_;
  std::vector<uint8_t> rom_;
  PortBus ports_;
  Clock clock_;
  Scheduler sched_;
  std::vector<Device*> devices_;
  struct MmioWindow {
    uint64_t base, size;
    MmioDevice* dev;
  };
  std::vector<MmioWindow> mmio_;
  InterruptController* pic_ = nullptr;
  InterruptController* lapic_ = nullptr;
  InputQueue input_;
  EventFanout fanout_;
  std::unique_ptr<DebugConsole> console_;
  std::unique_ptr<DebugExit> exit_;
  std::unique_ptr<Uart16550> uart_;
  std::unique_ptr<PostPort> post_;
  std::unique_ptr<Ide> ide_;
  // ---- 8259A PIC pair and 8254 PIT (branch pic) ----
  std::unique_ptr<Pic8259> pic8259_;
  std::unique_ptr<Pit8254> pit8254_;
  // ---- end 8259A / 8254 ----
  // ---- CMOS RTC, VGA text, PCI host ----
  std::unique_ptr<Mc146818> rtc_;
  std::unique_ptr<VgaText> vga_;
  std::unique_ptr<PciHost> pci_;
  bool exit_pending_ = false;  // the exit port was written; run() reports ExitPort
  // ---- serial, keyboard, A20, reset (branch uart) ----
  std::unique_ptr<Kbc8042> kbc_;
  std::unique_ptr<SystemControlA> port92_;
  bool a20_ = true;
  bool reset_pending_ = false;     // the reset line was pulsed; run() resets or stops
  std::string reset_detail_;
  Scheduler::Id input_event_ = 0;  // the pending input delivery event, 0 = none
  uint64_t input_armed_ = 0;       // its cycle
  // ---- end serial, keyboard, A20, reset ----
  std::unique_ptr<vt::Vmx> vmx_;   // VT-x; before cpu_, which points at it
  std::unique_ptr<cpu::Cpu> cpu_;  // constructed once RAM and devices exist
  // The APICs read the CPU's IA32_APIC_BASE: constructed after it.
  std::unique_ptr<Lapic> lapic_dev_;
  std::unique_ptr<IoApic> ioapic_;
};

}  // namespace platform
