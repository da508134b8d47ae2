// cpu/state.h — the architectural state of one x86 processor.
//
// Registers are 64 bits wide from the start so that IA-32e long mode fits later without
// a rewrite. Segment descriptor caches use the VMX access-rights layout (SDM Vol.3
// 24.4.1, Table 24-2) so VT-x can copy them to and from the VMCS unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace cpu {

enum Gpr : uint8_t { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

// Segment register numbers as encoded in the ModRM reg field (SDM Vol.2 Table 3-? "Sreg").
enum Sreg : uint8_t { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 };

// EFLAGS bits (SDM Vol.1 3.4.3).
namespace flag {
constexpr uint32_t CF = 1u << 0;
constexpr uint32_t FIXED1 = 1u << 1;  // always reads as 1
constexpr uint32_t PF = 1u << 2;
constexpr uint32_t AF = 1u << 4;
constexpr uint32_t ZF = 1u << 6;
constexpr uint32_t SF = 1u << 7;
constexpr uint32_t TF = 1u << 8;
constexpr uint32_t IF = 1u << 9;
constexpr uint32_t DF = 1u << 10;
constexpr uint32_t OF = 1u << 11;
constexpr uint32_t IOPL = 3u << 12;
constexpr uint32_t NT = 1u << 14;
constexpr uint32_t RF = 1u << 16;
constexpr uint32_t VM = 1u << 17;
constexpr uint32_t AC = 1u << 18;
constexpr uint32_t VIF = 1u << 19;
constexpr uint32_t VIP = 1u << 20;
constexpr uint32_t ID = 1u << 21;
constexpr uint32_t ARITH = CF | PF | AF | ZF | SF | OF;
}  // namespace flag

namespace cr0 {
constexpr uint64_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4,
                   NE = 1u << 5, WP = 1u << 16, AM = 1u << 18, NW = 1u << 29, CD = 1u << 30,
                   PG = 1u << 31;
}
namespace cr4 {
constexpr uint64_t VME = 1u << 0, PVI = 1u << 1, TSD = 1u << 2, DE = 1u << 3, PSE = 1u << 4,
                   PAE = 1u << 5, MCE = 1u << 6, PGE = 1u << 7, PCE = 1u << 8, OSFXSR = 1u << 9,
                   OSXMMEXCPT = 1u << 10, UMIP = 1u << 11, VMXE = 1u << 13, SMXE = 1u << 14;
}
namespace efer {
constexpr uint64_t SCE = 1u << 0, LME = 1u << 8, LMA = 1u << 10, NXE = 1u << 11;
}

// Access-rights word in VMX layout: type[3:0] S[4] DPL[6:5] P[7] AVL[12] L[13] D/B[14] G[15]
// unusable[16].
namespace ar {
constexpr uint32_t TYPE = 0xF, S = 1u << 4, P = 1u << 7, AVL = 1u << 12, L = 1u << 13,
                   DB = 1u << 14, G = 1u << 15, UNUSABLE = 1u << 16;
constexpr uint32_t dpl(uint32_t a) { return (a >> 5) & 3; }
// Code/data type bits (S=1): bit 3 = code; for data bit 2 = expand-down, bit 1 = writable;
// for code bit 2 = conforming, bit 1 = readable; bit 0 = accessed.
constexpr uint32_t CODE = 8, EXPAND_DOWN = 4, CONFORMING = 4, WRITABLE = 2, READABLE = 2,
                   ACCESSED = 1;
}  // namespace ar

struct SegmentCache {
  uint16_t selector = 0;
  uint64_t base = 0;
  uint32_t limit = 0xFFFF;  // byte-granular (G already applied)
  uint32_t attr = 0;        // VMX access-rights layout

  bool unusable() const { return attr & ar::UNUSABLE; }
  bool code() const { return (attr & ar::S) && (attr & ar::CODE); }
  bool big() const { return attr & ar::DB; }
  uint32_t dpl() const { return ar::dpl(attr); }
  bool operator==(const SegmentCache&) const = default;
};

struct TableReg {
  uint64_t base = 0;
  uint16_t limit = 0xFFFF;
  bool operator==(const TableReg&) const = default;
};

// Model-specific registers the CPU implements (SDM Vol.4). Unknown MSRs raise #GP.
namespace msr {
constexpr uint32_t TSC = 0x10;
constexpr uint32_t APIC_BASE = 0x1B;
constexpr uint32_t FEATURE_CONTROL = 0x3A;
constexpr uint32_t SYSENTER_CS = 0x174;
constexpr uint32_t SYSENTER_ESP = 0x175;
constexpr uint32_t SYSENTER_EIP = 0x176;
constexpr uint32_t MISC_ENABLE = 0x1A0;
constexpr uint32_t PAT = 0x277;
constexpr uint32_t EFER = 0xC0000080;
constexpr uint32_t TSC_AUX = 0xC0000103;
}  // namespace msr

struct Msrs {
  uint64_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t apic_base = 0xFEE00900;  // BSP, enabled, default base (SDM Vol.3 10.4.4)
  uint64_t feature_control = 0;
  uint64_t misc_enable = 1;  // fast-strings
  uint64_t pat = 0x0007040600070406ULL;  // power-up value (SDM Vol.3 11.12.4)
  uint64_t tsc_aux = 0;
  uint64_t tsc_offset = 0;  // TSC = cycles + tsc_offset (WRMSR 0x10 adjusts the offset)
  bool operator==(const Msrs&) const = default;
};

// The whole architectural state. Plain data: copyable, comparable, hashable; the
// snapshot and replay code relies on that.
struct State {
  std::array<uint64_t, 16> gpr{};
  uint64_t rip = 0;
  uint32_t eflags = flag::FIXED1;  // arithmetic bits may be stale; use Cpu::flags()
  std::array<SegmentCache, 6> seg{};
  SegmentCache ldtr{}, tr{};
  TableReg gdtr{}, idtr{};
  uint64_t cr0 = cr0::ET | cr0::CD | cr0::NW;
  uint64_t cr2 = 0, cr3 = 0, cr4 = 0, cr8 = 0;
  std::array<uint64_t, 8> dr{};
  uint64_t efer = 0;
  Msrs msrs{};
  uint8_t cpl = 0;
  bool halted = false;
  // Interrupt shadow after STI / MOV SS / POP SS: the instruction count at which it ends.
  uint64_t shadow_until = 0;
  bool nmi_blocked = false;  // from NMI delivery until the next IRET
  bool non_root = false;     // VMX non-root operation (vt/ sets it at VM entry and exit)
  uint64_t cycles = 0;
  uint64_t instret = 0;

  bool operator==(const State&) const = default;
};

enum class Mode : uint8_t { Real, Protected, Virtual8086, Long };
const char* mode_name(Mode m);

}  // namespace cpu
