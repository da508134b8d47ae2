// A valid guest-state area for the VM-entry checks (SDM Vol.3 26.3.1), built the way a
// hypervisor builds one from the current CPU's own state: segment registers (selector, base,
// byte-granular limit, access rights in the VMX layout, which the CPU caches already use;
// a null data selector or LDTR is "unusable", bit 16), GDTR/IDTR, CR0/CR4 adjusted with
// IA32_VMX_CR0/CR4_FIXED0/1 (SDM A.7/A.8), RFLAGS bit 1 set, VMCS link pointer all ones.
#pragma once

#include <cstdint>
#include <map>

#include "cpu/state.h"
#include "vt/capabilities.h"

namespace vttest {

// Guest-state field encodings (SDM Appendix B).
constexpr uint32_t kGuestSel = 0x0800, kGuestLimit = 0x4800, kGuestAr = 0x4814, kGuestBase = 0x6806;
constexpr uint32_t kLinkPointer = 0x2800, kGuestDebugctl = 0x2802, kGuestPat = 0x2804, kGuestEfer = 0x2806;
constexpr uint32_t kGdtrLimit = 0x4810, kIdtrLimit = 0x4812, kInterruptibility = 0x4824, kActivity = 0x4826;
constexpr uint32_t kGCr0 = 0x6800, kGCr3 = 0x6802, kGCr4 = 0x6804, kGdtrBase = 0x6816, kIdtrBase = 0x6818,
                   kDr7 = 0x681A, kGRsp = 0x681C, kGRip = 0x681E, kGRflags = 0x6820, kPendingDbg = 0x6822,
                   kGSysenterEsp = 0x6824, kGSysenterEip = 0x6826;
// Segment index in the encodings: ES CS SS DS FS GS LDTR TR.
constexpr unsigned kEs = 0, kCs = 1, kSs = 2, kDs = 3, kFs = 4, kGs = 5, kLdtr = 6, kTr = 7;

inline void put_segment(std::map<uint32_t, uint64_t>& v, unsigned i, const cpu::SegmentCache& s, bool null_unusable) {
  v[kGuestSel + 2 * i] = s.selector;
  v[kGuestBase + 2 * i] = s.base;
  v[kGuestLimit + 2 * i] = s.limit;
  uint32_t a = s.attr;
  if (null_unusable && (s.selector & ~3u) == 0) a |= cpu::ar::UNUSABLE;
  v[kGuestAr + 2 * i] = a;
}

inline std::map<uint32_t, uint64_t> guest_state_from(const cpu::State& st, uint64_t rflags) {
  std::map<uint32_t, uint64_t> v;
  for (unsigned i = 0; i < 6; ++i) put_segment(v, i, st.seg[i], i != kCs);
  put_segment(v, kLdtr, st.ldtr, true);
  put_segment(v, kTr, st.tr, false);
  v[kGdtrBase] = st.gdtr.base;
  v[kGdtrLimit] = st.gdtr.limit;
  v[kIdtrBase] = st.idtr.base;
  v[kIdtrLimit] = st.idtr.limit;
  v[kGCr0] = (st.cr0 | vt::Capabilities::cr0_fixed0()) & vt::Capabilities::cr0_fixed1();
  v[kGCr3] = st.cr3;
  v[kGCr4] = (st.cr4 | vt::Capabilities::cr4_fixed0()) & vt::Capabilities::cr4_fixed1();
  v[kDr7] = 0x400;
  v[kGRip] = st.rip;
  v[kGRsp] = st.gpr[4];
  v[kGRflags] = rflags | 2;
  v[kLinkPointer] = ~0ull;
  return v;
}

}  // namespace vttest
