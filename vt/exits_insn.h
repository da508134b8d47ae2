// vt/exits_insn.h — words for the exit qualification of the instruction exits of
// vt/exits_insn.cpp (the VmExit event's detail, e.g. "out 0x3f8, 1 byte").
#pragma once

#include <string>

#include "cpu/virtualization.h"

namespace vt {

// The qualification of `e` in words for I/O, CR access, MOV DR, RDMSR/WRMSR (with `ecx`,
// the MSR) and INVLPG exits; empty for other reasons.
std::string describe_qualification(const cpu::VmExit& e, uint32_t ecx);

}  // namespace vt
