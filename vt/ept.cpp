// vt/ept.cpp — EPT translation in VMX non-root operation (Intel SDM Vol.3 28.3), EPT
// violations and misconfigurations (28.3.3, exit qualification of Table 27-7), INVEPT and
// INVVPID (30.3). See ept.h for what is modelled.
#include "vt/ept.h"

#include <cstdio>

#include "cpu/cpu.h"
#include "cpu/decoder/insn.h"
#include "vt/vmx.h"

namespace vt {

using cpu::Cpu;
using cpu::Insn;
using cpu::VmExit;
namespace reason = cpu::exit_reason;

namespace {
// Address bits of an entry: 38:12 (MAXPHYADDR 39); bits 51:39 are reserved.
constexpr uint64_t kAddrMask = ((1ull << kPhysAddrBits) - 1) & ~0xFFFull;
constexpr uint64_t kBeyondMaxPhys = 0x000FFFFFFFFFF000ull & ~kAddrMask;
constexpr uint32_t kProcSecondary = 1u << 31;
constexpr uint32_t kSecEpt = 1u << 1, kSecUnrestricted = 1u << 7;
// IA32_VMX_EPT_VPID_CAP bits (SDM A.10).
constexpr uint64_t kCapGibPages = 1ull << 17, kCapInvept = 1ull << 20, kCapInvvpid = 1ull << 32;
constexpr unsigned kCapInveptTypeShift = 24;   // bit 25 single-context, 26 all-context
constexpr unsigned kCapInvvpidTypeShift = 40;  // bits 40-43: types 0-3
}  // namespace

EptWalk ept_walk(Cpu& c, uint64_t eptp, uint64_t gpa, unsigned need, bool commit, bool gib_pages) {
  EptWalk w;
  uint64_t addr[4] = {}, val[4] = {};
  unsigned n = 0;
  uint8_t perms = 7;
  uint64_t table = eptp & kAddrMask;
  auto misconfig = [&]() {
    w.result = EptWalk::Result::Misconfig;
    return w;
  };
  // SDM 28.3.2: PML4E (gpa 47:39), PDPTE (38:30), PDE (29:21), PTE (20:12).
  for (unsigned level = 4; level >= 1; --level) {
    const unsigned shift = 12 + 9 * (level - 1);
    const uint64_t ea = table + ((gpa >> shift) & 0x1FF) * 8;
    uint64_t e = 0;
    c.phys_read(ea, &e, 8);
    ++w.levels;
    addr[n] = ea;
    val[n++] = e;
    perms &= uint8_t(e & 7);
    // Not present: an EPT violation (28.3.3.2) whose permission bits read 0.
    if ((e & 7) == 0) {
      w.result = EptWalk::Result::Violation;
      w.perms = 0;
      return w;
    }
    // 28.3.3.1: write without read (010b, 110b); execute-only (100b) is supported.
    if ((e & 3) == 2) return misconfig();
    if (e & kBeyondMaxPhys) return misconfig();
    // Bit 7 of a PDPTE is reserved without 1 GiB pages (IA32_VMX_EPT_VPID_CAP bit 17).
    if (level == 3 && (e & kEptLarge) && !gib_pages) return misconfig();
    const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kEptLarge));
    if (level == 4 && (e & 0xF8)) return misconfig();           // PML4E bits 7:3
    if (!leaf && level != 4 && (e & 0x78)) return misconfig();  // bits 6:3
    if (leaf) {
      const unsigned type = unsigned((e >> 3) & 7);
      if (type == 2 || type == 3 || type == 7) return misconfig();
      const uint64_t offset_mask = (1ull << shift) - 1;
      if (e & offset_mask & kAddrMask) return misconfig();  // 1 GiB: 29:12, 2 MiB: 20:12
      w.hpa = (e & kAddrMask & ~offset_mask) | (gpa & offset_mask);
      break;
    }
    table = e & kAddrMask;
  }
  w.perms = perms;
  if (need & ~unsigned(perms)) {
    w.result = EptWalk::Result::Violation;
    return w;
  }
  // 28.3.5: accessed flag in every entry used, dirty flag in the leaf on a write.
  w.dirty = val[n - 1] & kEptDirty;
  if (commit && (eptp & kEptpAccessDirty)) {
    for (unsigned k = 0; k < n; ++k) {
      uint64_t v = val[k] | kEptAccessed;
      if (k == n - 1 && (need & kEptWrite)) v |= kEptDirty;
      if (v != val[k]) c.phys_write(addr[k], &v, 8);
    }
    if (need & kEptWrite) w.dirty = true;
  }
  return w;
}

bool eptp_valid(uint64_t eptp, uint64_t cap) {
  const unsigned type = unsigned(eptp & 7);
  if (!((type == 0 && (cap & (1ull << 8))) || (type == 6 && (cap & (1ull << 14))))) return false;
  if (((eptp >> 3) & 7) != 3) return false;
  if ((eptp & kEptpAccessDirty) && !(cap & (1ull << 21))) return false;
  return (eptp & 0xF80) == 0 && (eptp >> kPhysAddrBits) == 0;
}

std::string describe_ept_exit(const VmExit& e) {
  char buf[128];
  if ((e.reason & 0xFFFF) == reason::EptMisconfig) {
    std::snprintf(buf, sizeof buf, "misconfigured entry for gpa 0x%llx",
                  static_cast<unsigned long long>(e.guest_physical));
    return buf;
  }
  const uint64_t q = e.qualification;
  const char* what = (q & 4) ? "fetch" : (q & 2) ? "write" : "read";
  std::snprintf(buf, sizeof buf, "%s%s of gpa 0x%llx (linear 0x%llx), entries %c%c%c", what,
                (q & (1u << 8)) ? "" : " of a paging-structure entry",
                static_cast<unsigned long long>(e.guest_physical),
                static_cast<unsigned long long>(e.guest_linear), (q & 8) ? 'r' : '-',
                (q & 16) ? 'w' : '-', (q & 32) ? 'x' : '-');
  return buf;
}

// ---------------------------------------------------------------------------------------
// The CPU's hook

bool Vmx::ept_active() const {
  return (field(field::PRIMARY_PROC_CONTROLS) & kProcSecondary) &&
         (field(field::SECONDARY_PROC_CONTROLS) & kSecEpt);
}

bool Vmx::unrestricted_guest() const {
  return (field(field::PRIMARY_PROC_CONTROLS) & kProcSecondary) &&
         (field(field::SECONDARY_PROC_CONTROLS) & kSecUnrestricted);
}

bool Vmx::guest_physical(Cpu& c, cpu::GuestPhysical& a) {
  if (!ept_active()) {
    a.hpa = a.gpa;
    a.rights = 7;
    return true;
  }
  const uint64_t eptp = field(field::EPT_POINTER);
  const bool ad = eptp & kEptpAccessDirty;
  // With EPT A/D flags, guest paging-structure accesses are writes (SDM 28.3.3.2).
  unsigned need = a.paging_entry ? ((a.write || ad) ? kEptRead | kEptWrite : kEptRead)
                  : a.fetch      ? kEptExec
                  : a.write      ? kEptWrite
                                 : kEptRead;
  if (!a.commit) need = 0;
  uint64_t cap = 0;
  caps_.read_msr(msr::VMX_EPT_VPID_CAP, cap);
  const EptWalk w = ept_walk(c, eptp, a.gpa, unsigned(need), a.commit, cap & kCapGibPages);
  a.levels = w.levels;
  if (w.result == EptWalk::Result::Ok) {
    a.hpa = w.hpa;
    a.rights = w.perms & 7;
    // The first write to a page whose dirty flag is clear must walk again to set it.
    if (ad && !w.dirty) a.rights &= uint8_t(~kEptWrite);
    return true;
  }
  if (!a.commit) return false;
  VmExit e;
  e.guest_physical = a.gpa;
  if (w.result == EptWalk::Result::Misconfig) {
    e.reason = reason::EptMisconfig;  // qualification 0 (SDM 27.2.1)
  } else {
    // SDM Table 27-7.
    e.reason = reason::EptViolation;
    uint64_t q = a.paging_entry ? (ad ? 3u : a.write ? 2u : 1u) : a.fetch ? 4u : a.write ? 2u : 1u;
    q |= uint64_t(w.perms & 7) << 3;
    q |= 1u << 7;                        // the guest-linear address is valid
    if (!a.paging_entry) q |= 1u << 8;  // the translated address, not a paging-structure entry
    e.qualification = q;
    e.guest_linear = a.linear;
  }
  c.vm_exit_insn(e);
}

// ---------------------------------------------------------------------------------------
// INVEPT / INVVPID (SDM Vol.3 30.3)

bool Vmx::inv_supported(bool invvpid) const {
  uint64_t cap = 0;
  if (!caps_.read_msr(msr::VMX_EPT_VPID_CAP, cap)) return false;
  return invvpid ? caps_.has(ControlWord::Secondary, 5) && (cap & kCapInvvpid)
                 : caps_.has(ControlWord::Secondary, 1) && (cap & kCapInvept);
}

void Vmx::invept(Cpu& c, const Insn& i) {
  check_root(c);
  uint64_t cap = 0;
  caps_.read_msr(msr::VMX_EPT_VPID_CAP, cap);
  // Outside IA-32e mode the register operand is 32 bits whatever the operand size.
  const uint32_t type = c.reg32(i.reg);
  if (type < 1 || type > 2 || !((cap >> (kCapInveptTypeShift + type)) & 1)) {
    fail(c, kErrInvalidInvOperand);
    return;
  }
  const uint64_t eptp = c.read_sized(i.seg, c.ea(i), 8);
  if (type == 1 && !eptp_valid(eptp, cap)) {
    fail(c, kErrInvalidInvOperand);
    return;
  }
  // Single-context or global: the TLB holds translations of one guest at most, and only
  // while it runs; flush everything.
  c.flush_tlb(true);
  succeed(c);
}

void Vmx::invvpid(Cpu& c, const Insn& i) {
  check_root(c);
  uint64_t cap = 0;
  caps_.read_msr(msr::VMX_EPT_VPID_CAP, cap);
  const uint32_t type = c.reg32(i.reg);
  if (type > 3 || !((cap >> (kCapInvvpidTypeShift + type)) & 1)) {
    fail(c, kErrInvalidInvOperand);
    return;
  }
  const uint64_t a = c.ea(i);
  const uint64_t lo = c.read_sized(i.seg, a, 8);
  const uint64_t hi = c.read_sized(i.seg, (a + 8) & (i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF), 8);
  const uint16_t vpid = uint16_t(lo & 0xFFFF);
  // Bits 63:16 reserved; types 0, 1, 3 need a VPID other than 0; type 0 a linear address
  // (bits 127:64) canonical for a 48-bit processor.
  const bool canonical = ((hi >> 47) == 0) || ((hi >> 47) == 0x1FFFF);
  if ((lo >> 16) != 0 || (type != 2 && vpid == 0) || (type == 0 && !canonical)) {
    fail(c, kErrInvalidInvOperand);
    return;
  }
  // Guest translations never outlive a VM exit here (the TLB is flushed at every VM entry
  // and exit): flushing the TLB covers every type.
  c.flush_tlb(true);
  succeed(c);
}

}  // namespace vt
