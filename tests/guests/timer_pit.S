/* tests/guests/timer_pit.S — a Multiboot 1 kernel that counts timer interrupts: the 8254
 * PIT channel 0 in mode 2 at 1193182 / 1193 Hz (~1 kHz) through the 8259A PIC (remapped
 * to vectors 0x20-0x2F, only IRQ 0 unmasked).
 *
 * It loads its own GDT and IDT (exceptions 0-31: report and fail; 0x20: the timer; 0x21-
 * 0x2F: count as unexpected), programs the PIT, then the PIC, enables interrupts and
 * waits for TICKS interrupts with HLT, sending a non-specific EOI from each handler. With
 * interrupts off again it latches PIT counter 0 and reads it (LSB, MSB). It reports on
 * COM1 and exits through isa-debug-exit (port 0xF4): status (0x10 << 1) | 1 = 33 when
 * exactly TICKS timer interrupts arrived, one per HLT, no other vector, and the latched
 * count is a mode-2 count (1..1193); 3 otherwise.
 *
 * Expected COM1 output:
 *   timer_pit: start
 *   timer_pit: ticks=0000000a halts=0000000a other=00000000
 *   timer_pit: counter=XXXXXXXX     (the latched count, depends on the exact cycle)
 *   timer_pit: done
 *
 * Reference run on QEMU 7.2 (same output, another counter value, status 33):
 *   qemu-system-i386 -kernel timer_pit.elf -display none -serial stdio -monitor none \
 *     -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot
 *
 * References: Intel 8259A datasheet (231468) "Initialization Command Words" and OCW2;
 * Intel 8254 datasheet (231164) "Control Word Format", "Mode 2", "Counter Latch Command";
 * SDM Vol.3A 6.11 (IDT descriptors). */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000002
#define MB_BOOT_MAGIC 0x2BADB002

#define COM1_THR 0x3F8
#define COM1_LSR 0x3FD
#define LSR_THRE 0x20

#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01

#define KCODE 0x08
#define KDATA 0x10

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI 0x20      /* OCW2: non-specific EOI */
#define IRQ_BASE 0x20     /* IRQ 0-7 at 0x20-0x27, IRQ 8-15 at 0x28-0x2F */

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_COUNT 1193    /* 1193182 Hz / 1193 = 1000.15 Hz */
#define TICKS 10

	.file "timer_pit.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $kstack_top, %esp
	cmp $MB_BOOT_MAGIC, %eax
	jne fail

	/* Our own flat GDT (Multiboot leaves GDTR undefined), then reload the segments. */
	lgdt gdtr
	ljmp $KCODE, $1f
1:	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $kstack_top, %esp

	/* IDT: 32-bit interrupt gates, DPL 0 (SDM 6.11). */
	xor %ecx, %ecx
1:	mov $isr_exception, %eax
	call set_gate
	inc %ecx
	cmp $IRQ_BASE, %ecx
	jb 1b
1:	mov $isr_other, %eax
	call set_gate
	inc %ecx
	cmp $(IRQ_BASE + 16), %ecx
	jb 1b
	mov $IRQ_BASE, %ecx
	mov $isr_timer, %eax
	call set_gate
	lidt idtr

	mov $msg_start, %esi
	call puts

	/* 8254 counter 0: control word 00 11 010 0 = counter 0, LSB then MSB, mode 2 (rate
	 * generator), binary; then the count, LSB first. The count is loaded on the next CLK
	 * pulse and OUT (IRQ 0) rises every PIT_COUNT pulses after it. Programmed before the
	 * PIC: the control word sets OUT high, and that rising edge is forgotten when ICW1
	 * resets the PIC's edge-sense latches below. */
	mov $0x34, %al
	out %al, $PIT_CMD
	mov $(PIT_COUNT & 0xFF), %al
	out %al, $PIT_CH0
	mov $(PIT_COUNT >> 8), %al
	out %al, $PIT_CH0

	/* 8259A pair: ICW1 = edge triggered, cascade, ICW4 needed; ICW2 = vector base; ICW3 =
	 * slave on IR2 (master: bit mask 0x04, slave: ID 2); ICW4 = 8086 mode, normal EOI.
	 * Then OCW1: only IRQ 0 unmasked. */
	mov $0x11, %al
	out %al, $PIC1_CMD
	out %al, $PIC2_CMD
	mov $IRQ_BASE, %al
	out %al, $PIC1_DATA
	mov $(IRQ_BASE + 8), %al
	out %al, $PIC2_DATA
	mov $0x04, %al
	out %al, $PIC1_DATA
	mov $0x02, %al
	out %al, $PIC2_DATA
	mov $0x01, %al
	out %al, $PIC1_DATA
	out %al, $PIC2_DATA
	mov $0xFE, %al
	out %al, $PIC1_DATA
	mov $0xFF, %al
	out %al, $PIC2_DATA

	/* Wait for TICKS interrupts, one HLT each (SDM Vol.2 HLT: an interrupt resumes
	 * execution after it). STI's interrupt shadow covers the first HLT. */
	sti
1:	hlt
	incl halts
	cmpl $TICKS, ticks
	jb 1b
	cli

	/* 8254 "Counter Latch Command": control word with RW = 00 for counter 0; then read
	 * the latched count, LSB then MSB. */
	mov $0x00, %al
	out %al, $PIT_CMD
	in $PIT_CH0, %al
	mov %al, %bl
	in $PIT_CH0, %al
	mov %al, %bh
	movzwl %bx, %ebx

	mov $msg_ticks, %esi
	call puts
	mov ticks, %eax
	call put_hex32
	mov $msg_halts, %esi
	call puts
	mov halts, %eax
	call put_hex32
	mov $msg_other, %esi
	call puts
	mov other, %eax
	call put_hex32
	mov $msg_counter, %esi
	call puts
	mov %ebx, %eax
	call put_hex32
	mov $'\n', %al
	call putc

	cmpl $TICKS, ticks
	jne fail
	cmpl $TICKS, halts
	jne fail
	cmpl $0, other
	jne fail
	cmp $1, %ebx
	jb fail
	cmp $PIT_COUNT, %ebx
	ja fail
	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

fail:
	mov $msg_fail, %esi
	call puts
	mov $EXIT_FAIL, %al
sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

/* IRQ 0: count, non-specific EOI to the master (8259A OCW2), return. */
isr_timer:
	push %eax
	incl ticks
	mov $PIC_EOI, %al
	out %al, $PIC1_CMD
	pop %eax
	iret

/* Any other PIC vector (including a spurious IRQ 7 / 15, which must not be EOI'd). */
isr_other:
	incl other
	iret

isr_exception:
	mov $msg_exception, %esi
	call puts
	jmp fail

/* set_gate: IDT entry ECX = 32-bit interrupt gate to KCODE:EAX (SDM 6.11, Figure 6-2:
 * P=1, DPL=0, type 1110b). Clobbers EAX, EDI. */
set_gate:
	lea idt(, %ecx, 8), %edi
	mov %ax, 0(%edi)
	movw $KCODE, 2(%edi)
	movw $0x8E00, 4(%edi)
	shr $16, %eax
	mov %ax, 6(%edi)
	ret

/* COM1 output, waiting (a bounded time) for LSR.THRE before each byte. */
putc: /* AL = byte; preserves all registers */
	push %ecx
	push %edx
	push %eax
	mov $100000, %ecx
	mov $COM1_LSR, %dx
1:	in %dx, %al
	test $LSR_THRE, %al
	jnz 2f
	loop 1b
2:	pop %eax
	mov $COM1_THR, %dx
	out %al, %dx
	pop %edx
	pop %ecx
	ret

puts: /* ESI = NUL-terminated string; preserves all registers */
	push %esi
	push %eax
1:	lodsb
	test %al, %al
	jz 2f
	call putc
	jmp 1b
2:	pop %eax
	pop %esi
	ret

put_hex32: /* EAX = value, 8 lowercase hex digits; preserves all registers */
	push %ecx
	push %edx
	push %eax
	mov %eax, %edx
	mov $8, %ecx
1:	rol $4, %edx
	mov %edx, %eax
	and $0xF, %eax
	mov hex_digits(%eax), %al
	call putc
	loop 1b
	pop %eax
	pop %edx
	pop %ecx
	ret

	.section .rodata
hex_digits:    .ascii "0123456789abcdef"
msg_start:     .asciz "timer_pit: start\n"
msg_ticks:     .asciz "timer_pit: ticks="
msg_halts:     .asciz " halts="
msg_other:     .asciz " other="
msg_counter:   .asciz "\ntimer_pit: counter="
msg_done:      .asciz "timer_pit: done\n"
msg_fail:      .asciz "timer_pit: FAIL\n"
msg_exception: .asciz "timer_pit: unexpected exception\n"

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08: flat 32-bit code, DPL 0 */
	.quad 0x00CF92000000FFFF /* 0x10: flat data, DPL 0 */
gdt_end:
gdtr:
	.word gdt_end - gdt - 1
	.long gdt
	.balign 4
idtr:
	.word (IRQ_BASE + 16) * 8 - 1
	.long idt
ticks:  .long 0
halts:  .long 0
other:  .long 0

	.bss
	.balign 8
idt:
	.skip (IRQ_BASE + 16) * 8
	.balign 16
kstack:
	.skip 4096
kstack_top:
