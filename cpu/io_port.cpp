// cpu/io_port.cpp — port I/O: the IOPL and TSS I/O-permission-bitmap checks (SDM Vol.1
// 19.5.1-19.5.2) and the PortIo event.
#include "cpu/cpu.h"
#include "cpu/cycles/model.h"

namespace cpu {

// CPL > IOPL or virtual-8086 mode: every bit of the TSS I/O permission bitmap for the
// accessed ports must be clear (SDM Vol.1 19.5.2).
void Cpu::check_io_bitmap(uint16_t port, unsigned size) {
  // Consult the I/O permission bitmap of a 32-bit TSS; every bit for the accessed ports
  // must be clear. A 16-bit TSS has no bitmap.
  const uint32_t type = s_.tr.attr & 0xF;
  if (!(type == 0x9 || type == 0xB) || s_.tr.limit < 0x67) fault(GP, 0);
  const uint32_t base = uint32_t(read_linear(s_.tr.base + 0x66, 2, true));
  const uint32_t byte = base + port / 8;
  if (byte + 1 > s_.tr.limit) fault(GP, 0);
  const uint32_t bits = uint32_t(read_linear(s_.tr.base + byte, 2, true));
  const uint32_t mask = ((1u << size) - 1) << (port & 7);
  if (bits & mask) fault(GP, 0);
}

// The cost, the counts and the PortIo event of one completed port access.
void Cpu::port_accessed(uint16_t port, unsigned size, bool write, bool claimed, uint32_t v) {
  s_.cycles += model_->per_byte_io;
  count_event(EventKind::PortIo);
  counts_.unclaimed_ports += !claimed;
  if (!obs_) return;
  Event e;
  e.kind = EventKind::PortIo;
  e.cs = s_.seg[CS].selector;
  e.ip = s_.rip;
  e.port = port;
  e.size = uint8_t(size);
  e.write = write;
  e.claimed = claimed;
  e.value = v;
  emit(e);
}

uint32_t Cpu::port_in(uint16_t port, unsigned size) {
  check_io_permission(port, size);
  uint32_t v = 0;
  const bool claimed = bus_.io_read(port, size, v);
  if (!claimed) v = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
  port_accessed(port, size, false, claimed, v);
  return v;
}

void Cpu::port_out(uint16_t port, unsigned size, uint32_t v) {
  check_io_permission(port, size);
  if (size < 4) v &= (1u << (size * 8)) - 1;
  const bool claimed = bus_.io_write(port, size, v);
  port_accessed(port, size, true, claimed, v);
}

}  // namespace cpu
