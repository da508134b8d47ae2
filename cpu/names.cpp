// cpu/names.cpp — names of enumerations, for traces, summaries and dumps.
#include "cpu/cpu.h"
#include "cpu/observer.h"

namespace cpu {

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::Real: return "real";
    case Mode::Protected: return "protected";
    case Mode::Virtual8086: return "v8086";
    case Mode::Long: return "long";
  }
  return "?";
}

const char* event_kind_name(EventKind k) {
  switch (k) {
    case EventKind::ModeChange: return "mode_change";
    case EventKind::Exception: return "exception";
    case EventKind::Interrupt: return "interrupt";
    case EventKind::PortIo: return "port_io";
    case EventKind::Halt: return "halt";
    case EventKind::Shutdown: return "shutdown";
    case EventKind::VmEntry: return "vm_entry";
    case EventKind::VmExit: return "vm_exit";
    case EventKind::SensitiveInstruction: return "sensitive_instruction";
    case EventKind::PostCode: return "post_code";
  }
  return "?";
}

const char* interrupt_source_name(InterruptSource s) {
  switch (s) {
    case InterruptSource::External: return "external";
    case InterruptSource::Nmi: return "nmi";
    case InterruptSource::Software: return "software";
    case InterruptSource::Int3: return "int3";
    case InterruptSource::Into: return "into";
  }
  return "?";
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::None: return "none";
    case StopReason::InstructionLimit: return "instruction limit";
    case StopReason::StepLimit: return "step limit";
    case StopReason::CycleLimit: return "cycle limit";
    case StopReason::Halted: return "halted (waiting for an interrupt)";
    case StopReason::HaltedForever: return "halted with interrupts disabled";
    case StopReason::Shutdown: return "shutdown (triple fault)";
    case StopReason::StopRequested: return "stop requested";
    case StopReason::NotImplemented: return "not implemented";
  }
  return "?";
}

}  // namespace cpu
