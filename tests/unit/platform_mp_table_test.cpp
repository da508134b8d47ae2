// The MP tables (platform/mp_table.h), found and parsed the way xv6's mp.c does (BIOS data
// area -> EBDA -> "_MP_" -> "PCMP"), checked against the MultiProcessor Specification 1.4:
// checksums, the floating pointer fields, and every entry.
#include <gtest/gtest.h>

#include <cstring>

#include "cpu/cpu.h"
#include "platform/machine.h"
#include "platform/mp_table.h"

using namespace platform;

namespace {

uint32_t get16(std::span<const uint8_t> r, uint64_t a) { return r[a] | r[a + 1] << 8; }
uint32_t get32(std::span<const uint8_t> r, uint64_t a) { return get16(r, a) | get16(r, a + 2) << 16; }
uint8_t sum(std::span<const uint8_t> r, uint64_t a, uint64_t len) {
  uint8_t s = 0;
  for (uint64_t i = 0; i < len; ++i) s = uint8_t(s + r[a + i]);
  return s;
}

// xv6 mp.c mpsearch1(): "_MP_" with a zero checksum on a 16-byte boundary.
int64_t search(std::span<const uint8_t> r, uint64_t a, uint64_t len) {
  for (uint64_t p = a; p < a + len; p += 16) {
    if (std::memcmp(&r[p], "_MP_", 4) == 0 && sum(r, p, 16) == 0) return int64_t(p);
  }
  return -1;
}

// xv6 mp.c mpsearch(): the EBDA's first KiB, else the last KiB of base memory, else the
// BIOS ROM area.
int64_t find_mp(std::span<const uint8_t> r) {
  if (const uint64_t ebda = uint64_t(get16(r, 0x40E)) << 4) {
    if (int64_t p = search(r, ebda, 1024); p >= 0) return p;
  } else {
    const uint64_t kib = get16(r, 0x413);
    if (int64_t p = search(r, kib * 1024 - 1024, 1024); p >= 0) return p;
  }
  return search(r, 0xF0000, 0x10000);
}

TEST(MpTable, AnMpAwareKernelFindsOneProcessorOneBusTheIoApicAndTheIsaInterrupts) {
  Machine m;
  const std::span<const uint8_t> r = m.ram();
  // The BIOS data area words the search starts from.
  EXPECT_EQ(get16(r, 0x40E), 0x9FC0u);  // EBDA segment
  EXPECT_EQ(get16(r, 0x413), 639u);     // base memory KiB
  const int64_t mp = find_mp(r);
  ASSERT_EQ(mp, int64_t(kMpFloatingPointer));
  // §4.1 floating pointer structure.
  EXPECT_EQ(r[mp + 8], 1);  // length: one paragraph
  EXPECT_EQ(r[mp + 9], 4);  // revision 1.4
  EXPECT_EQ(r[mp + 11], 0);  // a configuration table follows (no default configuration)
  EXPECT_EQ(r[mp + 12] & 0x80, 0);  // IMCRP clear: virtual wire mode
  const uint32_t conf = get32(r, uint64_t(mp) + 4);
  ASSERT_EQ(conf, kMpConfigTable);
  // §4.2 header: xv6 mpconfig() checks the signature, revision 1 or 4, and the checksum.
  ASSERT_EQ(std::memcmp(&r[conf], "PCMP", 4), 0);
  const uint32_t length = get16(r, conf + 4);
  EXPECT_EQ(r[conf + 6], 4);
  EXPECT_EQ(sum(r, conf, length), 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(&r[conf + 8]), 8), "RINGSIDE");
  EXPECT_EQ(get32(r, conf + 28), 0u);   // no OEM table
  EXPECT_EQ(get32(r, conf + 36), 0xFEE00000u);  // local APIC
  EXPECT_EQ(get16(r, conf + 40), 0u);   // no extended entries
  const uint32_t count = get16(r, conf + 34);
  EXPECT_EQ(count, 1u + 1 + 1 + 15 + 2);
  EXPECT_EQ(length, 44u + 20 + 8 * (count - 1));
  // The whole table lies in the EBDA, which the Multiboot memory map reserves.
  EXPECT_LE(conf + length, kEbdaEnd);

  // Walk the entries as xv6 mpinit() does.
  int processors = 0, buses = 0, ioapics = 0;
  std::vector<std::pair<unsigned, unsigned>> irq_to_pin;
  std::vector<std::pair<unsigned, unsigned>> lints;  // (type, LINTIN#)
  uint64_t p = conf + 44;
  for (uint32_t i = 0; i < count; ++i) {
    switch (r[p]) {
      case 0: {  // §4.3.1 processor
        ++processors;
        EXPECT_EQ(r[p + 1], 0);     // APIC ID
        EXPECT_EQ(r[p + 2], 0x14);  // APIC version
        EXPECT_EQ(r[p + 3], 3);     // enabled, bootstrap processor
        const cpu::CpuidRegs id = cpu::cpuid_query(1, 0, false);
        EXPECT_EQ(get32(r, p + 4), id.eax & 0xFFF);  // family 6, model 0xC, stepping 3
        EXPECT_EQ(get32(r, p + 4), 0x6C3u);
        EXPECT_EQ(get32(r, p + 8), id.edx);
        EXPECT_TRUE(get32(r, p + 8) & (1u << 9));  // the APIC feature flag
        p += 20;
        break;
      }
      case 1:  // §4.3.2 bus
        ++buses;
        EXPECT_EQ(r[p + 1], 0);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(&r[p + 2]), 6), "ISA   ");
        p += 8;
        break;
      case 2:  // §4.3.3 IO APIC
        ++ioapics;
        EXPECT_EQ(r[p + 1], 1);     // its ID, as the IO APIC's ID register says
        EXPECT_EQ(r[p + 2], 0x11);
        EXPECT_EQ(r[p + 3], 1);     // enabled
        EXPECT_EQ(get32(r, p + 4), 0xFEC00000u);
        p += 8;
        break;
      case 3:  // §4.3.4 I/O interrupt assignment
        EXPECT_EQ(r[p + 1], 0);  // INT
        EXPECT_EQ(get16(r, p + 2), 0u);  // conforms to the bus
        EXPECT_EQ(r[p + 4], 0);  // ISA bus
        EXPECT_EQ(r[p + 6], 1);  // IO APIC 1
        irq_to_pin.push_back({r[p + 5], r[p + 7]});
        p += 8;
        break;
      case 4:  // §4.3.5 local interrupt assignment
        EXPECT_EQ(r[p + 6], 0xFF);  // all local APICs
        lints.push_back({r[p + 1], r[p + 7]});
        p += 8;
        break;
      default: FAIL() << "unknown entry type " << int(r[p]);
    }
  }
  EXPECT_EQ(p, conf + length);
  EXPECT_EQ(processors, 1);
  EXPECT_EQ(buses, 1);
  EXPECT_EQ(ioapics, 1);
  std::vector<std::pair<unsigned, unsigned>> expected = {{0, 2}};
  for (unsigned irq = 1; irq < 16; ++irq) {
    if (irq != 2) expected.push_back({irq, irq});
  }
  EXPECT_EQ(irq_to_pin, expected);
  EXPECT_EQ(lints, (std::vector<std::pair<unsigned, unsigned>>{{3, 0}, {1, 1}}));  // ExtINT, NMI
  EXPECT_EQ(m.ioapic().read_register(IoApic::ID) >> 24, 1u);
  EXPECT_EQ(r[kEbdaBase], 1);  // the EBDA's size in KiB
}

TEST(MpTable, NotInstalledForAMachineWithItsOwnFirmware) {
  Machine m({.firmware_setup = false});
  const std::span<const uint8_t> r = m.ram();
  EXPECT_EQ(get16(r, 0x40E), 0u);
  EXPECT_EQ(get16(r, 0x413), 0u);
  EXPECT_EQ(search(r, 0, 0x100000), -1);
}

TEST(MpTable, BuiltStructuresHaveZeroChecksums) {
  const std::vector<uint8_t> fp = build_mp_floating_pointer(0x12345678);
  ASSERT_EQ(fp.size(), 16u);
  EXPECT_EQ(sum(fp, 0, 16), 0);
  EXPECT_EQ(get32(fp, 4), 0x12345678u);
  const std::vector<uint8_t> t = build_mp_config_table();
  EXPECT_EQ(sum(t, 0, t.size()), 0);
  EXPECT_EQ(get16(t, 4), t.size());
}

}  // namespace
