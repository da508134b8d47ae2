// VMCS shadowing (Intel SDM Vol.3 24.10, 30.3 VMREAD/VMWRITE, 26.3.1.5): a guest
// hypervisor's VMREAD/VMWRITE of a field whose VMREAD/VMWRITE-bitmap bit is 0 reads and
// writes the shadow VMCS (the VMCS link pointer) without a VM exit; a bit of 1 exits as
// without shadowing. Fixture: vt_transition_fixture.h.
#include "tests/unit/vt_transition_fixture.h"
#include "vt/vmcs_fields.h"

namespace {

using namespace vttest;

constexpr uint32_t kShadow = 0x23000, kReadBitmap = 0x24000, kWriteBitmap = 0x25000;
constexpr uint32_t kSecondary = 0x401E, kVmreadBitmapField = 0x2026, kVmwriteBitmapField = 0x2028;

class Shadowing : public Transition {
 protected:
  void SetUp() override {
    Transition::SetUp();
    bus.set_dword(kShadow, vt::kVmcsRevision | 0x80000000u);  // a shadow VMCS
    write(kPrimary, uint32_t(field(kPrimary)) | (1u << 31));
    write(kSecondary, 1u << 14);
    write(kVmreadBitmapField, kReadBitmap);
    write(kVmwriteBitmapField, kWriteBitmap);
    write(kLinkPointer, kShadow);
    write(kLinkPointer + 1, 0);
  }
  // The shadow VMCS's data for field `enc`, in memory (Ringside's layout, vt/vmx.h).
  uint32_t shadow_slot(uint32_t enc) { return kShadow + vt::kVmcsDataOffset + 8 * uint32_t(*vt::field_slot(enc)); }
};

// The guest reads guest RIP (681EH) from the shadow VMCS and writes ABCDH into it; neither
// exits: the CPUID after them is the first exit.
TEST_F(Shadowing, VmreadAndVmwriteUseTheShadowVmcsWithoutExiting) {
  bus.set_dword(shadow_slot(0x681E), 0x1234);
  guest_code({0xB8, 0x1E, 0x68, 0x00, 0x00,  // mov eax, 0x681E
              0x0F, 0x78, 0xC3,              // vmread ebx, eax
              0xB9, 0xCD, 0xAB, 0x00, 0x00,  // mov ecx, 0xABCD
              0x0F, 0x79, 0xC1,              // vmwrite eax, ecx
              0x0F, 0xA2});                  // cpuid
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 10u);
  EXPECT_EQ(vmx.exit_count(23) + vmx.exit_count(25), 0u);
  EXPECT_EQ(cpu.state().gpr[cpu::RBX], 0x1234u);
  EXPECT_EQ(bus.dword(shadow_slot(0x681E)), 0xABCDu);
  EXPECT_EQ(field(kGRflags) & (cpu::flag::CF | cpu::flag::ZF), 0u);  // VMsucceed
  EXPECT_EQ(field(kGRip), kGuestCode + 16);
}

// A bitmap bit of 1 (bit 681EH & 7 of byte 681EH >> 3) makes that field's access exit.
TEST_F(Shadowing, ABitmapBitMakesTheAccessExit) {
  bus.byte(kReadBitmap + (0x681E >> 3)) = uint8_t(1u << (0x681E & 7));
  guest_code({0xB8, 0x1E, 0x68, 0x00, 0x00, 0x0F, 0x78, 0xC3});  // mov eax, 0x681E; vmread ebx, eax
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 23u);
  EXPECT_EQ(field(kGRip), kGuestCode + 5);
  // The VMWRITE bitmap is separate: a write of the same field does not exit.
  guest_code({0xB8, 0x1E, 0x68, 0x00, 0x00, 0x0F, 0x79, 0xC1, 0x0F, 0xA2});  // vmwrite eax, ecx; cpuid
  write(kGRip, kGuestCode);
  exec(kVmresume);
  go();
  EXPECT_EQ(field(kExitReason), 10u);
}

// Encodings with bits beyond 14:0 always exit (SDM 30.3: "bits 63:15 ... not all 0").
TEST_F(Shadowing, EncodingsAbove7FFFExit) {
  guest_code({0xB8, 0x00, 0x80, 0x00, 0x00, 0x0F, 0x78, 0xC3});  // mov eax, 0x8000; vmread ebx, eax
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 23u);
}

// Unsupported field: VMfailValid(12) in the VM-instruction error field of the current
// VMCS (the one the guest runs under), not of the shadow VMCS.
TEST_F(Shadowing, UnsupportedFieldIsVmfailValid12) {
  guest_code({0xB8, 0x16, 0x20, 0x00, 0x00,  // mov eax, 0x2016 (posted-interrupt descriptor: not advertised)
              0x0F, 0x78, 0xC3,              // vmread ebx, eax
              0x0F, 0xA2});                  // cpuid
  launch_and_run();
  ASSERT_TRUE(host_halted());
  EXPECT_EQ(field(kExitReason), 10u);
  EXPECT_EQ(field(kGRflags) & (cpu::flag::CF | cpu::flag::ZF), cpu::flag::ZF);
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 12u);
}

// SDM 26.3.1.5: with shadowing, the link pointer's region must carry the revision and the
// shadow indicator 1; it must not be the current VMCS. Failures: exit 33 | 80000000H, qual 4.
TEST_F(Shadowing, LinkPointerRegionIsChecked) {
  bus.set_dword(kShadow, vt::kVmcsRevision);  // indicator 0 while "VMCS shadowing" is 1
  guest_code({0x0F, 0xA2});
  exec(kVmlaunch);
  EXPECT_FALSE(cpu.non_root());
  EXPECT_EQ(field(kExitReason), 0x80000021u);
  EXPECT_EQ(field(kQualification), 4u);
  ASSERT_TRUE(vmx.last_entry_failure().has_value());
  EXPECT_EQ(vmx.last_entry_failure()->id, "guest.vmcs_link_pointer");
  write(kLinkPointer, kVmcs);  // the current VMCS itself
  exec(kVmlaunch);
  EXPECT_FALSE(cpu.non_root());
  EXPECT_NE(vmx.last_entry_failure()->message.find("must not be the current VMCS"), std::string::npos);
}

// Without shadowing a link pointer other than all ones is allowed if its region holds the
// revision with indicator 0; VMREAD in the guest then exits as usual.
TEST_F(Shadowing, WithoutShadowingTheLinkPointerNeedsIndicator0) {
  write(kSecondary, 0);
  guest_code({0x0F, 0xA2});
  exec(kVmlaunch);
  EXPECT_FALSE(cpu.non_root());  // the region says "shadow VMCS"
  bus.set_dword(kShadow, vt::kVmcsRevision);
  exec(kVmlaunch);
  EXPECT_TRUE(cpu.non_root());
}

// A shadow VMCS made current cannot be entered: VMfailInvalid (SDM 24.10, 26.1).
TEST_F(Shadowing, VmlaunchOfAShadowVmcsIsVmfailInvalid) {
  bus.set_dword(cputest::kData + 16, kShadow);
  ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 16), 0u);
  EXPECT_TRUE(vmx.state().current_is_shadow);
  EXPECT_EQ(exec(kVmlaunch), uint32_t(cpu::flag::CF));
}

// A processor without VMCS shadowing (the nehalem profile) refuses the indicator at
// VMPTRLD: VMfailValid(11) (SDM 30.3 VMPTRLD).
class NehalemTransition : public Transition {
 protected:
  NehalemTransition() : Transition("nehalem") {}
};

TEST_F(NehalemTransition, ShadowVmcsIsRefusedAtVmptrld) {
  EXPECT_FALSE(vmx.capabilities().vmcs_shadowing());
  bus.set_dword(kShadow, vt::kVmcsRevision | 0x80000000u);
  bus.set_dword(cputest::kData + 16, kShadow);
  EXPECT_EQ(exec(kVmptrldEax, cputest::kData + 16), uint32_t(cpu::flag::ZF));
  EXPECT_EQ(field(vt::field::VM_INSTRUCTION_ERROR), 11u);
  EXPECT_EQ(vmx.state().current_vmcs, kVmcs);
}

}  // namespace
