// platform/loaders/bios.cpp — see bios.h.
#include "platform/loaders/bios.h"

#include <stdexcept>

#include "platform/machine.h"

namespace platform {

LoadReport load_bios(Machine& m, const Image& img) {
  if (img.file_size > MachineConfig::kMaxRom) {
    img.fail("the firmware image is " + std::to_string(img.file_size) +
             " bytes; at most 256 KiB (262144 bytes) fit below 1 MiB");
  }
  try {
    m.load_rom(img.bytes);
  } catch (const std::invalid_argument& e) {
    img.fail(e.what());
  }
  m.cpu().reset();
  LoadReport report;
  report.format = "bios";
  report.entry = 0xFFFFFFF0;
  report.ranges.push_back({MiB - m.rom_size(), m.rom_size(), "ROM (below 1 MiB)"});
  report.ranges.push_back({4 * GiB - m.rom_size(), m.rom_size(), "ROM alias (below 4 GiB)"});
  if (m.rom_size() != img.bytes.size()) {
    report.notes.push_back("the ROM is not a multiple of 4 KiB; padded with 0xFF at its start");
  }
  return report;
}

}  // namespace platform
