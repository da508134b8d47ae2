// kbd.c — the PS/2 keyboard through the 8042 (after xv6's kbd.c): IRQ 1 reads the data
// port while the status register says a byte is there, tracks shift/ctrl/alt and the
// locks, and maps scancode set 1 make codes to ASCII. Like xv6 it relies on the firmware
// having left the 8042 with translation and the keyboard interrupt on (command byte 0x45).
#include "defs.h"
#include "kbd.h"

static int kbdgetc(void) {
  static uint shift;
  static const uchar* charcode[4] = {normalmap, shiftmap, ctlmap, ctlmap};
  uint st = inb(KBSTATP);
  if ((st & KBS_DIB) == 0) return -1;
  uint data = inb(KBDATAP);
  if (data == 0xE0) {
    shift |= E0ESC;
    return 0;
  } else if (data & 0x80) {
    // Key released.
    data = (shift & E0ESC ? data : data & 0x7F);
    shift &= ~(shiftcode[data] | E0ESC);
    return 0;
  } else if (shift & E0ESC) {
    // The last character was an E0 escape; or with 0x80.
    data |= 0x80;
    shift &= ~E0ESC;
  }
  shift |= shiftcode[data];
  shift ^= togglecode[data];
  uint c = charcode[shift & (CTL | SHIFT)][data];
  if (shift & CAPSLOCK) {
    if ('a' <= c && c <= 'z')
      c += 'A' - 'a';
    else if ('A' <= c && c <= 'Z')
      c += 'a' - 'A';
  }
  return c;
}

void kbdintr(void) { consoleintr(kbdgetc); }
