/* tests/guests/diskboot.S — a boot sector that loads the rest of its program from the IDE
 * disk by PIO, the way xv6's bootblock loads its kernel, then runs it.
 *
 * Sector 0 (at 0000:7C00, real mode) reads sectors 1-3 of the primary master with one
 * READ SECTORS command in LBA mode, polling Status before each 512-byte block (ATA/ATAPI-6
 * clause 9, PIO data-in) and moving each block with REP INSL (32-bit Data register
 * accesses), to 1000:0000, and jumps there. Stage 2 prints over the debug console (port
 * 0xE9), checks the marker in the last dword of sector 3 (so all three sectors arrived)
 * and exits through isa-debug-exit: status (0x10 << 1) | 1 = 33; a failure prints a line
 * and exits with 3.
 *
 * Expected output on port 0xE9:
 *   diskboot: stage 2 loaded by PIO from sectors 1-3
 *   diskboot: done
 *
 * Build (tests/guests/CMakeLists.txt): diskboot.ld links sector 0 at 0x7C00 and stage 2 at
 * offset 0 of segment 0x1000, stored right after sector 0; objcopy makes the 2 KiB
 * diskboot.bin, padded to a 4 MiB diskboot.img, a hard disk (more than 2.88 MB), so that
 * `ringside run --boot diskboot.img` boots it with DL = 80h and attaches it as disk0. */
#define DEBUGCON 0xE9
#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01

#define ATA_DATA 0x1F0
#define ATA_COUNT 0x1F2
#define ATA_LBA_LOW 0x1F3
#define ATA_LBA_MID 0x1F4
#define ATA_LBA_HIGH 0x1F5
#define ATA_DEVICE 0x1F6
#define ATA_STATUS 0x1F7
#define ATA_COMMAND 0x1F7
#define ST_BSY 0x80
#define ST_DRQ 0x08
#define ST_ERR 0x01
#define CMD_READ_SECTORS 0x20

#define STAGE2_SEG 0x1000
#define STAGE2_SECTORS 3
#define MARKER 0xD15CB007

	.file "diskboot.S"
	.code16
	.section .boot, "ax"
	.globl _start
_start:
	ljmp $0, $1f
1:	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $0x7C00, %sp
	cld

	/* Wait until the device is not busy, then: master, LBA mode, LBA 1, 3 sectors. */
	call wait_not_busy
	mov $ATA_DEVICE, %dx
	mov $0xE0, %al
	out %al, %dx
	mov $ATA_COUNT, %dx
	mov $STAGE2_SECTORS, %al
	out %al, %dx
	mov $ATA_LBA_LOW, %dx
	mov $1, %al
	out %al, %dx
	xor %al, %al
	mov $ATA_LBA_MID, %dx
	out %al, %dx
	mov $ATA_LBA_HIGH, %dx
	out %al, %dx
	mov $ATA_COMMAND, %dx
	mov $CMD_READ_SECTORS, %al
	out %al, %dx

	/* One DRQ block per sector: wait for BSY = 0 and DRQ = 1, then 128 dwords to ES:DI. */
	mov $STAGE2_SEG, %ax
	mov %ax, %es
	xor %di, %di
	mov $STAGE2_SECTORS, %bx
2:	call wait_not_busy
	mov $ATA_STATUS, %dx
	in %dx, %al
	test $ST_ERR, %al
	jnz boot_fail
	test $ST_DRQ, %al
	jz 2b
	mov $ATA_DATA, %dx
	mov $128, %cx
	rep insl
	dec %bx
	jnz 2b

	ljmp $STAGE2_SEG, $0

wait_not_busy: /* clobbers AL, DX */
	mov $ATA_STATUS, %dx
1:	in %dx, %al
	test $ST_BSY, %al
	jnz 1b
	ret

boot_fail:
	mov $boot_fail_msg, %si
1:	lodsb
	test %al, %al
	jz 2f
	out %al, $DEBUGCON
	jmp 1b
2:	mov $EXIT_FAIL, %al
	out %al, $EXIT_PORT
3:	hlt
	jmp 3b

boot_fail_msg: .asciz "diskboot: READ SECTORS failed\n"

	.org 510
	.byte 0x55, 0xAA

/* ---- Stage 2: runs at 1000:0000 (linked at offset 0; diskboot.ld). */
	.section .stage2, "ax"
stage2:
	mov %cs, %ax
	mov %ax, %ds
	mov $msg_loaded, %si
	call puts
	cmpl $MARKER, marker
	jne 1f
	mov $msg_done, %si
	call puts
	mov $EXIT_PASS, %al
	out %al, $EXIT_PORT
	jmp halt
1:	mov $msg_marker, %si
	call puts
	mov $EXIT_FAIL, %al
	out %al, $EXIT_PORT
halt:
	cli
	hlt
	jmp halt

puts: /* DS:SI = NUL-terminated string */
	lodsb
	test %al, %al
	jz 1f
	out %al, $DEBUGCON
	jmp puts
1:	ret

msg_loaded: .asciz "diskboot: stage 2 loaded by PIO from sectors 1-3\n"
msg_done:   .asciz "diskboot: done\n"
msg_marker: .asciz "diskboot: the last sector did not arrive\n"

	.org STAGE2_SECTORS * 512 - 4
marker:
	.long MARKER
