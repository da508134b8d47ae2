// The instructions that cause VM exits conditionally (Intel SDM Vol.3 25.1.3), end to end
// through the CPU: a valid VMCS is built with VMWRITE, VMLAUNCH enters a guest whose code
// sits at kGuestCode, the guest runs into the exit and the host (RIP 0x3000, a HLT) is
// reached. Each test asserts the basic exit reason, the exit qualification (SDM 27.2.1,
// Tables 27-3 to 27-5), the instruction length (27.2.4), the instruction information and
// guest-linear address where the SDM defines them (27.2.5), the guest RIP saved (the
// instruction itself: it did not execute, 27.1), the case where the control or bitmap says
// no exit (the guest goes on to a CPUID, which always exits), and the priority of #UD and
// privilege faults over the exit (25.1.1: made visible with the exception bitmap, which
// turns the fault into an exit with reason 0).
#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <vector>

#include "cpu/cpu.h"
#include "tests/unit/cpu_sys_fixture.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/exits_insn.h"
#include "vt/vmx.h"

namespace {

using namespace vttest;

constexpr uint32_t kVmxon = 0x20000, kVmcs = 0x21000;
constexpr uint32_t kGuestCode = 0x9000;
constexpr uint32_t kIoA = 0xA000, kIoB = 0xB000, kMsrBitmap = 0xC000;
constexpr uint32_t kHostRip = 0x3000;  // handler(0): a HLT

// Field encodings (SDM Appendix B).
constexpr uint32_t kPrimary = 0x4002, kSecondary = 0x401E, kExceptionBitmap = 0x4004, kCr3Count = 0x400A;
constexpr uint32_t kIoBitmapA = 0x2000, kIoBitmapB = 0x2002, kMsrBitmapField = 0x2004, kTscOffset = 0x2010;
constexpr uint32_t kCr0Mask = 0x6000, kCr4Mask = 0x6002, kCr0Shadow = 0x6004, kCr4Shadow = 0x6006,
                   kCr3Target0 = 0x6008;
constexpr uint32_t kExitReason = 0x4402, kExitIntrInfo = 0x4404, kExitIntrEc = 0x4406, kExitLen = 0x440C,
                   kExitInfo = 0x440E, kExitQual = 0x6400, kGuestLinear = 0x640A;

// Primary (SDM Table 24-6) and secondary (Table 24-7) controls.
constexpr uint32_t kTscOffsetting = 1u << 3, kInvlpg = 1u << 9, kRdpmc = 1u << 11, kRdtsc = 1u << 12,
                   kCr3Load = 1u << 15, kCr3Store = 1u << 16, kMovDr = 1u << 23, kUncondIo = 1u << 24,
                   kIoBitmaps = 1u << 25, kMsrBitmaps = 1u << 28, kPause = 1u << 30, kSecondaryOn = 1u << 31;
constexpr uint32_t kDescTable = 1u << 2, kEnableRdtscp = 1u << 3, kWbinvd = 1u << 6;

const std::vector<uint8_t> kVmxonEax = {0xF3, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmclearEax = {0x66, 0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmptrldEax = {0x0F, 0xC7, 0x30};
const std::vector<uint8_t> kVmwriteEdxEcx = {0x0F, 0x79, 0xD1};
const std::vector<uint8_t> kVmlaunch = {0x0F, 0x01, 0xC2};
constexpr uint8_t kCpuid[] = {0x0F, 0xA2};

struct Exit {
  uint32_t reason = 0;
  uint64_t qualification = 0;
  uint32_t length = 0;
  uint32_t info = 0;
  uint64_t linear = 0;
  uint64_t rip = 0;  // guest RIP saved
};

class VtExitsInsn : public cputest::SysTest {
 protected:
  VtExitsInsn() : vmx(*vt::find_profile("haswell")) {}

  void SetUp() override {
    cpu.set_virtualization(&vmx);
    setup_pm();
    setup_paging();
    cpu.write_cr0(cpu.state().cr0 | cpu::cr0::NE);
    cpu.write_cr4(cpu::cr4::VMXE);
    cpu.state().msrs.feature_control = 5;
    guest_state = guest_state_from(cpu.state(), cpu.flags());
    for (uint32_t r : {kVmxon, kVmcs}) bus.set_dword(r, vt::kVmcsRevision);
    bus.set_dword(cputest::kData, kVmxon);
    bus.set_dword(cputest::kData + 8, kVmcs);
    ASSERT_EQ(exec(kVmxonEax, cputest::kData), 0u);
    ASSERT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    ASSERT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    // Controls: the allowed-0 settings of the TRUE_* MSRs (SDM A.3), so CR3-load/store
    // exiting start at 0; host: this CPU, RIP at a HLT.
    for (auto [enc, msr] : {std::pair{0x4000u, vt::msr::VMX_TRUE_PINBASED_CTLS},
                            std::pair{kPrimary, vt::msr::VMX_TRUE_PROCBASED_CTLS},
                            std::pair{0x400Cu, vt::msr::VMX_TRUE_EXIT_CTLS},
                            std::pair{0x4012u, vt::msr::VMX_TRUE_ENTRY_CTLS}}) {
      uint64_t v = 0;
      ASSERT_TRUE(vmx.capabilities().read_msr(msr, v));
      write(enc, uint32_t(v));
      if (enc == kPrimary) primary0 = uint32_t(v);
    }
    write(0x6C00, uint32_t(cpu.state().cr0));
    write(0x6C02, uint32_t(cpu.state().cr3));
    write(0x6C04, uint32_t(cpu.state().cr4));
    write(0x0C02, 0x08);
    for (uint32_t enc : {0x0C00u, 0x0C04u, 0x0C06u, 0x0C08u, 0x0C0Au}) write(enc, 0x10);
    write(0x0C0C, 0x28);
    write(0x6C16, kHostRip);
    write(0x6C14, 0x8000);
    write(0x6C0A, cputest::kTss);  // host TR, GDTR, IDTR bases: this CPU's
    write(0x6C0C, cputest::kGdt);
    write(0x6C0E, cputest::kIdt);
    guest_state[kGRip] = kGuestCode;
    guest_state[kGRsp] = cputest::kStack;
    put_guest_state();
    write(kIoBitmapA, kIoA);
    write(kIoBitmapB, kIoB);
    write(kMsrBitmapField, kMsrBitmap);
    for (uint32_t p = 0; p < 0x1000; p += 4) {
      bus.set_dword(kIoA + p, 0);
      bus.set_dword(kIoB + p, 0);
      bus.set_dword(kMsrBitmap + p, 0);
    }
  }

  void put_guest_state() {
    for (const auto& [enc, val] : guest_state) {
      write(enc, uint32_t(val));
      if (enc == kLinkPointer) write(enc + 1, uint32_t(val >> 32));
    }
  }

  // The guest at ring 3: flat ring-3 code and data segments (GDT 0x1B / 0x23), its stack.
  void ring3_guest() {
    const cpu::SegmentCache code3 = seg_from_gdt(0x1B), data3 = seg_from_gdt(0x23);
    for (unsigned k : {kEs, kSs, kDs, kFs, kGs}) {
      write(kGuestSel + 2 * k, 0x23);
      write(kGuestAr + 2 * k, data3.attr);
    }
    write(kGuestSel + 2 * kCs, 0x1B);
    write(kGuestAr + 2 * kCs, code3.attr);
    write(kGRsp, cputest::kStack3);
  }

  // Runs one instruction at kCode in root operation; returns the arithmetic flags.
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
  uint64_t field(uint32_t enc) const {
    uint64_t v = ~0ull;
    EXPECT_TRUE(vmx.field_value(enc, v));
    return v;
  }
  void primary(uint32_t extra) { write(kPrimary, primary0 | extra); }

  // Places `code` at kGuestCode, launches the guest (EAX, ECX, EDX as given; the other
  // registers as they are) and runs until the host's HLT. Returns the exit information.
  Exit run(const std::vector<uint8_t>& code, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    cpu.phys_write(kGuestCode, code.data(), code.size());
    exec(kVmlaunch, eax, ecx, edx);
    EXPECT_TRUE(cpu.non_root()) << "VM entry failed";
    go();
    Exit e;
    EXPECT_FALSE(cpu.non_root());
    EXPECT_TRUE(cpu.state().halted);
    EXPECT_EQ(cpu.state().rip, kHostRip + 1u) << "host not reached";
    e.reason = uint32_t(field(kExitReason));
    e.qualification = field(kExitQual);
    e.length = uint32_t(field(kExitLen));
    e.info = uint32_t(field(kExitInfo));
    e.linear = field(kGuestLinear);
    e.rip = field(kGRip);
    for (unsigned r = 0; r < 8; ++r) gpr[r] = uint32_t(cpu.state().gpr[r]);  // before exec() below
    // Back to a clear launch state so the next run() can VMLAUNCH again.
    EXPECT_EQ(exec(kVmclearEax, cputest::kData + 8), 0u);
    EXPECT_EQ(exec(kVmptrldEax, cputest::kData + 8), 0u);
    write(kGRip, kGuestCode);
    return e;
  }
  // `code` then CPUID: the exit must be the CPUID's, after `code` ran.
  void runs_without_exit(std::vector<uint8_t> code, uint32_t eax = 0, uint32_t ecx = 0, uint32_t edx = 0) {
    const uint32_t len = uint32_t(code.size());
    code.insert(code.end(), std::begin(kCpuid), std::end(kCpuid));
    const Exit e = run(code, eax, ecx, edx);
    EXPECT_EQ(e.reason, cpu::exit_reason::Cpuid);
    EXPECT_EQ(e.rip, kGuestCode + len);
  }
  // Asserts an exit for the instruction at kGuestCode of `len` bytes.
  static void expect_exit(const Exit& e, uint32_t reason, uint64_t qualification, uint32_t len) {
    EXPECT_EQ(e.reason, reason);
    EXPECT_EQ(e.qualification, qualification) << std::hex << e.qualification;
    EXPECT_EQ(e.length, len);
    EXPECT_EQ(e.rip, kGuestCode);
  }
  // The hardware exception `vector` (error code 0 if `has_ec`) became the exit (reason 0,
  // SDM 24.9.2 interruption information: vector, type 3, error code valid, valid).
  void expect_fault_exit(const Exit& e, unsigned vector, bool has_ec) {
    EXPECT_EQ(e.reason, cpu::exit_reason::ExceptionOrNmi);
    EXPECT_EQ(e.rip, kGuestCode);
    EXPECT_EQ(field(kExitIntrInfo), vector | (3u << 8) | (has_ec ? 0x800u : 0u) | 0x80000000u);
    if (has_ec) {
      EXPECT_EQ(field(kExitIntrEc), 0u);
    }
  }
  uint64_t intr_info() const { return field(kExitIntrInfo); }

  void set_bit(uint32_t base, uint32_t bit) { bus.byte(base + bit / 8) |= uint8_t(1u << (bit & 7)); }

  vt::Vmx vmx;
  uint32_t gpr[8] = {};  // the guest's general registers at the last exit
  std::map<uint32_t, uint64_t> guest_state;
  uint32_t primary0 = 0;
};

// ---- I/O instructions (reason 30; SDM 25.1.3, Table 27-5) --------------------------------

TEST_F(VtExitsInsn, NoIoControlNoExit) {
  runs_without_exit({0xE6, 0x80});  // out 0x80, al
}

TEST_F(VtExitsInsn, UnconditionalIoExiting) {
  primary(kUncondIo);
  // out 0x80, al: size 1 (0), OUT (bit 3 = 0), immediate (bit 6), port in 31:16.
  expect_exit(run({0xE6, 0x80}), 30, 0x00800040, 2);
  // in ax, dx (66 ED) with DX = 3F8H: size 2 (1), IN (bit 3), DX encoding.
  expect_exit(run({0x66, 0xED}, 0, 0, 0x3F8), 30, 0x03F80009, 2);
  // in eax, 0x71 (E5 71): size 4 (3).
  expect_exit(run({0xE5, 0x71}), 30, 0x0071004B, 2);
}

TEST_F(VtExitsInsn, IoBitmapsAreCheckedForEveryByte) {
  primary(kIoBitmaps | kUncondIo);  // with bitmaps, "unconditional I/O exiting" is ignored
  set_bit(kIoA, 0x71);
  runs_without_exit({0xE6, 0x70});              // out 0x70, al: bit clear
  runs_without_exit({0xEC}, 0, 0, 0x72);        // in al, dx
  expect_exit(run({0xE6, 0x71}), 30, 0x00710040, 2);
  // out dx, ax at 70H touches 70H and 71H.
  expect_exit(run({0x66, 0xEF}, 0, 0, 0x70), 30, 0x00700001, 2);
  // Bitmap B holds 8000H-FFFFH: in eax, dx at 7FFEH touches 7FFEH-8001H.
  set_bit(kIoB, 0x8001 - 0x8000);
  expect_exit(run({0xED}, 0, 0, 0x7FFE), 30, 0x7FFE000B, 1);
  runs_without_exit({0xED}, 0, 0, 0x7FFA);      // 7FFAH-7FFDH: clear
}

TEST_F(VtExitsInsn, IoAccessWrappingPastFfffAlwaysExits) {
  primary(kIoBitmaps);
  runs_without_exit({0xED}, 0, 0, 0xFFFC);                   // FFFCH-FFFFH
  expect_exit(run({0xED}, 0, 0, 0xFFFE), 30, 0xFFFE000B, 1);  // FFFEH, FFFFH, 0, 1
  expect_exit(run({0x66, 0xED}, 0, 0, 0xFFFF), 30, 0xFFFF0009, 2);
}

TEST_F(VtExitsInsn, StringIoQualificationLinearAddressAndInstructionInformation) {
  primary(kUncondIo);
  cpu.state().gpr[cpu::RSI] = 0x8100;
  cpu.state().gpr[cpu::RDI] = 0x8200;
  // rep outsb: string (bit 4), REP (bit 5), DX encoding; linear address DS:ESI; instruction
  // information (SDM 27.2.5): address size 32 (1 in 9:7), segment DS (3 in 17:15).
  Exit e = run({0xF3, 0x6E}, 0, 5, 0x3F8);
  expect_exit(e, 30, 0x03F80030, 2);
  EXPECT_EQ(e.linear, 0x8100u);
  EXPECT_EQ(e.info, (1u << 7) | (3u << 15));
  EXPECT_EQ(gpr[cpu::RCX], 5u);  // not one iteration ran
  // outsd with an ES override: segment ES (0).
  e = run({0x26, 0x6F}, 0, 0, 0x80);
  expect_exit(e, 30, 0x00800013, 2);
  EXPECT_EQ(e.info, 1u << 7);
  // insw with a 16-bit address size (67): ES:DI, address size 0; IN (bit 3).
  cpu.state().gpr[cpu::RDI] = 0x12348200;
  e = run({0x67, 0x66, 0x6D}, 0, 0, 0x1F0);
  expect_exit(e, 30, 0x01F00019, 3);
  EXPECT_EQ(e.linear, 0x8200u);
  EXPECT_EQ(e.info, 0u);
  EXPECT_EQ(bus.byte(0x8200), 0u);  // nothing written
  // IA32_VMX_BASIC bit 54 says this information exists (SDM A.1).
  EXPECT_EQ((vmx.capabilities().basic() >> 54) & 1, 1u);
}

TEST_F(VtExitsInsn, TssIoPermissionFaultComesBeforeTheExit) {
  // SDM 25.1.1: the #GP from the TSS I/O permission bitmap has priority over the exit.
  primary(kUncondIo);
  write(kExceptionBitmap, 1u << cpu::GP);
  ring3_guest();  // CPL 3 > IOPL 0
  bus.byte(cputest::kTss + cputest::kIoBitmap + 0x80 / 8) = 0x01;  // port 80H denied
  const Exit e = run({0xE6, 0x80});
  expect_fault_exit(e, cpu::GP, true);
  EXPECT_EQ(intr_info(), 0x80000B0Du);  // #GP, hardware exception, error code valid
  EXPECT_EQ(field(kExitIntrEc), 0u);
  // A port the TSS allows exits as I/O.
  expect_exit(run({0xE6, 0x81}), 30, 0x00810040, 2);
}

// ---- RDMSR / WRMSR (31, 32) ----------------------------------------------------------------

TEST_F(VtExitsInsn, WithoutMsrBitmapsEveryRdmsrAndWrmsrExits) {
  expect_exit(run({0x0F, 0x32}, 0, 0x174), 31, 0, 2);
  expect_exit(run({0x0F, 0x30}, 0, 0x174), 32, 0, 2);
}

TEST_F(VtExitsInsn, MsrBitmaps) {
  primary(kMsrBitmaps);
  set_bit(kMsrBitmap + 0x000, 0x174);         // read low: IA32_SYSENTER_CS
  set_bit(kMsrBitmap + 0x800, 0x175);         // write low: IA32_SYSENTER_ESP
  set_bit(kMsrBitmap + 0x400, 0x80);          // read high: IA32_EFER (C0000080H)
  set_bit(kMsrBitmap + 0xC00, 0x103);         // write high: IA32_TSC_AUX (C0000103H)
  expect_exit(run({0x0F, 0x32}, 0, 0x174), 31, 0, 2);
  runs_without_exit({0x0F, 0x30}, 0, 0x174);  // write of 174H: its write bit is clear
  runs_without_exit({0x0F, 0x32}, 0, 0x175);
  expect_exit(run({0x0F, 0x30}, 0, 0x175), 32, 0, 2);
  expect_exit(run({0x0F, 0x32}, 0, 0xC0000080), 31, 0, 2);
  runs_without_exit({0x0F, 0x32}, 0, 0xC0000103);
  expect_exit(run({0x0F, 0x30}, 0, 0xC0000103), 32, 0, 2);
  // Outside 0-1FFFH and C0000000H-C0001FFFH: always exits.
  expect_exit(run({0x0F, 0x32}, 0, 0x40000000), 31, 0, 2);
  expect_exit(run({0x0F, 0x30}, 0, 0xC0002000), 32, 0, 2);
}

TEST_F(VtExitsInsn, RdmsrAtCpl3IsGpNotAnExit) {
  write(kExceptionBitmap, 1u << cpu::GP);
  ring3_guest();
  expect_fault_exit(run({0x0F, 0x32}, 0, 0x174), cpu::GP, true);
  EXPECT_EQ(intr_info(), 0x80000B0Du);
}

// ---- Control-register accesses (28; Table 27-3) ---------------------------------------------

TEST_F(VtExitsInsn, Cr3LoadAndStoreExitingAreDefaultOneControls) {
  // With the plain IA32_VMX_PROCBASED_CTLS (bits 15 and 16 must be 1), MOV to and from CR3
  // exit: mov cr3, ebx (0F 22 DB) -> CR 3, MOV to CR (0), register 3 (EBX).
  uint64_t plain = 0;
  ASSERT_TRUE(vmx.capabilities().read_msr(vt::msr::VMX_PROCBASED_CTLS, plain));
  write(kPrimary, uint32_t(plain));
  cpu.state().gpr[cpu::RBX] = uint32_t(cpu.state().cr3);
  expect_exit(run({0x0F, 0x22, 0xDB}), 28, 0x303, 3);
  // mov esi, cr3 (0F 20 DE): CR 3, MOV from CR (1), register 6.
  expect_exit(run({0x0F, 0x20, 0xDE}), 28, 0x613, 3);
  // The TRUE MSR lets them be 0 (SDM A.3.2): the fixture's controls.
  primary(0);
  const uint32_t cr3 = uint32_t(cpu.state().cr3);
  cpu.state().gpr[cpu::RBX] = cr3;
  runs_without_exit({0x0F, 0x22, 0xDB, 0x0F, 0x20, 0xDE});
  EXPECT_EQ(gpr[cpu::RSI], cr3);
}

TEST_F(VtExitsInsn, Cr3TargetValuesSuppressTheLoadExit) {
  primary(kCr3Load);
  const uint32_t cr3 = uint32_t(cpu.state().cr3);
  write(kCr3Target0 + 2, cr3);  // target 1
  write(kCr3Count, 1);          // only target 0 (0) counts
  expect_exit(run({0x0F, 0x22, 0xD8}, cr3), 28, 0x003, 3);
  write(kCr3Count, 2);
  runs_without_exit({0x0F, 0x22, 0xD8}, cr3);
  expect_exit(run({0x0F, 0x22, 0xD8}, cr3 + 0x1000), 28, 0x003, 3);
}

TEST_F(VtExitsInsn, Cr0GuestHostMaskAndReadShadow) {
  const uint32_t cr0 = uint32_t(cpu.state().cr0);
  // The host owns TS and NE; the guest believes NE = 0, TS = 0.
  write(kCr0Mask, cpu::cr0::TS | cpu::cr0::NE);
  write(kCr0Shadow, cr0 & ~uint32_t(cpu::cr0::NE | cpu::cr0::TS));
  // mov eax, cr0 (0F 20 C0) reads the shadow for the masked bits; smsw ebx (0F 01 E3) too.
  cpu.state().gpr[cpu::RBX] = 0;
  runs_without_exit({0x0F, 0x20, 0xC0, 0x0F, 0x01, 0xE3});
  EXPECT_EQ(gpr[cpu::RAX], cr0 & ~uint32_t(cpu::cr0::NE));
  EXPECT_EQ(gpr[cpu::RBX], cr0 & ~uint32_t(cpu::cr0::NE));
  // mov cr0, eax with the shadow's NE = 0: no exit, and CR0.NE stays 1 (owned by the host).
  // MP is the guest's: it changes.
  const uint32_t wrote = (cr0 & ~uint32_t(cpu::cr0::NE)) | cpu::cr0::MP;
  runs_without_exit({0x0F, 0x22, 0xC0}, wrote);
  EXPECT_EQ(field(kGCr0), cr0 | cpu::cr0::MP);
  // mov cr0, ebx setting TS (masked, shadow 0): exit, register 3.
  cpu.state().gpr[cpu::RBX] = wrote | cpu::cr0::TS;
  expect_exit(run({0x0F, 0x22, 0xC3}), 28, 0x300, 3);
  // A masked bit that differs from the shadow (NE) in a value that is also invalid (PG
  // without PE): the exit comes before that #GP, which is not a privilege fault.
  cpu.state().gpr[cpu::RBX] = (wrote & ~1u) | cpu::cr0::NE;
  expect_exit(run({0x0F, 0x22, 0xC3}), 28, 0x300, 3);
}

TEST_F(VtExitsInsn, Cr4GuestHostMaskAndReadShadow) {
  // The host owns VMXE and hides it (shadow 0).
  write(kCr4Mask, cpu::cr4::VMXE);
  write(kCr4Shadow, 0);
  // mov eax, cr4 (0F 20 E0); mov cr4, ecx (0F 22 E1) with PSE and without VMXE.
  runs_without_exit({0x0F, 0x20, 0xE0, 0x0F, 0x22, 0xE1}, 0, cpu::cr4::PSE);
  EXPECT_EQ(gpr[cpu::RAX], 0u);
  EXPECT_EQ(field(kGCr4), cpu::cr4::VMXE | cpu::cr4::PSE);
  // Setting VMXE differs from the shadow: exit, CR 4, register 1.
  expect_exit(run({0x0F, 0x22, 0xE1}, 0, cpu::cr4::VMXE), 28, 0x104, 3);
}

TEST_F(VtExitsInsn, Clts) {
  write(kGCr0, uint32_t(cpu.state().cr0) | cpu::cr0::TS);
  // mask.TS = 1, shadow.TS = 1: exit, access type 2.
  write(kCr0Mask, cpu::cr0::TS);
  write(kCr0Shadow, cpu::cr0::TS);
  expect_exit(run({0x0F, 0x06}), 28, 0x20, 2);
  // mask.TS = 1, shadow.TS = 0: no exit, and CR0.TS is left alone (SDM 25.3).
  write(kCr0Shadow, 0);
  runs_without_exit({0x0F, 0x06});
  EXPECT_EQ(field(kGCr0) & cpu::cr0::TS, cpu::cr0::TS);
  // mask.TS = 0: CLTS clears TS.
  write(kCr0Mask, 0);
  write(kCr0Shadow, cpu::cr0::TS);
  runs_without_exit({0x0F, 0x06});
  EXPECT_EQ(field(kGCr0) & cpu::cr0::TS, 0u);
}

TEST_F(VtExitsInsn, Lmsw) {
  // mask.PE = 1, shadow.PE = 0, source PE = 1: exit, access type 3, source in 31:16.
  write(kCr0Mask, cpu::cr0::PE);
  write(kCr0Shadow, 0);
  expect_exit(run({0x0F, 0x01, 0xF0}, 0x0001), 28, 0x00010030, 3);  // lmsw ax
  // Memory operand (bit 6) and its linear address: lmsw [ebx+2] (0F 01 73 02).
  bus.set_dword(0x8300, 0x00090000);  // the word at 8302H: 0009H
  cpu.state().gpr[cpu::RBX] = 0x8300;
  const Exit e = run({0x0F, 0x01, 0x73, 0x02});
  expect_exit(e, 28, 0x00090070, 4);
  EXPECT_EQ(e.linear, 0x8302u);
  // mask MP|EM|TS with the source equal to the shadow in those bits: no exit; TS owned by
  // the host keeps its value, the unmasked MP... all masked here: CR0 unchanged.
  write(kCr0Mask, 0xE);
  write(kCr0Shadow, 0x8);
  const uint64_t before = cpu.state().cr0;
  runs_without_exit({0x0F, 0x01, 0xF0}, 0x0009);
  EXPECT_EQ(field(kGCr0), before);
  // A masked bit differing from the shadow (EM): exit.
  expect_exit(run({0x0F, 0x01, 0xF0}, 0x000D), 28, 0x000D0030, 3);
  // PE cleared in the source with mask.PE = 1: LMSW cannot clear PE, no exit.
  write(kCr0Mask, cpu::cr0::PE);
  write(kCr0Shadow, 1);
  runs_without_exit({0x0F, 0x01, 0xF0}, 0x0000);
}

TEST_F(VtExitsInsn, CrAccessAtCpl3IsGpNotAnExit) {
  write(kExceptionBitmap, 1u << cpu::GP);
  primary(kCr3Store);
  ring3_guest();
  expect_fault_exit(run({0x0F, 0x20, 0xD8}), cpu::GP, true);
  EXPECT_EQ(intr_info(), 0x80000B0Du);
}

// ---- MOV DR (29; Table 27-4) -----------------------------------------------------------------

TEST_F(VtExitsInsn, MovDrExiting) {
  runs_without_exit({0x0F, 0x23, 0xF8}, 0x401);  // mov dr7, eax: no control, no exit
  primary(kMovDr);
  expect_exit(run({0x0F, 0x23, 0xF8}), 29, 0x007, 3);  // to DR7 from EAX
  expect_exit(run({0x0F, 0x21, 0xF3}), 29, 0x316, 3);  // mov ebx, dr6: from DR (bit 4)
  // SDM 25.1.3: unlike other exits, MOV-DR exits take priority over the #UD of DR4/DR5
  // with CR4.DE = 1 and over the CPL #GP.
  write(kGCr4, uint32_t(cpu.state().cr4) | cpu::cr4::DE);
  write(kExceptionBitmap, (1u << cpu::UD) | (1u << cpu::GP));
  expect_exit(run({0x0F, 0x21, 0xE0}), 29, 0x014, 3);  // mov eax, dr4
  ring3_guest();
  expect_exit(run({0x0F, 0x23, 0xF9}), 29, 0x107, 3);  // mov dr7, ecx at CPL 3
  // Without the control, the same two fault as usual.
  primary(0);
  expect_fault_exit(run({0x0F, 0x23, 0xF9}), cpu::GP, true);
  write(kGCr4, uint32_t(cpu.state().cr4));
}

TEST_F(VtExitsInsn, MovDrFaultsWithoutTheControl) {
  write(kGCr4, uint32_t(cpu.state().cr4) | cpu::cr4::DE);
  write(kExceptionBitmap, 1u << cpu::UD);
  expect_fault_exit(run({0x0F, 0x21, 0xE0}), cpu::UD, false);
  EXPECT_EQ(intr_info(), 0x80000306u);
}

// ---- INVLPG, RDTSC, RDTSCP, RDPMC, PAUSE, WBINVD ---------------------------------------------

TEST_F(VtExitsInsn, InvlpgExitingQualificationIsTheLinearAddress) {
  runs_without_exit({0x0F, 0x01, 0x78, 0x10}, 0x5000);
  primary(kInvlpg);
  expect_exit(run({0x0F, 0x01, 0x78, 0x10}, 0x5000), 14, 0x5010, 4);  // invlpg [eax+10h]
}

TEST_F(VtExitsInsn, RdtscExitingAndTscOffsetting) {
  primary(kRdtsc);
  expect_exit(run({0x0F, 0x31}), 16, 0, 2);
  // "use TSC offsetting": RDTSC and RDMSR of IA32_TSC return TSC + offset (SDM 25.3).
  primary(kTscOffsetting);
  write(kTscOffset + 1, 0x1000);  // offset 1000_00000000H (the high half)
  runs_without_exit({0x0F, 0x31});
  EXPECT_EQ(gpr[cpu::RDX], 0x1000u);
  EXPECT_LE(gpr[cpu::RAX], uint32_t(cpu.tsc()));
}

TEST_F(VtExitsInsn, RdmsrOfTscWithOffsetting) {
  primary(kTscOffsetting | kMsrBitmaps);
  write(kTscOffset + 1, 0x1000);
  runs_without_exit({0x0F, 0x32}, 0, 0x10);
  EXPECT_EQ(gpr[cpu::RDX], 0x1000u);
}

TEST_F(VtExitsInsn, RdtscpNeedsEnableRdtscp) {
  // Without "enable RDTSCP" (and without secondary controls at all) RDTSCP is #UD.
  write(kExceptionBitmap, 1u << cpu::UD);
  expect_fault_exit(run({0x0F, 0x01, 0xF9}), cpu::UD, false);
  EXPECT_EQ(intr_info(), 0x80000306u);
  primary(kSecondaryOn);
  write(kSecondary, 0);
  expect_fault_exit(run({0x0F, 0x01, 0xF9}), cpu::UD, false);
  // Enabled: it runs (ECX = IA32_TSC_AUX, here 0), or exits with RDTSC exiting (51).
  write(kSecondary, kEnableRdtscp);
  cpu.state().msrs.tsc_aux = 0x55;
  runs_without_exit({0x0F, 0x01, 0xF9});
  EXPECT_EQ(gpr[cpu::RCX], 0x55u);
  primary(kSecondaryOn | kRdtsc);
  expect_exit(run({0x0F, 0x01, 0xF9}), 51, 0, 3);
}

TEST_F(VtExitsInsn, RdpmcExitingAndItsPrivilegeFault) {
  write(kExceptionBitmap, 1u << cpu::GP);
  // No counters exist: without the control RDPMC is #GP in the guest.
  expect_fault_exit(run({0x0F, 0x33}), cpu::GP, true);
  primary(kRdpmc);
  expect_exit(run({0x0F, 0x33}), 15, 0, 2);
  // CPL 3 with CR4.PCE = 0: the privilege #GP comes first.
  ring3_guest();
  expect_fault_exit(run({0x0F, 0x33}), cpu::GP, true);
}

TEST_F(VtExitsInsn, PauseExiting) {
  runs_without_exit({0xF3, 0x90});
  primary(kPause);
  runs_without_exit({0x90});  // NOP is not PAUSE
  expect_exit(run({0xF3, 0x90}), 40, 0, 2);
}

TEST_F(VtExitsInsn, WbinvdExitingIsASecondaryControl) {
  write(kSecondary, kWbinvd);
  runs_without_exit({0x0F, 0x09});  // "activate secondary controls" = 0: ignored
  primary(kSecondaryOn);
  expect_exit(run({0x0F, 0x09}), 54, 0, 2);
}

// ---- Descriptor-table exiting (46, 47; Tables 27-10, 27-11) ----------------------------------

TEST_F(VtExitsInsn, DescriptorTableExitingGdtrIdtr) {
  cpu.state().gpr[cpu::RBX] = 0x8400;
  cpu.state().gpr[cpu::RSI] = 0x10;
  runs_without_exit({0x0F, 0x01, 0x43, 0x04});  // sgdt [ebx+4]: no control
  EXPECT_EQ(bus.dword(0x8404) & 0xFFFF, guest_state[kGdtrLimit]);
  cpu.state().gpr[cpu::RBX] = 0x8500;
  primary(kSecondaryOn);
  write(kSecondary, kDescTable);
  // sgdt [ebx+4]: identity 0, operand size 32 (bit 11), address size 32, DS, no index (22),
  // base EBX (3); qualification = displacement 4. (Bochs 2.7 leaves bit 11 at 0: its
  // instruction information treats 14:11 as reserved; SDM Table 27-10 defines bit 11 as the
  // operand size, which we follow. tests/guests/vmx_exits.S masks it when comparing.)
  Exit e = run({0x0F, 0x01, 0x43, 0x04});
  expect_exit(e, 46, 4, 4);
  EXPECT_EQ(e.info, (1u << 7) | (1u << 11) | (3u << 15) | (1u << 22) | (3u << 23));
  EXPECT_EQ(bus.dword(0x8504), 0u);  // nothing stored
  // lidt [ebx+esi*4+0x20] (0F 01 5C B3 20): identity 3, scale 2, index ESI (6).
  e = run({0x0F, 0x01, 0x5C, 0xB3, 0x20});
  expect_exit(e, 46, 0x20, 5);
  EXPECT_EQ(e.info, 2u | (1u << 7) | (1u << 11) | (3u << 15) | (6u << 18) | (3u << 23) | (3u << 28));
  // o16 sidt ss:[0x8100] (66 36 0F 01 0D disp32): identity 1, operand size 16, SS, no base.
  e = run({0x66, 0x36, 0x0F, 0x01, 0x0D, 0x00, 0x81, 0x00, 0x00});
  expect_exit(e, 46, 0x8100, 9);
  EXPECT_EQ(e.info, (1u << 7) | (2u << 15) | (1u << 22) | (1u << 27) | (1u << 28));
}

TEST_F(VtExitsInsn, DescriptorTableExitingLdtrTr) {
  primary(kSecondaryOn);
  write(kSecondary, kDescTable);
  // sldt eax (0F 00 C0): identity 0, register operand (bit 10), reg1 EAX; the address size
  // (9:7) is undefined for a register operand: Ringside writes 0.
  Exit e = run({0x0F, 0x00, 0xC0});
  expect_exit(e, 47, 0, 3);
  EXPECT_EQ(e.info, 1u << 10);
  // str [ecx] (0F 00 09): identity 1, memory, DS, base ECX (1), no index.
  e = run({0x0F, 0x00, 0x09}, 0, 0x8100);
  expect_exit(e, 47, 0, 3);
  EXPECT_EQ(e.info, (1u << 7) | (3u << 15) | (1u << 22) | (1u << 23) | (1u << 28));
  // ltr dx (0F 00 DA): identity 3, reg1 EDX (2).
  e = run({0x0F, 0x00, 0xDA}, 0, 0, 0x28);
  expect_exit(e, 47, 0, 3);
  EXPECT_EQ(e.info, (2u << 3) | (1u << 10) | (3u << 28));
  // lldt ax: identity 2.
  e = run({0x0F, 0x00, 0xD0});
  expect_exit(e, 47, 0, 3);
  EXPECT_EQ(e.info >> 28, 2u);
}

TEST_F(VtExitsInsn, DescriptorTablePrivilegeFaultsComeFirst) {
  primary(kSecondaryOn);
  write(kSecondary, kDescTable);
  write(kExceptionBitmap, 1u << cpu::GP);
  ring3_guest();
  // LGDT at CPL 3: #GP(0).
  expect_fault_exit(run({0x0F, 0x01, 0x15, 0x00, 0x81, 0x00, 0x00}), cpu::GP, true);
  // SGDT at CPL 3 is unprivileged: it exits...
  expect_exit(run({0x0F, 0x01, 0x05, 0x00, 0x81, 0x00, 0x00}), 46, 0x8100, 7);
  // ...unless CR4.UMIP makes it #GP (SDM 25.1.1: privilege faults first).
  write(kGCr4, uint32_t(cpu.state().cr4) | cpu::cr4::UMIP);
  expect_fault_exit(run({0x0F, 0x01, 0x05, 0x00, 0x81, 0x00, 0x00}), cpu::GP, true);
}

// ---- The VmExit event's detail ----------------------------------------------------------

TEST(VtExitsInsnDetail, QualificationsInWords) {
  auto d = [](uint32_t reason, uint64_t q, uint32_t ecx = 0) {
    cpu::VmExit e;
    e.reason = reason;
    e.qualification = q;
    return vt::describe_qualification(e, ecx);
  };
  EXPECT_EQ(d(30, 0x03F80000), "out 0x3f8, 1 byte");
  EXPECT_EQ(d(30, 0x12340008), "in 0x1234, 1 byte");
  EXPECT_EQ(d(30, 0x01F00039), "rep ins 0x1f0, 2 bytes");
  EXPECT_EQ(d(28, 0x303), "mov cr3, ebx");
  EXPECT_EQ(d(28, 0x613), "mov esi, cr3");
  EXPECT_EQ(d(28, 0x20), "clts");
  EXPECT_EQ(d(28, 0x00090070), "lmsw 0x9");
  EXPECT_EQ(d(29, 0x316), "mov ebx, dr6");
  EXPECT_EQ(d(29, 0x007), "mov dr7, eax");
  EXPECT_EQ(d(31, 0, 0x174), "rdmsr 0x174");
  EXPECT_EQ(d(32, 0, 0xC0000080), "wrmsr 0xc0000080");
  EXPECT_EQ(d(14, 0x5010), "invlpg 0x5010");
  EXPECT_EQ(d(10, 0), "");
}

}  // namespace
