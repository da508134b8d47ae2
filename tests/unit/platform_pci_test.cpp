// PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) on the
// machine's ports 0xCF8/0xCFC, and the 440FX host bridge at 00:00.0 (82441FX datasheet,
// 3.2 "PCI Configuration Registers").
#include <gtest/gtest.h>

#include <vector>

#include "platform/machine.h"

using namespace platform;

namespace {

uint32_t in(Machine& m, uint16_t port, unsigned size) {
  uint32_t v = 0;
  m.io_read(port, size, v);
  return v;
}
void out(Machine& m, uint16_t port, unsigned size, uint32_t v) { m.io_write(port, size, v); }
uint32_t address(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC);
}
uint32_t cfg_read(Machine& m, unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  out(m, 0xCF8, 4, address(bus, dev, fn, reg));
  return in(m, 0xCFC, 4);
}

TEST(PciHost, HostBridgeHeader) {
  Machine m;
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x00), 0x12378086u);  // device 1237h, vendor 8086h
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x04), 0x02800006u);  // PCISTS 0280h, PCICMD 0006h
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x08), 0x06000002u);  // class 06 00 00, revision 02h
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x0C), 0x00000000u);  // header type 0, single function
  for (unsigned bar = 0x10; bar <= 0x24; bar += 4) EXPECT_EQ(cfg_read(m, 0, 0, 0, bar), 0u) << bar;
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x3C), 0u);  // no interrupt pin
  EXPECT_EQ(cfg_read(m, 0, 0, 0, 0x70) >> 16 & 0xFF, 0x02u);  // SMRAM default
}

TEST(PciHost, WritableAndReadOnlyFields) {
  Machine m;
  out(m, 0xCF8, 4, address(0, 0, 0, 0x00));
  out(m, 0xCFC, 4, 0xFFFFFFFF);  // vendor and device are read only
  EXPECT_EQ(in(m, 0xCFC, 4), 0x12378086u);
  out(m, 0xCF8, 4, address(0, 0, 0, 0x04));
  out(m, 0xCFC, 4, 0xFFFFFFFF);  // command: only PERRE (6) and SERRE (8); status read only
  EXPECT_EQ(in(m, 0xCFC, 4), 0x02800146u);
  out(m, 0xCFC, 2, 0x0000);  // MAE and BME are hardwired to 1
  EXPECT_EQ(in(m, 0xCFC, 4), 0x02800006u);
  out(m, 0xCF8, 4, address(0, 0, 0, 0x0C));
  out(m, 0xCFC, 4, 0xFFFFFFFF);  // MLT bits 7-3 only; cache line, header type, BIST fixed
  EXPECT_EQ(in(m, 0xCFC, 4), 0x0000F800u);
  out(m, 0xCF8, 4, address(0, 0, 0, 0x10));
  out(m, 0xCFC, 4, 0xFFFFFFFF);  // no BARs: a sizing write reads back 0
  EXPECT_EQ(in(m, 0xCFC, 4), 0u);
  out(m, 0xCF8, 4, address(0, 0, 0, 0x58));
  out(m, 0xCFC, 4, 0x33221100);  // device-specific registers (PAM) are storage
  EXPECT_EQ(in(m, 0xCFC, 4), 0x33221100u);
}

TEST(PciHost, AbsentDevicesReadAllOnesAndIgnoreWrites) {
  Machine m;
  EXPECT_EQ(cfg_read(m, 0, 1, 0, 0x00), 0xFFFFFFFFu);
  EXPECT_EQ(cfg_read(m, 0, 0, 1, 0x00), 0xFFFFFFFFu);  // function 1 of the bridge
  EXPECT_EQ(cfg_read(m, 0, 31, 7, 0xFC), 0xFFFFFFFFu);
  EXPECT_EQ(cfg_read(m, 1, 0, 0, 0x00), 0xFFFFFFFFu);  // another bus: no bridge leads there
  out(m, 0xCF8, 4, address(0, 3, 0, 0x04));
  out(m, 0xCFC, 4, 0);
  EXPECT_EQ(in(m, 0xCFC, 4), 0xFFFFFFFFu);
  // A scan of bus 0 finds the host bridge only.
  std::vector<uint32_t> found;
  for (unsigned dev = 0; dev < 32; ++dev) {
    for (unsigned fn = 0; fn < 8; ++fn) {
      const uint32_t id = cfg_read(m, 0, dev, fn, 0);
      if ((id & 0xFFFF) != 0xFFFF) found.push_back(id);
    }
  }
  EXPECT_EQ(found, std::vector<uint32_t>{0x12378086u});
}

TEST(PciHost, ConfigAddressIsDwordOnlyWithReservedBitsZero) {
  Machine m;
  out(m, 0xCF8, 4, 0xFFFFFFFF);
  EXPECT_EQ(in(m, 0xCF8, 4), 0x80FFFFFCu);  // bits 30-24 and 1-0 read 0
  out(m, 0xCF8, 4, 0x80000000);
  // Byte and word accesses to 0xCF8-0xCFB are not CONFIG_ADDRESS (mechanism #2's CSE
  // register would be a byte at 0xCF8): they float and leave the latch alone.
  out(m, 0xCF8, 1, 0x12);
  out(m, 0xCF8, 2, 0x3456);
  out(m, 0xCF9, 1, 0x06);
  EXPECT_EQ(in(m, 0xCF8, 4), 0x80000000u);
  EXPECT_EQ(in(m, 0xCF8, 1), 0xFFu);
  EXPECT_EQ(in(m, 0xCFA, 2), 0xFFFFu);
}

TEST(PciHost, EnableBitGatesTheDataPort) {
  Machine m;
  out(m, 0xCF8, 4, 0x00000000);  // bus 0 dev 0 fn 0 reg 0, enable clear
  EXPECT_EQ(in(m, 0xCFC, 4), 0xFFFFFFFFu);
  out(m, 0xCF8, 4, 0x0000000C);
  out(m, 0xCFC, 4, 0xFFFFFFFF);  // dropped
  out(m, 0xCF8, 4, 0x8000000C);
  EXPECT_EQ(in(m, 0xCFC, 4), 0u);
}

TEST(PciHost, ByteAndWordAccessesAtDataPortOffsets) {
  Machine m;
  out(m, 0xCF8, 4, address(0, 0, 0, 0x00));
  EXPECT_EQ(in(m, 0xCFC, 1), 0x86u);
  EXPECT_EQ(in(m, 0xCFD, 1), 0x80u);
  EXPECT_EQ(in(m, 0xCFE, 1), 0x37u);
  EXPECT_EQ(in(m, 0xCFF, 1), 0x12u);
  EXPECT_EQ(in(m, 0xCFC, 2), 0x8086u);
  EXPECT_EQ(in(m, 0xCFE, 2), 0x1237u);
  EXPECT_EQ(in(m, 0xCFD, 2), 0x3780u);
  EXPECT_EQ(in(m, 0xCFE, 4), 0xFFFF1237u);  // bytes past 0xCFF float
  out(m, 0xCF8, 4, address(0, 0, 0, 0x0B));  // register bits 1-0 are dropped: dword 0x08
  EXPECT_EQ(in(m, 0xCFF, 1), 0x06u);          // class code byte 0x0B
  out(m, 0xCF8, 4, address(0, 0, 0, 0x0C));
  out(m, 0xCFD, 1, 0x40);                     // MLT alone
  EXPECT_EQ(in(m, 0xCFC, 4), 0x00004000u);
  out(m, 0xCF8, 4, address(0, 0, 0, 0x04));
  out(m, 0xCFD, 1, 0x01);  // SERRE through a byte write at offset 1
  EXPECT_EQ(in(m, 0xCFC, 2), 0x0106u);
  out(m, 0xCFE, 2, 0xFFFF);  // status: no error bits to clear
  EXPECT_EQ(in(m, 0xCFE, 2), 0x0280u);
}

TEST(PciHost, SaveLoadRoundTripsAndRejectsMalformedState) {
  Machine a;
  out(a, 0xCF8, 4, address(0, 0, 0, 0x58));
  out(a, 0xCFC, 4, 0x11223344);
  out(a, 0xCF8, 4, address(0, 0, 0, 0x04));
  out(a, 0xCFC, 2, 0x0146);
  StateWriter w;
  a.pci().save(w);
  Machine b;
  StateReader r(w.data());
  b.pci().load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(b.pci().dump(), a.pci().dump());
  EXPECT_EQ(in(b, 0xCFC, 4), 0x02800146u);

  auto load = [](std::vector<uint8_t> d) {
    Machine m;
    StateReader rd(d);
    m.pci().load(rd);
  };
  // Layout: section (8 + 8), CONFIG_ADDRESS (4), configuration space (8 + 256).
  std::vector<uint8_t> d = w.data();
  d[16] |= 0x01;  // reserved CONFIG_ADDRESS bit 0
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d[20 + 8 + 0x02] = 0x38;  // a different device ID
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d[20 + 8 + 0x04] = 0x07;  // IOAE set: a read-only command bit
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d[20] = 0xFF;  // configuration space length
  EXPECT_THROW(load(d), StateError);
  d = w.data();
  d.resize(d.size() - 1);
  EXPECT_THROW(load(d), StateError);
}

}  // namespace
