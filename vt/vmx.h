// vt/vmx.h — Intel VT-x: VMX operation in root mode (Intel SDM Vol.3 chapters 23-24, and
// the VMX instruction reference of chapter 30 / Vol.2).
//
//   vt::Vmx vmx(*vt::find_profile("haswell"));
//   cpu.set_virtualization(&vmx);   // platform::Machine does this unless --no-vmx
//
// What exists (this landing): VMXON, VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE and
// VMCALL with every #UD/#GP condition and VMsucceed / VMfailInvalid / VMfailValid(error)
// of the SDM's instruction pages; VMLAUNCH/VMRESUME up to their pre-entry checks (CPL, no
// current VMCS, blocking by MOV SS → error 26, launch state → errors 4/5) and the checks on
// controls and host state (entry_checks.h → errors 7/8, the failing check kept for dump()),
// then on the guest state (SDM 26.3.1; a failure would be a VM exit with reason 33, which does
// not exist yet: the run stops naming the check, kept as error 33), after which the run
// stops with "VM entry is not implemented yet" (cpu::NotImplemented):
// no entry is faked. INVEPT/INVVPID: vt/ept.cpp. The capability MSRs come
// from capabilities.h.
//
// State: in VMX operation or not, the VMXON pointer, the current-VMCS pointer and a cache
// of the current VMCS (launch state and every field of vmcs_fields.h). Not modelled:
// SMX/SMM and the dual-monitor treatment, INIT blocking (there is one processor and no
// INIT source), the "block and disable A20M" of VMXON (A20 masking still applies in VMX
// operation), Intel PT.
//
// The VMCS region (4 KiB at the VMCS pointer, guest physical memory, little endian):
//   0x000  u32  revision identifier (bits 30:0) and shadow-VMCS indicator (bit 31)
//   0x004  u32  VMX-abort indicator
//   0x008  u32  launch state: 1 = launched, anything else = clear
//   0x00C  u32  0
//   0x010  u64  field data, one 8-byte slot per field of vmcs_fields() in table order
//               (slot k at 0x10 + 8k), whatever the field's width
// The region is read at VMPTRLD (into the cache) and written back at VMCLEAR, at a VMPTRLD
// of another region, and at VMXOFF; VMREAD/VMWRITE use the cache only, so a guest that
// writes the region directly while it is current sees its writes ignored (as on hardware,
// where the layout is opaque). The VMXON region is only checked (revision identifier).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cpu/virtualization.h"
#include "platform/device.h"
#include "vt/capabilities.h"
#include "vt/entry_checks.h"

namespace cpu {
class Cpu;
struct Insn;
}  // namespace cpu

namespace vt {

constexpr uint64_t kInvalidVmcs = ~0ull;  // the current-VMCS pointer when there is none
// MAXPHYADDR of the CPU (CPUID.80000008H:EAX[7:0]); pointers with higher bits are invalid.
constexpr unsigned kPhysAddrBits = 39;
constexpr uint32_t kVmcsDataOffset = 0x10;
constexpr uint32_t kLaunchStateOffset = 8;
constexpr uint32_t kLaunched = 1;

// VM-instruction error numbers (SDM Vol.3 30.4, Table 30-1).
enum VmInstructionError : uint32_t {
  kErrVmcallInRoot = 1,
  kErrVmclearInvalidAddress = 2,
  kErrVmclearVmxonPointer = 3,
  kErrVmlaunchNotClear = 4,
  kErrVmresumeNotLaunched = 5,
  kErrVmptrldInvalidAddress = 9,
  kErrVmptrldVmxonPointer = 10,
  kErrVmptrldWrongRevision = 11,
  kErrUnsupportedField = 12,
  kErrReadOnlyField = 13,
  kErrVmxonInRoot = 15,
  kErrMovSsBlocking = 26,
  kErrInvalidInvOperand = 28,  // invalid operand to INVEPT/INVVPID
};

struct VmxState {
  bool vmx_operation = false;  // between VMXON and VMXOFF (root operation, for now)
  uint64_t vmxon_pointer = 0;
  uint64_t current_vmcs = kInvalidVmcs;
  // The cache of the current VMCS (meaningful only while current_vmcs is valid).
  bool launched = false;
  bool current_is_shadow = false;  // its shadow-VMCS indicator was 1 at VMPTRLD
  std::vector<uint64_t> fields;  // one per vmcs_fields() slot
  // The check that made the last VMLAUNCH/VMRESUME fail (error 7/8, entry_checks.h);
  // cleared when a VMLAUNCH/VMRESUME passes them. For the debugger (dump) and tests.
  std::optional<EntryCheckFailure> last_entry_failure;
  // Counts for the run summary and the debugger: VM entries that reached the guest, and
  // VM exits by basic reason (entry failures counted under 33 / 34).
  uint64_t entries = 0;
  std::array<uint64_t, cpu::exit_reason::kCount> exits{};
  // (branch vmxevent) Non-root event state: virtual-NMI blocking ("virtual NMIs", SDM 24.4.2
  // Table 24-3 bit 3, 25.3), and the cycle at which the VMX-preemption timer reaches 0
  // (UINT64_MAX: not active; SDM 25.5.1).
  bool virtual_nmi_blocked = false;
  uint64_t preemption_deadline = UINT64_MAX;
  uint64_t mtf_mark = 0;  // guest progress at VM entry (monitor trap flag, SDM 25.5.2)
  bool mtf_injected = false;  // a pending MTF VM exit injected by VM entry (26.5.2)
};

class Vmx final : public cpu::Virtualization, public platform::Device {
 public:
  // `a20_masked`: whether the machine currently forces physical address bit 20 to 0
  // (VMXON is #GP(0) in A20M mode); null when the machine has no A20 gate.
  explicit Vmx(const Profile& profile, std::function<bool()> a20_masked = {});

  const Capabilities& capabilities() const { return caps_; }
  const VmxState& state() const { return s_; }
  // The first failing check of the last VM entry that failed with error 7 or 8 (nothing
  // after one that passed them).
  const std::optional<EntryCheckFailure>& last_entry_failure() const { return s_.last_entry_failure; }

  // cpu::Virtualization
  bool vmx_instruction(cpu::Cpu& cpu, uint16_t opcode) override;
  bool read_msr(cpu::Cpu& cpu, uint32_t index, uint64_t& value) override;
  bool cr_write_allowed(const cpu::Cpu& cpu, unsigned cr, uint64_t value) const override;
  void vm_exit(cpu::Cpu& cpu, const cpu::VmExit& e, unsigned insn_len) override;
  void intercept_hlt(cpu::Cpu& cpu) override;
  bool exception_exits(cpu::Cpu& cpu, uint8_t vector, bool has_ec, uint32_t ec, bool soft,
                       cpu::VmExit& e) override;
  // Instruction exits (vt/exits_insn.cpp).
  void intercept_io(cpu::Cpu& cpu, uint16_t port, unsigned size, bool in) override;
  void intercept_msr(cpu::Cpu& cpu, uint32_t index, bool write) override;
  void intercept_cr_write(cpu::Cpu& cpu, unsigned cr, unsigned gpr, uint64_t value) override;
  void intercept_cr_read(cpu::Cpu& cpu, unsigned cr, unsigned gpr) override;
  void intercept_clts(cpu::Cpu& cpu) override;
  void intercept_lmsw(cpu::Cpu& cpu, uint16_t src, bool memory, uint64_t linear) override;
  uint64_t guest_cr_read(const cpu::Cpu& cpu, unsigned cr, uint64_t value) const override;
  uint64_t guest_cr_write(const cpu::Cpu& cpu, unsigned cr, uint64_t value) const override;
  void intercept_dr(cpu::Cpu& cpu, unsigned dr, unsigned gpr, bool read) override;
  void intercept_insn(cpu::Cpu& cpu, uint32_t reason, uint64_t qualification) override;
  bool rdtscp_enabled(const cpu::Cpu& cpu) const override;
  uint64_t tsc_offset(const cpu::Cpu& cpu) const override;
  void intercept_descriptor_table(cpu::Cpu& cpu, uint32_t reason, unsigned identity) override;
  // Events at instruction boundaries (vt/exits_event.cpp).
  BoundaryWatch boundary_watch(const cpu::Cpu& cpu) const override;
  bool boundary_exit(cpu::Cpu& cpu) override;
  void iret_unblocks_nmi(cpu::Cpu& cpu) override;
  bool guest_physical(cpu::Cpu& cpu, cpu::GuestPhysical& a) override;  // EPT (vt/ept.cpp)

  // platform::Device
  const char* name() const override { return "vmx"; }
  void reset() override;
  std::string dump() const override;
  void save(platform::StateWriter& w) const override;
  void load(platform::StateReader& r) override;

  // The cached value of a field of the current VMCS by encoding (debugger, tests); false
  // without a current VMCS or for an unknown field.
  bool field_value(uint32_t encoding, uint64_t& v) const;
  // VM exits with basic reason `reason` so far (run summary, debugger).
  uint64_t exit_count(uint32_t reason) const {
    return (reason & 0xFFFF) < s_.exits.size() ? s_.exits[reason & 0xFFFF] : 0;
  }
  uint64_t entry_count() const { return s_.entries; }

 private:
  // The instructions (SDM Vol.3 30.3).
  void vmxon(cpu::Cpu& c, const cpu::Insn& i);
  void vmxoff(cpu::Cpu& c);
  void vmclear(cpu::Cpu& c, const cpu::Insn& i);
  void vmptrld(cpu::Cpu& c, const cpu::Insn& i);
  void vmptrst(cpu::Cpu& c, const cpu::Insn& i);
  void vmread(cpu::Cpu& c, const cpu::Insn& i);
  void vmwrite(cpu::Cpu& c, const cpu::Insn& i);
  void vmlaunch(cpu::Cpu& c, bool resume);
  void vmcall(cpu::Cpu& c);
  // INVEPT / INVVPID (vt/ept.cpp): #UD unless advertised (`inv_supported`).
  bool inv_supported(bool invvpid) const;
  void invept(cpu::Cpu& c, const cpu::Insn& i);
  void invvpid(cpu::Cpu& c, const cpu::Insn& i);
  bool ept_active() const;  // "activate secondary controls" and "enable EPT"
  bool unrestricted_guest() const;  // ... and "unrestricted guest" (vt/ept.cpp)
  // A VMX instruction in non-root operation: its #UD checks, then the VM exit (SDM 25.1.2)
  // with the qualification and instruction information of SDM 27.2.1 / 27.2.5.
  [[noreturn]] void exit_for_vmx_instruction(cpu::Cpu& c, const cpu::Insn& i, uint32_t reason);

  // VMCS shadowing (vt/shadowing.cpp, SDM 24.10): VMREAD/VMWRITE in non-root operation
  // that access the shadow VMCS; false when the instruction exits instead.
  bool shadow_access(cpu::Cpu& c, const cpu::Insn& i, bool write);
  // SDM 26.2.1.1, the TPR threshold against VTPR in the virtual-APIC page (reads memory).
  static constexpr EntryCheckInfo kTprVtprCheck{"tpr_threshold_vtpr", "26.2.1.1", kErrEntryInvalidControls};
  std::optional<EntryCheckFailure> check_tpr_against_vtpr(cpu::Cpu& c);
  // SDM 26.3.1.5, the part of the VMCS link-pointer check that reads memory.
  std::optional<EntryCheckFailure> check_link_pointer(cpu::Cpu& c);

  // VM entry and VM exit (vt/transition.cpp, SDM 26.3.2-26.7 and 27.1-27.6).
  void enter(cpu::Cpu& c, bool resume);  // after every check passed
  void load_guest_state(cpu::Cpu& c);
  void save_guest_state(cpu::Cpu& c);
  void load_host_state(cpu::Cpu& c);
  // MSR lists (SDM 24.7.2, 24.8.2): the 1-based index of the entry that failed, or 0.
  uint32_t load_msr_list(cpu::Cpu& c, uint64_t addr, uint32_t count);
  void store_msr_list(cpu::Cpu& c, uint64_t addr, uint32_t count);
  // A VM-entry failure after the checks (SDM 26.8): exit reason `reason` | 80000000H,
  // the host state loaded, no guest state saved.
  void entry_failure(cpu::Cpu& c, uint32_t reason, uint64_t qualification);
  void emit_transition(cpu::Cpu& c, bool entry, uint64_t cost);  // VmEntry (count and event)
  // Non-root event state at VM entry and VM exit (vt/exits_event.cpp): virtual NMIs, the
  // VMX-preemption timer (armed at entry, its value saved at exit).
  void enter_events(cpu::Cpu& c, uint32_t interruptibility);
  void exit_events(cpu::Cpu& c, const cpu::VmExit& e);
  // The VMX-preemption timer's value now (SDM 25.5.1): the count of TSC bit-X changes left.
  uint32_t preemption_timer_value(const cpu::Cpu& c) const;
  uint64_t field(uint32_t encoding) const { return s_.fields[*field_slot(encoding)]; }
  uint32_t secondary_controls() const;  // 0 unless "activate secondary controls" (exits_insn.cpp)

  // The opening checks shared by every VMX instruction but VMXON and VMCALL: #UD outside
  // VMX operation, in real or virtual-8086 mode, or in compatibility mode; #GP(0) at CPL > 0.
  void check_root(cpu::Cpu& c) const;
  // The 64-bit memory operand of VMXON/VMCLEAR/VMPTRLD (#UD for a register operand).
  uint64_t pointer_operand(cpu::Cpu& c, const cpu::Insn& i) const;
  static bool valid_pointer(uint64_t a) { return (a & 0xFFF) == 0 && (a >> kPhysAddrBits) == 0; }
  // Status flags (SDM Vol.3 30.2).
  void succeed(cpu::Cpu& c);
  void fail_invalid(cpu::Cpu& c);
  void fail_valid(cpu::Cpu& c, uint32_t error);
  void fail(cpu::Cpu& c, uint32_t error);  // VMfail: valid with a current VMCS, else invalid
  // The VMCS cache.
  void load_vmcs(cpu::Cpu& c, uint64_t addr);
  void write_back(cpu::Cpu& c);
  uint64_t read_field(const FieldInfo& f, bool high) const;
  void write_field(const FieldInfo& f, bool high, uint64_t v);
  uint64_t& slot(uint32_t encoding);

  Capabilities caps_;
  EntryLimits limits_;  // from caps_, for the VM-entry checks
  // The checks on controls and host state passed and no control or host-state field has
  // changed since (a cache, not architectural state: false after reset and load).
  bool controls_host_checked_ = false;
  std::vector<uint64_t> read_mask_;  // per vmcs_fields() slot: its width mask, 0 if absent
  std::function<bool()> a20_masked_;
  VmxState s_;
};

}  // namespace vt
