// vt/exits_insn.cpp — the instructions that cause VM exits conditionally (Intel SDM Vol.3
// 25.1.3), their exit qualifications (27.2.1), guest-linear addresses and instruction
// information (27.2.5), and the changed behaviour of instructions that do not exit (25.3):
// CR0/CR4 read shadows and guest/host masks, TSC offsetting, RDTSCP without "enable RDTSCP".
//
// The CPU's handlers (cpu/exec/*.cpp) call these hooks only in non-root operation, after
// the instruction's #UD and privilege faults (and the IOPL / TSS I/O-bitmap #GP), which have
// priority over VM exits (25.1.1); every other fault of the instruction comes after the exit.
// The one exception is MOV DR (below).
//
//   I/O (30)            "unconditional I/O exiting" (primary 24), or with "use I/O bitmaps"
//                       (primary 25, which makes bit 24 ignored) bitmap A (ports 0-7FFFH) /
//                       B (8000H-FFFFH), one bit per port, checked for every byte of the
//                       access; an access wrapping past FFFFH exits. Qualification Table
//                       27-5; INS/OUTS also the guest-linear address and the instruction
//                       information of Table 27-8 (address size, segment: IA32_VMX_BASIC[54]).
//   RDMSR/WRMSR (31/32) every one exits without "use MSR bitmaps" (primary 28); with it the
//                       4 KiB bitmap: read low 000H, read high 400H (C0000000H-C0001FFFH),
//                       write low 800H, write high C00H; an MSR outside both ranges exits.
//   CR access (28)      MOV to CR0/CR4 when a masked bit differs from the read shadow; MOV to
//                       CR3 with "CR3-load exiting" (primary 15) unless the value is one of
//                       the first CR3-target-count target values; MOV from CR3 with
//                       "CR3-store exiting" (16); CLTS when mask.TS and shadow.TS are 1;
//                       LMSW per 25.1.3. Qualification Table 27-3. CR8 exiting needs
//                       IA-32e mode (MOV CR8 does not exist outside it): not offered.
//   MOV DR (29)         "MOV-DR exiting" (primary 23), qualification Table 27-4; this exit
//                       takes priority over the CPL #GP and the DR4/DR5 #UD (25.1.3).
//   INVLPG (14), RDTSC (16), RDTSCP (51), RDPMC (15), PAUSE (40), WBINVD (54): one control
//                       bit each (primary 9, 12, 12 with secondary 3, 11, 30, secondary 6).
//   GDTR/IDTR (46), LDTR/TR (47): secondary "descriptor-table exiting" (bit 2), qualification
//                       the displacement, instruction information Tables 27-10 / 27-11.
// MONITOR/MWAIT are #UD on this CPU (CPUID.1:ECX.MONITOR = 0), and the #UD has priority, so
// their exiting controls could never apply: not offered.
#include <string>

#include "cpu/cpu.h"
#include "platform/text.h"
#include "vt/exits_insn.h"
#include "vt/vmx.h"

namespace vt {

using cpu::Cpu;
using cpu::Insn;
using cpu::VmExit;
namespace reason = cpu::exit_reason;

namespace {

// Primary processor-based controls (SDM Table 24-6).
constexpr uint32_t kUseTscOffsetting = 1u << 3, kInvlpgExiting = 1u << 9,
                   kRdpmcExiting = 1u << 11, kRdtscExiting = 1u << 12,
                   kCr3LoadExiting = 1u << 15, kCr3StoreExiting = 1u << 16,
                   kMovDrExiting = 1u << 23, kUncondIoExiting = 1u << 24,
                   kUseIoBitmaps = 1u << 25, kUseMsrBitmaps = 1u << 28,
                   kPauseExiting = 1u << 30, kActivateSecondary = 1u << 31;
// Secondary processor-based controls (SDM Table 24-7).
constexpr uint32_t kDescriptorTableExiting = 1u << 2, kEnableRdtscp = 1u << 3,
                   kWbinvdExiting = 1u << 6;

// Fields (SDM Appendix B).
constexpr uint32_t kIoBitmapA = 0x2000, kIoBitmapB = 0x2002, kMsrBitmap = 0x2004;
constexpr uint32_t kCr4Mask = 0x6002, kCr0Shadow = 0x6004, kCr4Shadow = 0x6006,
                   kCr3Target0 = 0x6008;

constexpr uint64_t kLow32 = 0xFFFFFFFF;

// The VM-exit instruction-information bits of a ModRM memory operand shared by Tables
// 27-8 to 27-11: scaling (1:0), address size (9:7), segment (17:15), index (21:18, invalid
// 22), base (26:23, invalid 27).
uint32_t memory_operand_info(const Insn& i) {
  uint32_t info = 0;
  info |= (i.adsize == 2 ? 0u : 1u) << 7;
  info |= uint32_t(i.seg & 7) << 15;
  if (i.index == cpu::kNoReg) info |= 1u << 22;
  else info |= (i.scale & 3u) | (uint32_t(i.index & 15) << 18);
  info |= i.base == cpu::kNoReg ? (1u << 27) : (uint32_t(i.base & 15) << 23);
  return info;
}

}  // namespace

uint32_t Vmx::secondary_controls() const {
  // SDM 24.6.2: with "activate secondary controls" 0, the processor acts as if every
  // secondary control were 0.
  if (!(field(field::PRIMARY_PROC_CONTROLS) & kActivateSecondary)) return 0;
  return uint32_t(field(field::SECONDARY_PROC_CONTROLS));
}

// ---------------------------------------------------------------------------------------
// I/O instructions

void Vmx::intercept_io(Cpu& c, uint16_t port, unsigned size, bool in) {
  const uint32_t proc = uint32_t(field(field::PRIMARY_PROC_CONTROLS));
  bool exits = false;
  if (proc & kUseIoBitmaps) {
    for (unsigned k = 0; k < size && !exits; ++k) {
      const uint32_t p = uint32_t(port) + k;
      if (p > 0xFFFF) {  // wraps around the I/O space: always exits
        exits = true;
        break;
      }
      const uint64_t bitmap = field(p < 0x8000 ? kIoBitmapA : kIoBitmapB);
      uint8_t b = 0;
      c.phys_read(bitmap + (p & 0x7FFF) / 8, &b, 1);
      exits = (b >> (p & 7)) & 1;
    }
  } else {
    exits = proc & kUncondIoExiting;
  }
  if (!exits) return;

  const Insn* i = c.current_insn();
  const unsigned op = i ? (i->op & 0xFF) : 0;
  const bool string = op >= 0x6C && op <= 0x6F;
  const bool immediate = op >= 0xE4 && op <= 0xE7;
  VmExit e;
  e.reason = reason::IoInstruction;
  // SDM Table 27-5.
  e.qualification = (size - 1) | (in ? 1u << 3 : 0u) | (string ? 1u << 4 : 0u) |
                    (string && i->rep ? 1u << 5 : 0u) | (immediate ? 1u << 6 : 0u) |
                    (uint32_t(port) << 16);
  if (string) {
    // SDM 27.2.1: the linear address of the memory operand, ES:(E)DI for INS, the
    // (overridable) DS:(E)SI for OUTS. SDM 27.2.5, Table 27-8: address size and segment.
    const cpu::State& st = c.state();
    const unsigned seg = in ? unsigned(cpu::ES) : unsigned(i->seg);
    const uint64_t off = st.gpr[in ? cpu::RDI : cpu::RSI] & (i->adsize == 2 ? 0xFFFF : kLow32);
    e.guest_linear = (st.seg[seg].base + off) & kLow32;
    e.instruction_info = ((i->adsize == 2 ? 0u : 1u) << 7) | (uint32_t(seg) << 15);
  }
  c.vm_exit_insn(e);
}

// ---------------------------------------------------------------------------------------
// RDMSR / WRMSR

void Vmx::intercept_msr(Cpu& c, uint32_t index, bool write) {
  const uint32_t why = write ? reason::Wrmsr : reason::Rdmsr;
  if (!(field(field::PRIMARY_PROC_CONTROLS) & kUseMsrBitmaps)) c.vm_exit_insn(why);
  uint32_t offset = 0;
  if (index <= 0x1FFF) offset = 0;
  else if (index >= 0xC0000000 && index <= 0xC0001FFF) offset = 0x400;
  else c.vm_exit_insn(why);  // outside both ranges: always exits
  if (write) offset += 0x800;
  const uint32_t bit = index & 0x1FFF;
  uint8_t b = 0;
  c.phys_read(field(kMsrBitmap) + offset + bit / 8, &b, 1);
  if ((b >> (bit & 7)) & 1) c.vm_exit_insn(why);
}

// ---------------------------------------------------------------------------------------
// Control registers

namespace {
// SDM Table 27-3: CR number (3:0), access type (5:4: 0 MOV to CR, 1 MOV from CR, 2 CLTS,
// 3 LMSW), LMSW operand type (6), general register (11:8), LMSW source data (31:16).
uint64_t cr_qualification(unsigned cr, unsigned type, unsigned gpr) {
  return cr | (type << 4) | (uint32_t(gpr & 15) << 8);
}
}  // namespace

void Vmx::intercept_cr_write(Cpu& c, unsigned cr, unsigned gpr, uint64_t value) {
  value &= kLow32;
  bool exits = false;
  if (cr == 0 || cr == 4) {
    const uint64_t mask = field(cr == 0 ? field::CR0_GUEST_HOST_MASK : kCr4Mask);
    const uint64_t shadow = field(cr == 0 ? kCr0Shadow : kCr4Shadow);
    exits = ((value ^ shadow) & mask & kLow32) != 0;
  } else if (cr == 3 && (field(field::PRIMARY_PROC_CONTROLS) & kCr3LoadExiting)) {
    // SDM 25.1.3: no exit when the value equals one of the first N CR3-target values
    // (N = the CR3-target count, at most 4 here: VM entry checks it against MISC).
    exits = true;
    const uint64_t n = field(field::CR3_TARGET_COUNT);
    for (uint64_t k = 0; k < n && k < 4; ++k) {
      if (field(uint32_t(kCr3Target0 + 2 * k)) == value) exits = false;
    }
  }
  if (exits) c.vm_exit_insn(reason::CrAccess, cr_qualification(cr, 0, gpr));
}

void Vmx::intercept_cr_read(Cpu& c, unsigned cr, unsigned gpr) {
  if (cr == 3 && (field(field::PRIMARY_PROC_CONTROLS) & kCr3StoreExiting))
    c.vm_exit_insn(reason::CrAccess, cr_qualification(3, 1, gpr));
}

void Vmx::intercept_clts(Cpu& c) {
  const uint64_t ts = cpu::cr0::TS;
  if ((field(field::CR0_GUEST_HOST_MASK) & ts) && (field(kCr0Shadow) & ts))
    c.vm_exit_insn(reason::CrAccess, cr_qualification(0, 2, 0));
}

void Vmx::intercept_lmsw(Cpu& c, uint16_t src, bool memory, uint64_t linear) {
  // SDM 25.1.3: LMSW exits if mask.PE = 1, the source's PE = 1 and shadow.PE = 0, or if
  // for any of MP, EM, TS the mask bit is 1 and the source bit differs from the shadow's.
  const uint64_t mask = field(field::CR0_GUEST_HOST_MASK);
  const uint64_t shadow = field(kCr0Shadow);
  const bool pe = (mask & 1) && (src & 1) && !(shadow & 1);
  if (!pe && ((src ^ shadow) & mask & 0xE) == 0) return;
  VmExit e;
  e.reason = reason::CrAccess;
  e.qualification = cr_qualification(0, 3, 0) | (memory ? 1u << 6 : 0u) | (uint64_t(src) << 16);
  if (memory) e.guest_linear = linear & kLow32;  // SDM 27.2.1: LMSW with a memory operand
  c.vm_exit_insn(e);
}

uint64_t Vmx::guest_cr_read(const Cpu&, unsigned cr, uint64_t value) const {
  if (cr != 0 && cr != 4) return value;
  const uint64_t mask = field(cr == 0 ? field::CR0_GUEST_HOST_MASK : kCr4Mask);
  const uint64_t shadow = field(cr == 0 ? kCr0Shadow : kCr4Shadow);
  return ((value & ~mask) | (shadow & mask)) & kLow32;
}

uint64_t Vmx::guest_cr_write(const Cpu& c, unsigned cr, uint64_t value) const {
  if (cr != 0 && cr != 4) return value;
  const uint64_t mask = field(cr == 0 ? field::CR0_GUEST_HOST_MASK : kCr4Mask);
  const uint64_t current = cr == 0 ? c.state().cr0 : c.state().cr4;
  return ((value & ~mask) | (current & mask)) & kLow32;
}

// ---------------------------------------------------------------------------------------
// MOV DR

void Vmx::intercept_dr(Cpu& c, unsigned dr, unsigned gpr, bool read) {
  if (!(field(field::PRIMARY_PROC_CONTROLS) & kMovDrExiting)) return;
  // SDM Table 27-4: debug register (2:0), direction (4: 1 = MOV from DR), register (11:8).
  c.vm_exit_insn(reason::MovDr, (dr & 7) | (read ? 1u << 4 : 0u) | (uint32_t(gpr & 15) << 8));
}

// ---------------------------------------------------------------------------------------
// Instructions with one control bit

void Vmx::intercept_insn(Cpu& c, uint32_t why, uint64_t qualification) {
  const uint32_t proc = uint32_t(field(field::PRIMARY_PROC_CONTROLS));
  bool exits = false;
  switch (why) {
    case reason::Invlpg: exits = proc & kInvlpgExiting; break;
    case reason::Rdtsc: exits = proc & kRdtscExiting; break;
    // "enable RDTSCP" is 1 here (else the CPU raised #UD): RDTSC exiting decides.
    case reason::Rdtscp: exits = proc & kRdtscExiting; break;
    case reason::Rdpmc: exits = proc & kRdpmcExiting; break;
    case reason::Pause: exits = proc & kPauseExiting; break;
    case reason::Wbinvd: exits = secondary_controls() & kWbinvdExiting; break;
    default: break;
  }
  if (exits) c.vm_exit_insn(why, why == reason::Invlpg ? qualification & kLow32 : 0);
}

bool Vmx::rdtscp_enabled(const Cpu&) const { return secondary_controls() & kEnableRdtscp; }

uint64_t Vmx::tsc_offset(const Cpu&) const {
  return (field(field::PRIMARY_PROC_CONTROLS) & kUseTscOffsetting) ? field(field::TSC_OFFSET) : 0;
}

// ---------------------------------------------------------------------------------------
// Descriptor-table exiting

void Vmx::intercept_descriptor_table(Cpu& c, uint32_t why, unsigned identity) {
  if (!(secondary_controls() & kDescriptorTableExiting)) return;
  const Insn* i = c.current_insn();
  if (!i) return;
  VmExit e;
  e.reason = why;
  uint32_t info = (identity & 3u) << 28;
  if (why == reason::GdtrIdtrAccess) {
    // SDM Table 27-10: always a memory operand; operand size in bit 11.
    info |= memory_operand_info(*i) | ((i->opsize == 2 ? 0u : 1u) << 11);
    e.qualification = i->disp;
  } else if (i->mem()) {
    // SDM Table 27-11, memory operand (bit 10 = 0).
    info |= memory_operand_info(*i);
    e.qualification = i->disp;
  } else {
    // Register operand: reg1 in 6:3, bit 10 = 1; the address size and the qualification
    // are undefined (0 here, as Bochs 2.7).
    info |= (uint32_t(i->rm & 15) << 3) | (1u << 10);
  }
  e.instruction_info = info;
  c.vm_exit_insn(e);
}

// ---------------------------------------------------------------------------------------
// Event detail

std::string describe_qualification(const VmExit& e, uint32_t ecx) {
  // Strings are built with += only (GCC 12 -Wrestrict on "literal" + std::string chains).
  static const char* const kGpr[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  const uint64_t q = e.qualification;
  std::string d;
  switch (e.reason) {
    case reason::IoInstruction: {
      const unsigned size = unsigned(q & 7) + 1;
      if ((q & 16) && (q & 32)) d += "rep ";
      d += (q & 8) ? "in" : "out";
      if (q & 16) d += "s";
      d += ' ';
      d += platform::hex((q >> 16) & 0xFFFF);
      d += ", ";
      d += std::to_string(size);
      d += size == 1 ? " byte" : " bytes";
      return d;
    }
    case reason::CrAccess: {
      const std::string cr = std::to_string(q & 15);
      const char* gpr = kGpr[(q >> 8) & 7];
      switch ((q >> 4) & 3) {
        case 0: d += "mov cr"; d += cr; d += ", "; d += gpr; break;
        case 1: d += "mov "; d += gpr; d += ", cr"; d += cr; break;
        case 2: d += "clts"; break;
        default: d += "lmsw "; d += platform::hex((q >> 16) & 0xFFFF); break;
      }
      return d;
    }
    case reason::MovDr: {
      std::string dr = "dr";
      dr += std::to_string(q & 7);
      const char* gpr = kGpr[(q >> 8) & 7];
      d += "mov ";
      d += (q & 16) ? gpr : dr.c_str();
      d += ", ";
      d += (q & 16) ? dr.c_str() : gpr;
      return d;
    }
    case reason::Rdmsr:
    case reason::Wrmsr:
      d += e.reason == reason::Rdmsr ? "rdmsr " : "wrmsr ";
      d += platform::hex(ecx);
      return d;
    case reason::Invlpg:
      d += "invlpg ";
      d += platform::hex(q);
      return d;
    default: return d;
  }
}

}  // namespace vt
