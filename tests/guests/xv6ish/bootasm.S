/* bootasm.S — the boot sector (after xv6's bootasm.S): the BIOS (or Ringside's --boot
 * loader) runs it at 0000:7C00 in real mode. It enables A20 through the 8042 keyboard
 * controller, switches to 32-bit protected mode with a flat GDT and calls bootmain(),
 * which loads the kernel ELF from the IDE disk. */

#define SEG_KCODE 1
#define SEG_KDATA 2
#define CR0_PE 0x00000001

	.code16
	.text
	.globl start
start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss

	/* A20 through the 8042's output port: wait for the input buffer to drain (status bit 1),
	 * command 0xD1 (write output port), wait again, then 0xDF (A20 on, no reset). */
seta20.1:
	inb $0x64, %al
	testb $0x2, %al
	jnz seta20.1
	movb $0xd1, %al
	outb %al, $0x64
seta20.2:
	inb $0x64, %al
	testb $0x2, %al
	jnz seta20.2
	movb $0xdf, %al
	outb %al, $0x60

	/* Protected mode: the GDT below maps virtual to physical addresses one to one. */
	lgdt gdtdesc
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmp $(SEG_KCODE << 3), $start32

	.code32
start32:
	movw $(SEG_KDATA << 3), %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl $start, %esp
	call bootmain
	/* bootmain returns only on a bad kernel: report on the debug port, exit with 2. */
	movb $'B', %al
	outb %al, $0xe9
	movb $2, %al
	outb %al, $0xf4
spin:
	jmp spin

	.p2align 2
gdt:
	.quad 0                                   /* null */
	.word 0xffff, 0x0000; .byte 0x00, 0x9a, 0xcf, 0x00   /* code: 0-4 GiB, read/execute */
	.word 0xffff, 0x0000; .byte 0x00, 0x92, 0xcf, 0x00   /* data: 0-4 GiB, read/write */
gdtdesc:
	.word gdtdesc - gdt - 1
	.long gdt
