// ioapic.c — the 82093AA IO APIC (after xv6's ioapic.c): every pin masked at vector
// T_IRQ0 + pin, then ioapicenable() routes an ISA IRQ, edge-triggered and active high, to
// one CPU by APIC ID (82093AA datasheet 3.2.4).
#include "defs.h"

#define IOAPIC 0xFEC00000  // default physical address
#define REG_ID 0x00
#define REG_VER 0x01
#define REG_TABLE 0x10  // redirection table: two registers per pin
#define INT_DISABLED 0x00010000
#define INT_LEVEL 0x00008000
#define INT_ACTIVELOW 0x00002000
#define INT_LOGICAL 0x00000800

// IOREGSEL at offset 0, IOWIN at offset 0x10.
struct ioapic {
  uint reg;
  uint pad[3];
  uint data;
};

static volatile struct ioapic* ioapic;

static uint ioapicread(int reg) {
  ioapic->reg = reg;
  return ioapic->data;
}

static void ioapicwrite(int reg, uint data) {
  ioapic->reg = reg;
  ioapic->data = data;
}

void ioapicinit(void) {
  ioapic = (volatile struct ioapic*)IOAPIC;
  int maxintr = (ioapicread(REG_VER) >> 16) & 0xFF;
  int id = ioapicread(REG_ID) >> 24;
  if (id != ioapicid) cprintf("ioapicinit: id isn't equal to ioapicid; not a MP\n");
  // Mark all interrupts edge-triggered, active high, disabled, and not routed to any CPU.
  for (int i = 0; i <= maxintr; i++) {
    ioapicwrite(REG_TABLE + 2 * i, INT_DISABLED | (T_IRQ0 + i));
    ioapicwrite(REG_TABLE + 2 * i + 1, 0);
  }
}

void ioapicenable(int irq, int cpunum) {
  // Edge-triggered, active high, enabled, routed to the given CPU (physical destination).
  ioapicwrite(REG_TABLE + 2 * irq, T_IRQ0 + irq);
  ioapicwrite(REG_TABLE + 2 * irq + 1, cpunum << 24);
}
