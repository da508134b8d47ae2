/* tests/bench/workloads/irq.S — interrupt-heavy loop: the 8254 PIT channel 0 in mode 2 at
 * 1193182 / BENCH_PIT_DIVISOR Hz (default 12: about 99 kHz) through the 8259 PIC (IRQ 0 at
 * vector 0x20, every other IRQ masked) while a 4-instruction ALU loop runs with interrupts
 * on. The handler is 6 instructions (counts, EOI, IRET). Guest instructions =
 * iterations * 4 + interrupts * 6 (plus the delivery of each interrupt).
 * Extra fields: interrupts= (IRQ 0 handled), spurious= (any other vector 0x21-0x2F),
 * pit_divisor=. The checksum does not depend on the interrupts.
 *
 * How many interrupts land depends on how the emulator paces the PIT: against virtual time
 * tied to instructions (Bochs ips=, QEMU -icount) or against the host clock (QEMU without
 * -icount). Ringside paces its 8254 by the cycle counter (--cpu-mhz, default 1000 MHz): a
 * virtual clock tied to instructions through the cycle model, like Bochs ips=. */
	.file "irq.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "irq"
#define BENCH_PER_ITER 4
#define BENCH_DEFAULT_ITERS 20000000
#define BENCH_EXTRA
#ifndef BENCH_PIT_DIVISOR
#define BENCH_PIT_DIVISOR 12
#endif
#include "bench.h"

bench_run:
	mov %ecx, %ebp
	/* The PIC pair: ICW1 (edge, cascade, ICW4), ICW2 (vector bases 0x20, 0x28), ICW3,
	 * ICW4 (8086 mode), then OCW1: only IRQ 0 unmasked. */
	mov $0x11, %al
	out %al, $0x20
	out %al, $0xA0
	mov $0x20, %al
	out %al, $0x21
	mov $0x28, %al
	out %al, $0xA1
	mov $0x04, %al
	out %al, $0x21
	mov $0x02, %al
	out %al, $0xA1
	mov $0x01, %al
	out %al, $0x21
	out %al, $0xA1
	mov $0xFE, %al
	out %al, $0x21
	mov $0xFF, %al
	out %al, $0xA1
	/* Vectors 0x21-0x2F: spurious; 0x20: the timer. */
	mov $0x21, %ebx
1:	mov %ebx, %eax
	mov $spurious, %edx
	call set_gate
	inc %ebx
	cmp $0x30, %ebx
	jb 1b
	mov $0x20, %eax
	mov $timer, %edx
	call set_gate
	/* PIT channel 0: lobyte/hibyte, mode 2 (rate generator), binary. */
	mov $0x34, %al
	out %al, $0x43
	mov $(BENCH_PIT_DIVISOR & 0xFF), %al
	out %al, $0x40
	mov $(BENCH_PIT_DIVISOR >> 8), %al
	out %al, $0x40

	mov %ebp, %ecx
	xor %eax, %eax
	xor %edx, %edx
	sti
2:	add %ecx, %eax
	xor %eax, %edx
	dec %ecx
	jnz 2b
	cli
	xor %edx, %eax
	mov %eax, %ebx
	mov $0xFF, %al		/* mask the PIC again */
	out %al, $0x21
	mov %ebx, %eax
	ret

timer:	push %eax
	incl irq_count
	mov $0x20, %al		/* non-specific EOI */
	out %al, $0x20
	pop %eax
	iret

spurious:
	incl spurious_count
	iret

bench_extra:
	mov $msg_irqs, %esi
	call puts
	mov irq_count, %eax
	call putdec
	mov $msg_spurious, %esi
	call puts
	mov spurious_count, %eax
	call putdec
	mov $msg_divisor, %esi
	call puts
	mov $BENCH_PIT_DIVISOR, %eax
	call putdec
	ret

	.balign 4
irq_count:	.long 0
spurious_count:	.long 0
msg_irqs:	.asciz " interrupts="
msg_spurious:	.asciz " spurious="
msg_divisor:	.asciz " pit_divisor="
