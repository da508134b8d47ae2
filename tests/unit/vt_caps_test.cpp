// The VMX capability MSRs (Intel SDM Vol.3 Appendix A) and CPUID.1:ECX.VMX: consistency of
// the allowed-0/allowed-1 settings (A.3-A.5), the fixed bits against what the CPU lets
// software put in CR0 and CR4 (A.7, A.8), IA32_VMX_BASIC (A.1), MISC (A.6), VMCS_ENUM
// (A.9), and RDMSR/WRMSR through the CPU (#GP without VMX and for writes).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "cpu/cpu.h"
#include "cpu/test_bus.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "vt/capabilities.h"
#include "vt/vmx.h"

namespace {

using vt::Capabilities;
using vt::ControlWord;

const Capabilities& haswell() {
  static const Capabilities c(*vt::find_profile("haswell"));
  return c;
}

TEST(VtCaps, ProfilesByName) {
  ASSERT_NE(vt::find_profile("haswell"), nullptr);
  ASSERT_NE(vt::find_profile("nehalem"), nullptr);
  EXPECT_EQ(vt::find_profile("pentium"), nullptr);
}

TEST(VtCaps, BasicReportsRevisionSizeWriteBackAndTrueControls) {
  uint64_t v = 0;
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_BASIC, v));
  EXPECT_EQ(v & 0x7FFFFFFF, vt::kVmcsRevision);
  EXPECT_EQ((v >> 31) & 1, 0u);            // bit 31 is always 0
  EXPECT_EQ((v >> 32) & 0x1FFF, 4096u);    // region size
  EXPECT_EQ((v >> 48) & 1, 0u);            // addresses up to MAXPHYADDR
  EXPECT_EQ((v >> 49) & 1, 0u);            // no dual-monitor treatment
  EXPECT_EQ((v >> 50) & 0xF, 6u);          // write-back
  EXPECT_EQ((v >> 54) & 1, 1u);            // INS/OUTS instruction information (vt/exits_insn.cpp)
  EXPECT_EQ((v >> 55) & 1, 1u);            // TRUE_* MSRs exist
}

TEST(VtCaps, AllowedSettingsAreConsistent) {
  // A.3-A.5: for each control MSR, a bit that must be 1 (allowed-0 = 1) may be 1; the TRUE
  // MSR's allowed-0 settings are a subset of the plain MSR's, with the same allowed-1; the
  // default-1 bits are reported as 1 in the plain MSR (A.2).
  const std::pair<uint32_t, uint32_t> pairs[] = {
      {vt::msr::VMX_PINBASED_CTLS, vt::msr::VMX_TRUE_PINBASED_CTLS},
      {vt::msr::VMX_PROCBASED_CTLS, vt::msr::VMX_TRUE_PROCBASED_CTLS},
      {vt::msr::VMX_EXIT_CTLS, vt::msr::VMX_TRUE_EXIT_CTLS},
      {vt::msr::VMX_ENTRY_CTLS, vt::msr::VMX_TRUE_ENTRY_CTLS},
  };
  const uint32_t default1[] = {0x16, 0x0401E172, 0x00036DFF, 0x000011FF};
  for (const char* name : {"haswell", "nehalem"}) {
    const Capabilities caps(*vt::find_profile(name));
    for (size_t k = 0; k < 4; ++k) {
      uint64_t plain = 0, tru = 0;
      ASSERT_TRUE(caps.read_msr(pairs[k].first, plain));
      ASSERT_TRUE(caps.read_msr(pairs[k].second, tru));
      const uint32_t a0 = uint32_t(plain), a1 = uint32_t(plain >> 32);
      const uint32_t t0 = uint32_t(tru), t1 = uint32_t(tru >> 32);
      EXPECT_EQ(a0 & ~a1, 0u) << name << " " << std::hex << pairs[k].first;
      EXPECT_EQ(t0 & ~a0, 0u) << name << " " << std::hex << pairs[k].second;
      EXPECT_EQ(t1, a1);
      EXPECT_EQ(a0, default1[k]);
    }
  }
}

TEST(VtCaps, AdvertisesExactlyWhatIsImplemented) {
  // The controls whose behaviour exists (vt/transition.cpp): HLT exiting, saving/loading
  // DR7 (the default-1 debug controls, which the TRUE_* MSRs now let software clear) and
  // IA32_PAT / IA32_EFER; the instruction exits of vt/exits_insn.cpp (CR3-load/store
  // exiting are default-1 bits the TRUE_ MSR now lets software clear) and the secondary
  // controls among them (descriptor-table exiting, enable RDTSCP, WBINVD exiting), VMCS
  // shadowing (vt/shadowing.cpp), the event controls (vt/exits_event.cpp), and vt/ept.cpp:
  // "enable EPT", "enable VPID" and "unrestricted guest", with the EPT/VPID capabilities of
  // the profile. VM functions do not exist (RDMSR #GP) and neither do their fields.
  std::set<std::string> implemented;
  for (const vt::Control& c : vt::vmx_controls())
    if (c.implemented) implemented.insert(c.name);
  // (branch vmxevent) The event controls of vt/exits_event.cpp.
  EXPECT_EQ(implemented, (std::set<std::string>{"HLT exiting", "save debug controls", "load debug controls",
                                                "save IA32_PAT", "load IA32_PAT", "save IA32_EFER",
                                                "load IA32_EFER", "use TSC offsetting", "INVLPG exiting",
                                                "RDPMC exiting", "RDTSC exiting", "CR3-load exiting",
                                                "CR3-store exiting", "MOV-DR exiting",
                                                "unconditional I/O exiting", "use I/O bitmaps",
                                                "use MSR bitmaps", "PAUSE exiting",
                                                "activate secondary controls", "descriptor-table exiting",
                                                "enable RDTSCP", "WBINVD exiting", "VMCS shadowing",
                                                "external-interrupt exiting", "NMI exiting",
                                                "virtual NMIs", "activate VMX-preemption timer",
                                                "interrupt-window exiting", "NMI-window exiting",
                                                "acknowledge interrupt on exit", "save VMX-preemption timer value",
                                                "monitor trap flag", "use TPR shadow", "enable EPT", "enable VPID",
                                                "unrestricted guest"}));
  uint64_t v = 0;
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_PINBASED_CTLS, v));
  EXPECT_EQ(v >> 32, 0x16u | (1u << 0) | (1u << 3) | (1u << 5) | (1u << 6));
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_PROCBASED_CTLS, v));
  const uint32_t primary = 0x0401E172u | (1u << 3) | (1u << 7) | (1u << 9) | (1u << 11) | (1u << 12) |
                           (1u << 23) | (1u << 24) | (1u << 25) | (1u << 28) | (1u << 30) | (1u << 31) |
                           (1u << 2) | (1u << 22) | (1u << 27) | (1u << 21);
  EXPECT_EQ(v >> 32, primary);
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_TRUE_PROCBASED_CTLS, v));
  EXPECT_EQ(v, (uint64_t(primary) << 32) | 0x04006172u);  // CR3-load/store exiting may be 0
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_EXIT_CTLS, v));
  EXPECT_EQ(v >> 32, 0x00036DFFu | (0xFu << 18) | (1u << 15) | (1u << 22));
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_TRUE_EXIT_CTLS, v));
  EXPECT_EQ(uint32_t(v), 0x00036DFBu);  // "save debug controls" may be 0
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_ENTRY_CTLS, v));
  EXPECT_EQ(v >> 32, 0x000011FFu | (3u << 14));
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_TRUE_ENTRY_CTLS, v));
  EXPECT_EQ(uint32_t(v), 0x000011FBu);  // "load debug controls" may be 0
  // SDM A.3.3: enable EPT (1), descriptor-table exiting (2), enable RDTSCP (3), enable
  // VPID (5), WBINVD exiting (6), unrestricted guest (7), VMCS shadowing (14) may be 1; no
  // secondary bit must be.
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_PROCBASED_CTLS2, v));
  EXPECT_EQ(v, 0x40EEull << 32);
  // SDM A.10: execute-only, 4-level walk, UC, WB, 2 MiB and 1 GiB pages, INVEPT, A/D flags,
  // single-context and all-context INVEPT, INVVPID with its four types.
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_EPT_VPID_CAP, v));
  EXPECT_EQ(v, 0x00000F0106334141ull);
  const Capabilities nehalem(*vt::find_profile("nehalem"));  // no A/D, no 1 GiB pages
  ASSERT_TRUE(nehalem.read_msr(vt::msr::VMX_EPT_VPID_CAP, v));
  EXPECT_EQ(v, 0x0000060106114141ull);
  EXPECT_FALSE(haswell().read_msr(vt::msr::VMX_VMFUNC, v));
  EXPECT_TRUE(haswell().field_supported(*vt::find_field(uint64_t(vt::field::EPT_POINTER))));
  EXPECT_TRUE(haswell().field_supported(*vt::find_field(uint64_t(vt::field::VPID))));
  EXPECT_TRUE(haswell().field_supported(*vt::find_field(uint64_t(vt::field::GUEST_PREEMPTION_TIMER))));
  EXPECT_TRUE(haswell().field_supported(*vt::find_field(uint64_t(vt::field::GUEST_RIP))));
}

TEST(VtCaps, MiscAndVmcsEnum) {
  uint64_t v = 0;
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_MISC, v));
  EXPECT_EQ(v & 0x1F, 5u);              // preemption timer: TSC >> 5
  EXPECT_EQ((v >> 16) & 0x1FF, 4u);     // CR3-target values
  EXPECT_EQ((v >> 29) & 1, 1u);         // VMWRITE to any field
  EXPECT_EQ((v >> 6) & 7, 1u);          // activity state HLT (bit 6) besides active
  EXPECT_EQ(v >> 32, 0u);               // MSEG revision
  const Capabilities nehalem(*vt::find_profile("nehalem"));
  ASSERT_TRUE(nehalem.read_msr(vt::msr::VMX_MISC, v));
  EXPECT_EQ((v >> 29) & 1, 0u);
  // VMCS_ENUM bits 9:1: the highest field index. Of the fields that exist now, the
  // VMX-preemption timer value (0x482E, index 0x17) has the highest.
  ASSERT_TRUE(haswell().read_msr(vt::msr::VMX_VMCS_ENUM, v));
  EXPECT_EQ(v, 0x17u << 1);
}

TEST(VtCaps, FixedBitsAreTheArchitecturalOnes) {
  EXPECT_EQ(Capabilities::cr0_fixed0(), 0x80000021u);  // PE, NE, PG
  EXPECT_EQ(Capabilities::cr4_fixed0(), 0x2000u);      // VMXE
  EXPECT_EQ(Capabilities::cr0_fixed0() & ~Capabilities::cr0_fixed1(), 0u);
  EXPECT_EQ(Capabilities::cr4_fixed0() & ~Capabilities::cr4_fixed1(), 0u);
}

class VtCapsCpu : public cputest::SysTest {
 protected:
  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
  }
  vt::Vmx vmx{*vt::find_profile("haswell")};
};

TEST_F(VtCapsCpu, Cr0Fixed1IsWhatTheCpuKeepsInCr0) {
  // Every bit of FIXED1 can be set with MOV CR0; any other bit reads back as 0.
  for (unsigned b = 0; b < 32; ++b) {
    const uint64_t bit = 1ull << b;
    uint64_t v = cpu::cr0::PE | cpu::cr0::ET | bit;
    if (bit == cpu::cr0::NW) v |= cpu::cr0::CD;
    if (bit == cpu::cr0::PG) continue;  // needs page tables; PG is in FIXED0 anyway
    cpu.write_cr0(v);
    EXPECT_EQ((cpu.state().cr0 & bit) != 0, (Capabilities::cr0_fixed1() & bit) != 0) << b;
  }
}

TEST_F(VtCapsCpu, Cr4Fixed1IsWhatTheCpuAcceptsInCr4) {
  for (unsigned b = 0; b < 64; ++b) {
    const uint64_t bit = 1ull << b;
    if (Capabilities::cr4_fixed1() & bit) EXPECT_NO_THROW(cpu.write_cr4(bit)) << b;
    else EXPECT_THROW(cpu.write_cr4(bit), cpu::Fault) << b;
  }
}

TEST_F(VtCapsCpu, RdmsrAndWrmsrThroughTheCpu) {
  // rdmsr; hlt — the values reach EDX:EAX.
  code({0x0F, 0x32, 0xF4});
  cpu.state().gpr[cpu::RCX] = vt::msr::VMX_BASIC;
  go();
  uint64_t basic = 0;
  ASSERT_TRUE(vmx.capabilities().read_msr(vt::msr::VMX_BASIC, basic));
  EXPECT_EQ(cpu.reg32(cpu::RAX), uint32_t(basic));
  EXPECT_EQ(cpu.reg32(cpu::RDX), uint32_t(basic >> 32));
  // The secondary controls exist ("activate secondary controls" may be 1): EPT, VPID and
  // unrestricted guest.
  cpu.state().rip = cputest::kCode;
  cpu.state().halted = false;
  cpu.state().gpr[cpu::RCX] = vt::msr::VMX_PROCBASED_CTLS2;
  go();
  EXPECT_EQ(cpu.reg32(cpu::RAX), 0u);
  EXPECT_EQ(cpu.reg32(cpu::RDX), 0x40EEu);
  // VM functions do not exist yet: #GP(0).
  cpu.state().rip = cputest::kCode;
  cpu.state().halted = false;
  cpu.state().gpr[cpu::RCX] = vt::msr::VMX_VMFUNC;
  go();
  EXPECT_EQ(vector_taken(), cpu::GP);
  // The capability MSRs are read-only: WRMSR is #GP(0).
  cpu.state().rip = cputest::kCode;
  cpu.state().halted = false;
  cpu.state().gpr[cpu::RCX] = vt::msr::VMX_BASIC;
  EXPECT_EQ(fault_of({0x0F, 0x30, 0xF4}), cpu::GP);  // wrmsr; hlt
  EXPECT_EQ(error_code(), 0u);
}

TEST_F(VtCapsCpu, CpuidReportsVmx) {
  code({0x0F, 0xA2, 0xF4});  // cpuid; hlt
  cpu.state().gpr[cpu::RAX] = 1;
  go();
  EXPECT_EQ((cpu.reg32(cpu::RCX) >> 5) & 1, 1u);
  // MAXPHYADDR agrees with vt::kPhysAddrBits (pointer checks).
  cpu.state().rip = cputest::kCode;
  cpu.state().halted = false;
  cpu.state().gpr[cpu::RAX] = 0x80000008;
  go();
  EXPECT_EQ(cpu.reg32(cpu::RAX) & 0xFF, vt::kPhysAddrBits);
}

TEST(VtCapsNoVmx, NoCpuidBitNoMsrsNoInstructions) {
  cpu::TestBus bus(1 << 20);
  cpu::Cpu c(bus);
  c.reset();
  uint64_t v = 0;
  EXPECT_FALSE(c.read_msr(vt::msr::VMX_BASIC, v));  // the caller raises #GP(0)
  vt::Vmx vmx(*vt::find_profile("haswell"));
  c.set_virtualization(&vmx);
  EXPECT_TRUE(c.read_msr(vt::msr::VMX_BASIC, v));
  EXPECT_FALSE(c.write_msr(vt::msr::VMX_BASIC, v));
  EXPECT_FALSE(c.read_msr(0x492, v));  // PROCBASED_CTLS3: not a Haswell MSR
}

}  // namespace
