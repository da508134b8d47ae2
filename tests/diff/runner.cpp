// tests/diff/runner.cpp — the two machines side by side.
#include "tests/diff/runner.h"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "cpu/cpu.h"
#include "cpu/decoder/decoder.h"
#include "cpu/decoder/opmap.h"
#include "cpu/exec/handlers.h"
#include "cpu/test_bus.h"
#include "tests/diff/allowlist.h"
#include "tests/diff/undefined.h"

// Unicorn 2.0.1 keeps a few translation-cache allocations past uc_close; they are not
// Ringside's, and LeakSanitizer would fail every run that links the harness.
extern "C" const char* __lsan_default_suppressions() { return "leak:libunicorn.so\n"; }

namespace difftest {

const char* mode_name(CodeMode m) { return m == CodeMode::Real16 ? "real16" : "flat32"; }

std::string hex_bytes(const uint8_t* p, size_t n) {
  std::string s;
  char buf[4];
  for (size_t k = 0; k < n; ++k) {
    std::snprintf(buf, sizeof buf, "%s%02x", k ? " " : "", p[k]);
    s += buf;
  }
  return s;
}

std::string regs_text(const Regs& r) {
  static const char* const kNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  std::string s;
  char buf[40];
  for (unsigned k = 0; k < 8; ++k) {
    std::snprintf(buf, sizeof buf, "%s=%08x ", kNames[k], r.gpr[k]);
    s += buf;
  }
  std::snprintf(buf, sizeof buf, "eip=%08x eflags=%08x", r.eip, r.eflags);
  return s + buf;
}

namespace {

// EFLAGS bits compared: CF PF AF ZF SF TF IF DF OF IOPL NT AC VIF VIP ID (not RF, VM).
constexpr uint32_t kFlagsCompared = 0x003C7FD5;

// The first exception the CPU reports. The harness gives Ringside an empty IDT (limit 0),
// so every exception ends in a triple fault with nothing pushed and EIP left on the
// faulting instruction: the state to compare is exactly the state at the fault.
class FaultCatcher final : public cpu::Observer {
 public:
  void on_event(const cpu::Event& e) override {
    if (e.kind == cpu::EventKind::Exception && vector < 0) {
      vector = e.vector;
      has_ec = e.has_error_code;
      error_code = e.error_code;
    }
  }
  int vector = -1;
  bool has_ec = false;
  uint32_t error_code = 0;
};

constexpr int kUcRegs[10] = {UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_EDX, UC_X86_REG_EBX,
                             UC_X86_REG_ESP, UC_X86_REG_EBP, UC_X86_REG_ESI, UC_X86_REG_EDI,
                             UC_X86_REG_EIP, UC_X86_REG_EFLAGS};

// MOVS CMPS STOS LODS SCAS (A4-AF except A8/A9).
bool is_string_op(uint16_t op) { return op >= 0xA4 && op <= 0xAF && op != 0xA8 && op != 0xA9; }

void check(uc_err e, const char* what) {
  if (e != UC_ERR_OK) throw std::runtime_error(std::string("unicorn: ") + what + ": " + uc_strerror(e));
}

}  // namespace

struct Runner::Impl {
  CodeMode mode;
  cpu::TestBus bus{0x20000};
  cpu::Cpu cpu{bus};
  cpu::State base;
  FaultCatcher catcher;

  uc_engine* uc = nullptr;
  uc_context* clean = nullptr;  // the CPU state before any case ran
  int uc_vector = -1;
  bool uc_unmapped = false;
  std::vector<uint8_t> uc_window, rs_window, code_buf;
  size_t code_used = kCodeSize;  // the first case clears the whole code area

  explicit Impl(CodeMode m) : mode(m), uc_window(kDataSize), rs_window(kDataSize) {
    check(uc_open(UC_ARCH_X86, m == CodeMode::Real16 ? UC_MODE_16 : UC_MODE_32, &uc), "open");
    // A P6-class model, as Ringside is: no BMI (F3 0F BC is BSF, not TZCNT), no LZCNT.
    check(uc_ctl_set_cpu_model(uc, UC_CPU_X86_PENTIUM3), "cpu model");
    check(uc_mem_map(uc, kCodeBase, kCodeSize, UC_PROT_ALL), "map code");
    check(uc_mem_map(uc, data_base(m), kDataSize, UC_PROT_ALL), "map data");
    uc_hook h;
    check(uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&on_intr), this, 1, 0), "hook intr");
    check(uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&on_invalid), this, 1, 0),
          "hook invalid");
    check(uc_hook_add(uc, &h, UC_HOOK_MEM_UNMAPPED, reinterpret_cast<void*>(&on_unmapped), this, 1, 0),
          "hook unmapped");

    cpu.set_observer(&catcher);
    if (m == CodeMode::Real16) {
      cpu.reset();
      for (auto& sg : cpu.state().seg) {
        sg.selector = 0;
        sg.base = 0;
      }
      uint16_t zero = 0;
      for (int r : {UC_X86_REG_CS, UC_X86_REG_DS, UC_X86_REG_ES, UC_X86_REG_SS, UC_X86_REG_FS, UC_X86_REG_GS})
        check(uc_reg_write(uc, r, &zero), "segment");
    } else {
      cpu.enter_flat_protected(kCodeBase, 0);
      // Unicorn's flat mode has null selectors in every segment register; only PUSH Sreg
      // and MOV r/m, Sreg can see them, and they should see the same values.
      const int uc_seg[6] = {UC_X86_REG_ES, UC_X86_REG_CS, UC_X86_REG_SS, UC_X86_REG_DS, UC_X86_REG_FS, UC_X86_REG_GS};
      for (unsigned k = 0; k < 6; ++k) {
        uint32_t sel = 0;
        check(uc_reg_read(uc, uc_seg[k], &sel), "segment");
        cpu.state().seg[k].selector = uint16_t(sel);
      }
    }
    cpu.state().idtr = {0, 0};  // see FaultCatcher
    base = cpu.state();
    check(uc_context_alloc(uc, &clean), "context");
    check(uc_context_save(uc, clean), "context save");
  }
  ~Impl() {
    uc_context_free(clean);
    uc_close(uc);
  }

  // Unicorn calls this for an exception or INT n instead of delivering it, then goes on at
  // EIP (the faulting instruction, or the next one after a trap), where count = 1 stops
  // it. The hook is told the vector only, never an error code.
  static void on_intr(uc_engine*, uint32_t intno, void* self) {
    Impl* me = static_cast<Impl*>(self);
    if (me->uc_vector < 0) me->uc_vector = int(intno);
  }
  // #UD: Unicorn ends the run with UC_ERR_INSN_INVALID.
  static bool on_invalid(uc_engine*, void* self) {
    Impl* me = static_cast<Impl*>(self);
    if (me->uc_vector < 0) me->uc_vector = cpu::UD;
    return false;
  }
  static bool on_unmapped(uc_engine*, uc_mem_type, uint64_t, int, int64_t, void* self) {
    static_cast<Impl*>(self)->uc_unmapped = true;
    return false;
  }

  Regs rs_regs() const {
    Regs r;
    for (unsigned k = 0; k < 8; ++k) r.gpr[k] = uint32_t(cpu.state().gpr[k]);
    r.eip = uint32_t(cpu.state().rip);
    r.eflags = cpu.flags();
    return r;
  }
  Regs uc_regs() {
    Regs r;
    void* ptrs[10];
    for (unsigned k = 0; k < 8; ++k) ptrs[k] = &r.gpr[k];
    ptrs[8] = &r.eip;
    ptrs[9] = &r.eflags;
    check(uc_reg_read_batch(uc, const_cast<int*>(kUcRegs), ptrs, 10), "read regs");
    return r;
  }
  void uc_set(const Regs& r) {
    Regs copy = r;
    void* ptrs[10];
    for (unsigned k = 0; k < 8; ++k) ptrs[k] = &copy.gpr[k];
    ptrs[8] = &copy.eip;
    ptrs[9] = &copy.eflags;
    check(uc_reg_write_batch(uc, const_cast<int*>(kUcRegs), ptrs, 10), "write regs");
  }

  void load(const Case& c) {
    // The case's code followed by NOPs over whatever the last case left.
    const size_t len = std::min<size_t>(kCodeSize, std::max(c.code.size(), code_used) + 16);
    code_buf.assign(len, 0x90);
    std::copy(c.code.begin(), c.code.end(), code_buf.begin());
    code_used = c.code.size();
    const auto& code = code_buf;
    cpu.state() = base;
    auto& s = cpu.state();
    for (unsigned k = 0; k < 8; ++k) s.gpr[k] = c.init.gpr[k];
    s.rip = c.init.eip;
    cpu.set_flags(c.init.eflags);
    bus.load(kCodeBase, code.data(), code.size());
    cpu.invalidate_code(kCodeBase, code.size());
    bus.load(data_base(mode), c.data.data(), c.data.size());

    // Unicorn 2.0.1 never finishes delivering an exception, so QEMU's record of the last
    // one (old_exception) survives the run: the next #DE would become #DF and the one after
    // vanish. Each case starts from the CPU context saved before any ran.
    check(uc_context_restore(uc, clean), "context restore");
    check(uc_mem_write(uc, kCodeBase, code.data(), code.size()), "write code");
    check(uc_ctl_remove_cache(uc, kCodeBase, kCodeBase + code.size()), "flush");
    check(uc_mem_write(uc, data_base(mode), c.data.data(), c.data.size()), "write data");
    uc_set(c.init);
  }

  std::string report(const Case& c, size_t index, const cpu::Insn& insn, const Regs& before,
                     const Regs& rs, const Regs& ucr, const std::string& operand, const std::string& why) {
    std::string s;
    char buf[160];
    const uint32_t off = before.eip - kCodeBase;
    std::snprintf(buf, sizeof buf, "%s mismatch: %s, instruction %zu of %zu (seed %llu)\n",
                  cpu::opcode_name(insn.op, insn.reg), mode_name(c.mode), index + 1, c.starts.size(),
                  static_cast<unsigned long long>(c.seed));
    s += buf;
    s += "  bytes:    " + hex_bytes(c.code.data() + off, std::min<size_t>(insn.len, c.code.size() - off)) + "\n";
    if (c.starts.size() > 1) s += "  sequence: " + hex_bytes(c.code.data(), c.code.size()) + "\n";
    s += "  initial:  " + regs_text(c.init) + "\n";
    s += "  before:   " + regs_text(before) + "\n";
    if (!operand.empty()) s += "  operand:  " + operand + "\n";
    s += "  ringside: " + regs_text(rs);
    if (catcher.vector >= 0) {
      std::snprintf(buf, sizeof buf, "  fault %d", catcher.vector);
      s += buf;
      if (catcher.has_ec) {
        std::snprintf(buf, sizeof buf, " (%04x)", catcher.error_code);
        s += buf;
      }
    }
    s += "\n  unicorn:  " + regs_text(ucr);
    if (uc_vector >= 0) s += "  fault " + std::to_string(uc_vector);
    s += "\n  differs:  " + why + "\n";
    return s;
  }

  bool run(const Case& c, Stats& st) {
    ++st.cases;
    if (std::getenv("RINGSIDE_DIFF_TRACE"))
      std::fprintf(stderr, "case %s seed %llu: %s\n", mode_name(c.mode), static_cast<unsigned long long>(c.seed),
                   hex_bytes(c.code.data(), c.code.size()).c_str());
    load(c);
    const bool code32 = mode == CodeMode::Flat32;
    const uint32_t end = kCodeBase + uint32_t(c.code.size());
    const MemReader mem = [this](uint32_t a, unsigned size) {
      uint64_t v = 0;
      for (unsigned k = 0; k < size; ++k)
        if (a + k < bus.ram().size()) v |= uint64_t(bus.ram()[a + k]) << (8 * k);
      return v;
    };
    for (size_t step = 0; step < c.starts.size(); ++step) {
      const Regs before = rs_regs();
      if (before.eip == end) break;
      const uint32_t off = before.eip - kCodeBase;
      if (off >= c.code.size()) break;  // a single branch that left the code: compared already
      cpu::Insn insn;
      cpu::decode_bytes(c.code.data() + off, unsigned(c.code.size() - off), code32, insn);
      const char* name = cpu::opcode_name(insn.op, insn.reg);
      const Undefined und = undefined_after(insn, before, code32, mem);
      // The memory operand before the instruction, for a report.
      const uint32_t operand_ea = insn.mem() ? effective_address(insn, before) : 0;
      const uint64_t operand_bytes = insn.mem() ? mem(operand_ea, 8) : 0;

      if (std::getenv("RINGSIDE_DIFF_TRACE"))
        std::fprintf(stderr, "  %s %s\n", name, hex_bytes(c.code.data() + off, insn.len).c_str());
      // Ringside.
      catcher.vector = -1;
      // A REP string instruction is one step however many iterations it takes: Ringside
      // does at most 256 per step and Unicorn (count = 1) one, each leaving EIP on the
      // instruction until the last.
      const bool rep_string = insn.rep && is_string_op(insn.op);
      cpu::StopReason why;
      unsigned guard = 0;
      do {
        why = cpu.run({UINT64_MAX, 1, UINT64_MAX});
      } while (rep_string && why == cpu::StopReason::StepLimit && catcher.vector < 0 &&
               cpu.state().rip == before.eip && ++guard < 100000);
      // Unicorn.
      uc_vector = -1;
      uc_unmapped = false;
      // One instruction: count = 1 (a REP string instruction, one iteration per call).
      uc_err err;
      guard = 0;
      for (;;) {
        err = uc_emu_start(uc, before.eip, 0, 0, 1);
        if (!rep_string || err != UC_ERR_OK || uc_vector >= 0 || uc_unmapped || ++guard > 100000) break;
        uint32_t eip = 0;
        check(uc_reg_read(uc, UC_X86_REG_EIP, &eip), "eip");
        if (eip != before.eip) break;
      }
      if (uc_unmapped || err == UC_ERR_READ_UNMAPPED || err == UC_ERR_WRITE_UNMAPPED ||
          err == UC_ERR_FETCH_UNMAPPED) {
        ++st.skipped;
        return true;
      }
      if (err == UC_ERR_INSN_INVALID) uc_vector = cpu::UD;
      else if (err != UC_ERR_OK) throw std::runtime_error(std::string("unicorn: run: ") + uc_strerror(err));

      Regs rs = rs_regs(), ucr = uc_regs();
      const int rv = catcher.vector;
      const bool trap = rv == cpu::BP || rv == cpu::OF;  // Unicorn reports EIP after traps
      std::string diff;
      char buf[120];
      if (why == cpu::StopReason::NotImplemented) diff += "ringside: not implemented: " + cpu.stop_detail() + "; ";
      if (rv != uc_vector) {
        std::snprintf(buf, sizeof buf, "fault %d vs %d; ", rv, uc_vector);
        diff += buf;
      }
      static const char* const kNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
      for (unsigned k = 0; k < 8; ++k) {
        if ((rs.gpr[k] ^ ucr.gpr[k]) & ~und.gpr_bits[k]) {
          std::snprintf(buf, sizeof buf, "%s %08x vs %08x; ", kNames[k], rs.gpr[k], ucr.gpr[k]);
          diff += buf;
        }
      }
      if (rs.eip != ucr.eip && !(trap && rv == uc_vector)) {
        std::snprintf(buf, sizeof buf, "eip %08x vs %08x; ", rs.eip, ucr.eip);
        diff += buf;
      }
      const uint32_t fmask = kFlagsCompared & ~und.flags;
      if ((rs.eflags ^ ucr.eflags) & fmask) {
        std::snprintf(buf, sizeof buf, "eflags %08x vs %08x (bits %08x); ", rs.eflags, ucr.eflags,
                      (rs.eflags ^ ucr.eflags) & fmask);
        diff += buf;
      }
      check(uc_mem_read(uc, data_base(mode), uc_window.data(), kDataSize), "read data");
      std::memcpy(rs_window.data(), bus.ram().data() + data_base(mode), kDataSize);
      for (uint32_t k = 0; k < und.mem_len; ++k) {
        const uint32_t a = und.mem_addr + k - data_base(mode);
        if (a < kDataSize) uc_window[a] = rs_window[a];
      }
      if (uc_window != rs_window) {
        size_t first = 0;
        while (uc_window[first] == rs_window[first]) ++first;
        std::snprintf(buf, sizeof buf, "memory at %08zx: %02x vs %02x; ", first + data_base(mode),
                      rs_window[first], uc_window[first]);
        diff += buf;
      }

      ++st.compared;
      ++st.compared_by_name[name];
      if (!diff.empty()) {
        const StepView v{mode, insn, name, before, rs, ucr, rv, uc_vector, fmask, uc_window == rs_window};
        if (unicorn_allowed(v)) {
          ++st.allowlisted;
          ++st.allowed_by_name[name];
          if (rv >= 0 || uc_vector >= 0) return true;
          uc_set(rs);  // continue from Ringside's state
          check(uc_mem_write(uc, data_base(mode), rs_window.data(), kDataSize), "sync data");
          continue;
        }
        ++st.mismatched;
        ++st.mismatches_by_name[name];
        if (st.first_mismatches.size() < st.keep) {
          std::string operand;
          if (insn.mem()) {
            char at[24];
            std::snprintf(at, sizeof at, "[%08x] = ", operand_ea);
            operand = at + hex_bytes(reinterpret_cast<const uint8_t*>(&operand_bytes), 8);
          }
          st.first_mismatches.push_back(report(c, step, insn, before, rs, ucr, operand, diff));
        }
        return false;
      }
      if (rv >= 0) {  // the same fault on both: the case ends here
        ++st.faults;
        return true;
      }
      // Undefined results: copy Ringside's into Unicorn so they do not spread.
      bool resync = (rs.eflags ^ ucr.eflags) != 0;
      for (unsigned k = 0; k < 8; ++k) resync |= rs.gpr[k] != ucr.gpr[k];
      if (resync) uc_set(rs);
      if (und.mem_len) check(uc_mem_write(uc, data_base(mode), rs_window.data(), kDataSize), "sync data");
    }
    return true;
  }
};

Runner::Runner(CodeMode mode) : p_(std::make_unique<Impl>(mode)) {}
Runner::~Runner() = default;
bool Runner::run(const Case& c, Stats& stats) { return p_->run(c, stats); }

void Stats::merge(const Stats& o) {
  cases += o.cases;
  compared += o.compared;
  faults += o.faults;
  skipped += o.skipped;
  allowlisted += o.allowlisted;
  mismatched += o.mismatched;
  for (const auto& [k, v] : o.compared_by_name) compared_by_name[k] += v;
  for (const auto& [k, v] : o.mismatches_by_name) mismatches_by_name[k] += v;
  for (const auto& [k, v] : o.allowed_by_name) allowed_by_name[k] += v;
  for (const auto& m : o.first_mismatches)
    if (first_mismatches.size() < keep) first_mismatches.push_back(m);
}

std::string Stats::table() const {
  std::string s;
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "cases %llu, instructions compared %llu (%llu ended in the same fault), "
                "cases cut short by an unmapped access %llu, allow-listed %llu, mismatches %llu\n",
                static_cast<unsigned long long>(cases), static_cast<unsigned long long>(compared),
                static_cast<unsigned long long>(faults), static_cast<unsigned long long>(skipped),
                static_cast<unsigned long long>(allowlisted), static_cast<unsigned long long>(mismatched));
  s += buf;
  s += "mnemonic       compared  mismatches  allow-listed\n";
  for (const auto& [name, n] : compared_by_name) {
    const auto m = mismatches_by_name.find(name);
    const auto a = allowed_by_name.find(name);
    std::snprintf(buf, sizeof buf, "%-12s %10llu  %10llu  %12llu\n", name.c_str(),
                  static_cast<unsigned long long>(n),
                  static_cast<unsigned long long>(m == mismatches_by_name.end() ? 0 : m->second),
                  static_cast<unsigned long long>(a == allowed_by_name.end() ? 0 : a->second));
    s += buf;
  }
  return s;
}

}  // namespace difftest
