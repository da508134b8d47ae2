/* tests/guests/disk.S — a Multiboot 1 kernel that drives the primary IDE channel by PIO.
 *
 * It identifies the master disk, prints its model and size, reads sectors 0 and 1 in LBA
 * mode (printing the text at the start of sector 0 and a checksum of both), reads sector 1
 * again in CHS mode and compares, writes a pattern to sector 5 and reads it back, and
 * checks that there is no slave (its Status reads 00h). All waiting is by polling the
 * Status register: IRQ 14 is raised by the controller, but this kernel leaves interrupts
 * off. Output goes to COM1; the exit goes through isa-debug-exit (port 0xF4): status
 * (0x10 << 1) | 1 = 33 on success, 3 on any failure (after a line saying what failed).
 *
 * Expected COM1 output for the image tests/unit/guest_disk_test.cpp builds (64 sectors;
 * sector 0 starts with "hello from sector 0"):
 *   disk: model "Ringside ATA disk"
 *   disk: 64 sectors
 *   disk: sector 0 says "hello from sector 0"
 *   disk: checksum of sectors 0-1: xxxxxxxx    (the 32-bit sum of their dwords)
 *   disk: CHS 0/0/2 is LBA 1
 *   disk: sector 5 written and read back
 *   disk: no device 1
 *   disk: done
 *
 * References: ATA/ATAPI-6 (T13/1410D r3b): clause 7 (registers), clause 8 (IDENTIFY
 * DEVICE, READ SECTORS, WRITE SECTORS, FLUSH CACHE), clause 9 (PIO data-in and data-out
 * protocols: wait for BSY = 0 and DRQ = 1 before each 256-word block).
 */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000000
#define MB_BOOT_MAGIC 0x2BADB002

#define COM1_THR 0x3F8
#define COM1_LSR 0x3FD
#define LSR_THRE 0x20

#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01

/* The primary channel's command block and control block (ATA-6 clause 7). */
#define ATA_DATA 0x1F0
#define ATA_ERROR 0x1F1
#define ATA_COUNT 0x1F2
#define ATA_LBA_LOW 0x1F3
#define ATA_LBA_MID 0x1F4
#define ATA_LBA_HIGH 0x1F5
#define ATA_DEVICE 0x1F6
#define ATA_STATUS 0x1F7
#define ATA_COMMAND 0x1F7
#define ATA_ALTSTATUS 0x3F6

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF 0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01

#define DEV_MASTER_LBA 0xE0 /* bits 7 and 5 set (obsolete, traditionally one), LBA, DEV=0 */
#define DEV_MASTER_CHS 0xA0
#define DEV_SLAVE 0xB0

#define CMD_READ_SECTORS 0x20
#define CMD_WRITE_SECTORS 0x30
#define CMD_FLUSH_CACHE 0xE7
#define CMD_IDENTIFY 0xEC

#define SPIN 1000000 /* polls before giving up on the device */

	.file "disk.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	/* Multiboot spec 3.2: flat 32-bit protected mode, paging and interrupts off. */
	cli
	cld
	mov $stack_top, %esp
	cmp $MB_BOOT_MAGIC, %eax
	mov $msg_bad_magic, %esi
	jne fail

	/* ---- IDENTIFY DEVICE on the master (PIO data-in, one block). */
	call wait_not_busy
	mov $DEV_MASTER_CHS, %al
	mov $ATA_DEVICE, %dx
	out %al, %dx
	call wait_ready
	mov $CMD_IDENTIFY, %al
	mov $ATA_COMMAND, %dx
	out %al, %dx
	mov $buf, %edi
	mov $msg_identify, %esi
	call read_block

	/* Model: words 27-46, the first character of each pair in the high byte. */
	mov $msg_model, %esi
	call puts
	mov $buf + 27 * 2, %esi
	mov $40, %ecx
	call put_ata_string
	mov $msg_model_end, %esi
	call puts

	/* Size: words 60-61, the LBA28 user-addressable sectors. */
	mov $msg_disk, %esi
	call puts
	mov buf + 60 * 2, %eax
	mov %eax, sectors
	call put_dec
	mov $msg_sectors, %esi
	call puts

	/* ---- READ SECTORS: LBA 0, 2 sectors, one DRQ block each. */
	mov $0, %eax
	mov $2, %ecx
	mov $CMD_READ_SECTORS, %bl
	call lba_command
	mov $buf, %edi
	mov $msg_read, %esi
	call read_block
	call read_block /* EDI moved on by 512 */
	call wait_ready

	mov $msg_sector0, %esi
	call puts
	mov $buf, %esi
	call puts       /* the image holds a NUL-terminated line there */
	mov $msg_quote_nl, %esi
	call puts

	/* Checksum: the 32-bit sum of the 256 dwords of sectors 0 and 1. */
	xor %eax, %eax
	xor %ecx, %ecx
1:	add buf(, %ecx, 4), %eax
	inc %ecx
	cmp $256, %ecx
	jb 1b
	mov $msg_checksum, %esi
	call puts
	call put_hex32
	mov $'\n', %al
	call putc

	/* ---- The same sector 1 through CHS: cylinder 0, head 0, sector 2 (sectors count
	 * from 1), into buf2; it must equal the second half of buf. */
	call wait_not_busy
	mov $DEV_MASTER_CHS, %al
	mov $ATA_DEVICE, %dx
	out %al, %dx
	call wait_ready
	mov $1, %al
	mov $ATA_COUNT, %dx
	out %al, %dx
	mov $2, %al
	mov $ATA_LBA_LOW, %dx
	out %al, %dx
	xor %al, %al
	mov $ATA_LBA_MID, %dx
	out %al, %dx
	mov $ATA_LBA_HIGH, %dx
	out %al, %dx
	mov $CMD_READ_SECTORS, %al
	mov $ATA_COMMAND, %dx
	out %al, %dx
	mov $buf2, %edi
	mov $msg_read, %esi
	call read_block
	call wait_ready
	mov $buf + 512, %esi
	mov $buf2, %edi
	mov $128, %ecx
	repe cmpsl
	mov $msg_chs_mismatch, %esi
	jne fail
	mov $msg_chs, %esi
	call puts

	/* ---- WRITE SECTORS: a pattern (byte j = 3j + 5Ah) to LBA 5 (PIO data-out), then
	 * FLUSH CACHE, then read it back and compare. */
	xor %ecx, %ecx
1:	lea 0x5A(%ecx, %ecx, 2), %eax
	mov %al, pattern(%ecx)
	inc %ecx
	cmp $512, %ecx
	jb 1b
	mov $5, %eax
	mov $1, %ecx
	mov $CMD_WRITE_SECTORS, %bl
	call lba_command
	mov $pattern, %esi
	call write_block
	call wait_ready
	mov $CMD_FLUSH_CACHE, %al
	mov $ATA_COMMAND, %dx
	out %al, %dx
	call delay400
	call wait_ready

	mov $5, %eax
	mov $1, %ecx
	mov $CMD_READ_SECTORS, %bl
	call lba_command
	mov $buf2, %edi
	mov $msg_read, %esi
	call read_block
	call wait_ready
	mov $pattern, %esi
	mov $buf2, %edi
	mov $128, %ecx
	repe cmpsl
	mov $msg_readback_mismatch, %esi
	jne fail
	mov $msg_written, %esi
	call puts

	/* ---- Device 1: absent, so its Status reads 00h (ATA-6 "Device 0 only
	 * configurations"). */
	mov $DEV_SLAVE, %al
	mov $ATA_DEVICE, %dx
	out %al, %dx
	call delay400
	mov $ATA_STATUS, %dx
	in %dx, %al
	test %al, %al
	mov $msg_slave_present, %esi
	jnz fail
	mov $msg_no_slave, %esi
	call puts

	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

/* fail: ESI = what failed. Prints it with the status and error registers, exits 3. */
fail:
	push %esi
	mov $msg_fail, %esi
	call puts
	pop %esi
	call puts
	mov $msg_status, %esi
	call puts
	mov $ATA_ALTSTATUS, %dx
	in %dx, %al
	movzbl %al, %eax
	call put_hex32
	mov $msg_error, %esi
	call puts
	mov $ATA_ERROR, %dx
	in %dx, %al
	movzbl %al, %eax
	call put_hex32
	mov $'\n', %al
	call putc
	mov $EXIT_FAIL, %al
	/* fall through */

sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

/* ---------------------------------------------------------------------------------------
 * ATA helpers. All preserve registers except as noted. */

/* delay400: ATA-6 clause 9: the host waits 400 ns after writing Command (or Device)
 * before Status is valid; four reads of Alternate Status take at least that long. */
delay400:
	push %eax
	push %edx
	mov $ATA_ALTSTATUS, %dx
	in %dx, %al
	in %dx, %al
	in %dx, %al
	in %dx, %al
	pop %edx
	pop %eax
	ret

/* wait_not_busy: poll Status until BSY = 0. */
wait_not_busy:
	push %eax
	push %ecx
	push %edx
	push %esi
	mov $SPIN, %ecx
	mov $ATA_STATUS, %dx
1:	in %dx, %al
	test $ST_BSY, %al
	jz 2f
	loop 1b
	mov $msg_timeout, %esi
	jmp fail
2:	pop %esi
	pop %edx
	pop %ecx
	pop %eax
	ret

/* wait_ready: poll until BSY = 0, then require DRDY = 1 and ERR = DF = DRQ = 0. */
wait_ready:
	push %eax
	push %edx
	push %esi
	call wait_not_busy
	mov $ATA_STATUS, %dx
	in %dx, %al
	and $(ST_DRDY | ST_DF | ST_DRQ | ST_ERR), %al
	cmp $ST_DRDY, %al
	mov $msg_not_ready, %esi
	jne fail
	pop %esi
	pop %edx
	pop %eax
	ret

/* wait_drq: poll until BSY = 0, then require DRQ = 1 and ERR = 0. ESI = what is waited
 * for (for the failure message). */
wait_drq:
	push %eax
	push %edx
	call delay400
	call wait_not_busy
	mov $ATA_STATUS, %dx
	in %dx, %al
	test $(ST_ERR | ST_DF), %al
	jnz fail
	test $ST_DRQ, %al
	jz fail
	pop %edx
	pop %eax
	ret

/* read_block: wait for DRQ, then REP INSW 256 words to EDI (advanced by 512). */
read_block:
	push %ecx
	push %edx
	call wait_drq
	mov $ATA_DATA, %dx
	mov $256, %ecx
	rep insw
	pop %edx
	pop %ecx
	ret

/* write_block: wait for DRQ, then REP OUTSW 256 words from ESI (advanced by 512). */
write_block:
	push %ecx
	push %edx
	push %esi
	mov $msg_write, %esi
	call wait_drq
	pop %esi
	mov $ATA_DATA, %dx
	mov $256, %ecx
	rep outsw
	pop %edx
	pop %ecx
	ret

/* lba_command: EAX = LBA (28 bits), CL = sector count, BL = command. Selects the master
 * in LBA mode, loads the task file and writes the command. Clobbers EAX, EDX. */
lba_command:
	push %eax
	call wait_not_busy
	shr $24, %eax
	and $0x0F, %al
	or $DEV_MASTER_LBA, %al
	mov $ATA_DEVICE, %dx
	out %al, %dx
	call delay400
	call wait_ready
	mov %cl, %al
	mov $ATA_COUNT, %dx
	out %al, %dx
	pop %eax
	mov $ATA_LBA_LOW, %dx
	out %al, %dx
	shr $8, %eax
	mov $ATA_LBA_MID, %dx
	out %al, %dx
	shr $8, %eax
	mov $ATA_LBA_HIGH, %dx
	out %al, %dx
	mov %bl, %al
	mov $ATA_COMMAND, %dx
	out %al, %dx
	ret

/* put_ata_string: ESI = ATA string of ECX characters (even), pairs swapped; prints it
 * without its trailing spaces. */
put_ata_string:
	push %eax
	push %ebx
	push %ecx
	/* Trailing spaces: find the last non-space character (index EBX). */
	mov %ecx, %ebx
1:	test %ebx, %ebx
	jz 3f
	lea -1(%ebx), %eax
	xor $1, %eax             /* character i sits at byte i ^ 1 */
	cmpb $' ', (%esi, %eax)
	jne 2f
	dec %ebx
	jmp 1b
2:	xor %ecx, %ecx
4:	mov %ecx, %eax
	xor $1, %eax
	mov (%esi, %eax), %al
	call putc
	inc %ecx
	cmp %ebx, %ecx
	jb 4b
3:	pop %ecx
	pop %ebx
	pop %eax
	ret

/* ---------------------------------------------------------------------------------------
 * COM1 output (16550: wait for LSR.THRE, bounded). */
putc: /* AL = byte */
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

puts: /* ESI = NUL-terminated string */
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

put_hex32: /* EAX = value, 8 lowercase hex digits */
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

put_dec: /* EAX = value, in decimal */
	push %eax
	push %ecx
	push %edx
	push %ebx
	mov $10, %ebx
	xor %ecx, %ecx
1:	xor %edx, %edx
	div %ebx
	push %edx
	inc %ecx
	test %eax, %eax
	jnz 1b
2:	pop %eax
	add $'0', %al
	call putc
	loop 2b
	pop %ebx
	pop %edx
	pop %ecx
	pop %eax
	ret

	.section .rodata
hex_digits:             .ascii "0123456789abcdef"
msg_model:              .asciz "disk: model \""
msg_model_end:          .asciz "\"\n"
msg_disk:               .asciz "disk: "
msg_sectors:            .asciz " sectors\n"
msg_sector0:            .asciz "disk: sector 0 says \""
msg_quote_nl:           .asciz "\"\n"
msg_checksum:           .asciz "disk: checksum of sectors 0-1: "
msg_chs:                .asciz "disk: CHS 0/0/2 is LBA 1\n"
msg_written:            .asciz "disk: sector 5 written and read back\n"
msg_no_slave:           .asciz "disk: no device 1\n"
msg_done:               .asciz "disk: done\n"
msg_fail:               .asciz "disk: FAILED: "
msg_status:             .asciz " status="
msg_error:              .asciz " error="
msg_bad_magic:          .asciz "not started by a Multiboot loader"
msg_identify:           .asciz "IDENTIFY DEVICE data"
msg_read:               .asciz "READ SECTORS data"
msg_write:              .asciz "WRITE SECTORS data request"
msg_timeout:            .asciz "the device stays busy"
msg_not_ready:          .asciz "the device is not ready"
msg_chs_mismatch:       .asciz "CHS 0/0/2 differs from LBA 1"
msg_readback_mismatch:  .asciz "sector 5 reads back differently"
msg_slave_present:      .asciz "device 1 answers though no disk is attached"

	.bss
	.balign 4
sectors:  .long 0
buf:      .space 1024
buf2:     .space 512
pattern:  .space 512
	.balign 16
	.space 4096
stack_top:
