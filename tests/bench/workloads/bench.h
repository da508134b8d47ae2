/* tests/bench/workloads/bench.h — the part every benchmark workload shares, #included once
 * at the top of each workload NAME.S. The same image runs on Ringside, Bochs and QEMU.
 *
 * Sector 0 (0x7C00, .boot): real mode, no BIOS services unless needed. If the rest of the
 * image is not already at 0x7E00 (the magic BENCH_MAGIC there: Ringside preloads it), read
 * it with INT 13h (Bochs and QEMU: their BIOS loads only the first sector). Then a flat GDT,
 * 32-bit protected mode, and bench_main.
 * Sector 1 on (0x7E00, .text): a header (magic, iteration count, instructions per
 * iteration: the count is patchable at file offset 516), an IDT whose every vector reports
 * "unexpected vector" (so a fault ends the run with a message instead of a triple fault),
 * then the workload's bench_run, and the completion line on port 0xE9:
 *
 *   bench NAME done iterations=N insns_per_iter=K checksum=0xXXXXXXXX [extra fields]
 *
 * and the exit: 0 to port 0xF4 (isa-debug-exit: status 1 on Ringside and QEMU), then
 * "Shutdown" to port 0x8900 (Bochs, which has no isa-debug-exit), then CLI; HLT.
 * A load failure or an unexpected vector prints "bench NAME FAILED: ..." and exits with 2
 * (status 5).
 *
 * The workload NAME.S defines, before #include "bench.h":
 *   BENCH_NAME       "name" (string)
 *   BENCH_PER_ITER   guest instructions per iteration of its loop (what the tables use)
 *   BENCH_DEFAULT_ITERS  iterations unless -DBENCH_ITERS=N is given at build time
 *   BENCH_EXTRA      (optional) defined if it provides bench_extra: prints more fields
 * and after it, in .text, bench_run: ECX = iterations in, EAX = checksum out; it may
 * clobber every general register but ESP, with IF clear on return.
 * Helpers for it: puts (ESI = NUL-terminated string), putdec (EAX), puthex (EAX),
 * set_gate (EAX = vector, EDX = handler: a 32-bit interrupt gate). */
#ifndef BENCH_ITERS
#define BENCH_ITERS BENCH_DEFAULT_ITERS
#endif
#define BENCH_MAGIC 0x57425352 /* "RSBW" */
#define DEBUGCON 0xE9
#define EXIT_PORT 0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define IDT_BASE 0x1000
#define IDT_VECTORS 48
#define STACK_TOP 0x7C00
#define CODE_SEL 0x08
#define DATA_SEL 0x10


/* ---------------------------------------------------------------- sector 0, real mode */
	.section .boot, "ax"
	.code16
	.globl _start
_start:
	ljmp $0, $1f		/* CS = 0 whether the BIOS entered at 0000:7C00 or 07C0:0000 */
1:	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $STACK_TOP, %sp
	cld
	cmpl $BENCH_MAGIC, 0x7E00
	je loaded

	/* Not preloaded: read sectors 2.. of track 0, head 0 of drive DL to 0x7E00. */
	mov $3, %di
retry:	mov $bench_sectors, %al
	mov $2, %ah
	mov $0x0002, %cx	/* cylinder 0, sector 2 */
	xor %dh, %dh
	mov $0x7E00, %bx
	sti			/* a floppy read waits for IRQ 6 */
	int $0x13
	cli
	jnc check
	xor %ah, %ah		/* reset the drive and try again */
	int $0x13
	dec %di
	jnz retry
check:	cmpl $BENCH_MAGIC, 0x7E00
	je loaded
	mov $load_failed, %si
1:	lodsb
	test %al, %al
	jz 2f
	out %al, $DEBUGCON
	jmp 1b
2:	mov $2, %al
	jmp exit16

loaded:	/* Protected mode: a flat 4 GiB code and data segment, no interrupts. */
	lgdt gdt_desc
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmp $CODE_SEL, $pm32

exit16:	out %al, $EXIT_PORT
	mov $BOCHS_SHUTDOWN_PORT, %dx
	mov $shutdown_str, %si
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	cli
	hlt
	jmp 2b

	.code32
pm32:	mov $DATA_SEL, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $STACK_TOP, %esp
	jmp bench_main

	.balign 8
gdt:	.quad 0
	.quad 0x00CF9A000000FFFF	/* 0x08: code, base 0, 4 GiB, 32-bit, ring 0 */
	.quad 0x00CF92000000FFFF	/* 0x10: data, base 0, 4 GiB, writable */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
shutdown_str:
	.asciz "Shutdown"
load_failed:
	.asciz "bench " BENCH_NAME " FAILED: INT 13h could not load the image\n"

	.org 510
	.byte 0x55, 0xAA

/* ---------------------------------------------------------------- sector 1 on, 32-bit */
	.text
	.code32
bench_header:
	.long BENCH_MAGIC
bench_iters:
	.long BENCH_ITERS	/* file offset 516: compare may patch it */
	.long BENCH_PER_ITER

bench_main:
	/* The IDT: every vector to its stub, which reports it. */
	xor %eax, %eax
	mov $vec_stubs, %edx
1:	push %eax
	push %edx
	call set_gate
	pop %edx
	pop %eax
	add $8, %edx
	inc %eax
	cmp $IDT_VECTORS, %eax
	jb 1b
	lidt idt_desc

	mov bench_iters, %ecx
	call bench_run
	cli
	mov %eax, %ebx

	mov $msg_head, %esi
	call puts
	mov $msg_done, %esi
	call puts
	mov bench_iters, %eax
	call putdec
	mov $msg_per, %esi
	call puts
	mov $BENCH_PER_ITER, %eax
	call putdec
	mov $msg_sum, %esi
	call puts
	mov %ebx, %eax
	call puthex
#ifdef BENCH_EXTRA
	call bench_extra
#endif
	mov $msg_nl, %esi
	call puts
	xor %eax, %eax

/* bench_exit: AL = the isa-debug-exit value. */
bench_exit:
	out %al, $EXIT_PORT
	mov $BOCHS_SHUTDOWN_PORT, %dx
	mov $shutdown_str, %esi
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	cli
	hlt
	jmp 2b

/* set_gate: EAX = vector, EDX = handler. Clobbers EAX, EDX. */
set_gate:
	lea IDT_BASE(,%eax,8), %eax
	mov %dx, (%eax)
	movw $CODE_SEL, 2(%eax)
	movw $0x8E00, 4(%eax)	/* present, DPL 0, 32-bit interrupt gate */
	shr $16, %edx
	mov %dx, 6(%eax)
	ret

/* Each vector's stub pushes its number (8 bytes apart). */
	.balign 8
vec_stubs:
	.set vec, 0
	.rept IDT_VECTORS
	.balign 8
	push $vec
	jmp unexpected
	.set vec, vec + 1
	.endr

unexpected:
	mov $msg_head, %esi
	call puts
	mov $msg_unexpected, %esi
	call puts
	mov (%esp), %eax
	call putdec
	mov $msg_nl, %esi
	call puts
	mov $2, %al
	jmp bench_exit

/* puts: ESI = NUL-terminated string. Clobbers EAX, ESI. */
puts:	lodsb
	test %al, %al
	jz 1f
	out %al, $DEBUGCON
	jmp puts
1:	ret

/* putdec: EAX unsigned, in decimal. Clobbers EAX, ECX, EDX. */
putdec:	mov $10, %ecx
	push $-1		/* end marker */
1:	xor %edx, %edx
	div %ecx
	push %edx
	test %eax, %eax
	jnz 1b
2:	pop %eax
	cmp $-1, %eax
	je 3f
	add $'0', %al
	out %al, $DEBUGCON
	jmp 2b
3:	ret

/* puthex: EAX as 0x and 8 hex digits. Clobbers EAX, ECX, EDX. */
puthex:	mov %eax, %edx
	mov $'0', %al
	out %al, $DEBUGCON
	mov $'x', %al
	out %al, $DEBUGCON
	mov $8, %ecx
1:	rol $4, %edx
	mov %dl, %al
	and $0xF, %al
	add $'0', %al
	cmp $'9', %al
	jbe 2f
	add $('a' - '0' - 10), %al
2:	out %al, $DEBUGCON
	loop 1b
	ret

	.balign 4
idt_desc:
	.word IDT_VECTORS * 8 - 1
	.long IDT_BASE
msg_head:	.asciz "bench " BENCH_NAME
msg_done:	.asciz " done iterations="
msg_per:	.asciz " insns_per_iter="
msg_sum:	.asciz " checksum="
msg_unexpected:	.asciz " FAILED: unexpected vector "
msg_nl:		.asciz "\n"
