/* tests/guests/mbfloppy.S — a floppy boot sector that starts a Multiboot kernel on a PC
 * with a BIOS (Bochs, which cannot load Multiboot kernels itself), so that the same kernel
 * code runs on Bochs and on Ringside. The image is this sector followed by the kernel's
 * flat image (objcopy -O binary of an ELF linked at 1 MiB, its first bytes the Multiboot
 * header followed by three words: entry point, .bss start, .bss end — see vmx_cpuid.S and
 * vmx_cpuid.ld).
 *
 * Real mode at 0000:7C00: if the kernel is not already at 0x7E00 (the Multiboot magic there:
 * Ringside's --boot preloads the image), read 35 sectors with INT 13h AH=02h (track 0: head
 * 0 sectors 2-18, head 1 sectors 1-18) to 0x10000. Then A20 on (port 0x92), 32-bit protected
 * mode with a flat GDT (code 08H, data 10H), copy the 35 sectors to 0x100000, zero the .bss,
 * and jump to the entry with EAX = 2BADB002H and EBX = a Multiboot information structure
 * whose flags are 0 (nothing provided), interrupts off: the Multiboot machine state
 * (Multiboot 0.6.96, 3.2). A load failure prints "mbfloppy: load failed" on port 0xE9 and
 * writes 1 to port 0xF4 (isa-debug-exit status 3), then "Shutdown" to 0x8900 (Bochs). */
#define DEBUGCON 0xE9
#define EXIT_PORT 0xF4
#define BOCHS_SHUTDOWN_PORT 0x8900
#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002
#define PRELOAD 0x7E00
#define BUFFER_SEG 0x1000 /* 0x10000 */
#define KERNEL 0x100000
#define SECTORS 35
#define MBI 0x9000

	.file "mbfloppy.S"
	.code16
	.text
	.globl _start
_start:
	ljmp $0, $1f /* CS = 0 whether the BIOS entered at 0000:7C00 or 07C0:0000 */
1:	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7C00, %sp
	cld
	mov $PRELOAD, %esi
	cmpl $MB_HEADER_MAGIC, PRELOAD
	je loaded

	mov %dl, drive
	mov $BUFFER_SEG, %ax
	mov %ax, %es
	xor %bx, %bx
	mov $0x0002, %cx /* cylinder 0, sector 2 */
	xor %dh, %dh     /* head 0 */
	mov $17, %al
	call read
	mov $(17 * 512), %bx
	mov $0x0001, %cx /* cylinder 0, sector 1 */
	mov $1, %dh      /* head 1 */
	mov $18, %al
	call read
	mov $(BUFFER_SEG << 4), %esi
	cmpl $MB_HEADER_MAGIC, %es:0
	jne failed

loaded:	/* ESI = the flat image. A20, protected mode. */
	in $0x92, %al
	or $2, %al
	and $0xFE, %al
	out %al, $0x92
	lgdt gdt_desc
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmp $0x08, $pm32

/* read: AL sectors from CX (cylinder/sector) and DH (head) of the boot drive to ES:BX,
 * three tries with a reset in between. */
read:	mov $3, %di
1:	push %ax
	mov $2, %ah
	mov drive, %dl
	sti /* a floppy read waits for IRQ 6 */
	int $0x13
	cli
	pop %ax
	jnc 2f
	push %ax
	xor %ah, %ah
	mov drive, %dl
	int $0x13
	pop %ax
	dec %di
	jnz 1b
	jmp failed
2:	ret

failed:	mov $msg_failed, %si
1:	lodsb
	test %al, %al
	jz 2f
	out %al, $DEBUGCON
	jmp 1b
2:	mov $1, %al
	out %al, $EXIT_PORT
	mov $BOCHS_SHUTDOWN_PORT, %dx
	mov $msg_shutdown, %si
3:	lodsb
	test %al, %al
	jz 4f
	out %al, %dx
	jmp 3b
4:	hlt
	jmp 4b

	.code32
pm32:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $0x7C00, %esp
	mov $KERNEL, %edi
	mov $(SECTORS * 128), %ecx
	rep movsl
	mov KERNEL + 16, %edi /* .bss start */
	mov KERNEL + 20, %ecx /* .bss end */
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $MBI, %edi /* the Multiboot information: flags = 0 */
	mov $32, %ecx
	rep stosl
	mov $MB_BOOT_MAGIC, %eax
	mov $MBI, %ebx
	jmp *KERNEL + 12

	.balign 8
gdt:	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08: code, base 0, 4 GiB, 32-bit */
	.quad 0x00CF92000000FFFF /* 0x10: data, base 0, 4 GiB, writable */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
drive:	.byte 0
msg_failed:   .asciz "mbfloppy: load failed\n"
msg_shutdown: .asciz "Shutdown"
	.org 510
	.byte 0x55, 0xAA
