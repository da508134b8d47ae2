// tests/unit/vt_transition_fixture.h — a CPU in VMX root operation with a valid current
// VMCS, built with VMWRITEs the CPU executes (as a hypervisor would), for tests that enter a
// guest and look at VM exits: the host is this CPU's flat 32-bit protected mode with paging
// (cpu_sys_fixture.h), host RIP = the HLT at handler(0), so every exit ends with the host
// halted there; the guest shares the host's page tables, GDT and IDT (whose handlers are
// HLTs too: a guest exception that does not exit halts the guest at handler(v) + 1), runs
// at kGuestCode with its stack at kGuestStack.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/vmx.h"

namespace vttest {

constexpr uint32_t kVmxon = 0x20000, kVmcs = 0x21000;
constexpr uint32_t kGuestCode = 0x9000, kGuestStack = 0xA000;
constexpr uint32_t kHostRipValue = 0x3000;  // cputest::handler(0): a HLT
constexpr uint32_t kHostRspValue = 0x6F00;

// Field encodings used here (SDM Appendix B).
constexpr uint32_t kPin = 0x4000, kPrimary = 0x4002, kExceptionBitmap = 0x4004, kPfecMask = 0x4006,
                   kPfecMatch = 0x4008, kExitCtl = 0x400C, kEntryCtl = 0x4012, kEntryLoadCount = 0x4014,
                   kEntryIntrInfo = 0x4016, kEntryIntrEc = 0x4018, kEntryInsnLen = 0x401A;
constexpr uint32_t kEntryLoadAddr = 0x200A;
constexpr uint32_t kExitReason = 0x4402, kExitIntrInfo = 0x4404, kExitIntrEc = 0x4406, kIdtVectoring = 0x4408,
                   kExitInsnLen = 0x440C, kExitInsnInfo = 0x440E, kQualification = 0x6400;
constexpr uint32_t kHostCr0 = 0x6C00, kHostCr3 = 0x6C02, kHostCr4 = 0x6C04, kHostRsp = 0x6C14, kHostRip = 0x6C16,
                   kHostGdtrBase = 0x6C0C, kHostIdtrBase = 0x6C0E, kHostTrBase = 0x6C0A;

inline const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
inline const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};  // vmwrite edx, ecx
inline const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
inline const std::vector<uint8_t> kVmresume = {0x0F, 0x01, 0xC3};

inline uint32_t adjust(const vt::Capabilities& caps, uint32_t msr, uint32_t desired) {
  uint64_t v = 0;
  EXPECT_TRUE(caps.read_msr(msr, v));
  return (desired | uint32_t(v)) & uint32_t(v >> 32);
}

class Transition : public cputest::SysTest {
 protected:
  explicit Transition(const char* profile = "haswell") : vmx(*vt::find_profile(profile)) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(cputest::kData, kVmxon);
    bus.set_dword(cputest::kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, cputest::kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    const vt::Capabilities& caps = vmx.capabilities();
    write(kPin, adjust(caps, vt::msr::VMX_TRUE_PINBASED_CTLS, 0));
    write(kPrimary, adjust(caps, vt::msr::VMX_TRUE_PROCBASED_CTLS, 0));
    write(kExitCtl, adjust(caps, vt::msr::VMX_TRUE_EXIT_CTLS, 1u << 2));    // save debug controls
    write(kEntryCtl, adjust(caps, vt::msr::VMX_TRUE_ENTRY_CTLS, 1u << 2));  // load debug controls
    const cpu::State& s = cpu.state();
    write(kHostCr0, uint32_t(s.cr0));
    write(kHostCr3, uint32_t(s.cr3));
    write(kHostCr4, uint32_t(s.cr4));
    for (unsigned k = 0; k < 6; ++k) write(0x0C00 + 2 * k, s.seg[k].selector);
    write(0x0C0C, s.tr.selector);
    write(kHostTrBase, uint32_t(s.tr.base));
    write(kHostGdtrBase, uint32_t(s.gdtr.base));
    write(kHostIdtrBase, uint32_t(s.idtr.base));
    write(kHostRip, kHostRipValue);
    write(kHostRsp, kHostRspValue);
    // The guest: this CPU's state (SDM 26.3.1 valid), at kGuestCode with its own stack.
    auto guest = guest_state_from(s, cpu.flags() & ~cpu::flag::ARITH);
    guest[kGRip] = kGuestCode;
    guest[kGRsp] = kGuestStack;
    // The guest's TR: busy, as LTR left it in the GDT (the cache says type 11).
    for (const auto& [enc, val] : guest) {
      write(enc, uint32_t(val));
      if (enc == kLinkPointer) write(enc + 1, uint32_t(val >> 32));
    }
  }

  // Runs one instruction at kCode (the host's), with EAX/ECX/EDX; returns the arithmetic
  // flags afterwards (CF = VMfailInvalid, ZF = VMfailValid).
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
    cpu.step();
    return cpu.flags() & cpu::flag::ARITH;
  }
  void write(uint32_t enc, uint32_t v) { ASSERT_EQ(exec(kVmwriteEdxEcx, 0, v, enc), 0u) << std::hex << enc; }
  uint64_t field(uint32_t enc) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v)) << std::hex << enc;
    return v;
  }
  void guest_code(const std::vector<uint8_t>& bytes) { cpu.phys_write(kGuestCode, bytes.data(), bytes.size()); }
  // VMLAUNCH, then run until the CPU halts (the host at its HLT, or the guest).
  void launch_and_run() {
    exec(kVmlaunch);
    ASSERT_TRUE(cpu.non_root()) << "entry failed: " << std::hex << field(kExitReason);
    go();
  }
  bool host_halted() const { return !cpu.non_root() && cpu.state().halted && cpu.state().rip == kHostRipValue + 1; }

  vt::Vmx vmx;
};

}  // namespace vttest
