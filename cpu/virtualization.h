// cpu/virtualization.h — how the CPU talks to VT-x (vt/), which implements this interface.
//
// The CPU holds at most one Virtualization (Cpu::set_virtualization); when it holds one,
// the processor has VMX: CPUID.1:ECX.VMX reads 1, CR4.VMXE is writable, the VMX
// capability MSRs exist and the VMX instructions are decoded to vmx_instruction(). Without
// one, all of that is absent (#UD, #GP) as on a processor without VMX.
//
// Root-mode hooks: the VMX instructions, the capability MSRs, and the CR0/CR4 restrictions
// of VMX operation (SDM Vol.3 23.8). Non-root hooks: the CPU asks, only while the guest runs
// in VMX non-root operation (Cpu::non_root()), whether an instruction or event exits. An
// instruction that exits throws VmExit from its handler before it has any effect; the
// execution loop catches it next to Fault, puts RIP back at the instruction and calls
// vm_exit(). Events between instructions (exceptions being delivered, interrupts, triple
// fault) call Cpu::vm_exit_now() directly.
#pragma once

#include <cstdint>

namespace cpu {

class Cpu;

// Basic exit reasons (SDM Vol.3 Appendix C, Table C-1).
namespace exit_reason {
constexpr uint16_t ExceptionOrNmi = 0, ExternalInterrupt = 1, TripleFault = 2, Init = 3,
                   InterruptWindow = 7, NmiWindow = 8, TaskSwitch = 9, Cpuid = 10, Getsec = 11,
                   Hlt = 12, Invd = 13, Invlpg = 14, Rdpmc = 15, Rdtsc = 16, Rsm = 17,
                   Vmcall = 18, Vmclear = 19, Vmlaunch = 20, Vmptrld = 21, Vmptrst = 22,
                   Vmread = 23, Vmresume = 24, Vmwrite = 25, Vmxoff = 26, Vmxon = 27,
                   CrAccess = 28, MovDr = 29, IoInstruction = 30, Rdmsr = 31, Wrmsr = 32,
                   InvalidGuestState = 33, MsrLoading = 34, Mwait = 36, MonitorTrapFlag = 37,
                   Monitor = 39, Pause = 40, MachineCheck = 41, TprBelowThreshold = 43,
                   ApicAccess = 44, GdtrIdtrAccess = 46, LdtrTrAccess = 47,
                   EptViolation = 48, EptMisconfig = 49, Invept = 50, Rdtscp = 51,
                   PreemptionTimer = 52, Invvpid = 53, Wbinvd = 54, Xsetbv = 55;
constexpr uint32_t kEntryFailure = 1u << 31;  // bit 31: VM-entry failure (SDM 26.8)
constexpr unsigned kCount = 70;               // reasons 0..69 (counters, names)
}  // namespace exit_reason

// A VM exit: its basic reason and the exit-information fields it writes (SDM Vol.3 27.2).
// Fields an exit does not use stay 0.
struct VmExit {
  uint32_t reason = 0;             // basic reason (bits 15:0); bit 31 for entry failures
  uint64_t qualification = 0;      // exit qualification (SDM 27.2.1)
  uint64_t guest_linear = 0;       // guest-linear address (some exits)
  uint64_t guest_physical = 0;     // guest-physical address (EPT exits)
  uint32_t interruption_info = 0;  // VM-exit interruption information (SDM 24.9.2)
  uint32_t interruption_error = 0;
  uint32_t instruction_info = 0;   // VM-exit instruction information (SDM 27.2.5)
  uint32_t idt_vectoring_info = 0;  // the event being delivered when the exit happened (27.2.4)
  uint32_t idt_vectoring_error = 0;
};

// A guest-physical address the CPU uses in VMX non-root operation (SDM Vol.3 28.3): for a
// guest paging-structure entry during a page walk or an accessed/dirty update, or for the
// final data/code access (with guest paging off, the linear address itself). With "enable
// EPT" it is translated through the EPT paging structures (Virtualization::guest_physical).
struct GuestPhysical {
  uint64_t gpa = 0;
  uint64_t linear = 0;        // the guest-linear address whose access or translation needs it
  bool write = false;         // a data write (for a paging-structure entry: an A/D update)
  bool fetch = false;         // an instruction fetch
  bool paging_entry = false;  // an access to a guest paging-structure entry
  bool commit = true;         // false: a debugger's look (no flag is set, nothing exits)
  // Results.
  uint64_t hpa = 0;    // the physical address
  uint8_t rights = 7;  // what later accesses to the same 4 KiB page may do without asking
                       // again (TLB): bit 0 read, 1 write, 2 execute
  unsigned levels = 0;  // EPT entries read (the walk's cycle cost)
};

class Virtualization {
 public:
  virtual ~Virtualization() = default;
  // Executes a VMX instruction (VMXON, VMREAD, ...): `opcode` is the 0F-map byte (0x01
  // for group 7's VMCALL/VMLAUNCH/VMRESUME/VMXOFF, 0xC7 for group 9's VMPTRLD/VMCLEAR/
  // VMXON/VMPTRST, 0x78 VMREAD, 0x79 VMWRITE, 0x3880 INVEPT, 0x3881 INVVPID); the whole instruction is
  // cpu.current_insn(). Raises faults through the CPU (cpu.fault). Returns false for an
  // encoding that is not a VMX instruction here (the CPU raises #UD).
  virtual bool vmx_instruction(Cpu& cpu, uint16_t opcode) = 0;
  // RDMSR of an MSR the CPU itself does not implement (the VMX capability MSRs). Returns
  // false when no such MSR exists (the CPU raises #GP(0)).
  virtual bool read_msr(Cpu& cpu, uint32_t index, uint64_t& value) = 0;
  // MOV to CR0 / CR4 with `value`: false when the value is not allowed now (in VMX
  // operation, the FIXED0/FIXED1 bits; the CPU raises #GP(0)).
  virtual bool cr_write_allowed(const Cpu& cpu, unsigned cr, uint64_t value) const = 0;

  // ---- VMX non-root operation (called only while cpu.non_root()) ----
  // Performs the VM exit `e`. The CPU has put RIP back at the instruction that caused it
  // (`insn_len` bytes long; 0 for an exit between instructions) and does nothing more:
  // saving the guest state, loading the host state and leaving non-root operation are the
  // callee's. Must not throw.
  virtual void vm_exit(Cpu& cpu, const VmExit& e, unsigned insn_len) = 0;
  // HLT (SDM 25.1.3 "HLT exiting"): throws VmExit when the instruction exits.
  virtual void intercept_hlt(Cpu& cpu) = 0;
  // An exception about to be delivered to the guest (vector 0-31, NMI excluded; `soft`:
  // raised by INT3/INTO, instruction length `insn_len`): true when the exception bitmap
  // makes it a VM exit, filled into `e` (SDM 25.2 "Exceptions").
  virtual bool exception_exits(Cpu& cpu, uint8_t vector, bool has_ec, uint32_t ec, bool soft,
                               VmExit& e) = 0;

  // ---- Instructions that exit conditionally (SDM Vol.3 25.1.3; vt/exits_insn.cpp) ----
  // Each intercept_* throws VmExit (Cpu::vm_exit_insn) when the current instruction exits,
  // and returns otherwise. The caller has already raised the instruction's #UD and
  // privilege faults (and, for I/O, the IOPL / TSS I/O-bitmap #GP): SDM 25.1.1.
  // IN, OUT, INS, OUTS of `size` bytes at `port` (`in`: IN/INS); the encoding (immediate,
  // string, REP) comes from cpu.current_insn().
  virtual void intercept_io(Cpu& cpu, uint16_t port, unsigned size, bool in) = 0;
  // RDMSR / WRMSR of MSR `index`.
  virtual void intercept_msr(Cpu& cpu, uint32_t index, bool write) = 0;
  // MOV to CR0/CR3/CR4 of `value` from general register `gpr`; MOV from CR3 to `gpr`.
  virtual void intercept_cr_write(Cpu& cpu, unsigned cr, unsigned gpr, uint64_t value) = 0;
  virtual void intercept_cr_read(Cpu& cpu, unsigned cr, unsigned gpr) = 0;
  // CLTS; LMSW with source `src` (a memory operand at linear address `linear`, or a register).
  virtual void intercept_clts(Cpu& cpu) = 0;
  virtual void intercept_lmsw(Cpu& cpu, uint16_t src, bool memory, uint64_t linear) = 0;
  // CR0/CR4 as a guest reads them (MOV from CR, SMSW): the read shadow for the bits the
  // guest/host mask owns (SDM 25.3). And the value a MOV to CR0/CR4, CLTS or LMSW that did
  // not exit loads: the masked bits keep their current value.
  virtual uint64_t guest_cr_read(const Cpu& cpu, unsigned cr, uint64_t value) const = 0;
  virtual uint64_t guest_cr_write(const Cpu& cpu, unsigned cr, uint64_t value) const = 0;
  // MOV to / from DR`dr` with register `gpr`: called BEFORE the DR4/DR5 #UD and the CPL
  // #GP, which this exit takes priority over (SDM 25.1.3 "MOV DR").
  virtual void intercept_dr(Cpu& cpu, unsigned dr, unsigned gpr, bool read) = 0;
  // The instructions that exit on one control bit, by exit reason: INVLPG
  // (`qualification`: the linear address), RDTSC, RDTSCP, RDPMC, PAUSE, WBINVD.
  virtual void intercept_insn(Cpu& cpu, uint32_t reason, uint64_t qualification = 0) = 0;
  // RDTSCP in the guest: false makes it #UD (secondary "enable RDTSCP" = 0).
  virtual bool rdtscp_enabled(const Cpu& cpu) const = 0;
  // What RDTSC, RDTSCP and RDMSR of IA32_TSC add to the TSC in the guest ("use TSC
  // offsetting": the TSC-offset field; else 0).
  virtual uint64_t tsc_offset(const Cpu& cpu) const = 0;
  // LGDT/LIDT/SGDT/SIDT (reason 46) and LLDT/LTR/SLDT/STR (47) with "descriptor-table
  // exiting"; `identity` is the instruction-identity value of SDM Tables 27-10 / 27-11.
  virtual void intercept_descriptor_table(Cpu& cpu, uint32_t reason, unsigned identity) = 0;
  // ---- events at instruction boundaries (branch vmxevent; vt/exits_event.cpp) ----
  // What the CPU must watch for in non-root operation besides INTR and NMI: `every`: call
  // boundary_exit() at every instruction boundary (interrupt-window and NMI-window exiting,
  // monitor trap flag); `timer`: the cycle at which the VMX-preemption timer reaches 0
  // (UINT64_MAX: not active); `intr_exits`: INTR causes a VM exit whatever RFLAGS.IF
  // ("external-interrupt exiting"), so a halted guest with IF=0 can still be woken.
  struct BoundaryWatch {
    bool every = false;
    bool intr_exits = false;
    uint64_t timer = UINT64_MAX;
  };
  virtual BoundaryWatch boundary_watch(const Cpu& cpu) const {
    (void)cpu;
    return {};
  }
  // At an instruction boundary in non-root operation, before the CPU delivers a pending NMI
  // or interrupt itself: performs the VM exit that an event causes there (preemption timer,
  // NMI window, NMI exiting, interrupt window, external-interrupt exiting; SDM Vol.3 25.2 in
  // its priority order) and returns true; false leaves the boundary to the CPU.
  virtual bool boundary_exit(Cpu& cpu) {
    (void)cpu;
    return false;
  }
  // IRET in non-root operation, instead of unblocking NMIs (SDM Vol.3 25.3 "IRET": with
  // "NMI exiting" it leaves blocking by NMI alone; with "virtual NMIs" it ends virtual-NMI
  // blocking).
  virtual void iret_unblocks_nmi(Cpu& cpu) = 0;
  // Every guest-physical access (SDM 28.3): fills a.hpa/a.rights/a.levels. Without "enable
  // EPT" hpa = gpa and rights = 7. An access EPT does not allow throws VmExit (EPT violation
  // 48, EPT misconfiguration 49) — or, with !a.commit, returns false.
  virtual bool guest_physical(Cpu& cpu, GuestPhysical& a) = 0;
};

}  // namespace cpu
