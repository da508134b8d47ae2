/* tests/guests/vmx_exits.S — a Multiboot 1 kernel that is a minimal 32-bit VT-x hypervisor
 * (tests/guests/vmx_monitor.inc builds the VMCS, as for vmx_cpuid.S) whose guest runs into
 * the conditional instruction exits of Intel SDM Vol.3 25.1.3 and the non-exiting
 * behaviour of 25.3, each emulated by this kernel's exit handler:
 *   - "use I/O bitmaps": bitmap A has port 1234H only. The guest's IN AL, DX from 1234H
 *     exits (reason 30, qualification 12340008H: 1 byte, IN, DX, port 1234H; length 1) and
 *     the handler emulates a device that returns 5AH in AL; the guest's OUT to port 80H
 *     (bit clear) does not exit;
 *   - "use MSR bitmaps": the read-low bitmap has IA32_SYSENTER_CS (174H) only. RDMSR of 174H
 *     exits (31, length 2), the handler returns 12345678H in EAX; RDMSR of 175H does not;
 *   - CR0 guest/host mask = TS with a read shadow whose TS is 1 (the real CR0.TS is 0):
 *     MOV from CR0 shows TS = 1; MOV to CR0 of that value does not exit (TS equals the
 *     shadow) and leaves the real TS 0; CLTS exits (28, qualification 20H: access type 2,
 *     length 2) as mask.TS = shadow.TS = 1, the handler clears the shadow's TS and the
 *     guest then reads TS = 0;
 *   - "CR3-load exiting" with CR3-target count 0: MOV from CR3 does not exit ("CR3-store
 *     exiting" = 0, allowed by IA32_VMX_TRUE_PROCBASED_CTLS), MOV CR3, EBX exits (28,
 *     qualification 303H: CR3, MOV to CR, EBX; length 3) and the handler loads guest CR3;
 *   - with the instruction exits that the handler skips (guest RIP + instruction length):
 *     REP OUTSB to port 1234H (30, qualification 12340030H: string, REP; instruction
 *     information: address size 32, DS; guest-linear address = DS:ESI), MOV EAX, DR7
 *     ("MOV-DR exiting", 29, qualification 17H), INVLPG (14, the linear address), RDTSC
 *     (16), PAUSE (40), WBINVD (secondary "WBINVD exiting", 54), SGDT and STR (secondary
 *     "descriptor-table exiting", 46 and 47 with their instruction information), LMSW of a
 *     memory word with TS = 1 against the shadow's TS = 0 (28, access type 3, memory
 *     operand, source data; its guest-linear address);
 *   - VMCALL (18) ends the guest.
 * The handler logs every exit (reason, qualification, instruction length, and the
 * instruction information and guest-linear address where the SDM defines them); the kernel
 * prints the log and what the guest saw, checks both, and exits with isa-debug-exit status
 * 33 only if all hold. Failure: the step, "vmx_exits: FAILED", status 3; without VMX: "no
 * VMX", status 35. Output on COM1; "Shutdown" to port 0x8900 ends a Bochs run.
 *
 * Asserted by tests/unit/guest_vmx_exits_test.cpp against vmx_exits.expected, which is
 * Bochs 2.7's COM1 output (verbatim, 2026-11-25) for vmx_exits_floppy.img (mbfloppy.S + this
 * kernel's flat image, built next to vmx_exits.elf) with this configuration:
 *     megs: 32
 *     romimage: file=/usr/share/bochs/BIOS-bochs-latest
 *     vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
 *     floppya: 1_44="vmx_exits_floppy.img", status=inserted
 *     boot: floppy
 *     cpu: model=corei7_haswell_4770, count=1, ips=50000000, reset_on_triple_fault=0
 *     cpuid: vmx=2
 *     clock: sync=none, time0=1
 *     display_library: rfb, options="timeout=0"
 *     com1: enabled=1, mode=file, dev=com1.out
 *     port_e9_hack: enabled=1
 *     log: bochs.log
 *     panic: action=fatal
 *     mouse: enabled=0
 *     sound: driver=dummy
 *     speaker: enabled=0
 * run as `bochs -q -f vmx.bxrc -rc RC < /dev/null` (RC: "c" and "quit"). The last three
 * lines matter here: without them Bochs 2.7 aborts at start-up ("buffer overflow detected"
 * after ALSA finds no sound card). The guest-linear addresses and the INVLPG qualification
 * are guest_buf's address in this build: after a change to this file or vmx_monitor.inc,
 * re-run it on Bochs and update vmx_exits.expected.
 */

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_HEADER_FLAGS 0x00000002
#define MB_BOOT_MAGIC 0x2BADB002

#define COM1 0x3F8
#define COM1_LSR 0x3FD
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define EXIT_PORT 0xF4
#define EXIT_PASS 0x10
#define EXIT_FAIL 0x01
#define EXIT_NO_VMX 0x11
#define BOCHS_SHUTDOWN_PORT 0x8900

#define F_MSR_BITMAP 0x2004
#define CTL_CR3_LOAD (1 << 15)
#define CTL_IO_BITMAPS (1 << 25)
#define CTL_MSR_BITMAPS (1 << 28)
#define EXIT_REASON_CR 28
#define EXIT_REASON_IO 30
#define EXIT_REASON_RDMSR 31
#define DEVICE_PORT 0x1234
#define DEVICE_VALUE 0x5A
#define MSR_VALUE 0x12345678
#define N_EXITS 14
#define LOG_ENTRY 20 /* reason, qualification, length, instruction information, linear */
#define MSR_PROCBASED_CTLS2 0x48B
#define F_SECONDARY_CONTROLS 0x401E
#define F_EXIT_INSN_INFO 0x440E
#define F_GUEST_LINEAR 0x640A
#define CTL_INVLPG (1 << 9)
#define CTL_RDTSC (1 << 12)
#define CTL_MOV_DR (1 << 23)
#define CTL_PAUSE (1 << 30)
#define CTL_SECONDARY (1 << 31)
#define CTL2_DESC_TABLE (1 << 2)
#define CTL2_WBINVD (1 << 6)
#define PRIMARY_WANTED (CTL_IO_BITMAPS | CTL_MSR_BITMAPS | CTL_CR3_LOAD | CTL_INVLPG | CTL_RDTSC | CTL_MOV_DR | CTL_PAUSE | CTL_SECONDARY)
#define SECONDARY_WANTED (CTL2_DESC_TABLE | CTL2_WBINVD)

	.file "vmx_exits.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long _start, bss_start, bss_end

#define VMM_PAGE_DIR page_dir
#define VMM_VMXON_REGION vmxon_region
#define VMM_VMCS_REGION vmcs_region
#define VMM_GUEST_STACK_TOP guest_stack_top

/* VMM_LOG msg: "vmx_exits: <msg>\n". */
.macro VMM_LOG msg
	push %esi
	mov $\msg, %esi
	call log_line
	pop %esi
.endm

	.text
	.code32
	.globl _start
_start:
	jmp start
#include "vmx_monitor.inc"

start:
	cli
	mov $stack_top, %esp
	cmp $MB_BOOT_MAGIC, %eax
	jne fail_early
	lidt idt_empty /* no IDT: a host fault is a triple fault (a guest fault: exit 2) */
	call com1_init
	mov $msg_start, %esi
	call log_line

	call vmm_init

	/* ---- this kernel's controls on top of vmm_init's VMCS ---- */
	mov $PRIMARY_WANTED, %ebx
	mov vmm_ctl_msr, %ecx
	inc %ecx /* the (TRUE_) primary processor-based controls MSR */
	call vmm_adjust
	mov %eax, %ebx
	and $PRIMARY_WANTED, %ebx
	cmp $PRIMARY_WANTED, %ebx
	mov $msg_check_controls, %edi
	jne fail
	VMW F_PRIMARY_CONTROLS, %eax /* CR3-store exiting stays 0 where the TRUE MSR allows */
	mov %eax, primary_controls
	mov $SECONDARY_WANTED, %ebx
	mov $MSR_PROCBASED_CTLS2, %ecx
	call vmm_adjust
	mov %eax, %ebx
	and $SECONDARY_WANTED, %ebx
	cmp $SECONDARY_WANTED, %ebx
	jne fail
	VMW F_SECONDARY_CONTROLS, %eax
	/* Bitmaps (.bss: zero): port 1234H in A; RDMSR of 174H in the read-low MSR bitmap. */
	orb $(1 << (DEVICE_PORT & 7)), io_bitmap_a + (DEVICE_PORT >> 3)
	orb $(1 << (0x174 & 7)), msr_bitmap + (0x174 >> 3)
	VMWI64 F_IO_BITMAP_A, io_bitmap_a, 0
	VMWI64 F_IO_BITMAP_B, io_bitmap_b, 0
	VMWI64 F_MSR_BITMAP, msr_bitmap, 0
	/* CR0: the host owns TS; the guest believes TS = 1. */
	VMWI F_CR0_MASK, 0x8
	mov %cr0, %eax
	or $0x8, %eax
	VMW F_CR0_SHADOW, %eax
	VMWI F_CR3_TARGET_COUNT, 0
	VMWI F_HOST_RIP, exit_handler
	VMWI F_HOST_RSP, handler_stack_top
	VMWI F_GUEST_RIP, guest
	VMM_LOG msg_controls

	mov $msg_vmlaunch, %esi
	call log_line
	vmlaunch
	mov $vmm_msg_vmlaunch_failed, %esi
	jmp vmm_instr_failed

/* ---- the exit handler (HOST_RIP, ESP = handler_stack_top, guest registers live) ---- */
exit_handler:
	pushal /* EDI 0, ESI 4, EBP 8, ESP 12, EBX 16, EDX 20, ECX 24, EAX 28 */
	mov n_exits, %esi
	cmp $N_EXITS, %esi
	jae too_many_exits
	incl n_exits
	imul $LOG_ENTRY, %esi
	add $exit_log, %esi /* ESI: this exit's log entry */
	VMR F_EXIT_REASON, %eax
	mov %eax, (%esi)
	VMR F_EXIT_QUALIFICATION, %ebx
	mov %ebx, 4(%esi)
	VMR F_EXIT_INSN_LENGTH, %ecx
	mov %ecx, 8(%esi)
	cmp $EXIT_REASON_VMCALL, %eax
	je guest_done
	cmp $EXIT_REASON_IO, %eax
	je exit_io
	cmp $EXIT_REASON_RDMSR, %eax
	je exit_rdmsr
	cmp $EXIT_REASON_CR, %eax
	je exit_cr
	cmp $46, %eax /* GDTR/IDTR access */
	je exit_info
	cmp $47, %eax /* LDTR/TR access */
	je exit_info
	jmp advance /* MOV DR, INVLPG, RDTSC, PAUSE, WBINVD: skipped */

exit_info: /* the instruction information (SDM 27.2.5) */
	VMR F_EXIT_INSN_INFO, %eax
	/* Bit 11 (operand size of LGDT/LIDT/SGDT/SIDT, SDM Table 27-10) is not logged: Bochs
	 * 2.7 leaves it 0 (its instruction information treats 14:11 as reserved), Ringside
	 * sets it for a 32-bit operand as the SDM says (tests/unit/vt_exits_insn_test.cpp). */
	and $~(1 << 11), %eax
	mov %eax, 12(%esi)
	jmp advance

exit_io:
	test $0x10, %ebx
	jz 1f
	/* INS/OUTS: instruction information and guest-linear address; skipped */
	VMR F_EXIT_INSN_INFO, %eax
	mov %eax, 12(%esi)
	VMR F_GUEST_LINEAR, %eax
	mov %eax, 16(%esi)
	jmp advance
1:	/* the device: IN from DEVICE_PORT returns DEVICE_VALUE (AL); OUT is ignored */
	test $0x8, %ebx
	jz advance
	movb $DEVICE_VALUE, 28(%esp)
	jmp advance

exit_rdmsr: /* EDX:EAX = the emulated MSR */
	movl $MSR_VALUE, 28(%esp)
	movl $0, 20(%esp)
	jmp advance

exit_cr:
	mov %ebx, %eax
	shr $4, %eax
	and $3, %eax
	cmp $2, %eax
	je exit_clts
	cmp $3, %eax
	je exit_lmsw
	test %eax, %eax /* MOV to CR */
	jnz vmm_exit_unexpected
	mov %ebx, %eax
	and $15, %eax
	cmp $3, %eax
	jne vmm_exit_unexpected
	/* MOV to CR3: the value from the guest register (qualification bits 11:8). */
	mov %ebx, %ecx
	shr $8, %ecx
	and $7, %ecx
	neg %ecx
	mov 28(%esp,%ecx,4), %eax
	VMW F_GUEST_CR3, %eax
	jmp advance
exit_lmsw: /* skipped; a memory operand: its guest-linear address */
	test $0x40, %ebx
	jz advance
	VMR F_GUEST_LINEAR, %eax
	mov %eax, 16(%esi)
	jmp advance
exit_clts: /* the guest's view of TS: cleared */
	VMR F_CR0_SHADOW, %eax
	and $~0x8, %eax
	VMW F_CR0_SHADOW, %eax

advance:
	VMR F_GUEST_RIP, %eax
	VMR F_EXIT_INSN_LENGTH, %ebx
	add %ebx, %eax
	VMW F_GUEST_RIP, %eax
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

too_many_exits:
	mov $msg_check_exit_count, %edi
	jmp fail

/* ---- back in VMX root operation after the guest's VMCALL ---- */
guest_done:
	mov $stack_top, %esp
	VMR F_GUEST_CR0, %eax
	mov %eax, guest_real_cr0
	mov $msg_exit_count, %esi
	call puts_prefixed
	mov n_exits, %eax
	call put_hex32
	call newline
	xor %ebx, %ebx
1:	mov $msg_exit, %esi
	call puts_prefixed
	mov exit_log(%ebx), %eax
	call put_hex32
	mov $msg_qual, %esi
	call puts
	mov exit_log + 4(%ebx), %eax
	call put_hex32
	mov $msg_length, %esi
	call puts
	mov exit_log + 8(%ebx), %eax
	call put_hex32
	mov $msg_info, %esi
	call puts
	mov exit_log + 12(%ebx), %eax
	call put_hex32
	mov $msg_linear, %esi
	call puts
	mov exit_log + 16(%ebx), %eax
	call put_hex32
	call newline
	add $LOG_ENTRY, %ebx
	cmp $(N_EXITS * LOG_ENTRY), %ebx
	jb 1b
	mov $msg_guest_in, %esi
	call puts_prefixed
	mov guest_in_al, %eax
	call put_hex32
	call newline
	mov $msg_guest_msr, %esi
	call puts_prefixed
	mov guest_msr_174, %eax
	call put_hex32
	mov $msg_msr_175, %esi
	call puts
	mov guest_msr_175, %eax
	call put_hex32
	call newline
	mov $msg_guest_ts, %esi
	call puts_prefixed
	mov guest_cr0_before, %eax
	shr $3, %eax
	and $1, %eax
	call put_hex32
	mov $msg_after_clts, %esi
	call puts
	mov guest_cr0_after, %eax
	shr $3, %eax
	and $1, %eax
	call put_hex32
	mov $msg_real_ts, %esi
	call puts
	mov guest_real_cr0, %eax
	shr $3, %eax
	and $1, %eax
	call put_hex32
	call newline

	/* The checks: the exit log, then what the guest saw. */
	mov $msg_check_exit_log, %edi
	cmpl $N_EXITS, n_exits
	jne fail
	mov $expected_log, %esi
	mov $exit_log, %ebx
	mov $(N_EXITS * LOG_ENTRY / 4), %ecx
2:	lodsl
	cmp (%ebx), %eax
	jne fail
	add $4, %ebx
	loop 2b
	mov $msg_check_guest, %edi
	cmpl $DEVICE_VALUE, guest_in_al
	jne fail
	cmpl $MSR_VALUE, guest_msr_174
	jne fail
	testl $0x8, guest_cr0_before
	jz fail
	testl $0x8, guest_cr0_after
	jnz fail
	testl $0x8, guest_real_cr0
	jnz fail

	mov $msg_check_vmxoff, %edi
	vmxoff
	jbe fail
	mov $msg_vmxoff, %esi
	call log_line
	mov $msg_done, %esi
	call log_line
	mov $EXIT_PASS, %al
	jmp exit

/* ---- the guest: 32-bit protected mode, CPL 0, the host's page tables, IF = 0 ---- */
guest:
	mov $DEVICE_PORT, %dx
	in %dx, %al /* exits: the device answers */
	movzbl %al, %eax
	mov %eax, guest_in_al
	out %al, $0x80 /* port 80H: its bitmap bit is clear, no exit */
	mov $0x174, %ecx
	rdmsr /* exits */
	mov %eax, guest_msr_174
	mov $0x175, %ecx
	rdmsr /* no exit: the real IA32_SYSENTER_ESP */
	mov %eax, guest_msr_175
	mov %cr0, %eax /* TS from the shadow: 1 */
	mov %eax, guest_cr0_before
	mov %eax, %cr0 /* TS equals the shadow's: no exit, the real TS stays 0 */
	clts /* exits: mask.TS = shadow.TS = 1 */
	mov %cr0, %eax
	mov %eax, guest_cr0_after
	mov %cr3, %ebx /* no exit */
	mov %ebx, %cr3 /* exits */
	mov $guest_buf, %esi
	mov $DEVICE_PORT, %dx
	mov $3, %ecx
	rep outsb /* exits: string, REP; DS:ESI */
	mov %dr7, %eax /* exits: MOV-DR exiting */
	mov $guest_buf, %ebx
	invlpg 0x10(%ebx) /* exits: the linear address */
	rdtsc /* exits */
	pause /* exits */
	wbinvd /* exits: a secondary control */
	sgdt 4(%ebx) /* exits: descriptor-table exiting */
	str %eax /* exits */
	lmsw (%ebx) /* exits: TS = 1 differs from the shadow's (cleared at the CLTS exit) */
guest_vmcall:
	vmcall
3:	hlt
	jmp 3b

#include "vmx_guest_io.inc"

	.section .rodata
	.balign 4
/* The exits the guest must cause, in order: reason, qualification, instruction length. */
expected_log:
	.long EXIT_REASON_IO, (DEVICE_PORT << 16) | 0x8, 1, 0, 0
	.long EXIT_REASON_RDMSR, 0, 2, 0, 0
	.long EXIT_REASON_CR, 0x20, 2, 0, 0
	.long EXIT_REASON_CR, 0x303, 3, 0, 0
	/* rep outsb: 1 byte, OUT, string, REP, DX; address size 32, DS (SDM 27.2.5) */
	.long EXIT_REASON_IO, (DEVICE_PORT << 16) | 0x30, 2, (1 << 7) | (3 << 15), guest_buf
	.long 29, 0x17, 3, 0, 0 /* mov eax, dr7: DR7, MOV from DR, EAX */
	.long 14, guest_buf + 0x10, 4, 0, 0 /* invlpg */
	.long 16, 0, 2, 0, 0 /* rdtsc */
	.long 40, 0, 2, 0, 0 /* pause */
	.long 54, 0, 2, 0, 0 /* wbinvd */
	/* sgdt 4(%ebx): displacement 4; SGDT, address size 32, DS, no index, base EBX (the
	 * operand size, bit 11, is not logged: see exit_info) */
	.long 46, 4, 4, (1 << 7) | (3 << 15) | (1 << 22) | (3 << 23), 0
	.long 47, 0, 3, (1 << 28) | (1 << 10), 0 /* str eax: STR, register EAX */
	/* lmsw (%ebx): access type 3, memory operand, source 0008H */
	.long EXIT_REASON_CR, 0x00080070, 3, 0, guest_buf
	.long EXIT_REASON_VMCALL, 0, 3, 0, 0
hex_digits:           .ascii "0123456789abcdef"
msg_prefix:           .asciz "vmx_exits: "
msg_start:            .asciz "start"
msg_no_vmx:           .asciz "no VMX"
msg_controls:         .asciz "exiting controls, bitmaps, cr0 mask and shadow ok"
msg_vmlaunch:         .asciz "vmlaunch"
msg_exit_count:       .asciz "exits="
msg_exit:             .asciz "exit reason="
msg_qual:             .asciz " qualification="
msg_length:           .asciz " insn length="
msg_info:             .asciz " info="
msg_linear:           .asciz " linear="
msg_guest_in:         .asciz "guest in al="
msg_guest_msr:        .asciz "guest rdmsr 174h="
msg_msr_175:          .asciz " 175h="
msg_guest_ts:         .asciz "guest cr0.ts="
msg_after_clts:       .asciz " after clts="
msg_real_ts:          .asciz " real cr0.ts="
msg_vmxoff:           .asciz "vmxoff ok"
msg_done:             .asciz "done"
msg_fail:             .asciz "FAILED"
msg_shutdown:         .asciz "Shutdown"
msg_check_controls:   .asciz "check: the exiting controls are allowed"
msg_check_exit_count: .asciz "check: too many exits"
msg_check_exit_log:   .asciz "check: exit log"
msg_check_guest:      .asciz "check: what the guest saw"
msg_check_vmxoff:     .asciz "check: vmxoff"

	.data
	.balign 4
	.word 0
idt_empty:
	.word 0
	.long 0
primary_controls: .long 0
n_exits:          .long 0
exit_log:         .fill N_EXITS * LOG_ENTRY, 1, 0
guest_buf:        .long 0x00000008, 0, 0, 0, 0, 0, 0, 0 /* OUTS source; LMSW operand: TS */
guest_in_al:      .long 0
guest_msr_174:    .long 0
guest_msr_175:    .long 0
guest_cr0_before: .long 0
guest_cr0_after:  .long 0
guest_real_cr0:   .long 0

	.bss
	.balign 4096
page_dir:     .space 4096
vmxon_region: .space 4096
vmcs_region:  .space 4096
io_bitmap_a:  .space 4096
io_bitmap_b:  .space 4096
msr_bitmap:   .space 4096
	.space 1024
guest_stack_top:
	.balign 16
	.space 4096
handler_stack_top:
	.space 4096
stack_top:
