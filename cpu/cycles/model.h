// cpu/cycles/model.h — cycle model: what each instruction class, memory access and
// transition costs. One table per model; --cpu-model selects one by name.
//
// Source for the default "haswell" model: Agner Fog, "Instruction tables", Intel Haswell
// section (reciprocal throughput / latency, rounded to whole cycles for an in-order
// interpreter), and the transition numbers of shared/docs/VMX_NOTES.md section 4.
#pragma once

#include <cstdint>
#include <string_view>

namespace cpu {

enum class CostClass : uint8_t {
  Nop, Mov, Alu, Load, Store, Lea, Mul, Div, Shift, Bit, Bcd, Branch, CallRet, Stack,
  PushPopAll, Flags, String, Io, SegLoad, FarTransfer, System, Serializing, Msr, Cpuid,
  Rdtsc, Halt, Xchg, Locked, Invalid, Count
};

struct CycleModel {
  const char* name;
  const char* source;
  uint16_t cost[static_cast<unsigned>(CostClass::Count)];
  uint16_t mem_access;         // each data memory access (an L1 hit; no cache model yet)
  uint16_t page_walk_level;    // each paging-structure read on a TLB miss
  uint16_t exception_delivery; // exception or software interrupt delivery
  uint16_t interrupt_delivery; // external interrupt / NMI delivery
  uint16_t mode_switch;        // CR0.PE/PG changes (pipeline serialisation)
  uint16_t string_iteration;   // each REP iteration
  uint16_t per_byte_io;        // extra cycles of an I/O bus access
  // VMX instructions in root mode (vt/vmx.cpp), on top of their class cost (System):
  uint16_t vmx_field_access;   // VMREAD, VMWRITE, VMPTRST (the VMCS is cached on chip)
  uint16_t vmx_vmcs_transfer;  // VMXON, VMXOFF, VMPTRLD, VMCLEAR (VMCS moved to/from memory)
  uint16_t vm_entry;           // VMLAUNCH/VMRESUME that enters the guest (beyond System)
  uint16_t vm_exit;            // each VM exit (guest state saved, host state loaded)
};

const CycleModel& haswell_model();
// nullptr when no model has that name.
const CycleModel* find_cycle_model(std::string_view name);
// Comma-separated list of model names, for --help.
const char* cycle_model_names();

}  // namespace cpu
