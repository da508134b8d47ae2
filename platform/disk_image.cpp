// platform/disk_image.cpp — see disk_image.h.
#include "platform/disk_image.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/hash.h"
#include "platform/loaders/image.h"

namespace platform {

std::unique_ptr<DiskImage> DiskImage::open(const std::string& path, bool writeback) {
  const int fd = ::open(path.c_str(), (writeback ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    throw LoadError(path, std::string("cannot open the disk image") +
                              (writeback ? " for reading and writing" : "") + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw LoadError(path, "not a regular file");
  }
  const uint64_t size = uint64_t(st.st_size);
  if (size == 0) {
    ::close(fd);
    throw LoadError(path, "the disk image is empty");
  }
  if (size % kSectorSize != 0) {
    ::close(fd);
    throw LoadError(path, "the disk image is " + std::to_string(size) +
                              " bytes, not a multiple of the 512-byte sector (pad it, e.g. "
                              "truncate -s " + std::to_string((size / kSectorSize + 1) * kSectorSize) +
                              ")");
  }
  // A first read proves the file is readable (a directory or a file without read access
  // fails here, not in the middle of a run).
  uint8_t probe[kSectorSize];
  if (::pread(fd, probe, kSectorSize, 0) != ssize_t(kSectorSize)) {
    const int e = errno;
    ::close(fd);
    throw LoadError(path, std::string("cannot read the disk image: ") + std::strerror(e));
  }
  return std::unique_ptr<DiskImage>(new DiskImage(path, fd, size / kSectorSize, writeback));
}

DiskImage::~DiskImage() {
  if (fd_ >= 0) ::close(fd_);
}

bool DiskImage::read(uint64_t lba, std::span<uint8_t, kSectorSize> out) const {
  if (lba >= sectors_) {
    std::memset(out.data(), 0, kSectorSize);
    return false;
  }
  if (auto it = overlay_.find(lba); it != overlay_.end()) {
    std::memcpy(out.data(), it->second.data(), kSectorSize);
    return true;
  }
  size_t done = 0;
  while (done < kSectorSize) {
    const ssize_t n = ::pread(fd_, out.data() + done, kSectorSize - done, off_t(lba * kSectorSize + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::memset(out.data(), 0, kSectorSize);
      return false;
    }
    done += size_t(n);
  }
  return true;
}

bool DiskImage::write(uint64_t lba, std::span<const uint8_t, kSectorSize> data) {
  if (lba >= sectors_) return false;
  if (!writeback_) {
    Sector& s = overlay_[lba];
    std::memcpy(s.data(), data.data(), kSectorSize);
    return true;
  }
  size_t done = 0;
  while (done < kSectorSize) {
    const ssize_t n = ::pwrite(fd_, data.data() + done, kSectorSize - done, off_t(lba * kSectorSize + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

uint64_t DiskImage::overlay_hash() const {
  Fnv1a h;
  h.add_u64(overlay_.size());
  for (const auto& [lba, data] : overlay_) {
    h.add_u64(lba);
    h.add(data.data(), data.size());
  }
  return h.value();
}

uint64_t DiskImage::file_hash() const {
  Fnv1a h;
  uint8_t buf[64 * 1024];
  uint64_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd_, buf, sizeof buf, off_t(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    h.add(buf, size_t(n));
    off += uint64_t(n);
  }
  h.add_u64(off);  // a short read changes the hash too
  return h.value();
}

void DiskImage::save(StateWriter& w) const {
  w.section("disk");
  w.string(path_);
  w.u64(sectors_);
  w.u64(file_hash());
  w.boolean(writeback_);
  w.u64(overlay_.size());
  for (const auto& [lba, data] : overlay_) {
    w.u64(lba);
    w.bytes(data);
  }
}

std::map<uint64_t, DiskImage::Sector> DiskImage::load_overlay(StateReader& r) const {
  r.section("disk");
  const std::string saved_path = r.string();
  const uint64_t saved_sectors = r.u64();
  const uint64_t saved_hash = r.u64();
  const bool saved_writeback = r.boolean();
  r.check(saved_sectors == sectors_, "the snapshot's disk image '" + saved_path + "' has " +
                                         std::to_string(saved_sectors) + " sectors, the attached '" +
                                         path_ + "' has " + std::to_string(sectors_));
  r.check(saved_hash == file_hash(), "the snapshot's disk image '" + saved_path +
                                         "' differs from the attached '" + path_ + "' (file hash)");
  r.check(saved_writeback == writeback_, "the snapshot was taken with --disk-writeback " +
                                             std::string(saved_writeback ? "on" : "off") + ", now it is " +
                                             (writeback_ ? "on" : "off"));
  const uint64_t count = r.u64();
  r.check(count <= sectors_, "an overlay of " + std::to_string(count) + " sectors on a disk of " +
                                 std::to_string(sectors_));
  r.check(!writeback_ || count == 0, "an overlay in writeback mode");
  std::map<uint64_t, Sector> overlay;
  uint64_t prev = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t lba = r.u64();
    r.check(lba < sectors_, "overlay sector " + std::to_string(lba) + " beyond the disk's " +
                                std::to_string(sectors_) + " sectors");
    r.check(i == 0 || lba > prev, "overlay sectors out of order or repeated at " + std::to_string(lba));
    const std::vector<uint8_t> data = r.bytes(kSectorSize);
    r.check(data.size() == kSectorSize, "an overlay sector of " + std::to_string(data.size()) + " bytes");
    Sector& s = overlay[lba];
    std::memcpy(s.data(), data.data(), kSectorSize);
    prev = lba;
  }
  return overlay;
}

}  // namespace platform
