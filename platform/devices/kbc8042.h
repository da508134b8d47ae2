// platform/devices/kbc8042.h — the 8042 keyboard controller (ports 0x60 and 0x64) with an
// MF-II keyboard behind it, IRQ 1, the A20 gate and the reset line.
//
// References: IBM PC AT Technical Reference (keyboard controller: status register,
// commands, output port), IBM PS/2 Hardware Interface Technical Reference (command byte,
// commands 0xA7-0xA9, 0xD2-0xD4), and the keyboard's command set (0xED-0xFF).
//
// Port 0x64 read: the status register
//   bit 0 OBF (output buffer full)   bit 4 INH (1 = keyboard not inhibited; always 1)
//   bit 1 IBF (never: commands are   bit 5 AUXB (the output buffer holds aux data)
//         executed when written)     bit 6 timeout, bit 7 parity error (never)
//   bit 2 SYS (system flag)          bit 3 A2 (1 = the last write was to port 0x64)
// Port 0x64 write: a controller command. Port 0x60 read: the output buffer (clears OBF;
// read while empty it returns the last byte again). Port 0x60 write: the data byte of a
// pending controller command, else a byte to the keyboard.
//
// Controller commands: 0x20-0x3F read internal RAM (0x20: the command byte), 0x60-0x7F
// write it; 0xA7/0xA8 disable/enable the aux port, 0xA9 aux interface test (0x00), 0xAA
// self test (0x55, sets SYS), 0xAB keyboard interface test (0x00), 0xAD/0xAE
// disable/enable the keyboard, 0xC0 read input port (0x00), 0xD0/0xD1 read/write the
// output port (bit 0 = 0 resets the machine, bit 1 = A20), 0xD2/0xD3 put a byte in the
// output buffer as if from the keyboard/aux device, 0xD4 send a byte to the aux device
// (none is attached: the byte is dropped), 0xDD/0xDF A20 off/on, 0xE0 read test inputs
// (0x00), 0xF0-0xFF pulse output port bits 3:0 low (bit 0 = reset: 0xFE). Others are
// ignored. The command byte: bit 0 IRQ 1 on keyboard data, bit 1 IRQ 12 on aux data,
// bit 2 SYS, bit 4 keyboard disabled, bit 5 aux disabled, bit 6 translation to set 1.
//
// Keyboard commands: 0xED LEDs (+ argument), 0xEE echo, 0xF0 scancode set (+ argument
// 0 = report, 1-3 = select), 0xF2 identify (0xFA 0xAB 0x83; 0x41 instead of 0x83 with
// translation, as the 8042 translates it), 0xF3 typematic (+ argument), 0xF4 enable,
// 0xF5 disable (and defaults), 0xF6 defaults, 0xF7-0xFD (set 3 key types: ACK only),
// 0xFE resend, 0xFF reset (0xFA 0xAA: scanning on, set 2, LEDs off). Each answered with
// ACK 0xFA; an unknown byte with 0xFE. A command byte sent instead of an argument is
// taken as a new command.
//
// Key input: host keys arrive (host_key) as scancode set 1 bytes (platform/keymap.h).
// With translation on (the default) the guest reads them as they are; with translation
// off they are converted to set 2 (sets 2 and 3 both give set 2; set 1 gives set 1). A
// byte travels from the keyboard to the controller in kTransferNs (Bochs's default
// keyboard_serial_delay), one at a time, only while the output buffer is empty and the
// keyboard interface is enabled (command byte bit 4 clear); keyboard answers go first.
// Keys wait in the keyboard while it does not scan (0xF5, or not yet 0xF4 after 0xF5): a
// real keyboard would drop them; scripted input is never lost. Controller results enter
// the output buffer at once, ahead of keyboard bytes. At most kMaxPending controller
// results and as many keyboard answers wait unread; more are dropped (the real 8042 would
// stall; the keyboard's own buffer holds 16 bytes).
//
// IRQ 1 is high while the output buffer holds keyboard data and command byte bit 0 is
// set (IRQ 12 likewise for aux data and bit 1), as the 8042 drives them from its output
// port bits 4 and 5.
//
// Power-on state: the state a PC BIOS leaves (there is no BIOS to program it): command
// byte 0x45 (translation, SYS, keyboard interrupt), output port 0xCF (A20 enabled, not in
// reset), the keyboard scanning in set 2.
//
// The A20 and reset outputs go to callbacks (the machine gates address bit 20 and
// resets itself).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "platform/clock.h"
#include "platform/irq.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

class Kbc8042 final : public PortDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60, kCommandPort = 0x64;
  static constexpr unsigned kKeyboardIrq = 1, kAuxIrq = 12;
  static constexpr uint64_t kTransferNs = 250'000;  // keyboard -> controller, a byte
  static constexpr uint8_t kDefaultCommandByte = 0x45;
  static constexpr uint8_t kDefaultOutputPort = 0xCF;
  static constexpr size_t kMaxKeyBytes = 64u << 20;  // host key bytes a snapshot may hold
  static constexpr size_t kMaxPending = 16;  // unread controller results / keyboard answers

  struct Callbacks {
    std::function<void(bool enabled)> a20;           // output port bit 1 changed
    std::function<void(const std::string& why)> reset;  // the reset line was pulsed
  };

  Kbc8042(Scheduler& sched, const Clock& clock, IrqLine irq1, IrqLine irq12, Callbacks cb);
  ~Kbc8042() override;

  const char* name() const override { return "kbc8042"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // A scancode set 1 byte from the host keyboard.
  void host_key(uint8_t code);

  bool a20() const { return s_.outport & 0x02; }
  uint8_t status() const;
  uint8_t command_byte() const { return s_.ram[0]; }
  uint8_t output_port() const { return s_.outport; }
  uint8_t scancode_set() const { return s_.kb_set; }
  bool scanning() const { return s_.kb_scanning; }
  uint8_t leds() const { return s_.kb_leds; }
  size_t keys_pending() const { return s_.keys.size(); }

 private:
  enum class Source : uint8_t { Controller = 0, Keyboard = 1, Aux = 2 };
  struct Out {
    uint8_t byte;
    Source src;
  };
  struct State {
    std::array<uint8_t, 32> ram{};   // ram[0] = the command byte
    uint8_t outport = kDefaultOutputPort;
    uint8_t out = 0;                 // the output buffer
    bool obf = false;
    bool aux = false;                // the output buffer holds aux data (AUXB)
    bool sys = true;                 // status bit 2
    bool a2 = false;                 // status bit 3
    uint8_t pending_cmd = 0;         // controller command waiting for its data byte
    std::deque<Out> ctl;             // controller results, loaded at once
    // The keyboard.
    std::deque<uint8_t> kb_out;      // answers to keyboard commands
    std::deque<uint8_t> keys;        // host scancodes (set 1), not yet sent
    std::vector<uint8_t> key_bytes;  // bytes of the key being sent (set 2 may be several)
    bool kb_scanning = true;
    uint8_t kb_set = 2;
    uint8_t kb_leds = 0;
    uint8_t kb_typematic = 0x2B;
    uint8_t kb_pending = 0;          // keyboard command waiting for its argument
    uint8_t kb_last = 0;             // last byte sent (for 0xFE resend)
    bool in_flight = false;          // a keyboard byte is on its way, arriving at `arrival`
    uint64_t arrival = 0;
  };

  void write_command(uint8_t cmd);
  void write_data(uint8_t v);
  void keyboard_byte(uint8_t v);
  void keyboard_command(uint8_t v);
  // Answers wait in bounded queues: a guest that never reads cannot make them grow
  // (beyond kMaxPending waiting answers, new ones are dropped).
  void kb_reply(uint8_t b) {
    if (s_.kb_out.size() < kMaxPending) s_.kb_out.push_back(b);
  }
  void ctl_reply(uint8_t b, Source src = Source::Controller) {
    if (s_.ctl.size() < kMaxPending) s_.ctl.push_back({b, src});
  }
  void set_output_port(uint8_t v);
  void pulse_reset(const std::string& why);
  bool translate() const { return s_.ram[0] & 0x40; }
  bool keyboard_disabled() const { return s_.ram[0] & 0x10; }
  // The next keyboard byte that would be sent, if any.
  bool next_keyboard_byte(uint8_t& b, bool take);
  // Moves the next byte into an empty output buffer (at once for controller results,
  // after kTransferNs for keyboard bytes) and recomputes the IRQ lines.
  void pump();
  void on_arrival();
  void update_irqs();

  Scheduler& sched_;
  const Clock& clock_;
  IrqLine irq1_, irq12_;
  Callbacks cb_;
  State s_;
  Scheduler::Id arrival_event_ = 0;
};

}  // namespace platform
