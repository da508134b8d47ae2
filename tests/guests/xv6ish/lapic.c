// lapic.c — the local APIC and the CMOS clock (after xv6's lapic.c): the timer periodic at
// vector T_IRQ0 + IRQ_TIMER, LINT0/LINT1 masked, errors cleared, TPR 0. Register offsets in
// dwords (SDM Vol.3 table 10-1).
#include "defs.h"

#define ID (0x0020 / 4)
#define VER (0x0030 / 4)
#define TPR (0x0080 / 4)
#define EOI (0x00B0 / 4)
#define SVR (0x00F0 / 4)
#define ENABLE 0x00000100
#define ESR (0x0280 / 4)
#define ICRLO (0x0300 / 4)
#define INIT 0x00000500
#define STARTUP 0x00000600
#define DELIVS 0x00001000
#define ASSERT 0x00004000
#define DEASSERT 0x00000000
#define LEVEL 0x00008000
#define BCAST 0x00080000
#define BUSY 0x00001000
#define FIXED 0x00000000
#define ICRHI (0x0310 / 4)
#define TIMER (0x0320 / 4)
#define X1 0x0000000B  // divide by 1
#define PERIODIC 0x00020000
#define PCINT (0x0340 / 4)
#define LINT0 (0x0350 / 4)
#define LINT1 (0x0360 / 4)
#define ERROR (0x0370 / 4)
#define MASKED 0x00010000
#define TICR (0x0380 / 4)
#define TCCR (0x0390 / 4)
#define TDCR (0x03E0 / 4)

volatile uint* lapic;  // set by mpinit

static void lapicw(int index, int value) {
  lapic[index] = value;
  (void)lapic[ID];  // wait for the write to finish, by reading
}

void lapicinit(void) {
  if (!lapic) return;
  // Enable the local APIC; the spurious interrupt vector.
  lapicw(SVR, ENABLE | (T_IRQ0 + IRQ_SPURIOUS));
  // The timer counts down from TICR at the bus frequency (divide by 1) and interrupts
  // periodically. xv6's count, 10,000,000: 100 ms on Ringside's 100 MHz APIC bus.
  lapicw(TDCR, X1);
  lapicw(TIMER, PERIODIC | (T_IRQ0 + IRQ_TIMER));
  lapicw(TICR, 10000000);
  // Disable the logical interrupt lines (the virtual wire to the 8259A).
  lapicw(LINT0, MASKED);
  lapicw(LINT1, MASKED);
  // The performance counter overflow entry exists from version 4 on.
  if (((lapic[VER] >> 16) & 0xFF) >= 4) lapicw(PCINT, MASKED);
  lapicw(ERROR, T_IRQ0 + IRQ_ERROR);
  // Clear the error status register (back-to-back writes), and any outstanding interrupt.
  lapicw(ESR, 0);
  lapicw(ESR, 0);
  lapicw(EOI, 0);
  // An INIT level de-assert to all, to synchronise arbitration IDs; wait for delivery.
  lapicw(ICRHI, 0);
  lapicw(ICRLO, BCAST | INIT | LEVEL);
  while (lapic[ICRLO] & DELIVS) {
  }
  // Accept all interrupts.
  lapicw(TPR, 0);
}

int lapicid(void) {
  if (!lapic) return 0;
  return lapic[ID] >> 24;
}

void lapiceoi(void) {
  if (lapic) lapicw(EOI, 0);
}

void microdelay(int us) { (void)us; }

// The MC146818 CMOS clock.
#define CMOS_PORT 0x70
#define CMOS_RETURN 0x71
#define CMOS_STATA 0x0a
#define CMOS_STATB 0x0b
#define CMOS_UIP (1 << 7)  // update in progress
#define SECS 0x00
#define MINS 0x02
#define HOURS 0x04
#define DAY 0x07
#define MONTH 0x08
#define YEAR 0x09

static uint cmos_read(uint reg) {
  outb(CMOS_PORT, reg);
  microdelay(200);
  return inb(CMOS_RETURN);
}

static void fill_rtcdate(struct rtcdate* r) {
  r->second = cmos_read(SECS);
  r->minute = cmos_read(MINS);
  r->hour = cmos_read(HOURS);
  r->day = cmos_read(DAY);
  r->month = cmos_read(MONTH);
  r->year = cmos_read(YEAR);
}

// Reads the clock until two reads outside an update agree, then converts BCD if the
// status register B says so (bit 2 clear).
void cmostime(struct rtcdate* r) {
  struct rtcdate t1, t2;
  int sb = cmos_read(CMOS_STATB);
  int bcd = (sb & (1 << 2)) == 0;
  for (;;) {
    fill_rtcdate(&t1);
    if (cmos_read(CMOS_STATA) & CMOS_UIP) continue;
    fill_rtcdate(&t2);
    if (memcmp(&t1, &t2, sizeof(t1)) == 0) break;
  }
  if (bcd) {
#define CONV(x) (t1.x = ((t1.x >> 4) * 10) + (t1.x & 0xf))
    CONV(second);
    CONV(minute);
    CONV(hour);
    CONV(day);
    CONV(month);
    CONV(year);
#undef CONV
  }
  *r = t1;
  r->year += 2000;
}
