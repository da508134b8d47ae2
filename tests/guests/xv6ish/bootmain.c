// bootmain.c — the boot sector's C half (after xv6's bootmain.c): reads the kernel ELF
// from disk 0, starting at sector 1, by polled PIO (READ SECTORS, one sector at a time,
// REP INSL), loads its program headers at their physical addresses and jumps to its
// entry point. It fits in the boot sector with bootasm.S (boot.ld checks the size).
#include "x86.h"

#define SECTSIZE 512
#define ELF_MAGIC 0x464C457FU

struct elfhdr {
  uint magic;
  uchar elf[12];
  ushort type, machine;
  uint version, entry, phoff, shoff, flags;
  ushort ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct proghdr {
  uint type, off, vaddr, paddr, filesz, memsz, flags, align;
};

static void waitdisk(void) {
  // Until BSY (bit 7) clear and DRDY (bit 6) set.
  while ((inb(0x1F7) & 0xC0) != 0x40) {
  }
}

static void readsect(void* dst, uint offset) {
  waitdisk();
  outb(0x1F2, 1);  // one sector
  outb(0x1F3, offset);
  outb(0x1F4, offset >> 8);
  outb(0x1F5, offset >> 16);
  outb(0x1F6, (offset >> 24) | 0xE0);  // LBA, device 0
  outb(0x1F7, 0x20);                   // READ SECTORS
  waitdisk();
  insl(0x1F0, dst, SECTSIZE / 4);
}

// Reads `count` bytes at `offset` of the kernel into physical address `pa` (whole
// sectors, so it may copy a little more).
static void readseg(uchar* pa, uint count, uint offset) {
  uchar* epa = pa + count;
  pa -= offset % SECTSIZE;
  offset = (offset / SECTSIZE) + 1;  // the kernel starts at sector 1
  for (; pa < epa; pa += SECTSIZE, offset++) readsect(pa, offset);
}

void bootmain(void) {
  struct elfhdr* elf = (struct elfhdr*)0x10000;  // scratch space
  readseg((uchar*)elf, 4096, 0);
  if (elf->magic != ELF_MAGIC) return;
  struct proghdr* ph = (struct proghdr*)((uchar*)elf + elf->phoff);
  struct proghdr* eph = ph + elf->phnum;
  for (; ph < eph; ph++) {
    uchar* pa = (uchar*)ph->paddr;
    readseg(pa, ph->filesz, ph->off);
    if (ph->memsz > ph->filesz) stosb(pa + ph->filesz, 0, ph->memsz - ph->filesz);
  }
  void (*entry)(void) = (void (*)(void))(elf->entry);
  entry();
}
