// platform/disk_image.h — a hard-disk image file behind an ATA drive (devices/ide.h).
//
// The image is a raw file of 512-byte sectors (sector n at byte n * 512). open() refuses,
// with a LoadError naming the file, a file that is missing, unreadable, not a regular
// file, empty, or whose size is not a multiple of 512 (a partial last sector has no ATA
// meaning; pad the file with `truncate -s` if that is what you want).
//
// Two write modes:
//   - overlay (the default): the file is opened read only and is never modified. A sector
//     the guest writes goes into an in-memory overlay (copy on write, per sector); reads
//     see the overlay first, then the file. The overlay is guest-visible state: dump()
//     and the machine's state hash include its hash, snapshots carry its contents.
//     Memory use grows with the sectors written, up to the image size.
//   - writeback (`--disk-writeback`): the file is opened read-write and every sector the
//     guest writes goes to it at once (pwrite); the overlay stays empty.
// Snapshots identify the base image by path, size and FNV-1a hash of the file (load
// refuses another size or hash; the path is recorded for messages only, so a moved copy of
// the same image is the same image). In writeback mode the hash is of the file as it is
// when the snapshot is saved or loaded.
//
// Host I/O errors (a file truncated under us) make read()/write() return false; the drive
// reports them to the guest as an uncorrectable error, never as a crash.
//
//   auto d = platform::DiskImage::open("disk.img", /*writeback=*/false);
//   std::array<uint8_t, 512> s;  d->read(0, s);  s[0] ^= 1;  d->write(0, s);
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "platform/state_io.h"

namespace platform {

class DiskImage {
 public:
  static constexpr uint32_t kSectorSize = 512;
  using Sector = std::array<uint8_t, kSectorSize>;

  // Throws LoadError (platform/loaders/image.h) with the reason.
  static std::unique_ptr<DiskImage> open(const std::string& path, bool writeback);
  ~DiskImage();
  DiskImage(const DiskImage&) = delete;
  DiskImage& operator=(const DiskImage&) = delete;

  const std::string& path() const { return path_; }
  bool writeback() const { return writeback_; }
  uint64_t sectors() const { return sectors_; }
  uint64_t size_bytes() const { return sectors_ * kSectorSize; }

  // Sector `lba` (< sectors()); false on a host I/O error (out is then zero-filled).
  bool read(uint64_t lba, std::span<uint8_t, kSectorSize> out) const;
  // Writes sector `lba` (< sectors()) to the overlay or, in writeback mode, to the file.
  bool write(uint64_t lba, std::span<const uint8_t, kSectorSize> data);

  // The overlay, ordered by sector number (so hashing and saving are deterministic).
  const std::map<uint64_t, Sector>& overlay() const { return overlay_; }
  // FNV-1a over (sector number, contents) of every overlay sector, in order.
  uint64_t overlay_hash() const;
  // FNV-1a of the whole file as it is now (reads the file; for snapshots, not per step).
  uint64_t file_hash() const;

  // Snapshot: identity of the base image (path, size, file hash) and the overlay. load()
  // throws StateError when the snapshot was taken with another image or is malformed.
  void save(StateWriter& w) const;
  void load(StateReader& r) { set_overlay(load_overlay(r)); }
  // load() in two steps, so a device can validate all its state before changing any.
  std::map<uint64_t, Sector> load_overlay(StateReader& r) const;
  void set_overlay(std::map<uint64_t, Sector> overlay) { overlay_ = std::move(overlay); }

 private:
  DiskImage(std::string path, int fd, uint64_t sectors, bool writeback)
      : path_(std::move(path)), fd_(fd), sectors_(sectors), writeback_(writeback) {}

  std::string path_;
  int fd_ = -1;
  uint64_t sectors_ = 0;
  bool writeback_ = false;
  std::map<uint64_t, Sector> overlay_;
};

}  // namespace platform
