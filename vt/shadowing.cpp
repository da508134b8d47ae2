// vt/shadowing.cpp — VMCS shadowing (Intel SDM Vol.3 24.10, 30.3 VMREAD/VMWRITE): with the
// secondary control "VMCS shadowing", a guest hypervisor's VMREAD and VMWRITE of a field
// whose bit is clear in the VMREAD/VMWRITE bitmap access the shadow VMCS (the VMCS link
// pointer) without a VM exit, so a nested hypervisor reads and writes its own VMCS at
// native speed and its parent only syncs the shadow VMCS when it handles an exit.
//
// The shadow VMCS is read and written in memory, in Ringside's VMCS layout (vt/vmx.h: field
// slot k at offset 0x10 + 8k): it is not current while the guest runs (software VMCLEARs it
// after filling it, as the SDM requires), so memory is where its data lives.
#include "cpu/cpu.h"
#include "platform/text.h"
#include "vt/vmx.h"

namespace vt {

using cpu::Cpu;
using cpu::Insn;

namespace {
constexpr uint32_t kVmreadBitmap = 0x2026, kVmwriteBitmap = 0x2028;
constexpr uint32_t kPrimaryActivateSecondary = 1u << 31, kSecondaryShadowing = 1u << 14;
}  // namespace

// SDM 30.3 VMREAD / VMWRITE "Operation", the non-root branch: exit when shadowing is off,
// the encoding has bits 63:15 set (bits 31:15 here: 32-bit operands), or the bitmap bit of
// encoding bits 14:0 is 1; then #GP(0) at CPL > 0, VMfailInvalid with the link pointer all
// ones, VMfailValid(12) for an unsupported field, VMfailValid(13) for VMWRITE to a read-only
// field without IA32_VMX_MISC bit 29; else the access to the shadow VMCS and VMsucceed.
bool Vmx::shadow_access(Cpu& c, const Insn& i, bool write) {
  const uint64_t primary = field(field::PRIMARY_PROC_CONTROLS);
  const uint64_t secondary = (primary & kPrimaryActivateSecondary) ? field(field::SECONDARY_PROC_CONTROLS) : 0;
  if (!(secondary & kSecondaryShadowing)) return false;
  const cpu::State& st = c.state();
  if (!(st.cr0 & cpu::cr0::PE) || (st.eflags & cpu::flag::VM)) c.fault(cpu::UD);
  const uint32_t enc = c.reg32(i.reg);
  if (enc >> 15) return false;
  uint8_t bits = 0;
  c.phys_read(field(write ? kVmwriteBitmap : kVmreadBitmap) + (enc >> 3), &bits, 1);
  if ((bits >> (enc & 7)) & 1) return false;
  if (st.cpl > 0) c.fault(cpu::GP, 0);
  const uint64_t link = field(field::VMCS_LINK_POINTER);
  if (link == ~0ull) {
    fail_invalid(c);
    return true;
  }
  const FieldInfo* f = find_field(enc);
  if (!f || !caps_.field_supported(*f)) {
    fail_valid(c, kErrUnsupportedField);
    return true;
  }
  const uint64_t addr = link + kVmcsDataOffset + 8ull * size_t(f - vmcs_fields().data());
  const bool high = enc & 1;
  if (!write) {
    uint64_t v = 0;
    c.phys_read(addr, &v, 8);
    if (high) v >>= 32;
    else if (f->width == FieldWidth::Bits16) v &= 0xFFFF;
    else if (f->width == FieldWidth::Bits32) v &= 0xFFFFFFFF;
    if (i.mod == 3) c.set_reg32(i.rm, uint32_t(v));
    else c.write_sized(i.seg, c.ea(i), 4, uint32_t(v));
    succeed(c);
    return true;
  }
  const uint64_t v = i.mod == 3 ? c.reg32(i.rm) : uint32_t(c.read_sized(i.seg, c.ea(i), 4));
  if (f->read_only() && !caps_.vmwrite_any_field()) {
    fail_valid(c, kErrReadOnlyField);
    return true;
  }
  uint64_t d = 0;
  c.phys_read(addr, &d, 8);
  if (high) d = (d & 0xFFFFFFFF) | (v << 32);
  else if (f->width == FieldWidth::Bits16) d = v & 0xFFFF;
  else d = v & 0xFFFFFFFF;  // 32-bit, and a 64-bit/natural field written with 32 bits
  c.phys_write(addr, &d, 8);
  succeed(c);
  return true;
}

// SDM 26.3.1.5: a VMCS link pointer other than all ones must reference a region whose
// first 4 bytes hold the VMCS revision identifier (bits 30:0) and, in bit 31, the setting
// of "VMCS shadowing"; and it must not be the current VMCS. (Alignment and width: the
// table check of the same id, entry_checks.cpp.)
std::optional<EntryCheckFailure> Vmx::check_link_pointer(Cpu& c) {
  const uint64_t link = field(field::VMCS_LINK_POINTER);
  if (link == ~0ull) return std::nullopt;
  const uint64_t primary = field(field::PRIMARY_PROC_CONTROLS);
  const bool shadowing = (primary & kPrimaryActivateSecondary) &&
                         (field(field::SECONDARY_PROC_CONTROLS) & kSecondaryShadowing);
  uint32_t rev = 0;
  c.phys_read(link, &rev, 4);
  std::string m;
  if (link == s_.current_vmcs) {
    m = "VMCS link pointer " + platform::hex(link) + " must not be the current VMCS";
  } else if ((rev & 0x7FFFFFFF) != kVmcsRevision || bool(rev >> 31) != shadowing) {
    m = "VMCS link pointer " + platform::hex(link) + ": the region's first dword is " + platform::hex(rev);
    m += "; it must hold the VMCS revision identifier with bit 31 (shadow VMCS) = ";
    m += shadowing ? "1 (\"VMCS shadowing\" is 1)" : "0 (\"VMCS shadowing\" is 0)";
  } else {
    return std::nullopt;
  }
  return EntryCheckFailure{kExitInvalidGuestState, "guest.vmcs_link_pointer", "26.3.1.5", m};
}

}  // namespace vt
