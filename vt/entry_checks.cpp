// vt/entry_checks.cpp — the VM-entry checks on controls and host state, one table in the
// order of Intel SDM Vol.3 26.2.1-26.2.4. Each row: a stable id, the SDM section, the
// VM-instruction error, and a function returning the failure message (nothing = passes).
#include "vt/entry_checks.h"

#include <array>
#include <bit>
#include <string_view>

#include "platform/text.h"
#include "vt/vmx.h"

namespace vt {
namespace {

// Field encodings (SDM Appendix B) the checks read.
namespace f {
constexpr uint32_t VPID = 0x0000, POSTED_INTR_VECTOR = 0x0002;
constexpr uint32_t HOST_ES = 0x0C00, HOST_CS = 0x0C02, HOST_SS = 0x0C04, HOST_DS = 0x0C06,
                   HOST_FS = 0x0C08, HOST_GS = 0x0C0A, HOST_TR = 0x0C0C;
constexpr uint32_t IO_BITMAP_A = 0x2000, IO_BITMAP_B = 0x2002, MSR_BITMAP = 0x2004,
                   EXIT_MSR_STORE = 0x2006, EXIT_MSR_LOAD = 0x2008, ENTRY_MSR_LOAD = 0x200A,
                   VIRTUAL_APIC = 0x2012, APIC_ACCESS = 0x2014, POSTED_INTR_DESC = 0x2016,
                   EPTP = 0x201A, VMREAD_BITMAP = 0x2026, VMWRITE_BITMAP = 0x2028;
constexpr uint32_t HOST_PAT = 0x2C00, HOST_EFER = 0x2C02;
constexpr uint32_t PIN = 0x4000, PRIMARY = 0x4002, CR3_TARGET_COUNT = 0x400A, EXIT = 0x400C,
                   EXIT_MSR_STORE_COUNT = 0x400E, EXIT_MSR_LOAD_COUNT = 0x4010, ENTRY = 0x4012,
                   ENTRY_MSR_LOAD_COUNT = 0x4014, ENTRY_INTR_INFO = 0x4016, ENTRY_ERROR_CODE = 0x4018,
                   ENTRY_INSN_LENGTH = 0x401A, TPR_THRESHOLD = 0x401C, SECONDARY = 0x401E;
constexpr uint32_t GUEST_CR0 = 0x6800;
constexpr uint32_t HOST_CR0 = 0x6C00, HOST_CR3 = 0x6C02, HOST_CR4 = 0x6C04, HOST_FS_BASE = 0x6C06,
                   HOST_GS_BASE = 0x6C08, HOST_TR_BASE = 0x6C0A, HOST_GDTR_BASE = 0x6C0C,
                   HOST_IDTR_BASE = 0x6C0E, HOST_SYSENTER_ESP = 0x6C10, HOST_SYSENTER_EIP = 0x6C12,
                   HOST_RIP = 0x6C16;
}  // namespace f

// Control bits the checks name (SDM 24.6-24.8).
namespace pin {
constexpr uint32_t EXT_INTR = 1u << 0, NMI = 1u << 3, VIRTUAL_NMI = 1u << 5, PREEMPT = 1u << 6,
                   POSTED = 1u << 7;
}
namespace pri {
constexpr uint32_t TPR_SHADOW = 1u << 21, NMI_WINDOW = 1u << 22, IO_BITMAPS = 1u << 25,
                   MSR_BITMAPS = 1u << 28, SECONDARY = 1u << 31;
}
namespace sec {
constexpr uint32_t APIC_ACCESS = 1u << 0, EPT = 1u << 1, X2APIC = 1u << 4, VPID = 1u << 5,
                   UNRESTRICTED = 1u << 7, APIC_REG = 1u << 8, VID = 1u << 9, SHADOWING = 1u << 14;
}
namespace exitc {
constexpr uint32_t HOST_64 = 1u << 9, ACK_INTR = 1u << 15, LOAD_PAT = 1u << 19, LOAD_EFER = 1u << 21,
                   SAVE_PREEMPT = 1u << 22;
}
namespace entryc {
constexpr uint32_t IA32E_GUEST = 1u << 9, TO_SMM = 1u << 10, DEACT_DUAL = 1u << 11;
}

using Msg = std::optional<std::string>;

struct Ctx {
  const VmcsReader& read;
  const EntryLimits& lim;
  uint32_t pin, primary, secondary, exit, entry;  // secondary = 0 unless activated
  uint64_t operator()(uint32_t enc) const { return read(enc); }
};

struct Check {
  EntryCheckInfo info;
  Msg (*run)(const Ctx&);
};

std::string hex(uint64_t v) { return platform::hex(v); }

// ---- helpers ----------------------------------------------------------------------------

const char* control_name(ControlWord w, unsigned bit) {
  for (const Control& c : vmx_controls())
    if (c.word == w && c.bit == bit) return c.name;
  return "reserved";
}

const char* control_msr_name(ControlWord w, bool true_msr) {
  switch (w) {
    case ControlWord::Pin: return true_msr ? "IA32_VMX_TRUE_PINBASED_CTLS" : "IA32_VMX_PINBASED_CTLS";
    case ControlWord::Primary: return true_msr ? "IA32_VMX_TRUE_PROCBASED_CTLS" : "IA32_VMX_PROCBASED_CTLS";
    case ControlWord::Secondary: return "IA32_VMX_PROCBASED_CTLS2";
    case ControlWord::Exit: return true_msr ? "IA32_VMX_TRUE_EXIT_CTLS" : "IA32_VMX_EXIT_CTLS";
    case ControlWord::Entry: return true_msr ? "IA32_VMX_TRUE_ENTRY_CTLS" : "IA32_VMX_ENTRY_CTLS";
    default: return "?";
  }
}

// SDM 26.2.1.x first bullet: every bit that must be 1 (allowed-0 setting 1) is 1, every bit
// that must be 0 (allowed-1 setting 0) is 0. Reported: the lowest offending bit.
Msg control_word(const Ctx& c, ControlWord w, uint32_t value, const char* what) {
  const unsigned k = unsigned(w);
  const bool true_msr = c.lim.true_msrs && w != ControlWord::Secondary;
  const uint32_t must1 = c.lim.allowed0[k] & ~value;
  const uint32_t must0 = value & ~c.lim.allowed1[k];
  if (!must1 && !must0) return std::nullopt;
  const unsigned b1 = must1 ? unsigned(std::countr_zero(must1)) : 32;
  const unsigned b0 = must0 ? unsigned(std::countr_zero(must0)) : 32;
  const bool one = b1 < b0;
  const unsigned bit = one ? b1 : b0;
  std::string m = what;
  const char* name = control_name(w, bit);
  if (std::string_view(name) == "reserved" && ((kDefault1[k] >> bit) & 1)) name = "reserved, default 1";
  m += ": bit " + std::to_string(bit) + " (" + name + ") must be ";
  m += one ? "1" : "0";
  m += " per ";
  m += control_msr_name(w, true_msr);
  m += one ? " allowed-0 (bits 31:0)" : " allowed-1 (bits 63:32)";
  return m;
}

bool beyond_phys(const Ctx& c, uint64_t a) { return c.lim.phys_addr_bits < 64 && (a >> c.lim.phys_addr_bits) != 0; }

// A 4-KiB-aligned physical address within MAXPHYADDR (bitmaps, APIC pages).
Msg page_address(const Ctx& c, uint32_t enc, const char* what) {
  const uint64_t a = c(enc);
  if ((a & 0xFFF) == 0 && !beyond_phys(c, a)) return std::nullopt;
  std::string m = what;
  m += " " + hex(a) + ((a & 0xFFF) ? " is not 4-KiB aligned" : " is beyond the physical-address width");
  return m;
}

// An MSR-store/load area: 16-byte aligned, last byte within MAXPHYADDR (SDM 26.2.1.2/3).
Msg msr_area(const Ctx& c, uint32_t addr_enc, uint32_t count_enc, const char* what) {
  const uint64_t n = c(count_enc) & 0xFFFFFFFF;
  if (n == 0) return std::nullopt;
  const uint64_t a = c(addr_enc);
  std::string m = what;
  if (a & 0xF) return m + " address " + hex(a) + " is not 16-byte aligned (count " + std::to_string(n) + ")";
  if (beyond_phys(c, a) || beyond_phys(c, a + n * 16 - 1))
    return m + " area " + hex(a) + " + " + std::to_string(n) + " x 16 bytes goes beyond the physical-address width";
  return std::nullopt;
}

bool canonical(uint64_t v) {  // 48-bit linear addresses; a 32-bit value always is
  const uint64_t top = v >> 47;
  return top == 0 || top == 0x1FFFF;
}

Msg selector(const Ctx& c, uint32_t enc, const char* name) {
  const uint64_t s = c(enc) & 0xFFFF;
  if ((s & 7) == 0) return std::nullopt;
  std::string m = "host ";
  m += name;
  m += " selector " + hex(s) + ": RPL (bits 1:0) and TI (bit 2) must be 0";
  return m;
}

Msg base(const Ctx& c, uint32_t enc, const char* name) {
  const uint64_t v = c(enc);
  if (canonical(v)) return std::nullopt;
  std::string m = "host ";
  m += name;
  m += " base " + hex(v) + " is not canonical";
  return m;
}

// Event types of the VM-entry interruption-information field (SDM 24.8.3, Table 24-16).
constexpr unsigned kExtIntr = 0, kReserved1 = 1, kNmi = 2, kHwException = 3, kSwIntr = 4,
                   kPrivSwException = 5, kSwException = 6, kOtherEvent = 7;
constexpr uint32_t kIntrValid = 1u << 31, kDeliverEc = 1u << 11;
unsigned intr_type(const Ctx& c) { return unsigned(c(f::ENTRY_INTR_INFO) >> 8) & 7; }
unsigned intr_vector(const Ctx& c) { return unsigned(c(f::ENTRY_INTR_INFO)) & 0xFF; }
bool injecting(const Ctx& c) { return c(f::ENTRY_INTR_INFO) & kIntrValid; }

// PAT memory types (SDM Vol.3 11.12.2): UC 0, WC 1, WT 4, WP 5, WB 6, UC- 7.
bool pat_ok(uint64_t pat) {
  for (unsigned i = 0; i < 8; ++i) {
    const unsigned t = unsigned(pat >> (8 * i)) & 0xFF;
    if (t != 0 && t != 1 && t != 4 && t != 5 && t != 6 && t != 7) return false;
  }
  return true;
}

constexpr uint32_t C = kErrEntryInvalidControls, H = kErrEntryInvalidHostState;

// ---- the table --------------------------------------------------------------------------

const Check kChecks[] = {
    // 26.2.1.1 VM-execution control fields
    {{"pin.reserved", "26.2.1.1", C},
     [](const Ctx& c) { return control_word(c, ControlWord::Pin, c.pin, "pin-based controls"); }},
    {{"primary.reserved", "26.2.1.1", C},
     [](const Ctx& c) { return control_word(c, ControlWord::Primary, c.primary, "primary processor-based controls"); }},
    {{"secondary.reserved", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::SECONDARY)) return std::nullopt;
       return control_word(c, ControlWord::Secondary, c.secondary, "secondary processor-based controls");
     }},
    {{"cr3_target_count", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       const uint64_t n = c(f::CR3_TARGET_COUNT) & 0xFFFFFFFF;
       if (n <= c.lim.cr3_targets) return std::nullopt;
       return "CR3-target count " + std::to_string(n) + " is greater than " +
              std::to_string(c.lim.cr3_targets) + " (IA32_VMX_MISC bits 24:16)";
     }},
    {{"io_bitmap_a", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::IO_BITMAPS)) return std::nullopt;
       return page_address(c, f::IO_BITMAP_A, "use I/O bitmaps: I/O-bitmap A address");
     }},
    {{"io_bitmap_b", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::IO_BITMAPS)) return std::nullopt;
       return page_address(c, f::IO_BITMAP_B, "use I/O bitmaps: I/O-bitmap B address");
     }},
    {{"msr_bitmap", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::MSR_BITMAPS)) return std::nullopt;
       return page_address(c, f::MSR_BITMAP, "use MSR bitmaps: MSR-bitmap address");
     }},
    {{"virtual_apic_address", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::TPR_SHADOW)) return std::nullopt;
       return page_address(c, f::VIRTUAL_APIC, "use TPR shadow: virtual-APIC address");
     }},
    {{"tpr_threshold", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       // With "use TPR shadow" and without "virtual-interrupt delivery": bits 31:4 are 0.
       if (!(c.primary & pri::TPR_SHADOW) || (c.secondary & sec::VID)) return std::nullopt;
       const uint64_t t = c(f::TPR_THRESHOLD) & 0xFFFFFFFF;
       if ((t >> 4) == 0) return std::nullopt;
       return "use TPR shadow: TPR threshold " + hex(t) + " must have bits 31:4 = 0";
     }},
    {{"virtual_nmis", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.pin & pin::VIRTUAL_NMI) || (c.pin & pin::NMI)) return std::nullopt;
       return std::string("pin-based controls: \"virtual NMIs\" = 1 requires \"NMI exiting\" = 1");
     }},
    {{"nmi_window", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.primary & pri::NMI_WINDOW) || (c.pin & pin::VIRTUAL_NMI)) return std::nullopt;
       return std::string("\"NMI-window exiting\" = 1 requires the pin-based control \"virtual NMIs\" = 1");
     }},
    {{"apic_access_address", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::APIC_ACCESS)) return std::nullopt;
       return page_address(c, f::APIC_ACCESS, "virtualize APIC accesses: APIC-access address");
     }},
    {{"apic_virtualization_needs_tpr_shadow", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (c.primary & pri::TPR_SHADOW) return std::nullopt;
       const uint32_t s = c.secondary & (sec::X2APIC | sec::APIC_REG | sec::VID);
       if (!s) return std::nullopt;
       std::string m = "secondary control \"";
       m += control_name(ControlWord::Secondary, unsigned(std::countr_zero(s)));
       m += "\" = 1 requires the primary control \"use TPR shadow\" = 1";
       return m;
     }},
    {{"x2apic_and_apic_access", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if ((c.secondary & (sec::X2APIC | sec::APIC_ACCESS)) != (sec::X2APIC | sec::APIC_ACCESS)) return std::nullopt;
       return std::string("\"virtualize x2APIC mode\" and \"virtualize APIC accesses\" cannot both be 1");
     }},
    {{"vid_needs_external_interrupt_exiting", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::VID) || (c.pin & pin::EXT_INTR)) return std::nullopt;
       return std::string("\"virtual-interrupt delivery\" = 1 requires \"external-interrupt exiting\" = 1");
     }},
    {{"posted_interrupts", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.pin & pin::POSTED)) return std::nullopt;
       if (!(c.secondary & sec::VID))
         return std::string("\"process posted interrupts\" = 1 requires \"virtual-interrupt delivery\" = 1");
       if (!(c.exit & exitc::ACK_INTR))
         return std::string("\"process posted interrupts\" = 1 requires \"acknowledge interrupt on exit\" = 1");
       if (c(f::POSTED_INTR_VECTOR) & 0xFF00)
         return "posted-interrupt notification vector " + hex(c(f::POSTED_INTR_VECTOR)) + " must have bits 15:8 = 0";
       const uint64_t d = c(f::POSTED_INTR_DESC);
       if ((d & 0x3F) || beyond_phys(c, d))
         return "posted-interrupt descriptor address " + hex(d) + " must be 64-byte aligned and within the physical-address width";
       return std::nullopt;
     }},
    {{"vpid_zero", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::VPID) || (c(f::VPID) & 0xFFFF) != 0) return std::nullopt;
       return std::string("\"enable VPID\" = 1 requires a VPID other than 0000H (0 is the host's)");
     }},
    {{"eptp", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::EPT)) return std::nullopt;
       // EPTP (SDM 24.6.11): memory type UC (0) or WB (6) as EPT_VPID_CAP bits 8/14 allow,
       // page-walk length - 1 = 3, A/D enable only with EPT_VPID_CAP bit 21, bits 11:7 and
       // those beyond MAXPHYADDR 0.
       const uint64_t e = c(f::EPTP);
       const std::string p = "enable EPT: EPT pointer " + hex(e) + ": ";
       const unsigned type = unsigned(e & 7);
       if (!((type == 0 && (c.lim.ept_vpid_cap & (1ull << 8))) || (type == 6 && (c.lim.ept_vpid_cap & (1ull << 14)))))
         return p + "memory type (bits 2:0) " + std::to_string(type) + " is not supported (IA32_VMX_EPT_VPID_CAP bits 8/14)";
       if (((e >> 3) & 7) != 3) return p + "bits 5:3 must be 3 (a 4-level page walk)";
       if ((e & (1u << 6)) && !(c.lim.ept_vpid_cap & (1ull << 21)))
         return p + "bit 6 (accessed/dirty flags) is not supported (IA32_VMX_EPT_VPID_CAP bit 21)";
       if ((e & 0xF80) || beyond_phys(c, e)) return p + "bits 11:7 and bits beyond the physical-address width must be 0";
       return std::nullopt;
     }},
    {{"unrestricted_guest_needs_ept", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::UNRESTRICTED) || (c.secondary & sec::EPT)) return std::nullopt;
       return std::string("\"unrestricted guest\" = 1 requires \"enable EPT\" = 1");
     }},
    {{"vmread_bitmap", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::SHADOWING)) return std::nullopt;
       return page_address(c, f::VMREAD_BITMAP, "VMCS shadowing: VMREAD-bitmap address");
     }},
    {{"vmwrite_bitmap", "26.2.1.1", C},
     [](const Ctx& c) -> Msg {
       if (!(c.secondary & sec::SHADOWING)) return std::nullopt;
       return page_address(c, f::VMWRITE_BITMAP, "VMCS shadowing: VMWRITE-bitmap address");
     }},

    // 26.2.1.2 VM-exit control fields
    {{"exit.reserved", "26.2.1.2", C},
     [](const Ctx& c) { return control_word(c, ControlWord::Exit, c.exit, "VM-exit controls"); }},
    {{"save_preemption_timer", "26.2.1.2", C},
     [](const Ctx& c) -> Msg {
       if (!(c.exit & exitc::SAVE_PREEMPT) || (c.pin & pin::PREEMPT)) return std::nullopt;
       return std::string("\"save VMX-preemption timer value\" = 1 requires \"activate VMX-preemption timer\" = 1");
     }},
    {{"exit_msr_store", "26.2.1.2", C},
     [](const Ctx& c) { return msr_area(c, f::EXIT_MSR_STORE, f::EXIT_MSR_STORE_COUNT, "VM-exit MSR-store"); }},
    {{"exit_msr_load", "26.2.1.2", C},
     [](const Ctx& c) { return msr_area(c, f::EXIT_MSR_LOAD, f::EXIT_MSR_LOAD_COUNT, "VM-exit MSR-load"); }},

    // 26.2.1.3 VM-entry control fields
    {{"entry.reserved", "26.2.1.3", C},
     [](const Ctx& c) { return control_word(c, ControlWord::Entry, c.entry, "VM-entry controls"); }},
    {{"injection.type", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c)) return std::nullopt;
       const unsigned t = intr_type(c);
       if (t == kReserved1) return std::string("VM-entry interruption information: type 1 is reserved");
       if (t == kOtherEvent && !c.lim.mtf)
         return std::string("VM-entry interruption information: type 7 (other event) needs \"monitor trap flag\" support");
       return std::nullopt;
     }},
    {{"injection.vector", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c)) return std::nullopt;
       const unsigned t = intr_type(c), v = intr_vector(c);
       if (t == kNmi && v != 2) return "VM-entry interruption information: an NMI (type 2) must have vector 2, not " + std::to_string(v);
       if (t == kHwException && v > 31)
         return "VM-entry interruption information: a hardware exception (type 3) must have vector 0-31, not " + std::to_string(v);
       if (t == kOtherEvent && v != 0) return "VM-entry interruption information: type 7 (other event) must have vector 0";
       return std::nullopt;
     }},
    {{"injection.deliver_error_code", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c)) return std::nullopt;
       // Bit 11 is 1 iff the guest will be in protected mode ("unrestricted guest" = 0, or
       // guest CR0.PE = 1), the type is hardware exception, and the vector is one that
       // delivers an error code: #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17.
       const unsigned t = intr_type(c), v = intr_vector(c);
       const bool pe = !(c.secondary & sec::UNRESTRICTED) || (c(f::GUEST_CR0) & 1);
       const bool ec_vector = v == 8 || (v >= 10 && v <= 14) || v == 17;
       const bool want = pe && t == kHwException && ec_vector;
       const bool has = c(f::ENTRY_INTR_INFO) & kDeliverEc;
       if (want == has) return std::nullopt;
       std::string m = "VM-entry interruption information: deliver-error-code (bit 11) must be ";
       m += want ? "1" : "0";
       m += " for type " + std::to_string(t) + " vector " + std::to_string(v);
       if (!pe) m += " into a real-mode guest";
       return m;
     }},
    {{"injection.reserved", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c) || (c(f::ENTRY_INTR_INFO) & 0x7FFFF000) == 0) return std::nullopt;
       return "VM-entry interruption information " + hex(c(f::ENTRY_INTR_INFO) & 0xFFFFFFFF) + ": bits 30:12 must be 0";
     }},
    {{"injection.error_code", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c) || !(c(f::ENTRY_INTR_INFO) & kDeliverEc)) return std::nullopt;
       const uint64_t ec = c(f::ENTRY_ERROR_CODE) & 0xFFFFFFFF;
       if ((ec >> 16) == 0) return std::nullopt;
       return "VM-entry exception error code " + hex(ec) + ": bits 31:16 must be 0";
     }},
    {{"injection.instruction_length", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!injecting(c)) return std::nullopt;
       const unsigned t = intr_type(c);
       if (t != kSwIntr && t != kPrivSwException && t != kSwException) return std::nullopt;
       const uint64_t n = c(f::ENTRY_INSN_LENGTH) & 0xFFFFFFFF;
       if ((n >= 1 && n <= 15) || (n == 0 && c.lim.zero_length_injection)) return std::nullopt;
       return "VM-entry instruction length " + std::to_string(n) + " must be 1-15 for a software event (type " +
              std::to_string(t) + ")";
     }},
    {{"entry_msr_load", "26.2.1.3", C},
     [](const Ctx& c) { return msr_area(c, f::ENTRY_MSR_LOAD, f::ENTRY_MSR_LOAD_COUNT, "VM-entry MSR-load"); }},
    {{"entry_smm", "26.2.1.3", C},
     [](const Ctx& c) -> Msg {
       if (!(c.entry & (entryc::TO_SMM | entryc::DEACT_DUAL))) return std::nullopt;
       return std::string("\"entry to SMM\" and \"deactivate dual-monitor treatment\" must be 0 outside SMM");
     }},

    // 26.2.2 host control registers and MSRs
    {{"host.cr0_fixed", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(f::HOST_CR0) & 0xFFFFFFFF;
       if ((v & c.lim.cr0_fixed0) == c.lim.cr0_fixed0 && (v & ~c.lim.cr0_fixed1 & 0xFFFFFFFF) == 0) return std::nullopt;
       return "host CR0 " + hex(v) + " violates IA32_VMX_CR0_FIXED0 " + hex(c.lim.cr0_fixed0) + " / FIXED1 " +
              hex(c.lim.cr0_fixed1);
     }},
    {{"host.cr4_fixed", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(f::HOST_CR4);
       if ((v & c.lim.cr4_fixed0) == c.lim.cr4_fixed0 && (v & ~c.lim.cr4_fixed1) == 0) return std::nullopt;
       return "host CR4 " + hex(v) + " violates IA32_VMX_CR4_FIXED0 " + hex(c.lim.cr4_fixed0) + " / FIXED1 " +
              hex(c.lim.cr4_fixed1);
     }},
    {{"host.cr3", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(f::HOST_CR3);
       if (!beyond_phys(c, v)) return std::nullopt;
       return "host CR3 " + hex(v) + " has bits set beyond the physical-address width";
     }},
    {{"host.sysenter_esp", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       if (canonical(c(f::HOST_SYSENTER_ESP))) return std::nullopt;
       return "host IA32_SYSENTER_ESP " + hex(c(f::HOST_SYSENTER_ESP)) + " is not canonical";
     }},
    {{"host.sysenter_eip", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       if (canonical(c(f::HOST_SYSENTER_EIP))) return std::nullopt;
       return "host IA32_SYSENTER_EIP " + hex(c(f::HOST_SYSENTER_EIP)) + " is not canonical";
     }},
    {{"host.pat", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       if (!(c.exit & exitc::LOAD_PAT) || pat_ok(c(f::HOST_PAT))) return std::nullopt;
       return "load IA32_PAT: host IA32_PAT " + hex(c(f::HOST_PAT)) +
              " has a byte that is not a memory type (0, 1, 4, 5, 6, 7)";
     }},
    {{"host.efer", "26.2.2", H},
     [](const Ctx& c) -> Msg {
       if (!(c.exit & exitc::LOAD_EFER)) return std::nullopt;
       const uint64_t v = c(f::HOST_EFER);
       // Reserved: all but SCE (0), LME (8), LMA (10), NXE (11). LMA and LME equal "host
       // address-space size".
       if (v & ~0xD01ull) return "load IA32_EFER: host IA32_EFER " + hex(v) + " has reserved bits set";
       const bool host64 = c.exit & exitc::HOST_64;
       if (bool(v & (1u << 10)) != host64 || bool(v & (1u << 8)) != host64)
         return "load IA32_EFER: host IA32_EFER.LMA and .LME " + hex(v) + " must equal \"host address-space size\"";
       return std::nullopt;
     }},

    // 26.2.3 host segment and descriptor-table registers
    {{"host.es_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_ES, "ES"); }},
    {{"host.cs_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_CS, "CS"); }},
    {{"host.ss_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_SS, "SS"); }},
    {{"host.ds_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_DS, "DS"); }},
    {{"host.fs_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_FS, "FS"); }},
    {{"host.gs_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_GS, "GS"); }},
    {{"host.tr_selector", "26.2.3", H}, [](const Ctx& c) { return selector(c, f::HOST_TR, "TR"); }},
    {{"host.cs_null", "26.2.3", H},
     [](const Ctx& c) -> Msg {
       if (c(f::HOST_CS) & 0xFFFF) return std::nullopt;
       return std::string("host CS selector must not be 0000H");
     }},
    {{"host.tr_null", "26.2.3", H},
     [](const Ctx& c) -> Msg {
       if (c(f::HOST_TR) & 0xFFFF) return std::nullopt;
       return std::string("host TR selector must not be 0000H");
     }},
    {{"host.ss_null", "26.2.3", H},
     [](const Ctx& c) -> Msg {
       if ((c(f::HOST_SS) & 0xFFFF) || (c.exit & exitc::HOST_64)) return std::nullopt;
       return std::string("host SS selector must not be 0000H when \"host address-space size\" is 0");
     }},
    {{"host.fs_base", "26.2.3", H}, [](const Ctx& c) { return base(c, f::HOST_FS_BASE, "FS"); }},
    {{"host.gs_base", "26.2.3", H}, [](const Ctx& c) { return base(c, f::HOST_GS_BASE, "GS"); }},
    {{"host.gdtr_base", "26.2.3", H}, [](const Ctx& c) { return base(c, f::HOST_GDTR_BASE, "GDTR"); }},
    {{"host.idtr_base", "26.2.3", H}, [](const Ctx& c) { return base(c, f::HOST_IDTR_BASE, "IDTR"); }},
    {{"host.tr_base", "26.2.3", H}, [](const Ctx& c) { return base(c, f::HOST_TR_BASE, "TR"); }},

    // 26.2.4 address-space size: the processor is outside IA-32e mode (no long mode here).
    {{"host.address_space_size", "26.2.4", H},
     [](const Ctx& c) -> Msg {
       if (!(c.exit & exitc::HOST_64)) return std::nullopt;
       return std::string("\"host address-space size\" must be 0 outside IA-32e mode (IA32_EFER.LMA = 0)");
     }},
    {{"host.ia32e_mode_guest", "26.2.4", H},
     [](const Ctx& c) -> Msg {
       if (!(c.entry & entryc::IA32E_GUEST)) return std::nullopt;
       return std::string("\"IA-32e mode guest\" must be 0 outside IA-32e mode (IA32_EFER.LMA = 0)");
     }},
    {{"host.rip", "26.2.4", H},
     [](const Ctx& c) -> Msg {
       if ((c(f::HOST_RIP) >> 32) == 0) return std::nullopt;
       return "host RIP " + hex(c(f::HOST_RIP)) + ": bits 63:32 must be 0 when \"host address-space size\" is 0";
     }},
};

}  // namespace

EntryLimits EntryLimits::from(const Capabilities& caps) {
  EntryLimits l{};
  const bool true_msrs = (caps.basic() >> 55) & 1;
  l.true_msrs = true_msrs;
  for (unsigned k = 0; k < unsigned(ControlWord::Count); ++k) {
    const auto w = ControlWord(k);
    l.allowed0[k] = caps.allowed0(w, true_msrs && w != ControlWord::Secondary);
    // Secondary controls exist only when "activate secondary controls" may be 1.
    l.allowed1[k] = (w == ControlWord::Secondary && !caps.has(ControlWord::Primary, 31)) ? 0 : caps.allowed1(w);
  }
  const uint64_t misc = caps.misc();
  l.cr3_targets = unsigned(misc >> 16) & 0x1FF;
  l.zero_length_injection = (misc >> 30) & 1;
  l.mtf = caps.has(ControlWord::Primary, 27);
  uint64_t cap = 0;
  l.ept_vpid_cap = caps.read_msr(msr::VMX_EPT_VPID_CAP, cap) ? cap : 0;
  l.cr0_fixed0 = Capabilities::cr0_fixed0();
  l.cr0_fixed1 = Capabilities::cr0_fixed1();
  l.cr4_fixed0 = Capabilities::cr4_fixed0();
  l.cr4_fixed1 = Capabilities::cr4_fixed1();
  l.phys_addr_bits = kPhysAddrBits;
  return l;
}

std::optional<EntryCheckFailure> check_controls_and_host(const VmcsReader& read, const EntryLimits& lim) {
  const uint32_t primary = uint32_t(read(f::PRIMARY));
  const Ctx c{read,
              lim,
              uint32_t(read(f::PIN)),
              primary,
              (primary & pri::SECONDARY) ? uint32_t(read(f::SECONDARY)) : 0,
              uint32_t(read(f::EXIT)),
              uint32_t(read(f::ENTRY))};
  for (const Check& k : kChecks) {
    if (Msg m = k.run(c)) return EntryCheckFailure{k.info.error, k.info.id, k.info.section, std::move(*m)};
  }
  return std::nullopt;
}

std::span<const EntryCheckInfo> entry_check_list() {
  static const auto list = [] {
    std::array<EntryCheckInfo, std::size(kChecks)> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = kChecks[i].info;
    return a;
  }();
  return list;
}

}  // namespace vt
