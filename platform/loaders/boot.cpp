// platform/loaders/boot.cpp — see boot.h.
#include "platform/loaders/boot.h"

#include <algorithm>

#include "platform/loaders/real_mode.h"
#include "platform/machine.h"
#include "platform/mp_table.h"

namespace platform {

uint8_t boot_drive_for_size(uint64_t image_size) { return image_size <= kLargestFloppy ? 0x00 : 0x80; }

uint64_t boot_preload_end(const Machine& m) { return m.config().firmware_setup ? kEbdaBase : kBootPreloadEnd; }

LoadReport load_boot_image(Machine& m, const Image& img) {
  const uint64_t size = std::max<uint64_t>(img.file_size, img.bytes.size());
  if (img.bytes.size() < 512) {
    img.fail("the image is " + std::to_string(size) +
             " bytes; a boot image needs at least one 512-byte sector");
  }
  LoadReport report;
  report.format = "boot image";
  report.entry = kBootSectorAddress;

  m.load_ram(kBootSectorAddress, img.slice(0, 512));
  report.ranges.push_back({kBootSectorAddress, 512, "boot sector"});
  // The preload stops below the EBDA when the machine placed one (MP tables, mp_table.h):
  // a BIOS loads one sector and keeps its EBDA, so a hard-disk image must not overwrite it.
  const uint64_t room = boot_preload_end(m) - kBootPreloadAddress;
  const uint64_t rest = std::min<uint64_t>(img.bytes.size() - 512, room);
  if (rest > 0) {
    m.load_ram(kBootPreloadAddress, img.slice(512, rest));
    report.ranges.push_back({kBootPreloadAddress, rest, "following sectors (preloaded)"});
  }
  if (size - 512 > room) {
    report.notes.push_back("only the first " + std::to_string((512 + room) / 512) +
                           " sectors fit below " + hex(boot_preload_end(m)) + "; the rest of the image is not in memory");
  }
  if (img.bytes[510] != 0x55 || img.bytes[511] != 0xAA) {
    report.notes.push_back("no 0x55 0xAA boot signature at offset 510 (a real BIOS would refuse it)");
  }

  enter_real_mode(m.cpu(), 0, uint16_t(kBootSectorAddress), 0, uint16_t(kBootSectorAddress));
  cpu::State& s = m.cpu().state();
  s.gpr[cpu::RDX] = boot_drive_for_size(size);
  report.notes.push_back(std::string("DL = ") + hex(s.gpr[cpu::RDX]) +
                         (s.gpr[cpu::RDX] ? " (hard disk)" : " (floppy)"));
  return report;
}

}  // namespace platform
