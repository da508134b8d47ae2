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
  // Each field is read through `read` once per run of a table: the checks read the same
  // fields many times (the segment rules alone read each segment's four fields ~20 times),
  // and VM entry runs the guest-state table at every VMLAUNCH/VMRESUME. A small open-
  // addressing table, encoding + 1 as the key (0 = empty).
  mutable std::array<uint32_t, 256> keys{};
  mutable std::array<uint64_t, 256> vals{};
  uint64_t operator()(uint32_t enc) const {
    for (unsigned h = (enc * 2654435761u) >> 24;; h = (h + 1) & 255) {
      if (keys[h] == enc + 1) return vals[h];
      if (keys[h] == 0) {
        keys[h] = enc + 1;
        return vals[h] = read(enc);
      }
    }
  }
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


// ---- the guest-state checks (SDM Vol.3 26.3.1) ------------------------------------------

namespace g {
// Guest-state field encodings (SDM Appendix B).
constexpr uint32_t SEL = 0x0800, LINK = 0x2800, DEBUGCTL = 0x2802, PAT = 0x2804, EFER = 0x2806,
                   LIMIT = 0x4800, GDTR_LIMIT = 0x4810, IDTR_LIMIT = 0x4812, AR = 0x4814, INTERRUPTIBILITY = 0x4824,
                   ACTIVITY = 0x4826, CR0 = 0x6800, CR3 = 0x6802, CR4 = 0x6804, BASE = 0x6806,
                   GDTR_BASE = 0x6816, IDTR_BASE = 0x6818, DR7 = 0x681A, RIP = 0x681E, RFLAGS = 0x6820,
                   PENDING_DBG = 0x6822, SYSENTER_ESP = 0x6824, SYSENTER_EIP = 0x6826;
// Segment order of the encodings: ES CS SS DS FS GS LDTR TR.
constexpr unsigned ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, LDTR = 6, TR = 7;
constexpr const char* kSegName[] = {"ES", "CS", "SS", "DS", "FS", "GS", "LDTR", "TR"};
constexpr unsigned kData[] = {DS, ES, FS, GS};  // the SDM's order for the data-segment rules
// Access rights (SDM 24.4.1, Table 24-2).
constexpr uint32_t AR_S = 1u << 4, AR_P = 1u << 7, AR_DB = 1u << 14, AR_G = 1u << 15, AR_UNUSABLE = 1u << 16;
// Entry controls and guest bits the checks name.
constexpr uint32_t LOAD_DEBUG = 1u << 2, LOAD_PAT = 1u << 14, LOAD_EFER = 1u << 15;
constexpr uint64_t RF_IF = 1u << 9, RF_TF = 1u << 8, RF_VM = 1u << 17;
constexpr uint32_t BLOCK_STI = 1, BLOCK_MOVSS = 2, BLOCK_SMI = 4, BLOCK_NMI = 8;
}  // namespace g

struct Seg {
  uint64_t sel, base, limit;
  uint32_t ar;
  bool usable() const { return !(ar & g::AR_UNUSABLE); }
  unsigned type() const { return ar & 0xF; }
  unsigned dpl() const { return (ar >> 5) & 3; }
  unsigned rpl() const { return unsigned(sel) & 3; }
};
Seg seg(const Ctx& c, unsigned i) {
  return {c(g::SEL + 2 * i) & 0xFFFF, c(g::BASE + 2 * i), c(g::LIMIT + 2 * i) & 0xFFFFFFFF,
          uint32_t(c(g::AR + 2 * i))};
}
std::string seg_msg(unsigned i, const std::string& what) {
  std::string m = "guest ";
  m += g::kSegName[i];
  m += " ";
  m += what;
  return m;
}
bool unrestricted(const Ctx& c) { return c.secondary & sec::UNRESTRICTED; }
bool v86(const Ctx& c) { return c(g::RFLAGS) & g::RF_VM; }
bool guest_pe(const Ctx& c) { return c(g::CR0) & 1; }

// Limit against granularity (SDM 26.3.1.2): bits 11:0 not all 1 -> G = 0; bits 31:20 not all
// 0 -> G = 1.
Msg granularity(const Seg& s, unsigned i) {
  const bool gbit = s.ar & g::AR_G;
  if ((s.limit & 0xFFF) != 0xFFF && gbit) return seg_msg(i, "limit " + hex(s.limit) + " has bits 11:0 not all 1 but G = 1");
  if ((s.limit >> 20) != 0 && !gbit) return seg_msg(i, "limit " + hex(s.limit) + " has bits 31:20 not all 0 but G = 0");
  return std::nullopt;
}

// Runs `rule` on CS (always) and on SS, DS, ES, FS, GS when usable, in the SDM's order;
// skipped in virtual-8086 mode (its own rules apply).
template <typename Rule>
Msg pm_segments(const Ctx& c, Rule rule) {
  if (v86(c)) return std::nullopt;
  for (unsigned i : {g::CS, g::SS, g::DS, g::ES, g::FS, g::GS}) {
    const Seg s = seg(c, i);
    if (i != g::CS && !s.usable()) continue;
    if (Msg m = rule(s, i)) return m;
  }
  return std::nullopt;
}

// The system segments (LDTR when usable, TR always): type, S = 0, P = 1, reserved bits,
// granularity.
Msg system_segment(const Ctx& c, unsigned i) {
  const Seg s = seg(c, i);
  if (i == g::LDTR && !s.usable()) return std::nullopt;
  if (i == g::TR && !s.usable()) return seg_msg(i, "must be usable (access rights bit 16 = 0)");
  if (i == g::LDTR && s.type() != 2) return seg_msg(i, "type " + std::to_string(s.type()) + " must be 2 (LDT)");
  if (i == g::TR && s.type() != 3 && s.type() != 11)
    return seg_msg(i, "type " + std::to_string(s.type()) + " must be 3 or 11 (busy 16-/32-bit TSS)");
  if (s.ar & g::AR_S) return seg_msg(i, "access rights: S (bit 4) must be 0");
  if (!(s.ar & g::AR_P)) return seg_msg(i, "access rights: P (bit 7) must be 1");
  if (s.ar & 0xF00) return seg_msg(i, "access rights " + hex(s.ar) + ": bits 11:8 must be 0");
  if (Msg m = granularity(s, i)) return m;
  if (s.ar & 0xFFFE0000) return seg_msg(i, "access rights " + hex(s.ar) + ": bits 31:17 must be 0");
  return std::nullopt;
}

constexpr uint32_t GS_ = kExitInvalidGuestState;

const Check kGuestChecks[] = {
    // 26.3.1.1 guest control registers, debug registers and MSRs
    {{"guest.cr0_fixed", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(g::CR0) & 0xFFFFFFFF;
       // "unrestricted guest" = 1 relaxes PE (bit 0) and PG (bit 31) of FIXED0.
       const uint64_t fixed0 = c.lim.cr0_fixed0 & (unrestricted(c) ? ~0x80000001ull : ~0ull);
       if ((v & fixed0) == fixed0 && (v & ~c.lim.cr0_fixed1 & 0xFFFFFFFF) == 0) return std::nullopt;
       std::string m = "guest CR0 " + hex(v) + " violates IA32_VMX_CR0_FIXED0 " + hex(c.lim.cr0_fixed0) + " / FIXED1 " +
                       hex(c.lim.cr0_fixed1);
       if (unrestricted(c)) m += " (PE and PG relaxed: unrestricted guest)";
       return m;
     }},
    {{"guest.cr0_pg_needs_pe", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(g::CR0);
       if (!(v & 0x80000000) || (v & 1)) return std::nullopt;
       return "guest CR0 " + hex(v & 0xFFFFFFFF) + ": PG = 1 requires PE = 1";
     }},
    {{"guest.cr4_fixed", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(g::CR4);
       if ((v & c.lim.cr4_fixed0) == c.lim.cr4_fixed0 && (v & ~c.lim.cr4_fixed1) == 0) return std::nullopt;
       return "guest CR4 " + hex(v) + " violates IA32_VMX_CR4_FIXED0 " + hex(c.lim.cr4_fixed0) + " / FIXED1 " +
              hex(c.lim.cr4_fixed1);
     }},
    {{"guest.debugctl", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       // Reserved IA32_DEBUGCTL bits (SDM Vol.3 17.4.1): 5:2 and 63:16.
       if (!(c.entry & g::LOAD_DEBUG) || !(c(g::DEBUGCTL) & ~0xFFC3ull)) return std::nullopt;
       return "load debug controls: guest IA32_DEBUGCTL " + hex(c(g::DEBUGCTL)) + " has reserved bits (5:2, 63:16) set";
     }},
    {{"guest.cr3", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (!beyond_phys(c, c(g::CR3))) return std::nullopt;
       return "guest CR3 " + hex(c(g::CR3)) + " has bits set beyond the physical-address width";
     }},
    {{"guest.dr7", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (!(c.entry & g::LOAD_DEBUG) || (c(g::DR7) >> 32) == 0) return std::nullopt;
       return "load debug controls: guest DR7 " + hex(c(g::DR7)) + ": bits 63:32 must be 0";
     }},
    {{"guest.sysenter_esp", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (canonical(c(g::SYSENTER_ESP))) return std::nullopt;
       return "guest IA32_SYSENTER_ESP " + hex(c(g::SYSENTER_ESP)) + " is not canonical";
     }},
    {{"guest.sysenter_eip", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (canonical(c(g::SYSENTER_EIP))) return std::nullopt;
       return "guest IA32_SYSENTER_EIP " + hex(c(g::SYSENTER_EIP)) + " is not canonical";
     }},
    {{"guest.pat", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (!(c.entry & g::LOAD_PAT) || pat_ok(c(g::PAT))) return std::nullopt;
       return "load IA32_PAT: guest IA32_PAT " + hex(c(g::PAT)) + " has a byte that is not a memory type (0, 1, 4, 5, 6, 7)";
     }},
    {{"guest.efer", "26.3.1.1", GS_},
     [](const Ctx& c) -> Msg {
       if (!(c.entry & g::LOAD_EFER)) return std::nullopt;
       const uint64_t v = c(g::EFER);
       if (v & ~0xD01ull) return "load IA32_EFER: guest IA32_EFER " + hex(v) + " has reserved bits set";
       // LMA = "IA-32e mode guest" (0 here); LME = LMA when CR0.PG = 1.
       if (v & (1u << 10)) return "load IA32_EFER: guest IA32_EFER.LMA " + hex(v) + " must equal \"IA-32e mode guest\" (0)";
       if ((c(g::CR0) & 0x80000000) && (v & (1u << 8)))
         return "load IA32_EFER: guest IA32_EFER.LME " + hex(v) + " must equal LMA when guest CR0.PG = 1";
       return std::nullopt;
     }},

    // 26.3.1.2 guest segment registers: selectors
    {{"guest.tr_ti", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (!(seg(c, g::TR).sel & 4)) return std::nullopt;
       return seg_msg(g::TR, "selector " + hex(seg(c, g::TR).sel) + ": TI (bit 2) must be 0");
     }},
    {{"guest.ldtr_ti", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       const Seg s = seg(c, g::LDTR);
       if (!s.usable() || !(s.sel & 4)) return std::nullopt;
       return seg_msg(g::LDTR, "selector " + hex(s.sel) + ": TI (bit 2) must be 0");
     }},
    {{"guest.ss_rpl", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c) || unrestricted(c) || seg(c, g::SS).rpl() == seg(c, g::CS).rpl()) return std::nullopt;
       return "guest SS selector RPL " + std::to_string(seg(c, g::SS).rpl()) + " must equal CS selector RPL " +
              std::to_string(seg(c, g::CS).rpl());
     }},
    // bases
    {{"guest.v86_base", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (!v86(c)) return std::nullopt;
       for (unsigned i : {g::CS, g::SS, g::DS, g::ES, g::FS, g::GS}) {
         const Seg s = seg(c, i);
         if (s.base != s.sel << 4)
           return seg_msg(i, "base " + hex(s.base) + " must be selector << 4 (" + hex(s.sel << 4) + ") in virtual-8086 mode");
       }
       return std::nullopt;
     }},
    {{"guest.base", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       // TR, FS, GS (and LDTR when usable) canonical; CS (and SS, DS, ES when usable) bits 63:32 = 0.
       for (unsigned i : {g::TR, g::FS, g::GS, g::LDTR}) {
         const Seg s = seg(c, i);
         if ((i != g::LDTR || s.usable()) && !canonical(s.base)) return seg_msg(i, "base " + hex(s.base) + " is not canonical");
       }
       for (unsigned i : {g::CS, g::SS, g::DS, g::ES}) {
         const Seg s = seg(c, i);
         if ((i == g::CS || s.usable()) && (s.base >> 32)) return seg_msg(i, "base " + hex(s.base) + ": bits 63:32 must be 0");
       }
       return std::nullopt;
     }},
    // limits and access rights in virtual-8086 mode
    {{"guest.v86_limit", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (!v86(c)) return std::nullopt;
       for (unsigned i : {g::CS, g::SS, g::DS, g::ES, g::FS, g::GS})
         if (seg(c, i).limit != 0xFFFF) return seg_msg(i, "limit " + hex(seg(c, i).limit) + " must be FFFFH in virtual-8086 mode");
       return std::nullopt;
     }},
    {{"guest.v86_access_rights", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (!v86(c)) return std::nullopt;
       for (unsigned i : {g::CS, g::SS, g::DS, g::ES, g::FS, g::GS})
         if (seg(c, i).ar != 0xF3) return seg_msg(i, "access rights " + hex(seg(c, i).ar) + " must be F3H in virtual-8086 mode");
       return std::nullopt;
     }},
    // access rights outside virtual-8086 mode
    {{"guest.cs_type", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c)) return std::nullopt;
       const unsigned t = seg(c, g::CS).type();
       if (t == 9 || t == 11 || t == 13 || t == 15 || (t == 3 && unrestricted(c))) return std::nullopt;
       std::string m = "guest CS type " + std::to_string(t) + " must be 9, 11, 13 or 15 (accessed code)";
       if (unrestricted(c)) m += ", or 3 (unrestricted guest)";
       return m;
     }},
    {{"guest.ss_type", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       const Seg s = seg(c, g::SS);
       if (v86(c) || !s.usable() || s.type() == 3 || s.type() == 7) return std::nullopt;
       return "guest SS type " + std::to_string(s.type()) + " must be 3 or 7 (accessed read/write data)";
     }},
    {{"guest.data_type", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c)) return std::nullopt;
       for (unsigned i : g::kData) {
         const Seg s = seg(c, i);
         if (!s.usable()) continue;
         if (!(s.type() & 1)) return seg_msg(i, "type " + std::to_string(s.type()) + " must have the accessed bit (bit 0) set");
         if ((s.type() & 8) && !(s.type() & 2))
           return seg_msg(i, "type " + std::to_string(s.type()) + ": a code segment must be readable (bit 1)");
       }
       return std::nullopt;
     }},
    {{"guest.s_bit", "26.3.1.2", GS_},
     [](const Ctx& c) {
       return pm_segments(c, [](const Seg& s, unsigned i) -> Msg {
         if (s.ar & g::AR_S) return std::nullopt;
         return seg_msg(i, "access rights: S (bit 4) must be 1 (code or data)");
       });
     }},
    {{"guest.cs_dpl", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c)) return std::nullopt;
       const Seg cs = seg(c, g::CS), ss = seg(c, g::SS);
       const unsigned t = cs.type();
       std::string p = "guest CS DPL " + std::to_string(cs.dpl());
       if (t == 3 && cs.dpl() != 0) return p + " must be 0 for type 3 (unrestricted guest)";
       if ((t == 9 || t == 11) && cs.dpl() != ss.dpl())
         return p + " must equal SS DPL " + std::to_string(ss.dpl()) + " (non-conforming code)";
       if ((t == 13 || t == 15) && cs.dpl() > ss.dpl())
         return p + " must be <= SS DPL " + std::to_string(ss.dpl()) + " (conforming code)";
       return std::nullopt;
     }},
    {{"guest.ss_dpl", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c)) return std::nullopt;
       const Seg ss = seg(c, g::SS), cs = seg(c, g::CS);
       if (!unrestricted(c) && ss.dpl() != ss.rpl())
         return "guest SS DPL " + std::to_string(ss.dpl()) + " must equal SS selector RPL " + std::to_string(ss.rpl());
       if ((cs.type() == 3 || !guest_pe(c)) && ss.dpl() != 0)
         return "guest SS DPL " + std::to_string(ss.dpl()) + " must be 0 when CS type is 3 or CR0.PE = 0";
       return std::nullopt;
     }},
    {{"guest.data_dpl", "26.3.1.2", GS_},
     [](const Ctx& c) -> Msg {
       if (v86(c) || unrestricted(c)) return std::nullopt;
       for (unsigned i : g::kData) {
         const Seg s = seg(c, i);
         // Data and non-conforming code (types 0-11): DPL >= RPL.
         if (!s.usable() || s.type() > 11 || s.dpl() >= s.rpl()) continue;
         return seg_msg(i, "DPL " + std::to_string(s.dpl()) + " must be >= selector RPL " + std::to_string(s.rpl()));
       }
       return std::nullopt;
     }},
    {{"guest.present", "26.3.1.2", GS_},
     [](const Ctx& c) {
       return pm_segments(c, [](const Seg& s, unsigned i) -> Msg {
         if (s.ar & g::AR_P) return std::nullopt;
         return seg_msg(i, "access rights: P (bit 7) must be 1");
       });
     }},
    {{"guest.ar_reserved_11_8", "26.3.1.2", GS_},
     [](const Ctx& c) {
       return pm_segments(c, [](const Seg& s, unsigned i) -> Msg {
         if (!(s.ar & 0xF00)) return std::nullopt;
         return seg_msg(i, "access rights " + hex(s.ar) + ": bits 11:8 must be 0");
       });
     }},
    {{"guest.granularity", "26.3.1.2", GS_},
     [](const Ctx& c) { return pm_segments(c, granularity); }},
    {{"guest.ar_reserved_31_17", "26.3.1.2", GS_},
     [](const Ctx& c) {
       return pm_segments(c, [](const Seg& s, unsigned i) -> Msg {
         if (!(s.ar & 0xFFFE0000)) return std::nullopt;
         return seg_msg(i, "access rights " + hex(s.ar) + ": bits 31:17 must be 0");
       });
     }},
    {{"guest.tr_access_rights", "26.3.1.2", GS_}, [](const Ctx& c) { return system_segment(c, g::TR); }},
    {{"guest.ldtr_access_rights", "26.3.1.2", GS_}, [](const Ctx& c) { return system_segment(c, g::LDTR); }},

    // 26.3.1.3 GDTR and IDTR
    {{"guest.gdtr_idtr_base", "26.3.1.3", GS_},
     [](const Ctx& c) -> Msg {
       if (!canonical(c(g::GDTR_BASE))) return "guest GDTR base " + hex(c(g::GDTR_BASE)) + " is not canonical";
       if (!canonical(c(g::IDTR_BASE))) return "guest IDTR base " + hex(c(g::IDTR_BASE)) + " is not canonical";
       return std::nullopt;
     }},
    {{"guest.gdtr_idtr_limit", "26.3.1.3", GS_},
     [](const Ctx& c) -> Msg {
       if (c(g::GDTR_LIMIT) >> 16) return "guest GDTR limit " + hex(c(g::GDTR_LIMIT)) + ": bits 31:16 must be 0";
       if (c(g::IDTR_LIMIT) >> 16) return "guest IDTR limit " + hex(c(g::IDTR_LIMIT)) + ": bits 31:16 must be 0";
       return std::nullopt;
     }},

    // 26.3.1.4 RIP and RFLAGS
    {{"guest.rip", "26.3.1.4", GS_},
     [](const Ctx& c) -> Msg {
       if ((c(g::RIP) >> 32) == 0) return std::nullopt;
       return "guest RIP " + hex(c(g::RIP)) + ": bits 63:32 must be 0 outside IA-32e mode";
     }},
    {{"guest.rflags_reserved", "26.3.1.4", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t v = c(g::RFLAGS);
       if ((v & ~0x3F7FD7ull) == 0 && (v & 2)) return std::nullopt;
       return "guest RFLAGS " + hex(v) + ": bits 63:22, 15, 5 and 3 must be 0 and bit 1 must be 1";
     }},
    {{"guest.rflags_vm", "26.3.1.4", GS_},
     [](const Ctx& c) -> Msg {
       if (!v86(c) || guest_pe(c)) return std::nullopt;
       return "guest RFLAGS.VM must be 0 when guest CR0.PE = 0 (unrestricted guest)";
     }},
    {{"guest.rflags_if_for_interrupt", "26.3.1.4", GS_},
     [](const Ctx& c) -> Msg {
       if (!injecting(c) || intr_type(c) != kExtIntr || (c(g::RFLAGS) & g::RF_IF)) return std::nullopt;
       return std::string("guest RFLAGS.IF must be 1 when injecting an external interrupt");
     }},

    // 26.3.1.5 non-register state
    {{"guest.activity_state", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t a = c(g::ACTIVITY) & 0xFFFFFFFF;
       if (a == 0) return std::nullopt;
       if (a > 3) return "guest activity state " + std::to_string(a) + " is not 0-3";
       if (!((c.lim.activity_states >> (a - 1)) & 1))
         return "guest activity state " + std::to_string(a) + " is not supported (IA32_VMX_MISC bits 8:6)";
       return std::nullopt;
     }},
    {{"guest.activity_hlt_ss_dpl", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if ((c(g::ACTIVITY) & 0xFFFFFFFF) != 1 || seg(c, g::SS).dpl() == 0) return std::nullopt;
       return "guest activity state HLT requires SS DPL 0, not " + std::to_string(seg(c, g::SS).dpl());
     }},
    {{"guest.activity_blocking", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if ((c(g::ACTIVITY) & 0xFFFFFFFF) == 0 || !(c(g::INTERRUPTIBILITY) & (g::BLOCK_STI | g::BLOCK_MOVSS)))
         return std::nullopt;
       return std::string("guest activity state must be active (0) with blocking by STI or MOV SS");
     }},
    {{"guest.activity_injection", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       const uint64_t a = c(g::ACTIVITY) & 0xFFFFFFFF;
       if (!injecting(c) || a == 0) return std::nullopt;
       const unsigned t = intr_type(c), v = intr_vector(c);
       // HLT: external interrupt, NMI, #DB, #MC or a pending MTF; shutdown: NMI or #MC;
       // wait-for-SIPI: nothing.
       const bool hw_db_mc = t == kHwException && (v == 1 || v == 18);
       if (a == 1 && (t == kExtIntr || t == kNmi || hw_db_mc || t == kOtherEvent)) return std::nullopt;
       if (a == 2 && (t == kNmi || (t == kHwException && v == 18))) return std::nullopt;
       return "guest activity state " + std::to_string(a) + " does not allow injecting type " + std::to_string(t) +
              " vector " + std::to_string(v);
     }},
    {{"guest.interruptibility_reserved", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       // Bits 31:5 reserved; bit 4 (enclave interruption) too without SGX.
       if ((c(g::INTERRUPTIBILITY) & 0xFFFFFFF0) == 0) return std::nullopt;
       return "guest interruptibility state " + hex(c(g::INTERRUPTIBILITY)) + ": bits 31:4 must be 0";
     }},
    {{"guest.interruptibility_sti_and_mov_ss", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if ((c(g::INTERRUPTIBILITY) & 3) != 3) return std::nullopt;
       return std::string("guest interruptibility state: blocking by STI and by MOV SS cannot both be 1");
     }},
    {{"guest.interruptibility_sti_needs_if", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if (!(c(g::INTERRUPTIBILITY) & g::BLOCK_STI) || (c(g::RFLAGS) & g::RF_IF)) return std::nullopt;
       return std::string("guest interruptibility state: blocking by STI requires RFLAGS.IF = 1");
     }},
    {{"guest.interruptibility_injection", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if (!injecting(c)) return std::nullopt;
       const uint64_t b = c(g::INTERRUPTIBILITY);
       const unsigned t = intr_type(c);
       if (t == kExtIntr && (b & (g::BLOCK_STI | g::BLOCK_MOVSS)))
         return std::string("injecting an external interrupt requires no blocking by STI or MOV SS");
       if (t == kNmi && (b & g::BLOCK_MOVSS)) return std::string("injecting an NMI requires no blocking by MOV SS");
       if (t == kNmi && (c.pin & pin::VIRTUAL_NMI) && (b & g::BLOCK_NMI))
         return std::string("injecting an NMI with \"virtual NMIs\" = 1 requires no blocking by NMI");
       return std::nullopt;
     }},
    {{"guest.interruptibility_smi", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       if (!(c(g::INTERRUPTIBILITY) & g::BLOCK_SMI)) return std::nullopt;
       return std::string("guest interruptibility state: blocking by SMI (bit 2) must be 0 outside SMM");
     }},
    {{"guest.pending_debug_reserved", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       // Bits 11:4, 13, 15 and 63:16 (bit 16, RTM, is reserved without RTM) are reserved.
       const uint64_t v = c(g::PENDING_DBG);
       if ((v & ~0x500Full) == 0) return std::nullopt;
       return "guest pending debug exceptions " + hex(v) + ": bits 11:4, 13, 15 and 63:16 must be 0";
     }},
    {{"guest.pending_debug_bs", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       // With blocking by STI or MOV SS, or in HLT: BS (bit 14) = RFLAGS.TF and not DEBUGCTL.BTF.
       const bool blocked = (c(g::INTERRUPTIBILITY) & 3) || (c(g::ACTIVITY) & 0xFFFFFFFF) == 1;
       if (!blocked) return std::nullopt;
       const bool want = (c(g::RFLAGS) & g::RF_TF) && !(c(g::DEBUGCTL) & 2);
       const bool bs = c(g::PENDING_DBG) & (1u << 14);
       if (bs == want) return std::nullopt;
       std::string m = "guest pending debug exceptions: BS (bit 14) must be ";
       m += want ? "1" : "0";
       m += " when RFLAGS.TF = " + std::to_string((c(g::RFLAGS) >> 8) & 1) + " and IA32_DEBUGCTL.BTF = " +
            std::to_string((c(g::DEBUGCTL) >> 1) & 1) + " with blocking by STI/MOV SS or in HLT";
       return m;
     }},
    {{"guest.vmcs_link_pointer", "26.3.1.5", GS_},
     [](const Ctx& c) -> Msg {
       // SDM 26.3.1.5: a link pointer other than all ones must be 4 KiB aligned and within
       // the physical-address width. The rest of the rule (the revision identifier and the
       // shadow-VMCS indicator in memory, not the current VMCS) needs memory: Vmx::vmlaunch
       // checks it under the same id (vt/shadowing.cpp).
       const uint64_t link = c(g::LINK);
       if (link == ~0ull) return std::nullopt;
       if ((link & 0xFFF) || beyond_phys(c, link))
         return "VMCS link pointer " + hex(link) +
                " must be FFFFFFFF_FFFFFFFFH or 4 KiB aligned within the physical-address width";
       return std::nullopt;
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
  l.activity_states = unsigned(misc >> 6) & 7;
  return l;
}

namespace {
Ctx make_ctx(const VmcsReader& read, const EntryLimits& lim) {
  const uint32_t primary = uint32_t(read(f::PRIMARY));
  return Ctx{read,
             lim,
             uint32_t(read(f::PIN)),
             primary,
             (primary & pri::SECONDARY) ? uint32_t(read(f::SECONDARY)) : 0,
             uint32_t(read(f::EXIT)),
             uint32_t(read(f::ENTRY))};
}

// The first check of `table` (in SDM order) that fails, or nothing.
template <size_t N>
std::optional<EntryCheckFailure> first_failure(const Check (&table)[N], const VmcsReader& read,
                                               const EntryLimits& lim) {
  const Ctx c = make_ctx(read, lim);
  for (const Check& k : table) {
    if (Msg m = k.run(c)) return EntryCheckFailure{k.info.error, k.info.id, k.info.section, std::move(*m)};
  }
  return std::nullopt;
}

template <size_t N>
std::array<EntryCheckInfo, N> infos_of(const Check (&table)[N]) {
  std::array<EntryCheckInfo, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = table[i].info;
  return a;
}
}  // namespace

std::optional<EntryCheckFailure> check_guest_state(const VmcsReader& read, const EntryLimits& lim) {
  return first_failure(kGuestChecks, read, lim);
}

std::span<const EntryCheckInfo> guest_check_list() {
  static const auto list = infos_of(kGuestChecks);
  return list;
}

std::optional<EntryCheckFailure> check_controls_and_host(const VmcsReader& read, const EntryLimits& lim) {
  return first_failure(kChecks, read, lim);
}

std::span<const EntryCheckInfo> entry_check_list() {
  static const auto list = infos_of(kChecks);
  return list;
}

}  // namespace vt
