// vt/exit_reasons.cpp — the table of Appendix C.
#include "vt/exit_reasons.h"

#include <charconv>

#include "cpu/virtualization.h"

namespace vt {

namespace {

// SDM Vol.3 Appendix C, Table C-1 (reasons 5, 6, 35, 38 and 42 are not defined).
constexpr const char* kNames[cpu::exit_reason::kCount] = {
    "exception_or_nmi",         // 0
    "external_interrupt",       // 1
    "triple_fault",             // 2
    "init",                     // 3
    "sipi",                     // 4
    "io_smi",                   // 5
    "other_smi",                // 6
    "interrupt_window",         // 7
    "nmi_window",               // 8
    "task_switch",              // 9
    "cpuid",                    // 10
    "getsec",                   // 11
    "hlt",                      // 12
    "invd",                     // 13
    "invlpg",                   // 14
    "rdpmc",                    // 15
    "rdtsc",                    // 16
    "rsm",                      // 17
    "vmcall",                   // 18
    "vmclear",                  // 19
    "vmlaunch",                 // 20
    "vmptrld",                  // 21
    "vmptrst",                  // 22
    "vmread",                   // 23
    "vmresume",                 // 24
    "vmwrite",                  // 25
    "vmxoff",                   // 26
    "vmxon",                    // 27
    "cr_access",                // 28
    "mov_dr",                   // 29
    "io_instruction",           // 30
    "rdmsr",                    // 31
    "wrmsr",                    // 32
    "invalid_guest_state",      // 33
    "msr_loading",              // 34
    nullptr,                    // 35
    "mwait",                    // 36
    "monitor_trap_flag",        // 37
    nullptr,                    // 38
    "monitor",                  // 39
    "pause",                    // 40
    "machine_check",            // 41
    nullptr,                    // 42
    "tpr_below_threshold",      // 43
    "apic_access",              // 44
    "virtualized_eoi",          // 45
    "gdtr_idtr_access",         // 46
    "ldtr_tr_access",           // 47
    "ept_violation",            // 48
    "ept_misconfiguration",     // 49
    "invept",                   // 50
    "rdtscp",                   // 51
    "preemption_timer",         // 52
    "invvpid",                  // 53
    "wbinvd",                   // 54
    "xsetbv",                   // 55
    "apic_write",               // 56
    "rdrand",                   // 57
    "invpcid",                  // 58
    "vmfunc",                   // 59
    "encls",                    // 60
    "rdseed",                   // 61
    "pml_full",                 // 62
    "xsaves",                   // 63
    "xrstors",                  // 64
    "pconfig",                  // 65
    "spp_event",                // 66
    "umwait",                   // 67
    "tpause",                   // 68
    "loadiwkey",                // 69
};

}  // namespace

const char* exit_reason_name(uint32_t reason) {
  reason &= 0xFFFF;
  return reason < cpu::exit_reason::kCount ? kNames[reason] : nullptr;
}

std::optional<uint32_t> exit_reason_by_name(std::string_view name) {
  for (uint32_t r = 0; r < cpu::exit_reason::kCount; ++r)
    if (kNames[r] && name == kNames[r]) return r;
  uint32_t v = 0;
  const auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec == std::errc() && p == name.data() + name.size() && exit_reason_name(v)) return v;
  return std::nullopt;
}

}  // namespace vt
