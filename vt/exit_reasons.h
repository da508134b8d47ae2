// vt/exit_reasons.h — names of the basic VM-exit reasons (Intel SDM Vol.3 Appendix C) for
// traces, the run summary and the debugger.
//
//   exit_reason_name(10)  -> "cpuid"
//   exit_reason_name(33)  -> "invalid_guest_state"
//   exit_reason_name(99)  -> nullptr (not a reason)
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vt {

// The stable, lower-case key of basic exit reason `reason` (bits 15:0), or nullptr for a
// number Appendix C does not define.
const char* exit_reason_name(uint32_t reason);
// The reason with that key (for breakpoints such as "vmexit:cpuid"); also accepts a decimal
// number.
std::optional<uint32_t> exit_reason_by_name(std::string_view name);

}  // namespace vt
