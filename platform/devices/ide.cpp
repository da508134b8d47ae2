// platform/devices/ide.cpp — see ide.h. Register and command behaviour follows ATA/ATAPI-6
// (T13/1410D r3b): clause 7 for the registers, clause 8 for the commands, clause 9 for
// the PIO data-in, PIO data-out, non-data, reset and diagnostic protocols.
#include "platform/devices/ide.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "platform/hash.h"

namespace platform {

namespace {

// Command opcodes (ATA-6 clause 8; the command code table).
constexpr uint8_t kCmdReadSectors = 0x20, kCmdReadSectorsNoRetry = 0x21;
constexpr uint8_t kCmdWriteSectors = 0x30, kCmdWriteSectorsNoRetry = 0x31;
constexpr uint8_t kCmdReadVerify = 0x40, kCmdReadVerifyNoRetry = 0x41;
constexpr uint8_t kCmdDiagnostic = 0x90, kCmdInitParams = 0x91;
constexpr uint8_t kCmdReadMultiple = 0xC4, kCmdWriteMultiple = 0xC5, kCmdSetMultiple = 0xC6;
constexpr uint8_t kCmdStandbyImmediate = 0xE0, kCmdIdleImmediate = 0xE1, kCmdCheckPower = 0xE5;
constexpr uint8_t kCmdFlushCache = 0xE7, kCmdIdentify = 0xEC, kCmdSetFeatures = 0xEF;

constexpr uint8_t kDevLba = 0x40;  // Device register bit 6: the address is an LBA
constexpr uint64_t kLba28Max = 0x0FFFFFFF;   // IDENTIFY words 60-61 hold at most this
constexpr uint64_t kChsMax = 16383ull * 16 * 63;  // 16,514,064: the largest CHS capacity
constexpr uint32_t kSector = DiskImage::kSectorSize;

bool is_write(uint8_t cmd) {
  return cmd == kCmdWriteSectors || cmd == kCmdWriteSectorsNoRetry || cmd == kCmdWriteMultiple;
}

// The default CHS translation (IDENTIFY words 1, 3, 6): 16 heads of 63 sectors, as ATA-6
// describes for devices up to 8.4 GB; smaller for images under one 16x63 cylinder.
void default_geometry(uint64_t sectors, uint8_t* heads, uint8_t* spt) {
  *spt = 63;
  *heads = 16;
  if (sectors < 16 * 63) {
    if (sectors < 63) {
      *spt = uint8_t(std::max<uint64_t>(sectors, 1));
      *heads = 1;
    } else {
      *heads = uint8_t(sectors / 63);
    }
  }
}

// ATA strings: two characters a word, the first in bits 15:8 (ATA-6 IDENTIFY DEVICE, words
// 10-19, 23-26, 27-46), padded with spaces.
void put_string(std::array<uint16_t, 256>& w, unsigned first, unsigned words, const std::string& text) {
  for (unsigned i = 0; i < words; ++i) {
    const char a = 2 * i < text.size() ? text[2 * i] : ' ';
    const char b = 2 * i + 1 < text.size() ? text[2 * i + 1] : ' ';
    w[first + i] = uint16_t(uint8_t(a) << 8 | uint8_t(b));
  }
}

}  // namespace

Ide::Ide(Scheduler& sched, const Clock& clock, IrqRouter* router)
    : sched_(sched), clock_(clock), irq_(router, kIrq) {
  reset();
}

Ide::~Ide() {
  for (Drive& d : drives_) cancel(d);
}

void Ide::attach(unsigned slot, std::unique_ptr<DiskImage> disk) {
  if (slot > 1) return;
  cancel(drives_[slot]);
  drives_[slot].disk = std::move(disk);
  power_on(drives_[slot]);
  update_irq();
}

// ---- Reset -----------------------------------------------------------------------------

void Ide::default_settings(Drive& d) {
  d.multiple = 0;
  if (d.disk) {
    default_geometry(addressable(d), &d.heads, &d.spt);
  } else {
    d.heads = 16;
    d.spt = 63;
  }
}

void Ide::power_on(Drive& d) {
  cancel(d);
  d.status = d.disk ? uint8_t(kDrdy | kDsc) : 0;
  d.error = 0x01;  // diagnostic code: passed
  d.intrq = false;
  default_settings(d);
  d.revert = true;
  d.write_cache = d.look_ahead = true;
  d.command = d.result_status = d.result_error = 0;
  d.lba = 0;
  d.remaining = 0;
  d.block = 1;
  d.buf_len = d.buf_pos = 0;
}

void Ide::reset() {
  tf_ = TaskFile{};
  for (Drive& d : drives_) power_on(d);
  set_signature();
  update_irq();
}

void Ide::set_signature() {
  // ATA-6 clause 9 "Signature and persistence": an ATA device (not PACKET) leaves these.
  tf_.count = 0x01;
  tf_.lba_low = 0x01;
  tf_.lba_mid = 0x00;
  tf_.lba_high = 0x00;
  tf_.device = 0x00;
}

// ---- Events ----------------------------------------------------------------------------

void Ide::cancel(Drive& d) {
  if (d.event_id) sched_.cancel(d.event_id);
  d.event_id = 0;
  d.event = Event::None;
  d.due = 0;
}

void Ide::schedule(unsigned slot, Event e, uint64_t delay_ns) {
  schedule_at(slot, e, sched_.now() + clock_.cycle_of_tick(delay_ns, 1'000'000'000));
}

void Ide::schedule_at(unsigned slot, Event e, uint64_t due) {
  Drive& d = drives_[slot];
  cancel(d);
  d.event = e;
  d.due = due;
  d.event_id = sched_.schedule(due, [this, slot](uint64_t) { fire(slot); });
}

void Ide::fire(unsigned slot) {
  Drive& d = drives_[slot];
  const Event e = d.event;
  d.event = Event::None;
  d.event_id = 0;
  d.due = 0;
  if (!d.disk) return;
  switch (e) {
    case Event::None: return;
    case Event::Finish:
      d.status = d.result_status;
      d.error = d.result_error;
      d.command = 0;
      d.intrq = true;
      break;
    case Event::DataIn: fill_block(slot); break;
    case Event::DataOut: want_block(slot, false); break;
    case Event::BlockDone:
      if (d.remaining > 0) {
        want_block(slot, true);
      } else {
        d.status = kDrdy | kDsc;
        d.command = 0;
        d.intrq = true;
      }
      break;
    case Event::Signature: {
      // ATA-6 clause 9 "EXECUTE DEVICE DIAGNOSTIC command protocol": device 0 asserts
      // INTRQ when done (device 1 does when it is alone); a software reset interrupts no one.
      const bool diagnostic = d.command == kCmdDiagnostic;
      d.status = kDrdy | kDsc;
      d.error = 0x01;
      d.command = 0;
      set_signature();
      if (diagnostic && (slot == 0 || !present(0))) d.intrq = true;
      break;
    }
  }
  update_irq();
}

void Ide::update_irq() {
  const unsigned sel = selected();
  irq_.set(!(tf_.control & kNien) && present(sel) && drives_[sel].intrq);
}

// ---- Addressing ------------------------------------------------------------------------

uint64_t Ide::addressable(const Drive& d) const {
  return d.disk ? std::min<uint64_t>(d.disk->sectors(), kLba28Max) : 0;
}

uint32_t Ide::cylinders(const Drive& d) const {
  const uint64_t c = std::min(addressable(d), kChsMax) / (uint64_t(d.heads) * d.spt);
  return uint32_t(std::min<uint64_t>(c, 65535));
}

bool Ide::task_lba(const Drive& d, uint64_t* lba) const {
  if (tf_.device & kDevLba) {
    *lba = uint64_t(tf_.device & 0x0F) << 24 | uint64_t(tf_.lba_high) << 16 | uint64_t(tf_.lba_mid) << 8 |
           tf_.lba_low;
    return true;
  }
  // CHS (ATA-6 "CHS addressing"): sectors count from 1.
  const uint32_t cyl = uint32_t(tf_.lba_high) << 8 | tf_.lba_mid;
  const uint32_t head = tf_.device & 0x0F;
  const uint32_t sector = tf_.lba_low;
  if (sector == 0 || sector > d.spt || head >= d.heads || cyl >= cylinders(d)) return false;
  *lba = (uint64_t(cyl) * d.heads + head) * d.spt + (sector - 1);
  return true;
}

void Ide::set_task_lba(const Drive& d, uint64_t lba) {
  if (tf_.device & kDevLba) {
    tf_.lba_low = uint8_t(lba);
    tf_.lba_mid = uint8_t(lba >> 8);
    tf_.lba_high = uint8_t(lba >> 16);
    tf_.device = uint8_t((tf_.device & 0xF0) | ((lba >> 24) & 0x0F));
    return;
  }
  const uint64_t per_cyl = uint64_t(d.heads) * d.spt;
  const uint64_t cyl = lba / per_cyl;
  const uint64_t rest = lba % per_cyl;
  tf_.lba_high = uint8_t(cyl >> 8);
  tf_.lba_mid = uint8_t(cyl);
  tf_.device = uint8_t((tf_.device & 0xF0) | ((rest / d.spt) & 0x0F));
  tf_.lba_low = uint8_t(rest % d.spt + 1);
}

// ---- Commands --------------------------------------------------------------------------

void Ide::finish_later(unsigned slot, uint8_t status, uint8_t error, uint64_t delay_ns) {
  Drive& d = drives_[slot];
  d.status = kBsy;
  d.result_status = status;
  d.result_error = error;
  schedule(slot, Event::Finish, delay_ns);
}

void Ide::fail_now(unsigned slot, uint8_t error) {
  Drive& d = drives_[slot];
  d.status = kDrdy | kDsc | kErr;
  d.error = error;
  d.command = 0;
  d.remaining = 0;
  d.buf_len = d.buf_pos = 0;
  d.intrq = true;
}

void Ide::command(uint8_t cmd) {
  const unsigned sel = selected();
  if (cmd == kCmdDiagnostic) {
    // ATA-6 clause 8 "EXECUTE DEVICE DIAGNOSTIC": both devices execute it, whichever is selected.
    for (unsigned s = 0; s < 2; ++s) {
      Drive& d = drives_[s];
      if (!d.disk || (d.status & kBsy)) continue;
      d.intrq = false;
      d.buf_len = d.buf_pos = 0;
      d.remaining = 0;
      d.command = kCmdDiagnostic;
      d.status = kBsy;
      schedule(s, Event::Signature, kResetNs);
    }
    update_irq();
    return;
  }
  Drive& d = drives_[sel];
  // An absent device ignores commands (ATA-6 "Device 0 only configurations"); so does
  // a busy one (the host shall not write Command while BSY is set).
  if (!d.disk || (d.status & kBsy)) return;
  cancel(d);
  d.intrq = false;  // writing Command clears a pending interrupt (ATA-6 "INTRQ" signal)
  update_irq();
  d.buf_len = d.buf_pos = 0;
  d.remaining = 0;
  d.command = cmd;
  d.error = 0;
  const uint8_t ok = kDrdy | kDsc, bad = kDrdy | kDsc | kErr;
  switch (cmd) {
    case kCmdIdentify:
      d.block = 1;
      d.remaining = 1;
      d.status = kBsy;
      schedule(sel, Event::DataIn, kCommandNs);
      return;
    case kCmdReadSectors:
    case kCmdReadSectorsNoRetry: start_transfer(sel, false, 1); return;
    case kCmdWriteSectors:
    case kCmdWriteSectorsNoRetry: start_transfer(sel, true, 1); return;
    case kCmdReadMultiple:
    case kCmdWriteMultiple:
      // ATA-6 clause 8 "READ MULTIPLE": aborted while multiple mode is disabled.
      if (d.multiple == 0) {
        finish_later(sel, bad, kAbrt);
      } else {
        start_transfer(sel, cmd == kCmdWriteMultiple, d.multiple);
      }
      return;
    case kCmdReadVerify:
    case kCmdReadVerifyNoRetry: {
      uint64_t lba = 0;
      if (!task_lba(d, &lba)) {
        finish_later(sel, bad, kIdnf);
        return;
      }
      const uint64_t end = lba + count();
      if (end > addressable(d)) {
        set_task_lba(d, std::max(lba, addressable(d)));
        finish_later(sel, bad, kIdnf);
        return;
      }
      set_task_lba(d, end - 1);
      finish_later(sel, ok, 0, kCommandNs + count() * kSectorNs);
      return;
    }
    case kCmdSetMultiple: {
      // ATA-6 clause 8 "SET MULTIPLE MODE": a power of two up to IDENTIFY word 47; 0 disables.
      const uint8_t n = tf_.count;
      if (n > kMaxMultiple || (n & (n - 1)) != 0) {
        finish_later(sel, bad, kAbrt);
      } else {
        d.multiple = n;
        finish_later(sel, ok, 0);
      }
      return;
    }
    case kCmdInitParams: {
      // ATA-6 clause 8 "INITIALIZE DEVICE PARAMETERS": heads = Device bits 3:0 + 1, sectors per
      // track = Sector Count. A translation with no whole cylinder is refused (ABRT).
      const uint8_t heads = uint8_t((tf_.device & 0x0F) + 1), spt = tf_.count;
      if (spt == 0 || uint64_t(heads) * spt > std::min(addressable(d), kChsMax)) {
        finish_later(sel, bad, kAbrt);
      } else {
        d.heads = heads;
        d.spt = spt;
        finish_later(sel, ok, 0);
      }
      return;
    }
    case kCmdSetFeatures: {
      bool accepted = true;
      switch (tf_.features) {
        case 0x02: d.write_cache = true; break;
        case 0x82: d.write_cache = false; break;
        case 0x55: d.look_ahead = false; break;
        case 0xAA: d.look_ahead = true; break;
        case 0x66: d.revert = false; break;
        case 0xCC: d.revert = true; break;
        case 0x03:
          // Set transfer mode (Sector Count): PIO default (00h, 01h) or PIO flow-control
          // modes 0-4 (08h-0Ch). DMA modes are not supported (IDENTIFY says so).
          accepted = tf_.count <= 0x01 || (tf_.count >= 0x08 && tf_.count <= 0x0C);
          break;
        default: accepted = false; break;
      }
      finish_later(sel, accepted ? ok : bad, accepted ? 0 : kAbrt);
      return;
    }
    case kCmdFlushCache:
    case kCmdStandbyImmediate:
    case kCmdIdleImmediate: finish_later(sel, ok, 0); return;
    case kCmdCheckPower:
      tf_.count = 0xFF;  // active or idle
      finish_later(sel, ok, 0);
      return;
    default:
      // ATA-6: a command the device does not support ends with ABRT (each command's
      // "Error outputs"; clause 8 lists the ones a device may implement).
      finish_later(sel, bad, kAbrt);
      return;
  }
}

void Ide::start_transfer(unsigned slot, bool write, uint32_t block) {
  Drive& d = drives_[slot];
  uint64_t lba = 0;
  if (!task_lba(d, &lba)) {
    finish_later(slot, kDrdy | kDsc | kErr, kIdnf);
    return;
  }
  d.lba = lba;
  d.remaining = count();
  d.block = std::clamp<uint32_t>(block, 1, kMaxMultiple);
  if (write) {
    // DRQ for the first data-out block at once, as QEMU's drive does: xv6's idestart()
    // writes the data right after the command without waiting for DRQ, and words written
    // before DRQ would be lost (ATA-6 has the host wait for BSY = 0, DRQ = 1, which a
    // device that is ready at once satisfies). Event::DataOut stays for old snapshots.
    want_block(slot, false);
  } else {
    d.status = kBsy;
    schedule(slot, Event::DataIn, kCommandNs + std::min(d.block, d.remaining) * kSectorNs);
  }
}

std::array<uint16_t, 256> Ide::identify_data(unsigned slot) const {
  std::array<uint16_t, 256> w{};
  if (slot > 1 || !drives_[slot].disk) return w;
  const Drive& d = drives_[slot];
  const uint64_t total = addressable(d);
  uint8_t heads = 0, spt = 0;
  default_geometry(total, &heads, &spt);
  const uint64_t def_cyl = std::min<uint64_t>(std::min(total, kChsMax) / (uint64_t(heads) * spt), 16383);
  const uint32_t cur_cyl = cylinders(d);
  const uint64_t cur_cap = uint64_t(cur_cyl) * d.heads * d.spt;
  // ATA-6 clause 8 "IDENTIFY DEVICE": its table of the 256 words.
  w[0] = 0x0040;                 // ATA device (bit 15 = 0), not removable (bit 6)
  w[1] = uint16_t(def_cyl);      // default cylinders
  w[3] = heads;                  // default heads
  w[6] = spt;                    // default sectors per track
  put_string(w, 10, 10, "RINGSIDE-ATA-" + std::to_string(slot));  // serial number
  put_string(w, 23, 4, "1.0");                                      // firmware revision
  put_string(w, 27, 20, "Ringside ATA disk");                       // model number
  w[47] = uint16_t(0x8000 | kMaxMultiple);  // bits 15:8 = 80h; READ/WRITE MULTIPLE max
  w[49] = 0x0E00;                // LBA (9), IORDY may be disabled (10), IORDY (11); no DMA
  w[50] = 0x4000;                // bit 14 shall be one
  w[51] = 0x0200;                // PIO mode 2 (obsolete word, still read by old drivers)
  w[53] = 0x0003;                // words 54-58 and 64-70 are valid
  w[54] = uint16_t(cur_cyl);     // current cylinders, heads, sectors per track
  w[55] = d.heads;
  w[56] = d.spt;
  w[57] = uint16_t(cur_cap);     // current capacity in sectors (CHS)
  w[58] = uint16_t(cur_cap >> 16);
  w[59] = d.multiple ? uint16_t(0x0100 | d.multiple) : 0;  // bit 8: the setting is valid
  w[60] = uint16_t(total);       // user-addressable sectors (LBA28)
  w[61] = uint16_t(total >> 16);
  w[64] = 0x0003;                // PIO modes 3 and 4
  w[67] = 120;                   // minimum PIO cycle time without / with IORDY (ns)
  w[68] = 120;
  w[80] = 0x0078;                // major version: ATA-3, ATA/ATAPI-4, -5, -6
  w[82] = 0x4060;                // supported: NOP (14), look-ahead (6), write cache (5)
  w[83] = 0x5000;                // bit 14 one; FLUSH CACHE (12); no 48-bit (10)
  w[84] = 0x4000;                // bit 14 one
  w[85] = uint16_t(0x4000 | (d.look_ahead ? 0x40 : 0) | (d.write_cache ? 0x20 : 0));  // enabled
  w[86] = 0x1000;                // FLUSH CACHE enabled
  w[87] = 0x4000;                // bit 14 one
  // Word 255: integrity word: A5h in bits 7:0, and bits 15:8 make the sum of all 512
  // bytes zero modulo 256.
  uint8_t sum = 0xA5;
  for (unsigned i = 0; i < 255; ++i) sum = uint8_t(sum + (w[i] & 0xFF) + (w[i] >> 8));
  w[255] = uint16_t(uint8_t(-sum) << 8 | 0xA5);
  return w;
}

// ---- Data transfer ---------------------------------------------------------------------

void Ide::fill_block(unsigned slot) {
  Drive& d = drives_[slot];
  if (d.command == kCmdIdentify) {
    const std::array<uint16_t, 256> w = identify_data(slot);
    for (unsigned i = 0; i < 256; ++i) {
      d.buf[2 * i] = uint8_t(w[i]);
      d.buf[2 * i + 1] = uint8_t(w[i] >> 8);
    }
    d.buf_len = kSector;
  } else {
    const uint32_t n = std::min(d.block, d.remaining);
    for (uint32_t i = 0; i < n; ++i) {
      const uint64_t lba = d.lba + i;
      if (lba >= addressable(d)) {
        set_task_lba(d, lba);
        fail_now(slot, kIdnf);
        return;
      }
      if (!d.disk->read(lba, std::span<uint8_t, kSector>(d.buf.data() + i * kSector, kSector))) {
        set_task_lba(d, lba);
        fail_now(slot, kUnc);
        return;
      }
    }
    d.buf_len = n * kSector;
    set_task_lba(d, d.lba + n - 1);
    tf_.count = uint8_t(d.remaining - n);
  }
  d.buf_pos = 0;
  d.status = kDrdy | kDsc | kDrq;
  d.intrq = true;  // ATA-6 clause 9 "PIO data-in": INTRQ for every block
}

void Ide::block_read_done(unsigned slot) {
  Drive& d = drives_[slot];
  const uint32_t n = d.buf_len / kSector;
  d.buf_len = d.buf_pos = 0;
  d.remaining -= std::min(n, d.remaining);
  d.lba += n;
  if (d.remaining > 0) {
    d.status = kBsy;
    schedule(slot, Event::DataIn, std::min(d.block, d.remaining) * kSectorNs);
  } else {
    d.status = kDrdy | kDsc;
    d.command = 0;
  }
}

void Ide::want_block(unsigned slot, bool interrupt) {
  Drive& d = drives_[slot];
  const uint32_t n = std::min(d.block, d.remaining);
  for (uint32_t i = 0; i < n; ++i) {
    if (d.lba + i >= addressable(d)) {
      set_task_lba(d, d.lba + i);
      fail_now(slot, kIdnf);
      return;
    }
  }
  d.buf_len = n * kSector;
  d.buf_pos = 0;
  d.status = kDrdy | kDsc | kDrq;
  // ATA-6 clause 9 "PIO data-out": no INTRQ before the first block, one after every block.
  if (interrupt) d.intrq = true;
}

void Ide::commit_block(unsigned slot) {
  Drive& d = drives_[slot];
  const uint32_t n = d.buf_len / kSector;
  for (uint32_t i = 0; i < n; ++i) {
    if (!d.disk->write(d.lba + i, std::span<const uint8_t, kSector>(d.buf.data() + i * kSector, kSector))) {
      set_task_lba(d, d.lba + i);
      fail_now(slot, kAbrt);
      d.status |= kDf;  // the host file refused the write: a device fault
      return;
    }
  }
  set_task_lba(d, d.lba + n - 1);
  d.lba += n;
  d.remaining -= std::min(n, d.remaining);
  tf_.count = uint8_t(d.remaining);
  d.buf_len = d.buf_pos = 0;
  d.status = kBsy;
  schedule(slot, Event::BlockDone, n * kSectorNs);
}

bool Ide::data_in_ready(const Drive& d) const {
  return d.disk && (d.status & kDrq) && !is_write(d.command) && d.buf_pos + 2 <= d.buf_len;
}

bool Ide::data_out_ready(const Drive& d) const {
  return d.disk && (d.status & kDrq) && is_write(d.command) && d.buf_pos + 2 <= d.buf_len;
}

uint16_t Ide::data_word_in(unsigned slot) {
  Drive& d = drives_[slot];
  if (!data_in_ready(d)) return 0xFFFF;
  const uint16_t w = uint16_t(d.buf[d.buf_pos] | d.buf[d.buf_pos + 1] << 8);
  d.buf_pos += 2;
  if (d.buf_pos >= d.buf_len) block_read_done(slot);
  return w;
}

void Ide::data_word_out(unsigned slot, uint16_t w) {
  Drive& d = drives_[slot];
  if (!data_out_ready(d)) return;
  d.buf[d.buf_pos] = uint8_t(w);
  d.buf[d.buf_pos + 1] = uint8_t(w >> 8);
  d.buf_pos += 2;
  if (d.buf_pos >= d.buf_len) commit_block(slot);
}

// ---- Ports -----------------------------------------------------------------------------

int Ide::responder() const {
  const unsigned sel = selected();
  if (present(sel)) return int(sel);
  if (present(sel ^ 1)) return int(sel ^ 1);
  return -1;
}

uint32_t Ide::io_read(uint16_t port, unsigned size) {
  const int resp = responder();
  if (resp < 0) return 0;  // no device on the channel
  const unsigned sel = selected();
  if (port == kControlPort) return present(sel) ? drives_[sel].status : 0;  // Alternate Status
  switch (port - kCommandBase) {
    case 0: {
      if (!present(sel)) return 0xFFFFFFFF;
      const uint32_t lo = data_word_in(sel);
      if (size < 4) return lo;
      return lo | uint32_t(data_word_in(sel)) << 16;
    }
    case 1: return drives_[unsigned(resp)].error;
    case 2: return tf_.count;
    case 3: return tf_.lba_low;
    case 4: return tf_.lba_mid;
    case 5: return tf_.lba_high;
    case 6: return tf_.device;
    default: {
      if (!present(sel)) return 0;  // ATA-6 "Device 0 only configurations": 00h
      Drive& d = drives_[sel];
      const uint8_t s = d.status;
      if (d.intrq) {
        d.intrq = false;  // reading Status acknowledges the interrupt
        update_irq();
      }
      return s;
    }
  }
}

void Ide::io_write(uint16_t port, unsigned size, uint32_t value) {
  const uint8_t v = uint8_t(value);
  if (port == kControlPort) {
    const uint8_t old = tf_.control;
    tf_.control = v;
    if ((v & kSrst) && !(old & kSrst)) {
      // ATA-6 clause 9 "Software reset protocol": both devices go busy while SRST is set ...
      for (Drive& d : drives_) {
        cancel(d);
        d.status = d.disk ? kBsy : 0;
        d.intrq = false;
        d.command = 0;
        d.remaining = 0;
        d.buf_len = d.buf_pos = 0;
      }
    } else if (!(v & kSrst) && (old & kSrst)) {
      // ... and after it is released they run their diagnostics and post the signature.
      for (unsigned s = 0; s < 2; ++s) {
        Drive& d = drives_[s];
        if (!d.disk) continue;
        if (d.revert) default_settings(d);
        schedule(s, Event::Signature, kResetNs);
      }
    }
    update_irq();
    return;
  }
  const unsigned reg = port - kCommandBase;
  const unsigned sel = selected();
  if (reg == 0) {
    if (!present(sel)) return;
    data_word_out(sel, uint16_t(value));
    if (size == 4) data_word_out(sel, uint16_t(value >> 16));
    return;
  }
  if (reg == 7) {
    command(v);
    return;
  }
  // Command block registers: ignored while the responding device is busy.
  const int resp = responder();
  if (resp >= 0 && (drives_[unsigned(resp)].status & kBsy)) return;
  switch (reg) {
    case 1: tf_.features = v; break;
    case 2: tf_.count = v; break;
    case 3: tf_.lba_low = v; break;
    case 4: tf_.lba_mid = v; break;
    case 5: tf_.lba_high = v; break;
    default:
      tf_.device = v;
      update_irq();  // INTRQ follows the selected device
      break;
  }
}

// ---- Dump and snapshots ----------------------------------------------------------------

std::string Ide::dump() const {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line,
                "features=%02x\ncount=%02x\nlba_low=%02x\nlba_mid=%02x\nlba_high=%02x\ndevice=%02x\n"
                "control=%02x\nirq=%d\n",
                tf_.features, tf_.count, tf_.lba_low, tf_.lba_mid, tf_.lba_high, tf_.device, tf_.control,
                irq_.level() ? 1 : 0);
  out += line;
  for (unsigned s = 0; s < 2; ++s) {
    const Drive& d = drives_[s];
    if (!d.disk) {
      std::snprintf(line, sizeof line, "d%u.present=0\n", s);
      out += line;
      continue;
    }
    std::snprintf(line, sizeof line,
                  "d%u.present=1\nd%u.sectors=%llu\nd%u.writeback=%d\nd%u.status=%02x\nd%u.error=%02x\n"
                  "d%u.intrq=%d\n",
                  s, s, static_cast<unsigned long long>(d.disk->sectors()), s, d.disk->writeback() ? 1 : 0, s,
                  d.status, s, d.error, s, d.intrq ? 1 : 0);
    out += line;
    std::snprintf(line, sizeof line,
                  "d%u.multiple=%u\nd%u.chs=%u/%u/%u\nd%u.revert=%d\nd%u.write_cache=%d\nd%u.look_ahead=%d\n",
                  s, unsigned(d.multiple), s, unsigned(cylinders(d)), unsigned(d.heads), unsigned(d.spt), s,
                  d.revert ? 1 : 0, s, d.write_cache ? 1 : 0, s, d.look_ahead ? 1 : 0);
    out += line;
    std::snprintf(line, sizeof line,
                  "d%u.command=%02x\nd%u.lba=%llu\nd%u.remaining=%u\nd%u.block=%u\nd%u.buffer=%u/%u %016llx\n"
                  "d%u.event=%u@%llu\n",
                  s, d.command, s, static_cast<unsigned long long>(d.lba), s, d.remaining, s, d.block, s,
                  d.buf_pos, d.buf_len, static_cast<unsigned long long>(fnv1a(d.buf.data(), d.buf_len)), s,
                  unsigned(d.event), static_cast<unsigned long long>(d.due));
    out += line;
    std::snprintf(line, sizeof line, "d%u.overlay_sectors=%zu\nd%u.overlay_hash=%016llx\n", s,
                  d.disk->overlay().size(), s, static_cast<unsigned long long>(d.disk->overlay_hash()));
    out += line;
  }
  return out;
}

void Ide::save(StateWriter& w) const {
  w.section("ide");
  for (uint8_t b : {tf_.features, tf_.count, tf_.lba_low, tf_.lba_mid, tf_.lba_high, tf_.device, tf_.control}) {
    w.u8(b);
  }
  for (const Drive& d : drives_) {
    w.boolean(d.disk != nullptr);
    for (uint8_t b : {d.status, d.error, d.multiple, d.heads, d.spt, d.command, d.result_status, d.result_error}) {
      w.u8(b);
    }
    w.boolean(d.intrq);
    w.boolean(d.revert);
    w.boolean(d.write_cache);
    w.boolean(d.look_ahead);
    w.u64(d.lba);
    w.u32(d.remaining);
    w.u32(d.block);
    w.u32(d.buf_pos);
    w.bytes(std::span<const uint8_t>(d.buf.data(), d.buf_len));
    w.u8(uint8_t(d.event));
    w.u64(d.due);
  }
  for (const Drive& d : drives_) {
    if (d.disk) d.disk->save(w);
  }
}

void Ide::load(StateReader& r) {
  r.section("ide");
  TaskFile tf;
  tf.features = r.u8();
  tf.count = r.u8();
  tf.lba_low = r.u8();
  tf.lba_mid = r.u8();
  tf.lba_high = r.u8();
  tf.device = r.u8();
  tf.control = r.u8();
  // Parse and validate everything before changing anything.
  struct Loaded {
    uint8_t status, error, multiple, heads, spt, command, result_status, result_error;
    bool intrq, revert, write_cache, look_ahead;
    uint64_t lba, due;
    uint32_t remaining, block, buf_pos;
    std::vector<uint8_t> buf;
    Event event;
  };
  std::array<Loaded, 2> ld;
  for (unsigned s = 0; s < 2; ++s) {
    Loaded& l = ld[s];
    const bool was_present = r.boolean();
    r.check(was_present == present(s), "the snapshot has " + std::string(was_present ? "a" : "no") +
                                           " disk in slot " + std::to_string(s) + ", the machine has " +
                                           (present(s) ? "one" : "none"));
    l.status = r.u8();
    l.error = r.u8();
    l.multiple = r.u8();
    l.heads = r.u8();
    l.spt = r.u8();
    l.command = r.u8();
    l.result_status = r.u8();
    l.result_error = r.u8();
    l.intrq = r.boolean();
    l.revert = r.boolean();
    l.write_cache = r.boolean();
    l.look_ahead = r.boolean();
    l.lba = r.u64();
    l.remaining = r.u32();
    l.block = r.u32();
    l.buf_pos = r.u32();
    l.buf = r.bytes(kMaxMultiple * kSector);
    const uint8_t ev = r.u8();
    l.due = r.u64();
    const std::string who = "drive " + std::to_string(s) + ": ";
    r.check(l.multiple <= kMaxMultiple && (l.multiple & (l.multiple - 1)) == 0,
            who + "multiple count " + std::to_string(l.multiple));
    r.check(l.heads >= 1 && l.heads <= 16, who + "heads " + std::to_string(l.heads));
    r.check(l.spt >= 1, who + "0 sectors per track");
    r.check(l.lba <= kLba28Max + 256, who + "LBA " + std::to_string(l.lba));
    r.check(l.remaining <= 256, who + std::to_string(l.remaining) + " sectors remaining");
    r.check(l.block >= 1 && l.block <= kMaxMultiple, who + "block of " + std::to_string(l.block) + " sectors");
    r.check(l.buf.size() % kSector == 0 && l.buf.size() <= l.block * kSector,
            who + "a buffer of " + std::to_string(l.buf.size()) + " bytes");
    r.check(l.buf_pos % 2 == 0 && l.buf_pos <= l.buf.size(), who + "buffer position " + std::to_string(l.buf_pos));
    r.check(ev <= kEventMax, who + "event " + std::to_string(ev));
    l.event = Event(ev);
    r.check(present(s) || l.event == Event::None, who + "an event for an absent drive");
  }
  std::array<std::map<uint64_t, DiskImage::Sector>, 2> overlays;
  for (unsigned s = 0; s < 2; ++s) {
    if (present(s)) overlays[s] = drives_[s].disk->load_overlay(r);
  }
  // Commit.
  tf_ = tf;
  for (unsigned s = 0; s < 2; ++s) {
    Drive& d = drives_[s];
    const Loaded& l = ld[s];
    cancel(d);
    d.status = l.status;
    d.error = l.error;
    d.multiple = l.multiple;
    d.heads = l.heads;
    d.spt = l.spt;
    d.command = l.command;
    d.result_status = l.result_status;
    d.result_error = l.result_error;
    d.intrq = l.intrq;
    d.revert = l.revert;
    d.write_cache = l.write_cache;
    d.look_ahead = l.look_ahead;
    d.lba = l.lba;
    d.remaining = l.remaining;
    d.block = l.block;
    d.buf.fill(0);
    std::copy(l.buf.begin(), l.buf.end(), d.buf.begin());
    d.buf_len = uint32_t(l.buf.size());
    d.buf_pos = l.buf_pos;
    if (present(s)) d.disk->set_overlay(std::move(overlays[s]));
    if (l.event != Event::None) schedule_at(s, l.event, l.due);
  }
  const unsigned sel = selected();
  irq_.restore(!(tf_.control & kNien) && present(sel) && drives_[sel].intrq);
}

}  // namespace platform
