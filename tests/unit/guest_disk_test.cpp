// The IDE guest kernel (tests/guests/disk.S) through `ringside run --disk0`: it identifies
// the disk, reads sectors in LBA and CHS mode, writes one and reads it back, all by
// polling (ATA/ATAPI-6 PIO protocols). The test builds the disk image, checks the guest's
// output and exit status, that the image file is untouched by default (overlay) and
// changed exactly at the written sector with --disk-writeback, that two runs give
// byte-identical traces and state hashes, and the disk options' errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "debugger/run_command.h"
#include "tests/unit/loader_test_util.h"

namespace {

const std::string kGuests = RINGSIDE_GUEST_DIR;

struct DiskRun {
  int status = -1;
  std::string out, err, trace;
};

DiskRun run_disk(std::vector<std::string> args, const ptest::TempDir& dir, const std::string& trace_name = "") {
  DiskRun r;
  if (!trace_name.empty()) {
    args.push_back("--trace");
    args.push_back(dir.file(trace_name));
  }
  std::ostringstream err, help;
  debugger::RunIo io;
  io.guest_output = [&r](uint8_t b) { r.out += char(b); };
  io.err = &err;
  r.status = debugger::run_main(args, io, help);
  r.err = err.str();
  if (!trace_name.empty()) {
    std::ifstream in(dir.file(trace_name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    r.trace = ss.str();
  }
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// 64 sectors; byte i of sector s is (13 s + 7 i) & 0xFF, and sector 0 starts with the
// NUL-terminated line the kernel prints.
ptest::Bytes disk_image() {
  ptest::Bytes b(64 * 512);
  for (size_t s = 0; s < 64; ++s) {
    for (size_t i = 0; i < 512; ++i) b[s * 512 + i] = uint8_t(s * 13 + i * 7);
  }
  const std::string hello = "hello from sector 0";
  std::copy(hello.begin(), hello.end(), b.begin());
  b[hello.size()] = 0;
  return b;
}

// The kernel's checksum: the 32-bit sum of the 256 dwords of sectors 0 and 1.
std::string checksum(const ptest::Bytes& img) {
  uint32_t sum = 0;
  for (size_t i = 0; i < 1024; i += 4) sum += ptest::get32(img, i);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08x", sum);
  return buf;
}

std::string expected_output(const ptest::Bytes& img) {
  return "disk: model \"Ringside ATA disk\"\n"
         "disk: 64 sectors\n"
         "disk: sector 0 says \"hello from sector 0\"\n"
         "disk: checksum of sectors 0-1: " + checksum(img) + "\n"
         "disk: CHS 0/0/2 is LBA 1\n"
         "disk: sector 5 written and read back\n"
         "disk: no device 1\n"
         "disk: done\n";
}

TEST(GuestDisk, ReadsWritesAndLeavesTheImageAlone) {
  ptest::TempDir dir;
  const ptest::Bytes img = disk_image();
  const std::string path = dir.write("disk.img", img);
  const DiskRun r = run_disk({"--disk0", path, kGuests + "/disk.elf"}, dir, "disk.jsonl");
  EXPECT_EQ(r.out, expected_output(img)) << r.err;
  EXPECT_EQ(r.status, (0x10 << 1) | 1) << r.err;
  EXPECT_EQ(slurp(path), std::string(img.begin(), img.end())) << "the overlay must not touch the file";
  EXPECT_NE(r.err.find("disk0: " + path + " (64 sectors, overlay"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("disk0: 1 sectors in the overlay"), std::string::npos) << r.err;
  // Polling only: no interrupt, exception or mode change in the trace, and the port I/O
  // of REP INSW / OUTSW is there.
  EXPECT_EQ(r.trace.find("\"kind\":\"interrupt\""), std::string::npos);
  EXPECT_EQ(r.trace.find("\"kind\":\"exception\""), std::string::npos);
  EXPECT_NE(r.trace.find("\"port\":496"), std::string::npos);  // 0x1F0
}

TEST(GuestDisk, WritebackChangesExactlyTheWrittenSector) {
  ptest::TempDir dir;
  const ptest::Bytes img = disk_image();
  const std::string path = dir.write("disk.img", img);
  const DiskRun r = run_disk({"--disk0", path, "--disk-writeback", kGuests + "/disk.elf"}, dir);
  EXPECT_EQ(r.out, expected_output(img)) << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  ptest::Bytes want = img;
  for (size_t j = 0; j < 512; ++j) want[5 * 512 + j] = uint8_t(3 * j + 0x5A);  // disk.S's pattern
  EXPECT_EQ(slurp(path), std::string(want.begin(), want.end()));
  EXPECT_NE(r.err.find("writeback"), std::string::npos) << r.err;
}

TEST(GuestDisk, TwoRunsGiveIdenticalTracesAndStateHashes) {
  ptest::TempDir dir;
  const std::string path = dir.write("disk.img", disk_image());
  const DiskRun a = run_disk({"--disk0", path, "--dump-state", kGuests + "/disk.elf"}, dir, "a.jsonl");
  const DiskRun b = run_disk({"--disk0", path, "--dump-state", kGuests + "/disk.elf"}, dir, "b.jsonl");
  ASSERT_FALSE(a.trace.empty());
  EXPECT_EQ(a.trace, b.trace);
  const size_t pa = a.err.find("state hash"), pb = b.err.find("state hash");
  ASSERT_NE(pa, std::string::npos) << a.err;
  ASSERT_NE(pb, std::string::npos) << b.err;
  EXPECT_EQ(a.err.substr(pa, a.err.find('\n', pa) - pa), b.err.substr(pb, b.err.find('\n', pb) - pb));
  // The dump shows the device, its overlay included.
  EXPECT_NE(a.err.find("[ide]"), std::string::npos);
  EXPECT_NE(a.err.find("d0.overlay_sectors=1"), std::string::npos) << a.err;
}

TEST(GuestDisk, ASlaveDiskIsSeenByTheKernel) {
  // With --disk1 the kernel's "no device 1" check fails: device 1 now answers.
  ptest::TempDir dir;
  const std::string d0 = dir.write("d0.img", disk_image());
  const std::string d1 = dir.write("d1.img", ptest::Bytes(8 * 512, 0));
  const DiskRun r = run_disk({"--disk0", d0, "--disk1", d1, kGuests + "/disk.elf"}, dir);
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.out.find("device 1 answers though no disk is attached status=00000050"), std::string::npos) << r.out;
}

TEST(GuestDiskBoot, BootSectorLoadsItsStage2ByPio) {
  // diskboot.img is 4 MiB, so --boot also attaches it as disk0; sector 0 reads sectors 1-3
  // with READ SECTORS and REP INSL (32-bit Data accesses) and runs them, in real mode.
  ptest::TempDir dir;
  const DiskRun r = run_disk({"--boot", kGuests + "/diskboot.img"}, dir, "boot.jsonl");
  EXPECT_EQ(r.out, "diskboot: stage 2 loaded by PIO from sectors 1-3\ndiskboot: done\n") << r.err;
  EXPECT_EQ(r.status, 33) << r.err;
  EXPECT_NE(r.err.find("from --boot"), std::string::npos) << r.err;
  EXPECT_EQ(r.trace.find("\"kind\":\"mode_change\""), std::string::npos);
  EXPECT_NE(r.trace.find("\"port\":496,\"size\":4"), std::string::npos) << "32-bit Data reads";
}

TEST(GuestDisk, DiskOptionErrors) {
  ptest::TempDir dir;
  const std::string kernel = kGuests + "/disk.elf";
  DiskRun r = run_disk({"--disk0", dir.file("missing.img"), kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitLoadError);
  EXPECT_NE(r.err.find("missing.img: cannot open the disk image"), std::string::npos) << r.err;
  r = run_disk({"--disk1", dir.write("empty.img", {}), kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitLoadError);
  EXPECT_NE(r.err.find("empty.img: the disk image is empty"), std::string::npos) << r.err;
  r = run_disk({"--disk0", dir.write("odd.img", ptest::Bytes(700, 1)), kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitLoadError);
  EXPECT_NE(r.err.find("not a multiple of the 512-byte sector"), std::string::npos) << r.err;
  const std::string ok = dir.write("ok.img", ptest::Bytes(512, 0));
  r = run_disk({"--disk0", ok, "--disk1", ok, kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitUsage);
  EXPECT_NE(r.err.find("name the same file"), std::string::npos) << r.err;
  r = run_disk({"--disk-writeback", kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitUsage);
  r = run_disk({"--disk0", "", kernel}, dir);
  EXPECT_EQ(r.status, debugger::kExitUsage);
}

TEST(GuestDisk, BootImagesLargerThanAFloppyAreAlsoDisk0) {
  ptest::TempDir dir;
  // hello16's boot sector padded to 4 MB: booted with DL = 0x80, attached as disk0.
  ptest::Bytes boot = [] {
    std::ifstream in(kGuests + "/hello16.bin", std::ios::binary);
    return ptest::Bytes(std::istreambuf_iterator<char>(in), {});
  }();
  ASSERT_EQ(boot.size(), 512u);
  const std::string hd = dir.write("hd.img", boot);
  std::filesystem::resize_file(hd, 4 * 1024 * 1024);
  DiskRun r = run_disk({"--boot", hd}, dir);
  EXPECT_EQ(r.out, "hello16\n") << r.err;
  EXPECT_NE(r.err.find("disk0: " + hd + " (8192 sectors, overlay; the file is not modified) from --boot"),
            std::string::npos)
      << r.err;
  // --disk0 takes precedence; the floppy-sized image is not a disk.
  const std::string other = dir.write("other.img", ptest::Bytes(1024, 0));
  r = run_disk({"--boot", hd, "--disk0", other}, dir);
  EXPECT_NE(r.err.find("disk0: " + other + " (2 sectors"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("from --boot"), std::string::npos) << r.err;
  r = run_disk({"--boot", kGuests + "/hello16.img"}, dir);
  EXPECT_EQ(r.err.find("disk0"), std::string::npos) << r.err;
}

}  // namespace
