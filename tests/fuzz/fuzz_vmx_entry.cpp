// tests/fuzz/fuzz_vmx_entry.cpp — VM entry with arbitrary VMCS contents, and fuzzed bytes
// executed as a guest in VMX non-root operation.
//
// The CPU (with vt::Vmx) on a TestBus, in flat 32-bit protected mode with 4 KiB paging, is
// put in VMX root operation (VMXON). A valid VMCS for a guest that shares the host's tables
// is written to memory in Ringside's VMCS layout (vt/vmx.h), then up to 64 fields are
// overwritten with values from the input, the region is made current (VMPTRLD) and the host
// executes VMLAUNCH. The guest runs the fuzzed code; the host's exit handler advances the
// guest RIP by the exit-instruction length and executes VMRESUME, so the run alternates
// between the two until the step budget ends. Whatever the VMCS holds, the result is a
// VMfail, an entry-failure exit or a guest that runs: nothing may crash, trip a sanitizer
// or hang.
//
// Input layout (bytes past the end read as 0):
//   [0]          options: bit 0 attach the trace writer, bit 1 INTR halfway, bit 2 NMI
//                halfway
//   [1]          number of field overrides (at most 64)
//   [8, 648)     overrides: 64 x {u16 slot (mod the field count), u64 value}
//   [648, ...)   guest code (at most 16 KiB), also the handlers of every guest vector
// Memory: GDT 0x500, IDT 0x800, TSS 0x1000, page directory 0x4000 / table 0x5000, host
// stack top 0x8000, guest stack top 0x9000, host exit handler 0xF000, guest code 0x10000,
// VMXON region 0x30000, VMCS 0x31000.
#include <algorithm>
#include <cstring>
#include <map>

#include "cpu/cpu.h"
#include "cpu/test_bus.h"
#include "debugger/event_counter.h"
#include "debugger/trace_jsonl.h"
#include "tests/fuzz/fuzz_common.h"
#include "tests/unit/vt_guest_state.h"
#include "vt/vmcs_fields.h"
#include "vt/vmx.h"

namespace {

constexpr uint32_t kGdt = 0x500, kIdt = 0x800, kTss = 0x1000, kPd = 0x4000, kPt = 0x5000,
                   kHostStack = 0x8000, kGuestStack = 0x9000, kHostCode = 0xF000, kScratch = 0xE000,
                   kGuestCode = 0x10000, kVmxon = 0x30000, kVmcs = 0x31000;
constexpr size_t kOverrides = 8, kMaxOverrides = 64, kCode = kOverrides + kMaxOverrides * 10;
constexpr size_t kMaxCode = 16384;
constexpr uint64_t kSteps = 3000;

// The host's exit handler: guest RIP += exit-instruction length, VMRESUME; HLT if it fails.
const uint8_t kHandler[] = {
    0xB8, 0x1E, 0x68, 0x00, 0x00,  // mov eax, 0x681E (guest RIP)
    0x0F, 0x78, 0xC3,              // vmread ebx, eax
    0xB8, 0x0C, 0x44, 0x00, 0x00,  // mov eax, 0x440C (exit-instruction length)
    0x0F, 0x78, 0xC1,              // vmread ecx, eax
    0x01, 0xCB,                    // add ebx, ecx
    0xB8, 0x1E, 0x68, 0x00, 0x00,  // mov eax, 0x681E
    0x0F, 0x79, 0xC3,              // vmwrite eax, ebx
    0x0F, 0x01, 0xC3,              // vmresume
    0xF4,                          // hlt
};

uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags4) {
  return (limit & 0xFFFF) | uint64_t(base & 0xFFFFFF) << 16 | uint64_t(access) << 40 |
         uint64_t((limit >> 16) & 0xF) << 48 | uint64_t(flags4 & 0xF) << 52 | uint64_t(base >> 24) << 56;
}

struct Rig {
  cpu::TestBus bus{1u << 20};
  vt::Vmx vmx{*vt::find_profile("haswell")};
  cpu::Cpu c{bus};
  Rig() { c.set_virtualization(&vmx); }
  void put64(uint32_t a, uint64_t v) {
    bus.set_dword(a, uint32_t(v));
    bus.set_dword(a + 4, uint32_t(v >> 32));
  }
  // Runs one host instruction at a scratch address.
  void exec(std::initializer_list<uint8_t> bytes, uint32_t eax = 0) {
    std::vector<uint8_t> v(bytes);
    c.phys_write(kScratch, v.data(), v.size());
    c.state().rip = kScratch;
    c.state().gpr[cpu::RAX] = eax;
    c.step();
  }
};

uint32_t adjust(const vt::Capabilities& caps, uint32_t msr) {
  uint64_t v = 0;
  caps.read_msr(msr, v);
  return uint32_t(v) & uint32_t(v >> 32);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fuzz;
  const Input in{data, size};
  static Rig rig;
  cpu::TestBus& bus = rig.bus;
  cpu::Cpu& c = rig.c;
  std::memset(bus.ram().data(), 0, bus.ram().size());
  bus.ports.clear();
  c.set_observer(nullptr);
  c.reset();
  rig.vmx.reset();
  c.state().cycles = 0;
  c.state().instret = 0;

  // Tables: flat ring-0 code/data, a busy TSS, every IDT gate into the guest code.
  const size_t code_size = std::min(in.tail_size(kCode), kMaxCode);
  bus.load(kGuestCode, in.tail(kCode), code_size);
  bus.load(kHostCode, kHandler, sizeof kHandler);
  rig.put64(kGdt + 8, descriptor(0, 0xFFFFF, 0x9B, 0xC));
  rig.put64(kGdt + 16, descriptor(0, 0xFFFFF, 0x93, 0xC));
  rig.put64(kGdt + 24, descriptor(kTss, 0x67, 0x8B, 0x0));
  for (unsigned v = 0; v < 256; ++v) {
    const uint32_t off = kGuestCode + (code_size ? uint32_t(v * 16 % code_size) : 0);
    bus.set_dword(kIdt + v * 8, (off & 0xFFFF) | 0x08u << 16);
    bus.set_dword(kIdt + v * 8 + 4, (off & 0xFFFF0000) | 1u << 15 | 0xEu << 8);
  }
  bus.set_dword(kTss + 4, kHostStack);
  bus.set_dword(kTss + 8, 0x10);
  bus.set_dword(kPd, kPt | 0x7);
  for (uint32_t p = 0; p < 256; ++p) bus.set_dword(kPt + p * 4, p << 12 | 0x7);

  c.enter_flat_protected(kHostCode, kHostStack);
  cpu::State& s = c.state();
  s.gdtr = {kGdt, 4 * 8 - 1};
  s.idtr = {kIdt, 256 * 8 - 1};
  s.tr = cpu::Cpu::cache_from_descriptor(0x18, descriptor(kTss, 0x67, 0x8B, 0x0));
  s.cr3 = kPd;
  s.cr0 |= cpu::cr0::PG | cpu::cr0::NE;
  s.cr4 |= cpu::cr4::VMXE;
  s.msrs.feature_control = 5;
  c.flush_tlb(true);

  // VMXON.
  bus.set_dword(kVmxon, vt::kVmcsRevision);
  bus.set_dword(kScratch + 0x100, kVmxon);
  rig.exec({0xF3, 0x0F, 0xC7, 0x30}, kScratch + 0x100);  // vmxon [eax]
  FUZZ_CHECK(rig.vmx.state().vmx_operation);

  // A valid VMCS in memory (Ringside's layout: slot k at 0x10 + 8k), then the overrides.
  const vt::Capabilities& caps = rig.vmx.capabilities();
  std::map<uint32_t, uint64_t> f = vttest::guest_state_from(s, 2);
  f[vttest::kGRip] = kGuestCode;
  f[vttest::kGRsp] = kGuestStack;
  f[vt::field::PIN_BASED_CONTROLS] = adjust(caps, vt::msr::VMX_TRUE_PINBASED_CTLS);
  f[vt::field::PRIMARY_PROC_CONTROLS] = adjust(caps, vt::msr::VMX_TRUE_PROCBASED_CTLS);
  f[vt::field::EXIT_CONTROLS] = adjust(caps, vt::msr::VMX_TRUE_EXIT_CTLS);
  f[vt::field::ENTRY_CONTROLS] = adjust(caps, vt::msr::VMX_TRUE_ENTRY_CTLS);
  f[vt::field::HOST_CR0] = s.cr0;
  f[vt::field::HOST_CR3] = s.cr3;
  f[vt::field::HOST_CR4] = s.cr4;
  f[vt::field::HOST_ES_SELECTOR + 2 * cpu::CS] = 0x08;
  for (unsigned k : {cpu::ES, cpu::SS, cpu::DS, cpu::FS, cpu::GS}) f[vt::field::HOST_ES_SELECTOR + 2 * k] = 0x10;
  f[vt::field::HOST_TR_SELECTOR] = 0x18;
  f[vt::field::HOST_TR_BASE] = kTss;
  f[vt::field::HOST_GDTR_BASE] = kGdt;
  f[vt::field::HOST_IDTR_BASE] = kIdt;
  f[vt::field::HOST_RSP] = kHostStack;
  f[vt::field::HOST_RIP] = kHostCode;
  const size_t nfields = vt::vmcs_fields().size();
  bus.set_dword(kVmcs, vt::kVmcsRevision);
  for (const auto& [enc, val] : f)
    if (const auto k = vt::field_slot(enc)) rig.put64(uint32_t(kVmcs + vt::kVmcsDataOffset + 8 * *k), val);
  const unsigned n = std::min<unsigned>(in.u8(1), kMaxOverrides);
  for (unsigned i = 0; i < n; ++i) {
    const size_t k = in.u16(kOverrides + 10 * i) % nfields;
    rig.put64(uint32_t(kVmcs + vt::kVmcsDataOffset + 8 * k), in.u64(kOverrides + 10 * i + 2));
  }
  bus.set_dword(kScratch + 0x100, kVmcs);
  rig.exec({0x0F, 0xC7, 0x30}, kScratch + 0x100);  // vmptrld [eax]
  FUZZ_CHECK(rig.vmx.state().current_vmcs == kVmcs);

  // VMLAUNCH from the host handler's VMRESUME slot: a failure falls through to its HLT.
  NullStream out;
  debugger::TraceJsonl trace{out, debugger::TraceHeader{}};
  if (in.u8(0) & 1) c.set_observer(&trace);
  rig.exec({0x0F, 0x01, 0xC2, 0xF4});  // vmlaunch; hlt
  c.run({.max_steps = kSteps / 2});
  if (in.u8(0) & 2) c.set_intr(true);
  if (in.u8(0) & 4) c.raise_nmi();
  c.run({.max_steps = kSteps / 2});

  // Invariants: CPL within 0-3 and CS.RPL = CPL in protected mode, RFLAGS bit 1; in root
  // operation after an exit the host state is flat ring 0.
  FUZZ_CHECK(s.cpl <= 3);
  FUZZ_CHECK((c.flags() & cpu::flag::FIXED1) != 0);
  if (!c.non_root() && s.rip >= kHostCode && s.rip < kHostCode + sizeof kHandler) FUZZ_CHECK(s.cpl == 0);
  (void)c.dump();
  (void)c.state_hash();
  (void)rig.vmx.dump();
  // VMX state survives save/load unchanged.
  platform::StateWriter w;
  rig.vmx.save(w);
  const std::string before = rig.vmx.dump();
  platform::StateReader r(w.data());
  rig.vmx.load(r);
  FUZZ_CHECK(rig.vmx.dump() == before);
  c.set_observer(nullptr);
  return 0;
}
