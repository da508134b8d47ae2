/* tests/guests/serial_echo.S — a Multiboot 1 kernel that echoes COM1 input, upper-cased.
 *
 * It programs the 16550A as a driver does (PC16550D datasheet, section 8): divisor 1
 * (115200 baud) through the divisor latch, 8 data bits, no parity, 1 stop bit, FIFOs
 * enabled and reset with a trigger level of 14, the received-data interrupt enabled and
 * MCR.OUT2 set (the PC's IRQ 4 gate), DTR and RTS on. Interrupts stay off (no interrupt
 * controller is used): the kernel polls LSR.DR, reads RBR, upper-cases a-z and sends the
 * byte back, polling LSR.THRE. Between polls it waits in a short delay loop, so a run's
 * trace stays small. A '.' ends the session: it prints the byte count and exits through
 * isa-debug-exit with status (0x10 << 1) | 1 = 33. A line-status error (LSR.OE, which
 * the host line's flow control must never cause) exits with status 3.
 *
 * Fed by an input script, e.g. (tests/unit/guest_serial_test.cpp):
 *   at 100us serial "hello, world\r\n"
 *   after 300us serial "bye."
 * prints "echo: ready\r\nHELLO, WORLD\r\nBYE\r\necho: 18 bytes\r\n".
 *
 * Reference run on QEMU 7.2 (from the build directory; QEMU has no input script, so the
 * bytes come from a pipe):
 *   (printf 'hello.'; sleep 1) | qemu-system-i386 -kernel tests/guests/serial_echo.elf \
 *     -display none -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=4
 *   -> "echo: ready\r\nELLO\r\necho: 5 bytes\r\n", exit status 33 (QEMU reads the pipe
 *      at once; the 'h' that arrives before the kernel resets the FIFO is lost)
 */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000000

#define COM1 0x3F8
#define RBR (COM1 + 0) /* receiver buffer (read), THR (write), DLL with DLAB */
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1) /* DLM with DLAB */
#define DLM (COM1 + 1)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)

#define LCR_DLAB 0x80
#define LCR_8N1 0x03
#define FCR_ENABLE 0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_TRIGGER_14 0xC0
#define IER_ERBFI 0x01
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT2 0x08
#define LSR_DR 0x01
#define LSR_ERRORS 0x1E /* OE, PE, FE, BI */
#define LSR_THRE 0x20

#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01
#define TERMINATOR '.'

	.file "serial_echo.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp

	/* Divisor latch: DLAB = 1, divisor 1 (115200 baud), then 8N1 with DLAB = 0. */
	mov $LCR, %dx
	mov $LCR_DLAB, %al
	out %al, %dx
	mov $DLL, %dx
	mov $1, %al
	out %al, %dx
	mov $DLM, %dx
	xor %al, %al
	out %al, %dx
	mov $LCR, %dx
	mov $LCR_8N1, %al
	out %al, %dx
	/* FIFOs on and cleared, receive trigger at 14 bytes. */
	mov $FCR, %dx
	mov $(FCR_ENABLE | FCR_RX_RESET | FCR_TX_RESET | FCR_TRIGGER_14), %al
	out %al, %dx
	/* Received-data interrupt, and OUT2 so IRQ 4 would reach the PIC. */
	mov $IER, %dx
	mov $IER_ERBFI, %al
	out %al, %dx
	mov $MCR, %dx
	mov $(MCR_DTR | MCR_RTS | MCR_OUT2), %al
	out %al, %dx

	mov $msg_ready, %esi
	call puts
	xor %ebx, %ebx /* bytes received */

next_byte:
	mov $LSR, %dx
	in %dx, %al
	test $LSR_ERRORS, %al
	jnz fail
	test $LSR_DR, %al
	jnz 1f
	call delay
	jmp next_byte
1:	mov $RBR, %dx
	in %dx, %al
	inc %ebx
	cmp $TERMINATOR, %al
	je done
	cmp $'a', %al
	jb 2f
	cmp $'z', %al
	ja 2f
	sub $('a' - 'A'), %al
2:	call putc
	jmp next_byte

done:
	mov $msg_done, %esi
	call puts
	mov %ebx, %eax
	call put_dec
	mov $msg_bytes, %esi
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

delay: /* about 200 instructions; preserves all registers */
	push %ecx
	mov $200, %ecx
1:	loop 1b
	pop %ecx
	ret

putc: /* AL = byte; preserves all registers */
	push %edx
	push %eax
	mov $LSR, %dx
1:	in %dx, %al
	test $LSR_THRE, %al
	jz 1b
	pop %eax
	mov $THR, %dx
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

put_dec: /* EAX = value, printed in decimal; preserves all registers */
	pusha
	mov $10, %ecx
	xor %edi, %edi /* digits pushed */
1:	xor %edx, %edx
	div %ecx
	push %edx
	inc %edi
	test %eax, %eax
	jnz 1b
2:	pop %eax
	add $'0', %al
	call putc
	dec %edi
	jnz 2b
	popa
	ret

	.section .rodata
msg_ready: .asciz "echo: ready\r\n"
msg_done:  .asciz "\r\necho: "
msg_bytes: .asciz " bytes\r\n"
msg_fail:  .asciz "\r\necho: line status error\r\n"

	.bss
	.balign 16
	.skip 4096
stack_top:
