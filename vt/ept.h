// vt/ept.h — the extended page tables (Intel SDM Vol.3 28.3), and the VPID/EPT
// invalidation instructions INVEPT and INVVPID (30.3).
//
// In VMX non-root operation with "enable EPT" (secondary control 1, "activate secondary
// controls" set), every guest-physical address the CPU uses goes through a 4-level EPT walk
// (SDM 28.3.2): the guest's paging-structure entries during its page walk and its
// accessed/dirty updates, and the final address of a data access or instruction fetch (with
// guest paging off, the linear address). The CPU asks through
// cpu::Virtualization::guest_physical (cpu/mmu/paging.cpp, only in non-root) and caches
// linear -> host-physical in its TLB with the EPT rights folded in; the TLB is flushed at
// every VM entry and exit, and INVEPT/INVVPID flush it too.
//
// Modelled (IA32_VMX_EPT_VPID_CAP as advertised, see capabilities.cpp):
// - entries: bits 2:0 read/write/execute, execute-only pages (cap bit 0), 2 MiB (bit 7 of a
//   PDE, cap bit 16) and 1 GiB pages (bit 7 of a PDPTE, cap bit 17), memory type bits 5:3
//   of leaves (checked: 2, 3, 7 are misconfigurations; otherwise not used — Ringside has no
//   caches), accessed/dirty flags bits 8/9 with EPTP bit 6 (cap bit 21): A in every entry
//   used, D in the leaf on a write, and guest paging-structure accesses count as writes
//   (28.3.5, 28.3.3.2).
// - EPT misconfiguration (28.3.3.1, exit 49): bits 2:0 = 010b or 110b, a reserved bit set
//   in a present entry (bits 51:39 beyond MAXPHYADDR, bits 7:3 of a PML4E, bits 6:3 of a
//   non-leaf entry, bits 29:12 / 20:12 of a 1 GiB / 2 MiB leaf), a leaf memory type of 2, 3
//   or 7. Misconfiguration takes priority over violation along one walk.
// - EPT violation (28.3.3.2, exit 48): a not-present entry, or an access the AND of the
//   entries' permissions does not allow. Qualification (SDM Table 27-7): bits 0-2 the access
//   (data read, data write, instruction fetch; a paging-structure access with A/D enabled
//   sets bits 0 and 1), bits 3-5 the AND of bits 0-2 of the entries used (a walk that ends
//   at a not-present entry gives 0), bit 7 guest-linear address valid (always, here),
//   bit 8 access to the translated linear address (1) vs to a paging-structure entry (0).
//   Guest-physical address field: the full address accessed; guest-linear address: the
//   linear address being accessed or translated.
// Not modelled: bits 9-12 of the qualification (advanced information is not advertised;
// NMI unblocking by IRET, bit 12, reads 0), the guest PDPTE fields of PAE guests (Ringside's
// page walk reads the PDPTEs from memory at every walk, through EPT here), EPTP switching,
// #VE, PML, mode-based execute control, memory types beyond the checks.
#pragma once

#include <cstdint>
#include <string>

#include "cpu/virtualization.h"

namespace cpu {
class Cpu;
}

namespace vt {

// EPT paging-structure entry bits (SDM Vol.3 Tables 28-1 to 28-6).
constexpr uint64_t kEptRead = 1, kEptWrite = 2, kEptExec = 4, kEptLarge = 1u << 7,
                   kEptAccessed = 1u << 8, kEptDirty = 1u << 9;
// EPTP bit 6: accessed and dirty flags for EPT (SDM 24.6.11).
constexpr uint64_t kEptpAccessDirty = 1u << 6;

// One walk of the EPT paging structures for a guest-physical address (SDM 28.3.2).
struct EptWalk {
  enum class Result : uint8_t { Ok, Violation, Misconfig };
  Result result = Result::Ok;
  uint64_t hpa = 0;     // the physical address (when Ok)
  uint8_t perms = 0;    // the AND of bits 2:0 of the entries used
  bool dirty = false;   // the leaf's dirty flag after the walk (EPTP bit 6)
  unsigned levels = 0;  // entries read
};

// Walks for `gpa` with an access needing `need` (kEptRead/kEptWrite/kEptExec bits; 0 for a
// look). With `commit` and EPTP bit 6, a walk that succeeds sets the accessed flags and,
// when `need` has kEptWrite, the leaf's dirty flag. `gib_pages`: 1 GiB pages are supported
// (else bit 7 of a PDPTE is reserved).
EptWalk ept_walk(cpu::Cpu& c, uint64_t eptp, uint64_t gpa, unsigned need, bool commit,
                 bool gib_pages);

// Whether an EPTP is one VM entry accepts (SDM 26.2.1.1 / 24.6.11) given
// IA32_VMX_EPT_VPID_CAP `cap`: INVEPT's single-context type uses the same rule.
bool eptp_valid(uint64_t eptp, uint64_t cap);

// Words for the event trace: "read of gpa 0x5000 (linear 0x5000), entries r-x".
std::string describe_ept_exit(const cpu::VmExit& e);

}  // namespace vt
