// cpu/exec/system.cpp — system instructions: HLT, group 6 (SLDT STR LLDT LTR VERR VERW),
// group 7 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG, RDTSCP, the VMX 0F 01 forms), LAR, LSL,
// ARPL, CLTS, INVD, WBINVD, MOV to/from CR and DR, RDMSR/WRMSR, RDTSC, RDPMC,
// SYSENTER/SYSEXIT, CPUID, CMPXCHG8B (group 9) and RSM; plus the Cpu control-register and
// MSR writes they rely on.
//
// The Popek–Goldberg "sensitive but unprivileged" instructions (SGDT, SIDT, SLDT, STR,
// SMSW, LAR, LSL, VERR, VERW; docs/VMX_NOTES.md section 1) run silently at any CPL here,
// as on hardware, unless CR4.UMIP makes the first five privileged. At CPL > 0 they report
// a SensitiveInstruction event, or trap with #GP(0) on the --virtualizable machine; the
// rule for each is in its vt/sensitive.h catalog entry.
#include <cstring>

#include "cpu/exec/handlers.h"
#include "cpu/exec/sensitive.h"
#include "cpu/internal.h"
#include "cpu/virtualization.h"

namespace cpu {

namespace {

constexpr uint16_t sel_index(uint16_t sel) { return sel & 0xFFFC; }

bool protected_like(const Cpu& c) { return c.mode() != Mode::Real; }

// #GP(0) unless CPL is 0. Real mode always runs at CPL 0; virtual-8086 mode at CPL 3.
void require_cpl0(Cpu& c) {
  if (c.mode() == Mode::Virtual8086 || (protected_like(c) && c.state().cpl != 0)) c.fault(GP, 0);
}

// SDM Vol.3 2.5 (CR4.UMIP): SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) at CPL > 0.
void check_umip(Cpu& c) {
  if ((c.state().cr4 & cr4::UMIP) && protected_like(c) && c.state().cpl > 0) c.fault(GP, 0);
}

void set_zf(Cpu& c, bool v) { c.set_arith_flags(flag::ZF, v ? flag::ZF : 0); }

// Linear address of the ModRM memory operand (for descriptor-table stores and loads the
// segment checks apply through read_sized/write_sized; INVLPG only needs the address).
uint64_t operand_linear(Cpu& c, const Insn& i) {
  return (c.state().seg[i.seg].base + c.ea(i)) & 0xFFFFFFFF;
}

// Stores a selector: a 16-bit store to memory, zero-extended into a register of the
// operand size (SDM Vol.2 SLDT/STR: upper bits cleared on P6 and later).
void store_selector(Cpu& c, const Insn& i, uint16_t sel) {
  if (i.mod == 3) c.set_reg(i.rm, i.opsize, sel);
  else c.write_sized(i.seg, c.ea(i), 2, sel);
}

// ---------------------------------------------------------------------------------------
// Descriptor validity for LAR, LSL, VERR and VERW (SDM Vol.2 LAR and LSL).

enum class Probe { Lar, Lsl, Read, Write };

// Returns true (and the descriptor) when `sel` names a descriptor the probe accepts at
// the current CPL with the selector's RPL. Never faults on the selector itself.
bool probe_descriptor(Cpu& c, uint16_t sel, Probe p, uint64_t& desc, unsigned cpl) {
  if (sel_index(sel) == 0) return false;
  if (!c.read_descriptor(sel, desc)) return false;
  const SegmentCache d = Cpu::cache_from_descriptor(sel, desc);
  const uint32_t type = d.attr & ar::TYPE;
  const bool conforming_code = d.code() && (d.attr & ar::CONFORMING);
  if (!(d.attr & ar::S)) {
    if (p == Probe::Read || p == Probe::Write) return false;
    // LAR accepts TSSs, LDTs, call gates and task gates; LSL only the ones with a limit:
    // TSSs and LDTs. 16-bit interrupt/trap gates and all reserved types are invalid.
    switch (type) {
      case 0x1: case 0x2: case 0x3: case 0x9: case 0xB: break;
      case 0x4: case 0x5: case 0xC:
        if (p == Probe::Lsl) return false;
        break;
      default: return false;
    }
  } else if (p == Probe::Read) {
    if (d.code() && !(d.attr & ar::READABLE)) return false;
  } else if (p == Probe::Write) {
    if (d.code() || !(d.attr & ar::WRITABLE)) return false;
  }
  // Privilege: DPL >= CPL and DPL >= RPL, except for conforming code segments (LAR, LSL
  // and VERR skip the check for those; VERW never accepts code).
  if (!conforming_code && (d.dpl() < cpl || d.dpl() < (sel & 3u))) return false;
  return true;
}

// Popek–Goldberg, LAR/LSL/VERR/VERW at CPL > 0 (vt/sensitive.h): the answer depends on
// the CPL. Reports when a ring-0 kernel probing the same selector would get the other ZF.
void report_probe(Cpu& c, Sensitive id, uint16_t sel, Probe p, bool ok) {
  uint64_t d;
  const bool ok0 = probe_descriptor(c, sel, p, d, 0);
  if (ok0 == ok) return;
  c.sensitive_silent(id, [&] {
    std::string t = "selector " + detail_hex(sel, 4) + ": ZF=";
    t += ok ? "1" : "0";
    t += " at CPL " + std::to_string(c.state().cpl) + ", ZF=";
    t += ok0 ? "1" : "0";
    t += " at ring 0";
    return t;
  });
}

// The common prologue of SGDT, SIDT, SLDT, STR and SMSW at CPL > 0 without UMIP.
void trap_if_virtualizable(Cpu& c, Sensitive id) {
  if (c.deprivileged() && c.virtualizable()) c.sensitive_trap(id);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// HLT

void hlt(Cpu& c, const Insn&) {
  require_cpl0(c);  // SDM Vol.2 HLT: privileged, #GP(0) at CPL > 0
  // SDM Vol.3 25.1.1: faults based on privilege level come before VM exits.
  if (c.non_root()) c.virtualization()->intercept_hlt(c);
  c.halt();
}

// ---------------------------------------------------------------------------------------
// Group 6 (0F 00)

void grp6(Cpu& c, const Insn& i) {
  // SDM Vol.2 SLDT/STR/LLDT/LTR/VERR/VERW: #UD in real-address and virtual-8086 mode.
  if (c.mode() == Mode::Real || c.mode() == Mode::Virtual8086) c.fault(UD);
  State& s = c.state();
  switch (i.reg) {
    case 0:  // SLDT
      check_umip(c);
      trap_if_virtualizable(c, Sensitive::Sldt);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::LdtrTrAccess, 0);
      store_selector(c, i, s.ldtr.selector);
      if (c.deprivileged()) {
        c.sensitive_silent(Sensitive::Sldt,
                           [&] { return "revealed LDTR selector " + detail_hex(s.ldtr.selector, 4); });
      }
      return;
    case 1:  // STR
      check_umip(c);
      trap_if_virtualizable(c, Sensitive::Str);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::LdtrTrAccess, 1);
      store_selector(c, i, s.tr.selector);
      if (c.deprivileged()) {
        c.sensitive_silent(Sensitive::Str,
                           [&] { return "revealed TR selector " + detail_hex(s.tr.selector, 4); });
      }
      return;
    case 2: {  // LLDT
      require_cpl0(c);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::LdtrTrAccess, 2);
      const uint16_t sel = uint16_t(c.read_rm(i, 2));
      if (sel_index(sel) == 0) {
        // A null selector marks the LDT invalid; later references through it #GP.
        s.ldtr = SegmentCache{sel, 0, 0, ar::UNUSABLE};
        return;
      }
      if (sel & 4) c.fault(GP, sel_index(sel));  // must be in the GDT
      uint64_t d;
      if (!c.read_descriptor(sel, d)) c.fault(GP, sel_index(sel));
      const SegmentCache ldt = Cpu::cache_from_descriptor(sel, d);
      if ((ldt.attr & ar::S) || (ldt.attr & ar::TYPE) != 0x2) c.fault(GP, sel_index(sel));
      if (!(ldt.attr & ar::P)) c.fault(NP, sel_index(sel));
      s.ldtr = ldt;
      return;
    }
    case 3: {  // LTR
      require_cpl0(c);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::LdtrTrAccess, 3);
      const uint16_t sel = uint16_t(c.read_rm(i, 2));
      if (sel_index(sel) == 0) c.fault(GP, 0);
      if (sel & 4) c.fault(GP, sel_index(sel));
      uint64_t d;
      if (!c.read_descriptor(sel, d)) c.fault(GP, sel_index(sel));
      SegmentCache tss = Cpu::cache_from_descriptor(sel, d);
      const uint32_t type = tss.attr & ar::TYPE;
      // Must be an available 16-bit (1) or 32-bit (9) TSS.
      if ((tss.attr & ar::S) || (type != 0x1 && type != 0x9)) c.fault(GP, sel_index(sel));
      if (!(tss.attr & ar::P)) c.fault(NP, sel_index(sel));
      // SDM Vol.2 LTR: the descriptor is marked busy (type bit 1) in the GDT.
      c.write_linear(s.gdtr.base + sel_index(sel) + 5, 1, uint8_t((d >> 40) | 0x2), true);
      tss.attr |= 0x2;
      s.tr = tss;
      return;
    }
    case 4:  // VERR
    case 5: {  // VERW
      const Sensitive id = i.reg == 4 ? Sensitive::Verr : Sensitive::Verw;
      trap_if_virtualizable(c, id);
      const uint16_t sel = uint16_t(c.read_rm(i, 2));
      const Probe p = i.reg == 4 ? Probe::Read : Probe::Write;
      uint64_t d;
      const bool ok = probe_descriptor(c, sel, p, d, s.cpl);
      set_zf(c, ok);
      if (c.deprivileged()) report_probe(c, id, sel, p, ok);
      return;
    }
    default:
      c.fault(UD);
  }
}

// ---------------------------------------------------------------------------------------
// Group 7 (0F 01)

namespace {

void store_table(Cpu& c, const Insn& i, const TableReg& t) {
  // SDM Vol.2 SGDT/SIDT: 16-bit limit then 32-bit base. Current SDMs store the full 32-bit
  // base for both operand sizes (the 286's "24-bit base, upper byte 0" rule applied to
  // older processors); we follow the current text.
  const uint64_t a = c.ea(i);
  const uint64_t m = i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  c.write_sized(i.seg, a, 2, t.limit);
  c.write_sized(i.seg, (a + 2) & m, 4, uint32_t(t.base));
}

TableReg load_table(Cpu& c, const Insn& i) {
  // SDM Vol.2 LGDT/LIDT: with a 16-bit operand only 24 bits of the base are used.
  const uint64_t a = c.ea(i);
  const uint64_t m = i.adsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  TableReg t;
  t.limit = uint16_t(c.read_sized(i.seg, a, 2));
  uint32_t base = uint32_t(c.read_sized(i.seg, (a + 2) & m, 4));
  if (i.opsize == 2) base &= 0x00FFFFFF;
  t.base = base;
  return t;
}

// 0F 01 with mod = 3: the instruction is chosen by the whole ModRM byte.
void grp7_register_form(Cpu& c, const Insn& i) {
  switch (i.modrm) {
    case 0xC1:  // VMCALL
    case 0xC2:  // VMLAUNCH
    case 0xC3:  // VMRESUME
    case 0xC4:  // VMXOFF
      // VMX arrives with vt/: the hook sees the full instruction through current_insn().
      if (Virtualization* v = c.virtualization(); v && v->vmx_instruction(c, uint16_t(i.op & 0xFF)))
        return;
      c.fault(UD);
    case 0xF9: {  // RDTSCP (CPUID.80000001H:EDX[27])
      // SDM Vol.3 25.3: #UD in non-root operation unless "enable RDTSCP" is 1.
      if (c.non_root() && !c.virtualization()->rdtscp_enabled(c)) c.fault(UD);
      if ((c.state().cr4 & cr4::TSD) && protected_like(c) && c.state().cpl > 0) c.fault(GP, 0);
      uint64_t t = c.tsc();
      if (c.non_root()) {
        c.virtualization()->intercept_insn(c, exit_reason::Rdtscp);
        t += c.virtualization()->tsc_offset(c);
      }
      c.set_reg32(RAX, uint32_t(t));
      c.set_reg32(RDX, uint32_t(t >> 32));
      c.set_reg32(RCX, uint32_t(c.state().msrs.tsc_aux));
      return;
    }
    default:
      // MONITOR/MWAIT (C8/C9) are not advertised by CPUID; XGETBV, SWAPGS and the rest
      // do not exist on this CPU.
      c.fault(UD);
  }
}

}  // namespace

void grp7(Cpu& c, const Insn& i) {
  // SMSW (/4) and LMSW (/6) also have register forms; every other mod = 3 encoding is a
  // separate instruction named by the whole ModRM byte.
  if (i.mod == 3 && i.reg != 4 && i.reg != 6) {
    grp7_register_form(c, i);
    return;
  }
  State& s = c.state();
  switch (i.reg) {
    case 0:  // SGDT
    case 1: {  // SIDT
      check_umip(c);
      const Sensitive id = i.reg == 0 ? Sensitive::Sgdt : Sensitive::Sidt;
      trap_if_virtualizable(c, id);
      // SDM Vol.3 25.1.3 "descriptor-table exiting": identity 0 SGDT, 1 SIDT (Table 27-10).
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::GdtrIdtrAccess, i.reg);
      const TableReg& t = i.reg == 0 ? s.gdtr : s.idtr;
      store_table(c, i, t);
      if (c.deprivileged()) {
        c.sensitive_silent(id, [&] {
          std::string d = i.reg == 0 ? "revealed GDTR base " : "revealed IDTR base ";
          d += detail_hex(uint32_t(t.base), 8) + " limit " + detail_hex(t.limit, 4);
          return d;
        });
      }
      return;
    }
    case 2:  // LGDT
      require_cpl0(c);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::GdtrIdtrAccess, 2);
      s.gdtr = load_table(c, i);
      return;
    case 3:  // LIDT
      require_cpl0(c);
      if (c.non_root()) c.virtualization()->intercept_descriptor_table(c, exit_reason::GdtrIdtrAccess, 3);
      s.idtr = load_table(c, i);
      return;
    case 4:  // SMSW
      check_umip(c);
      trap_if_virtualizable(c, Sensitive::Smsw);
      // SDM Vol.2 SMSW: to memory always 16 bits. To a 32-bit register the upper half is
      // "undefined"; P6-family processors store CR0[31:0], which we do.
      // VMX non-root: the CR0 read shadow supplies the bits the guest/host mask owns.
      {
        const uint64_t cr0 = c.non_root() ? c.virtualization()->guest_cr_read(c, 0, s.cr0) : s.cr0;
        if (i.mod == 3) c.set_reg(i.rm, i.opsize, uint32_t(cr0));
        else c.write_sized(i.seg, c.ea(i), 2, uint16_t(cr0));
      }
      if (c.deprivileged()) {
        c.sensitive_silent(Sensitive::Smsw,
                           [&] { return "revealed MSW " + detail_hex(uint16_t(s.cr0), 4); });
      }
      return;
    case 6: {  // LMSW
      require_cpl0(c);
      // Only PE, MP, EM and TS are loaded; PE can be set but not cleared.
      const uint16_t data = uint16_t(c.read_rm(i, 2));
      const uint64_t src = data & 0xF;
      uint64_t v = (s.cr0 & ~0xEull) | src | (s.cr0 & cr0::PE);
      if (c.non_root()) {  // SDM Vol.3 25.1.3 (LMSW), 25.3: masked bits are left unmodified
        c.virtualization()->intercept_lmsw(c, data, i.mem(), i.mem() ? operand_linear(c, i) : 0);
        v = c.virtualization()->guest_cr_write(c, 0, v);
      }
      c.write_cr0(v);
      return;
    }
    case 7:  // INVLPG (memory form only; the mod = 3 encodings were handled above)
      require_cpl0(c);
      if (c.non_root()) c.virtualization()->intercept_insn(c, exit_reason::Invlpg, operand_linear(c, i));
      c.invlpg(operand_linear(c, i));
      return;
    default:
      c.fault(UD);
  }
}

// ---------------------------------------------------------------------------------------
// LAR, LSL, ARPL

void lar_G_E(Cpu& c, const Insn& i) {
  if (c.mode() == Mode::Real || c.mode() == Mode::Virtual8086) c.fault(UD);
  trap_if_virtualizable(c, Sensitive::Lar);
  const uint16_t sel = uint16_t(c.read_rm(i, 2));
  uint64_t d;
  const bool ok = probe_descriptor(c, sel, Probe::Lar, d, c.state().cpl);
  if (ok) {
    // SDM Vol.2 LAR: the second descriptor dword masked with 00FxFF00H (type, S, DPL, P,
    // and G, D/B, L, AVL; bits 19:16 are the limit's upper bits, returned as Bochs and
    // hardware do); with a 16-bit operand only bits 15:8.
    const uint32_t hi = uint32_t(d >> 32);
    if (i.opsize == 2) c.set_reg16(i.reg, uint16_t(hi & 0xFF00));
    else c.set_reg32(i.reg, hi & 0x00FFFF00);
  }
  set_zf(c, ok);
  if (c.deprivileged()) report_probe(c, Sensitive::Lar, sel, Probe::Lar, ok);
}

void lsl_G_E(Cpu& c, const Insn& i) {
  if (c.mode() == Mode::Real || c.mode() == Mode::Virtual8086) c.fault(UD);
  trap_if_virtualizable(c, Sensitive::Lsl);
  const uint16_t sel = uint16_t(c.read_rm(i, 2));
  uint64_t d;
  const bool ok = probe_descriptor(c, sel, Probe::Lsl, d, c.state().cpl);
  if (ok) {
    // The limit in bytes (granularity applied), truncated to the operand size.
    const uint32_t limit = Cpu::cache_from_descriptor(sel, d).limit;
    c.set_reg(i.reg, i.opsize, i.opsize == 2 ? (limit & 0xFFFF) : limit);
  }
  set_zf(c, ok);
  if (c.deprivileged()) report_probe(c, Sensitive::Lsl, sel, Probe::Lsl, ok);
}

void arpl_E_G(Cpu& c, const Insn& i) {
  // SDM Vol.2 ARPL: #UD in real-address and virtual-8086 mode.
  if (c.mode() == Mode::Real || c.mode() == Mode::Virtual8086) c.fault(UD);
  const uint16_t dst = uint16_t(c.read_rm_rmw(i, 2));
  const uint16_t src = c.reg16(i.reg);
  if ((dst & 3) < (src & 3)) {
    c.write_rm(i, 2, uint16_t((dst & ~3u) | (src & 3)));
    set_zf(c, true);
  } else {
    set_zf(c, false);
  }
}

// ---------------------------------------------------------------------------------------
// CLTS, INVD, WBINVD

void clts(Cpu& c, const Insn&) {
  require_cpl0(c);
  if (c.non_root()) {  // SDM Vol.3 25.1.3, 25.3: CR0.TS is left alone when the mask owns it
    c.virtualization()->intercept_clts(c);
    c.state().cr0 = c.virtualization()->guest_cr_write(c, 0, c.state().cr0 & ~cr0::TS);
    return;
  }
  c.state().cr0 &= ~cr0::TS;
}

// No caches are modelled: invalidation has no visible effect beyond the privilege check.
void invd(Cpu& c, const Insn&) {
  require_cpl0(c);
  if (c.non_root()) c.vm_exit_insn(exit_reason::Invd);  // SDM Vol.3 25.1.2: always exits
}
void wbinvd(Cpu& c, const Insn&) {
  require_cpl0(c);
  if (c.non_root()) c.virtualization()->intercept_insn(c, exit_reason::Wbinvd);
}

// ---------------------------------------------------------------------------------------
// Control registers

void Cpu::write_cr0(uint64_t v) {
  // SDM Vol.3 2.5 and Vol.2 MOV CR: #GP(0) for bits 63:32, PG without PE, NW without CD.
  if (v >> 32) fault(GP, 0);
  if ((v & cr0::PG) && !(v & cr0::PE)) fault(GP, 0);
  if ((v & cr0::NW) && !(v & cr0::CD)) fault(GP, 0);
  if ((v & cr0::PG) && (s_.efer & efer::LME)) not_implemented("IA-32e mode activation");
  // Reserved bits in 31:0 are ignored on a write; ET is hardwired to 1.
  constexpr uint64_t kDefined = cr0::PE | cr0::MP | cr0::EM | cr0::TS | cr0::ET | cr0::NE |
                                cr0::WP | cr0::AM | cr0::NW | cr0::CD | cr0::PG;
  v = (v & kDefined) | cr0::ET;
  // SDM Vol.3 23.8: in VMX operation CR0 must respect IA32_VMX_CR0_FIXED0/1 (checked on
  // the value loaded: reserved bits are ignored, as outside VMX operation).
  if (virt_ && !virt_->cr_write_allowed(*this, 0, v)) fault(GP, 0);
  const uint64_t changed = v ^ s_.cr0;
  s_.cr0 = v;
  // SDM Vol.3 4.10.4.1: changing PG or PE (and WP, which the cached rights depend on)
  // invalidates all TLB entries, global ones included.
  if (changed & (cr0::PG | cr0::PE | cr0::WP)) flush_tlb(true);
  check_mode();
}

void Cpu::write_cr3(uint64_t v) {
  // Legacy and PAE paging use CR3[31:0]. A load flushes the non-global TLB entries
  // (SDM Vol.3 4.10.4.1). The PAE PDPTEs are read at walk time, not cached at load.
  s_.cr3 = v & 0xFFFFFFFF;
  flush_tlb(false);
}

void Cpu::write_cr4(uint64_t v) {
  constexpr uint64_t kSupported = cr4::VME | cr4::PVI | cr4::TSD | cr4::DE | cr4::PSE |
                                  cr4::PAE | cr4::MCE | cr4::PGE | cr4::PCE | cr4::OSFXSR |
                                  cr4::OSXMMEXCPT | cr4::UMIP | cr4::VMXE;
  if (v & ~kSupported) fault(GP, 0);  // SDM Vol.3 2.5: reserved CR4 bits raise #GP(0)
  // VMXE exists only with VMX (CPUID.1:ECX.VMX); in VMX operation CR4 must respect
  // IA32_VMX_CR4_FIXED0/1, so clearing VMXE is #GP(0) (SDM Vol.3 23.8).
  if ((v & cr4::VMXE) && !virt_) fault(GP, 0);
  if (virt_ && !virt_->cr_write_allowed(*this, 4, v)) fault(GP, 0);
  const uint64_t changed = v ^ s_.cr4;
  s_.cr4 = v;
  // SDM Vol.3 4.10.4.1: changing PSE, PAE or PGE invalidates all TLB entries.
  if (changed & (cr4::PSE | cr4::PAE | cr4::PGE)) flush_tlb(true);
}

void mov_R_C(Cpu& c, const Insn& i) {
  // 0F 20: MOV r32, CRn. ModRM.mod is ignored: the operand is always a register. CR1 and
  // CR5-CR7 are #UD (an invalid-opcode class fault, checked before privilege); CR8 needs
  // REX and does not exist in legacy mode.
  const State& s = c.state();
  uint64_t v = 0;
  switch (i.reg) {
    case 0: v = s.cr0; break;
    case 2: v = s.cr2; break;
    case 3: v = s.cr3; break;
    case 4: v = s.cr4; break;
    default: c.fault(UD);
  }
  require_cpl0(c);
  if (c.non_root()) {  // SDM Vol.3 25.1.3 (CR3-store exiting), 25.3 (CR0/CR4 read shadows)
    c.virtualization()->intercept_cr_read(c, i.reg, i.rm);
    v = c.virtualization()->guest_cr_read(c, i.reg, v);
  }
  c.set_reg32(i.rm, uint32_t(v));
}

void mov_C_R(Cpu& c, const Insn& i) {
  if (i.reg != 0 && i.reg != 2 && i.reg != 3 && i.reg != 4) c.fault(UD);
  require_cpl0(c);
  uint64_t v = c.reg32(i.rm);
  if (c.non_root()) {  // SDM Vol.3 25.1.3 (CR0/CR4 masks, CR3-load exiting), 25.3
    c.virtualization()->intercept_cr_write(c, i.reg, i.rm, v);
    v = c.virtualization()->guest_cr_write(c, i.reg, v);
  }
  switch (i.reg) {
    case 0: c.write_cr0(v); break;
    case 2: c.state().cr2 = v; break;
    case 3: c.write_cr3(v); break;
    default: c.write_cr4(v); break;
  }
}

// ---------------------------------------------------------------------------------------
// Debug registers. Breakpoints are not matched yet, and DR7.GD (general detect, #DB on
// the next debug-register access) is not implemented: SDM marks it optional for us.

namespace {
unsigned debug_reg(Cpu& c, unsigned r) {
  // SDM Vol.3 17.2.2: DR4/DR5 alias DR6/DR7 unless CR4.DE, which makes them #UD.
  if (r == 4 || r == 5) {
    if (c.state().cr4 & cr4::DE) c.fault(UD);
    r += 2;
  }
  require_cpl0(c);
  return r;
}
}  // namespace

// SDM Vol.3 25.1.3 "MOV-DR exiting": an exception to 25.1.1, the exit takes priority over
// the CPL #GP and the DR4/DR5 #UD (CR4.DE = 1), so it is checked before debug_reg().
void mov_R_D(Cpu& c, const Insn& i) {
  if (c.non_root()) c.virtualization()->intercept_dr(c, i.reg, i.rm, true);
  const unsigned r = debug_reg(c, i.reg);
  c.set_reg32(i.rm, uint32_t(c.state().dr[r]));
}

void mov_D_R(Cpu& c, const Insn& i) {
  if (c.non_root()) c.virtualization()->intercept_dr(c, i.reg, i.rm, false);
  const unsigned r = debug_reg(c, i.reg);
  uint64_t v = c.reg32(i.rm);
  // Reserved bits keep their fixed values: DR6[11:4] and [31:16] read 1, DR6[12] 0;
  // DR7[10] reads 1, DR7[11], [12], [14], [15] read 0 (SDM Vol.3 17.2.3, 17.2.4).
  if (r == 6) v = (v & 0x0000E00F) | 0xFFFF0FF0;
  if (r == 7) v = (v | 0x400) & 0xFFFF27FF;
  c.state().dr[r] = v;
}

// ---------------------------------------------------------------------------------------
// MSRs

namespace {
// SDM Vol.3 11.12.2: valid PAT memory types are 0 (UC), 1 (WC), 4 (WT), 5 (WP), 6 (WB)
// and 7 (UC-).
bool valid_pat(uint64_t v) {
  for (unsigned k = 0; k < 8; ++k) {
    const unsigned t = (v >> (8 * k)) & 0xFF;
    if (t == 2 || t == 3 || t > 7) return false;
  }
  return true;
}
}  // namespace

bool Cpu::read_msr(uint32_t index, uint64_t& v) {
  const Msrs& m = s_.msrs;
  switch (index) {
    case msr::TSC: v = tsc(); return true;
    case msr::APIC_BASE: v = m.apic_base; return true;
    case msr::FEATURE_CONTROL: v = m.feature_control; return true;
    case msr::SYSENTER_CS: v = m.sysenter_cs; return true;
    case msr::SYSENTER_ESP: v = m.sysenter_esp; return true;
    case msr::SYSENTER_EIP: v = m.sysenter_eip; return true;
    case msr::MISC_ENABLE: v = m.misc_enable; return true;
    case msr::PAT: v = m.pat; return true;
    case msr::EFER: v = s_.efer; return true;
    case msr::TSC_AUX: v = m.tsc_aux; return true;
    default:
      // The VMX capability MSRs (0x480-0x491) exist only with VMX (vt/capabilities.h).
      return virt_ && virt_->read_msr(*this, index, v);
  }
}

bool Cpu::write_msr(uint32_t index, uint64_t v) {
  Msrs& m = s_.msrs;
  switch (index) {
    case msr::TSC:
      // SDM Vol.3 17.17: a write sets the counter; it keeps counting from that value.
      m.tsc_offset = v - s_.cycles;
      return true;
    case msr::APIC_BASE: {
      // BSP (8), global enable (11) and the base below MAXPHYADDR; the rest is reserved
      // (x2APIC, bit 10, is not supported).
      const uint64_t ok = (1u << 8) | (1u << 11) | (kPhysMask & ~0xFFFull);
      if (v & ~ok) fault(GP, 0);
      m.apic_base = v;
      return true;
    }
    case msr::FEATURE_CONTROL:
      // Lock (0), VMX inside SMX (1), VMX outside SMX (2). Once locked, writes #GP until
      // reset (SDM Vol.3 23.7).
      if ((m.feature_control & 1) || (v & ~0x7ull)) fault(GP, 0);
      m.feature_control = v;
      return true;
    case msr::SYSENTER_CS: m.sysenter_cs = v & 0xFFFFFFFF; return true;
    case msr::SYSENTER_ESP: m.sysenter_esp = v; return true;
    case msr::SYSENTER_EIP: m.sysenter_eip = v; return true;
    case msr::MISC_ENABLE: m.misc_enable = v; return true;
    case msr::PAT:
      if (!valid_pat(v)) fault(GP, 0);
      m.pat = v;
      return true;
    case msr::EFER: {
      // SCE and NXE are writable; LMA is read-only (writes ignored). LME is reserved until
      // IA-32e mode is implemented (CPUID does not advertise LM).
      if (v & ~(efer::SCE | efer::NXE | efer::LMA)) fault(GP, 0);
      const uint64_t nv = (v & (efer::SCE | efer::NXE)) | (s_.efer & efer::LMA);
      if ((nv ^ s_.efer) & efer::NXE) flush_tlb(true);  // cached rights depend on NXE
      s_.efer = nv;
      return true;
    }
    case msr::TSC_AUX:
      if (v >> 32) fault(GP, 0);
      m.tsc_aux = v;
      return true;
    default: return false;
  }
}

void rdmsr(Cpu& c, const Insn&) {
  require_cpl0(c);
  if (c.non_root()) c.virtualization()->intercept_msr(c, c.reg32(RCX), false);
  uint64_t v;
  if (!c.read_msr(c.reg32(RCX), v)) c.fault(GP, 0);
  // SDM Vol.3 25.3: RDMSR of IA32_TSC in the guest adds the TSC offset.
  if (c.non_root() && c.reg32(RCX) == msr::TSC) v += c.virtualization()->tsc_offset(c);
  c.set_reg32(RAX, uint32_t(v));
  c.set_reg32(RDX, uint32_t(v >> 32));
}

void wrmsr(Cpu& c, const Insn&) {
  require_cpl0(c);
  if (c.non_root()) c.virtualization()->intercept_msr(c, c.reg32(RCX), true);
  const uint64_t v = (uint64_t(c.reg32(RDX)) << 32) | c.reg32(RAX);
  if (!c.write_msr(c.reg32(RCX), v)) c.fault(GP, 0);
}

// ---------------------------------------------------------------------------------------
// Time stamp and performance counters

void rdtsc(Cpu& c, const Insn&) {
  // SDM Vol.2 RDTSC: #GP(0) when CR4.TSD = 1 and CPL > 0.
  if ((c.state().cr4 & cr4::TSD) && protected_like(c) && c.state().cpl > 0) c.fault(GP, 0);
  uint64_t t = c.tsc();
  if (c.non_root()) {  // SDM Vol.3 25.1.3 "RDTSC exiting", 25.3 "use TSC offsetting"
    c.virtualization()->intercept_insn(c, exit_reason::Rdtsc);
    t += c.virtualization()->tsc_offset(c);
  }
  c.set_reg32(RAX, uint32_t(t));
  c.set_reg32(RDX, uint32_t(t >> 32));
}

void rdpmc(Cpu& c, const Insn&) {
  // No performance counters are modelled (CPUID leaf 0AH is absent), so every ECX names an
  // invalid counter: SDM Vol.2 RDPMC raises #GP(0) for that at any CPL. In VMX non-root
  // operation "RDPMC exiting" comes first, after the privilege #GP (CPL > 0 with CR4.PCE =
  // 0; SDM Vol.3 25.1.1).
  if (c.non_root()) {
    if (!(c.state().cr4 & cr4::PCE) && (c.mode() == Mode::Virtual8086 || (protected_like(c) && c.state().cpl > 0)))
      c.fault(GP, 0);
    c.virtualization()->intercept_insn(c, exit_reason::Rdpmc);
  }
  c.fault(GP, 0);
}

// ---------------------------------------------------------------------------------------
// SYSENTER / SYSEXIT (SDM Vol.2; flat segments derived from IA32_SYSENTER_CS)

namespace {
constexpr uint32_t kFlatCode =
    ar::P | ar::S | ar::CODE | ar::READABLE | ar::ACCESSED | ar::DB | ar::G;
constexpr uint32_t kFlatData = ar::P | ar::S | ar::WRITABLE | ar::ACCESSED | ar::DB | ar::G;
}  // namespace

void sysenter(Cpu& c, const Insn&) {
  State& s = c.state();
  const uint16_t cs = uint16_t(s.msrs.sysenter_cs);
  if (c.mode() == Mode::Real || sel_index(cs) == 0) c.fault(GP, 0);
  if (c.mode() == Mode::Virtual8086) c.not_implemented("virtual-8086 mode");
  c.set_flags(c.flags() & ~(flag::VM | flag::IF | flag::RF));
  c.set_cs(SegmentCache{uint16_t(cs & 0xFFFC), 0, 0xFFFFFFFF, kFlatCode});
  s.seg[SS] = SegmentCache{uint16_t((cs & 0xFFFC) + 8), 0, 0xFFFFFFFF, kFlatData};
  s.gpr[RSP] = uint32_t(s.msrs.sysenter_esp);
  c.set_next_ip(uint32_t(s.msrs.sysenter_eip));
  c.set_cpl(0);
}

void sysexit(Cpu& c, const Insn&) {
  State& s = c.state();
  const uint16_t cs = uint16_t(s.msrs.sysenter_cs);
  if (c.mode() == Mode::Real || sel_index(cs) == 0 || s.cpl != 0) c.fault(GP, 0);
  constexpr uint32_t kDpl3 = 3u << 5;
  c.set_cs(SegmentCache{uint16_t(((cs & 0xFFFC) + 16) | 3), 0, 0xFFFFFFFF, kFlatCode | kDpl3});
  s.seg[SS] = SegmentCache{uint16_t(((cs & 0xFFFC) + 24) | 3), 0, 0xFFFFFFFF, kFlatData | kDpl3};
  s.gpr[RSP] = c.reg32(RCX);
  c.set_next_ip(c.reg32(RDX));
  c.set_cpl(3);
}

// ---------------------------------------------------------------------------------------
// CPUID

namespace {

// Basic leaves 0-7: leaf 7 is needed to advertise UMIP, which CR4 implements. Leaves 2-6
// report nothing (no cache or thermal information, no MONITOR/MWAIT).
constexpr uint32_t kMaxBasicLeaf = 7;
constexpr uint32_t kMaxExtLeaf = 0x80000008;

// CPUID.1:EDX — exactly what this interpreter implements (SDM Vol.2 CPUID Table 3-11):
//   PSE (3)    4 MiB pages with CR4.PSE                        paging.cpp
//   TSC (4)    RDTSC, CR4.TSD                                  system.cpp
//   MSR (5)    RDMSR/WRMSR                                     system.cpp
//   PAE (6)    PAE paging                                      paging.cpp
//   CX8 (8)    CMPXCHG8B                                       system.cpp (group 9)
//   APIC (9)   the platform maps a local APIC at IA32_APIC_BASE
//   SEP (11)   SYSENTER/SYSEXIT                                system.cpp
//   PGE (13)   global pages with CR4.PGE                       paging.cpp
//   CMOV (15)  CMOVcc                                          bits.cpp
//   PAT (16)   IA32_PAT (stored and validated; memory types are not modelled)
//   PSE-36 (17) 4 MiB PDE bits 20:13 give physical bits 39:32 paging.cpp
// Not advertised: FPU, VME and DE (no V86 mode, no breakpoint matching yet: CR4 accepts
// the bits but they change nothing), MCE/MCA (no machine checks), MTRR, PSN, CLFSH (no
// CLFLUSH), DS, ACPI, MMX, FXSR, SSE, SSE2, SS, HTT, TM, PBE.
constexpr uint32_t kLeaf1Edx = (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) |
                               (1u << 9) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) |
                               (1u << 17);
// CPUID.1:ECX — VMX (5) when the machine has VMX (a cpu::Virtualization is installed).
constexpr uint32_t kLeaf1Ecx = 0;
constexpr uint32_t kLeaf1EcxVmx = 1u << 5;
// CPUID.80000001H:EDX — NX (20, PAE execute-disable with EFER.NXE) and RDTSCP (27).
// SYSCALL (11) and LM (29) are IA-32e features, not implemented.
constexpr uint32_t kExt1Edx = (1u << 20) | (1u << 27);
constexpr char kBrand[] = "Ringside x86 simulator";

struct Regs {
  uint32_t a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid_leaf(uint32_t leaf, uint32_t subleaf, bool vmx) {
  Regs r;
  // SDM Vol.2 CPUID: a leaf above the maximum basic or extended leaf returns the data of
  // the highest basic leaf (Intel behaviour; AMD returns zeros).
  const bool basic_ok = leaf <= kMaxBasicLeaf;
  const bool ext_ok = leaf >= 0x80000000 && leaf <= kMaxExtLeaf;
  if (!basic_ok && !ext_ok) leaf = kMaxBasicLeaf;
  switch (leaf) {
    case 0:
      r.a = kMaxBasicLeaf;
      std::memcpy(&r.b, "Genu", 4);
      std::memcpy(&r.d, "ineI", 4);
      std::memcpy(&r.c, "ntel", 4);
      break;
    case 1:
      r.a = kResetEdx;  // family 6, model 0x3C, stepping 3
      r.b = 0;          // brand index 0, no CLFLUSH size, 1 logical CPU, APIC ID 0
      r.c = kLeaf1Ecx | (vmx ? kLeaf1EcxVmx : 0);
      r.d = kLeaf1Edx;
      break;
    case 2:
      r.a = 1;  // AL = 1: one CPUID(2) call; all descriptors null (no cache information)
      break;
    case 7:
      // Structured extended features, subleaf 0: EAX = highest subleaf (0), ECX bit 2 =
      // UMIP. No other feature here is implemented (no FSGSBASE, SMEP, SMAP, ...).
      if (subleaf == 0) r.c = 1u << 2;
      break;
    case 0x80000000: r.a = kMaxExtLeaf; break;
    case 0x80000001: r.d = kExt1Edx; break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      // 48 bytes of brand string, NUL-padded, 16 per leaf in EAX, EBX, ECX, EDX.
      char brand[48] = {};
      std::memcpy(brand, kBrand, sizeof kBrand);
      const char* p = brand + (leaf - 0x80000002) * 16;
      std::memcpy(&r.a, p, 4);
      std::memcpy(&r.b, p + 4, 4);
      std::memcpy(&r.c, p + 8, 4);
      std::memcpy(&r.d, p + 12, 4);
      break;
    }
    case 0x80000007:
      r.d = 1u << 8;  // invariant TSC: it counts cycles at a constant rate
      break;
    case 0x80000008:
      r.a = (48u << 8) | kMaxPhysBits;  // linear address bits, physical address bits
      break;
    default:  // 3-6, 0x80000005 and 0x80000006: nothing to report, zeros
      break;
  }
  return r;
}

}  // namespace

CpuidRegs cpuid_query(uint32_t leaf, uint32_t subleaf, bool vmx) {
  const Regs r = cpuid_leaf(leaf, subleaf, vmx);
  return {r.a, r.b, r.c, r.d};
}

void cpuid(Cpu& c, const Insn&) {
  if (c.non_root()) {  // SDM Vol.3 25.1.2: always exits (the loop performs it)
    c.vm_exit_insn_deferred(exit_reason::Cpuid);
    return;
  }
  const Regs r = cpuid_leaf(c.reg32(RAX), c.reg32(RCX), c.virtualization() != nullptr);
  c.set_reg32(RAX, r.a);
  c.set_reg32(RBX, r.b);
  c.set_reg32(RCX, r.c);
  c.set_reg32(RDX, r.d);
}

// ---------------------------------------------------------------------------------------
// Group 9 (0F C7), VMREAD/VMWRITE, RSM

void grp9(Cpu& c, const Insn& i) {
  if (i.reg == 1) {
    // CMPXCHG8B m64 (SDM Vol.2): compare EDX:EAX with m64; equal → ZF=1 and m64 ←
    // ECX:EBX; else ZF=0 and EDX:EAX ← m64. The destination is always written (with its
    // own value on a mismatch), so a read-only page faults either way.
    if (i.mod == 3) c.fault(UD);
    const uint64_t a = c.ea(i);
    const uint64_t m = c.read_sized_rmw(i.seg, a, 8);
    const uint64_t cmp = (uint64_t(c.reg32(RDX)) << 32) | c.reg32(RAX);
    if (m == cmp) {
      c.write_sized(i.seg, a, 8, (uint64_t(c.reg32(RCX)) << 32) | c.reg32(RBX));
      set_zf(c, true);
    } else {
      c.write_sized(i.seg, a, 8, m);
      c.set_reg32(RAX, uint32_t(m));
      c.set_reg32(RDX, uint32_t(m >> 32));
      set_zf(c, false);
    }
    return;
  }
  // /6 and /7 memory forms: VMPTRLD, VMCLEAR, VMXON, VMPTRST. The register forms
  // (RDRAND, RDSEED, RDPID) are not implemented: #UD, and CPUID does not advertise them.
  if (i.mod != 3) {
    if (Virtualization* v = c.virtualization(); v && v->vmx_instruction(c, uint16_t(i.op & 0xFF)))
      return;
  }
  c.fault(UD);
}

void vmx_insn(Cpu& c, const Insn& i) {
  // VMREAD (0F 78) / VMWRITE (0F 79), INVEPT (0F 38 80 -> 0x3880) / INVVPID (0F 38 81 ->
  // 0x3881): only with VMX (vt/); #UD otherwise.
  const uint16_t opcode = i.op >= kMap0F38 ? uint16_t(0x3800 | (i.op & 0xFF)) : uint16_t(i.op & 0xFF);
  if (Virtualization* v = c.virtualization(); v && v->vmx_instruction(c, opcode))
    return;
  c.fault(UD);
}

void rsm(Cpu& c, const Insn&) {
  // System-management mode is not modelled, so the CPU is never in SMM: #UD.
  c.fault(UD);
}

}  // namespace cpu
