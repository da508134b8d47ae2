// The VMX instructions in root operation, driven through the CPU by small code sequences
// at CPL 0/3 in protected mode with paging (IA32_VMX_CR0_FIXED0 requires PE, NE and PG).
// Expected behaviour: the "Operation" and "Protected Mode Exceptions" sections of each
// instruction in Intel SDM Vol.3 chapter 30 ("VMX Instruction Reference"; Vol.2 in some
// editions), the status conventions of 30.2 and the error numbers of 30.4 (Table 30-1).
#include <gtest/gtest.h>

#include <vector>

#include "cpu/cpu.h"
#include "cpu/cycles/model.h"
#include "platform/machine.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "vt/vmx.h"

namespace {

using cputest::kCode;
using cputest::kData;
using cputest::kStack;
using cputest::kStack3;

constexpr uint32_t kVmxon = 0x20000;
constexpr uint32_t kVmcsA = 0x21000;
constexpr uint32_t kVmcsB = 0x22000;
constexpr uint32_t kArith = cpu::flag::ARITH;

// Instruction bytes. Memory operands use [eax]; VMREAD/VMWRITE take the field encoding in
// EDX and the value in ECX (or [eax]).
const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrstEax = {0x0F, 0xC7, 0x38};
const std::vector<uint8_t> kVmreadEcxEdx = {0x0F, 0x78, 0xD1};   // vmread ecx, edx
const std::vector<uint8_t> kVmreadMemEdx = {0x0F, 0x78, 0x10};   // vmread [eax], edx
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};  // vmwrite edx, ecx
const std::vector<uint8_t> kVmwriteEdxMem = {0x0F, 0x79, 0x10};  // vmwrite edx, [eax]
const std::vector<uint8_t> kVmxoff = {0x0F, 0x01, 0xC4};
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
const std::vector<uint8_t> kVmresume = {0x0F, 0x01, 0xC3};
const std::vector<uint8_t> kVmcall = {0x0F, 0x01, 0xC1};

enum class Result { Succeed, FailInvalid, FailValid, Fault, Other };

class VmxInsnTest : public cputest::SysTest {
 protected:
  explicit VmxInsnTest(const char* profile = "haswell")
      : vmx(*vt::find_profile(profile), [this] { return a20_masked; }) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;  // lock + VMX outside SMX
    for (uint32_t r : {kVmxon, kVmcsA, kVmcsB}) bus.set_dword(r, vt::kVmcsRevision);
  }

  // Runs one instruction at kCode (CPL unchanged) with all arithmetic flags set first.
  Result exec(const std::vector<uint8_t>& bytes, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    cpu.phys_write(kCode, bytes.data(), bytes.size());
    auto& s = cpu.state();
    s.rip = kCode;
    s.halted = false;
    s.gpr[cpu::RSP] = cpu.state().cpl == 3 ? kStack3 : kStack;
    s.gpr[cpu::RAX] = eax;
    s.gpr[cpu::RCX] = ecx;
    s.gpr[cpu::RDX] = edx;
    cpu.set_flags(cpu.flags() | kArith);
    last_stop = cpu.step();
    return classify(kCode + bytes.size());
  }

  Result classify(uint64_t next) {
    const uint64_t rip = cpu.state().rip;
    if (rip >= cputest::kHandlers && rip < cputest::kHandlers + 32 * 16 && (rip - cputest::kHandlers) % 16 == 0) {
      vector = int((rip - cputest::kHandlers) / 16);
      return Result::Fault;
    }
    vector = -1;
    if (rip != next) return Result::Other;
    const uint32_t f = cpu.flags() & kArith;
    if (f == 0) return Result::Succeed;
    if (f == cpu::flag::CF) return Result::FailInvalid;
    if (f == cpu::flag::ZF) return Result::FailValid;
    return Result::Other;
  }

  uint64_t field(uint32_t enc) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v));
    return v;
  }
  uint32_t error() { return uint32_t(field(vt::field::VM_INSTRUCTION_ERROR)); }

  void vmxon() { ASSERT_EQ(exec(kVmxonEax, kData), Result::Succeed); }
  void set_ptr(uint32_t at, uint64_t v) {
    bus.set_dword(at, uint32_t(v));
    bus.set_dword(at + 4, uint32_t(v >> 32));
  }
  // VMXON with the region at kVmxon, then VMCLEAR and VMPTRLD of `vmcs`.
  void enter(uint32_t vmcs = kVmcsA) {
    set_ptr(kData, kVmxon);
    vmxon();
    set_ptr(kData + 8, vmcs);
    ASSERT_EQ(exec(kVmclearEax, kData + 8), Result::Succeed);
    ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  }
  Result vmwrite(uint32_t enc, uint32_t v) { return exec(kVmwriteEdxEcx, 0, v, enc); }
  Result vmread(uint32_t enc, uint32_t& v) {
    const Result r = exec(kVmreadEcxEdx, 0, 0xDEADBEEF, enc);
    v = cpu.reg32(cpu::RCX);
    return r;
  }

  bool a20_masked = false;
  vt::Vmx vmx;
  int vector = -1;
  cpu::StopReason last_stop = cpu::StopReason::None;
};

// ---- VMXON ----------------------------------------------------------------------------

TEST_F(VmxInsnTest, VmxonEntersVmxOperationWithNoCurrentVmcs) {
  set_ptr(kData, kVmxon);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Succeed);  // all six status flags cleared
  EXPECT_TRUE(vmx.state().vmx_operation);
  EXPECT_EQ(vmx.state().vmxon_pointer, kVmxon);
  EXPECT_EQ(vmx.state().current_vmcs, vt::kInvalidVmcs);
}

TEST_F(VmxInsnTest, VmxonInRootFailsWithError15) {
  set_ptr(kData, kVmxon);
  vmxon();
  // No current VMCS: VMfail gives VMfailInvalid.
  EXPECT_EQ(exec(kVmxonEax, kData), Result::FailInvalid);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmxonInRoot);
}

TEST_F(VmxInsnTest, VmxonUdWithoutCr4VmxeAndForRegisterOperand) {
  set_ptr(kData, kVmxon);
  cpu.write_cr4(0);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::UD);
  cpu.write_cr4(cpu::cr4::VMXE);
  EXPECT_EQ(exec({0xF3, 0x0F, 0xC7, 0xF0}, kData), Result::Fault);  // mod = 3
  EXPECT_EQ(vector, cpu::UD);
  EXPECT_FALSE(vmx.state().vmx_operation);
}

TEST_F(VmxInsnTest, VmxonUdInRealMode) {
  real16();
  cpu.state().cr4 = cpu::cr4::VMXE;  // CR4 is writable in real mode; set it directly
  bus.set_dword(cpu::UD * 4, handler(cpu::UD));  // IVT: 0000:handler
  const std::vector<uint8_t> code = {0xF3, 0x0F, 0xC7, 0x30};
  cpu.phys_write(kCode, code.data(), code.size());
  cpu.step();
  EXPECT_EQ(cpu.state().rip, handler(cpu::UD));
  EXPECT_FALSE(vmx.state().vmx_operation);
}

TEST_F(VmxInsnTest, VmxonGpConditions) {
  set_ptr(kData, kVmxon);
  // CR0.NE = 0 (not allowed by IA32_VMX_CR0_FIXED0).
  cpu.state().cr0 &= ~cpu::cr0::NE;
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::GP);
  EXPECT_EQ(error_code(), 0u);
  cpu.state().cr0 |= cpu::cr0::NE;
  // IA32_FEATURE_CONTROL: unlocked, or locked without "VMX outside SMX".
  for (uint64_t fc : {0ull, 4ull, 1ull, 3ull}) {
    cpu.state().msrs.feature_control = fc;
    EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault) << fc;
    EXPECT_EQ(vector, cpu::GP) << fc;
  }
  cpu.state().msrs.feature_control = 5;
  // A20M mode.
  a20_masked = true;
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::GP);
  a20_masked = false;
  EXPECT_FALSE(vmx.state().vmx_operation);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Succeed);
}

TEST_F(VmxInsnTest, VmxonGpAtCpl3) {
  set_ptr(kData, kVmxon);
  enter_ring3(kCode, kStack3);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::GP);
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(VmxInsnTest, VmxonFailInvalidForBadPointerOrRevision) {
  for (uint64_t p : {uint64_t(kVmxon + 0x10), uint64_t(1) << 39, uint64_t(1) << 63}) {
    set_ptr(kData, p);
    EXPECT_EQ(exec(kVmxonEax, kData), Result::FailInvalid) << std::hex << p;
  }
  set_ptr(kData, kVmxon);
  bus.set_dword(kVmxon, vt::kVmcsRevision + 1);
  EXPECT_EQ(exec(kVmxonEax, kData), Result::FailInvalid);
  bus.set_dword(kVmxon, vt::kVmcsRevision | 0x80000000u);  // bit 31 must be 0
  EXPECT_EQ(exec(kVmxonEax, kData), Result::FailInvalid);
  EXPECT_FALSE(vmx.state().vmx_operation);
}

TEST_F(VmxInsnTest, VmxonOperandFaultsThroughTheCpu) {
  // The 64-bit operand is read through segmentation and paging: a not-present page is
  // #PF (error code 0: supervisor read, not present), a DS limit violation #GP(0).
  set_pte(kData, 0);
  cpu.flush_tlb();
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::PF);
  EXPECT_EQ(cpu.state().cr2, kData);
  set_pte(kData, kData | 7);
  cpu.flush_tlb();
  cpu.state().seg[cpu::DS].limit = kData + 3;  // the 8-byte operand crosses the limit
  EXPECT_EQ(exec(kVmxonEax, kData), Result::Fault);
  EXPECT_EQ(vector, cpu::GP);
  EXPECT_FALSE(vmx.state().vmx_operation);
}

TEST_F(VmxInsnTest, StackSegmentOperandFaultIsSs) {
  // vmptrld [esp] with the 8-byte operand crossing the SS limit: #SS(0) (SDM "Protected
  // Mode Exceptions": "#SS(0) if a memory operand effective address is outside the SS
  // segment limit").
  enter();
  cpu.state().seg[cpu::SS].limit = kStack + 3;
  EXPECT_EQ(exec({0x0F, 0xC7, 0x34, 0x24}), Result::Fault);
  EXPECT_EQ(vector, cpu::SS_);
  EXPECT_EQ(error_code(), 0u);
}

// ---- Outside VMX operation and at CPL 3 --------------------------------------------------

TEST_F(VmxInsnTest, OtherInstructionsUdOutsideVmxOperation) {
  for (const auto* insn : {&kVmxoff, &kVmclearEax, &kVmptrldEax, &kVmptrstEax, &kVmreadEcxEdx,
                           &kVmwriteEdxEcx, &kVmlaunch, &kVmresume, &kVmcall}) {
    EXPECT_EQ(exec(*insn, kData), Result::Fault);
    EXPECT_EQ(vector, cpu::UD);
  }
}

TEST_F(VmxInsnTest, InstructionsGpAtCpl3InVmxOperation) {
  enter();
  enter_ring3(kCode, kStack3);
  for (const auto* insn : {&kVmxonEax, &kVmxoff, &kVmclearEax, &kVmptrldEax, &kVmptrstEax,
                           &kVmreadEcxEdx, &kVmwriteEdxEcx, &kVmlaunch, &kVmresume, &kVmcall}) {
    EXPECT_EQ(exec(*insn, kData), Result::Fault);
    EXPECT_EQ(vector, cpu::GP);
    EXPECT_EQ(error_code(), 0u);
    enter_ring3(kCode, kStack3);
  }
}

// SDM 30.3 INVEPT/INVVPID: #UD outside VMX operation; in it, an unsupported type is
// VMfail (VMfailInvalid without a current VMCS). More in vt_ept_test.cpp.
TEST_F(VmxInsnTest, InveptAndInvvpidUdOutsideVmxOperation) {
  EXPECT_EQ(exec({0x66, 0x0F, 0x38, 0x80, 0x10}, kData), Result::Fault);  // invept edx, [eax]
  EXPECT_EQ(vector, cpu::UD);
  EXPECT_EQ(exec({0x66, 0x0F, 0x38, 0x81, 0x10}, kData), Result::Fault);  // invvpid edx, [eax]
  EXPECT_EQ(vector, cpu::UD);
  set_ptr(kData, kVmxon);
  vmxon();
  EXPECT_EQ(exec({0x66, 0x0F, 0x38, 0x80, 0x10}, kData, 0, 0), Result::FailInvalid);
  EXPECT_EQ(exec({0x66, 0x0F, 0x38, 0x81, 0x10}, kData, 0, 7), Result::FailInvalid);
}

// ---- VMXOFF and the CR0/CR4 restrictions of VMX operation ---------------------------------

TEST_F(VmxInsnTest, VmxoffLeavesVmxOperationAndUnlocksCr4Vmxe) {
  enter();
  // In VMX operation CR4.VMXE cannot be cleared and CR0.PG/NE/PE not (SDM 23.8): #GP(0).
  EXPECT_EQ(exec({0x0F, 0x22, 0xE0}, 0), Result::Fault);  // mov cr4, eax (0)
  EXPECT_EQ(vector, cpu::GP);
  const uint32_t no_ne = uint32_t(cpu.state().cr0 & ~cpu::cr0::NE);
  EXPECT_EQ(exec({0x0F, 0x22, 0xC0}, no_ne), Result::Fault);  // mov cr0, eax
  EXPECT_EQ(vector, cpu::GP);
  EXPECT_EQ(exec(kVmxoff), Result::Succeed);
  EXPECT_FALSE(vmx.state().vmx_operation);
  EXPECT_EQ(vmx.state().current_vmcs, vt::kInvalidVmcs);
  EXPECT_EQ(exec({0x0F, 0x22, 0xE0}, 0), Result::Other);  // now allowed: falls through
  EXPECT_EQ(cpu.state().cr4, 0u);
}

TEST_F(VmxInsnTest, Cr0WritesInVmxOperationKeepTheFixedBits) {
  enter();
  // A reserved CR0 bit (6) is ignored as outside VMX operation; TS (not fixed) may change.
  const uint32_t cr0 = uint32_t(cpu.state().cr0);
  EXPECT_EQ(exec({0x0F, 0x22, 0xC0}, cr0 | 0x40 | uint32_t(cpu::cr0::TS)), Result::Other);
  EXPECT_EQ(vector, -1);
  EXPECT_EQ(cpu.state().cr0, cr0 | cpu::cr0::TS);
  // Clearing PG (in IA32_VMX_CR0_FIXED0) is #GP(0).
  EXPECT_EQ(exec({0x0F, 0x22, 0xC0}, cr0 & ~uint32_t(cpu::cr0::PG)), Result::Fault);
  EXPECT_EQ(vector, cpu::GP);
}

TEST(VmxCr4, VmxeIsReservedWithoutVmx) {
  cpu::TestBus bus(1 << 20);
  cpu::Cpu c(bus);
  c.reset();
  EXPECT_THROW(c.write_cr4(cpu::cr4::VMXE), cpu::Fault);
  vt::Vmx vmx(*vt::find_profile("haswell"));
  c.set_virtualization(&vmx);
  EXPECT_NO_THROW(c.write_cr4(cpu::cr4::VMXE));
}

// ---- VMCLEAR, VMPTRLD, VMPTRST -----------------------------------------------------------

TEST_F(VmxInsnTest, VmclearErrors) {
  set_ptr(kData, kVmxon);
  vmxon();
  set_ptr(kData + 8, kVmcsA + 8);
  EXPECT_EQ(exec(kVmclearEax, kData + 8), Result::FailInvalid);  // no current VMCS
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  for (uint64_t p : {uint64_t(kVmcsB + 0x800), uint64_t(1) << 39}) {
    set_ptr(kData + 8, p);
    EXPECT_EQ(exec(kVmclearEax, kData + 8), Result::FailValid);
    EXPECT_EQ(error(), vt::kErrVmclearInvalidAddress);
  }
  set_ptr(kData + 8, kVmxon);
  EXPECT_EQ(exec(kVmclearEax, kData + 8), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmclearVmxonPointer);
}

TEST_F(VmxInsnTest, VmptrldErrors) {
  enter();
  set_ptr(kData + 16, kVmcsB + 4);
  EXPECT_EQ(exec(kVmptrldEax, kData + 16), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmptrldInvalidAddress);
  set_ptr(kData + 16, kVmxon);
  EXPECT_EQ(exec(kVmptrldEax, kData + 16), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmptrldVmxonPointer);
  set_ptr(kData + 16, kVmcsB);
  bus.set_dword(kVmcsB, 0x12);
  EXPECT_EQ(exec(kVmptrldEax, kData + 16), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmptrldWrongRevision);
  EXPECT_EQ(vmx.state().current_vmcs, kVmcsA);
  // Shadow-VMCS indicator: accepted, VMCS shadowing being advertised (SDM 30.3 VMPTRLD);
  // without it (the nehalem profile) error 11: vt_shadowing_test.cpp.
  bus.set_dword(kVmcsB, vt::kVmcsRevision | 0x80000000u);
  EXPECT_EQ(exec(kVmptrldEax, kData + 16), Result::Succeed);
  EXPECT_EQ(vmx.state().current_vmcs, kVmcsB);
  EXPECT_TRUE(vmx.state().current_is_shadow);
}

TEST_F(VmxInsnTest, VmptrstStoresTheCurrentPointer) {
  set_ptr(kData, kVmxon);
  vmxon();
  EXPECT_EQ(exec(kVmptrstEax, kData + 32), Result::Succeed);
  EXPECT_EQ(bus.dword(kData + 32), 0xFFFFFFFFu);  // no current VMCS: FFFFFFFF_FFFFFFFF
  EXPECT_EQ(bus.dword(kData + 36), 0xFFFFFFFFu);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(exec(kVmptrstEax, kData + 32), Result::Succeed);
  EXPECT_EQ(bus.dword(kData + 32), kVmcsA);
  EXPECT_EQ(bus.dword(kData + 36), 0u);
}

TEST_F(VmxInsnTest, VmclearWritesBackAndVmptrldSeesEachRegionsOwnValues) {
  enter(kVmcsA);
  ASSERT_EQ(vmwrite(vt::field::GUEST_RIP, 0x1234), Result::Succeed);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmclearEax, kData + 8), Result::Succeed);
  EXPECT_EQ(vmx.state().current_vmcs, vt::kInvalidVmcs);
  // The layout of vt/vmx.h: launch state at 8, field slot k at 0x10 + 8k.
  const uint32_t rip_at = kVmcsA + vt::kVmcsDataOffset + 8 * uint32_t(*vt::field_slot(vt::field::GUEST_RIP));
  EXPECT_EQ(bus.dword(rip_at), 0x1234u);
  EXPECT_EQ(bus.dword(kVmcsA + vt::kLaunchStateOffset), 0u);
  // B gets its own value; switching back to A writes B back and loads A's.
  set_ptr(kData + 8, kVmcsB);
  ASSERT_EQ(exec(kVmclearEax, kData + 8), Result::Succeed);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  ASSERT_EQ(vmwrite(vt::field::GUEST_RIP, 0x5678), Result::Succeed);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  uint32_t v = 0;
  EXPECT_EQ(vmread(vt::field::GUEST_RIP, v), Result::Succeed);
  EXPECT_EQ(v, 0x1234u);
  const uint32_t rip_b = rip_at - kVmcsA + kVmcsB;
  EXPECT_EQ(bus.dword(rip_b), 0x5678u);
}

// ---- VMREAD / VMWRITE ---------------------------------------------------------------------

TEST_F(VmxInsnTest, VmreadVmwriteWithoutCurrentVmcsFailInvalid) {
  set_ptr(kData, kVmxon);
  vmxon();
  uint32_t v = 0;
  EXPECT_EQ(vmread(vt::field::GUEST_RIP, v), Result::FailInvalid);
  EXPECT_EQ(v, 0xDEADBEEFu);  // destination untouched
  EXPECT_EQ(vmwrite(vt::field::GUEST_RIP, 1), Result::FailInvalid);
}

TEST_F(VmxInsnTest, UnsupportedFieldsFailWithError12) {
  enter();
  uint32_t v = 0;
  // Posted-interrupt descriptor address: "process posted interrupts" is not advertised; a
  // 32-bit field's high access; reserved bits; an index no field has.
  for (uint32_t enc : {0x2016u, 0x4001u, 0x6801u, 0x8000u | 0x681Eu, 0x1000u | 0x4800u, 0x4830u}) {
    EXPECT_EQ(vmread(enc, v), Result::FailValid) << std::hex << enc;
    EXPECT_EQ(error(), vt::kErrUnsupportedField);
    EXPECT_EQ(v, 0xDEADBEEFu);
    EXPECT_EQ(vmwrite(enc, 1), Result::FailValid) << std::hex << enc;
    EXPECT_EQ(error(), vt::kErrUnsupportedField);
  }
}

TEST_F(VmxInsnTest, WidthRules) {
  enter();
  uint32_t v = 0;
  // 16-bit field: the write truncates, the read zero-extends.
  ASSERT_EQ(vmwrite(0x0800, 0x12345678), Result::Succeed);  // guest ES selector
  ASSERT_EQ(vmread(0x0800, v), Result::Succeed);
  EXPECT_EQ(v, 0x5678u);
  // 64-bit field: full and high access (TSC offset 0x2010 / 0x2011).
  ASSERT_EQ(vmwrite(0x2010, 0xAABBCCDD), Result::Succeed);
  ASSERT_EQ(vmwrite(0x2011, 0x11223344), Result::Succeed);
  EXPECT_EQ(field(0x2010), 0x11223344AABBCCDDull);
  ASSERT_EQ(vmread(0x2010, v), Result::Succeed);
  EXPECT_EQ(v, 0xAABBCCDDu);  // 32-bit operand: the low half
  ASSERT_EQ(vmread(0x2011, v), Result::Succeed);
  EXPECT_EQ(v, 0x11223344u);
  ASSERT_EQ(vmwrite(0x2010, 5), Result::Succeed);  // a full write clears the high half
  EXPECT_EQ(field(0x2010), 5u);
  // Natural width: 32 bits outside IA-32e mode, 64-bit storage.
  ASSERT_EQ(vmwrite(vt::field::GUEST_RIP, 0xFFFFFFF0), Result::Succeed);
  EXPECT_EQ(field(vt::field::GUEST_RIP), 0xFFFFFFF0u);
}

TEST_F(VmxInsnTest, MemoryOperandForms) {
  enter();
  bus.set_dword(kData + 64, 0xCAFEF00D);
  EXPECT_EQ(exec(kVmwriteEdxMem, kData + 64, 0, vt::field::HOST_RIP), Result::Succeed);
  EXPECT_EQ(field(vt::field::HOST_RIP), 0xCAFEF00Du);
  EXPECT_EQ(exec(kVmreadMemEdx, kData + 128, 0, vt::field::HOST_RIP), Result::Succeed);
  EXPECT_EQ(bus.dword(kData + 128), 0xCAFEF00Du);
  // A fault on the destination: no status change, nothing written.
  set_pte(kData + 0x1000, 0);
  cpu.flush_tlb();
  EXPECT_EQ(exec(kVmreadMemEdx, kData + 0x1000, 0, vt::field::HOST_RIP), Result::Fault);
  EXPECT_EQ(vector, cpu::PF);
  EXPECT_EQ(exec(kVmwriteEdxMem, kData + 0x1000, 0, 0x6C14u), Result::Fault);
  EXPECT_EQ(vector, cpu::PF);
}

TEST_F(VmxInsnTest, ReadOnlyFieldsWritableWithMiscBit29) {
  // Haswell: IA32_VMX_MISC bit 29, so VMWRITE may write VM-exit information fields.
  enter();
  EXPECT_EQ(vmwrite(vt::field::EXIT_REASON, 30), Result::Succeed);
  EXPECT_EQ(field(vt::field::EXIT_REASON), 30u);
}

class VmxNehalemTest : public VmxInsnTest {
 protected:
  VmxNehalemTest() : VmxInsnTest("nehalem") {}
};

TEST_F(VmxNehalemTest, ReadOnlyFieldFailsWithError13WithoutMiscBit29) {
  enter();
  EXPECT_EQ(vmwrite(vt::field::EXIT_REASON, 30), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrReadOnlyField);
  EXPECT_EQ(field(vt::field::EXIT_REASON), 0u);
  uint32_t v = 1;
  EXPECT_EQ(vmread(vt::field::EXIT_REASON, v), Result::Succeed);  // reading is fine
  EXPECT_EQ(v, 0u);
}

// ---- VMLAUNCH / VMRESUME / VMCALL ----------------------------------------------------------

TEST_F(VmxInsnTest, VmlaunchPreEntryChecks) {
  set_ptr(kData, kVmxon);
  vmxon();
  EXPECT_EQ(exec(kVmlaunch), Result::FailInvalid);
  EXPECT_EQ(exec(kVmresume), Result::FailInvalid);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmclearEax, kData + 8), Result::Succeed);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(exec(kVmresume), Result::FailValid);  // launch state clear
  EXPECT_EQ(error(), vt::kErrVmresumeNotLaunched);
  // Blocking by MOV SS: mov ss, cx; vmlaunch → error 26.
  const std::vector<uint8_t> movss = {0x8E, 0xD1, 0x0F, 0x01, 0xC2};
  cpu.phys_write(kCode, movss.data(), movss.size());
  cpu.state().rip = kCode;
  cpu.state().gpr[cpu::RCX] = 0x10;
  cpu.step();
  cpu.step();
  EXPECT_EQ(classify(kCode + movss.size()), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrMovSsBlocking);
  // A clear VMCS: the pre-entry checks pass; its all-zero controls then fail the checks on
  // controls (the default-1 pin-based bits must be 1: SDM 26.2.1.1, error 7). A valid
  // configuration reaching the "not implemented" stop: vt_entry_checks_test.cpp.
  EXPECT_EQ(exec(kVmlaunch), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrEntryInvalidControls);
}

TEST_F(VmxInsnTest, VmlaunchOfLaunchedVmcsFailsWithError4) {
  set_ptr(kData, kVmxon);
  vmxon();
  // A VMCS in the launched state (written in Ringside's layout: no VM entry exists yet
  // to launch it).
  bus.set_dword(kVmcsA + vt::kLaunchStateOffset, vt::kLaunched);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(exec(kVmlaunch), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmlaunchNotClear);
  // VMRESUME passes the launch-state check and reaches the checks on controls (error 7).
  EXPECT_EQ(exec(kVmresume), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrEntryInvalidControls);
}

TEST_F(VmxInsnTest, VmcallInRootFails) {
  set_ptr(kData, kVmxon);
  vmxon();
  EXPECT_EQ(exec(kVmcall), Result::FailInvalid);
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(exec(kVmcall), Result::FailValid);
  EXPECT_EQ(error(), vt::kErrVmcallInRoot);
}

TEST_F(VmxInsnTest, CycleCostsComeFromTheCycleModel) {
  // cpu/cycles/model.h: a VMX instruction costs its class (System) plus vmx_vmcs_transfer
  // (VMPTRLD, VMCLEAR, VMXON, VMXOFF) or vmx_field_access (VMREAD, VMWRITE, VMPTRST), plus
  // its data memory accesses (the 8-byte pointer operand: one access).
  const cpu::CycleModel& m = cpu.cycle_model();
  enter();
  set_ptr(kData + 8, kVmcsA);
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);  // warms the TLB
  uint64_t before = cpu.state().cycles;
  ASSERT_EQ(exec(kVmptrldEax, kData + 8), Result::Succeed);
  EXPECT_EQ(cpu.state().cycles - before,
            m.cost[unsigned(cpu::CostClass::System)] + m.mem_access + m.vmx_vmcs_transfer);
  before = cpu.state().cycles;
  ASSERT_EQ(vmwrite(vt::field::GUEST_RIP, 1), Result::Succeed);
  EXPECT_EQ(cpu.state().cycles - before, m.cost[unsigned(cpu::CostClass::System)] + m.vmx_field_access);
}

// ---- State ------------------------------------------------------------------------------------

TEST_F(VmxInsnTest, SaveLoadRoundTripAndResetLeavesVmxOperation) {
  enter();
  ASSERT_EQ(vmwrite(vt::field::GUEST_RIP, 0x4321), Result::Succeed);
  platform::StateWriter w;
  vmx.save(w);
  const std::string before = vmx.dump();
  EXPECT_NE(before.find("field.guest_rip=0x4321"), std::string::npos) << before;
  vmx.reset();
  EXPECT_FALSE(vmx.state().vmx_operation);
  platform::StateReader r(w.data());
  vmx.load(r);
  EXPECT_EQ(vmx.dump(), before);
  // A malformed snapshot (current VMCS misaligned) is rejected.
  platform::StateWriter bad;
  bad.section("vmx");
  bad.boolean(true);
  bad.u64(kVmxon);
  bad.u64(kVmcsA + 1);
  bad.boolean(false);
  bad.u32(uint32_t(vt::vmcs_fields().size()));
  for (size_t k = 0; k < vt::vmcs_fields().size(); ++k) bad.u64(0);
  bad.boolean(false);  // no last VM-entry failure
  platform::StateReader rb(bad.data());
  EXPECT_THROW(vmx.load(rb), platform::StateError);
}

// ---- The machine ---------------------------------------------------------------------------

TEST(VmxMachine, ConfigTurnsVmxOffAndRejectsUnknownProfiles) {
  platform::MachineConfig cfg;
  {
    platform::Machine m(cfg);  // VMX by default: installed and part of the machine state
    ASSERT_NE(m.vmx(), nullptr);
    EXPECT_EQ(m.cpu().virtualization(), m.vmx());
    EXPECT_NE(m.dump().find("[vmx]\nprofile=haswell\nvmx_operation=0\n"), std::string::npos) << m.dump();
  }
  cfg.vmx = false;
  {
    platform::Machine m(cfg);
    EXPECT_EQ(m.vmx(), nullptr);
    EXPECT_EQ(m.cpu().virtualization(), nullptr);
  }
  cfg.vmx = true;
  cfg.vmx_profile = "pentium";
  EXPECT_THROW(platform::Machine{cfg}, std::invalid_argument);
}

}  // namespace
