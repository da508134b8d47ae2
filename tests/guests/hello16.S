/* tests/guests/hello16.S — a 512-byte boot sector: real mode at 0000:7C00 prints "hello16\n"
 * to port 0xE9 (the Bochs/QEMU debug console) and writes 0 to port 0xF4 (isa-debug-exit:
 * exit status (0 << 1) | 1 = 1).
 *
 * Linked at 0x7C00 (hello16.ld) and turned into a flat binary with objcopy -O binary. */
#define DEBUGCON 0xE9
#define EXIT_PORT 0xF4

	.file "hello16.S" /* names the symbol table's FILE entry: the same ELF every build */
	.code16
	.text
	.globl _start
_start:
	/* A BIOS may enter at 07C0:0000 as well as 0000:7C00; a far jump makes CS = 0. */
	ljmp $0, $1f
1:	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7C00, %sp
	cld

	/* Each byte of the message to the debug console. */
	mov $msg, %si
2:	lodsb
	test %al, %al
	jz 3f
	out %al, $DEBUGCON
	jmp 2b

	/* Exit, and stop here if nothing listens on the exit port. */
3:	xor %al, %al
	out %al, $EXIT_PORT
4:	cli
	hlt
	jmp 4b

msg:	.asciz "hello16\n"

	/* The boot signature 55 AA in the last two bytes of the sector. */
	.org 510
	.byte 0x55, 0xAA
