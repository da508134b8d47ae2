// The Popek–Goldberg catalog (vt/sensitive.h) and the CPU's SensitiveInstruction reports:
// each reported entry run at CPL 3 (event, and the architectural result per its SDM Vol.2
// page) and at CPL 0 (no event), and on the --virtualizable machine (#GP(0) at CPL 3,
// unchanged at CPL 0).
#include <set>
#include <string>
#include <vector>

#include "tests/unit/cpu_sys_fixture.h"
#include "vt/sensitive.h"

using namespace cputest;
using namespace cpu;

namespace {

class Recorder final : public Observer {
 public:
  void on_event(const Event& e) override {
    if (e.kind == EventKind::SensitiveInstruction || e.kind == EventKind::Exception) events.push_back(e);
  }
  std::vector<Event> events;
};

class Pg : public SysTest {
 protected:
  Pg() { cpu.set_observer(&rec); }

  // Protected mode with rings; `ring` 3 enters the flat ring-3 segments at kCode.
  void at_ring(unsigned ring, bool virtualizable = false) {
    setup_pm();
    cpu.set_virtualizable(virtualizable);
    if (ring == 3) enter_ring3(kCode, kStack3);
    rec.events.clear();
  }

  // Runs one instruction at kCode; returns the SensitiveInstruction events it reported.
  std::vector<Event> step(std::initializer_list<uint8_t> bytes) {
    code(bytes);
    cpu.state().rip = kCode;
    rec.events.clear();
    run(1);
    return sensitive();
  }
  std::vector<Event> sensitive() const {
    std::vector<Event> out;
    for (const Event& e : rec.events)
      if (e.kind == EventKind::SensitiveInstruction) out.push_back(e);
    return out;
  }

  // The --virtualizable trap: the instruction at kCode raises #GP(0) with no effect; the
  // events are SensitiveInstruction (trapped) then the #GP exception.
  void expect_trap(std::initializer_list<uint8_t> bytes, Sensitive id) {
    const uint32_t esp0 = esp();
    const uint64_t count0 = cpu.event_counts()[EventKind::SensitiveInstruction];
    EXPECT_EQ(fault_of(bytes), GP);
    EXPECT_EQ(error_code(), 0u);
    EXPECT_EQ(stack_dword(1), kCode);  // the faulting instruction's EIP
    EXPECT_EQ(bus.dword(kStack0 - 4), 0x23u);  // ring-3 SS
    EXPECT_EQ(bus.dword(kStack0 - 8), esp0);   // ring-3 ESP unchanged by the instruction
    ASSERT_EQ(rec.events.size(), 2u);
    EXPECT_EQ(rec.events[0].kind, EventKind::SensitiveInstruction);
    EXPECT_EQ(rec.events[0].sensitive, id);
    EXPECT_TRUE(rec.events[0].trapped);
    EXPECT_EQ(rec.events[0].detail, "trapped: #GP(0)");
    EXPECT_EQ(rec.events[0].before.cpl, 3);
    EXPECT_EQ(rec.events[0].ip, kCode);
    EXPECT_EQ(rec.events[1].kind, EventKind::Exception);
    EXPECT_EQ(rec.events[1].vector, GP);
    EXPECT_EQ(cpu.event_counts()[EventKind::SensitiveInstruction], count0 + 1);
  }

  void expect_one(const std::vector<Event>& ev, Sensitive id, const std::string& detail) {
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].sensitive, id);
    EXPECT_FALSE(ev[0].trapped);
    EXPECT_EQ(ev[0].detail, detail);
    EXPECT_EQ(ev[0].before.cpl, 3);
    EXPECT_EQ(ev[0].cs, 0x1B);
    EXPECT_EQ(ev[0].ip, kCode);
  }

  // Puts `v` on the ring-3 stack (ESP = kStack3 - 4*n after n calls).
  void push_dword(uint32_t v) {
    const uint32_t sp = esp() - 4;
    bus.set_dword(sp, v);
    set(RSP, sp);
  }

  Recorder rec;
};

// ---------------------------------------------------------------------------------------
// The catalog

TEST(SensitiveCatalog, EntriesAreInIdOrderWithUniqueKeysAndText) {
  const auto& cat = vt::sensitive_catalog();
  std::set<std::string> keys, mnemonics;
  for (unsigned k = 0; k < cat.size(); ++k) {
    const vt::SensitiveEntry& e = cat[k];
    EXPECT_EQ(static_cast<unsigned>(e.id), k);
    EXPECT_TRUE(keys.insert(e.key).second) << e.key;
    EXPECT_TRUE(mnemonics.insert(e.mnemonic).second) << e.mnemonic;
    for (const char* t : {e.key, e.mnemonic, e.encodings, e.why, e.at_cpl3, e.rule, e.virtualizable})
      EXPECT_GT(std::string(t).size(), 1u) << e.key;
    EXPECT_EQ(vt::find_sensitive(e.key), &e);
    EXPECT_EQ(&vt::sensitive_entry(e.id), &e);
  }
  EXPECT_EQ(vt::find_sensitive("nope"), nullptr);
}

TEST(SensitiveCatalog, CoversRobinAndIrvinesList) {
  // docs/VMX_NOTES.md 1.2: Robin & Irvine's two groups, as retold.
  std::set<std::string> reg, prot;
  for (const auto& e : vt::sensitive_catalog()) {
    if (!e.robin_irvine) continue;
    (e.category == vt::SensitiveCategory::SensitiveRegister ? reg : prot).insert(e.key);
  }
  EXPECT_EQ(reg, (std::set<std::string>{"sgdt", "sidt", "sldt", "smsw", "pushf", "popf"}));
  EXPECT_EQ(prot, (std::set<std::string>{"lar", "lsl", "verr", "verw", "push_sreg", "pop_sreg",
                                         "mov_from_sreg", "mov_to_sreg", "call_far", "jmp_far",
                                         "ret_far", "int_n", "str"}));
  EXPECT_FALSE(vt::sensitive_entry(Sensitive::Iret).robin_irvine);
  EXPECT_STREQ(vt::sensitive_category_name(vt::SensitiveCategory::SensitiveRegister), "sensitive_register");
  EXPECT_STREQ(vt::sensitive_category_name(vt::SensitiveCategory::ProtectionSystem), "protection_system");
}

// ---------------------------------------------------------------------------------------
// Sensitive register instructions

TEST_F(Pg, SgdtAtCpl3RevealsTheRealGdtr) {
  at_ring(3);
  auto ev = step({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00});  // sgdt [0x8000]
  EXPECT_EQ(bus.dword(kData) & 0xFFFF, 16u * 8 - 1);  // SDM Vol.2 SGDT: limit, then base
  EXPECT_EQ(bus.dword(kData + 2), kGdt);
  expect_one(ev, Sensitive::Sgdt, "revealed GDTR base 0x00000500 limit 0x007f");
}

TEST_F(Pg, SgdtAtCpl0IsNotReported) {
  at_ring(0);
  EXPECT_TRUE(step({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00}).empty());
  EXPECT_EQ(bus.dword(kData + 2), kGdt);
  EXPECT_EQ(cpu.event_counts()[EventKind::SensitiveInstruction], 0u);
}

TEST_F(Pg, SgdtVirtualizableTrapsAtCpl3) {
  at_ring(3, true);
  expect_trap({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00}, Sensitive::Sgdt);
  EXPECT_EQ(bus.dword(kData), 0u);  // nothing stored
}

TEST_F(Pg, SgdtVirtualizableRunsAtCpl0) {
  at_ring(0, true);
  EXPECT_TRUE(step({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00}).empty());
  EXPECT_EQ(bus.dword(kData + 2), kGdt);
}

TEST_F(Pg, UmipTakesPrecedenceAndIsNotASensitiveEvent) {
  // With CR4.UMIP the instruction is privileged (SDM Vol.3 2.5): an ordinary #GP(0).
  at_ring(0, true);
  cpu.write_cr4(cr4::UMIP);
  enter_ring3(kCode, kStack3);
  rec.events.clear();
  EXPECT_EQ(fault_of({0x0F, 0x01, 0x05, 0x00, 0x80, 0x00, 0x00}), GP);
  EXPECT_TRUE(sensitive().empty());
}

TEST_F(Pg, SidtAtCpl3) {
  at_ring(3);
  auto ev = step({0x0F, 0x01, 0x0D, 0x00, 0x80, 0x00, 0x00});  // sidt [0x8000]
  EXPECT_EQ(bus.dword(kData + 2), kIdt);
  expect_one(ev, Sensitive::Sidt, "revealed IDTR base 0x00000600 limit 0x07ff");
  at_ring(3, true);
  expect_trap({0x0F, 0x01, 0x0D, 0x00, 0x80, 0x00, 0x00}, Sensitive::Sidt);
}

TEST_F(Pg, SldtAtCpl3) {
  at_ring(3);
  set(RCX, 0xFFFFFFFF);
  auto ev = step({0x0F, 0x00, 0xC1});  // sldt ecx
  EXPECT_EQ(reg(RCX), 0u);  // the null LDTR selector, zero-extended (SDM Vol.2 SLDT)
  expect_one(ev, Sensitive::Sldt, "revealed LDTR selector 0x0000");
  at_ring(3, true);
  expect_trap({0x0F, 0x00, 0xC1}, Sensitive::Sldt);
}

TEST_F(Pg, StrAtCpl3) {
  at_ring(3);
  auto ev = step({0x0F, 0x00, 0xCB});  // str ebx
  EXPECT_EQ(reg(RBX), kTssSel);
  expect_one(ev, Sensitive::Str, "revealed TR selector 0x0028");
  at_ring(3, true);
  expect_trap({0x0F, 0x00, 0xCB}, Sensitive::Str);
  at_ring(0, true);
  EXPECT_TRUE(step({0x0F, 0x00, 0xCB}).empty());
  EXPECT_EQ(reg(RBX), kTssSel);
}

TEST_F(Pg, SmswAtCpl3) {
  at_ring(3);
  code({0x0F, 0x01, 0x25, 0x00, 0x80, 0x00, 0x00});  // smsw [0x8000]
  run(1);
  EXPECT_EQ(bus.dword(kData) & 0xFFFF, uint32_t(st().cr0 & 0xFFFF));  // PE | ET
  expect_one(sensitive(), Sensitive::Smsw, "revealed MSW 0x0011");
  at_ring(3, true);
  expect_trap({0x0F, 0x01, 0xE0}, Sensitive::Smsw);  // smsw eax
}

TEST_F(Pg, PushfAtCpl3RevealsIfAndIopl) {
  at_ring(3);
  cpu.set_flags(flag::IF | (2u << 12));
  auto ev = step({0x9C});
  EXPECT_EQ(esp(), kStack3 - 4);
  EXPECT_EQ(bus.dword(kStack3 - 4), flag::FIXED1 | flag::IF | (2u << 12));
  expect_one(ev, Sensitive::Pushf, "revealed IF=1 IOPL=2");
  at_ring(3, true);
  expect_trap({0x9C}, Sensitive::Pushf);
}

TEST_F(Pg, PushfAtCpl0IsNotReported) {
  at_ring(0, true);
  EXPECT_TRUE(step({0x9C}).empty());
  EXPECT_EQ(bus.dword(kStack - 4), flag::FIXED1);
}

TEST_F(Pg, PopfAtCpl3DropsAnIfChangeSilently) {
  // SDM Vol.2 POPF: at CPL > IOPL, IF is not changed and no fault occurs.
  at_ring(3);
  push_dword(flag::FIXED1 | flag::IF | flag::CF);
  auto ev = step({0x9D});
  EXPECT_FALSE(flag_set(flag::IF));
  EXPECT_TRUE(flag_set(flag::CF));  // the other flags are loaded
  EXPECT_EQ(esp(), kStack3);
  expect_one(ev, Sensitive::Popf, "IF change dropped");
}

TEST_F(Pg, PopfAtCpl3DropsIoplChanges) {
  at_ring(3);
  push_dword(flag::FIXED1 | (3u << 12));
  expect_one(step({0x9D}), Sensitive::Popf, "IOPL change dropped");
  EXPECT_EQ(eflags() & flag::IOPL, 0u);
  at_ring(3);
  push_dword(flag::FIXED1 | flag::IF | (3u << 12));
  expect_one(step({0x9D}), Sensitive::Popf, "IF and IOPL changes dropped");
}

TEST_F(Pg, PopfAtCpl3WithIoplChangesIfAndIsNotReported) {
  // CPL <= IOPL: IF may change (SDM Vol.2 POPF); only IOPL would be dropped, and the
  // image keeps IOPL = 3.
  at_ring(3);
  cpu.set_flags(3u << 12);
  push_dword(flag::FIXED1 | flag::IF | (3u << 12));
  EXPECT_TRUE(step({0x9D}).empty());
  EXPECT_TRUE(flag_set(flag::IF));
}

TEST_F(Pg, PopfWithoutAnIfChangeIsNotReported) {
  at_ring(3);
  push_dword(flag::FIXED1 | flag::CF);
  EXPECT_TRUE(step({0x9D}).empty());
  EXPECT_TRUE(flag_set(flag::CF));
}

TEST_F(Pg, PopfAtCpl0ChangesIf) {
  at_ring(0, true);
  bus.set_dword(kStack - 4, flag::FIXED1 | flag::IF | (3u << 12));
  set(RSP, kStack - 4);
  EXPECT_TRUE(step({0x9D}).empty());
  EXPECT_TRUE(flag_set(flag::IF));
  EXPECT_EQ(eflags() & flag::IOPL, 3u << 12);
}

TEST_F(Pg, PopfVirtualizableTrapsAtCpl3) {
  at_ring(3, true);
  push_dword(flag::FIXED1 | flag::CF);
  expect_trap({0x9D}, Sensitive::Popf);
  EXPECT_EQ(bus.dword(kStack0 - 8), kStack3 - 4);  // ESP not moved
}

// ---------------------------------------------------------------------------------------
// Protection system references

TEST_F(Pg, LarAtCpl3RejectsTheRing0CodeSegment) {
  // SDM Vol.2 LAR: DPL < CPL makes the descriptor invalid (ZF = 0); at ring 0 it is valid.
  at_ring(3);
  set(RBX, 0x08);
  set(RAX, 0x1234);
  expect_one(step({0x0F, 0x02, 0xC3}), Sensitive::Lar, "selector 0x0008: ZF=0 at CPL 3, ZF=1 at ring 0");
  EXPECT_FALSE(flag_set(flag::ZF));
  EXPECT_EQ(eax(), 0x1234u);  // unchanged
  // Its own DPL-3 code segment: the same answer at any CPL, so not reported.
  set(RBX, 0x1B);
  EXPECT_TRUE(step({0x0F, 0x02, 0xC3}).empty());
  EXPECT_TRUE(flag_set(flag::ZF));
  // G D/B, limit 19:16, P DPL3 S, type 1010 (the fixture loaded CS without the
  // descriptor's accessed bit).
  EXPECT_EQ(eax(), 0x00CFFA00u);
}

TEST_F(Pg, LarAtCpl0AndVirtualizable) {
  at_ring(0, true);
  set(RBX, 0x08);
  EXPECT_TRUE(step({0x0F, 0x02, 0xC3}).empty());
  EXPECT_TRUE(flag_set(flag::ZF));
  at_ring(3, true);
  set(RBX, 0x1B);
  expect_trap({0x0F, 0x02, 0xC3}, Sensitive::Lar);
}

TEST_F(Pg, LslAtCpl3) {
  at_ring(3);
  set(RBX, 0x10);
  expect_one(step({0x0F, 0x03, 0xC3}), Sensitive::Lsl, "selector 0x0010: ZF=0 at CPL 3, ZF=1 at ring 0");
  EXPECT_FALSE(flag_set(flag::ZF));
  set(RBX, 0x23);
  EXPECT_TRUE(step({0x0F, 0x03, 0xC3}).empty());
  EXPECT_EQ(eax(), 0xFFFFFFFFu);  // 4 GiB - 1, granularity applied
  at_ring(3, true);
  expect_trap({0x0F, 0x03, 0xC3}, Sensitive::Lsl);
}

TEST_F(Pg, VerrVerwAtCpl3) {
  at_ring(3);
  set(RBX, 0x10);
  expect_one(step({0x0F, 0x00, 0xE3}), Sensitive::Verr, "selector 0x0010: ZF=0 at CPL 3, ZF=1 at ring 0");
  expect_one(step({0x0F, 0x00, 0xEB}), Sensitive::Verw, "selector 0x0010: ZF=0 at CPL 3, ZF=1 at ring 0");
  EXPECT_FALSE(flag_set(flag::ZF));
  set(RBX, 0x23);
  EXPECT_TRUE(step({0x0F, 0x00, 0xEB}).empty());  // its own data segment: writable
  EXPECT_TRUE(flag_set(flag::ZF));
  // A code segment is never writable, at any CPL: same answer, not reported.
  set(RBX, 0x08);
  EXPECT_TRUE(step({0x0F, 0x00, 0xEB}).empty());
  at_ring(3, true);
  expect_trap({0x0F, 0x00, 0xE3}, Sensitive::Verr);
  at_ring(3, true);
  expect_trap({0x0F, 0x00, 0xEB}, Sensitive::Verw);
}

TEST_F(Pg, PushCsAndSsRevealTheCpl) {
  at_ring(3);
  expect_one(step({0x0E}), Sensitive::PushSreg, "revealed CPL 3 (CS 0x001b)");
  EXPECT_EQ(bus.dword(kStack3 - 4) & 0xFFFF, 0x1Bu);
  expect_one(step({0x16}), Sensitive::PushSreg, "revealed CPL 3 (SS 0x0023)");
  EXPECT_TRUE(step({0x1E}).empty());  // PUSH DS: the selector the guest loaded
  EXPECT_EQ(esp(), kStack3 - 12);
  at_ring(3, true);
  EXPECT_TRUE(step({0x06}).empty());  // PUSH ES is not trapped
  EXPECT_EQ(esp(), kStack3 - 4);
  at_ring(3, true);
  expect_trap({0x0E}, Sensitive::PushSreg);
  at_ring(0, true);
  EXPECT_TRUE(step({0x0E}).empty());
  EXPECT_EQ(bus.dword(kStack - 4) & 0xFFFF, 0x08u);
}

TEST_F(Pg, MovFromCsRevealsTheCpl) {
  at_ring(3);
  expect_one(step({0x8C, 0xC8}), Sensitive::MovFromSreg, "revealed CPL 3 (CS 0x001b)");  // mov eax, cs
  EXPECT_EQ(eax(), 0x1Bu);
  expect_one(step({0x8C, 0xD1}), Sensitive::MovFromSreg, "revealed CPL 3 (SS 0x0023)");  // mov ecx, ss
  EXPECT_TRUE(step({0x8C, 0xD8}).empty());  // mov eax, ds
  at_ring(3, true);
  expect_trap({0x8C, 0xC8}, Sensitive::MovFromSreg);
  at_ring(3, true);
  EXPECT_TRUE(step({0x8C, 0xE0}).empty());  // mov eax, fs: not trapped
}

TEST_F(Pg, SegmentLoadsAreNotReportedNorTrapped) {
  // pop_sreg, mov_to_sreg: the differences from ring 0 are faults.
  at_ring(3, true);
  push_dword(0x23);
  EXPECT_TRUE(step({0x1F}).empty());  // pop ds
  EXPECT_EQ(sel(DS), 0x23);
  set(RAX, 0x23);
  EXPECT_TRUE(step({0x8E, 0xC0}).empty());  // mov es, ax
  EXPECT_EQ(sel(ES), 0x23);
  set(RAX, 0x10);
  cpu.state().rip = kCode;
  EXPECT_EQ(fault_of({0x8E, 0xD8}), GP);  // mov ds, ax with a DPL-0 selector
  EXPECT_EQ(error_code(), 0x10u);
  EXPECT_TRUE(sensitive().empty());
}

TEST_F(Pg, FarRetAtCpl3IsASamePrivilegeReturn) {
  // SDM Vol.2 RET: RPL = CPL returns to the same level and pops only CS:EIP.
  at_ring(3);
  push_dword(0x1B);
  push_dword(kCode + 0x40);
  auto ev = step({0xCB});
  expect_one(ev, Sensitive::RetFar, "same-privilege return at CPL 3 (ring 0 would also pop SS:ESP)");
  EXPECT_EQ(st().rip, kCode + 0x40);
  EXPECT_EQ(esp(), kStack3);
  at_ring(3, true);
  push_dword(0x1B);
  push_dword(kCode + 0x40);
  expect_trap({0xCB}, Sensitive::RetFar);
}

TEST_F(Pg, FarRetFromRing0ToRing3IsNotReported) {
  at_ring(0, true);
  for (uint32_t v : {0x23u, kStack3, 0x1Bu, kCode + 0x40}) {
    set(RSP, esp() - 4);
    bus.set_dword(esp(), v);
  }
  EXPECT_TRUE(step({0xCB}).empty());
  EXPECT_EQ(st().cpl, 3);
  EXPECT_EQ(esp(), kStack3);
}

TEST_F(Pg, IretAtCpl3DropsIfAndStaysAtCpl3) {
  // SDM Vol.2 IRET: at CPL > IOPL the image's IF is ignored; RPL = CPL is a same-level return.
  at_ring(3);
  push_dword(flag::FIXED1 | flag::IF | flag::ZF);
  push_dword(0x1B);
  push_dword(kCode + 0x40);
  auto ev = step({0xCF});
  expect_one(ev, Sensitive::Iret,
             "IF change dropped; same-privilege return at CPL 3 (ring 0 would also pop SS:ESP)");
  EXPECT_FALSE(flag_set(flag::IF));
  EXPECT_TRUE(flag_set(flag::ZF));
  EXPECT_EQ(st().rip, kCode + 0x40);
  EXPECT_EQ(esp(), kStack3);
  at_ring(3, true);
  push_dword(flag::FIXED1);
  push_dword(0x1B);
  push_dword(kCode + 0x40);
  expect_trap({0xCF}, Sensitive::Iret);
}

TEST_F(Pg, IretFromRing0ToRing3IsNotReported) {
  at_ring(0, true);
  for (uint32_t v : {0x23u, kStack3, flag::FIXED1 | flag::IF, 0x1Bu, kCode + 0x40}) {
    set(RSP, esp() - 4);
    bus.set_dword(esp(), v);
  }
  EXPECT_TRUE(step({0xCF}).empty());
  EXPECT_EQ(st().cpl, 3);
  EXPECT_TRUE(flag_set(flag::IF));
}

TEST_F(Pg, EventsAreCountedWithoutAnObserver) {
  at_ring(3);
  cpu.set_observer(nullptr);
  code({0x9C, 0x0E, 0x90});  // pushf; push cs; nop
  run(3);
  EXPECT_EQ(cpu.event_counts()[EventKind::SensitiveInstruction], 2u);
}

}  // namespace
