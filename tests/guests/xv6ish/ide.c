// ide.c — the primary IDE channel, interrupt-driven (after xv6's ide.c): idestart() issues
// READ SECTORS or WRITE SECTORS (with the data right after the command, as xv6 does),
// ideintr() on IRQ 14 through the IO APIC reads the data of a read (checking BSY/DRDY and
// DF/ERR first) and marks the request done; iderw() waits with HLT until then. One request
// at a time (xv6 keeps a queue and sleeps; this kernel has no processes).
#include "defs.h"

#define IDE_BSY 0x80
#define IDE_DRDY 0x40
#define IDE_DF 0x20
#define IDE_ERR 0x01

#define IDE_CMD_READ 0x20
#define IDE_CMD_WRITE 0x30

static struct buf* volatile idequeue;
int havedisk1;
uint ide_interrupts;

// Waits for the disk to be ready; with checkerr, -1 on a device fault or error.
static int idewait(int checkerr) {
  int r;
  while (((r = inb(0x1f7)) & (IDE_BSY | IDE_DRDY)) != IDE_DRDY) {
  }
  if (checkerr && (r & (IDE_DF | IDE_ERR)) != 0) return -1;
  return 0;
}

void ideinit(void) {
  ioapicenable(IRQ_IDE, ncpu - 1);
  idewait(0);
  // Is disk 1 there? Select it and watch the status register: an absent device reads 0.
  outb(0x1f6, 0xe0 | (1 << 4));
  for (int i = 0; i < 1000; i++) {
    if (inb(0x1f7) != 0) {
      havedisk1 = 1;
      break;
    }
  }
  // Back to disk 0.
  outb(0x1f6, 0xe0 | (0 << 4));
}

static void idestart(struct buf* b) {
  uint sector = b->blockno;
  idewait(0);
  outb(0x3f6, 0);  // device control: nIEN = 0, interrupts on
  outb(0x1f2, 1);  // sector count
  outb(0x1f3, sector & 0xff);
  outb(0x1f4, (sector >> 8) & 0xff);
  outb(0x1f5, (sector >> 16) & 0xff);
  outb(0x1f6, 0xe0 | ((b->dev & 1) << 4) | ((sector >> 24) & 0x0f));
  if (b->flags & B_DIRTY) {
    outb(0x1f7, IDE_CMD_WRITE);
    outsl(0x1f0, b->data, SECTOR_SIZE / 4);
  } else {
    outb(0x1f7, IDE_CMD_READ);
  }
}

// IRQ 14. Like xv6, a completed write is not acknowledged by a Status read here: the
// next command's write to the Command register clears INTRQ (ATA/ATAPI-6 5.2.2).
void ideintr(void) {
  struct buf* b;
  ide_interrupts++;
  if ((b = idequeue) == 0) return;
  idequeue = 0;
  // Read the data if needed.
  if (!(b->flags & B_DIRTY) && idewait(1) >= 0) insl(0x1f0, b->data, SECTOR_SIZE / 4);
  b->flags |= B_VALID;
  b->flags &= ~B_DIRTY;
}

// Syncs buffer b with the disk: writes it if B_DIRTY, else reads it if not B_VALID. Called
// with interrupts off; waits with "sti; hlt" until ideintr() has finished it.
void iderw(struct buf* b) {
  if ((b->flags & (B_VALID | B_DIRTY)) == B_VALID) panic("iderw: nothing to do");
  if (b->dev != 0 && !havedisk1) panic("iderw: ide disk 1 not present");
  idequeue = b;
  idestart(b);
  while ((b->flags & (B_VALID | B_DIRTY)) != B_VALID) sti_hlt();
}
