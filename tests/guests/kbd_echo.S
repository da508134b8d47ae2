/* tests/guests/kbd_echo.S — a Multiboot 1 kernel that types what the PS/2 keyboard sends.
 *
 * It initialises the 8042 and the keyboard by polling, as a driver without interrupts
 * does (IBM PC AT Technical Reference, keyboard controller; the keyboard command set):
 * disable the keyboard interface (0xAD), drain the output buffer, controller self test
 * (0xAA -> 0x55), command byte 0x44 (translation to set 1 and the system flag; IRQ 1
 * off), interface test (0xAB -> 0x00), enable the interface (0xAE), reset the keyboard
 * (0xFF -> 0xFA 0xAA) and identify it (0xF2 -> 0xFA 0xAB 0x41, translated). Then it reads
 * scancode set 1 from port 0x60, tracks the shift keys, turns make codes into characters
 * (US layout) and writes them to COM1 until Enter. Exit through isa-debug-exit with
 * (0x10 << 1) | 1 = 33, or 3 when the controller or keyboard answers wrongly.
 *
 * Fed by an input script (tests/unit/guest_serial_test.cpp):
 *   at 1ms key "Hi, there!\n"
 * prints "kbd: ready\r\nHi, there!\r\nkbd: done\r\n".
 *
 * Reference run on QEMU 7.2 (no keys: it waits after the initialisation):
 *   qemu-system-i386 -kernel tests/guests/kbd_echo.elf -display none -serial stdio \
 *     -monitor none -device isa-debug-exit,iobase=0xf4,iosize=4
 *   -> "kbd: ready\r\n" (every answer of the 8042 and the keyboard as expected)
 */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000000

#define KBC_DATA 0x60
#define KBC_STATUS 0x64 /* read */
#define KBC_CMD 0x64    /* write */
#define ST_OBF 0x01
#define ST_IBF 0x02

#define COM1_THR 0x3F8
#define COM1_LSR 0x3FD
#define LSR_THRE 0x20

#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01

#define SC_LSHIFT 0x2A
#define SC_RSHIFT 0x36
#define SC_ENTER 0x1C

	.file "kbd_echo.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp

	mov $0xAD, %al          /* disable the keyboard interface */
	call kbc_cmd
1:	in $KBC_STATUS, %al     /* drain whatever the output buffer holds */
	test $ST_OBF, %al
	jz 2f
	in $KBC_DATA, %al
	jmp 1b
2:	mov $0xAA, %al          /* controller self test */
	call kbc_cmd
	mov $0x55, %ah
	call expect
	mov $0x60, %al          /* write the command byte: translate, SYS, no IRQ */
	call kbc_cmd
	mov $0x44, %al
	call kbc_data
	mov $0xAB, %al          /* keyboard interface test */
	call kbc_cmd
	mov $0x00, %ah
	call expect
	mov $0xAE, %al          /* enable the keyboard interface */
	call kbc_cmd
	mov $0xFF, %al          /* keyboard reset: ACK, then self test passed */
	call kbc_data
	mov $0xFA, %ah
	call expect
	mov $0xAA, %ah
	call expect
	mov $0xF2, %al          /* identify: ACK, 0xAB, 0x83 translated to 0x41 */
	call kbc_data
	mov $0xFA, %ah
	call expect
	mov $0xAB, %ah
	call expect
	mov $0x41, %ah
	call expect

	mov $msg_ready, %esi
	call puts
	xor %ebx, %ebx          /* BL: shift held */

next_key:
	call read_byte
	cmp $SC_LSHIFT, %al
	je shift_down
	cmp $SC_RSHIFT, %al
	je shift_down
	cmp $(SC_LSHIFT | 0x80), %al
	je shift_up
	cmp $(SC_RSHIFT | 0x80), %al
	je shift_up
	test $0x80, %al         /* other break codes */
	jnz next_key
	cmp $SC_ENTER, %al
	je done
	cmp $keymap_size, %al
	jae next_key
	movzbl %al, %eax
	test %bl, %bl
	jz 1f
	mov keymap_shift(%eax), %al
	jmp 2f
1:	mov keymap(%eax), %al
2:	test %al, %al
	jz next_key
	call putc
	jmp next_key
shift_down:
	mov $1, %bl
	jmp next_key
shift_up:
	xor %bl, %bl
	jmp next_key

done:
	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	out %al, $EXIT_PORT
	hlt

fail:
	mov $msg_fail, %esi
	call puts
	mov $EXIT_FAIL, %al
	out %al, $EXIT_PORT
	hlt

/* AL = controller command. Waits for the input buffer to be empty first. */
kbc_cmd:
	push %eax
1:	in $KBC_STATUS, %al
	test $ST_IBF, %al
	jnz 1b
	pop %eax
	out %al, $KBC_CMD
	ret

/* AL = data byte (to the keyboard, or a command's argument). */
kbc_data:
	push %eax
1:	in $KBC_STATUS, %al
	test $ST_IBF, %al
	jnz 1b
	pop %eax
	out %al, $KBC_DATA
	ret

/* Waits for the output buffer (polling with a pause between reads); AL = the byte. */
read_byte:
1:	in $KBC_STATUS, %al
	test $ST_OBF, %al
	jnz 2f
	push %ecx
	mov $2000, %ecx
3:	loop 3b
	pop %ecx
	jmp 1b
2:	in $KBC_DATA, %al
	ret

/* AH = the byte expected next from the controller; fails the test otherwise. */
expect:
	call read_byte
	cmp %ah, %al
	jne fail
	ret

putc: /* AL = byte; preserves all registers */
	push %edx
	push %eax
	mov $COM1_LSR, %dx
1:	in %dx, %al
	test $LSR_THRE, %al
	jz 1b
	pop %eax
	mov $COM1_THR, %dx
	out %al, %dx
	pop %edx
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

	.section .rodata
/* Set 1 make codes 0x00-0x39 to characters, US layout; 0 = no character. */
keymap:
	.byte 0, 0x1B
	.ascii "1234567890-="
	.byte 0x08, 0x09
	.ascii "qwertyuiop[]"
	.byte 0, 0
	.ascii "asdfghjkl;'`"
	.byte 0
	.ascii "\\zxcvbnm,./"
	.byte 0, '*', 0, ' '
keymap_end:
keymap_shift:
	.byte 0, 0x1B
	.ascii "!@#$%^&*()_+"
	.byte 0x08, 0x09
	.ascii "QWERTYUIOP{}"
	.byte 0, 0
	.ascii "ASDFGHJKL:\"~"
	.byte 0
	.ascii "|ZXCVBNM<>?"
	.byte 0, '*', 0, ' '
	.set keymap_size, keymap_end - keymap

msg_ready: .asciz "kbd: ready\r\n"
msg_done:  .asciz "\r\nkbd: done\r\n"
msg_fail:  .asciz "\r\nkbd: unexpected answer from the 8042 or the keyboard\r\n"

	.bss
	.balign 16
	.skip 4096
stack_top:
