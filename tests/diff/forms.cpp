// tests/diff/forms.cpp — forms from the opcode maps, and what is left out and why.
#include "tests/diff/forms.h"

#include "cpu/decoder/opmap.h"
#include "cpu/exec/handlers.h"

namespace difftest {

namespace {

enum Where : uint8_t { kEverywhere, kSequencesOnly, kRealModeOnly };

struct ExcludedHandler {
  cpu::Handler fn;
  int reg;  // group member (-1: every form with this handler)
  Where where;
  const char* what;
  const char* reason;
};

// Forms Unicorn cannot model in its flat user-mode setting, or whose results differ by
// design. Keyed by the handler the opcode maps name.
const ExcludedHandler kExclusions[] = {
    {cpu::pop_S, -1, kEverywhere, "POP ES/SS/DS/FS/GS",
     "segment load: Unicorn's flat mode has no GDT the harness controls"},
    {cpu::mov_S_E, -1, kEverywhere, "MOV Sreg, r/m", "segment load"},
    {cpu::lxs_G_M, -1, kEverywhere, "LES/LDS/LSS/LFS/LGS", "segment load"},
    {cpu::call_far_A, -1, kEverywhere, "CALL ptr16:32", "far transfer (segment load)"},
    {cpu::jmp_far_A, -1, kEverywhere, "JMP ptr16:32", "far transfer (segment load)"},
    {cpu::call_far_M, -1, kEverywhere, "CALL m16:32", "far transfer (segment load)"},
    {cpu::jmp_far_M, -1, kEverywhere, "JMP m16:32", "far transfer (segment load)"},
    {cpu::ret_far, -1, kEverywhere, "RETF", "far transfer (segment load)"},
    {cpu::iret_, -1, kEverywhere, "IRET", "far transfer through the IDT/IVT frame"},
    {cpu::int_I, -1, kEverywhere, "INT n",
     "software interrupt: Unicorn reports it to a hook and never delivers it"},
    {cpu::int1, -1, kEverywhere, "INT1 (ICEBP)", "software interrupt, as INT n"},
    {cpu::in_A_I, -1, kEverywhere, "IN", "port I/O: no devices behind Unicorn"},
    {cpu::in_A_DX, -1, kEverywhere, "IN", "port I/O"},
    {cpu::out_I_A, -1, kEverywhere, "OUT", "port I/O"},
    {cpu::out_DX_A, -1, kEverywhere, "OUT", "port I/O"},
    {cpu::ins, -1, kEverywhere, "INS", "port I/O"},
    {cpu::outs, -1, kEverywhere, "OUTS", "port I/O"},
    {cpu::hlt, -1, kEverywhere, "HLT", "Unicorn stops emulation at HLT instead of halting"},
    {cpu::grp6, -1, kEverywhere, "SLDT/STR/LLDT/LTR/VERR/VERW",
     "system instructions on descriptor tables the flat Unicorn state does not have"},
    {cpu::grp7, -1, kEverywhere, "SGDT/SIDT/LGDT/LIDT/SMSW/LMSW/INVLPG",
     "system instructions: table registers and CR0 differ by setup"},
    {cpu::lar_G_E, -1, kEverywhere, "LAR", "reads descriptor tables"},
    {cpu::lsl_G_E, -1, kEverywhere, "LSL", "reads descriptor tables"},
    {cpu::clts, -1, kEverywhere, "CLTS", "control register"},
    {cpu::invd, -1, kEverywhere, "INVD", "cache control, no architectural effect to compare"},
    {cpu::wbinvd, -1, kEverywhere, "WBINVD", "cache control"},
    {cpu::mov_R_C, -1, kEverywhere, "MOV r32, CRn", "control registers differ by setup"},
    {cpu::mov_C_R, -1, kEverywhere, "MOV CRn, r32", "control registers"},
    {cpu::mov_R_D, -1, kEverywhere, "MOV r32, DRn", "debug registers"},
    {cpu::mov_D_R, -1, kEverywhere, "MOV DRn, r32", "debug registers"},
    {cpu::wrmsr, -1, kEverywhere, "WRMSR", "MSR sets differ by design"},
    {cpu::rdmsr, -1, kEverywhere, "RDMSR", "MSR sets differ by design"},
    {cpu::rdtsc, -1, kEverywhere, "RDTSC", "time stamps differ by design"},
    {cpu::rdpmc, -1, kEverywhere, "RDPMC", "performance counters"},
    {cpu::sysenter, -1, kEverywhere, "SYSENTER", "far transfer through MSRs"},
    {cpu::sysexit, -1, kEverywhere, "SYSEXIT", "far transfer through MSRs"},
    {cpu::cpuid, -1, kEverywhere, "CPUID", "processor identification differs by design"},
    {cpu::grp9, 6, kEverywhere, "VMPTRLD/VMCLEAR/VMXON", "VMX: not in Unicorn"},
    {cpu::grp9, 7, kEverywhere, "VMPTRST", "VMX: not in Unicorn"},
    {cpu::vmx_insn, -1, kEverywhere, "VMREAD/VMWRITE", "VMX: not in Unicorn"},
    {cpu::rsm, -1, kEverywhere, "RSM", "SMM: not modelled by either"},
    {cpu::fpu_esc, -1, kEverywhere, "x87 escapes D8-DF",
     "Ringside has no FPU (#UD/#NM by design); Unicorn executes them"},
    {cpu::sse_ud, -1, kEverywhere, "MMX/SSE opcodes",
     "Ringside has no MMX/SSE (#UD by design); Unicorn executes them"},
    {cpu::ud, -1, kEverywhere, "unassigned opcodes, UD0, UD1",
     "Unicorn's map assigns later extensions to some of them"},
    {cpu::test_E_I, 1, kEverywhere, "TEST r/m, imm as F6 /1, F7 /1",
     "undocumented alias of /0 (SDM Vol.2 Table A-6 leaves group 3 /1 blank); Ringside "
     "executes TEST as Intel processors do, Unicorn raises #UD"},
    {cpu::ret_near, -1, kSequencesOnly, "RET near (in sequences)",
     "indirect branch out of the straight-line code; compared as single instructions"},
    {cpu::call_E, -1, kSequencesOnly, "CALL r/m (in sequences)", "indirect branch"},
    {cpu::jmp_E, -1, kSequencesOnly, "JMP r/m (in sequences)", "indirect branch"},
    {cpu::popf, -1, kSequencesOnly, "POPF (in sequences)",
     "the popped value could set TF; single-instruction cases pop a value with TF clear"},
};

bool excluded(cpu::Handler fn, int reg, CodeMode mode, bool sequence) {
  for (const auto& e : kExclusions) {
    if (e.fn != fn || (e.reg >= 0 && e.reg != reg)) continue;
    if (e.where == kEverywhere) return true;
    if (e.where == kSequencesOnly && sequence) return true;
    if (e.where == kRealModeOnly && mode == CodeMode::Real16) return true;
  }
  return false;
}

void add_row(std::vector<Form>& out, uint16_t op, const cpu::OpDesc& d, CodeMode mode, bool sequence) {
  using namespace cpu;
  if (d.flags & (kPrefix | kEscape)) return;
  if (d.flags & kGroup) {
    for (int reg = 0; reg < 8; ++reg) {
      const OpDesc& g = kGroups[d.group][reg];
      if (g.flags & kInvalid) continue;
      if (excluded(g.fn, reg, mode, sequence)) continue;
      out.push_back(Form{op, int8_t(reg), uint16_t(d.flags | g.flags), g.fn, opcode_name(op, uint8_t(reg))});
    }
    return;
  }
  if (d.flags & kInvalid) return;
  if (excluded(d.fn, -1, mode, sequence)) return;
  out.push_back(Form{op, -1, d.flags, d.fn, opcode_name(op, 0)});
}

}  // namespace

std::vector<Form> valid_forms(CodeMode mode, bool sequence) {
  std::vector<Form> out;
  for (unsigned b = 0; b < 256; ++b) add_row(out, uint16_t(b), cpu::kOneByteMap[b], mode, sequence);
  for (unsigned b = 0; b < 256; ++b)
    add_row(out, uint16_t(cpu::kMap0F | b), cpu::kTwoByteMap[b], mode, sequence);
  return out;
}

std::vector<Exclusion> exclusions() {
  std::vector<Exclusion> out;
  for (const auto& e : kExclusions) out.push_back({e.what, e.reason});
  return out;
}

}  // namespace difftest
