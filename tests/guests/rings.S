/* tests/guests/rings.S — a Multiboot 1 kernel that walks the privilege rings.
 *
 * It builds its own GDT (ring-0 and ring-3 code/data, a 32-bit TSS), IDT (vectors 0-31 and
 * a DPL-3 syscall trap gate at 0x80) and page tables (the first 4 MiB identity-mapped with
 * 4 KiB pages: kernel pages supervisor, user code and stack user), then IRETs to ring 3.
 * Ring 3 makes a syscall, reads a supervisor-only page (#PF), executes CLI with IOPL 0
 * (#GP) and asks the kernel to exit. Everything is reported on COM1; the exit goes through
 * isa-debug-exit (port 0xF4): status (0x10 << 1) | 1 = 33 on success, 3 on any failure.
 *
 * Expected COM1 output (tests/guests/rings.expected):
 *   rings: start
 *   rings: hello from ring 3
 *   rings: #PF err=00000005 cr2=00200000      (secret_page, placed by rings.ld)
 *   rings: #GP err=00000000
 *   rings: done
 *
 * SDM references are to the Intel SDM Vol.3A (system programming) unless noted.
 */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000002 /* bit 1: pass memory information; no bit 16 (use ELF) */
#define MB_BOOT_MAGIC 0x2BADB002   /* in EAX when a Multiboot loader jumps to us */

#define COM1_THR 0x3F8 /* transmit holding register */
#define COM1_LSR 0x3FD /* line status register */
#define LSR_THRE 0x20  /* THR empty: ready for a byte */

#define EXIT_PORT 0xF4 /* isa-debug-exit: the simulator exits with (value << 1) | 1 */
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01

/* GDT selectors (SDM 3.4.2: index << 3 | TI | RPL). */
#define KCODE 0x08
#define KDATA 0x10
#define UCODE (0x18 | 3)
#define UDATA (0x20 | 3)
#define TSS_SEL 0x28
#define TSS_SIZE 104

/* Page-table entry bits (SDM 4.3, Table 4-6). */
#define PTE_P 0x001
#define PTE_RW 0x002
#define PTE_US 0x004

#define CR0_PG 0x80000000

/* Syscalls: the function number goes in EAX. */
#define SYSCALL_VECTOR 0x80
#define SYS_PUTS 1 /* EBX: address of a NUL-terminated string */
#define SYS_EXIT 2

/* The interrupt frame on the kernel stack as isr_common leaves it (SDM 6.12.1, Figure 6-4:
 * a fault from ring 3 pushes SS, ESP, EFLAGS, CS, EIP and maybe an error code; the stub
 * pushes the vector; isr_common pushes the general registers and DS, ES). */
#define FRAME_EBX 24
#define FRAME_EAX 36
#define FRAME_VECTOR 40
#define FRAME_ERR 44
#define FRAME_EIP 48

/* ---------------------------------------------------------------------------------------
 * Multiboot 1 header (Multiboot spec 3.1.1): magic, flags, checksum summing to zero. */
	.file "rings.S" /* names the symbol table's FILE entry: the same ELF from every build */
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	/* Multiboot spec 3.2: 32-bit protected mode, paging off, interrupts off, flat CS and
	 * DS, ESP undefined. Our own stack first. */
	cli
	mov $kstack_top, %esp

	/* Multiboot spec 3.2: EAX holds 0x2BADB002 when a compliant loader started us. */
	cmp $MB_BOOT_MAGIC, %eax
	je 1f
	push %eax
	mov $msg_bad_magic, %esi
	call puts
	pop %eax
	call put_hex32
	mov $'\n', %al
	call putc
	mov $EXIT_FAIL, %al
	jmp sim_exit
1:

	/* SDM 7.2.2 (TSS Descriptor): base = tss, limit = 103, type 9 (32-bit available TSS),
	 * P=1, DPL=0, G=0. The base is only known after linking, so fill it in here. */
	mov $tss, %eax
	movw $(TSS_SIZE - 1), gdt_tss + 0 /* limit 15:0 */
	mov %ax, gdt_tss + 2              /* base 15:0 */
	shr $16, %eax
	mov %al, gdt_tss + 4              /* base 23:16 */
	movb $0x89, gdt_tss + 5           /* P=1, DPL=0, type 1001b */
	movb $0x00, gdt_tss + 6           /* G=0, limit 19:16 = 0 */
	mov %ah, gdt_tss + 7              /* base 31:24 */

	/* SDM 3.5.1 (Segment Descriptor Tables): load our GDT, then reload CS with a far jump
	 * and the data segment registers with ring-0 data (SDM 3.4.3: a segment register's
	 * hidden part changes only when the register is loaded). */
	lgdt gdtr
	ljmp $KCODE, $1f
1:	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $kstack_top, %esp

	/* SDM 6.11 (IDT Descriptors): vectors 0-31 get 32-bit interrupt gates, DPL 0, so that
	 * ring 3 cannot raise them with INT n (that would be a #GP instead). */
	xor %ecx, %ecx
1:	mov isr_table(, %ecx, 4), %eax
	mov $0x8E00, %edx /* P=1, DPL=0, type 1110b: 32-bit interrupt gate */
	call set_gate
	inc %ecx
	cmp $32, %ecx
	jb 1b
	/* SDM 6.12.1.1 (Protection of Exception- and Interrupt-Handler Procedures): INT n
	 * from ring 3 needs gate DPL >= CPL, hence DPL 3. A trap gate leaves IF as it was. */
	mov $SYSCALL_VECTOR, %ecx
	mov $isr_syscall, %eax
	mov $0xEF00, %edx /* P=1, DPL=3, type 1111b: 32-bit trap gate */
	call set_gate
	/* SDM 6.10 (Interrupt Descriptor Table): load IDTR. */
	lidt idtr

	/* SDM 7.2.4 (Task Register): LTR marks the TSS busy; the CPU takes ESP0/SS0 from it
	 * on every interrupt from ring 3 (SDM 6.12.1). */
	mov $TSS_SEL, %ax
	ltr %ax

	/* SDM 4.3 (32-Bit Paging): one page table maps 0-4 MiB onto itself with 4 KiB pages,
	 * present, writable, supervisor-only... */
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	or $(PTE_P | PTE_RW), %eax
	mov %eax, page_table(, %ecx, 4)
	inc %ecx
	cmp $1024, %ecx
	jb 1b
	/* ...except the user pages [__user_start, __user_end), which get U/S=1. The
	 * supervisor-only page secret_page stays U/S=0: ring 3 reading it is a #PF
	 * (SDM 5.11.2 (Restricting Addressable Domain)). */
	mov $__user_start, %ecx
	shr $12, %ecx
	mov $__user_end, %edx
	shr $12, %edx
1:	orl $PTE_US, page_table(, %ecx, 4)
	inc %ecx
	cmp %edx, %ecx
	jb 1b
	/* The page directory: entry 0 points at the page table (U/S=1 so that the PTE
	 * decides, SDM 4.6.1), the other 1023 entries are not present. */
	mov $page_directory, %edi
	mov $page_table, %eax
	or $(PTE_P | PTE_RW | PTE_US), %eax
	mov %eax, (%edi)
	mov $1, %ecx
1:	movl $0, (%edi, %ecx, 4)
	inc %ecx
	cmp $1024, %ecx
	jb 1b
	/* SDM 4.1.1 / 2.5 (Control Registers): CR3 = page directory, then CR0.PG = 1. The
	 * identity map means the next instruction fetch is unaffected. */
	mov %edi, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0

	mov $msg_start, %esi
	call puts

	/* SDM 6.12.1 / Vol.2 IRET: an IRET to a less privileged ring pops EIP, CS, EFLAGS,
	 * ESP and SS. EFLAGS = 0x002: IF=0 (no device interrupts in this test) and IOPL=0, so
	 * CLI at CPL 3 faults. DS/ES/FS/GS get ring-3 data first: IRET would null any of them
	 * whose DPL is below the new CPL (SDM 5.8.6 / Vol.2 IRET "RETURN-TO-OUTER-PRIVILEGE"). */
	mov $UDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	push $UDATA          /* SS */
	push $user_stack_top /* ESP */
	push $0x002          /* EFLAGS */
	push $UCODE          /* CS */
	push $user_entry     /* EIP */
	iret

/* set_gate: IDT entry ECX = 32-bit gate to KCODE:EAX with attribute word EDX (SDM 6.11,
 * Figure 6-2). Clobbers EAX, EDI. */
set_gate:
	lea idt(, %ecx, 8), %edi
	mov %ax, 0(%edi)     /* offset 15:0 */
	movw $KCODE, 2(%edi) /* segment selector */
	mov %dx, 4(%edi)     /* reserved byte, then P, DPL, type */
	shr $16, %eax
	mov %ax, 6(%edi)     /* offset 31:16 */
	ret

/* ---------------------------------------------------------------------------------------
 * Exception stubs: make every frame look the same (SDM 6.13 (Error Code): vectors 8,
 * 10-14, 17 and 21 push an error code, the others get a 0), push the vector. */
.macro isr_noerr vec
isr\vec:
	push $0
	push $\vec
	jmp isr_common
.endm
.macro isr_err vec
isr\vec:
	push $\vec
	jmp isr_common
.endm

.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
.if (\v == 8) || ((\v >= 10) && (\v <= 14)) || (\v == 17) || (\v == 21)
	isr_err \v
.else
	isr_noerr \v
.endif
.endr

isr_syscall:
	push $0
	push $SYSCALL_VECTOR
	jmp isr_common

/* Common entry: save the general registers and the user's DS/ES, switch to kernel data,
 * dispatch on the vector. ESP then points at the frame described by FRAME_*. */
isr_common:
	pusha
	push %ds
	push %es
	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov FRAME_VECTOR(%esp), %eax
	cmp $SYSCALL_VECTOR, %eax
	je syscall
	cmp $14, %eax
	je page_fault
	cmp $13, %eax
	je general_protection
	jmp unexpected

/* Back to the interrupted code: restore its DS/ES and registers, drop vector and error
 * code, IRET (to ring 3 it pops ESP and SS too). */
isr_return:
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

/* int 0x80: EAX = function. SYS_PUTS prints the string at EBX (a real kernel would first
 * check that the user may read it); SYS_EXIT ends the test. */
syscall:
	mov FRAME_EAX(%esp), %eax
	cmp $SYS_PUTS, %eax
	jne 1f
	mov FRAME_EBX(%esp), %esi
	call puts
	jmp isr_return
1:	cmp $SYS_EXIT, %eax
	jne unexpected
	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

/* #PF (SDM 6.15 "Interrupt 14", 4.7 (Page-Fault Exceptions)): expected only at user_pf,
 * with error code P=1 (protection violation), W/R=0 (read), U/S=1 (from CPL 3) = 0x5 and
 * CR2 = the address read. Print both, then resume after the 5-byte instruction. */
page_fault:
	cmpl $user_pf, FRAME_EIP(%esp)
	jne unexpected
	mov $msg_pf, %esi
	call puts
	mov FRAME_ERR(%esp), %eax
	call put_hex32
	mov $msg_cr2, %esi
	call puts
	mov %cr2, %eax
	call put_hex32
	mov $'\n', %al
	call putc
	addl $(user_pf_end - user_pf), FRAME_EIP(%esp)
	jmp isr_return

/* #GP (SDM 6.15 "Interrupt 13"; Vol.2 CLI: #GP(0) when CPL > IOPL): expected only at
 * user_cli, error code 0. Print it, resume after the 1-byte CLI. */
general_protection:
	cmpl $user_cli, FRAME_EIP(%esp)
	jne unexpected
	mov $msg_gp, %esi
	call puts
	mov FRAME_ERR(%esp), %eax
	call put_hex32
	mov $'\n', %al
	call putc
	addl $(user_cli_end - user_cli), FRAME_EIP(%esp)
	jmp isr_return

/* Anything else is a failure: report vector, error code and EIP, exit with EXIT_FAIL. */
unexpected:
	mov $msg_unexpected, %esi
	call puts
	mov FRAME_VECTOR(%esp), %eax
	call put_hex32
	mov $msg_err, %esi
	call puts
	mov FRAME_ERR(%esp), %eax
	call put_hex32
	mov $msg_eip, %esi
	call puts
	mov FRAME_EIP(%esp), %eax
	call put_hex32
	mov $'\n', %al
	call putc
	mov $EXIT_FAIL, %al
	/* fall through */

/* sim_exit: AL = isa-debug-exit value. If nothing listens on the port, stop here. */
sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

/* ---------------------------------------------------------------------------------------
 * COM1 output. putc waits for LSR.THRE (16550 datasheet: LSR bit 5) before writing THR,
 * but only so long: a minimal UART that never sets the bit still gets the byte. */
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

put_hex32: /* EAX = value, printed as 8 lowercase hex digits; preserves all registers */
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
hex_digits:     .ascii "0123456789abcdef"
msg_start:      .asciz "rings: start\n"
msg_pf:         .asciz "rings: #PF err="
msg_cr2:        .asciz " cr2="
msg_gp:         .asciz "rings: #GP err="
msg_done:       .asciz "rings: done\n"
msg_bad_magic:  .asciz "rings: bad multiboot magic "
msg_unexpected: .asciz "rings: unexpected vector="
msg_err:        .asciz " err="
msg_eip:        .asciz " eip="

isr_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr\v
.endr

/* ---------------------------------------------------------------------------------------
 * Descriptor tables (SDM 3.4.5 (Segment Descriptors), Figure 3-8): flat 4 GiB segments,
 * G=1, D/B=1. Access byte: 0x9A ring-0 code, 0x92 ring-0 data, 0xFA ring-3 code, 0xF2
 * ring-3 data. */
	.data
	.balign 8
gdt:
	.quad 0                  /* 0x00 null */
	.quad 0x00CF9A000000FFFF /* 0x08 ring-0 code */
	.quad 0x00CF92000000FFFF /* 0x10 ring-0 data */
	.quad 0x00CFFA000000FFFF /* 0x18 ring-3 code */
	.quad 0x00CFF2000000FFFF /* 0x20 ring-3 data */
gdt_tss:
	.quad 0                  /* 0x28 32-bit TSS, filled in by _start */
gdt_end:

	.balign 4
	.word 0 /* so that the 32-bit base is aligned */
gdtr:
	.word gdt_end - gdt - 1
	.long gdt

	.balign 4
	.word 0
idtr:
	.word 256 * 8 - 1
	.long idt

	.balign 8
idt:
	.fill 256, 8, 0 /* not present unless set_gate filled it in */

/* SDM 7.2.1 (Task-State Segment): only SS0:ESP0 matter here (the stack for interrupts
 * from ring 3). The I/O map base points past the limit: no I/O permission bitmap, so ring 3
 * with IOPL 0 may not touch any port (SDM Vol.1 19.5.2). */
	.balign 16
tss:
	.long 0           /* 0: previous task link */
	.long kstack_top  /* 4: ESP0 */
	.long KDATA       /* 8: SS0 */
	.fill 22, 4, 0    /* 12-99: ESP1..LDT, unused */
	.word 0           /* 100: T flag */
	.word TSS_SIZE    /* 102: I/O map base */

/* ---------------------------------------------------------------------------------------
 * Ring-3 code and data: mapped U/S=1. */
	.section .user, "ax"
	.balign 4096
user_entry:
	/* Syscall: print a string from ring 3. */
	mov $SYS_PUTS, %eax
	mov $msg_hello, %ebx
	int $SYSCALL_VECTOR

	/* Read the supervisor-only page: #PF, and the kernel resumes us after it. */
user_pf:
	mov secret_page, %eax /* A1 moffs32: 5 bytes */
user_pf_end:

	/* CLI at CPL 3 with IOPL 0: #GP(0), resumed after it. */
user_cli:
	cli
user_cli_end:

	/* Ask the kernel to end the test; it does not return. */
	mov $SYS_EXIT, %eax
	int $SYSCALL_VECTOR
	jmp .

msg_hello: .asciz "rings: hello from ring 3\n"

	.section .user_stack, "aw"
	.balign 4096
	.fill 4096, 1, 0
user_stack_top:

/* The supervisor-only page that ring 3 reads (U/S=0 in its PTE). */
	.section .secret, "aw"
	.balign 4096
	.globl secret_page
secret_page:
	.long 0x5EC2E7
	.fill 4092, 1, 0

	.bss
	.balign 4096
page_directory:
	.skip 4096
page_table:
	.skip 4096
	.skip 4096 /* kernel stack */
kstack_top:
