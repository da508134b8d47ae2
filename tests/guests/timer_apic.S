/* tests/guests/timer_apic.S — a Multiboot 1 kernel that drives the local APIC and the IO
 * APIC the way an SMP-aware teaching kernel (xv6's mp.c, lapic.c, ioapic.c) does.
 *
 *  1. Finds the MP floating pointer structure as xv6's mpsearch() does (the EBDA's first
 *     KiB from the BIOS data area word 0x40E, else the last KiB of base memory from 0x413,
 *     else 0xF0000-0xFFFFF), checks both checksums (MP spec 1.4 §4.1, §4.2) and walks the
 *     configuration table: processors, the local APIC address, the IO APIC's ID and address.
 *     Then turns paging on with 4 MiB pages mapping low memory and the APICs identically
 *     (xv6 maps the APICs' "device space" the same way).
 *  2. Masks the 8259A pair and LINT0/LINT1 (as xv6 does) and software-enables the local
 *     APIC through SVR (spurious vector 0x3F; SDM Vol.3 10.4.3).
 *  3. Runs the LAPIC timer periodic (SDM 10.5.4), divide by 16, initial count 10000,
 *     vector 0x40, and counts TICKS timer interrupts, HLT between them, EOI in each handler
 *     (SDM 10.8.5). Then masks and stops it.
 *  4. Sends itself two fixed IPIs with vector 0x41 through the ICR (SDM 10.6.1): one with
 *     the "self" shorthand, one addressed to its own APIC ID, and counts them.
 *  5. Programs IO APIC redirection entry 1 (82093AA datasheet 3.2.4) masked, then
 *     unmasked, reading each back, and masks it again.
 * Everything is reported on COM1; the exit goes through isa-debug-exit (port 0xF4):
 * status (0x10 << 1) | 1 = 33 on success, 3 on any failure.
 *
 * Expected COM1 output (asserted by tests/unit/guest_apic_test.cpp):
 *   timer_apic: mp at 0009fc10, 1 cpu, lapic fee00000, ioapic 01 at fec00000
 *   timer_apic: lapic version 00050014
 *   timer_apic: 5 timer interrupts
 *   timer_apic: 2 self-IPIs
 *   timer_apic: ioapic version 00170011, redir 1 masked 00010050 unmasked 00000050
 *   timer_apic: done
 * With 1000 MHz CPU cycles and the 100 MHz APIC bus, the timer interrupts are
 * 16 * 10000 * 10 = 1,600,000 cycles apart.
 * On QEMU 7.2 (-kernel, see tests/guests/CMakeLists.txt) it passes too; there SeaBIOS's MP
 * table sits at 000f5ba0, the IO APIC has ID 00 and reports version 00170020 (QEMU models
 * a later IO APIC than the 82093AA).
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

/* Local APIC registers, offsets from its base (SDM Vol.3 Table 10-1). */
#define LAPIC_ID 0x020
#define LAPIC_VER 0x030
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_ICRLO 0x300
#define LAPIC_ICRHI 0x310
#define LAPIC_TIMER 0x320
#define LAPIC_LINT0 0x350
#define LAPIC_LINT1 0x360
#define LAPIC_TICR 0x380
#define LAPIC_TDCR 0x3E0
#define SVR_ENABLE 0x100
#define ICR_SELF (1 << 18) /* destination shorthand 01: self */
#define ICR_DELIVS (1 << 12)
#define LVT_MASKED (1 << 16)
#define LVT_PERIODIC (1 << 17)
#define TDCR_DIV16 0x3

/* IO APIC: IOREGSEL at +0, IOWIN at +0x10 (82093AA datasheet 3.1). */
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL 0x10

#define PDE_P 0x001
#define PDE_RW 0x002
#define PDE_PS 0x080
#define CR4_PSE 0x10
#define CR0_PG 0x80000000

#define T_SPURIOUS 0x3F
#define T_TIMER 0x40
#define T_IPI 0x41
#define T_IRQ1 0x50
#define TICKS 5
#define TIMER_COUNT 10000

	.file "timer_apic.S"
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
	jne fail

	/* Our own GDT and flat segments (SDM 3.5.1), then the IDT (SDM 6.10, 6.11). */
	lgdt gdtr
	ljmp $KCODE, $1f
1:	mov $KDATA, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov $kstack_top, %esp

	xor %ecx, %ecx /* every vector: unexpected, until set otherwise */
1:	mov $isr_unexpected, %eax
	call set_gate
	inc %ecx
	cmp $256, %ecx
	jb 1b
	mov $T_TIMER, %ecx
	mov $isr_timer, %eax
	call set_gate
	mov $T_IPI, %ecx
	mov $isr_ipi, %eax
	call set_gate
	mov $T_SPURIOUS, %ecx
	mov $isr_spurious, %eax
	call set_gate
	lidt idtr

	/* ---- 1. The MP tables, found like xv6's mpsearch(). ---- */
	movzwl 0x40E, %eax /* BDA: EBDA segment */
	shl $4, %eax
	jz 1f
	mov $1024, %ecx
	call mp_search
	jnc found_mp
	jmp 2f
1:	movzwl 0x413, %eax /* BDA: base memory in KiB */
	shl $10, %eax
	sub $1024, %eax
	mov $1024, %ecx
	call mp_search
	jnc found_mp
2:	mov $0xF0000, %eax
	mov $0x10000, %ecx
	call mp_search
	jc fail
found_mp:
	mov %eax, mp_addr
	/* MP spec §4.2: the configuration table, "PCMP", revision 1 or 4, zero checksum. */
	mov 4(%eax), %esi
	test %esi, %esi
	jz fail /* a default configuration: not what the machine provides */
	cmpl $0x504D4350, (%esi) /* "PCMP" */
	jne fail
	movzwl 4(%esi), %ecx
	mov %esi, %eax
	call checksum
	jnz fail
	mov 36(%esi), %eax
	mov %eax, lapic
	/* Walk the base entries (§4.3): processor 20 bytes, the others 8. */
	movzwl 34(%esi), %ecx /* entry count */
	lea 44(%esi), %edi
3:	test %ecx, %ecx
	jz 5f
	movzbl (%edi), %eax
	cmp $0, %eax
	jne 4f
	incl ncpu
	add $20, %edi
	dec %ecx
	jmp 3b
4:	cmp $2, %eax
	jne 6f
	movzbl 1(%edi), %eax
	mov %eax, ioapic_id
	mov 4(%edi), %eax
	mov %eax, ioapic
6:	cmpb $4, (%edi)
	ja fail /* unknown entry type: xv6 gives up on such a table */
	add $8, %edi
	dec %ecx
	jmp 3b
5:	mov $msg_mp, %esi
	call puts
	mov mp_addr, %eax
	call put_hex32
	mov $msg_comma, %esi
	call puts
	mov ncpu, %eax
	add $'0', %al
	call putc
	mov $msg_cpu, %esi
	call puts
	mov lapic, %eax
	call put_hex32
	mov $msg_ioapic, %esi
	call puts
	mov ioapic_id, %eax
	call put_hex8
	mov $msg_at, %esi
	call puts
	mov ioapic, %eax
	call put_hex32
	mov $'\n', %al
	call putc
	cmpl $1, ncpu
	jne fail

	/* Paging on, as xv6 runs: 4 MiB pages (CR4.PSE; SDM Vol.3 4.3) map the first 4 MiB
	 * and the 4 MiB holding both APICs (0xFEC00000-0xFEFFFFFF) onto themselves. From here
	 * the APIC registers are reached through the page tables. */
	movl $(PDE_P | PDE_RW | PDE_PS), page_directory
	movl $(0xFEC00000 | PDE_P | PDE_RW | PDE_PS), page_directory + 4 * (0xFEC00000 >> 22)
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $page_directory, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $CR0_PG, %eax
	mov %eax, %cr0

	/* ---- 2. Enable the local APIC (SDM 10.4.3: SVR bit 8). Like xv6: mask every 8259A
	 * input (OCW1 = 0xFF on both chips) and the LAPIC's LINT0/LINT1, so the PIC's virtual
	 * wire (which a BIOS leaves open, MP spec 1.4 §3.6.2.2) delivers nothing. ---- */
	mov $0xFF, %al
	out %al, $0x21
	out %al, $0xA1
	mov lapic, %ebx
	movl $(SVR_ENABLE | T_SPURIOUS), LAPIC_SVR(%ebx)
	movl $LVT_MASKED, LAPIC_LINT0(%ebx)
	movl $LVT_MASKED, LAPIC_LINT1(%ebx)
	mov $msg_lapic, %esi
	call puts
	mov LAPIC_VER(%ebx), %eax
	call put_hex32
	mov $'\n', %al
	call putc

	/* ---- 3. The timer: periodic, divide by 16 (SDM 10.5.4). Writing the initial count
	 * starts it. ---- */
	movl $TDCR_DIV16, LAPIC_TDCR(%ebx)
	movl $(LVT_PERIODIC | T_TIMER), LAPIC_TIMER(%ebx)
	movl $TIMER_COUNT, LAPIC_TICR(%ebx)
	/* Wait for TICKS interrupts. CLI around the check; STI;HLT cannot lose a wake-up, as
	 * an interrupt is recognised only after the instruction following STI (SDM 6.8.3). */
1:	cli
	cmpl $TICKS, ticks
	jae 2f
	sti
	hlt
	jmp 1b
2:	movl $(LVT_MASKED | LVT_PERIODIC | T_TIMER), LAPIC_TIMER(%ebx)
	movl $0, LAPIC_TICR(%ebx)
	mov $msg_ticks_pre, %esi
	call puts
	mov ticks, %eax
	add $'0', %al
	call putc
	mov $msg_ticks, %esi
	call puts

	/* ---- 4. Fixed IPIs to ourselves (SDM 10.6.1). Interrupts stay on: each is taken as
	 * soon as the ICR write sends it. ---- */
	sti
	movl $0, LAPIC_ICRHI(%ebx)
	movl $(ICR_SELF | T_IPI), LAPIC_ICRLO(%ebx)
	call wait_icr
	mov LAPIC_ID(%ebx), %eax /* bits 31:24: our APIC ID */
	mov %eax, LAPIC_ICRHI(%ebx)
	movl $T_IPI, LAPIC_ICRLO(%ebx) /* fixed, physical destination = own ID */
	call wait_icr
	cli
	mov $msg_ipi_pre, %esi
	call puts
	mov ipis, %eax
	add $'0', %al
	call putc
	mov $msg_ipi, %esi
	call puts
	cmpl $2, ipis
	jne fail
	/* ESR: write, then read (SDM 10.5.3): nothing went wrong. */
	movl $0, LAPIC_ESR(%ebx)
	cmpl $0, LAPIC_ESR(%ebx)
	jne fail

	/* ---- 5. IO APIC redirection entry 1 (ISA IRQ1): masked, then unmasked. ---- */
	mov ioapic, %edi
	mov $msg_io, %esi
	call puts
	movl $IOAPIC_VER, (%edi)
	mov 0x10(%edi), %eax
	call put_hex32
	movl $(IOAPIC_REDTBL + 2 * 1 + 1), (%edi) /* high dword: destination APIC 0 */
	movl $0, 0x10(%edi)
	movl $(IOAPIC_REDTBL + 2 * 1), (%edi)
	movl $(LVT_MASKED | T_IRQ1), 0x10(%edi) /* bit 16 masks here too */
	mov $msg_io_masked, %esi
	call puts
	mov 0x10(%edi), %eax
	call put_hex32
	movl $T_IRQ1, 0x10(%edi)
	mov $msg_io_unmasked, %esi
	call puts
	mov 0x10(%edi), %eax
	call put_hex32
	mov $'\n', %al
	call putc
	movl $(LVT_MASKED | T_IRQ1), 0x10(%edi)

	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	jmp sim_exit

/* wait_icr: until the ICR's delivery status is idle (EBX = LAPIC base), as xv6 does. */
wait_icr:
1:	testl $ICR_DELIVS, LAPIC_ICRLO(%ebx)
	jnz 1b
	ret

/* mp_search: EAX = start, ECX = length. CF clear and EAX = the structure when found: "_MP_"
 * on a 16-byte boundary with its 16 bytes summing to zero (MP spec §4.1). */
mp_search:
	push %edx
	lea (%eax, %ecx), %edx
1:	cmp %edx, %eax
	jae 3f
	cmpl $0x5F504D5F, (%eax) /* "_MP_" */
	jne 2f
	push %ecx
	mov $16, %ecx
	call checksum
	pop %ecx
	jz 4f
2:	add $16, %eax
	jmp 1b
3:	stc
	pop %edx
	ret
4:	clc
	pop %edx
	ret

/* checksum: ZF set when the ECX bytes at EAX sum to zero (mod 256). Preserves EAX, ECX. */
checksum:
	push %esi
	push %ecx
	push %edx
	mov %eax, %esi
	xor %edx, %edx
1:	add (%esi), %dl
	inc %esi
	loop 1b
	test %dl, %dl
	pop %edx
	pop %ecx
	pop %esi
	ret

/* set_gate: IDT entry ECX = 32-bit interrupt gate to KCODE:EAX (SDM 6.11). */
set_gate:
	push %eax
	push %edi
	lea idt(, %ecx, 8), %edi
	mov %ax, 0(%edi)
	movw $KCODE, 2(%edi)
	movw $0x8E00, 4(%edi) /* P=1, DPL=0, 32-bit interrupt gate */
	shr $16, %eax
	mov %ax, 6(%edi)
	pop %edi
	pop %eax
	ret

/* Interrupt handlers: count, then EOI (any write to the EOI register; SDM 10.8.5). */
isr_timer:
	push %eax
	incl ticks
	mov lapic, %eax
	movl $0, LAPIC_EOI(%eax)
	pop %eax
	iret

isr_ipi:
	push %eax
	incl ipis
	mov lapic, %eax
	movl $0, LAPIC_EOI(%eax)
	pop %eax
	iret

/* The spurious vector: no EOI (SDM 10.9). Not expected here. */
isr_spurious:
	iret

isr_unexpected:
	mov $msg_unexpected, %esi
	call puts
fail:
	mov $msg_fail, %esi
	call puts
	mov $EXIT_FAIL, %al
sim_exit:
	out %al, $EXIT_PORT
1:	cli
	hlt
	jmp 1b

/* COM1 output, as in rings.S. */
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

put_hex32: /* EAX = value, 8 hex digits */
	push %ecx
	mov $8, %ecx
	jmp put_hex
put_hex8: /* AL = value, 2 hex digits */
	push %ecx
	shl $24, %eax
	mov $2, %ecx
put_hex: /* ECX digits from the top of EAX; pops ECX */
	push %edx
	push %eax
	mov %eax, %edx
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
hex_digits:      .ascii "0123456789abcdef"
msg_mp:          .asciz "timer_apic: mp at "
msg_comma:       .asciz ", "
msg_cpu:         .asciz " cpu, lapic "
msg_ioapic:      .asciz ", ioapic "
msg_at:          .asciz " at "
msg_lapic:       .asciz "timer_apic: lapic version "
msg_ticks_pre:   .asciz "timer_apic: "
msg_ticks:       .asciz " timer interrupts\n"
msg_ipi_pre:     .asciz "timer_apic: "
msg_ipi:         .asciz " self-IPIs\n"
msg_io:          .asciz "timer_apic: ioapic version "
msg_io_masked:   .asciz ", redir 1 masked "
msg_io_unmasked: .asciz " unmasked "
msg_done:        .asciz "timer_apic: done\n"
msg_unexpected:  .asciz "timer_apic: unexpected interrupt\n"
msg_fail:        .asciz "timer_apic: FAIL\n"

	.data
	.balign 8
gdt:
	.quad 0
	.quad 0x00CF9A000000FFFF /* 0x08 ring-0 code */
	.quad 0x00CF92000000FFFF /* 0x10 ring-0 data */
gdt_end:
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
mp_addr:   .long 0
lapic:     .long 0
ioapic:    .long 0
ioapic_id: .long 0
ncpu:      .long 0
ticks:     .long 0
ipis:      .long 0

	.bss
	.balign 4096
page_directory:
	.skip 4096
	.balign 8
idt:
	.skip 256 * 8
	.balign 16
	.skip 4096
kstack_top:
