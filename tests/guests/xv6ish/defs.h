// defs.h — the kernel's constants and functions (after xv6's defs.h, memlayout.h, traps.h
// and mmu.h, reduced to one CPU and no processes).
#pragma once

#include "x86.h"

#define KERNBASE 0x80000000u
#define V2P(a) (((uint)(a)) - KERNBASE)
#define P2V(a) ((void*)(((char*)(a)) + KERNBASE))

// traps.h: the IRQ base and ISA IRQs, as xv6 numbers them.
#define T_IRQ0 32
#define IRQ_TIMER 0
#define IRQ_KBD 1
#define IRQ_COM1 4
#define IRQ_IDE 14
#define IRQ_ERROR 19
#define IRQ_SPURIOUS 31

#define SEG_KCODE 1
#define SEG_KDATA 2

#define NCPU 8
#define SECTOR_SIZE 512

struct cpu {
  uchar apicid;
};
extern struct cpu cpus[NCPU];
extern int ncpu;
extern uchar ioapicid;
extern volatile uint* lapic;

struct rtcdate {
  uint second, minute, hour, day, month, year;
};

// A disk request (xv6's struct buf, one sector).
#define B_VALID 0x2
#define B_DIRTY 0x4
struct buf {
  volatile int flags;
  uint dev;
  uint blockno;
  uchar data[SECTOR_SIZE];
};

// console.c
void consoleinit(void);
void cprintf(const char* fmt, ...);
void consoleintr(int (*getc)(void));
void consputc(int c);
int console_line(char* dst, int n);
extern uint console_bytes;
// ide.c
void ideinit(void);
void ideintr(void);
void iderw(struct buf* b);
extern int havedisk1;
extern uint ide_interrupts;
// ioapic.c
void ioapicinit(void);
void ioapicenable(int irq, int cpu);
// kbd.c
void kbdintr(void);
// lapic.c
void lapicinit(void);
int lapicid(void);
void lapiceoi(void);
void cmostime(struct rtcdate* r);
void microdelay(int us);
// mp.c
void mpinit(void);
// picirq.c
void picinit(void);
// trap.c
void tvinit(void);
void idtinit(void);
extern volatile uint ticks;
extern uint irq_counts[4];  // keyboard, COM1, IDE, spurious
// uart.c
void uartinit(void);
void uartintr(void);
void uartputc(int c);
// main.c
void panic(const char* s) __attribute__((noreturn));
void* memmove(void* dst, const void* src, uint n);
void* memset(void* dst, int c, uint n);
int memcmp(const void* a, const void* b, uint n);
