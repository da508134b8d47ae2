// picirq.c — the 8259A pair is not used (after xv6's picirq.c): mask every IRQ on both,
// the IO APIC delivers the ISA interrupts instead.
#include "defs.h"

#define IO_PIC1 0x20
#define IO_PIC2 0xA0

void picinit(void) {
  outb(IO_PIC1 + 1, 0xFF);
  outb(IO_PIC2 + 1, 0xFF);
}
