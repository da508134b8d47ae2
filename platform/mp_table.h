// platform/mp_table.h — the Intel MultiProcessor Specification 1.4 tables a BIOS leaves
// for an SMP-aware kernel (xv6's mp.c, Linux's mpparse.c), for machines started without
// a BIOS (MachineConfig::firmware_setup, on unless --bios: a real BIOS builds its own).
//
// What is placed (MP spec 1.4 chapter 4), all in the first KiB of an extended BIOS data
// area (EBDA) at 0x9FC00 (639 KiB), the first place §4 says to search:
//   0x9FC00  the EBDA's size in KiB (1), as BIOSes keep it in its first byte
//   0x9FC10  the MP floating pointer structure (§4.1): "_MP_", the physical address of
//            the configuration table, length 1 (16 bytes), spec revision 4, checksum,
//            feature byte 1 = 0 (a configuration table is present), feature byte 2 = 0
//            (IMCRP clear: virtual wire mode, no IMCR at ports 0x22/0x23)
//   0x9FC20  the configuration table (§4.2): header "PCMP", revision 4, OEM "RINGSIDE",
//            product "PC          ", local APIC at 0xFEE00000, then the base entries:
//              processor (§4.3.1): APIC ID 0, APIC version 0x14, enabled, BSP, CPU
//                signature CPUID.1:EAX[11:0] (bits 31:12 reserved, zero), feature flags
//                CPUID.1:EDX
//              bus (§4.3.2): ID 0, "ISA   "
//              I/O APIC (§4.3.3): ID 1, version 0x11, enabled, at 0xFEC00000
//              I/O interrupt assignments (§4.3.4), type INT, polarity and trigger
//                "conforms to the bus": ISA IRQ n -> INTIN n for n = 1, 3-15 and
//                IRQ0 -> INTIN 2 (the PIT's usual override; Machine::set_isa_irq wires
//                the same); IRQ2, the cascade, has no entry
//              local interrupt assignments (§4.3.5) to all local APICs (0xFF): ExtINT
//                -> LINT0, NMI -> LINT1 (the virtual wire the LAPIC starts in)
// and in the BIOS data area the words the search starts from: 0x40E = the EBDA segment
// (0x9FC0) and 0x413 = base memory below the EBDA in KiB (639). The Multiboot loader
// reports [0x9FC00, 0xA0000) as reserved and mem_lower = 639 when these are present.
// Installed once, by the Machine's constructor (the state a BIOS hands over, like the
// LAPIC's virtual wire setup); loaders write afterwards, so an image that covers the EBDA
// wins. Machine::reset() keeps RAM, and with it the tables.
#pragma once

#include <cstdint>
#include <vector>

namespace platform {

class Machine;

constexpr uint64_t kBdaEbdaSegment = 0x40E;  // word: EBDA segment
constexpr uint64_t kBdaBaseMemoryKiB = 0x413;  // word: base memory in KiB (INT 12h)
constexpr uint64_t kEbdaBase = 0x9FC00;
constexpr uint64_t kEbdaEnd = 0xA0000;
constexpr uint64_t kMpFloatingPointer = kEbdaBase + 0x10;
constexpr uint64_t kMpConfigTable = kEbdaBase + 0x20;

// The configuration table's bytes (checksum filled in).
std::vector<uint8_t> build_mp_config_table();
// The 16-byte floating pointer structure pointing at `config_address`.
std::vector<uint8_t> build_mp_floating_pointer(uint32_t config_address);
// Writes the EBDA, the tables and the BIOS data area words into RAM.
void install_mp_tables(Machine& m);

}  // namespace platform
