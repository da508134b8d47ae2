// The primary IDE channel (platform/devices/ide.h) driven through its ports, checked
// against ATA/ATAPI-6 (T13/1410D r3b): IDENTIFY DEVICE words (clause 8, IDENTIFY DEVICE
// table), the PIO data-in / data-out / non-data protocols and their BSY, DRQ and INTRQ
// sequence (clause 9), LBA and CHS addressing, multiple mode, errors (ABRT, IDNF), the
// software reset and the signature, absent devices, nIEN; and the disk image behind it:
// the overlay never touches the file, writeback does, snapshots round-trip and refuse
// malformed or foreign state.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "platform/devices/ide.h"
#include "platform/disk_image.h"
#include "platform/loaders/image.h"
#include "tests/unit/loader_test_util.h"

using namespace platform;

namespace {

constexpr uint16_t kData = 0x1F0, kError = 0x1F1, kFeatures = 0x1F1, kCount = 0x1F2, kLbaLow = 0x1F3,
                   kLbaMid = 0x1F4, kLbaHigh = 0x1F5, kDevice = 0x1F6, kStatus = 0x1F7, kCommand = 0x1F7,
                   kAltStatus = 0x3F6, kControl = 0x3F6;

// Status values (ATA-6 clause 7, Status register): DRDY|DSC idle, + DRQ, + ERR.
constexpr uint8_t kIdle = 0x50, kDrqReady = 0x58, kErrStatus = 0x51, kBusy = 0x80;

struct IrqLog : IrqRouter {
  void set_isa_irq(unsigned irq, bool level) override {
    edges.push_back(std::to_string(irq) + (level ? "+" : "-"));
  }
  std::vector<std::string> edges;
};

// Sector s holds its number in bytes 0-3 and (s * 7 + i) & 0xFF elsewhere.
ptest::Bytes disk_bytes(uint64_t sectors) {
  ptest::Bytes b(sectors * 512);
  for (uint64_t s = 0; s < sectors; ++s) {
    for (unsigned i = 0; i < 512; ++i) b[s * 512 + i] = uint8_t(s * 7 + i);
    ptest::put32(b, s * 512, uint32_t(s));
  }
  return b;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class IdeTest : public ::testing::Test {
 protected:
  IdeTest() {
    sched.set_clock(&cycles);
    clock.cpu_hz = 1'000'000'000;  // 1 cycle = 1 ns
    ide = std::make_unique<Ide>(sched, clock, &irqs);
  }

  // A disk of `sectors` sectors (contents: disk_bytes) in `slot`.
  std::string attach(unsigned slot, uint64_t sectors, bool writeback = false, const std::string& name = "") {
    const std::string path = dir.write(name.empty() ? "disk" + std::to_string(slot) + ".img" : name,
                                       disk_bytes(sectors));
    ide->attach(slot, DiskImage::open(path, writeback));
    return path;
  }

  uint8_t in8(uint16_t port) { return uint8_t(ide->io_read(port, 1)); }
  void out8(uint16_t port, uint8_t v) { ide->io_write(port, 1, v); }
  uint16_t in16() { return uint16_t(ide->io_read(kData, 2)); }
  void out16(uint16_t v) { ide->io_write(kData, 2, v); }
  // Machine time passes (1 GHz: ns = cycles) and due device events run.
  void wait(uint64_t ns) {
    cycles += ns;
    sched.run_due(cycles);
  }
  void settle() { wait(10'000'000); }

  void select_lba(unsigned slot, uint32_t lba, uint8_t count) {
    out8(kDevice, uint8_t(0xE0 | slot << 4 | ((lba >> 24) & 0x0F)));
    out8(kCount, count);
    out8(kLbaLow, uint8_t(lba));
    out8(kLbaMid, uint8_t(lba >> 8));
    out8(kLbaHigh, uint8_t(lba >> 16));
  }
  // Runs a non-data command and returns the final status.
  uint8_t non_data(uint8_t cmd) {
    out8(kCommand, cmd);
    settle();
    return in8(kStatus);
  }
  // Reads one 512-byte block of a data-in command that has DRQ set.
  ptest::Bytes read_block(unsigned sectors = 1) {
    ptest::Bytes b;
    for (unsigned i = 0; i < 256 * sectors; ++i) {
      const uint16_t w = in16();
      b.push_back(uint8_t(w));
      b.push_back(uint8_t(w >> 8));
    }
    return b;
  }
  void write_block(const ptest::Bytes& b) {
    for (size_t i = 0; i + 1 < b.size(); i += 2) out16(uint16_t(b[i] | b[i + 1] << 8));
  }
  std::array<uint16_t, 256> identify() {
    out8(kCommand, 0xEC);
    settle();
    EXPECT_EQ(in8(kStatus), kDrqReady);
    std::array<uint16_t, 256> w{};
    for (uint16_t& x : w) x = in16();
    return w;
  }

  uint64_t cycles = 0;
  Scheduler sched;
  Clock clock;
  IrqLog irqs;
  ptest::TempDir dir;
  std::unique_ptr<Ide> ide;
};

std::string ata_string(const std::array<uint16_t, 256>& w, unsigned first, unsigned words) {
  std::string s;
  for (unsigned i = 0; i < words; ++i) {
    s += char(w[first + i] >> 8);
    s += char(w[first + i] & 0xFF);
  }
  return s;
}

ptest::Bytes sector_of(uint64_t s) {
  const ptest::Bytes all = disk_bytes(s + 1);
  return ptest::Bytes(all.begin() + long(s * 512), all.end());
}

// ---- IDENTIFY DEVICE ---------------------------------------------------------------------

TEST_F(IdeTest, IdentifyDeviceWordsFollowAta6) {
  attach(0, 20 * 16 * 63);  // 20160 sectors: 20 cylinders of 16 heads x 63 sectors
  out8(kDevice, 0xA0);
  const auto w = identify();
  EXPECT_EQ(w[0], 0x0040);  // bit 15 = 0: ATA device; bit 6: not removable
  EXPECT_EQ(w[1], 20);      // default cylinders, heads, sectors per track
  EXPECT_EQ(w[3], 16);
  EXPECT_EQ(w[6], 63);
  // Strings: the first character of each pair in bits 15:8, padded with spaces.
  EXPECT_EQ(ata_string(w, 27, 20), "Ringside ATA disk                       ");
  EXPECT_EQ(ata_string(w, 10, 10), "RINGSIDE-ATA-0      ");
  EXPECT_EQ(ata_string(w, 23, 4), "1.0     ");
  EXPECT_EQ(w[47], 0x8010);        // 80h, up to 16 sectors per READ/WRITE MULTIPLE block
  EXPECT_TRUE(w[49] & 0x0200);     // LBA supported
  EXPECT_FALSE(w[49] & 0x0100);    // no DMA
  EXPECT_EQ(w[50] & 0xC000, 0x4000);
  EXPECT_EQ(w[53] & 0x0001, 0x0001);  // words 54-58 valid
  EXPECT_EQ(w[54], 20);
  EXPECT_EQ(w[55], 16);
  EXPECT_EQ(w[56], 63);
  EXPECT_EQ(w[57] | uint32_t(w[58]) << 16, 20160u);  // current CHS capacity
  EXPECT_EQ(w[59], 0);                                // multiple mode not set yet
  EXPECT_EQ(w[60] | uint32_t(w[61]) << 16, 20160u);   // LBA28 user-addressable sectors
  EXPECT_TRUE(w[80] & 0x0040);                        // ATA/ATAPI-6
  EXPECT_EQ(w[83] & 0xC000, 0x4000);                  // bit 14 one, bit 15 zero
  EXPECT_FALSE(w[83] & 0x0400);                       // no 48-bit address feature set
  // Word 255: signature A5h, and all 512 bytes sum to zero modulo 256.
  EXPECT_EQ(w[255] & 0xFF, 0xA5);
  uint8_t sum = 0;
  for (uint16_t x : w) sum = uint8_t(sum + (x & 0xFF) + (x >> 8));
  EXPECT_EQ(sum, 0);
  // After the last word: DRQ off, DRDY (PIO data-in protocol).
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(ide->identify_data(0), w);
}

TEST_F(IdeTest, IdentifyGeometryOfLargeAndTinyDisks) {
  // Above the 16,514,064-sector CHS limit: a sparse file, 8.7 GB long but taking no space.
  const std::string big_path = dir.write("big.img", {});
  std::filesystem::resize_file(big_path, 17'000'000ull * 512);
  ide->attach(0, DiskImage::open(big_path, false));
  attach(1, 100);         // less than one 16 x 63 cylinder
  const auto big = ide->identify_data(0);
  EXPECT_EQ(big[1], 16383);
  EXPECT_EQ(big[60] | uint32_t(big[61]) << 16, 17'000'000u);
  const auto tiny = ide->identify_data(1);
  EXPECT_EQ(tiny[3], 1);   // 100 sectors: one head of 63 sectors, one cylinder
  EXPECT_EQ(tiny[6], 63);
  EXPECT_EQ(tiny[1], 1);
}

// ---- Status, DRQ and INTRQ ---------------------------------------------------------------

TEST_F(IdeTest, DataInProtocolBusyThenDrqAndIrqPerSector) {
  attach(0, 64);
  select_lba(0, 5, 3);
  out8(kCommand, 0x20);
  EXPECT_EQ(in8(kAltStatus), kBusy);  // BSY at once
  EXPECT_FALSE(ide->irq());
  wait(Ide::kCommandNs + Ide::kSectorNs);
  for (uint32_t s = 5; s < 8; ++s) {
    ASSERT_TRUE(ide->irq()) << s;
    EXPECT_EQ(in8(kAltStatus), kDrqReady);
    EXPECT_TRUE(ide->irq()) << "Alternate Status does not acknowledge the interrupt";
    EXPECT_EQ(in8(kStatus), kDrqReady);
    EXPECT_FALSE(ide->irq()) << "reading Status acknowledges it";
    EXPECT_EQ(read_block(), sector_of(s));
    if (s < 7) {
      EXPECT_EQ(in8(kAltStatus), kBusy);  // the next sector is being fetched
      wait(Ide::kSectorNs);
    }
  }
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_FALSE(ide->irq());
  // The task file points at the last sector transferred; nothing remains.
  EXPECT_EQ(in8(kLbaLow), 7);
  EXPECT_EQ(in8(kCount), 0);
  EXPECT_EQ(irqs.edges, (std::vector<std::string>{"14+", "14-", "14+", "14-", "14+", "14-"}));
  // Without DRQ the Data register reads all ones and ignores writes.
  EXPECT_EQ(in16(), 0xFFFF);
}

TEST_F(IdeTest, InterruptsAreMaskedByNienAndDeliveredWhenItClears) {
  attach(0, 64);
  out8(kControl, 0x02);  // nIEN
  out8(kDevice, 0xA0);
  EXPECT_EQ(non_data(0xE7), kIdle);  // FLUSH CACHE completes, its INTRQ held back
  EXPECT_FALSE(ide->irq());
  out8(kDevice, 0xA0);
  out8(kCommand, 0xE7);
  settle();
  EXPECT_FALSE(ide->irq());
  out8(kControl, 0x00);  // INTRQ driven again: the pending interrupt shows
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_FALSE(ide->irq());
}

TEST_F(IdeTest, SectorCountZeroMeans256) {
  attach(0, 600);
  select_lba(0, 10, 0);
  out8(kCommand, 0x20);
  unsigned blocks = 0;
  for (;;) {
    settle();
    if (!(in8(kStatus) & 0x08)) break;
    EXPECT_EQ(read_block(), sector_of(10 + blocks));
    ++blocks;
  }
  EXPECT_EQ(blocks, 256u);
  EXPECT_EQ(in8(kStatus), kIdle);
}

TEST_F(IdeTest, ThirtyTwoBitDataAccessMovesTwoWords) {
  attach(0, 16);
  select_lba(0, 3, 1);
  out8(kCommand, 0x20);
  settle();
  const ptest::Bytes want = sector_of(3);
  for (unsigned i = 0; i < 128; ++i) {
    EXPECT_EQ(ide->io_read(kData, 4), ptest::get32(want, i * 4)) << i;
  }
  EXPECT_EQ(in8(kStatus), kIdle);
}

// ---- Addressing ----------------------------------------------------------------------------

TEST_F(IdeTest, ChsAddressingUsesTheCurrentTranslation) {
  attach(0, 20 * 16 * 63);
  // C/H/S 1/2/3 with 16 heads, 63 sectors: LBA = (1 * 16 + 2) * 63 + 3 - 1 = 1136.
  out8(kDevice, 0xA0 | 2);
  out8(kCount, 1);
  out8(kLbaLow, 3);
  out8(kLbaMid, 1);
  out8(kLbaHigh, 0);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(read_block(), sector_of(1136));
  // INITIALIZE DEVICE PARAMETERS: 8 heads (Device bits 3:0 = 7), 32 sectors per track.
  out8(kDevice, 0xA0 | 7);
  out8(kCount, 32);
  EXPECT_EQ(non_data(0x91), kIdle);
  const auto w = identify();
  EXPECT_EQ(w[55], 8);
  EXPECT_EQ(w[56], 32);
  EXPECT_EQ(w[54], 20160 / (8 * 32));
  // Now 1/2/3 is (1 * 8 + 2) * 32 + 2 = 322.
  out8(kDevice, 0xA0 | 2);
  out8(kCount, 1);
  out8(kLbaLow, 3);
  out8(kLbaMid, 1);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(read_block(), sector_of(322));
  // Sector 0 does not exist in CHS; neither does head 8 now.
  out8(kLbaLow, 0);
  EXPECT_EQ(non_data(0x20), kErrStatus);
  EXPECT_EQ(in8(kError), 0x10);  // IDNF
  out8(kDevice, 0xA0 | 8);
  out8(kLbaLow, 1);
  EXPECT_EQ(non_data(0x20), kErrStatus);
  EXPECT_EQ(in8(kError), 0x10);
}

TEST_F(IdeTest, ReadPastTheEndStopsWithIdnfAtTheFirstMissingSector) {
  attach(0, 64);
  select_lba(0, 63, 2);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(in8(kStatus), kDrqReady);
  EXPECT_EQ(read_block(), sector_of(63));
  settle();
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kErrStatus);
  EXPECT_EQ(in8(kError), 0x10);  // IDNF
  EXPECT_EQ(in8(kLbaLow), 64);   // the address of the sector that was not found
  // READ VERIFY beyond the end, and a write that starts there.
  select_lba(0, 60, 8);
  EXPECT_EQ(non_data(0x40), kErrStatus);
  EXPECT_EQ(in8(kError), 0x10);
  select_lba(0, 60, 4);
  EXPECT_EQ(non_data(0x40), kIdle);
  select_lba(0, 64, 1);
  out8(kCommand, 0x30);
  settle();
  EXPECT_EQ(in8(kStatus), kErrStatus);
  EXPECT_EQ(in8(kError), 0x10);
}

TEST_F(IdeTest, UnknownCommandsAbort) {
  attach(0, 64);
  out8(kDevice, 0xE0);
  for (uint8_t cmd : {0x24, 0x25, 0xC8, 0xA0, 0xA1, 0x08, 0x00, 0xFF}) {  // EXT, DMA, PACKET...
    out8(kCommand, cmd);
    EXPECT_EQ(in8(kAltStatus), kBusy);
    settle();
    EXPECT_TRUE(ide->irq()) << int(cmd);
    EXPECT_EQ(in8(kStatus), kErrStatus) << int(cmd);
    EXPECT_EQ(in8(kError), 0x04) << int(cmd);  // ABRT
  }
  // SET FEATURES: PIO flow control mode 4 is accepted, Ultra DMA and unknown ones are not.
  out8(kFeatures, 0x03);
  out8(kCount, 0x0C);
  EXPECT_EQ(non_data(0xEF), kIdle);
  out8(kCount, 0x45);
  EXPECT_EQ(non_data(0xEF), kErrStatus);
  out8(kFeatures, 0x99);
  EXPECT_EQ(non_data(0xEF), kErrStatus);
  out8(kFeatures, 0x82);  // write cache off: IDENTIFY word 85 bit 5 follows
  EXPECT_EQ(non_data(0xEF), kIdle);
  EXPECT_FALSE(ide->identify_data(0)[85] & 0x20);
  EXPECT_EQ(non_data(0xE5), kIdle);  // CHECK POWER MODE: active
  EXPECT_EQ(in8(kCount), 0xFF);
}

// ---- Writes and the overlay ------------------------------------------------------------------

TEST_F(IdeTest, DataOutProtocolAndTheOverlayLeavesTheFileAlone) {
  const std::string path = attach(0, 64);
  const std::string before = file_bytes(path);
  ptest::Bytes a(512, 0xAA), b(512);
  for (unsigned i = 0; i < 512; ++i) b[i] = uint8_t(255 - i);
  select_lba(0, 9, 2);
  out8(kCommand, 0x30);
  // DRQ for the first block at once (ide.h: as QEMU, for xv6's idestart).
  EXPECT_EQ(in8(kAltStatus), kDrqReady);
  settle();
  EXPECT_EQ(in8(kAltStatus), kDrqReady);
  EXPECT_FALSE(ide->irq()) << "no interrupt before the first data-out block";
  write_block(a);
  EXPECT_EQ(in8(kAltStatus), kBusy);
  settle();
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kDrqReady);
  write_block(b);
  settle();
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(in8(kLbaLow), 10);
  // Read back through the device: the overlay.
  select_lba(0, 8, 3);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(read_block(), sector_of(8));
  settle();
  EXPECT_EQ(read_block(), a);
  settle();
  EXPECT_EQ(read_block(), b);
  EXPECT_EQ(ide->disk(0)->overlay().size(), 2u);
  EXPECT_EQ(file_bytes(path), before);
}

TEST_F(IdeTest, WritebackWritesTheFile) {
  const std::string path = attach(0, 64, /*writeback=*/true);
  ptest::Bytes a(512);
  for (unsigned i = 0; i < 512; ++i) a[i] = uint8_t(i ^ 0x5A);
  select_lba(0, 33, 1);
  out8(kCommand, 0x30);
  settle();
  write_block(a);
  settle();
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_TRUE(ide->disk(0)->overlay().empty());
  ptest::Bytes want = disk_bytes(64);
  std::copy(a.begin(), a.end(), want.begin() + 33 * 512);
  EXPECT_EQ(file_bytes(path), std::string(want.begin(), want.end()));
}

TEST_F(IdeTest, MultipleModeTransfersBlocksOfTheMultipleCount) {
  attach(0, 64);
  out8(kDevice, 0xE0);
  EXPECT_EQ(non_data(0xC4), kErrStatus);  // READ MULTIPLE while disabled: ABRT
  EXPECT_EQ(in8(kError), 0x04);
  out8(kCount, 3);
  EXPECT_EQ(non_data(0xC6), kErrStatus);  // not a power of two
  out8(kCount, 32);
  EXPECT_EQ(non_data(0xC6), kErrStatus);  // above IDENTIFY word 47
  out8(kCount, 4);
  EXPECT_EQ(non_data(0xC6), kIdle);
  EXPECT_EQ(ide->identify_data(0)[59], 0x0104);
  // READ MULTIPLE of 10 sectors: blocks of 4, 4 and 2, one interrupt each.
  select_lba(0, 20, 10);
  out8(kCommand, 0xC4);
  const unsigned sizes[] = {4, 4, 2};
  uint64_t s = 20;
  for (unsigned n : sizes) {
    settle();
    ASSERT_TRUE(ide->irq());
    EXPECT_EQ(in8(kStatus), kDrqReady);
    for (unsigned i = 0; i < n; ++i) {
      EXPECT_EQ(read_block(), sector_of(s)) << s;
      ++s;
      if (i + 1 < n) {
        EXPECT_EQ(in8(kAltStatus), kDrqReady) << "DRQ stays set within a block";
      }
    }
  }
  EXPECT_EQ(in8(kStatus), kIdle);
  // WRITE MULTIPLE of 6 sectors: blocks of 4 and 2.
  select_lba(0, 40, 6);
  out8(kCommand, 0xC5);
  settle();
  EXPECT_FALSE(ide->irq());
  for (unsigned i = 0; i < 4; ++i) write_block(ptest::Bytes(512, uint8_t(i + 1)));
  settle();
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kDrqReady);
  for (unsigned i = 4; i < 6; ++i) write_block(ptest::Bytes(512, uint8_t(i + 1)));
  settle();
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(ide->disk(0)->overlay().size(), 6u);
  EXPECT_EQ(ide->disk(0)->overlay().at(45)[0], 6);
}

// ---- Reset, diagnostics, absent devices ---------------------------------------------------

TEST_F(IdeTest, SoftwareResetPostsTheSignature) {
  attach(0, 64);
  out8(kCount, 4);
  out8(kDevice, 0xE0);
  EXPECT_EQ(non_data(0xC6), kIdle);  // multiple mode 4
  select_lba(0, 0x123456, 9);
  out8(kControl, 0x04);  // SRST
  EXPECT_EQ(in8(kAltStatus), kBusy);
  settle();
  EXPECT_EQ(in8(kAltStatus), kBusy);  // busy as long as SRST is set
  out8(kControl, 0x00);
  wait(Ide::kResetNs - 1);
  EXPECT_EQ(in8(kAltStatus), kBusy);
  wait(1);
  EXPECT_EQ(in8(kAltStatus), kIdle);
  // ATA signature and diagnostic code 01h; no interrupt for a software reset.
  EXPECT_EQ(in8(kCount), 0x01);
  EXPECT_EQ(in8(kLbaLow), 0x01);
  EXPECT_EQ(in8(kLbaMid), 0x00);
  EXPECT_EQ(in8(kLbaHigh), 0x00);
  EXPECT_EQ(in8(kDevice), 0x00);
  EXPECT_EQ(in8(kError), 0x01);
  EXPECT_FALSE(ide->irq());
  EXPECT_EQ(ide->identify_data(0)[59], 0) << "multiple mode reverts to the default";
}

TEST_F(IdeTest, ExecuteDeviceDiagnosticRunsOnBothAndInterruptsFromDevice0) {
  attach(0, 64);
  attach(1, 32);
  out8(kDevice, 0xB0);  // device 1 selected
  out8(kCommand, 0x90);
  settle();
  EXPECT_EQ(in8(kDevice), 0x00);  // the signature selects device 0
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(in8(kError), 0x01);
  out8(kDevice, 0xB0);
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(in8(kError), 0x01);
  EXPECT_EQ(in8(kLbaLow), 0x01);
}

TEST_F(IdeTest, AbsentDevice1ReadsZeroStatusAndIgnoresCommands) {
  attach(0, 64);
  out8(kDevice, 0xB0);
  out8(kCount, 0x12);
  EXPECT_EQ(in8(kStatus), 0x00);     // ATA-6 "Device 0 only configurations"
  EXPECT_EQ(in8(kAltStatus), 0x00);
  EXPECT_EQ(in8(kCount), 0x12);      // other registers answer as device 0's
  out8(kCommand, 0xEC);
  settle();
  EXPECT_EQ(in8(kStatus), 0x00);
  EXPECT_FALSE(ide->irq());
  out8(kDevice, 0xA0);
  EXPECT_EQ(in8(kStatus), kIdle);    // device 0 never saw the command
  // A channel with no device at all reads 00h everywhere.
  Ide empty(sched, clock, &irqs);
  for (uint16_t p = 0x1F0; p <= 0x1F7; ++p) EXPECT_EQ(empty.io_read(p, 1), 0u) << p;
  EXPECT_EQ(empty.io_read(kAltStatus, 1), 0u);
  empty.io_write(kCommand, 1, 0xEC);
  empty.io_write(kControl, 1, 0x04);
  empty.io_write(kControl, 1, 0x00);
  settle();
  EXPECT_EQ(empty.io_read(kStatus, 1), 0u);
}

TEST_F(IdeTest, CommandBlockWritesAreIgnoredWhileBusy) {
  attach(0, 64);
  select_lba(0, 7, 1);
  out8(kCommand, 0x20);
  out8(kLbaLow, 50);       // BSY: dropped
  out8(kCommand, 0xEC);    // BSY: dropped
  settle();
  EXPECT_EQ(read_block(), sector_of(7));
  EXPECT_EQ(in8(kStatus), kIdle);
}

TEST_F(IdeTest, DataWrittenRightAfterTheWriteCommandIsKept) {
  // xv6's idestart: outb(0x1f7, WRITE SECTORS) then outsl of the sector at once, with no
  // status poll in between; then the completion interrupt, and the sector on the disk.
  attach(0, 16);
  select_lba(0, 7, 1);
  out8(kCommand, 0x30);
  write_block(ptest::Bytes(512, 0x6B));
  EXPECT_EQ(in8(kAltStatus), kBusy);
  settle();
  EXPECT_TRUE(ide->irq());
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(ide->disk(0)->overlay().size(), 1u);
  select_lba(0, 7, 1);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(read_block(), ptest::Bytes(512, 0x6B));
}

TEST_F(IdeTest, PowerOnResetKeepsTheDiskContents) {
  attach(0, 16);
  select_lba(0, 4, 1);
  out8(kCommand, 0x30);
  settle();
  write_block(ptest::Bytes(512, 0xC3));
  settle();
  ide->reset();  // a machine reset: registers to power-on, the disk keeps what was written
  EXPECT_EQ(in8(kStatus), kIdle);
  EXPECT_EQ(in8(kLbaLow), 0x01);  // the signature
  select_lba(0, 4, 1);
  out8(kCommand, 0x20);
  settle();
  EXPECT_EQ(read_block(), ptest::Bytes(512, 0xC3));
}

// ---- Snapshots --------------------------------------------------------------------------------

TEST_F(IdeTest, SaveLoadRoundTripMidTransfer) {
  const std::string path = attach(0, 64);
  // Overlay content, then a read left half-way through its block, then a write pending.
  select_lba(0, 2, 1);
  out8(kCommand, 0x30);
  settle();
  write_block(ptest::Bytes(512, 0x77));
  settle();
  in8(kStatus);
  select_lba(0, 2, 2);
  out8(kCommand, 0x20);
  settle();
  const ptest::Bytes first_half = [&] {
    ptest::Bytes b;
    for (int i = 0; i < 128; ++i) {
      const uint16_t w = in16();
      b.push_back(uint8_t(w));
      b.push_back(uint8_t(w >> 8));
    }
    return b;
  }();
  EXPECT_EQ(first_half, ptest::Bytes(256, 0x77));
  StateWriter w;
  ide->save(w);
  const std::string dump = ide->dump();

  Ide other(sched, clock, &irqs);
  other.attach(0, DiskImage::open(path, false));
  StateReader r(w.data());
  other.load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(other.dump(), dump);
  // Both continue identically: the rest of sector 2 (overlay), then sector 3 from the file.
  for (Ide* d : {ide.get(), &other}) {
    ptest::Bytes rest;
    for (int i = 0; i < 128; ++i) {
      const uint16_t x = uint16_t(d->io_read(kData, 2));
      rest.push_back(uint8_t(x));
      rest.push_back(uint8_t(x >> 8));
    }
    EXPECT_EQ(rest, ptest::Bytes(256, 0x77));
  }
  settle();  // the scheduled next-sector event of `other` was re-armed from its state
  EXPECT_EQ(other.io_read(kStatus, 1), kDrqReady);
  EXPECT_EQ(ide->io_read(kStatus, 1), kDrqReady);
  EXPECT_EQ(other.dump(), ide->dump());
}

TEST_F(IdeTest, LoadRejectsMalformedOrForeignState) {
  attach(0, 64);
  select_lba(0, 1, 1);
  out8(kCommand, 0x30);
  settle();
  write_block(ptest::Bytes(512, 1));
  settle();
  StateWriter w;
  ide->save(w);
  const std::vector<uint8_t> good = w.data();
  const std::string before = ide->dump();
  auto load = [&](const std::vector<uint8_t>& bytes, Ide& target) {
    StateReader r(bytes);
    target.load(r);
  };
  // Truncated anywhere.
  for (size_t n : {size_t(0), size_t(10), good.size() / 2, good.size() - 1}) {
    EXPECT_THROW(load(std::vector<uint8_t>(good.begin(), good.begin() + long(n)), *ide), StateError) << n;
  }
  // Drive 0's multiple count (after the section name, 7 task-file bytes, the presence flag,
  // status and error) set to 3.
  std::vector<uint8_t> bad = good;
  const size_t section = 8 + 3;
  bad[section + 7 + 1 + 2] = 3;
  EXPECT_THROW(load(bad, *ide), StateError);
  EXPECT_EQ(ide->dump(), before) << "a failed load changes nothing";
  // Another image of the same size, or a machine without the disk.
  Ide foreign(sched, clock, &irqs);
  foreign.attach(0, DiskImage::open(dir.write("other.img", ptest::Bytes(64 * 512, 0)), false));
  EXPECT_THROW(load(good, foreign), StateError);
  Ide none(sched, clock, &irqs);
  EXPECT_THROW(load(good, none), StateError);
  load(good, *ide);
  EXPECT_EQ(ide->dump(), before);
}

TEST(DiskImage, OpenRefusesMissingEmptyAndPartialSectorFiles) {
  ptest::TempDir dir;
  EXPECT_THROW(DiskImage::open(dir.file("missing.img"), false), LoadError);
  EXPECT_THROW(DiskImage::open(dir.write("empty.img", {}), false), LoadError);
  try {
    DiskImage::open(dir.write("odd.img", ptest::Bytes(1000, 0)), false);
    ADD_FAILURE() << "a 1000-byte image was accepted";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of the 512-byte sector"), std::string::npos) << e.what();
  }
  EXPECT_THROW(DiskImage::open(dir.file(""), false), LoadError);  // a directory
  EXPECT_EQ(DiskImage::open(dir.write("ok.img", ptest::Bytes(1024, 0)), false)->sectors(), 2u);
}

// ---- Untrusted guests ---------------------------------------------------------------------------

TEST_F(IdeTest, RandomRegisterTrafficIsSafe) {
  attach(0, 40);
  attach(1, 3);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const uint16_t ports[] = {0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6};
  const uint8_t commands[] = {0x20, 0x30, 0xC4, 0xC5, 0xC6, 0xEC, 0x90, 0x91, 0x40, 0xEF, 0xE7};
  for (int i = 0; i < 200'000; ++i) {
    const uint64_t r = next();
    const uint16_t port = ports[r % 9];
    const unsigned size = 1u << ((r >> 8) % 3);
    if ((r >> 12) & 1) {
      uint32_t v = uint32_t(r >> 32);
      if (port == kCommand && ((r >> 14) & 3)) v = commands[(r >> 20) % sizeof commands];
      if (port == kControl && ((r >> 16) & 7)) v &= 0x02;  // SRST rarely
      ide->io_write(port, size, v);
    } else {
      ide->io_read(port, size);
    }
    if ((r >> 24) % 16 == 0) wait((r >> 40) % 30'000);
  }
  settle();
  EXPECT_FALSE(ide->dump().empty());
}

}  // namespace
