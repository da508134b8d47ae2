/* tests/guests/pcprobe.S — a Multiboot 1 kernel that probes the PC's platform devices the
 * way a teaching kernel's early boot does:
 *   - the CMOS RTC (MC146818A, ports 0x70/0x71): waits until register A's UIP bit is clear,
 *     then reads the date and time (BCD, 24-hour, as a PC BIOS leaves it) and the century
 *     byte 0x32;
 *   - the VGA text screen: waits for a vertical retrace (Input Status 1 at 0x3DA, bit 3),
 *     writes two lines into the buffer at 0xB8000 and puts the hardware cursor after the
 *     second one (CRTC 0x0E/0x0F through 0x3D4/0x3D5);
 *   - PCI bus 0 through configuration mechanism #1 (0xCF8/0xCFC): every device and
 *     function whose vendor ID is not FFFFh is listed with its class code.
 * Everything is reported on COM1; the exit goes through isa-debug-exit (port 0xF4):
 * status (0x10 << 1) | 1 = 33 on success, 3 on failure.
 *
 * Expected COM1 output, started with --rtc-start 2026-11-25T12:00:00 (the whole run takes
 * a few milliseconds of machine time, so the clock still reads the start time):
 *   pcprobe: start
 *   pcprobe: rtc 2026-11-25 12:00:00 weekday 4
 *   pcprobe: vga retrace seen
 *   pcprobe: pci 00:00.0 8086:1237 class 060000
 *   pcprobe: done
 * and on the screen, row 0 "pcprobe: hello from the VGA text buffer", row 2 "rtc
 * 2026-11-25 12:00:00", the cursor at row 2, column 23.
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

/* MC146818A (datasheet "Address Map"). Bit 7 of the index port is the PC's NMI gate: the
 * kernel keeps NMIs enabled (bit 7 clear). */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SEC 0x00
#define RTC_MIN 0x02
#define RTC_HOUR 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_CENTURY 0x32
#define REG_A_UIP 0x80
#define REG_B_DM 0x04   /* 1 = binary */
#define REG_B_24H 0x02  /* 1 = 24-hour */

/* VGA (IBM VGA Technical Reference): colour text buffer, CRTC and Input Status 1. */
#define VGA_TEXT 0xB8000
#define VGA_COLUMNS 80
#define CRTC_INDEX 0x3D4
#define CRTC_DATA 0x3D5
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F
#define VGA_STATUS1 0x3DA
#define STATUS1_VRETRACE 0x08
#define ATTR 0x1F /* white on blue */

/* PCI Local Bus Specification 3.0, 3.2.2.3.2: CONFIG_ADDRESS = enable | bus << 16 |
 * device << 11 | function << 8 | register. */
#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC
#define PCI_ENABLE 0x80000000

	.file "pcprobe.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	cmp $MB_BOOT_MAGIC, %eax
	jne fail
	mov $msg_start, %esi
	call puts

	/* ---- RTC ---------------------------------------------------------------------- */
	/* Datasheet "Update Cycle": once UIP reads 0, at least 244 us pass before the next
	 * update changes the registers, so the reads below see one consistent time. */
1:	mov $RTC_REG_A, %al
	call cmos_read
	test $REG_A_UIP, %al
	jnz 1b
	mov $RTC_REG_B, %al
	call cmos_read
	and $(REG_B_DM | REG_B_24H), %al
	cmp $REG_B_24H, %al /* BCD and 24-hour, as a BIOS leaves it */
	jne fail
	mov $RTC_CENTURY, %al
	call cmos_read
	mov %al, rtc_century
	mov $RTC_YEAR, %al
	call cmos_read
	mov %al, rtc_year
	mov $RTC_MONTH, %al
	call cmos_read
	mov %al, rtc_month
	mov $RTC_DAY, %al
	call cmos_read
	mov %al, rtc_day
	mov $RTC_HOUR, %al
	call cmos_read
	mov %al, rtc_hour
	mov $RTC_MIN, %al
	call cmos_read
	mov %al, rtc_min
	mov $RTC_SEC, %al
	call cmos_read
	mov %al, rtc_sec
	mov $RTC_WEEKDAY, %al
	call cmos_read
	mov %al, rtc_weekday

	/* Format "YYYY-MM-DD hh:mm:ss" into time_text: BCD bytes print as two hex digits. */
	mov $time_text, %edi
	mov rtc_century, %al
	call bcd_out
	mov rtc_year, %al
	call bcd_out
	movb $'-', (%edi)
	inc %edi
	mov rtc_month, %al
	call bcd_out
	movb $'-', (%edi)
	inc %edi
	mov rtc_day, %al
	call bcd_out
	movb $' ', (%edi)
	inc %edi
	mov rtc_hour, %al
	call bcd_out
	movb $':', (%edi)
	inc %edi
	mov rtc_min, %al
	call bcd_out
	movb $':', (%edi)
	inc %edi
	mov rtc_sec, %al
	call bcd_out
	movb $0, (%edi)

	mov $msg_rtc, %esi
	call puts
	mov $time_text, %esi
	call puts
	mov $msg_weekday, %esi
	call puts
	mov rtc_weekday, %al
	add $'0', %al
	call putc
	mov $'\n', %al
	call putc

	/* ---- VGA ---------------------------------------------------------------------- */
	/* Wait for the start of a vertical retrace, as a kernel does before touching the
	 * screen to avoid snow (on a real CGA; harmless on a VGA). Bounded: one 70 Hz frame
	 * is about 14 ms, far fewer iterations than the bound. */
	mov $10000000, %ecx
1:	mov $VGA_STATUS1, %dx
	in %dx, %al
	test $STATUS1_VRETRACE, %al
	jnz 2f
	loop 1b
	jmp fail
2:	mov $msg_retrace, %esi
	call puts

	mov $msg_screen, %esi
	mov $VGA_TEXT, %edi
	call vga_puts
	mov $msg_screen_rtc, %esi
	mov $(VGA_TEXT + 2 * 2 * VGA_COLUMNS), %edi
	call vga_puts
	mov $time_text, %esi
	call vga_puts
	/* The cursor goes after the second line: cell = (EDI - VGA_TEXT) / 2. */
	sub $VGA_TEXT, %edi
	shr $1, %edi
	mov $CRTC_INDEX, %dx
	mov $CRTC_CURSOR_HI, %al
	out %al, %dx
	mov $CRTC_DATA, %dx
	mov %edi, %eax
	shr $8, %eax
	out %al, %dx
	mov $CRTC_INDEX, %dx
	mov $CRTC_CURSOR_LO, %al
	out %al, %dx
	mov $CRTC_DATA, %dx
	mov %edi, %eax
	out %al, %dx

	/* ---- PCI bus 0 ---------------------------------------------------------------- */
	xor %ebx, %ebx /* EBX = device << 11 | function << 8 */
1:	mov %ebx, %eax
	or $PCI_ENABLE, %eax
	mov $PCI_ADDR, %dx
	out %eax, %dx
	mov $PCI_DATA, %dx
	in %dx, %eax
	cmp $0xFFFF, %ax /* vendor FFFFh: nothing there (a master abort) */
	je 2f
	mov %eax, %ebp /* device:vendor */
	mov $msg_pci, %esi
	call puts
	mov $0, %al /* bus 00 */
	call put_hex8
	mov $':', %al
	call putc
	mov %ebx, %eax
	shr $11, %eax
	call put_hex8 /* device */
	mov $'.', %al
	call putc
	mov %ebx, %eax
	shr $8, %eax
	and $7, %al
	add $'0', %al
	call putc /* function */
	mov $' ', %al
	call putc
	mov %ebp, %eax
	call put_hex16 /* vendor */
	mov $':', %al
	call putc
	mov %ebp, %eax
	shr $16, %eax
	call put_hex16 /* device */
	mov $msg_class, %esi
	call puts
	mov %ebx, %eax /* register 08h: class code in bits 31-8 */
	or $(PCI_ENABLE | 0x08), %eax
	mov $PCI_ADDR, %dx
	out %eax, %dx
	mov $PCI_DATA, %dx
	in %dx, %eax
	shr $8, %eax
	push %eax
	shr $16, %eax
	call put_hex8
	mov (%esp), %eax
	shr $8, %eax
	call put_hex8
	pop %eax
	call put_hex8
	mov $'\n', %al
	call putc
2:	add $0x100, %ebx /* next function; after function 7 of device 31, done */
	cmp $0x10000, %ebx
	jb 1b

	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

fail:
	mov $msg_fail, %esi
	call puts
	mov $EXIT_FAIL, %al
	/* fall through */

/* sim_exit: AL = isa-debug-exit value. If nothing listens on the port, stop here. */
sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

cmos_read: /* AL = CMOS index (NMI gate bit 7 left clear) -> AL = the byte */
	out %al, $CMOS_INDEX
	in $CMOS_DATA, %al
	ret

bcd_out: /* AL = BCD byte -> two ASCII digits at (EDI), EDI += 2 */
	push %eax
	shr $4, %al
	add $'0', %al
	mov %al, (%edi)
	pop %eax
	and $0x0F, %al
	add $'0', %al
	mov %al, 1(%edi)
	add $2, %edi
	ret

vga_puts: /* ESI = NUL-terminated string, EDI = cell address; EDI ends after the text */
	push %eax
	push %esi
1:	lodsb
	test %al, %al
	jz 2f
	mov $ATTR, %ah
	mov %ax, (%edi)
	add $2, %edi
	jmp 1b
2:	pop %esi
	pop %eax
	ret

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

put_hex8: /* AL = value, printed as 2 lowercase hex digits; preserves all registers */
	push %ecx
	push %edx
	push %eax
	mov %eax, %edx
	shl $24, %edx
	mov $2, %ecx
	jmp hex_loop
put_hex16: /* AX = value, printed as 4 lowercase hex digits; preserves all registers */
	push %ecx
	push %edx
	push %eax
	mov %eax, %edx
	shl $16, %edx
	mov $4, %ecx
hex_loop:
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
hex_digits:     .ascii "0123456789abcdef"
msg_start:      .asciz "pcprobe: start\n"
msg_rtc:        .asciz "pcprobe: rtc "
msg_weekday:    .asciz " weekday "
msg_retrace:    .asciz "pcprobe: vga retrace seen\n"
msg_pci:        .asciz "pcprobe: pci "
msg_class:      .asciz " class "
msg_done:       .asciz "pcprobe: done\n"
msg_fail:       .asciz "pcprobe: FAILED\n"
msg_screen:     .asciz "pcprobe: hello from the VGA text buffer"
msg_screen_rtc: .asciz "rtc "

	.bss
rtc_century: .byte 0
rtc_year:    .byte 0
rtc_month:   .byte 0
rtc_day:     .byte 0
rtc_hour:    .byte 0
rtc_min:     .byte 0
rtc_sec:     .byte 0
rtc_weekday: .byte 0
time_text:   .space 32
	.balign 16
	.space 4096
stack_top:
