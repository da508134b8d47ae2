// main.c — the kernel's main (after xv6's main.c, reduced to one CPU and no processes):
// the same initialisation order for the devices it has, then a short session:
//   - the RTC date (cmostime), the MP configuration found;
//   - disk 1 by interrupt-driven IDE: sector 0's text, a checksum of sectors 0-7, sector 5
//     written with a pattern and read back;
//   - then an idle loop in HLT that echoes COM1 and keyboard input to the console; the line
//     "halt" prints a summary and exits through port 0xF4 (isa-debug-exit), value 0x10.
#include "defs.h"

#define NSECT 8  // sectors summed

static struct buf b;

void* memset(void* dst, int c, uint n) {
  stosb(dst, c, n);
  return dst;
}

void* memmove(void* dst, const void* src, uint n) {
  const char* s = src;
  char* d = dst;
  if (s < d && s + n > d) {
    s += n;
    d += n;
    while (n-- > 0) *--d = *--s;
  } else {
    while (n-- > 0) *d++ = *s++;
  }
  return dst;
}

int memcmp(const void* v1, const void* v2, uint n) {
  const uchar *s1 = v1, *s2 = v2;
  while (n-- > 0) {
    if (*s1 != *s2) return *s1 - *s2;
    s1++, s2++;
  }
  return 0;
}

static int strcmp(const char* p, const char* q) {
  while (*p && *p == *q) p++, q++;
  return (uchar)*p - (uchar)*q;
}

// The GDT: null, kernel code, kernel data, flat (after xv6's seginit without user segments).
static unsigned long long gdt[3] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};

static void seginit(void) {
  lgdt(gdt, sizeof(gdt));
  __asm__ volatile(
      "ljmp %0, $1f\n1:\n"
      "movw %w1, %%ax\n movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
      "xorw %%ax, %%ax\n movw %%ax, %%fs\n movw %%ax, %%gs\n"
      :
      : "i"(SEG_KCODE << 3), "i"(SEG_KDATA << 3)
      : "eax", "memory");
}

static void sector(uint dev, uint blockno, int write) {
  b.dev = dev;
  b.blockno = blockno;
  b.flags = write ? B_DIRTY : 0;
  iderw(&b);
}

static void exit_qemu(uchar v) { outb(0xf4, v); }

static uint disk_bytes, disk_sum;

static void disk_session(void) {
  // xv6 reads its file system from disk 1; without one, use disk 0 (this kernel's image).
  uint dev = havedisk1 ? 1 : 0;
  cprintf("ide: disk 1 %s, using disk %d\n", havedisk1 ? "present" : "absent", dev);
  sector(dev, 0, 0);
  disk_bytes += SECTOR_SIZE;
  if (dev == 1) {
    b.data[63] = 0;
    cprintf("ide: sector 0 says \"%s\"\n", (char*)b.data);
  }
  for (uint s = 0; s < NSECT; s++) {
    sector(dev, s, 0);
    disk_bytes += SECTOR_SIZE;
    for (int i = 0; i < SECTOR_SIZE; i += 4) disk_sum += *(uint*)(b.data + i);
  }
  cprintf("ide: checksum of sectors 0-%d: %x\n", NSECT - 1, disk_sum);
  // Write sector 5 with a pattern, clobber the buffer, read it back.
  for (int i = 0; i < SECTOR_SIZE; i++) b.data[i] = (uchar)(i * 3 + 0x5a);
  sector(dev, 5, 1);
  memset(b.data, 0, SECTOR_SIZE);
  sector(dev, 5, 0);
  disk_bytes += SECTOR_SIZE;
  int ok = 1;
  for (int i = 0; i < SECTOR_SIZE; i++) ok &= b.data[i] == (uchar)(i * 3 + 0x5a);
  cprintf("ide: sector 5 written and read back: %s\n", ok ? "ok" : "MISMATCH");
  cprintf("ide: %d interrupts\n", ide_interrupts);
}

int main(void) {
  mpinit();       // detect other processors
  lapicinit();    // interrupt controller
  seginit();      // segment descriptors
  picinit();      // disable the 8259As
  ioapicinit();   // another interrupt controller
  consoleinit();  // console hardware
  uartinit();     // serial port
  tvinit();       // trap vectors
  idtinit();
  ideinit();      // disk
  cprintf("cpu%d: starting, %d cpu(s), ioapic %d, lapic at %x\n", lapicid(), ncpu, ioapicid, (uint)lapic);
  struct rtcdate d;
  cmostime(&d);
  cprintf("rtc: %d-%d-%d %d:%d:%d\n", d.year, d.month, d.day, d.hour, d.minute, d.second);
  disk_session();
  cprintf("$ ");
  static char line[80];
  for (;;) {
    int n = console_line(line, sizeof line);
    if (n < 0) {
      sti_hlt();  // until an interrupt; interrupts are off again after it
      continue;
    }
    if (strcmp(line, "halt") == 0) break;
    cprintf("line: \"%s\" (%d bytes)\n$ ", line, n);
  }
  cprintf("summary: ticks %d, keyboard irqs %d, com1 irqs %d, ide irqs %d, spurious %d\n", ticks, irq_counts[0],
          irq_counts[1], ide_interrupts, irq_counts[3]);
  cprintf("summary: input bytes %d, disk bytes read %d, checksum %x\n", console_bytes, disk_bytes, disk_sum);
  exit_qemu(0x10);
  for (;;) {
  }
}
