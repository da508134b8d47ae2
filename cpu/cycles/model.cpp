// cpu/cycles/model.cpp — the cycle tables.
#include "cpu/cycles/model.h"

namespace cpu {

namespace {
using C = CostClass;
constexpr unsigned idx(CostClass c) { return static_cast<unsigned>(c); }

constexpr CycleModel make_haswell() {
  CycleModel m{"haswell",
               "Agner Fog, Instruction tables (Intel Haswell); VMX_NOTES.md section 4",
               {},
               /*mem_access=*/2, /*page_walk_level=*/8, /*exception_delivery=*/200,
               /*interrupt_delivery=*/300, /*mode_switch=*/50, /*string_iteration=*/1,
               /*per_byte_io=*/20, /*vmx_field_access=*/0, /*vmx_vmcs_transfer=*/250,
               /*vm_entry=*/350, /*vm_exit=*/400};
  // VM entry and exit: VMX_NOTES.md 4.1 — hardware round trip (exit + VMRESUME) of about
  // 800 cycles on Sandy Bridge and later (Agesen et al., USENIX ATC 2012, Table 1: Sandy
  // Bridge 784, Westmere 761; [R]). Split as 400 for the exit (exit information, guest
  // state saved, host state loaded) and 350 + the System class (50) for the VMRESUME.
  // VMX (VMX_NOTES.md section 4): VMREAD/VMWRITE cost "a few tens of cycles" [R], which
  // the System class cost (50) already covers. VMPTRLD/VMCLEAR/VMXON/VMXOFF move a VMCS
  // between memory and the processor: no cited figure; estimated at ~300 cycles in all
  // (50 + 250), the order of the "several hundred cycles" Intel's KVM note gives for
  // re-checking a VMCS.
  // Agner Fog, Haswell: MOV r,r 0.25 / ALU r,r 0.25 (latency 1), load 4-cycle latency,
  // store 1, IMUL r32 3, DIV r32 22-29, shifts 1 (CL forms 2), BT 1, DAA/DAS ~3 (microcode),
  // Jcc/JMP 1-2, CALL/RET 2, PUSHA/POPA 8-9, PUSHF 4 / POPF 9, CLI/STI 3/4, MOV Sreg ~20,
  // far JMP/CALL ~30-40, CPUID ~100-250, RDTSC ~24, RDMSR/WRMSR ~100+, MOV CR ~50-100.
  m.cost[idx(C::Nop)] = 1;
  m.cost[idx(C::Mov)] = 1;
  m.cost[idx(C::Alu)] = 1;
  // Loads and stores: the base cost here plus mem_access per data access (an L1 hit:
  // Haswell sustains two loads and one store per cycle, load-use latency 4).
  m.cost[idx(C::Load)] = 2;
  m.cost[idx(C::Store)] = 1;
  m.cost[idx(C::Lea)] = 1;
  m.cost[idx(C::Mul)] = 3;
  m.cost[idx(C::Div)] = 25;
  m.cost[idx(C::Shift)] = 1;
  m.cost[idx(C::Bit)] = 1;
  m.cost[idx(C::Bcd)] = 3;
  m.cost[idx(C::Branch)] = 2;
  m.cost[idx(C::CallRet)] = 2;
  m.cost[idx(C::Stack)] = 1;
  m.cost[idx(C::PushPopAll)] = 9;
  m.cost[idx(C::Flags)] = 4;
  m.cost[idx(C::String)] = 4;
  m.cost[idx(C::Io)] = 30;
  m.cost[idx(C::SegLoad)] = 20;
  m.cost[idx(C::FarTransfer)] = 40;
  m.cost[idx(C::System)] = 50;
  m.cost[idx(C::Serializing)] = 100;
  m.cost[idx(C::Msr)] = 120;
  m.cost[idx(C::Cpuid)] = 150;
  m.cost[idx(C::Rdtsc)] = 24;
  m.cost[idx(C::Halt)] = 1;
  m.cost[idx(C::Xchg)] = 2;
  m.cost[idx(C::Locked)] = 18;
  m.cost[idx(C::Invalid)] = 1;
  return m;
}

// A flat model: every instruction one cycle, no memory or transition costs. Useful when a
// class wants cycles == instructions.
constexpr CycleModel make_flat() {
  CycleModel m{"flat", "one cycle per instruction", {}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  for (auto& c : m.cost) c = 1;
  return m;
}

constexpr CycleModel kHaswell = make_haswell();
constexpr CycleModel kFlat = make_flat();
}  // namespace

const CycleModel& haswell_model() { return kHaswell; }

const CycleModel* find_cycle_model(std::string_view name) {
  if (name == kHaswell.name) return &kHaswell;
  if (name == kFlat.name) return &kFlat;
  return nullptr;
}

const char* cycle_model_names() { return "haswell, flat"; }

}  // namespace cpu
