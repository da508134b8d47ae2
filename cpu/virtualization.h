// cpu/virtualization.h — the hook VT-x uses while a guest runs in VMX non-root operation.
//
// The CPU asks only while `active()`; outside non-root mode it never calls in. vt/
// implements it. The first slice of the CPU defines the interface; the exits come with
// the VT-x issue.
#pragma once

#include <cstdint>

namespace cpu {

class Cpu;

class Virtualization {
 public:
  virtual ~Virtualization() = default;
  // Executes a VMX instruction (VMXON, VMREAD, ...): opcode is the 0F-map byte.
  // Returns false when VMX is not available (the CPU raises #UD).
  virtual bool vmx_instruction(Cpu& cpu, uint16_t opcode) = 0;
};

}  // namespace cpu
