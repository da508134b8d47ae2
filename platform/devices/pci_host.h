// platform/devices/pci_host.h — PCI configuration mechanism #1 and the one device on the
// bus: an Intel 440FX host bridge (82441FX PMC) at 00:00.0.
//
// References: PCI Local Bus Specification 3.0, 3.2.2.3.2 (configuration mechanism #1) and
// 6.2 (configuration header); Intel 440FX PCIset 82441FX PMC / 82442FX DBX datasheet
// (1996), 3.2 "PCI Configuration Registers".
//
// Ports 0xCF8-0xCFF:
//   0xCF8 CONFIG_ADDRESS, decoded only for 32-bit accesses (spec 3.2.2.3.2: other sizes
//         pass through as ordinary I/O): bit 31 enable, 23-16 bus, 15-11 device, 10-8
//         function, 7-2 register; bits 30-24 and 1-0 are reserved and read 0. Byte and word
//         accesses to 0xCF8-0xCFB read all ones and are dropped, as unclaimed ISA I/O would
//         be (on a PC the PIIX3's reset control register answers a byte at 0xCF9; it is
//         not modelled here).
//   0xCFC-0xCFF CONFIG_DATA: byte, word or dword accesses at any offset reach the bytes of
//         the addressed dword (register & ~3) + offset; bytes past 0xCFF read 0xFF. With
//         the enable bit clear the data port does not decode (reads all ones, writes
//         dropped).
// Bus 0 device 0 function 0 is the host bridge; every other bus/device/function is absent
// (a master abort: reads 0xFFFFFFFF, writes ignored), so a probe of bus 0 finds exactly
// 8086:1237. Other buses would be type 1 cycles behind a PCI-to-PCI bridge, and there is
// none.
//
// The 82441FX's header (datasheet 3.2): vendor 8086h and device 1237h (RO), PCICMD 0006h
// (bits 1 MAE and 2 BME hardwired to 1; bit 6 PERRE and bit 8 SERRE writable; the rest
// 0), PCISTS 0280h (fast back-to-back capable, medium DEVSEL timing; its write-one-to-clear
// error bits are never set since no bus error is modelled, so writes change nothing),
// revision 02h, class 06 00 00 (host bridge), MLT 0Dh bits 7-3 writable, header type 00h,
// BIST 00h, no BARs (10h-27h read 0), no interrupt pin. The device-specific registers
// 40h-FFh (PMCCFG, DRAM control, PAM0-6, DRB, SMRAM at 72h with default 02h, error
// registers) are plain read/write storage: the memory map does not follow PAM or SMRAM.
//
// Configuration mechanism #2 (ports 0xCF8 byte CSE, 0xCFA forward, 0xC000-0xCFFF) is not
// implemented: the 440FX supports only mechanism #1, and PCI 3.0 dropped #2.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "platform/port_bus.h"

namespace platform {

class PciHost final : public PortDevice {
 public:
  static constexpr uint16_t kConfigAddress = 0xCF8;
  static constexpr uint16_t kConfigData = 0xCFC;
  static constexpr uint16_t kPorts = 8;
  static constexpr uint32_t kEnable = 0x80000000u;
  static constexpr uint32_t kAddressMask = 0x80FFFFFCu;  // the bits CONFIG_ADDRESS keeps

  PciHost() { reset(); }

  const char* name() const override { return "pci_host"; }
  uint32_t io_read(uint16_t port, unsigned size) override;
  void io_write(uint16_t port, unsigned size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void save(StateWriter& w) const override;
  void load(StateReader& r) override;

  uint32_t config_address() const { return s_.config_address; }
  // A configuration-space byte as a type 0/1 cycle would read it (0xFF for no device).
  uint8_t config_byte(unsigned bus, unsigned device, unsigned function, unsigned reg) const;
  void write_config_byte(unsigned bus, unsigned device, unsigned function, unsigned reg, uint8_t v);

 private:
  struct State {
    uint32_t config_address = 0;
    std::array<uint8_t, 256> bridge{};  // the host bridge's configuration space
  };
  static bool is_bridge(unsigned bus, unsigned device, unsigned function) {
    return bus == 0 && device == 0 && function == 0;
  }

  State s_;
};

}  // namespace platform
