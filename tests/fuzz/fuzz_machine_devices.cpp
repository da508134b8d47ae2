// tests/fuzz/fuzz_machine_devices.cpp — the PC's devices driven by an arbitrary sequence of
// port and MMIO accesses, time steps, interrupt acknowledges, host input and snapshot
// loads of arbitrary bytes.
//
// Input: 8-byte records [op, a, b (u16), v (u32)]; a short last record reads zeros.
//   op % 11:  0 port write (port b, size 1/2/4 from a, value v)   1 port read (port b)
//             2 LAPIC write (offset b & 0xFFF)   3 LAPIC read     4 IO APIC write (b & 0xFF)
//             5 IO APIC read                     6 advance time by v & 0xFFFFF cycles, run
//             the device events due             7 interrupt acknowledge (when INTR is up)
//             8 host input byte (a) on channel b & 1
//             9 save + load + save one device (a): the two saves must be equal
//            10 load the next (b & 0xFF) input bytes into device a as a snapshot; a
//               StateError (the expected outcome) resets the machine, as a failed
//               snapshot restore would
// Invariants: no crash, no sanitizer report, no hang (every op is bounded), and at the
// end every device's state survives save -> load -> save unchanged.
#include <cstring>
#include <vector>

#include "platform/machine.h"
#include "platform/state_io.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

platform::Machine& fresh_machine() {
  static platform::Machine m([] {
    platform::MachineConfig cfg;
    cfg.ram_bytes = 2 * platform::MiB;
    cfg.output = [](uint8_t) {};
    return cfg;
  }());
  m.cpu().state().cycles = 0;
  m.cpu().state().instret = 0;
  m.reset();
  while (!m.input().empty()) (void)m.input().take_due(UINT64_MAX);
  return m;
}

std::vector<uint8_t> save_of(const platform::Device& d) {
  platform::StateWriter w;
  d.save(w);
  return w.data();
}

void roundtrip(platform::Device& d) {
  const std::vector<uint8_t> a = save_of(d);
  platform::StateReader r(a);
  d.load(r);
  FUZZ_CHECK(r.at_end());
  FUZZ_CHECK(save_of(d) == a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fuzz;
  const Input in{data, size};
  platform::Machine& m = fresh_machine();
  const std::vector<platform::Device*>& devs = m.devices();
  constexpr uint64_t kLapic = 0xFEE0'0000, kIoApic = 0xFEC0'0000;
  static const unsigned kSizes[] = {1, 2, 4};
  size_t pos = 0;
  while (pos < size) {
    const uint8_t op = in.u8(pos), a = in.u8(pos + 1);
    const uint16_t b = in.u16(pos + 2);
    const uint32_t v = in.u32(pos + 4);
    pos += 8;
    const unsigned sz = kSizes[a % 3];
    uint32_t value = 0;
    switch (op % 11) {
      case 0: (void)m.io_write(b, sz, v); break;
      case 1: (void)m.io_read(b, sz, value); break;
      case 2: m.mmio_write(kLapic + (b & 0xFFC) + (a & 4 ? b & 3 : 0), sz, v); break;
      case 3: (void)m.mmio_read(kLapic + (b & 0xFFF), sz); break;
      case 4: m.mmio_write(kIoApic + (b & 0xFF), sz, v); break;
      case 5: (void)m.mmio_read(kIoApic + (b & 0xFF), sz); break;
      case 6: {
        m.cpu().state().cycles += v & 0xFFFFF;
        (void)m.scheduler().run_due(m.now());
        break;
      }
      case 7: (void)m.intr_ack(); break;
      case 8:
        m.input().push({m.now() + (v & 0xFFFF), (b & 1) ? platform::InputChannel::Keyboard
                                                         : platform::InputChannel::Serial, a});
        break;
      case 9: roundtrip(*devs[a % devs.size()]); break;
      case 10: {
        const size_t n = std::min<size_t>(b & 0xFF, in.tail_size(pos));
        platform::StateReader r({in.tail(pos), n});
        pos += n;
        try {
          devs[a % devs.size()]->load(r);
        } catch (const platform::StateError&) {
          m.reset();
        }
        break;
      }
    }
  }
  for (platform::Device* d : devs) roundtrip(*d);
  (void)m.dump();
  (void)m.state_hash();
  return 0;
}
