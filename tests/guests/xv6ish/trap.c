// trap.c — the IDT and the interrupt dispatcher (after xv6's trap.c): 256 interrupt gates
// to the stubs in entry.S; the LAPIC timer counts ticks, IRQ 1/4/14 go to their drivers,
// every device interrupt ends with an EOI to the local APIC. Spurious vectors are reported
// and acknowledged the way xv6 does.
#include "defs.h"

struct gatedesc {
  uint off_15_0 : 16;
  uint cs : 16;
  uint args : 5;
  uint rsv1 : 3;
  uint type : 4;
  uint s : 1;
  uint dpl : 2;
  uint p : 1;
  uint off_31_16 : 16;
};

#define STS_IG32 0xE  // 32-bit interrupt gate
#define STS_TG32 0xF  // 32-bit trap gate

static struct gatedesc idt[256];
extern char vectors[];  // entry.S: 16 bytes a vector
volatile uint ticks;
uint irq_counts[4];

static void setgate(struct gatedesc* g, int istrap, uint off) {
  g->off_15_0 = off & 0xffff;
  g->cs = SEG_KCODE << 3;
  g->args = 0;
  g->rsv1 = 0;
  g->type = istrap ? STS_TG32 : STS_IG32;
  g->s = 0;
  g->dpl = 0;
  g->p = 1;
  g->off_31_16 = off >> 16;
}

void tvinit(void) {
  for (int i = 0; i < 256; i++) setgate(&idt[i], 0, (uint)(vectors + 16 * i));
}

void idtinit(void) { lidt(idt, sizeof(idt)); }

static uint rcr2(void) {
  uint val;
  __asm__ volatile("movl %%cr2,%0" : "=r"(val));
  return val;
}

void trap(struct trapframe* tf) {
  switch (tf->trapno) {
    case T_IRQ0 + IRQ_TIMER:
      ticks++;
      lapiceoi();
      break;
    case T_IRQ0 + IRQ_IDE:
      ideintr();
      lapiceoi();
      break;
    case T_IRQ0 + IRQ_KBD:
      irq_counts[0]++;
      kbdintr();
      lapiceoi();
      break;
    case T_IRQ0 + IRQ_COM1:
      irq_counts[1]++;
      uartintr();
      lapiceoi();
      break;
    case T_IRQ0 + 7:
    case T_IRQ0 + IRQ_SPURIOUS:
      irq_counts[3]++;
      cprintf("cpu%d: spurious interrupt at %x:%x\n", lapicid(), tf->cs, tf->eip);
      lapiceoi();
      break;
    default:
      cprintf("unexpected trap %d from cpu %d eip %x (cr2=0x%x)\n", tf->trapno, lapicid(), tf->eip, rcr2());
      panic("trap");
  }
}
