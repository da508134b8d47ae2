// platform/mp_table.cpp — see mp_table.h. Section numbers refer to the Intel
// MultiProcessor Specification, version 1.4 (May 1997).
#include "platform/mp_table.h"

#include <cstring>

#include "cpu/cpu.h"
#include "platform/machine.h"

namespace platform {

namespace {

// Entry types (§4.3, Table 4-3) and their sizes.
constexpr uint8_t kProcessor = 0, kBus = 1, kIoApic = 2, kIoInterrupt = 3, kLocalInterrupt = 4;
constexpr uint8_t kIntInt = 0, kIntNmi = 1, kIntExtInt = 3;  // interrupt types (Table 4-10)
constexpr uint8_t kCpuEnabled = 1, kCpuBsp = 2;
constexpr unsigned kHeaderSize = 44;

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) {
  b[off] = uint8_t(v);
  b[off + 1] = uint8_t(v >> 8);
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + size_t(i)] = uint8_t(v >> (8 * i));
}
void put_text(std::vector<uint8_t>& b, size_t off, const char* s, size_t n) {
  std::memcpy(b.data() + off, s, n);
}
// The byte that makes the sum of `b` zero, stored at `at` (which must hold 0 before).
void fix_checksum(std::vector<uint8_t>& b, size_t at) {
  uint8_t sum = 0;
  for (uint8_t x : b) sum = uint8_t(sum + x);
  b[at] = uint8_t(-sum);
}

}  // namespace

std::vector<uint8_t> build_mp_config_table() {
  std::vector<uint8_t> t(kHeaderSize, 0);
  uint16_t entries = 0;
  auto entry8 = [&](std::initializer_list<uint8_t> bytes) {
    t.insert(t.end(), bytes.begin(), bytes.end());
    ++entries;
  };

  // §4.3.1 processor entry (20 bytes).
  const cpu::CpuidRegs id = cpu::cpuid_query(1, 0, false);  // EAX and EDX only: VMX (ECX) is not in the table
  {
    std::vector<uint8_t> p(20, 0);
    p[0] = kProcessor;
    p[1] = 0;                                   // local APIC ID (Lapic reset value)
    p[2] = uint8_t(Lapic::kVersion);            // local APIC version 0x14
    p[3] = kCpuEnabled | kCpuBsp;
    put32(p, 4, id.eax & 0xFFF);                // stepping, model, family
    put32(p, 8, id.edx);                        // feature flags
    t.insert(t.end(), p.begin(), p.end());
    ++entries;
  }
  // §4.3.2 bus entry: bus 0 is ISA (the type string is 6 bytes, blank padded).
  entry8({kBus, 0, 'I', 'S', 'A', ' ', ' ', ' '});
  // §4.3.3 I/O APIC entry.
  {
    const uint32_t a = uint32_t(IoApic::kDefaultBase);
    entry8({kIoApic, IoApic::kResetId, uint8_t(IoApic::kVersion), 1, uint8_t(a), uint8_t(a >> 8),
            uint8_t(a >> 16), uint8_t(a >> 24)});
  }
  // §4.3.4 I/O interrupt assignments: flags 0 = polarity and trigger conform to ISA.
  for (uint8_t irq = 0; irq < 16; ++irq) {
    if (irq == 2) continue;  // the cascade
    entry8({kIoInterrupt, kIntInt, 0, 0, 0, irq, IoApic::kResetId, uint8_t(irq == 0 ? 2 : irq)});
  }
  // §4.3.5 local interrupt assignments: to every local APIC (0xFF).
  entry8({kLocalInterrupt, kIntExtInt, 0, 0, 0, 0, 0xFF, 0});
  entry8({kLocalInterrupt, kIntNmi, 0, 0, 0, 0, 0xFF, 1});

  // §4.2 header.
  put_text(t, 0, "PCMP", 4);
  put16(t, 4, uint16_t(t.size()));  // base table length
  t[6] = 4;                         // specification revision 1.4
  put_text(t, 8, "RINGSIDE", 8);
  put_text(t, 16, "PC          ", 12);
  put16(t, 34, entries);
  put32(t, 36, uint32_t(Lapic::kDefaultBase));
  fix_checksum(t, 7);
  return t;
}

std::vector<uint8_t> build_mp_floating_pointer(uint32_t config_address) {
  std::vector<uint8_t> f(16, 0);
  put_text(f, 0, "_MP_", 4);
  put32(f, 4, config_address);
  f[8] = 1;  // length in 16-byte paragraphs
  f[9] = 4;  // specification revision 1.4
  // Feature byte 1 = 0: a configuration table is present; feature byte 2 bit 7 (IMCRP) =
  // 0: virtual wire mode.
  fix_checksum(f, 10);
  return f;
}

void install_mp_tables(Machine& m) {
  const std::vector<uint8_t> table = build_mp_config_table();
  const std::vector<uint8_t> fp = build_mp_floating_pointer(uint32_t(kMpConfigTable));
  std::vector<uint8_t> ebda(kEbdaEnd - kEbdaBase, 0);
  ebda[0] = uint8_t((kEbdaEnd - kEbdaBase) / 1024);  // the EBDA's size in KiB
  std::memcpy(ebda.data() + (kMpFloatingPointer - kEbdaBase), fp.data(), fp.size());
  std::memcpy(ebda.data() + (kMpConfigTable - kEbdaBase), table.data(), table.size());
  m.load_ram(kEbdaBase, ebda);
  const uint16_t segment = uint16_t(kEbdaBase >> 4), kib = uint16_t(kEbdaBase / 1024);
  m.load_ram(kBdaEbdaSegment, std::vector<uint8_t>{uint8_t(segment), uint8_t(segment >> 8)});
  m.load_ram(kBdaBaseMemoryKiB, std::vector<uint8_t>{uint8_t(kib), uint8_t(kib >> 8)});
}

}  // namespace platform
