// console.c — the console (after xv6's console.c): output to COM1 and to the CGA text
// screen at 0xB8000, whose cursor position is read from and written to the CRTC (index
// 0x3D4, data 0x3D5, registers 14 and 15); input from the keyboard and COM1 interrupts,
// echoed, collected into lines. cprintf() formats %d %x %p %s %c.
#include <stdarg.h>

#include "defs.h"

#define BACKSPACE 0x100
#define CRTPORT 0x3d4
#define INPUT_BUF 128

static ushort* crt = (ushort*)P2V(0xb8000);  // CGA memory
static int panicked;
uint console_bytes;  // input bytes taken into lines

static void cgaputc(int c) {
  int pos;
  // Cursor position: col + 80*row.
  outb(CRTPORT, 14);
  pos = inb(CRTPORT + 1) << 8;
  outb(CRTPORT, 15);
  pos |= inb(CRTPORT + 1);
  if (c == '\n')
    pos += 80 - pos % 80;
  else if (c == BACKSPACE) {
    if (pos > 0) --pos;
  } else
    crt[pos++] = (c & 0xff) | 0x0700;  // light grey on black
  if (pos < 0 || pos > 25 * 80) panic("pos under/overflow");
  if ((pos / 80) >= 24) {  // scroll up
    memmove(crt, crt + 80, sizeof(crt[0]) * 23 * 80);
    pos -= 80;
    memset(crt + pos, 0, sizeof(crt[0]) * (24 * 80 - pos));
  }
  outb(CRTPORT, 14);
  outb(CRTPORT + 1, pos >> 8);
  outb(CRTPORT, 15);
  outb(CRTPORT + 1, pos);
  crt[pos] = ' ' | 0x0700;
}

void consputc(int c) {
  if (panicked) {
    cli();
    for (;;) {
    }
  }
  if (c == BACKSPACE) {
    uartputc('\b');
    uartputc(' ');
    uartputc('\b');
  } else
    uartputc(c);
  cgaputc(c);
}

static void printint(int xx, int base, int sign) {
  static const char digits[] = "0123456789abcdef";
  char buf[16];
  uint x;
  if (sign && (sign = xx < 0))
    x = -xx;
  else
    x = xx;
  int i = 0;
  do {
    buf[i++] = digits[x % base];
  } while ((x /= base) != 0);
  if (sign) buf[i++] = '-';
  while (--i >= 0) consputc(buf[i]);
}

void cprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (int i = 0, c; (c = fmt[i] & 0xff) != 0; i++) {
    if (c != '%') {
      consputc(c);
      continue;
    }
    c = fmt[++i] & 0xff;
    if (c == 0) break;
    switch (c) {
      case 'd':
        printint(va_arg(ap, int), 10, 1);
        break;
      case 'x':
      case 'p':
        printint(va_arg(ap, int), 16, 0);
        break;
      case 'c':
        consputc(va_arg(ap, int));
        break;
      case 's': {
        const char* s = va_arg(ap, const char*);
        if (s == 0) s = "(null)";
        for (; *s; s++) consputc(*s);
        break;
      }
      case '%':
        consputc('%');
        break;
      default:
        // Print the unknown % sequence to draw attention to it.
        consputc('%');
        consputc(c);
        break;
    }
  }
  va_end(ap);
}

void panic(const char* s) {
  cli();
  cprintf("lapicid %d: panic: %s\n", lapicid(), s);
  panicked = 1;
  outb(0xf4, 1);  // isa-debug-exit: status 3
  for (;;) {
  }
}

// The input line buffer: r read index, w end of the committed lines, e edit index.
static struct {
  char buf[INPUT_BUF];
  uint r, w, e;
} input;

#define C(x) ((x) - '@')  // control-x

void consoleintr(int (*getc)(void)) {
  int c;
  while ((c = getc()) >= 0) {
    switch (c) {
      case C('U'):  // kill line
        while (input.e != input.w && input.buf[(input.e - 1) % INPUT_BUF] != '\n') {
          input.e--;
          consputc(BACKSPACE);
        }
        break;
      case C('H'):
      case '\x7f':  // backspace
        if (input.e != input.w) {
          input.e--;
          consputc(BACKSPACE);
        }
        break;
      default:
        if (c != 0 && input.e - input.r < INPUT_BUF) {
          c = (c == '\r') ? '\n' : c;
          input.buf[input.e++ % INPUT_BUF] = c;
          console_bytes++;
          consputc(c);
          if (c == '\n' || c == C('D') || input.e == input.r + INPUT_BUF) input.w = input.e;
        }
        break;
    }
  }
}

// Takes one committed line (without its '\n') into dst, NUL-terminated; returns its length,
// or -1 when no whole line is there yet. Call with interrupts off.
int console_line(char* dst, int n) {
  if (input.r == input.w) return -1;
  int len = 0;
  while (input.r != input.w) {
    char c = input.buf[input.r++ % INPUT_BUF];
    if (c == '\n' || c == C('D')) break;
    if (len < n - 1) dst[len++] = c;
  }
  dst[len] = 0;
  return len;
}

void consoleinit(void) { ioapicenable(IRQ_KBD, 0); }
