// cpu/exec/sensitive.h — helpers for the Popek–Goldberg reports of the sensitive
// instructions' handlers (the catalog and its rules: vt/sensitive.h; the CPU side:
// Cpu::deprivileged, sensitive_trap, sensitive_silent in cpu.h).
#pragma once

#include <cstdint>
#include <string>

namespace cpu {

// "0x" and `digits` lowercase hex digits, for event details.
std::string detail_hex(uint64_t v, unsigned digits);
// "IF change dropped", "IOPL change dropped" or both (POPF, IRET); `dropped` holds the
// EFLAGS bits the instruction left unchanged against the popped image.
std::string dropped_flags_text(uint32_t dropped);

}  // namespace cpu
