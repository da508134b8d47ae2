// platform/devices/pci_host.cpp — see pci_host.h.
#include "platform/devices/pci_host.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace platform {

namespace {

// Which bits of each header byte software may write (82441FX datasheet 3.2; 1 = R/W).
// Bytes 40h-FFh are device-specific storage and fully writable.
constexpr uint8_t header_write_mask(unsigned reg) {
  switch (reg) {
    case 0x04: return 0x40;  // PCICMD bit 6 PERRE
    case 0x05: return 0x01;  // PCICMD bit 8 SERRE
    case 0x0D: return 0xF8;  // MLT bits 7-3
    default: return reg >= 0x40 ? 0xFF : 0x00;
  }
}

}  // namespace

void PciHost::reset() {
  s_ = State{};
  uint8_t* c = s_.bridge.data();
  c[0x00] = 0x86;  // vendor 8086h (Intel)
  c[0x01] = 0x80;
  c[0x02] = 0x37;  // device 1237h (82441FX)
  c[0x03] = 0x12;
  c[0x04] = 0x06;  // PCICMD: MAE | BME
  c[0x06] = 0x80;  // PCISTS 0280h: fast back-to-back capable,
  c[0x07] = 0x02;  //   DEVSEL timing medium
  c[0x08] = 0x02;  // revision
  c[0x09] = 0x00;  // class code 06 00 00: bridge, host bridge
  c[0x0A] = 0x00;
  c[0x0B] = 0x06;
  c[0x72] = 0x02;  // SMRAM: C_BASE_SEG = 010b (the A0000h segment)
}

uint8_t PciHost::config_byte(unsigned bus, unsigned device, unsigned function, unsigned reg) const {
  if (!is_bridge(bus, device, function)) return 0xFF;  // master abort
  return s_.bridge[reg & 0xFF];
}

void PciHost::write_config_byte(unsigned bus, unsigned device, unsigned function, unsigned reg, uint8_t v) {
  if (!is_bridge(bus, device, function)) return;
  reg &= 0xFF;
  const uint8_t mask = header_write_mask(reg);
  s_.bridge[reg] = uint8_t((s_.bridge[reg] & ~mask) | (v & mask));
}

uint32_t PciHost::io_read(uint16_t port, unsigned size) {
  if (port < kConfigData) {
    if (port == kConfigAddress && size == 4) return s_.config_address;
    return all_ones(size);  // not CONFIG_ADDRESS: ordinary (absent) I/O
  }
  const uint32_t a = s_.config_address;
  if (!(a & kEnable)) return all_ones(size);
  const unsigned bus = (a >> 16) & 0xFF, dev = (a >> 11) & 0x1F, fn = (a >> 8) & 0x07;
  const unsigned offset = port - kConfigData;
  uint32_t v = 0;
  for (unsigned i = 0; i < size; ++i) {
    const uint8_t b = offset + i < 4 ? config_byte(bus, dev, fn, (a & 0xFC) + offset + i) : 0xFF;
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void PciHost::io_write(uint16_t port, unsigned size, uint32_t value) {
  if (port < kConfigData) {
    // PCI 3.0 3.2.2.3.2: only a DWORD access to 0xCF8 is CONFIG_ADDRESS; reserved bits read 0.
    if (port == kConfigAddress && size == 4) s_.config_address = value & kAddressMask;
    return;
  }
  const uint32_t a = s_.config_address;
  if (!(a & kEnable)) return;
  const unsigned bus = (a >> 16) & 0xFF, dev = (a >> 11) & 0x1F, fn = (a >> 8) & 0x07;
  const unsigned offset = port - kConfigData;
  for (unsigned i = 0; i < size && offset + i < 4; ++i) {
    write_config_byte(bus, dev, fn, (a & 0xFC) + offset + i, uint8_t(value >> (8 * i)));
  }
}

std::string PciHost::dump() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "config_address=%08x\n", s_.config_address);
  std::string out = buf;
  out += "bridge=";
  for (uint8_t b : s_.bridge) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  out += "\n";
  return out;
}

void PciHost::save(StateWriter& w) const {
  w.section("pci_host");
  w.u32(s_.config_address);
  w.bytes(s_.bridge);
}

void PciHost::load(StateReader& r) {
  r.section("pci_host");
  State s;
  s.config_address = r.u32();
  r.check((s.config_address & ~kAddressMask) == 0, "CONFIG_ADDRESS has reserved bits set");
  const std::vector<uint8_t> cfg = r.bytes(256);
  r.check(cfg.size() == 256, "host bridge configuration space of " + std::to_string(cfg.size()) + " bytes");
  std::copy(cfg.begin(), cfg.end(), s.bridge.begin());
  // The read-only header bytes must hold their hardwired values.
  State fresh;
  {
    PciHost ref;
    fresh = ref.s_;
  }
  for (unsigned i = 0; i < 0x40; ++i) {
    const uint8_t ro = uint8_t(~header_write_mask(i));
    r.check((s.bridge[i] & ro) == (fresh.bridge[i] & ro),
            "read-only configuration byte " + std::to_string(i) + " changed");
  }
  s_ = s;
}

}  // namespace platform
