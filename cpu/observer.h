// cpu/observer.h — the instrumentation contract (ARCHITECTURE.md "Events").
//
// The CPU reports events to at most one Observer; a null observer costs one predictable
// branch per event, never per instruction. The platform and debugger fan events out.
#pragma once

#include <cstdint>
#include <string>

#include "cpu/state.h"

namespace cpu {

enum class EventKind : uint8_t {
  ModeChange,
  Exception,
  Interrupt,
  PortIo,
  Halt,
  Shutdown,
  VmEntry,
  VmExit,
  SensitiveInstruction,
  PostCode,
};
const char* event_kind_name(EventKind k);
constexpr unsigned kEventKinds = 10;

struct ModeInfo {
  Mode mode = Mode::Real;
  uint8_t cpl = 0;
  uint8_t vmx_level = 0;  // 0 = not in VMX non-root; nesting depth later
  bool operator==(const ModeInfo&) const = default;
};

// The Popek–Goldberg sensitive-but-unprivileged instructions, one id per entry of the
// catalog in vt/sensitive.h (which holds the text, encodings and the reporting rules). The
// order is stable: the catalog is indexed by it.
enum class Sensitive : uint8_t {
  Sgdt, Sidt, Sldt, Str, Smsw, Pushf, Popf, Lar, Lsl, Verr, Verw,
  PushSreg, PopSreg, MovFromSreg, MovToSreg, CallFar, JmpFar, RetFar, IntN, Iret,
};
constexpr unsigned kSensitiveCount = 20;

enum class InterruptSource : uint8_t { External, Nmi, Software, Int3, Into };
const char* interrupt_source_name(InterruptSource s);

// One event; which fields mean something depends on `kind`.
struct Event {
  EventKind kind{};
  uint64_t cycle = 0;
  uint64_t instret = 0;
  ModeInfo before{}, after{};
  uint16_t cs = 0;   // code selector and instruction pointer of the instruction involved
  uint64_t ip = 0;
  // Exception / Interrupt
  uint8_t vector = 0;
  bool has_error_code = false;
  uint32_t error_code = 0;
  InterruptSource source = InterruptSource::External;
  uint64_t cr2 = 0;  // for #PF
  // PortIo / PostCode
  uint16_t port = 0;
  uint8_t size = 0;
  bool write = false;
  bool claimed = false;
  uint32_t value = 0;
  // Shutdown / Halt
  const char* reason = "";
  // SensitiveInstruction: which catalog entry; trapped = the --virtualizable machine raised
  // #GP(0) (an Exception event follows); detail = what it revealed or silently dropped,
  // e.g. "IF change dropped" or "revealed GDTR base 0x00001000 limit 0x007f".
  Sensitive sensitive = Sensitive::Sgdt;
  bool trapped = false;
  std::string detail;
  // VmEntry / VmExit (cs:ip are the guest's: where it resumes / where it left). `reason` is
  // the exit reason's name (vt/exit_reasons.h), `detail` the qualification in words.
  uint32_t exit_reason = 0;        // VmExit: basic reason; bit 31 for a VM-entry failure
  uint64_t exit_qualification = 0;
  uint8_t insn_len = 0;            // VmExit: length of the instruction that exited (0: an event)
  uint64_t transition_cycles = 0;  // what the transition cost (cycle model)
};

// Events counted by kind whether or not an observer is attached (the run summary needs no
// observer, so an unobserved run never builds an Event).
struct EventCounts {
  uint64_t by_kind[kEventKinds] = {};
  uint64_t unclaimed_ports = 0;  // PortIo events no device claimed
  uint64_t operator[](EventKind k) const { return by_kind[static_cast<unsigned>(k)]; }
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_event(const Event& e) = 0;
};

}  // namespace cpu
