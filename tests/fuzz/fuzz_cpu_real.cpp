// tests/fuzz/fuzz_cpu_real.cpp — fuzzed bytes executed as real-mode code on the CPU alone.
//
// Layout in cpu_harness.h. Memory (1 MiB of RAM; above it reads all ones):
//   0x00000  IVT: every vector points into the fuzzed code (segment 0x1000)
//   0x10000  the code (CS = 0x1000, IP = 0), at most 64 KiB
//   0x20000  the whole input (DS = ES = FS = GS = 0x2000 unless the input names others)
//   0x30000  the stack segment (SS = 0x3000, SP = 0xFFFE unless fuzzed)
// Real-mode code may switch to protected mode itself (LGDT from its data, MOV CR0).
#include "tests/fuzz/cpu_harness.h"

namespace {

constexpr uint16_t kCodeSeg = 0x1000, kDataSeg = 0x2000, kStackSeg = 0x3000;

void set_real_segment(cpu::State& s, unsigned seg, uint16_t selector) {
  s.seg[seg].selector = selector;
  s.seg[seg].base = uint64_t(selector) << 4;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fuzz;
  const Input in{data, size};
  static Rig rig(1u << 20);
  rig.fresh();
  cpu::TestBus& bus = rig.bus;
  cpu::Cpu& c = rig.c;

  const size_t code_size = std::min<size_t>(in.tail_size(kCode), 0x10000);
  bus.load(uint64_t(kCodeSeg) << 4, in.tail(kCode), code_size);
  bus.load(uint64_t(kDataSeg) << 4, data, std::min<size_t>(size, 0x10000));
  for (unsigned v = 0; v < 256; ++v)  // IVT entry: offset, then segment (SDM Vol.3 20.1.4)
    bus.set_dword(v * 4, handler_offset(in, v, code_size) | uint32_t(kCodeSeg) << 16);

  cpu::State& s = c.state();
  for (unsigned r = 0; r < 8; ++r) s.gpr[r] = in.u32(kRegs + 4 * r);
  if (!(in.u8(kOptions) & kOptFuzzedSp)) s.gpr[cpu::RSP] = 0xFFFE;
  set_real_segment(s, cpu::CS, kCodeSeg);
  s.rip = 0;
  const unsigned order[] = {cpu::DS, cpu::ES, cpu::SS, cpu::FS, cpu::GS};
  for (unsigned k = 0; k < 5; ++k) {
    const uint16_t sel = in.u16(kExtra + 2 * k);
    set_real_segment(s, order[k], sel ? sel : (order[k] == cpu::SS ? kStackSeg : kDataSeg));
  }
  s.idtr = {0, 0x3FF};
  c.set_flags(cpu::flag::FIXED1 | (in.u32(kEflags) & kSettableFlags));

  run_and_check(c, bus, in);
  return 0;
}
