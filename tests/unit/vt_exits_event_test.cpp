// The event side of VMX non-root operation (Intel SDM Vol.3 25.2, 25.3, 25.5.1, 26.6,
// 27.2-27.3), end to end through the CPU: a hypervisor (VMXON/VMPTRLD/VMWRITE executed by the
// CPU, as vt_entry_checks_test.cpp) enters a guest whose code sits at kGuest, an event
// arrives (INTR, NMI, a window opening, the preemption timer) or is injected, and the test
// asserts the exit reason, the exit-information fields, the guest state saved and that the
// host RIP (a HLT at 0x3000) was reached.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "platform/state_io.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/capabilities.h"
#include "vt/vmcs_fields.h"
#include "vt/vmx.h"

namespace {

namespace f = vt::field;

constexpr uint32_t kVmxon = 0x20000, kVmcs = 0x21000;
constexpr uint32_t kGuest = 0x9000;         // guest code
constexpr uint32_t kGuestHandler = 0x9800;  // guest handler for vectors >= 32: a HLT
constexpr uint32_t kHostRip = 0x3000;       // a HLT (cputest handler(0))
const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};  // vmwrite edx, ecx
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
const std::vector<uint8_t> kVmresume = {0x0F, 0x01, 0xC3};

// Control bits (SDM Tables 24-5, 24-6, 24-13).
constexpr uint32_t kPinExtInt = 1u << 0, kPinNmi = 1u << 3, kPinVirtualNmi = 1u << 5, kPinTimer = 1u << 6;
constexpr uint32_t kProcIntrWindow = 1u << 2, kProcNmiWindow = 1u << 22;
constexpr uint32_t kExitAck = 1u << 15, kExitSaveTimer = 1u << 22;
// Interruption information (SDM Table 24-15/24-16): valid, type << 8, error code valid.
constexpr uint32_t kValid = 0x80000000u, kEcValid = 0x800u;
uint32_t info(uint8_t vector, unsigned type, bool ec = false) {
  return kValid | vector | (type << 8) | (ec ? kEcValid : 0u);
}

class VmxEvents : public cputest::SysTest {
 protected:
  VmxEvents() : vmx(*vt::find_profile("haswell")) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    const auto guest_state = vttest::guest_state_from(cpu.state(), cpu.flags());
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(cputest::kData, kVmxon);
    bus.set_dword(cputest::kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, cputest::kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    // Controls from the TRUE_* MSRs' allowed-0 bits (SDM A.3), host state of this CPU.
    for (auto [enc, msr] : {std::pair{f::PIN_BASED_CONTROLS, vt::msr::VMX_TRUE_PINBASED_CTLS},
                            std::pair{f::PRIMARY_PROC_CONTROLS, vt::msr::VMX_TRUE_PROCBASED_CTLS},
                            std::pair{f::EXIT_CONTROLS, vt::msr::VMX_TRUE_EXIT_CTLS},
                            std::pair{f::ENTRY_CONTROLS, vt::msr::VMX_TRUE_ENTRY_CTLS}}) {
      uint64_t v = 0;
      ASSERT_TRUE(vmx.capabilities().read_msr(msr, v));
      write(enc, uint32_t(v));
    }
    write(f::HOST_CR0, uint32_t(cpu.state().cr0));
    write(f::HOST_CR3, uint32_t(cpu.state().cr3));
    write(f::HOST_CR4, uint32_t(cpu.state().cr4));
    write(f::HOST_ES_SELECTOR + 2, 0x08);  // CS
    for (unsigned k : {0u, 2u, 3u, 4u, 5u}) write(f::HOST_ES_SELECTOR + 2 * k, 0x10);
    write(f::HOST_TR_SELECTOR, 0x28);
    write(f::HOST_RIP, kHostRip);
    write(f::HOST_RSP, 0x8000);
    for (const auto& [enc, val] : guest_state) {
      write(enc, uint32_t(val));
      if (enc == vttest::kLinkPointer) write(enc + 1, uint32_t(val >> 32));
    }
    write(f::GUEST_RIP, kGuest);
    guest({0x90, 0x90, 0x90, 0x90, 0xEB, 0xFE});  // nop x4; jmp $
    bus.byte(kGuestHandler) = 0xF4;
    for (unsigned v : {0x20u, 0x30u, 0x40u}) set_gate(v, 0x08, kGuestHandler, 0xE, 0);
  }

  // Runs one instruction at kCode (the hypervisor's side); returns the arithmetic flags.
  uint32_t exec(const std::vector<uint8_t>& bytes, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    cpu.phys_write(cputest::kCode, bytes.data(), bytes.size());
    auto& s = cpu.state();
    s.rip = cputest::kCode;
    s.halted = false;
    s.gpr[cpu::RSP] = cputest::kStack;
    s.gpr[cpu::RAX] = eax;
    s.gpr[cpu::RCX] = ecx;
    s.gpr[cpu::RDX] = edx;
    cpu.set_flags(cpu.flags() | cpu::flag::ARITH);
    last_stop = cpu.step();
    return cpu.flags() & cpu::flag::ARITH;
  }
  void write(uint32_t enc, uint32_t v) { ASSERT_EQ(exec(kVmwriteEdxEcx, 0, v, enc), 0u) << std::hex << enc; }
  uint64_t field(uint32_t enc) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v)) << std::hex << enc;
    return v;
  }
  void set_bits(uint32_t enc, uint32_t bits) { write(enc, uint32_t(field(enc)) | bits); }
  void guest(const std::vector<uint8_t>& code) { cpu.phys_write(kGuest, code.data(), code.size()); }

  // VMLAUNCH: true when the guest was entered (the CPU is in non-root operation or already
  // left it through a VM exit with the host at its HLT).
  void launch() {
    ASSERT_FALSE(cpu.non_root());
    exec(kVmlaunch);
    ASSERT_EQ(vmx.entry_count(), entries + 1) << (vmx.last_entry_failure() ? vmx.last_entry_failure()->message : "");
    ++entries;
  }
  cpu::StopReason run(uint64_t instructions = 50) {
    return cpu.run({cpu.state().instret + instructions, UINT64_MAX, UINT64_MAX});
  }
  // The VM exit happened and the host ran to its HLT.
  void expect_exit(uint32_t reason) {
    EXPECT_FALSE(cpu.non_root());
    EXPECT_EQ(cpu.state().rip, kHostRip + 1u);
    EXPECT_EQ(field(f::EXIT_REASON), reason);
  }
  uint32_t guest_stack(unsigned k) { return bus.dword(uint32_t(field(f::GUEST_RSP)) + 4 * k); }

  vt::Vmx vmx;
  cpu::StopReason last_stop = cpu::StopReason::None;
  uint64_t entries = 0;
};

// ---- 1. External-interrupt exiting, acknowledge interrupt on exit ---------------------------

// SDM 25.2 "External interrupts", 25.3: with "external-interrupt exiting" RFLAGS.IF does not
// block external interrupts; 27.2.2: "acknowledge interrupt on exit" puts the acknowledged
// vector in the VM-exit interruption-information field (type 0, valid).
TEST_F(VmxEvents, ExternalInterruptExitsWhateverIfAndAcknowledges) {
  set_bits(f::PIN_BASED_CONTROLS, kPinExtInt);
  set_bits(f::EXIT_CONTROLS, kExitAck);
  launch();
  run(2);  // two guest instructions with IF=0
  ASSERT_TRUE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, kGuest + 2u);
  EXPECT_FALSE(cpu.flags() & cpu::flag::IF);
  bus.intr_vector = 0x37;
  cpu.set_intr(true);
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(0x37, 0));
  EXPECT_EQ(field(f::EXIT_QUALIFICATION), 0u);
  EXPECT_EQ(field(f::EXIT_INSTRUCTION_LENGTH), 0u);
  EXPECT_EQ(field(f::IDT_VECTORING_INFO), 0u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 2u);  // the boundary: nothing retired or delivered
  EXPECT_EQ(field(f::GUEST_ACTIVITY), 0u);
  EXPECT_EQ(vmx.exit_count(1), 1u);
}

// Without "acknowledge interrupt on exit" the field is invalid and the interrupt stays
// pending (SDM 27.1, 27.2.2).
TEST_F(VmxEvents, ExternalInterruptWithoutAcknowledgeStaysPending) {
  set_bits(f::PIN_BASED_CONTROLS, kPinExtInt);
  cpu.set_intr(true);
  launch();
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), 0u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);  // before the guest's first instruction
  EXPECT_TRUE(cpu.intr_line());
}

// SDM 26.6.1 / Table 24-3: blocking by STI or MOV SS from the interruptibility state covers
// the guest's first instruction; the exit comes at the boundary after it.
TEST_F(VmxEvents, ExternalInterruptExitWaitsForStiAndMovSsBlocking) {
  set_bits(f::PIN_BASED_CONTROLS, kPinExtInt);
  write(f::GUEST_RFLAGS, 0x202);  // blocking by STI needs IF=1 (26.3.1.5)
  write(f::GUEST_INTERRUPTIBILITY, 1);
  cpu.set_intr(true);
  launch();
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 0u);
  write(f::GUEST_INTERRUPTIBILITY, 2);  // blocking by MOV SS
  write(f::GUEST_RIP, kGuest);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
}

// A guest halted with IF=0 is woken by an INTR that exits (SDM 25.2: external-interrupt
// exits wake from HLT); the exit saves activity state HLT (27.3.4: the state before the
// exit) and the RIP after the HLT. Run stops as Halted, not HaltedForever, while it waits.
// Bochs 2.7 saves activity 0 here (it leaves HLT before the exit); the SDM (27.1: "a return
// to the active state occurs only after the VM exit completes") is followed.
TEST_F(VmxEvents, HaltedGuestWakesIntoTheExternalInterruptExit) {
  set_bits(f::PIN_BASED_CONTROLS, kPinExtInt);
  set_bits(f::EXIT_CONTROLS, kExitAck);
  guest({0x90, 0xF4, 0xEB, 0xFE});  // nop; hlt; jmp $
  launch();
  EXPECT_EQ(run(), cpu::StopReason::Halted);
  ASSERT_TRUE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, kGuest + 2u);
  cpu.set_intr(true);
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::GUEST_ACTIVITY), 1u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 2u);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(0x20, 0));
  // Resuming in the HLT state (MISC bit 6) halts the guest again until the next event.
  cpu.set_intr(false);
  exec(kVmresume);
  ++entries;
  EXPECT_TRUE(cpu.non_root());
  EXPECT_TRUE(cpu.state().halted);
  EXPECT_EQ(run(), cpu::StopReason::Halted);
  EXPECT_EQ(cpu.state().rip, kGuest + 2u);
  cpu.set_intr(true);
  run();
  expect_exit(1);
  EXPECT_EQ(field(f::GUEST_ACTIVITY), 1u);
}

// Without the control, an interrupt is delivered through the guest IDT when IF=1.
TEST_F(VmxEvents, WithoutExitingTheInterruptGoesThroughTheGuestIdt) {
  write(f::GUEST_RFLAGS, 0x202);
  cpu.set_intr(true);
  launch();
  run();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, kGuestHandler + 1u);
  EXPECT_EQ(bus.dword(cputest::kStack - 12), kGuest);  // the return EIP
}

// ---- 2. NMIs, virtual NMIs, the windows --------------------------------------------------------

// SDM 25.2 "Non-maskable interrupts", 27.2.2: exit reason 0, type NMI (2), vector 2; the NMI
// blocks NMIs only after the exit (27.5.5), the guest's state is saved without it (27.3.4).
TEST_F(VmxEvents, NmiExitingExitsWithTypeNmi) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi);
  launch();
  run(1);
  cpu.raise_nmi();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(2, 2));
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 0u);
  EXPECT_TRUE(cpu.state().nmi_blocked);
  EXPECT_FALSE(cpu.nmi_pending());
}

// SDM 26.6.1 / 25.3: with "NMI exiting" and blocking by NMI at entry, the NMI stays pending
// and IRET in the guest does not unblock it.
TEST_F(VmxEvents, BlockingByNmiHoldsAcrossIretWithNmiExiting) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi);
  write(f::GUEST_INTERRUPTIBILITY, 8);
  // pushf; push cs; push target; iret; target: nop; jmp $
  guest({0x9C, 0x0E, 0x68, 0x08, 0x90, 0x00, 0x00, 0xCF, 0x90, 0xEB, 0xFE});
  launch();
  cpu.raise_nmi();
  run(10);
  EXPECT_TRUE(cpu.non_root());
  EXPECT_TRUE(cpu.nmi_pending());
  EXPECT_EQ(cpu.state().rip, kGuest + 9u);
}

// SDM 25.3 "IRET" with "virtual NMIs": IRET ends virtual-NMI blocking, and the NMI window
// (25.2: no virtual-NMI blocking, no MOV SS blocking) opens at the next boundary.
TEST_F(VmxEvents, NmiWindowOpensAtIretWithVirtualNmis) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi | kPinVirtualNmi);
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcNmiWindow);
  write(f::GUEST_INTERRUPTIBILITY, 8);  // virtual-NMI blocking
  guest({0x9C, 0x0E, 0x68, 0x08, 0x90, 0x00, 0x00, 0xCF, 0x90, 0xEB, 0xFE});
  launch();
  EXPECT_NE(vmx.dump().find("virtual_nmi_blocked=1\n"), std::string::npos);
  run();
  expect_exit(8);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 8u);  // right after the IRET
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 0u);
}

// Virtual NMIs: physical NMIs are not blocked in non-root operation (26.6.1), so an NMI
// exits even with bit 3 (virtual-NMI blocking) set, and bit 3 is saved as that blocking.
TEST_F(VmxEvents, VirtualNmiBlockingIsSavedAndDoesNotBlockNmis) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi | kPinVirtualNmi);
  write(f::GUEST_INTERRUPTIBILITY, 8);
  launch();
  cpu.raise_nmi();  // (after VMLAUNCH: before it, the host would take it)
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(2, 2));
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 8u);
}

TEST_F(VmxEvents, NmiWindowExitsBeforeTheFirstInstruction) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi | kPinVirtualNmi);
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcNmiWindow);
  launch();
  run();
  expect_exit(8);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), 0u);
}

// SDM 25.2 "interrupt-window exiting": at the first boundary with RFLAGS.IF=1 and no blocking
// by STI or MOV SS: STI blocks for one instruction, so the exit follows the one after it.
TEST_F(VmxEvents, InterruptWindowOpensAfterTheStiShadow) {
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcIntrWindow);
  guest({0x90, 0xFB, 0x90, 0x90, 0xEB, 0xFE});  // nop; sti; nop; nop; jmp $
  launch();
  run();
  expect_exit(7);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 3u);
  EXPECT_EQ(field(f::GUEST_RFLAGS) & cpu::flag::IF, cpu::flag::IF);
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 0u);
}

// Priorities (SDM 25.2 with 6.9): NMI (here an NMI exit) > interrupt window > external
// interrupt; the preemption timer > NMI window.
TEST_F(VmxEvents, EventPrioritiesAtOneBoundary) {
  set_bits(f::PIN_BASED_CONTROLS, kPinExtInt | kPinNmi);
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcIntrWindow);
  write(f::GUEST_RFLAGS, 0x202);
  cpu.set_intr(true);  // the host has IF=0
  cpu.raise_nmi();
  cpu.state().nmi_blocked = true;  // the host blocks NMIs; VM entry loads the guest's (none)
  launch();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(2, 2));
  cpu.state().nmi_blocked = false;  // as the host's IRET would
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(7);
  write(f::PRIMARY_PROC_CONTROLS, uint32_t(field(f::PRIMARY_PROC_CONTROLS)) & ~kProcIntrWindow);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(1);

  set_bits(f::PIN_BASED_CONTROLS, kPinVirtualNmi | kPinTimer);
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcNmiWindow);
  write(f::GUEST_PREEMPTION_TIMER, 0);
  cpu.set_intr(false);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(52);
}

// ---- 3. Event injection (SDM 26.6, 26.6.1.x) ----------------------------------------------------

TEST_F(VmxEvents, InjectedExternalInterruptIsDeliveredAtTheFirstBoundary) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x30, 0));
  launch();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_EQ(cpu.state().rip, kGuestHandler);
  EXPECT_EQ(bus.dword(cputest::kStack - 12), kGuest);
  EXPECT_EQ(bus.dword(cputest::kStack - 8), 0x08u);
  EXPECT_EQ(bus.dword(cputest::kStack - 4), 0x202u);
  EXPECT_FALSE(cpu.flags() & cpu::flag::IF);  // through an interrupt gate
  // The valid bit is cleared on the next VM exit (27.2.5 end): not injected twice.
  cpu.raise_nmi();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::ENTRY_INTERRUPTION_INFO) & kValid, 0u);
}

TEST_F(VmxEvents, InjectedNmiBlocksNmis) {
  write(f::ENTRY_INTERRUPTION_INFO, info(2, 2));
  launch();
  EXPECT_EQ(cpu.state().rip, handler(2));
  EXPECT_TRUE(cpu.state().nmi_blocked);
}

// A hardware exception with an error code: pushed with it; RF in the image is the guest's
// RFLAGS.RF (VM entry does not set it); CR2 is not loaded for #PF (the VMM writes CR2).
TEST_F(VmxEvents, InjectedHardwareExceptionsPushTheirErrorCode) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi);  // each round leaves the guest by an NMI exit
  for (uint8_t v : {uint8_t(13), uint8_t(14), uint8_t(8)}) {
    SCOPED_TRACE(int(v));
    if (cpu.non_root()) FAIL();
    cpu.state().cr2 = 0x5555;
    write(f::ENTRY_INTERRUPTION_INFO, info(v, 3, true));
    write(f::ENTRY_EXCEPTION_EC, v == 8 ? 0 : 0x1234);
    write(f::GUEST_RIP, kGuest);
    write(f::GUEST_RSP, cputest::kStack);
    if (entries == 0) launch();
    else {
      exec(kVmresume);
      ++entries;
    }
    EXPECT_TRUE(cpu.non_root());
    EXPECT_EQ(cpu.state().rip, handler(v));
    EXPECT_EQ(bus.dword(cputest::kStack - 16), v == 8 ? 0u : 0x1234u);
    EXPECT_EQ(bus.dword(cputest::kStack - 12), kGuest);
    EXPECT_EQ(bus.dword(cputest::kStack - 4) & cpu::flag::RF, 0u);
    EXPECT_EQ(cpu.state().cr2, 0x5555u);
    // Leave the guest (an NMI exit) for the next round.
    cpu.raise_nmi();
    run();
    expect_exit(0);
    cpu.state().nmi_blocked = false;
  }
}

// Software interrupts and exceptions (types 4, 5, 6) return past the instruction: RIP plus
// the VM-entry instruction length (26.6.1.3).
TEST_F(VmxEvents, InjectedSoftwareEventsReturnPastTheInstruction) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi);
  struct Case {
    uint8_t vector;
    unsigned type, len;
  };
  for (const Case k : {Case{0x40, 4, 2}, Case{3, 6, 1}, Case{1, 5, 1}}) {
    SCOPED_TRACE(k.type);
    write(f::ENTRY_INTERRUPTION_INFO, info(k.vector, k.type));
    write(f::ENTRY_INSTRUCTION_LENGTH, k.len);
    write(f::GUEST_RIP, kGuest);
    write(f::GUEST_RSP, cputest::kStack);
    if (entries == 0) launch();
    else {
      exec(kVmresume);
      ++entries;
    }
    ASSERT_TRUE(cpu.non_root()) << vmx.dump();
    EXPECT_EQ(cpu.state().rip, k.vector >= 32 ? kGuestHandler : handler(k.vector));
    EXPECT_EQ(bus.dword(cputest::kStack - 12), kGuest + k.len);
    cpu.raise_nmi();
    run();
    expect_exit(0);
    cpu.state().nmi_blocked = false;
  }
}

// SDM 27.2.4: an exit during the delivery of an injected event (here the exception bitmap
// catching the #NP the not-present gate raises) records the event in the IDT-vectoring
// information; the guest RIP saved is where the event was to be delivered.
TEST_F(VmxEvents, ExitDuringInjectedDeliveryRecordsIdtVectoring) {
  set_gate(0x30, 0x08, kGuestHandler, 0xE, 0);
  bus.set_dword(cputest::kIdt + 0x30 * 8 + 4, bus.dword(cputest::kIdt + 0x30 * 8 + 4) & ~(1u << 15));
  write(f::EXCEPTION_BITMAP, 1u << 11);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x30, 0));
  launch();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(11, 3, true));
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_EC), 0x30u * 8 + 2 + 1);  // IDT, EXT
  EXPECT_EQ(field(f::IDT_VECTORING_INFO), info(0x30, 0));
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(field(f::EXIT_INSTRUCTION_LENGTH), 0u);
}

// A #PF raised by pushing the frame of an injected INT n (the guest stack page not present):
// the IDT-vectoring information is type 4 with the VM-exit instruction length of the
// injected instruction (27.2.4, 27.2.5), the qualification the faulting address (27.2.1),
// RIP the instruction itself, CR2 unchanged (27.1).
TEST_F(VmxEvents, PageFaultDeliveringAnInjectedSoftwareInterrupt) {
  set_pte(0x7F000, 0);  // the page below the guest stack
  cpu.flush_tlb(true);
  write(f::GUEST_RSP, 0x80000);
  write(f::EXCEPTION_BITMAP, 1u << 14);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x40, 4));
  write(f::ENTRY_INSTRUCTION_LENGTH, 2);
  cpu.state().cr2 = 0;
  launch();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(14, 3, true));
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_EC), 2u);  // write, not present, supervisor
  EXPECT_EQ(field(f::EXIT_QUALIFICATION), 0x7FFFCu);
  EXPECT_EQ(field(f::IDT_VECTORING_INFO), info(0x40, 4));
  EXPECT_EQ(field(f::EXIT_INSTRUCTION_LENGTH), 2u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(cpu.state().cr2, 0u);
}

// The guest's own INT n whose frame push faults: the exit records the INT n in the
// IDT-vectoring information (type 4) with its length, RIP at the instruction (27.2.4-27.2.5).
TEST_F(VmxEvents, PageFaultDeliveringTheGuestsOwnIntN) {
  set_pte(0x7F000, 0);
  cpu.flush_tlb(true);
  write(f::GUEST_RSP, 0x80000);
  write(f::EXCEPTION_BITMAP, 1u << 14);
  guest({0x90, 0xCD, 0x40});  // nop; int 0x40
  launch();
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::EXIT_INTERRUPTION_INFO), info(14, 3, true));
  EXPECT_EQ(field(f::EXIT_QUALIFICATION), 0x7FFFCu);
  EXPECT_EQ(field(f::IDT_VECTORING_INFO), info(0x40, 4));
  EXPECT_EQ(field(f::EXIT_INSTRUCTION_LENGTH), 2u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  // INT3 (a software exception, type 6), one byte.
  guest({0xCC});
  write(f::GUEST_RIP, kGuest);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(0);
  EXPECT_EQ(field(f::IDT_VECTORING_INFO), info(3, 6));
  EXPECT_EQ(field(f::EXIT_INSTRUCTION_LENGTH), 1u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
}

// A vectoring entry leaves no blocking by STI or MOV SS (26.6.1): the handler's first
// instruction can already be preceded by a window exit.
TEST_F(VmxEvents, VectoringEntryClearsStiBlocking) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi | kPinVirtualNmi);
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcNmiWindow);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::GUEST_INTERRUPTIBILITY, 1);
  write(f::ENTRY_INTERRUPTION_INFO, info(13, 3, true));
  launch();
  run();
  expect_exit(8);
  EXPECT_EQ(field(f::GUEST_RIP), handler(13));
}

// ---- 4. Activity state and interruptibility ----------------------------------------------------

// SDM 26.6.2: a non-vectoring entry with activity state HLT leaves the guest halted; a
// vectoring one is active and delivers the event.
TEST_F(VmxEvents, HltActivityStateAtEntry) {
  write(f::GUEST_ACTIVITY, 1);
  launch();
  EXPECT_TRUE(cpu.non_root());
  EXPECT_TRUE(cpu.state().halted);
  EXPECT_EQ(run(), cpu::StopReason::HaltedForever);  // IF=0, nothing exits
  EXPECT_EQ(cpu.state().rip, kGuest);
}

TEST_F(VmxEvents, HltActivityStateWithInjectionIsActive) {
  write(f::GUEST_ACTIVITY, 1);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x30, 0));
  launch();
  EXPECT_FALSE(cpu.state().halted);
  EXPECT_EQ(cpu.state().rip, kGuestHandler);
}

// SDM 27.3.4: the interruptibility state before the exit: STI executed with IF=0 blocks the
// next instruction, which here is a CPUID that exits unconditionally.
TEST_F(VmxEvents, InterruptibilitySavedAtAnInstructionExit) {
  guest({0xFB, 0x0F, 0xA2});  // sti; cpuid
  launch();
  run();
  expect_exit(10);
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 1u);
  guest({0x8E, 0xD0, 0x0F, 0xA2});  // mov ss, eax; cpuid
  write(f::GUEST_RIP, kGuest);
  write(f::GUEST_INTERRUPTIBILITY, 0);
  write(f::GUEST_RFLAGS, 0x2);
  cpu.state().gpr[cpu::RAX] = 0x10;
  exec(kVmresume, 0x10);
  ++entries;
  run();
  expect_exit(10);
  EXPECT_EQ(field(f::GUEST_INTERRUPTIBILITY), 2u);
}

// ---- 5. The VMX-preemption timer (SDM 25.5.1) ----------------------------------------------------

TEST_F(VmxEvents, PreemptionTimerZeroExitsBeforeTheFirstInstruction) {
  set_bits(f::PIN_BASED_CONTROLS, kPinTimer);
  set_bits(f::EXIT_CONTROLS, kExitSaveTimer);
  write(f::GUEST_PREEMPTION_TIMER, 0);
  launch();
  run();
  expect_exit(52);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(field(f::GUEST_PREEMPTION_TIMER), 0u);
  EXPECT_EQ(vmx.dump().find("preemption_deadline"), std::string::npos);  // stopped
}

// The timer counts down by 1 each time TSC bit 5 (IA32_VMX_MISC[4:0]) changes: it reaches 0
// at TSC ((TSC_entry >> 5) + value) << 5; the exit comes at the first boundary from there on.
TEST_F(VmxEvents, PreemptionTimerExpiresAtItsTscDeadline) {
  uint64_t misc = 0;
  ASSERT_TRUE(vmx.read_msr(cpu, vt::msr::VMX_MISC, misc));
  ASSERT_EQ(misc & 0x1F, 5u);
  set_bits(f::PIN_BASED_CONTROLS, kPinTimer);
  set_bits(f::EXIT_CONTROLS, kExitSaveTimer);
  write(f::GUEST_PREEMPTION_TIMER, 100);
  const uint64_t entry_tsc = cpu.state().cycles + cpu.cycle_model().vm_entry;
  const uint64_t deadline = ((entry_tsc >> 5) + 100) << 5;
  launch();
  EXPECT_NE(vmx.dump().find("preemption_deadline=" + std::to_string(deadline) + "\n"), std::string::npos)
      << vmx.dump();
  const cpu::StopReason r = cpu.run({UINT64_MAX, UINT64_MAX, deadline - 32});
  EXPECT_EQ(r, cpu::StopReason::CycleLimit);
  EXPECT_TRUE(cpu.non_root());
  run(1000);
  expect_exit(52);
  EXPECT_EQ(field(f::GUEST_PREEMPTION_TIMER), 0u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 4u);  // in the jmp $ loop
}

// The value saved by "save VMX-preemption timer value" at another exit: what is left.
TEST_F(VmxEvents, PreemptionTimerValueSavedAtAnotherExit) {
  set_bits(f::PIN_BASED_CONTROLS, kPinTimer);
  set_bits(f::EXIT_CONTROLS, kExitSaveTimer);
  write(f::GUEST_PREEMPTION_TIMER, 1000);
  guest({0x0F, 0xA2});  // cpuid
  launch();
  run();
  expect_exit(10);
  const uint64_t left = field(f::GUEST_PREEMPTION_TIMER);
  EXPECT_LE(left, 1000u);
  EXPECT_GE(left, 950u);
  // Without the control the field keeps the value written.
  write(f::EXIT_CONTROLS, uint32_t(field(f::EXIT_CONTROLS)) & ~kExitSaveTimer);
  write(f::GUEST_PREEMPTION_TIMER, 1000);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(10);
  EXPECT_EQ(field(f::GUEST_PREEMPTION_TIMER), 1000u);
}

// A halted guest wakes into the timer's exit: the CPU lets time pass up to it.
TEST_F(VmxEvents, PreemptionTimerWakesAHaltedGuest) {
  set_bits(f::PIN_BASED_CONTROLS, kPinTimer);
  write(f::GUEST_PREEMPTION_TIMER, 50);
  guest({0xF4, 0xEB, 0xFE});  // hlt; jmp $
  const uint64_t entry_tsc = cpu.state().cycles + cpu.cycle_model().vm_entry;
  const uint64_t deadline = ((entry_tsc >> 5) + 50) << 5;
  launch();
  run();
  expect_exit(52);
  EXPECT_EQ(field(f::GUEST_ACTIVITY), 1u);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  EXPECT_GE(cpu.state().cycles, deadline);
  EXPECT_LT(cpu.state().cycles, deadline + 2 * cpu.cycle_model().vm_exit + 200);
}

// The timer state survives save/load with the rest of the VMX state.
TEST_F(VmxEvents, TimerAndVirtualNmiStateSurviveSaveAndLoad) {
  set_bits(f::PIN_BASED_CONTROLS, kPinNmi | kPinVirtualNmi | kPinTimer);
  write(f::GUEST_PREEMPTION_TIMER, 500);
  write(f::GUEST_INTERRUPTIBILITY, 8);
  launch();
  platform::StateWriter w;
  vmx.save(w);
  const std::string before = vmx.dump();
  vmx.reset();
  platform::StateReader r(w.data());
  vmx.load(r);
  EXPECT_EQ(vmx.dump(), before);
  EXPECT_NE(before.find("virtual_nmi_blocked=1"), std::string::npos);
  EXPECT_NE(before.find("preemption_deadline="), std::string::npos);
}

// ---- 6. Monitor trap flag (SDM 25.5.2) ------------------------------------------------------------

constexpr uint32_t kProcMtf = 1u << 27;

TEST_F(VmxEvents, MonitorTrapFlagExitsAfterEachInstruction) {
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcMtf);
  launch();
  EXPECT_TRUE(cpu.non_root());  // no exit before the first instruction
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  EXPECT_EQ(field(f::EXIT_QUALIFICATION), 0u);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 2u);
}

// After an injected event's delivery, before the handler's first instruction; after a fault
// delivered through the guest IDT; after HLT (from the HLT state).
TEST_F(VmxEvents, MonitorTrapFlagAfterInjectionFaultAndHlt) {
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcMtf);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x30, 0));
  launch();
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), kGuestHandler);
  guest({0x0F, 0x0B});  // ud2
  write(f::GUEST_RIP, kGuest);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), handler(6));
  guest({0xF4});  // hlt
  write(f::GUEST_RIP, kGuest);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest + 1u);
  EXPECT_EQ(field(f::GUEST_ACTIVITY), 1u);
}

// SDM 26.5.2: injecting interruption type 7 (other event) with vector 0 makes an MTF VM exit
// pending before the first instruction, even with the control 0; nothing is delivered.
TEST_F(VmxEvents, InjectedPendingMtfExit) {
  write(f::ENTRY_INTERRUPTION_INFO, kValid | (7u << 8));
  launch();
  run();
  expect_exit(37);
  EXPECT_EQ(field(f::GUEST_RIP), kGuest);
  EXPECT_EQ(bus.dword(cputest::kStack - 12), 0u);  // nothing pushed
  exec(kVmresume);  // the valid bit was cleared by the exit: no second MTF exit
  ++entries;
  run(3);
  EXPECT_TRUE(cpu.non_root());
}

// MTF has priority over the VMX-preemption timer (25.5.1, 25.5.2).
TEST_F(VmxEvents, MonitorTrapFlagBeforeThePreemptionTimer) {
  set_bits(f::PRIMARY_PROC_CONTROLS, kProcMtf);
  set_bits(f::PIN_BASED_CONTROLS, kPinTimer);
  write(f::GUEST_PREEMPTION_TIMER, 0);
  write(f::GUEST_RFLAGS, 0x202);
  write(f::ENTRY_INTERRUPTION_INFO, info(0x30, 0));
  launch();
  run();
  expect_exit(37);
  write(f::ENTRY_INTERRUPTION_INFO, 0);
  exec(kVmresume);
  ++entries;
  run();
  expect_exit(52);  // no instruction ran: no MTF exit pending, the timer (0) exits
}

}  // namespace
