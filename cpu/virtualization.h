// cpu/virtualization.h — how the CPU talks to VT-x (vt/), which implements this interface.
//
// The CPU holds at most one Virtualization (Cpu::set_virtualization); when it holds one,
// the processor has VMX: CPUID.1:ECX.VMX reads 1, CR4.VMXE is writable, the VMX
// capability MSRs exist and the VMX instructions are decoded to vmx_instruction(). Without
// one, all of that is absent (#UD, #GP) as on a processor without VMX.
//
// Root-mode hooks (this landing): the VMX instructions, the capability MSRs, and the CR0/
// CR4 restrictions of VMX operation (SDM Vol.3 23.8). Non-root hooks (the VM-entry landing,
// docs/VT.md "Plan"): the CPU will ask, only while the guest runs in VMX non-root
// operation, whether an instruction or event exits; an exit is a C++ exception caught in
// the execution loop like Fault, so the instruction has no effect.
#pragma once

#include <cstdint>

namespace cpu {

class Cpu;

class Virtualization {
 public:
  virtual ~Virtualization() = default;
  // Executes a VMX instruction (VMXON, VMREAD, ...): `opcode` is the 0F-map byte (0x01
  // for group 7's VMCALL/VMLAUNCH/VMRESUME/VMXOFF, 0xC7 for group 9's VMPTRLD/VMCLEAR/
  // VMXON/VMPTRST, 0x78 VMREAD, 0x79 VMWRITE); the whole instruction is
  // cpu.current_insn(). Raises faults through the CPU (cpu.fault). Returns false for an
  // encoding that is not a VMX instruction here (the CPU raises #UD).
  virtual bool vmx_instruction(Cpu& cpu, uint16_t opcode) = 0;
  // RDMSR of an MSR the CPU itself does not implement (the VMX capability MSRs). Returns
  // false when no such MSR exists (the CPU raises #GP(0)).
  virtual bool read_msr(Cpu& cpu, uint32_t index, uint64_t& value) = 0;
  // MOV to CR0 / CR4 with `value`: false when the value is not allowed now (in VMX
  // operation, the FIXED0/FIXED1 bits; the CPU raises #GP(0)).
  virtual bool cr_write_allowed(const Cpu& cpu, unsigned cr, uint64_t value) const = 0;
};

}  // namespace cpu
