// uart.c — COM1, a 16550A at 0x3F8 (after xv6's uart.c): 9600 baud, 8N1, FIFO off, the
// received-data interrupt on, MCR = 0. Note that xv6 leaves MCR.OUT2 clear, which on a
// real PC's serial card keeps IRQ 4 off the bus; QEMU's 16550 does not model that gate,
// and neither does Ringside's machine by default (MachineConfig::com1_out2_gates_irq).
#include "defs.h"

#define COM1 0x3f8

static int uart;  // is there a uart?

void uartinit(void) {
  outb(COM1 + 2, 0);           // FIFO off
  outb(COM1 + 3, 0x80);        // unlock the divisor
  outb(COM1 + 0, 115200 / 9600);
  outb(COM1 + 1, 0);
  outb(COM1 + 3, 0x03);        // lock the divisor; 8 data bits, 1 stop bit, no parity
  outb(COM1 + 4, 0);
  outb(COM1 + 1, 0x01);        // enable the received-data interrupt
  // A status of 0xFF means no serial port.
  if (inb(COM1 + 5) == 0xFF) return;
  uart = 1;
  // Acknowledge pre-existing interrupt conditions; enable interrupts.
  inb(COM1 + 2);
  inb(COM1 + 0);
  ioapicenable(IRQ_COM1, 0);
  // Announce that we're here.
  for (const char* p = "xv6ish...\n"; *p; p++) uartputc(*p);
}

void uartputc(int c) {
  if (!uart) return;
  for (int i = 0; i < 128 && !(inb(COM1 + 5) & 0x20); i++) microdelay(10);
  outb(COM1 + 0, c);
}

static int uartgetc(void) {
  if (!uart) return -1;
  if (!(inb(COM1 + 5) & 0x01)) return -1;
  return inb(COM1 + 0);
}

void uartintr(void) { consoleintr(uartgetc); }
