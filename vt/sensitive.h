// vt/sensitive.h — the Popek–Goldberg catalog: x86's sensitive-but-unprivileged
// instructions, and what Ringside does when one runs outside ring 0.
//
// Popek & Goldberg (CACM 17(7), 1974), Theorem 1: a trap-and-emulate monitor can be built
// when every sensitive instruction is privileged (traps outside supervisor mode). Robin &
// Irvine ("Analysis of the Intel Pentium's Ability to Support a Secure Virtual Machine
// Monitor", USENIX Security 2000) list the x86 instructions that break it, in two groups
// (docs/VMX_NOTES.md §1.2; the list as retold, not checked against the paper itself):
//   sensitive register instructions: SGDT, SIDT, SLDT, SMSW, PUSHF, POPF;
//   protection system references:    LAR, LSL, VERR, VERW, POP, PUSH, CALL, JMP, INT n,
//                                    RET, STR, MOV.
// This catalog splits PUSH/POP/MOV/CALL/JMP/RET into their segment-register and far forms
// (the only ones that are sensitive) and adds IRET, whose flag merge is POPF's (SDM Vol.2
// IRET); `robin_irvine` says which entries are on their list.
//
// Each entry says when the CPU reports it (a cpu::EventKind::SensitiveInstruction event,
// counted even without an observer) and what the --virtualizable machine does. The rules
// are implemented in the instructions' handlers (cpu/exec/{system,stack,data,control}.cpp);
// "at CPL > 0" always means protected mode (CR0.PE = 1) at CPL 1, 2 or 3. Entries marked
// `reported == false` differ from ring 0 only by faulting (or by entering more privileged
// code, i.e. the monitor): a trap-and-emulate monitor sees those, so they get no event and
// the virtualizable machine leaves them alone.
//
// Use:
//   const vt::SensitiveEntry& e = vt::sensitive_entry(cpu::Sensitive::Popf);
//   e.key ("popf") and e.mnemonic ("POPF") are stable: traces and the GUI name entries so.
//   vt::find_sensitive("sgdt") looks an entry up by key.
#pragma once

#include <array>
#include <string_view>

#include "cpu/observer.h"

namespace vt {

// Robin & Irvine's two groups.
enum class SensitiveCategory : uint8_t { SensitiveRegister, ProtectionSystem };
const char* sensitive_category_name(SensitiveCategory c);  // "sensitive_register", ...

struct SensitiveEntry {
  cpu::Sensitive id;
  const char* key;        // stable snake_case id, e.g. "push_sreg"
  const char* mnemonic;   // e.g. "PUSH Sreg"
  const char* encodings;  // opcode bytes as in SDM Vol.2, e.g. "0F 01 /0"
  SensitiveCategory category;
  bool robin_irvine;      // on Robin & Irvine's list (else added here, see `why`)
  const char* why;        // why it breaks trap-and-emulate
  const char* at_cpl3;    // what it does at CPL > 0 on plain x86, silently
  bool reported;          // the CPU emits SensitiveInstruction events for it
  const char* rule;       // exactly when the event is emitted (or why it never is)
  const char* virtualizable;  // what the --virtualizable machine does at CPL > 0
};

using SensitiveCatalog = std::array<SensitiveEntry, cpu::kSensitiveCount>;

// All entries, in cpu::Sensitive order.
const SensitiveCatalog& sensitive_catalog();
const SensitiveEntry& sensitive_entry(cpu::Sensitive id);
// The entry with this key, or nullptr.
const SensitiveEntry* find_sensitive(std::string_view key);

}  // namespace vt
