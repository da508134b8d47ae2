// platform/loaders/flat.cpp — see flat.h.
#include "platform/loaders/flat.h"

#include "platform/loaders/real_mode.h"
#include "platform/machine.h"

namespace platform {

LoadReport load_flat(Machine& m, const Image& img, uint64_t address, FlatMode mode) {
  if (img.bytes.empty()) img.fail("the file is empty");
  const uint64_t len = img.bytes.size();
  if (mode == FlatMode::Real && address + len > MiB) {
    img.fail("a real-mode flat binary must lie below 1 MiB, but [" + hex(address) + ", " +
             hex(address + len) + ") does not");
  }
  if (address >= (uint64_t(1) << 32)) img.fail("load address " + hex(address) + " is above 4 GiB");
  if (!m.in_ram(address, len)) {
    // Built piecewise: GCC 12's -Wrestrict misfires on long "literal" + std::string chains.
    std::string msg = "[";
    msg += hex(address);
    msg += ", ";
    msg += hex(address + len);
    msg += ") lies outside RAM (";
    msg += std::to_string(m.ram_size() / 1024);
    msg += " KiB; see --mem)";
    img.fail(msg);
  }
  m.load_ram(address, img.bytes);

  LoadReport report;
  report.format = mode == FlatMode::Real ? "flat binary (real mode)" : "flat binary";
  report.entry = address;
  report.ranges.push_back({address, len, "image"});
  if (mode == FlatMode::Protected) {
    m.cpu().enter_flat_protected(uint32_t(address), uint32_t(m.ram_size()));
  } else {
    const uint16_t seg = address <= 0xFFFF ? 0 : uint16_t((address >> 4) & 0xF000);
    const uint16_t ip = uint16_t(address - (uint64_t(seg) << 4));
    enter_real_mode(m.cpu(), seg, ip, seg, ip);
    cpu::State& s = m.cpu().state();
    set_real_segment(s, cpu::DS, seg);
    set_real_segment(s, cpu::ES, seg);
  }
  return report;
}

}  // namespace platform
