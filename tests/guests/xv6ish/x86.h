// x86.h — port I/O and special instructions as inline assembly (after xv6's x86.h).
#pragma once

typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;

static inline uchar inb(ushort port) {
  uchar data;
  __asm__ volatile("in %1,%0" : "=a"(data) : "d"(port));
  return data;
}

static inline void outb(ushort port, uchar data) { __asm__ volatile("out %0,%1" : : "a"(data), "d"(port)); }

static inline void outw(ushort port, ushort data) { __asm__ volatile("out %0,%1" : : "a"(data), "d"(port)); }

// REP INSL / REP OUTSL: 32-bit accesses to the IDE data port, as xv6 does.
static inline void insl(int port, void* addr, int cnt) {
  __asm__ volatile("cld; rep insl" : "=D"(addr), "=c"(cnt) : "d"(port), "0"(addr), "1"(cnt) : "memory", "cc");
}

static inline void outsl(int port, const void* addr, int cnt) {
  __asm__ volatile("cld; rep outsl" : "=S"(addr), "=c"(cnt) : "d"(port), "0"(addr), "1"(cnt) : "cc");
}

static inline void stosb(void* addr, int data, int cnt) {
  __asm__ volatile("cld; rep stosb" : "=D"(addr), "=c"(cnt) : "0"(addr), "1"(cnt), "a"(data) : "memory", "cc");
}

struct gatedesc;
static inline void lidt(void* p, int size) {
  volatile ushort pd[3];
  pd[0] = size - 1;
  pd[1] = (uint)p;
  pd[2] = (uint)p >> 16;
  __asm__ volatile("lidt (%0)" : : "r"(pd));
}

static inline void lgdt(void* p, int size) {
  volatile ushort pd[3];
  pd[0] = size - 1;
  pd[1] = (uint)p;
  pd[2] = (uint)p >> 16;
  __asm__ volatile("lgdt (%0)" : : "r"(pd));
}

static inline void cli(void) { __asm__ volatile("cli"); }
static inline void sti(void) { __asm__ volatile("sti"); }
// STI's one-instruction interrupt shadow makes "sti; hlt" wait without losing a wake-up
// that arrives between the check and the HLT.
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt; cli"); }

// The trap frame alltraps builds (after xv6's struct trapframe, without the user part).
struct trapframe {
  uint edi, esi, ebp, oesp, ebx, edx, ecx, eax;  // pushal
  ushort gs, padding1, fs, padding2, es, padding3, ds, padding4;
  uint trapno;
  uint err, eip;
  ushort cs, padding5;
  uint eflags;
};
