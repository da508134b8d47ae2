// cpu/mmu/transfer.cpp — far JMP, far CALL, far RET and IRET in real and 32-bit protected
// mode: code-segment privilege rules, call gates with the TSS stack switch and parameter
// copy, returns to an outer privilege level.
//
// The authority is the "Operation" section of each instruction in SDM Vol.2 (JMP, CALL,
// RET, IRET) and SDM Vol.3 5.8 (privilege level checks when transferring program control).
// Every procedure follows the same shape as Cpu::deliver_protected: all checks first, then
// the stack frame is written, and only then are registers committed, so a fault at any
// point leaves the architectural registers as they were before the instruction.
#include <array>

#include "cpu/cpu.h"
#include "cpu/internal.h"

namespace cpu {

namespace {

// System descriptor types (S = 0), SDM Vol.3 Table 3-2.
enum SysType : uint32_t {
  kTss16Avail = 0x1, kLdt = 0x2, kTss16Busy = 0x3, kCallGate16 = 0x4, kTaskGate = 0x5,
  kTss32Avail = 0x9, kTss32Busy = 0xB, kCallGate32 = 0xC,
};

constexpr uint16_t sel_index(uint16_t sel) { return sel & 0xFFFC; }  // error code form
constexpr uint8_t rpl_of(uint16_t sel) { return sel & 3; }

// Decoded fields of a call gate (SDM Vol.3 5.8.3, Figure 5-8).
struct CallGate {
  uint16_t selector;
  uint32_t offset;
  unsigned params;  // parameter count, 5 bits
  unsigned size;    // 2 for a 16-bit gate, 4 for a 32-bit gate
};

CallGate decode_gate(uint64_t d) {
  const bool g32 = ((d >> 40) & 0xF) == kCallGate32;
  CallGate g;
  g.selector = uint16_t(d >> 16);
  g.offset = uint32_t(d & 0xFFFF);
  if (g32) g.offset |= uint32_t((d >> 32) & 0xFFFF0000);
  g.params = unsigned((d >> 32) & 0x1F);
  g.size = g32 ? 4 : 2;
  return g;
}

// True when the `bytes` bytes starting at offset `low` are inside stack segment `ss`
// (expand-up or expand-down, SDM Vol.3 5.3).
bool stack_range_ok(const SegmentCache& ss, uint64_t low, uint64_t bytes) {
  const uint64_t upper = ss.big() ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t last = low + bytes - 1;
  if (ss.attr & ar::EXPAND_DOWN) return low > ss.limit && last <= upper;
  return last <= ss.limit;
}

// Up to 31 copied parameters plus SS, ESP, CS and EIP.
struct Frame {
  std::array<uint64_t, 40> v{};
  unsigned n = 0;
  void push(uint64_t x) { v[n++] = x; }
};

// Writes `f` (f.v[0] pushed first) below `sp` on stack segment `ss` with pushes of `size`
// bytes, raising #SS(ss_ec) when the frame leaves the segment. `supervisor` selects the
// paging rights (true for a stack of CPL 0-2 after a privilege change). Returns the new
// stack pointer. Writes memory only: no register changes.
uint64_t write_frame(Cpu& c, const SegmentCache& ss, uint64_t sp, unsigned size, const Frame& f,
                     bool supervisor, uint32_t ss_ec) {
  const uint64_t mask = ss.big() ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t total = uint64_t(f.n) * size;
  const uint64_t top = (sp - total) & mask;
  if (!stack_range_ok(ss, top, total)) c.fault(SS_, ss_ec);
  for (unsigned k = 0; k < f.n; ++k) {
    const uint64_t a = (sp - uint64_t(k + 1) * size) & mask;
    c.write_linear((ss.base + a) & 0xFFFFFFFF, size, f.v[k], supervisor);
  }
  return top;
}

void commit_sp(Cpu& c, const SegmentCache& ss, uint64_t v) {
  State& s = c.state();
  if (ss.big()) s.gpr[RSP] = uint32_t(v);
  else s.gpr[RSP] = (s.gpr[RSP] & ~0xFFFFull) | (v & 0xFFFF);
}

// SDM Vol.2 RET / IRET "return to outer privilege level": a data segment register (or one
// holding non-conforming code) whose DPL is below the new CPL is loaded with the null
// selector, so the outer procedure cannot use a more privileged segment left behind.
void null_inaccessible_data_segments(Cpu& c, uint8_t new_cpl) {
  State& s = c.state();
  for (unsigned sg : {ES, DS, FS, GS}) {
    SegmentCache& sc = s.seg[sg];
    if (sc.unusable()) continue;
    const bool data_or_nc_code =
        (sc.attr & ar::S) && (!(sc.attr & ar::CODE) || !(sc.attr & ar::CONFORMING));
    if (data_or_nc_code && sc.dpl() < new_cpl) {
      sc.selector = 0;
      sc.base = 0;
      sc.limit = 0;
      sc.attr = ar::UNUSABLE;
    }
  }
}

// The checks on a new stack segment for a return to an outer level (SDM Vol.2 RET/IRET):
// null → #GP(0); outside the table, RPL ≠ return CS RPL, not writable data, DPL ≠ RPL →
// #GP(selector); not present → #SS(selector).
SegmentCache check_outer_ss(Cpu& c, uint16_t ss_sel, uint8_t rpl, uint64_t& desc) {
  if (sel_index(ss_sel) == 0) c.fault(GP, 0);
  if (!c.read_descriptor(ss_sel, desc)) c.fault(GP, sel_index(ss_sel));
  SegmentCache ss = Cpu::cache_from_descriptor(ss_sel, desc);
  if (rpl_of(ss_sel) != rpl || !(ss.attr & ar::S) || (ss.attr & ar::CODE) ||
      !(ss.attr & ar::WRITABLE) || ss.dpl() != rpl)
    c.fault(GP, sel_index(ss_sel));
  if (!(ss.attr & ar::P)) c.fault(SS_, sel_index(ss_sel));
  return ss;
}

// The checks on the code segment of a far RET or IRET (SDM Vol.2 RET "PROTECTED-MODE"):
// returns the cache for `sel`.
SegmentCache check_return_cs(Cpu& c, uint16_t sel, uint64_t& desc) {
  if (sel_index(sel) == 0) c.fault(GP, 0);
  if (!c.read_descriptor(sel, desc)) c.fault(GP, sel_index(sel));
  SegmentCache cs = Cpu::cache_from_descriptor(sel, desc);
  if (!cs.code()) c.fault(GP, sel_index(sel));
  const uint8_t rpl = rpl_of(sel);
  if (rpl < c.state().cpl) c.fault(GP, sel_index(sel));
  const bool conforming = cs.attr & ar::CONFORMING;
  if (conforming ? cs.dpl() > rpl : cs.dpl() != rpl) c.fault(GP, sel_index(sel));
  if (!(cs.attr & ar::P)) c.fault(NP, sel_index(sel));
  return cs;
}

// The TSS checks shared by JMP and CALL before a task switch, which is not implemented.
[[noreturn]] void task_target(Cpu& c, uint16_t sel, const SegmentCache& d) {
  const uint32_t type = d.attr & ar::TYPE;
  if (d.dpl() < c.state().cpl || d.dpl() < rpl_of(sel)) c.fault(GP, sel_index(sel));
  if (type == kTss16Busy || type == kTss32Busy) c.fault(GP, sel_index(sel));
  if (!(d.attr & ar::P)) c.fault(NP, sel_index(sel));
  c.not_implemented("hardware task switch");
}

// A far JMP or CALL straight to a code segment (SDM Vol.2 JMP/CALL, protected mode):
// conforming code needs DPL <= CPL (RPL ignored); non-conforming needs RPL <= CPL and
// DPL = CPL; then present, else #NP(selector).
void check_direct_code_target(Cpu& c, uint16_t selector, const SegmentCache& d) {
  const uint8_t cpl = c.state().cpl;
  if (!d.code()) c.fault(GP, sel_index(selector));
  if (d.attr & ar::CONFORMING) {
    if (d.dpl() > cpl) c.fault(GP, sel_index(selector));
  } else if (rpl_of(selector) > cpl || d.dpl() != cpl) {
    c.fault(GP, sel_index(selector));
  }
  if (!(d.attr & ar::P)) c.fault(NP, sel_index(selector));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Far JMP

void Cpu::far_jump(uint16_t selector, uint64_t offset, unsigned opsize) {
  const Mode m = mode();
  if (m == Mode::Virtual8086) not_implemented("virtual-8086 mode");
  if (m == Mode::Long) not_implemented("far JMP in IA-32e mode");
  if (opsize == 2) offset &= 0xFFFF;
  offset &= 0xFFFFFFFF;
  if (m == Mode::Real) {
    // SDM Vol.2 JMP, real-address mode: #GP(0) if the offset is beyond the CS limit.
    if (offset > s_.seg[CS].limit) fault(GP, 0);
    load_seg_real(CS, selector);
    next_ip_ = offset;
    return;
  }
  // SDM Vol.2 JMP, protected mode.
  if (sel_index(selector) == 0) fault(GP, 0);
  uint64_t desc;
  if (!read_descriptor(selector, desc)) fault(GP, sel_index(selector));
  SegmentCache d = cache_from_descriptor(selector, desc);
  const uint8_t rpl = rpl_of(selector);
  const uint8_t cpl = s_.cpl;
  uint16_t code_sel = selector;
  uint64_t code_desc = desc;
  SegmentCache cs = d;

  if (d.attr & ar::S) {
    check_direct_code_target(*this, selector, d);
  } else {
    const uint32_t type = d.attr & ar::TYPE;
    if (type == kTaskGate || type == kTss16Avail || type == kTss32Avail || type == kTss16Busy ||
        type == kTss32Busy)
      task_target(*this, selector, d);
    if (type != kCallGate16 && type != kCallGate32) fault(GP, sel_index(selector));
    // Through a call gate: gate DPL >= CPL and >= RPL; a JMP never changes privilege, so
    // the target must be conforming with DPL <= CPL or non-conforming with DPL = CPL.
    if (d.dpl() < cpl || d.dpl() < rpl) fault(GP, sel_index(selector));
    if (!(d.attr & ar::P)) fault(NP, sel_index(selector));
    const CallGate g = decode_gate(desc);
    code_sel = g.selector;
    offset = g.offset;
    if (sel_index(code_sel) == 0) fault(GP, 0);
    if (!read_descriptor(code_sel, code_desc)) fault(GP, sel_index(code_sel));
    cs = cache_from_descriptor(code_sel, code_desc);
    if (!cs.code()) fault(GP, sel_index(code_sel));
    if ((cs.attr & ar::CONFORMING) ? cs.dpl() > cpl : cs.dpl() != cpl)
      fault(GP, sel_index(code_sel));
    if (!(cs.attr & ar::P)) fault(NP, sel_index(code_sel));
  }
  if (offset > cs.limit) fault(GP, 0);
  write_descriptor_accessed(code_sel, code_desc);
  cs.attr |= ar::ACCESSED;
  cs.selector = uint16_t((code_sel & 0xFFFC) | cpl);  // RPL of CS is always the CPL
  set_cs(cs);
  next_ip_ = offset;
}

// ---------------------------------------------------------------------------------------
// Far CALL

void Cpu::far_call(uint16_t selector, uint64_t offset, unsigned opsize) {
  const Mode m = mode();
  if (m == Mode::Virtual8086) not_implemented("virtual-8086 mode");
  if (m == Mode::Long) not_implemented("far CALL in IA-32e mode");
  if (opsize == 2) offset &= 0xFFFF;
  offset &= 0xFFFFFFFF;
  const uint64_t ret_ip = next_ip_;
  if (m == Mode::Real) {
    // SDM Vol.2 CALL, real-address mode: push CS then IP (operand size), #GP(0) when the
    // target is beyond the CS limit.
    if (offset > s_.seg[CS].limit) fault(GP, 0);
    Frame f;
    f.push(s_.seg[CS].selector);
    f.push(ret_ip);
    const uint64_t nsp = write_frame(*this, s_.seg[SS], sp(), opsize, f, false, 0);
    load_seg_real(CS, selector);
    commit_sp(*this, s_.seg[SS], nsp);
    next_ip_ = offset;
    return;
  }

  // SDM Vol.2 CALL, protected mode.
  if (sel_index(selector) == 0) fault(GP, 0);
  uint64_t desc;
  if (!read_descriptor(selector, desc)) fault(GP, sel_index(selector));
  SegmentCache d = cache_from_descriptor(selector, desc);
  const uint8_t rpl = rpl_of(selector);
  const uint8_t cpl = s_.cpl;

  if (d.attr & ar::S) {
    check_direct_code_target(*this, selector, d);
    // Push the return address with the instruction's operand size; #SS(0) without room,
    // then #GP(0) for a target beyond the limit.
    Frame f;
    f.push(s_.seg[CS].selector);
    f.push(ret_ip);
    const uint64_t top = (sp() - 2ull * opsize) & (stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull);
    if (!stack_range_ok(s_.seg[SS], top, 2ull * opsize)) fault(SS_, 0);
    if (offset > d.limit) fault(GP, 0);
    const uint64_t nsp = write_frame(*this, s_.seg[SS], sp(), opsize, f, false, 0);
    write_descriptor_accessed(selector, desc);
    d.attr |= ar::ACCESSED;
    d.selector = uint16_t((selector & 0xFFFC) | cpl);
    set_cs(d);
    commit_sp(*this, s_.seg[SS], nsp);
    next_ip_ = offset;
    return;
  }

  const uint32_t type = d.attr & ar::TYPE;
  if (type == kTaskGate || type == kTss16Avail || type == kTss32Avail || type == kTss16Busy ||
      type == kTss32Busy)
    task_target(*this, selector, d);
  if (type != kCallGate16 && type != kCallGate32) fault(GP, sel_index(selector));

  // SDM Vol.2 CALL "CALL-GATE": gate DPL >= CPL and >= RPL, present; the target code
  // segment must be code with DPL <= CPL and present.
  if (d.dpl() < cpl || d.dpl() < rpl) fault(GP, sel_index(selector));
  if (!(d.attr & ar::P)) fault(NP, sel_index(selector));
  const CallGate g = decode_gate(desc);
  if (sel_index(g.selector) == 0) fault(GP, 0);
  uint64_t cdesc;
  if (!read_descriptor(g.selector, cdesc)) fault(GP, sel_index(g.selector));
  SegmentCache cs = cache_from_descriptor(g.selector, cdesc);
  if (!cs.code() || cs.dpl() > cpl) fault(GP, sel_index(g.selector));
  if (!(cs.attr & ar::P)) fault(NP, sel_index(g.selector));
  const unsigned psize = g.size;
  const uint64_t target = g.offset;

  if (!(cs.attr & ar::CONFORMING) && cs.dpl() < cpl) {
    // MORE-PRIVILEGE: the new stack comes from the TSS for the target's DPL (SDM Vol.3
    // 5.8.5, Figure 5-13), and the gate's parameter count of words/dwords is copied from
    // the caller's stack.
    const uint8_t new_cpl = uint8_t(cs.dpl());
    const InnerStack st = inner_stack(new_cpl, 0);
    SegmentCache ss = st.ss;
    const uint16_t ss_sel = ss.selector;
    const uint64_t sdesc = st.desc;
    const uint64_t new_sp = st.sp;
    // "IF stack does not have room for parameters plus 16 bytes THEN #SS(SS selector)".
    const uint64_t total = uint64_t(g.params + 4) * psize;
    const uint64_t smask = ss.big() ? 0xFFFFFFFFull : 0xFFFFull;
    if (!stack_range_ok(ss, (new_sp - total) & smask, total)) fault(SS_, sel_index(ss_sel));
    if (target > cs.limit) fault(GP, 0);

    // Read the parameters from the caller's stack (at the caller's privilege), deepest
    // first so the copy keeps their order.
    Frame f;
    f.push(s_.seg[SS].selector);
    f.push(psize == 4 ? uint32_t(s_.gpr[RSP]) : uint16_t(s_.gpr[RSP]));
    const uint64_t old_mask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
    for (unsigned k = g.params; k-- > 0;)
      f.push(read_sized(SS, (sp() + uint64_t(k) * psize) & old_mask, psize));
    f.push(s_.seg[CS].selector);
    f.push(ret_ip);
    const uint64_t top = write_frame(*this, ss, new_sp, psize, f, new_cpl != 3, sel_index(ss_sel));

    write_descriptor_accessed(ss_sel, sdesc);
    write_descriptor_accessed(g.selector, cdesc);
    // Commit.
    ss.attr |= ar::ACCESSED;
    ss.selector = uint16_t((ss_sel & 0xFFFC) | new_cpl);
    s_.seg[SS] = ss;
    commit_sp(*this, ss, top);
    cs.attr |= ar::ACCESSED;
    cs.selector = uint16_t((g.selector & 0xFFFC) | new_cpl);
    set_cs(cs);
    next_ip_ = target;
    set_cpl(new_cpl);
    return;
  }

  // SAME-PRIVILEGE through the gate: push CS:EIP with the gate's size.
  Frame f;
  f.push(s_.seg[CS].selector);
  f.push(ret_ip);
  const uint64_t top = (sp() - 2ull * psize) & (stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull);
  if (!stack_range_ok(s_.seg[SS], top, 2ull * psize)) fault(SS_, 0);
  if (target > cs.limit) fault(GP, 0);
  const uint64_t nsp = write_frame(*this, s_.seg[SS], sp(), psize, f, false, 0);
  write_descriptor_accessed(g.selector, cdesc);
  cs.attr |= ar::ACCESSED;
  cs.selector = uint16_t((g.selector & 0xFFFC) | cpl);
  set_cs(cs);
  commit_sp(*this, s_.seg[SS], nsp);
  next_ip_ = target;
}

// ---------------------------------------------------------------------------------------
// Far RET

void Cpu::far_return(unsigned opsize, uint16_t pop_bytes) {
  const Mode m = mode();
  if (m == Mode::Virtual8086) not_implemented("virtual-8086 mode");
  if (m == Mode::Long) not_implemented("far RET in IA-32e mode");
  const uint64_t smask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t sp0 = sp();
  const uint64_t omask = opsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  // Both reads check the stack limit (#SS(0)) before anything changes.
  const uint64_t new_ip = read_sized(SS, sp0, opsize) & omask;
  const uint16_t new_cs = uint16_t(read_sized(SS, (sp0 + opsize) & smask, 2));

  if (m == Mode::Real) {
    if (new_ip > s_.seg[CS].limit) fault(GP, 0);
    load_seg_real(CS, new_cs);
    set_sp(sp0 + 2ull * opsize + pop_bytes);
    next_ip_ = new_ip;
    return;
  }

  // SDM Vol.2 RET, protected mode.
  uint64_t cdesc;
  SegmentCache cs = check_return_cs(*this, new_cs, cdesc);
  const uint8_t rpl = rpl_of(new_cs);
  if (rpl == s_.cpl) {
    // RETURN-TO-SAME-PRIVILEGE-LEVEL.
    if (new_ip > cs.limit) fault(GP, 0);
    write_descriptor_accessed(new_cs, cdesc);
    cs.attr |= ar::ACCESSED;
    set_cs(cs);
    set_sp(sp0 + 2ull * opsize + pop_bytes);
    next_ip_ = new_ip;
    return;
  }

  // RETURN-TO-OUTER-PRIVILEGE-LEVEL: the caller's ESP and SS sit above the parameters
  // that RET imm16 releases (SDM Vol.3 Figure 5-13).
  const uint64_t above = sp0 + 2ull * opsize + pop_bytes;
  const uint64_t new_esp = read_sized(SS, above & smask, opsize);
  const uint16_t new_ss = uint16_t(read_sized(SS, (above + opsize) & smask, 2));
  uint64_t sdesc;
  SegmentCache ss = check_outer_ss(*this, new_ss, rpl, sdesc);
  if (new_ip > cs.limit) fault(GP, 0);

  write_descriptor_accessed(new_cs, cdesc);
  write_descriptor_accessed(new_ss, sdesc);
  cs.attr |= ar::ACCESSED;
  ss.attr |= ar::ACCESSED;
  set_cs(cs);
  s_.seg[SS] = ss;
  // "ESP ← ESP + SRC" after the switch releases the parameters on the caller's stack too.
  const uint64_t nmask = ss.big() ? 0xFFFFFFFFull : 0xFFFFull;
  commit_sp(*this, ss, (new_esp + pop_bytes) & nmask);
  next_ip_ = new_ip;
  set_cpl(rpl);
  null_inaccessible_data_segments(*this, rpl);
}

// ---------------------------------------------------------------------------------------
// IRET

namespace {

// SDM Vol.2 IRET: the EFLAGS bits an IRET image may change, with the POPF-like rules: IF
// only when CPL <= IOPL, IOPL (and VIF/VIP) only at CPL 0, the upper word only with a
// 32-bit operand size. `cpl` is the privilege level before the return.
uint32_t merge_iret_flags(uint32_t old, uint32_t img, unsigned opsize, unsigned cpl) {
  uint32_t mask = flag::CF | flag::PF | flag::AF | flag::ZF | flag::SF | flag::TF | flag::DF |
                  flag::OF | flag::NT;
  if (opsize == 4) mask |= flag::RF | flag::AC | flag::ID;
  const unsigned iopl = (old & flag::IOPL) >> 12;
  if (cpl <= iopl) mask |= flag::IF;
  if (cpl == 0) {
    mask |= flag::IOPL;
    if (opsize == 4) mask |= flag::VIF | flag::VIP;
  }
  return (old & ~mask) | (img & mask);
}

}  // namespace

void Cpu::iret(unsigned opsize) {
  const Mode m = mode();
  if (m == Mode::Virtual8086) not_implemented("virtual-8086 mode");
  if (m == Mode::Long) not_implemented("IRET in IA-32e mode");
  // SDM Vol.3 6.7.1 / 27.2.3 ("NMI unblocking due to IRET"): executing IRET unblocks NMIs
  // even when the IRET itself then faults. In VMX non-root operation vt/ decides (SDM 25.3).
  if (s_.non_root) virt_->iret_unblocks_nmi(*this);
  else s_.nmi_blocked = false;

  const uint64_t smask = stack_size() == 4 ? 0xFFFFFFFFull : 0xFFFFull;
  const uint64_t sp0 = sp();
  const uint64_t omask = opsize == 2 ? 0xFFFF : 0xFFFFFFFF;
  const uint32_t old = flags();

  if (m == Mode::Real) {
    // SDM Vol.2 IRET, real-address mode.
    const uint64_t new_ip = read_sized(SS, sp0, opsize) & omask;
    const uint16_t new_cs = uint16_t(read_sized(SS, (sp0 + opsize) & smask, 2));
    const uint32_t img = uint32_t(read_sized(SS, (sp0 + 2ull * opsize) & smask, opsize));
    if (new_ip > s_.seg[CS].limit) fault(GP, 0);
    // 32-bit: EFLAGS ← (tempEFLAGS AND 257FD5H) OR (EFLAGS AND 1A0000H); 16-bit: FLAGS.
    const uint32_t nf = opsize == 4 ? ((img & 0x257FD5) | (old & 0x1A0000))
                                    : ((old & 0xFFFF0000) | (img & 0xFFFF));
    load_seg_real(CS, new_cs);
    set_sp(sp0 + 3ull * opsize);
    set_flags(nf);
    next_ip_ = new_ip;
    return;
  }

  if (old & flag::NT) not_implemented("hardware task switch");  // IRET to the back link
  const uint64_t new_ip = read_sized(SS, sp0, opsize) & omask;
  const uint16_t new_cs = uint16_t(read_sized(SS, (sp0 + opsize) & smask, 2));
  const uint32_t img = uint32_t(read_sized(SS, (sp0 + 2ull * opsize) & smask, opsize));
  // A 32-bit image with VM=1 popped at CPL 0 returns to virtual-8086 mode.
  if (opsize == 4 && (img & flag::VM) && s_.cpl == 0) not_implemented("virtual-8086 mode");

  uint64_t cdesc;
  SegmentCache cs = check_return_cs(*this, new_cs, cdesc);
  const uint8_t rpl = rpl_of(new_cs);
  const uint8_t cpl = s_.cpl;
  const uint32_t nf = merge_iret_flags(old, img, opsize, cpl);

  if (rpl == cpl) {
    // RETURN-TO-SAME-PRIVILEGE-LEVEL.
    if (new_ip > cs.limit) fault(GP, 0);
    write_descriptor_accessed(new_cs, cdesc);
    cs.attr |= ar::ACCESSED;
    set_cs(cs);
    set_sp(sp0 + 3ull * opsize);
    set_flags(nf);
    next_ip_ = new_ip;
    return;
  }

  // RETURN-TO-OUTER-PRIVILEGE-LEVEL: ESP and SS follow the EFLAGS image.
  const uint64_t new_esp = read_sized(SS, (sp0 + 3ull * opsize) & smask, opsize);
  const uint16_t new_ss = uint16_t(read_sized(SS, (sp0 + 4ull * opsize) & smask, 2));
  uint64_t sdesc;
  SegmentCache ss = check_outer_ss(*this, new_ss, rpl, sdesc);
  if (new_ip > cs.limit) fault(GP, 0);

  write_descriptor_accessed(new_cs, cdesc);
  write_descriptor_accessed(new_ss, sdesc);
  cs.attr |= ar::ACCESSED;
  ss.attr |= ar::ACCESSED;
  set_cs(cs);
  s_.seg[SS] = ss;
  commit_sp(*this, ss, new_esp);
  set_flags(nf);
  next_ip_ = new_ip;
  set_cpl(rpl);
  null_inaccessible_data_segments(*this, rpl);
}

}  // namespace cpu
