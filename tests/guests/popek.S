/* tests/guests/popek.S — a Multiboot 1 kernel for the Popek–Goldberg lab: a guest kernel
 * deprivileged to ring 3 runs sensitive-but-unprivileged instructions (vt/sensitive.h).
 *
 * The ring-0 part plays a trap-and-emulate monitor: it builds a GDT (at 0x108000, fixed by
 * popek.ld), an IDT and a TSS, sets CR0.TS (as a monitor doing lazy FPU switching would),
 * and IRETs to ring 3 with IF=0 and IOPL=0. The ring-3 "guest kernel" believes it runs in
 * ring 0 and does:
 *   SGDT            its GDTR?            plain x86: the monitor's real GDTR
 *   SMSW AX         its CR0 low word?    plain x86: the real one, TS=1 (0x0019)
 *   PUSH 0x202; POPF   enable interrupts plain x86: IF change silently dropped
 *   PUSHF           IF now?              plain x86: IF=0
 *   PUSH CS         its CS?              plain x86: 0x001b, RPL 3 reveals ring 3
 *   LAR EAX, 0x08   its code segment?    plain x86: ZF=0 (DPL 0 < CPL 3)
 * and asks the monitor (INT 0x80, a DPL-3 trap gate) to print what it saw and exit.
 *
 * On plain x86 nothing traps: the guest sees the wrong answers listed above, silently
 * (Ringside reports each as a SensitiveInstruction event). With `ringside run
 * --virtualizable` each of them raises #GP(0); the monitor's #GP handler prints the trap
 * and emulates the instruction against the guest's virtual state (virtual GDTR
 * 0x00002000/0x0017, virtual CR0 0x0011, virtual IF, virtual CS 0x0008, LAR executed in
 * ring 0), then resumes after it. The emulation knows each site's operands (a real
 * monitor would decode the instruction).
 *
 * COM1 output, plain (tests/unit/guest_popek_test.cpp has both runs):
 *   popek: start
 *   popek: sgdt base=00108000 limit=002f
 *   popek: smsw=00000019
 *   popek: pushf after popf(IF=1): if=00000000
 *   popek: push cs=0000001b
 *   popek: lar 0008 zf=00000000 ar=00000000
 *   popek: done
 * Exit through isa-debug-exit (port 0xF4): (0x10 << 1) | 1 = 33; 3 on a failure.
 *
 * SDM references are to the Intel SDM Vol.3A unless noted.
 */

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
#define UCODE (0x18 | 3)
#define UDATA (0x20 | 3)
#define TSS_SEL 0x28
#define TSS_SIZE 104

#define CR0_TS 0x00000008
#define EFLAGS_IF 0x200
#define EFLAGS_ZF 0x040

#define SYSCALL_VECTOR 0x80
#define SYS_EXIT 2

/* The frame isr_common leaves (as in rings.S): ES, DS, PUSHA, vector, error code, then
 * the CPU's EIP, CS, EFLAGS and, from ring 3, ESP and SS (SDM 6.12.1, Figure 6-4). */
#define FRAME_EBX 24
#define FRAME_EAX 36
#define FRAME_VECTOR 40
#define FRAME_ERR 44
#define FRAME_EIP 48
#define FRAME_EFLAGS 56
#define FRAME_USER_ESP 60

	.file "popek.S"
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
	je 1f
	mov $EXIT_FAIL, %al
	jmp sim_exit
1:
	/* SDM 7.2.2: the TSS descriptor (base known only after linking). */
	mov $tss, %eax
	movw $(TSS_SIZE - 1), gdt_tss + 0
	mov %ax, gdt_tss + 2
	shr $16, %eax
	mov %al, gdt_tss + 4
	movb $0x89, gdt_tss + 5
	movb $0x00, gdt_tss + 6
	mov %ah, gdt_tss + 7

	lgdt gdtr
	ljmp $KCODE, $1f
1:	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $kstack_top, %esp

	/* SDM 6.11: vectors 0-31 as DPL-0 interrupt gates, 0x80 as a DPL-3 trap gate. */
	xor %ecx, %ecx
1:	mov isr_table(, %ecx, 4), %eax
	mov $0x8E00, %edx
	call set_gate
	inc %ecx
	cmp $32, %ecx
	jb 1b
	mov $SYSCALL_VECTOR, %ecx
	mov $isr_syscall, %eax
	mov $0xEF00, %edx
	call set_gate
	lidt idtr
	mov $TSS_SEL, %ax
	ltr %ax

	/* The monitor's own CR0 has TS set; the guest's virtual CR0 has not. */
	mov %cr0, %eax
	or $CR0_TS, %eax
	mov %eax, %cr0

	mov $msg_start, %esi
	call puts

	/* Deprivilege the guest kernel: IRET to ring 3, IF=0, IOPL=0 (SDM Vol.2 IRET). */
	mov $UDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	push $UDATA
	push $guest_stack_top
	push $0x002
	push $UCODE
	push $guest_kernel
	iret

set_gate:
	lea idt(, %ecx, 8), %edi
	mov %ax, 0(%edi)
	movw $KCODE, 2(%edi)
	mov %dx, 4(%edi)
	shr $16, %eax
	mov %ax, 6(%edi)
	ret

/* ---------------------------------------------------------------------------------------
 * The guest kernel, at ring 3. Each sensitive instruction sits between a site_X and a
 * site_X_end label: the monitor's #GP handler finds the site by the faulting EIP. */
guest_kernel:
site_sgdt:
	sgdt sgdt_buf
site_sgdt_end:
	xor %eax, %eax
site_smsw:
	smsw %ax /* 16-bit form: only AX is written (SDM Vol.2 SMSW) */
site_smsw_end:
	mov %eax, res_smsw
	push $(EFLAGS_IF | 0x002)
site_popf:
	popf /* the guest kernel enables interrupts */
site_popf_end:
site_pushf:
	pushf
site_pushf_end:
	pop %eax
	and $EFLAGS_IF, %eax
	mov %eax, res_if
site_push_cs:
	push %cs
site_push_cs_end:
	pop %eax
	movzwl %ax, %eax /* a 32-bit PUSH CS may write only 2 bytes (SDM Vol.2 PUSH) */
	mov %eax, res_cs
	mov $KCODE, %ebx
	xor %eax, %eax
site_lar:
	lar %ebx, %eax
site_lar_end:
	setz %cl
	movzbl %cl, %ecx
	mov %ecx, res_lar_zf
	mov %eax, res_lar_ar
	mov $SYS_EXIT, %eax
	int $SYSCALL_VECTOR
	jmp .

/* ---------------------------------------------------------------------------------------
 * Exception stubs and the common entry (as in rings.S). */
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

isr_common:
	pusha
	push %ds
	push %es
	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %esp, %ebp
	mov FRAME_VECTOR(%ebp), %eax
	cmp $SYSCALL_VECTOR, %eax
	je syscall
	cmp $13, %eax
	je general_protection
	jmp unexpected

isr_return:
	pop %es
	pop %ds
	popa
	add $8, %esp
	iret

/* #GP(0) from a guest site (only with --virtualizable): print, emulate, skip. */
general_protection:
	cmpl $0, FRAME_ERR(%ebp)
	jne unexpected
	mov FRAME_EIP(%ebp), %eax
	mov $trap_table, %ebx
1:	cmpl $0, (%ebx)
	je unexpected
	cmp (%ebx), %eax
	je 2f
	add $16, %ebx
	jmp 1b
2:	mov $msg_trap, %esi
	call puts
	mov 8(%ebx), %esi
	call puts
	mov $'\n', %al
	call putc
	call *12(%ebx)
	mov 4(%ebx), %eax
	mov %eax, FRAME_EIP(%ebp)
	jmp isr_return

/* Emulations: EBP = frame; they may clobber EAX, ECX, EDX (not EBX). Virtual state:
 * vgdtr, virtual CR0 0x0011, virt_if. */
emu_sgdt:
	mov vgdtr, %ax
	mov %ax, sgdt_buf
	mov vgdtr + 2, %eax
	mov %eax, sgdt_buf + 2
	ret
emu_smsw:
	movw $0x0011, FRAME_EAX(%ebp) /* PE | ET: the guest's CR0 has no TS */
	ret
emu_popf: /* pop the image; IF goes to the virtual IF, the arithmetic flags to EFLAGS */
	mov FRAME_USER_ESP(%ebp), %eax
	mov (%eax), %edx
	addl $4, FRAME_USER_ESP(%ebp)
	mov %edx, %eax
	and $EFLAGS_IF, %eax
	mov %eax, virt_if
	and $0x8D5, %edx /* CF PF AF ZF SF OF */
	andl $~0x8D5, FRAME_EFLAGS(%ebp)
	or %edx, FRAME_EFLAGS(%ebp)
	ret
emu_pushf: /* push EFLAGS with the virtual IF */
	mov FRAME_EFLAGS(%ebp), %edx
	and $~EFLAGS_IF, %edx
	or virt_if, %edx
	subl $4, FRAME_USER_ESP(%ebp)
	mov FRAME_USER_ESP(%ebp), %eax
	mov %edx, (%eax)
	ret
emu_push_cs: /* the guest's virtual CS: ring-0 code */
	subl $4, FRAME_USER_ESP(%ebp)
	mov FRAME_USER_ESP(%ebp), %eax
	movl $KCODE, (%eax)
	ret
emu_lar: /* as ring 0 sees it: run LAR here, copy EAX and ZF back */
	mov FRAME_EBX(%ebp), %ecx
	lar %ecx, %eax
	jnz 1f
	mov %eax, FRAME_EAX(%ebp)
	orl $EFLAGS_ZF, FRAME_EFLAGS(%ebp)
	ret
1:	andl $~EFLAGS_ZF, FRAME_EFLAGS(%ebp)
	ret

/* INT 0x80 with EAX = SYS_EXIT: print what the guest kernel saw, exit. */
syscall:
	cmpl $SYS_EXIT, FRAME_EAX(%ebp)
	jne unexpected
	mov $msg_sgdt, %esi
	call puts
	mov sgdt_buf + 2, %eax
	call put_hex32
	mov $msg_limit, %esi
	call puts
	movzwl sgdt_buf, %eax
	call put_hex16
	mov $'\n', %al
	call putc
	mov $msg_smsw, %esi
	mov res_smsw, %eax
	call put_line
	mov $msg_if, %esi
	mov res_if, %eax
	call put_line
	mov $msg_cs, %esi
	mov res_cs, %eax
	call put_line
	mov $msg_lar, %esi
	mov res_lar_zf, %eax
	call puts
	call put_hex32
	mov $msg_ar, %esi
	mov res_lar_ar, %eax
	call put_line
	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

unexpected:
	mov $msg_unexpected, %esi
	call puts
	mov FRAME_VECTOR(%ebp), %eax
	call put_hex32
	mov $msg_eip, %esi
	mov FRAME_EIP(%ebp), %eax
	call put_line
	mov $EXIT_FAIL, %al

sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

/* ---------------------------------------------------------------------------------------
 * COM1 output (as in rings.S). */
putc:
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

puts:
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

put_line: /* ESI = label, EAX = value: "label" + 8 hex digits + newline */
	call puts
	call put_hex32
	push %eax
	mov $'\n', %al
	call putc
	pop %eax
	ret

put_hex16: /* EAX = value, printed as 4 hex digits; preserves all registers */
	push %ecx
	push %edx
	push %eax
	mov %eax, %edx
	shl $16, %edx
	mov $4, %ecx
	jmp 1f
put_hex32: /* EAX = value, printed as 8 hex digits; preserves all registers */
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
msg_start:      .asciz "popek: start\n"
msg_trap:       .asciz "popek: #GP(0) trapped "
msg_sgdt:       .asciz "popek: sgdt base="
msg_limit:      .asciz " limit="
msg_smsw:       .asciz "popek: smsw="
msg_if:         .asciz "popek: pushf after popf(IF=1): if="
msg_cs:         .asciz "popek: push cs="
msg_lar:        .asciz "popek: lar 0008 zf="
msg_ar:         .asciz " ar="
msg_done:       .asciz "popek: done\n"
msg_unexpected: .asciz "popek: unexpected vector="
msg_eip:        .asciz " eip="
name_sgdt:      .asciz "sgdt, emulated"
name_smsw:      .asciz "smsw, emulated"
name_popf:      .asciz "popf, emulated"
name_pushf:     .asciz "pushf, emulated"
name_push_cs:   .asciz "push cs, emulated"
name_lar:       .asciz "lar, emulated"

	.balign 4
/* The sites the monitor emulates: EIP, EIP after it, name, emulation routine. */
trap_table:
	.long site_sgdt, site_sgdt_end, name_sgdt, emu_sgdt
	.long site_smsw, site_smsw_end, name_smsw, emu_smsw
	.long site_popf, site_popf_end, name_popf, emu_popf
	.long site_pushf, site_pushf_end, name_pushf, emu_pushf
	.long site_push_cs, site_push_cs_end, name_push_cs, emu_push_cs
	.long site_lar, site_lar_end, name_lar, emu_lar
	.long 0

isr_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr\v
.endr

	.data
	.balign 4
	.word 0
gdtr:
	.word gdt_end - gdt - 1
	.long gdt
	.balign 4
	.word 0
idtr:
	.word 256 * 8 - 1
	.long idt
	.balign 4
	.word 0
vgdtr: /* the guest's virtual GDTR, as the monitor keeps it */
	.word 0x0017
	.long 0x00002000
virt_if:    .long 0
	.balign 4
	.word 0
sgdt_buf:   .word 0
	.long 0
res_smsw:   .long 0
res_if:     .long 0
res_cs:     .long 0
res_lar_zf: .long 0
res_lar_ar: .long 0

	.balign 8
idt:
	.fill 256, 8, 0

	.balign 16
tss:
	.long 0
	.long kstack_top /* ESP0 */
	.long KDATA      /* SS0 */
	.fill 22, 4, 0
	.word 0
	.word TSS_SIZE   /* no I/O bitmap */

	.section .gdt, "aw"
	.balign 8
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08 ring-0 code */
	.quad 0x00CF92000000FFFF /* 0x10 ring-0 data */
	.quad 0x00CFFA000000FFFF /* 0x18 ring-3 code */
	.quad 0x00CFF2000000FFFF /* 0x20 ring-3 data */
gdt_tss:
	.quad 0                  /* 0x28 32-bit TSS, filled in by _start */
gdt_end:

	.bss
	.balign 4096
	.skip 4096
kstack_top:
	.skip 4096
guest_stack_top:
