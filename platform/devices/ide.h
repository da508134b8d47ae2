// platform/devices/ide.h — the primary IDE/ATA channel: two ATA hard disks in PIO mode.
//
// References: ATA/ATAPI-6 (T13/1410D revision 3b), cited as "ATA-6" with the section or
// command title (clause 7: the registers, clause 8: the commands, clause 9: the protocols).
//
// Ports (the PC's primary channel, IRQ 14):
//   0x1F0 Data (16 bit; a 32-bit access moves two words, as PCI IDE controllers do)
//   0x1F1 Error (read) / Features (write)     0x1F2 Sector Count
//   0x1F3 LBA Low (sector number)   0x1F4 LBA Mid (cylinder low)   0x1F5 LBA High (cyl. high)
//   0x1F6 Device/Head: bit 4 DEV selects device 0 (master) / 1 (slave), bit 6 LBA mode,
//         bits 3:0 head (CHS) or LBA bits 27:24
//   0x1F7 Status (read; clears the device's pending interrupt) / Command (write)
//   0x3F6 Alternate Status (read; does not clear the interrupt) / Device Control (write:
//         bit 1 nIEN, bit 2 SRST). 0x3F7 is the floppy controller's and is not claimed.
// Writes to the command block reach both devices (ATA-6 clause 7 "Device addressing
// considerations"), so the task-file registers are kept once for the channel; each device
// has its own status, error, pending interrupt, settings and transfer buffer.
//
// Commands (anything else, including the 48-bit ones, ends with ERR and ABRT):
//   0xEC IDENTIFY DEVICE            0x20/0x21 READ SECTORS     0x30/0x31 WRITE SECTORS
//   0xC4 READ MULTIPLE              0xC5 WRITE MULTIPLE        0xC6 SET MULTIPLE MODE
//   0x40/0x41 READ VERIFY SECTORS   0x91 INITIALIZE DEVICE PARAMETERS
//   0x90 EXECUTE DEVICE DIAGNOSTIC  0xE7 FLUSH CACHE           0xEF SET FEATURES (02/82
//   write cache, 03 PIO transfer modes, 55/AA look-ahead, 66/CC revert to defaults)
//   0xE0/0xE1 STANDBY/IDLE IMMEDIATE (no-ops)  0xE5 CHECK POWER MODE (active: count FFh)
// LBA28 and CHS addressing (the current translation: 16 heads, 63 sectors by default,
// changed by INITIALIZE DEVICE PARAMETERS); a Sector Count of 0 means 256. A transfer that
// reaches a sector outside the disk stops there with ERR and IDNF, the task file holding
// that sector's address; a host I/O error reports UNC.
//
// Protocols (ATA-6 clause 9, "PIO data-in", "PIO data-out", "Non-data"): writing a
// command sets BSY; after a latency the device either completes (non-data: DRDY, INTRQ),
// or has a block ready (data-in: DRQ and INTRQ for every block), or wants the first block
// (data-out: DRQ without INTRQ, at once, with no BSY latency, as in QEMU: xv6 writes the
// data right after the command without polling for DRQ; after each block BSY again, then
// DRQ + INTRQ for the next block or DRDY + INTRQ at the end). A block is one sector, or the multiple count for
// READ/WRITE MULTIPLE. INTRQ reaches IRQ 14 only from the selected device and only while
// nIEN = 0; reading Status, writing Command or SRST clear it; Alternate Status does not.
//
// Timing is machine time from the cycle counter, never host time (constants below, in
// nanoseconds, converted with the machine's Clock): kCommandNs from a command to its
// first block or its completion, plus kSectorNs per sector of a block, and kResetNs from
// releasing SRST (or EXECUTE DEVICE DIAGNOSTIC) to the signature. Deterministic and far
// shorter than a real disk's milliseconds, so polling guests stay fast.
//
// Reset and signature (ATA-6 clause 9 "Software reset protocol", "Signature and
// persistence"): after power-on, SRST and EXECUTE DEVICE DIAGNOSTIC the task file holds
// the ATA signature (Sector Count 01h, LBA Low 01h, LBA Mid 00h, LBA High 00h, Device
// 00h), Error 01h (passed), status DRDY|DSC (50h). Power-on (reset()) takes no time.
// Multiple mode and the CHS translation revert to their defaults on SRST unless SET
// FEATURES 66h said otherwise. Machine reset never touches the disks' contents.
//
// Absent devices (ATA-6 "Device 0 only configurations"): with device 0 present
// and device 1 selected, Status and Alternate Status read 00h, the other registers read
// as for device 0, and commands are ignored except EXECUTE DEVICE DIAGNOSTIC. With no
// device at all on the channel every register reads 00h (the pulled-down bus; QEMU's PIIX
// model does the same), so BSY and DRDY are clear and drivers see nothing there. Reads of
// the Data register without DRQ return FFFFh; writes are dropped.
//
// The guest is untrusted: writes to the command block while the selected device is BSY
// are ignored (ATA-6 says the host shall not), a new command while DRQ is set abandons
// the transfer, and no register sequence can reach memory outside the device.
//
// Not modelled: DMA (bus master IDE), 48-bit commands, ATAPI/PACKET, the secondary
// channel, power management timers, SMART, security, the HOB bit.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "platform/clock.h"
#include "platform/disk_image.h"
#include "platform/irq.h"
#include "platform/port_bus.h"
#include "platform/scheduler.h"

namespace platform {

class Ide final : public PortDevice {
 public:
  static constexpr uint16_t kCommandBase = 0x1F0;
  static constexpr uint16_t kCommandPorts = 8;
  static constexpr uint16_t kControlPort = 0x3F6;
  static constexpr unsigned kIrq = 14;
  static constexpr unsigned kMaxMultiple = 16;  // IDENTIFY word 47: sectors per block
  static constexpr uint64_t kCommandNs = 5'000;
  static constexpr uint64_t kSectorNs = 1'000;
  static constexpr uint64_t kResetNs = 20'000;

  // Status register bits (ATA-6 clause 7 "Status register").
  static constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
  // Error register bits (ATA-6 clause 7 "Error register").
  static constexpr uint8_t kUnc = 0x40, kIdnf = 0x10, kAbrt = 0x04;
  // Device Control bits.
  static constexpr uint8_t kNien = 0x02, kSrst = 0x04;

  Ide(Scheduler& sched, const Clock& clock, IrqRouter* router);
  ~Ide() override;

  const char* name() const override { return "ide"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  // Puts a disk in slot 0 (master) or 1 (slave); nullptr removes it. The device comes up
  // as after power-on.
  void attach(unsigned slot, std::unique_ptr<DiskImage> disk);
  DiskImage* disk(unsigned slot) { return slot < 2 ? drives_[slot].disk.get() : nullptr; }
  bool irq() const { return irq_.level(); }

  // The 256 words IDENTIFY DEVICE returns for a drive (tests; the device sends the same).
  std::array<uint16_t, 256> identify_data(unsigned slot) const;

 private:
  // What a drive's scheduled event does when it fires.
  enum class Event : uint8_t {
    None,
    Finish,      // a non-data command completes: status/error from `result_*`, INTRQ
    DataIn,      // the next data-in block is ready: fill the buffer, DRQ, INTRQ
    DataOut,     // ready for the first data-out block: DRQ, no INTRQ
    BlockDone,   // a written block has been committed: next DRQ + INTRQ, or completion
    Signature,   // reset or diagnostic done: signature, status DRDY
  };
  static constexpr uint8_t kEventMax = uint8_t(Event::Signature);

  struct Drive {
    std::unique_ptr<DiskImage> disk;  // null: no device in this slot
    uint8_t status = 0, error = 0;
    bool intrq = false;           // the device's interrupt is pending
    // Settings.
    uint8_t multiple = 0;         // SET MULTIPLE MODE: sectors per block, 0 = disabled
    uint8_t heads = 16, spt = 63; // current CHS translation
    bool revert = true;           // SRST restores the defaults (SET FEATURES CCh / 66h)
    bool write_cache = true, look_ahead = true;
    // The command in progress.
    uint8_t command = 0;
    uint8_t result_status = 0, result_error = 0;  // for Event::Finish
    uint64_t lba = 0;             // next sector to transfer
    uint32_t remaining = 0;       // sectors left, including the block in the buffer
    uint32_t block = 1;           // sectors per DRQ block of this command
    uint32_t buf_len = 0, buf_pos = 0;
    Event event = Event::None;
    uint64_t due = 0;
    Scheduler::Id event_id = 0;
    std::array<uint8_t, kMaxMultiple * DiskImage::kSectorSize> buf{};
  };
  // The channel's shared task file and Device Control register.
  struct TaskFile {
    uint8_t features = 0, count = 0, lba_low = 0, lba_mid = 0, lba_high = 0, device = 0;
    uint8_t control = 0;
  };

  unsigned selected() const { return (tf_.device >> 4) & 1; }
  bool present(unsigned slot) const { return drives_[slot].disk != nullptr; }
  void power_on(Drive& d);
  void default_settings(Drive& d);
  void update_irq();
  void schedule(unsigned slot, Event e, uint64_t delay_ns);
  void schedule_at(unsigned slot, Event e, uint64_t due);
  void cancel(Drive& d);
  void fire(unsigned slot);
  void command(uint8_t cmd);
  void finish_later(unsigned slot, uint8_t status, uint8_t error, uint64_t delay_ns = kCommandNs);
  void fail_now(unsigned slot, uint8_t error);
  void start_transfer(unsigned slot, bool write, uint32_t block);
  void fill_block(unsigned slot);
  void block_read_done(unsigned slot);
  void want_block(unsigned slot, bool interrupt);
  void commit_block(unsigned slot);
  void set_signature();
  // Addressing.
  uint64_t addressable(const Drive& d) const;
  uint32_t cylinders(const Drive& d) const;
  bool task_lba(const Drive& d, uint64_t* lba) const;  // false: CHS outside the geometry
  void set_task_lba(const Drive& d, uint64_t lba);
  uint32_t count() const { return tf_.count ? tf_.count : 256u; }
  // The Data register.
  bool data_in_ready(const Drive& d) const;
  bool data_out_ready(const Drive& d) const;
  uint16_t data_word_in(unsigned slot);
  void data_word_out(unsigned slot, uint16_t w);
  // The device answering register reads: the selected one, else the other (device 0
  // only configurations), else -1 (an empty channel).
  int responder() const;

  Scheduler& sched_;
  const Clock& clock_;
  IrqLine irq_;
  TaskFile tf_;
  std::array<Drive, 2> drives_;
};

}  // namespace platform
