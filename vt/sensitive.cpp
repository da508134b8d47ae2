// vt/sensitive.cpp — the Popek–Goldberg catalog (see sensitive.h). Behaviour at CPL > 0
// is from the "Operation" sections of SDM Vol.2 for each instruction.
#include "vt/sensitive.h"

namespace vt {

namespace {

using cpu::Sensitive;
constexpr SensitiveCategory kReg = SensitiveCategory::SensitiveRegister;
constexpr SensitiveCategory kProt = SensitiveCategory::ProtectionSystem;
constexpr const char* kGp = "#GP(0) before any effect (a SensitiveInstruction event with trapped=true, then the #GP exception).";

constexpr SensitiveCatalog kCatalog = {{
    {Sensitive::Sgdt, "sgdt", "SGDT", "0F 01 /0 (memory)", kReg, true,
     "It reads a privileged register without trapping: a deprivileged guest kernel gets the "
     "monitor's GDT base and limit, not its own virtual GDTR, and the monitor cannot intervene.",
     "Stores the real GDTR limit and base (SDM Vol.2 SGDT); no fault unless CR4.UMIP is set.",
     true, "Every SGDT at CPL > 0 that completes (CR4.UMIP clear); detail: the GDTR revealed.",
     kGp},
    {Sensitive::Sidt, "sidt", "SIDT", "0F 01 /1 (memory)", kReg, true,
     "Like SGDT for the IDT: the guest sees where the monitor's IDT is (the \"Red Pill\" "
     "test), and cannot be given its virtual IDTR.",
     "Stores the real IDTR limit and base (SDM Vol.2 SIDT); no fault unless CR4.UMIP is set.",
     true, "Every SIDT at CPL > 0 that completes (CR4.UMIP clear); detail: the IDTR revealed.",
     kGp},
    {Sensitive::Sldt, "sldt", "SLDT", "0F 00 /0", kReg, true,
     "It reads the real LDTR selector without trapping, so the monitor cannot substitute "
     "the guest's virtual LDTR.",
     "Stores the real LDTR selector (SDM Vol.2 SLDT); no fault unless CR4.UMIP is set.",
     true, "Every SLDT at CPL > 0 that completes (CR4.UMIP clear); detail: the selector.",
     kGp},
    {Sensitive::Str, "str", "STR", "0F 00 /1", kProt, true,
     "It reads the real task register without trapping: the guest sees the monitor's TSS "
     "selector instead of its own.",
     "Stores the real TR selector (SDM Vol.2 STR); no fault unless CR4.UMIP is set.",
     true, "Every STR at CPL > 0 that completes (CR4.UMIP clear); detail: the selector.",
     kGp},
    {Sensitive::Smsw, "smsw", "SMSW", "0F 01 /4", kReg, true,
     "It reads CR0's low word without trapping, although MOV from CR0 is privileged: the "
     "guest sees the real PE, MP, EM, TS bits instead of its virtual CR0.",
     "Stores CR0[15:0] (to a 32-bit register, CR0[31:0]) (SDM Vol.2 SMSW); no fault unless "
     "CR4.UMIP is set.",
     true, "Every SMSW at CPL > 0 that completes (CR4.UMIP clear); detail: the MSW.", kGp},
    {Sensitive::Pushf, "pushf", "PUSHF", "9C", kReg, true,
     "It reads the real EFLAGS without trapping: a deprivileged kernel sees the real IF and "
     "IOPL, not the interrupt state it believes it set.",
     "Pushes EFLAGS (VM and RF cleared) with the real IF and IOPL (SDM Vol.2 PUSHF).",
     true, "Every PUSHF at CPL > 0 that completes; detail: the IF and IOPL revealed.", kGp},
    {Sensitive::Popf, "popf", "POPF", "9D", kReg, true,
     "It should change the interrupt state but, outside ring 0, silently does not: a guest "
     "kernel's POPF that enables or disables interrupts is ignored and the monitor never "
     "learns of it. The canonical example.",
     "IOPL is left unchanged unless CPL = 0, and IF unless CPL <= IOPL; the other flags are "
     "loaded; no fault (SDM Vol.2 POPF).",
     true, "A POPF at CPL > 0 whose popped IF or IOPL differs from the flags it leaves; detail: "
     "\"IF change dropped\", \"IOPL change dropped\" or both.",
     "#GP(0) for every POPF at CPL > 0, before any effect."},
    {Sensitive::Lar, "lar", "LAR", "0F 02 /r", kProt, true,
     "Its answer depends on the CPL (DPL >= CPL is checked), so a deprivileged kernel gets "
     "ZF=0 for its own ring-0 descriptors, with no trap.",
     "Loads the access rights only when DPL >= CPL and DPL >= RPL (conforming code excepted), "
     "else clears ZF (SDM Vol.2 LAR).",
     true, "A LAR at CPL > 0 whose ZF differs from what the same selector gives at CPL 0; "
     "detail: the selector and both answers.",
     "#GP(0) for every LAR at CPL > 0, before any effect."},
    {Sensitive::Lsl, "lsl", "LSL", "0F 03 /r", kProt, true,
     "Like LAR: the privilege check uses the real CPL, so the answer differs from ring 0's.",
     "Loads the segment limit only when DPL >= CPL and DPL >= RPL (conforming code excepted), "
     "else clears ZF (SDM Vol.2 LSL).",
     true, "An LSL at CPL > 0 whose ZF differs from what the same selector gives at CPL 0.",
     "#GP(0) for every LSL at CPL > 0, before any effect."},
    {Sensitive::Verr, "verr", "VERR", "0F 00 /4", kProt, true,
     "Like LAR: whether a segment is readable \"from the current privilege level\" depends on "
     "the real CPL.",
     "Sets ZF only when the segment is readable and DPL >= CPL and DPL >= RPL (SDM Vol.2 "
     "VERR/VERW).",
     true, "A VERR at CPL > 0 whose ZF differs from what the same selector gives at CPL 0.",
     "#GP(0) for every VERR at CPL > 0, before any effect."},
    {Sensitive::Verw, "verw", "VERW", "0F 00 /5", kProt, true,
     "Like VERR, for writable data segments.",
     "Sets ZF only when the segment is a writable data segment with DPL >= CPL and DPL >= "
     "RPL (SDM Vol.2 VERR/VERW).",
     true, "A VERW at CPL > 0 whose ZF differs from what the same selector gives at CPL 0.",
     "#GP(0) for every VERW at CPL > 0, before any effect."},
    {Sensitive::PushSreg, "push_sreg", "PUSH Sreg", "0E (CS), 16 (SS), 06, 1E, 0F A0, 0F A8",
     kProt, true,
     "PUSH CS and PUSH SS store selectors whose RPL is the real CPL: the guest kernel "
     "discovers it is not in ring 0.",
     "Pushes the selector; for CS and SS its RPL equals the CPL (SDM Vol.3 5.5). PUSH of DS, "
     "ES, FS, GS pushes whatever selector the guest loaded, which is not sensitive.",
     true, "Every PUSH CS or PUSH SS at CPL > 0 that completes; detail: the CPL revealed.",
     "#GP(0) for PUSH CS and PUSH SS at CPL > 0; PUSH DS/ES/FS/GS unchanged."},
    {Sensitive::PopSreg, "pop_sreg", "POP Sreg", "17 (SS), 07, 1F, 0F A1, 0F A9", kProt, true,
     "Segment loads are checked against the real CPL, so a deprivileged kernel loading its "
     "ring-0 selectors behaves differently from ring 0.",
     "The load is privilege-checked against the real CPL (SDM Vol.2 POP): a ring-0 data "
     "selector faults with #GP(selector).",
     false, "Not reported: every difference from ring 0 is a fault, which the monitor sees.",
     "Unchanged (its differences already trap)."},
    {Sensitive::MovFromSreg, "mov_from_sreg", "MOV r/m, Sreg", "8C /r", kProt, true,
     "Like PUSH CS/SS: MOV from CS or SS reveals the real CPL in the selector's RPL.",
     "Stores the selector; for CS and SS its RPL equals the CPL (SDM Vol.3 5.5).",
     true, "Every MOV from CS or SS at CPL > 0 that completes; detail: the CPL revealed.",
     "#GP(0) for MOV from CS and SS at CPL > 0; DS/ES/FS/GS unchanged."},
    {Sensitive::MovToSreg, "mov_to_sreg", "MOV Sreg, r/m", "8E /r", kProt, true,
     "Like POP Sreg: segment loads are privilege-checked against the real CPL.",
     "The load is privilege-checked against the real CPL (SDM Vol.2 MOV): a ring-0 "
     "selector faults with #GP(selector).",
     false, "Not reported: every difference from ring 0 is a fault, which the monitor sees.",
     "Unchanged (its differences already trap)."},
    {Sensitive::CallFar, "call_far", "CALL far", "9A cd/cp, FF /3", kProt, true,
     "Gate and code-segment privilege checks use the real CPL, so inter-ring calls of a "
     "deprivileged kernel behave differently.",
     "Calls to more privileged code go through gates and land in the monitor; calls to "
     "non-conforming code of another DPL fault (SDM Vol.2 CALL).",
     false, "Not reported: the differences fault or enter more privileged code (the monitor).",
     "Unchanged."},
    {Sensitive::JmpFar, "jmp_far", "JMP far", "EA cd/cp, FF /5", kProt, true,
     "Like CALL far: privilege checks use the real CPL.",
     "A jump to non-conforming code of another DPL faults (SDM Vol.2 JMP).",
     false, "Not reported: every difference from ring 0 is a fault.", "Unchanged."},
    {Sensitive::RetFar, "ret_far", "RET far", "CB, CA iw", kProt, true,
     "Whether a far return pops SS:ESP depends on the real CPL: a deprivileged kernel "
     "returning to its (ring-3) user code makes a same-privilege return and leaves the user "
     "SS:ESP on its stack, silently.",
     "A return to RPL = CPL is a same-privilege return (pops CS:EIP only); to RPL > CPL an "
     "outer-privilege return (also pops SS:ESP) (SDM Vol.2 RET).",
     true, "A far RET at CPL > 0 that stays at that CPL (RPL = CPL, so ring 0 would have made "
     "an outer-privilege return).",
     "#GP(0) for every far RET at CPL > 0, before any effect."},
    {Sensitive::IntN, "int_n", "INT n", "CD ib", kProt, true,
     "The gate DPL is checked against the real CPL and the handler's stack depends on it.",
     "A gate with DPL < CPL faults with #GP; otherwise the handler (the monitor's, at a more "
     "privileged level) runs on the TSS stack (SDM Vol.2 INT n).",
     false, "Not reported: the differences fault or enter more privileged code (the monitor).",
     "Unchanged."},
    {Sensitive::Iret, "iret", "IRET", "CF", kProt, false,
     "Added here (not on Robin & Irvine's list as retold): IRET merges EFLAGS with POPF's "
     "rules, so an IF or IOPL change is silently dropped outside ring 0, and, like far RET, "
     "a return to RPL = CPL does not pop SS:ESP.",
     "IOPL is left unchanged unless CPL = 0 and IF unless CPL <= IOPL; a return to RPL = CPL "
     "is a same-privilege return (SDM Vol.2 IRET).",
     true, "An IRET at CPL > 0 that drops an IF or IOPL change, or stays at that CPL; detail "
     "says which.",
     "#GP(0) for every IRET at CPL > 0, before any effect."},
}};

constexpr bool catalog_in_id_order() {
  for (unsigned k = 0; k < kCatalog.size(); ++k)
    if (static_cast<unsigned>(kCatalog[k].id) != k) return false;
  return true;
}
static_assert(catalog_in_id_order(), "kCatalog must list the entries in cpu::Sensitive order");

}  // namespace

const char* sensitive_category_name(SensitiveCategory c) {
  return c == SensitiveCategory::SensitiveRegister ? "sensitive_register" : "protection_system";
}

const SensitiveCatalog& sensitive_catalog() { return kCatalog; }

const SensitiveEntry& sensitive_entry(cpu::Sensitive id) {
  const auto k = static_cast<unsigned>(id);
  return kCatalog[k < kCatalog.size() ? k : 0];
}

const SensitiveEntry* find_sensitive(std::string_view key) {
  for (const SensitiveEntry& e : kCatalog)
    if (key == e.key) return &e;
  return nullptr;
}

}  // namespace vt
