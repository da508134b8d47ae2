// VM entry and VM exit through the CPU (Intel SDM Vol.3 chapters 26 and 27): a guest whose
// code is placed in memory is entered with VMLAUNCH, runs into an exit, and the tests
// assert the exit-information fields (27.2), the guest state saved (27.3), the host state
// loaded (27.5), and that VMRESUME continues the guest. Fixture: vt_transition_fixture.h.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/vt_transition_fixture.h"

namespace {

using namespace vttest;

// SDM 25.1.2: CPUID always exits. 27.2: reason 10, instruction length 2; 27.3: the guest
// RIP saved is the CPUID's (the instruction did not execute); 27.5: the host state.
TEST_F(Transition, CpuidExitsAndVmresumeContinuesTheGuest) {
  guest_code({0xB8, 0x00, 0x00, 0x00, 0x00,  // mov eax, 0
              0x0F, 0xA2,                    // cpuid
              0xF4});                        // hlt
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 10u);
  EXPECT_EQ(field(kExitInsnLen), 2u);
  EXPECT_EQ(field(kQualification), 0u);
  EXPECT_EQ(field(kGRip), kGuestCode + 5);
  EXPECT_EQ(field(kGRsp), kGuestStack);
  EXPECT_EQ(cpu.state().gpr[cpu::RAX], 0u);  // CPUID did not execute
  // Host state (SDM 27.5): flat CS with DPL 0, RFLAGS 2 (bit 1 only: the HLT ran, IF=0),
  // DR7 400H, GDTR/IDTR limits FFFFH, TR limit 67H busy, LDTR unusable, RSP from the field.
  const cpu::State& s = cpu.state();
  EXPECT_EQ(s.seg[cpu::CS].selector, 0x08);
  EXPECT_EQ(s.seg[cpu::CS].limit, 0xFFFFFFFFu);
  EXPECT_EQ(s.cpl, 0);
  EXPECT_EQ(cpu.flags(), 0x2u);
  EXPECT_EQ(s.dr[7], 0x400u);
  EXPECT_EQ(s.gdtr.limit, 0xFFFF);
  EXPECT_EQ(s.idtr.limit, 0xFFFF);
  EXPECT_EQ(s.tr.limit, 0x67u);
  EXPECT_EQ(s.tr.attr & 0xF, 11u);
  EXPECT_TRUE(s.ldtr.unusable());
  EXPECT_EQ(s.gpr[cpu::RSP], kHostRspValue);
  EXPECT_EQ(vmx.exit_count(10), 1u);

  // The hypervisor emulates CPUID, advances the guest RIP and resumes: the guest runs on
  // to its HLT (no HLT exiting) and halts in non-root operation.
  write(kGRip, kGuestCode + 7);
  exec(kVmresume);
  ASSERT_TRUE(cpu.non_root());
  go();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_TRUE(cpu.state().halted);
  EXPECT_EQ(cpu.state().rip, kGuestCode + 8);
  EXPECT_EQ(vmx.entry_count(), 2u);
}

// The checks on controls and host state are skipped while those fields are unchanged
// (as the processor does); a VMWRITE of either kind makes the next entry check again.
TEST_F(Transition, ChangedControlsOrHostStateAreCheckedAgain) {
  guest_code({0x0F, 0xA2});
  launch_and_run();
  ASSERT_TRUE(host_halted());
  write(0x0C02, 0);  // host CS selector 0
  EXPECT_EQ(exec(kVmresume), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 8u);
  write(0x0C02, 0x08);
  write(kPin, uint32_t(field(kPin)) | (1u << 7));  // process posted interrupts: never allowed-1
  EXPECT_EQ(exec(kVmresume), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 7u);
  write(kPin, uint32_t(field(kPin)) & ~(1u << 7));
  write(kGRip, kGuestCode);
  exec(kVmresume);
  EXPECT_TRUE(cpu.non_root());
}

// "Use TPR shadow" (SDM 26.2.1.1): the TPR threshold must not exceed VTPR[7:4] (the
// virtual-APIC page's byte 80H) — checked at every entry, since the page can change without
// a VMWRITE; a failure is VMfailValid(7).
TEST_F(Transition, TprThresholdIsCheckedAgainstVtprAtEveryEntry) {
  constexpr uint32_t kVirtualApic = 0x26000;
  write(kPrimary, uint32_t(field(kPrimary)) | (1u << 21));
  write(0x2012, kVirtualApic);
  write(0x401C, 5);
  bus.byte(kVirtualApic + 0x80) = 0x40;  // VTPR[7:4] = 4 < 5
  guest_code({0x0F, 0xA2});
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 7u);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "tpr_threshold_vtpr");
  bus.byte(kVirtualApic + 0x80) = 0x50;  // no VMWRITE: memory alone fixes it
  exec(kVmlaunch);
  EXPECT_TRUE(cpu.non_root());
  go();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 10u);
  bus.byte(kVirtualApic + 0x80) = 0x30;
  write(kGRip, kGuestCode);
  EXPECT_EQ(exec(kVmresume), uint32_t(cpu::flag::ZF));
  // Kept across save/load (the id is one Vmx::load knows).
  platform::StateWriter w;
  vmx.save(w);
  platform::StateReader r(w.data());
  vmx.load(r);
  EXPECT_EQ(vmx.last_entry_failure()->id, "tpr_threshold_vtpr");
}

TEST_F(Transition, VmlaunchOfALaunchedVmcsFailsWithError4) {
  guest_code({0x0F, 0xA2});
  launch_and_run();
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 4u);
}

// SDM 25.1.3 "HLT exiting": with the control HLT exits (reason 12); without it the guest
// halts (previous test).
TEST_F(Transition, HltExitingMakesHltExit) {
  write(kPrimary, uint32_t(field(kPrimary)) | (1u << 7));
  guest_code({0x90, 0xF4});  // nop; hlt
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 12u);
  EXPECT_EQ(field(kExitInsnLen), 1u);
  EXPECT_EQ(field(kGRip), kGuestCode + 1);
}

// SDM 25.2 "Exceptions": bit 6 of the exception bitmap makes #UD an exit (reason 0) with
// interruption information vector 6, type 3 (hardware exception), valid; the guest RIP is
// the faulting instruction's. Without the bit the guest's own handler gets it.
TEST_F(Transition, ExceptionBitmapSelectsExceptionsThatExit) {
  guest_code({0x90, 0x0F, 0x0B});  // nop; ud2
  write(kExceptionBitmap, 1u << 6);
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 0u);
  EXPECT_EQ(field(kExitIntrInfo), 0x80000306u);
  EXPECT_EQ(field(kGRip), kGuestCode + 1);
  EXPECT_EQ(field(kIdtVectoring), 0u);

  write(kExceptionBitmap, 0);
  write(kGRip, kGuestCode);
  exec(kVmresume);
  go();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(vector_taken(), 6);  // the guest's handler for #UD
}

// #GP with its error code: interruption information bit 11 and the error-code field.
TEST_F(Transition, ExceptionExitCarriesTheErrorCode) {
  guest_code({0x8E, 0xD8});  // mov ds, ax with AX = 0x0B: RPL 3 data segment at CPL 0 -> #GP(8)
  write(kExceptionBitmap, 1u << 13);
  exec(kVmlaunch);
  cpu.state().gpr[cpu::RAX] = 0x0B;
  go();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 0u);
  EXPECT_EQ(field(kExitIntrInfo), 0x80000B0Du);
  EXPECT_EQ(field(kExitIntrEc), 0x08u);
}

// #PF: the bitmap bit is used when (PFEC & mask) == match and inverted otherwise (SDM 25.2);
// the qualification is the faulting linear address, and CR2 is not written (SDM 27.1).
TEST_F(Transition, PageFaultExitsByMaskAndMatchAndLeavesCr2) {
  set_pte(0xB000, 0);  // not present
  guest_code({0xA1, 0x00, 0xB0, 0x00, 0x00});  // mov eax, [0xB000]: #PF, error code 0
  cpu.state().cr2 = 0x1234;
  write(kExceptionBitmap, 1u << 14);
  write(kPfecMask, 1);  // P
  write(kPfecMatch, 0);
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 0u);
  EXPECT_EQ(field(kExitIntrInfo), 0x80000B0Eu);
  EXPECT_EQ(field(kExitIntrEc), 0u);
  EXPECT_EQ(field(kQualification), 0xB000u);
  EXPECT_EQ(cpu.state().cr2, 0x1234u);

  // PFEC & mask = 0 != match = 1: the bit is inverted, the #PF goes to the guest, CR2 set.
  write(kPfecMatch, 1);
  write(kGRip, kGuestCode);
  exec(kVmresume);
  go();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(vector_taken(), 14);
  EXPECT_EQ(cpu.state().cr2, 0xB000u);
}

// INT3 raises #BP, a software exception: type 6 with the instruction length, the guest RIP
// of the INT3 itself (SDM 27.2.2, 27.3.3).
TEST_F(Transition, Int3ExitIsASoftwareExceptionWithItsLength) {
  write(kExceptionBitmap, 1u << 3);
  guest_code({0x90, 0xCC});
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 0u);
  EXPECT_EQ(field(kExitIntrInfo), 0x80000603u);
  EXPECT_EQ(field(kExitInsnLen), 1u);
  EXPECT_EQ(field(kGRip), kGuestCode + 1);
}

// SDM 25.1.2: every VMX instruction exits in non-root operation. VMREAD with a memory
// operand: qualification = displacement, instruction information (SDM Table 27-14):
// scaling 2, address size 1 (32-bit), memory operand, segment DS, index ESI, base EBX,
// reg2 (the field-encoding register) ECX.
TEST_F(Transition, VmxInstructionsExitWithInstructionInformation) {
  guest_code({0x0F, 0x78, 0x8C, 0xB3, 0x10, 0x00, 0x00, 0x00});  // vmread [ebx+esi*4+0x10], ecx
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 23u);
  EXPECT_EQ(field(kExitInsnLen), 8u);
  EXPECT_EQ(field(kQualification), 0x10u);
  const uint32_t info = 2 | (1u << 7) | (3u << 15) | (6u << 18) | (3u << 23) | (1u << 28);
  EXPECT_EQ(field(kExitInsnInfo), info);

  guest_code({0x0F, 0x01, 0xC1});  // vmcall
  write(kGRip, kGuestCode);
  exec(kVmresume);
  go();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 18u);
  EXPECT_EQ(field(kExitInsnLen), 3u);
}

// Nesting (docs/VT.md): a guest that is itself a hypervisor exits on each VMX instruction,
// so its parent can emulate VMX for it. VMXON, VMPTRLD and VMCLEAR carry the displacement
// and the memory-operand information (SDM Table 27-13: scaling 0, address size 32-bit,
// segment DS, base EAX, no index); VMLAUNCH, VMRESUME and VMXOFF exit with their reasons.
TEST_F(Transition, AGuestHypervisorsVmxInstructionsExitToItsParent) {
  struct Case {
    std::vector<uint8_t> code;
    uint32_t reason;
    uint32_t len;
    bool memory;
  };
  const Case cases[] = {
      {{0xF3, 0x0F, 0xC7, 0x70, 0x08}, 27, 5, true},  // vmxon [eax+8]
      {{0x0F, 0xC7, 0x70, 0x08}, 21, 4, true},        // vmptrld [eax+8]
      {{0x66, 0x0F, 0xC7, 0x70, 0x08}, 19, 5, true},  // vmclear [eax+8]
      {{0x0F, 0xC7, 0x78, 0x08}, 22, 4, true},        // vmptrst [eax+8]
      {{0x0F, 0x01, 0xC2}, 20, 3, false},             // vmlaunch
      {{0x0F, 0x01, 0xC3}, 24, 3, false},             // vmresume
      {{0x0F, 0x01, 0xC4}, 26, 3, false},             // vmxoff
  };
  bool launched = false;
  for (const Case& k : cases) {
    guest_code(k.code);
    write(kGRip, kGuestCode);
    exec(launched ? kVmresume : kVmlaunch);
    launched = true;
    go();
    ASSERT_TRUE(host_halted()) << k.reason;
    EXPECT_EQ(field(kExitReason), k.reason);
    EXPECT_EQ(field(kExitInsnLen), k.len) << k.reason;
    if (k.memory) {
      EXPECT_EQ(field(kQualification), 8u) << k.reason;
      EXPECT_EQ(field(kExitInsnInfo), (1u << 7) | (3u << 15) | (1u << 22) | (0u << 23)) << k.reason;
    }
  }
  EXPECT_EQ(vmx.exit_count(27) + vmx.exit_count(21) + vmx.exit_count(19) + vmx.exit_count(22) +
                vmx.exit_count(20) + vmx.exit_count(24) + vmx.exit_count(26),
            7u);
}

// A triple fault in the guest is a VM exit (reason 2), not a shutdown (SDM 25.2).
TEST_F(Transition, TripleFaultExits) {
  write(kIdtrLimit, 0);  // every delivery faults: #UD -> #GP -> #DF -> triple fault
  guest_code({0x0F, 0x0B});
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 2u);
}

// SDM 26.6: an injected hardware exception with an error code is delivered through the
// guest IDT before the guest's first instruction; the valid bit is cleared at the next exit.
TEST_F(Transition, InjectedExceptionIsDeliveredThroughTheGuestIdt) {
  guest_code({0xF4});
  write(kEntryIntrInfo, 0x80000000u | (3u << 8) | (1u << 11) | 13);
  write(kEntryIntrEc, 0x1234);
  launch_and_run();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(vector_taken(), 13);
  EXPECT_EQ(error_code(), 0x1234u);
  EXPECT_EQ(stack_dword(1), kGuestCode);  // return address: the guest's first instruction
}

// A software interrupt (type 4) returns past the instruction: RIP + VM-entry instruction length.
TEST_F(Transition, InjectedSoftwareInterruptUsesTheInstructionLength) {
  guest_code({0xF4});
  write(kEntryIntrInfo, 0x80000000u | (4u << 8) | 13);
  write(kEntryInsnLen, 2);
  launch_and_run();
  EXPECT_EQ(vector_taken(), 13);
  EXPECT_EQ(stack_dword(0), kGuestCode + 2);
}

// The injected event itself is not subject to the exception bitmap (SDM 26.6.1): the #UD
// injected here reaches the guest's handler although bit 6 is set; that handler's HLT
// exits (HLT exiting), and the exit clears the valid bit of the injection field (27.2.5).
TEST_F(Transition, InjectedEventBypassesTheBitmapAndItsValidBitIsClearedOnExit) {
  write(kExceptionBitmap, 1u << 6);
  write(kPrimary, uint32_t(field(kPrimary)) | (1u << 7));
  write(kEntryIntrInfo, 0x80000000u | (3u << 8) | 6);
  guest_code({0x90});
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 12u);
  EXPECT_EQ(field(kGRip), handler(6));
  EXPECT_EQ(field(kEntryIntrInfo) >> 31, 0u);
}

// SDM 26.4 / 26.8: a VM-entry MSR-load entry that names an MSR the processor lacks fails
// the entry: exit reason 34 | 80000000H, qualification = the entry's 1-based index, host
// state loaded.
TEST_F(Transition, MsrLoadFailureIsAnEntryFailureExit) {
  constexpr uint32_t kList = 0x22000;
  bus.set_dword(kList, 0x175);      // IA32_SYSENTER_ESP: fine
  bus.set_dword(kList + 8, 0xABCD);
  bus.set_dword(kList + 16, 0x12345);  // no such MSR
  write(kEntryLoadAddr, kList);
  write(kEntryLoadCount, 2);
  guest_code({0x90});
  exec(kVmlaunch);
  EXPECT_FALSE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, kHostRipValue);
  EXPECT_EQ(field(kExitReason), 0x80000022u);
  EXPECT_EQ(field(kQualification), 2u);
  EXPECT_FALSE(vmx.state().launched);
}

TEST_F(Transition, MsrLoadListLoadsMsrsForTheGuest) {
  constexpr uint32_t kList = 0x22000;
  bus.set_dword(kList, 0x175);
  bus.set_dword(kList + 8, 0xABCD);
  write(kEntryLoadAddr, kList);
  write(kEntryLoadCount, 1);
  guest_code({0x0F, 0xA2});
  exec(kVmlaunch);
  ASSERT_TRUE(cpu.non_root());
  EXPECT_EQ(cpu.state().msrs.sysenter_esp, 0xABCDu);
  go();
  EXPECT_EQ(field(kGSysenterEsp), 0xABCDu);  // saved by the exit (SDM 27.3.1)
}

// Blocking by STI is part of the guest state (SDM 24.4.2): saved by an exit that happens in
// the STI shadow.
TEST_F(Transition, StiBlockingIsSavedInTheInterruptibilityState) {
  guest_code({0xFB, 0x0F, 0xA2});  // sti; cpuid
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 10u);
  EXPECT_EQ(field(kInterruptibility), 1u);
  EXPECT_EQ(field(kGRflags) & cpu::flag::IF, cpu::flag::IF);
}

class Recorder : public cpu::Observer {
 public:
  void on_event(const cpu::Event& e) override { events.push_back(e); }
  std::vector<cpu::Event> events;
};

// VmEntry / VmExit events with the VMX level before and after, the reason's name and the
// transition's cost from the cycle model.
TEST_F(Transition, EntryAndExitAreEvents) {
  Recorder rec;
  cpu.set_observer(&rec);
  guest_code({0x0F, 0xA2});
  launch_and_run();
  cpu.set_observer(nullptr);
  const cpu::Event* entry = nullptr;
  const cpu::Event* exit = nullptr;
  for (const cpu::Event& e : rec.events) {
    if (e.kind == cpu::EventKind::VmEntry) entry = &e;
    if (e.kind == cpu::EventKind::VmExit) exit = &e;
  }
  ASSERT_NE(entry, nullptr);
  ASSERT_NE(exit, nullptr);
  EXPECT_EQ(entry->before.vmx_level, 0);
  EXPECT_EQ(entry->after.vmx_level, 1);
  EXPECT_EQ(entry->ip, kGuestCode);
  EXPECT_EQ(exit->before.vmx_level, 1);
  EXPECT_EQ(exit->after.vmx_level, 0);
  EXPECT_EQ(exit->exit_reason, 10u);
  EXPECT_STREQ(exit->reason, "cpuid");
  EXPECT_EQ(exit->ip, kGuestCode);
  EXPECT_EQ(exit->insn_len, 2);
  EXPECT_EQ(exit->transition_cycles, cpu.cycle_model().vm_exit);
}

}  // namespace
