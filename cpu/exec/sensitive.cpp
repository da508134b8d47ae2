// cpu/exec/sensitive.cpp — reporting the Popek–Goldberg sensitive instructions
// (vt/sensitive.h has the catalog and the rule each handler follows).
#include "cpu/exec/sensitive.h"

#include <cstdio>

#include "cpu/cpu.h"

namespace cpu {

std::string detail_hex(uint64_t v, unsigned digits) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%0*llx", int(digits), static_cast<unsigned long long>(v));
  return buf;
}

std::string dropped_flags_text(uint32_t dropped) {
  if ((dropped & flag::IF) && (dropped & flag::IOPL)) return "IF and IOPL changes dropped";
  return (dropped & flag::IF) ? "IF change dropped" : "IOPL change dropped";
}

void Cpu::emit_sensitive(Sensitive id, bool trapped, std::string detail) {
  Event e;
  e.kind = EventKind::SensitiveInstruction;
  e.cs = s_.seg[CS].selector;
  e.ip = s_.rip;
  e.sensitive = id;
  e.trapped = trapped;
  e.detail = std::move(detail);
  emit(e);
}

void Cpu::sensitive_trap(Sensitive id) {
  // The hypothetical virtualizable x86: the instruction is privileged, so it faults before
  // any effect, like HLT at CPL > 0 (SDM Vol.2 HLT); the Exception event follows.
  count_event(EventKind::SensitiveInstruction);
  if (obs_) emit_sensitive(id, true, "trapped: #GP(0)");
  fault(GP, 0);
}

}  // namespace cpu
