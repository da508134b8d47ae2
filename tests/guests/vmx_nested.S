/* tests/guests/vmx_nested.S — a Multiboot 1 kernel that is a minimal 32-bit VT-x hypervisor
 * (L0; tests/guests/vmx_monitor.inc builds the VMCS, as for vmx_cpuid.S) whose guest L1 is
 * itself a small hypervisor: the nested case. L1 runs in VMX non-root operation with
 * CR4.VMXE = 1 in its guest CR4 (vmm_init copies the host CR4, which IA32_VMX_CR4_FIXED0
 * forces VMXE into) and executes VMXON [mem], VMCLEAR [mem], VMPTRLD [mem], VMWRITEs (the
 * register and the memory form: its L2's guest RIP and RSP, its host RIP and RSP), VMREAD
 * (register form), VMLAUNCH and, once L2's exit comes back to it, VMREAD of the exit
 * reason and VMCALL. In
 * VMX non-root operation every VMX instruction causes a VM exit (Intel SDM Vol.3 25.1.2:
 * VMCLEAR 19, VMLAUNCH 20, VMPTRLD 21, VMREAD 23, VMWRITE 25, VMXON 27; VMCALL 18), after
 * the #UD and CPL checks that come first (25.1.1), which L1 at CPL 0 with CR4.VMXE passes.
 *
 * L0's exit handler prints, for each exit, the exit reason and the VM-exit instruction
 * length and, for a memory operand, the exit qualification (the displacement, SDM 27.2.1)
 * and the VM-exit instruction-information field (27.2.5): Table 27-13 for VMCLEAR,
 * VMPTRLD and VMXON, Table 27-14 for VMREAD and VMWRITE; for the register forms of
 * VMREAD/VMWRITE the instruction information only (their qualification is the zero
 * displacement of no memory operand; not printed). The information is printed whole with
 * the bits the SDM leaves undefined masked to 0, so that Bochs and Ringside agree:
 *   - Table 27-13: bits 6:2, 14:11 and 31:28 undefined (bit 10 is defined as 0);
 *   - Table 27-14: bits 2 and 14:11 undefined; for a memory operand reg1 (6:3) too; for a
 *     register operand everything but reg1 (6:3), bit 10 = 1 and reg2 (31:28);
 *   - both: scaling (1:0) and the index register (21:18) are undefined when bit 22 says
 *     there is no index, the base register (26:23) when bit 27 says there is no base.
 * (Unmasked, Bochs 2.7 and Ringside differ only in bits 9:7 of the register forms of
 * VMREAD/VMWRITE, the address size, undefined there: Ringside reports 1 (32-bit), Bochs 0.
 * Every other undefined bit is 0 in both.)
 * It then emulates the minimum: VMsucceed (CF, PF, AF, ZF, SF, OF cleared in the guest's
 * RFLAGS, SDM 30.2); VMWRITE stores the value (register, or memory at displacement + base
 * + index << scaling) into "vmcs12", L0's copy of the few fields of L1's VMCS it keeps;
 * VMREAD returns vmcs12's value in the destination register (reg1) through the guest
 * registers saved by PUSHAD; guest RIP + instruction length; VMRESUME.
 * L1's VMLAUNCH (reason 20) prints "L1's VMLAUNCH exited to L0" and L0 emulates the nested
 * entry, Turtles-style but minimal: vmcs02 is L0's own VMCS (vmcs01) with vmcs12's guest
 * RIP and RSP (L2 shares L1's segments, control registers and page tables, so no other
 * field differs), entered with VMRESUME. L2 executes CPUID, which exits to L0 (reason 10);
 * L0 reflects it to L1: vmcs12's exit reason = 10, L1 resumed at vmcs12's host RIP and RSP
 * with RFLAGS = 2 (SDM 27.5.3). L1 VMREADs the exit reason (10) and VMCALLs.
 *
 * L1 sets CF before each VMX instruction and counts those that returned VMsucceed (CF =
 * ZF = 0); after L1's VMCALL the kernel checks that L1 saw nine VMsucceeds, read back the
 * guest RSP it wrote and L2's exit reason 10, and that there were 12 exits.
 *
 * Then it runs L1 again from the start with VMCS shadowing (SDM 24.6.2, 24.10, 25.1.2,
 * 30.3): "activate secondary controls" and "VMCS shadowing" set, all-zero VMREAD and
 * VMWRITE bitmaps, and as VMCS link pointer a shadow VMCS (revision identifier with the
 * shadow-VMCS indicator, bit 31; VMCLEARed). Now L1's VMWRITEs write the shadow VMCS and
 * its VMREAD reads it without an exit: the VMREAD of guest RSP returns L1_WRITE_VALUE, which
 * L1's memory-form VMWRITE put there, and only VMXON, VMCLEAR, VMPTRLD, VMLAUNCH and
 * VMCALL exit. L0 no longer sees vmcs12 in this run, so it skips L1's VMLAUNCH (no L2):
 * 5 exits instead of 12 (the exit multiplication that shadowing removes, the Turtles
 * paper's point). The kernel prints both counts, checks them, and exits with
 * isa-debug-exit status 33 only if all hold. Failure: the step,
 * "vmx_nested: FAILED", status 3; without VMX: "no VMX", status 35. Output on COM1;
 * "Shutdown" to port 0x8900 ends a Bochs run.
 *
 * Asserted by tests/unit/guest_vmx_nested_test.cpp against vmx_nested.expected, which is
 * Bochs 2.7's COM1 output (verbatim) for vmx_nested_floppy.img (mbfloppy.S + this kernel's
 * flat image, built next to vmx_nested.elf) with the configuration in vmx_exits.S's header
 * (floppya: 1_44="vmx_nested_floppy.img"). The printed displacement of VMXON is
 * l1_data's address in this build: after a change to this file or vmx_monitor.inc, re-run
 * it on Bochs and update vmx_nested.expected.
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

#define F_EXIT_INSN_INFO 0x440E
#define EXIT_REASON_VMLAUNCH 20
#define EXIT_REASON_VMREAD 23
#define EXIT_REASON_VMWRITE 25
#define N_EXITS 12 /* without VMCS shadowing: L1's 11 VMX instructions, L2's CPUID */
#define N_EXITS_SHADOWED 5 /* with it: VMREAD and VMWRITE (5) do not exit; no L2 */
#define N_SUCCEEDED 9 /* without shadowing: 3 + 4 VMWRITEs + 2 VMREADs */
#define N_SUCCEEDED_SHADOWED 8 /* with: no reflected exit, so no second VMREAD */
#define F_L2_EXIT_REASON 0x4402
#define EXIT_REASON_CPUID_L2 10
#define MSR_PROCBASED_CTLS2 0x48B
#define F_SECONDARY_CONTROLS 0x401E
#define F_VMREAD_BITMAP 0x2026
#define F_VMWRITE_BITMAP 0x2028
#define CTL_SECONDARY (1 << 31)
#define CTL2_VMCS_SHADOWING (1 << 14)
#define SHADOW_VMCS_INDICATOR 0x80000000
#define L1_WRITE_VALUE l2_stack_top /* L1's VMWRITE (memory form) of L2's guest RSP */
#define VMSUCCEED_CLEARED 0x8D5 /* CF PF AF ZF SF OF */
#define INFO_MASK_27_13 0x0FFF8783
#define INFO_MASK_27_14_MEM 0xFFFF8783
#define INFO_MASK_27_14_REG 0xF0000478
#define INFO_REG_FORM (1 << 10)
#define INFO_NO_INDEX (1 << 22)
#define INFO_NO_BASE (1 << 27)
#define INFO_INDEX_FIELDS 0x003C0003 /* scaling 1:0, index 21:18 */
#define INFO_BASE_FIELD 0x07800000 /* base 26:23 */

	.file "vmx_nested.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long _start, bss_start, bss_end

#define VMM_PAGE_DIR page_dir
#define VMM_VMXON_REGION vmxon_region
#define VMM_VMCS_REGION vmcs_region
#define VMM_GUEST_STACK_TOP guest_stack_top

/* VMM_LOG msg: "vmx_nested: <msg>\n". */
.macro VMM_LOG msg
	push %esi
	mov $\msg, %esi
	call log_line
	pop %esi
.endm

/* L1 insn: CF = 1, the VMX instruction, count it if it returned VMsucceed (CF = ZF = 0). */
.macro L1 insn:vararg
	stc
	\insn
	jbe .Ll1_\@
	incl l1_succeeded
.Ll1_\@:
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
	VMWI F_HOST_RIP, exit_handler
	VMWI F_HOST_RSP, handler_stack_top
	VMWI F_GUEST_RIP, guest
	mov %cr4, %eax
	test $(1 << 13), %eax
	mov $msg_check_vmxe, %edi
	jz fail
	mov $msg_l1_vmxe, %esi
	call log_line

	mov $msg_vmlaunch, %esi
	call log_line
	vmlaunch
	mov $vmm_msg_vmlaunch_failed, %esi
	jmp vmm_instr_failed

/* ---- L0's exit handler (HOST_RIP, ESP = handler_stack_top, L1's registers live) ---- */
exit_handler:
	pushal /* EDI 0, ESI 4, EBP 8, ESP 12, EBX 16, EDX 20, ECX 24, EAX 28 */
	incl n_exits
	cmpl $N_EXITS, n_exits /* the larger of the two runs' counts */
	mov $msg_check_exit_count, %edi
	ja fail
	VMR F_EXIT_REASON, %eax
	cmpl $0, in_l2
	jne exit_from_l2
	cmp $EXIT_REASON_VMCALL, %eax
	je guest_done
	VMR F_EXIT_INSN_LENGTH, %ecx
	VMR F_EXIT_QUALIFICATION, %ebx
	VMR F_EXIT_INSN_INFO, %edx
	mov $msg_exit, %esi
	call puts_prefixed
	call put_hex32
	mov $msg_length, %esi
	call puts
	xchg %eax, %ecx
	call put_hex32
	xchg %eax, %ecx
	cmp $EXIT_REASON_VMLAUNCH, %eax
	je exit_vmlaunch
	cmp $EXIT_REASON_VMREAD, %eax
	je 1f
	cmp $EXIT_REASON_VMWRITE, %eax
	je 1f
	mov $INFO_MASK_27_13, %edi /* VMXON, VMCLEAR, VMPTRLD */
	jmp 2f
1:	test $INFO_REG_FORM, %edx
	jz 1f
	and $INFO_MASK_27_14_REG, %edx
	jmp 4f
1:	mov $INFO_MASK_27_14_MEM, %edi
2:	test $INFO_NO_INDEX, %edx
	jz 3f
	and $~INFO_INDEX_FIELDS, %edi
3:	test $INFO_NO_BASE, %edx
	jz 3f
	and $~INFO_BASE_FIELD, %edi
3:	and %edi, %edx
	mov $msg_qual, %esi
	call puts
	xchg %eax, %ebx
	call put_hex32
	xchg %eax, %ebx
4:	mov $msg_info, %esi
	call puts
	xchg %eax, %edx
	call put_hex32
	xchg %eax, %edx
	call newline
	cmp $EXIT_REASON_VMWRITE, %eax
	je emulate_vmwrite
	cmp $EXIT_REASON_VMREAD, %eax
	jne vmsucceed
	test $INFO_REG_FORM, %edx
	jz vmsucceed
	/* VMREAD r32, r32: reg2 (31:28) holds the field, the destination is reg1 (6:3): the
	 * value from vmcs12 (L0's copy of the fields L1 wrote; 0 for any other field). */
	mov %edx, %ecx
	shr $28, %ecx
	neg %ecx
	mov 28(%esp,%ecx,4), %eax
	call vmcs12_slot
	mov (%edi), %eax
	mov %edx, %ecx
	shr $3, %ecx
	and $7, %ecx
	neg %ecx
	mov %eax, 28(%esp,%ecx,4)
	jmp vmsucceed
emulate_vmwrite:
	/* VMWRITE: the field in reg2 (31:28), the value in reg1 (6:3) or in memory at
	 * displacement (the qualification) + base + index << scaling (DS: base 0). The guest
	 * registers are the PUSHAD ones (an ESP operand would be wrong; L1 uses none). */
	mov %edx, %ecx
	shr $28, %ecx
	neg %ecx
	mov 28(%esp,%ecx,4), %eax
	call vmcs12_slot
	mov %edx, %ecx
	test $INFO_REG_FORM, %edx
	jz 1f
	shr $3, %ecx
	and $7, %ecx
	neg %ecx
	mov 28(%esp,%ecx,4), %eax
	jmp 3f
1:	test $INFO_NO_BASE, %edx
	jnz 2f
	shr $23, %ecx
	and $15, %ecx
	neg %ecx
	add 28(%esp,%ecx,4), %ebx
2:	test $INFO_NO_INDEX, %edx
	jnz 2f
	mov %edx, %ecx
	shr $18, %ecx
	and $15, %ecx
	neg %ecx
	mov 28(%esp,%ecx,4), %eax
	mov %edx, %ecx
	and $3, %ecx
	shl %cl, %eax
	add %eax, %ebx
2:	mov (%ebx), %eax
3:	mov %eax, (%edi)
vmsucceed:
	VMR F_GUEST_RFLAGS, %eax
	and $~VMSUCCEED_CLEARED, %eax
	VMW F_GUEST_RFLAGS, %eax
advance:
	VMR F_GUEST_RIP, %eax
	VMR F_EXIT_INSN_LENGTH, %ebx
	add %ebx, %eax
	VMW F_GUEST_RIP, %eax
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

exit_vmlaunch:
	call newline
	mov $msg_l1_vmlaunch, %esi
	call log_line
	cmpl $0, shadowing
	jne advance /* with shadowing L0 does not see vmcs12: not emulated, L1 goes on */
	/* The nested entry, emulated: vmcs02 is vmcs01 with vmcs12's guest RIP and RSP (L2
	 * shares L1's segments, control registers and page tables here, so nothing else
	 * differs); L0 enters L2 with L1's general registers. */
	mov vmcs12_guest_rip, %eax
	VMW F_GUEST_RIP, %eax
	mov vmcs12_guest_rsp, %eax
	VMW F_GUEST_RSP, %eax
	movl $1, in_l2
	mov $msg_enter_l2, %esi
	call log_line
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

/* An exit from L2: reflected to L1 as the VM exit L1 expects (SDM 27.5: RIP and RSP from
 * vmcs12's host fields, RFLAGS = 2; the exit reason into vmcs12 for L1's VMREAD). */
exit_from_l2:
	movl $0, in_l2
	mov %eax, vmcs12_exit_reason
	mov $msg_l2_exit, %esi
	call puts_prefixed
	call put_hex32
	call newline
	mov vmcs12_host_rip, %eax
	VMW F_GUEST_RIP, %eax
	mov vmcs12_host_rsp, %eax
	VMW F_GUEST_RSP, %eax
	VMWI F_GUEST_RFLAGS, 0x2
	mov $msg_reflect, %esi
	call log_line
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

/* vmcs12_slot: EAX = a field encoding -> EDI = its slot in vmcs12 (vmcs12_other for a
 * field L0 does not keep: reads 0, writes are dropped). Preserves other registers. */
vmcs12_slot:
	mov $vmcs12_guest_rip, %edi
	cmp $F_GUEST_RIP, %eax
	je 1f
	mov $vmcs12_guest_rsp, %edi
	cmp $F_GUEST_RSP, %eax
	je 1f
	mov $vmcs12_host_rip, %edi
	cmp $F_HOST_RIP, %eax
	je 1f
	mov $vmcs12_host_rsp, %edi
	cmp $F_HOST_RSP, %eax
	je 1f
	mov $vmcs12_exit_reason, %edi
	cmp $F_L2_EXIT_REASON, %eax
	je 1f
	movl $0, vmcs12_other
	mov $vmcs12_other, %edi
1:	ret

/* ---- back in VMX root operation after L1's VMCALL ---- */
guest_done:
	mov $stack_top, %esp
	mov $msg_vmcall, %esi
	call log_line
	mov $msg_exit_count, %esi
	call puts_prefixed
	mov n_exits, %eax
	call put_hex32
	call newline
	mov $msg_l1_saw, %esi
	call puts_prefixed
	mov l1_succeeded, %eax
	call put_hex32
	mov $msg_l1_vmread, %esi
	call puts
	mov l1_vmread_value, %eax
	call put_hex32
	call newline
	mov $msg_l1_l2_reason, %esi
	call puts_prefixed
	mov l1_l2_reason, %eax
	call put_hex32
	call newline
	mov $msg_check_l1, %edi
	cmpl $L1_WRITE_VALUE, l1_vmread_value /* vmcs12 (L0's emulation) or the shadow */
	jne fail
	cmpl $0, shadowing
	jne shadowed_run_done
	cmpl $N_SUCCEEDED, l1_succeeded
	jne fail
	cmpl $EXIT_REASON_CPUID_L2, l1_l2_reason /* L2's exit, reflected */
	jne fail
	mov $msg_check_exit_count, %edi
	cmpl $N_EXITS, n_exits
	jne fail

	/* ---- the second run of L1: VMCS shadowing (SDM 24.6.2, 24.10, 25.1.2 and 30.3) ---- */
	mov n_exits, %eax
	mov %eax, exits_unshadowed
	movl $1, shadowing
	movl $0, n_exits
	movl $0, l1_succeeded
	movl $0, l1_vmread_value
	movl $0, l1_l2_reason
	mov $msg_check_shadowing, %edi
	mov $CTL_SECONDARY, %ebx
	mov vmm_ctl_msr, %ecx
	inc %ecx /* the (TRUE_) primary processor-based controls MSR */
	call vmm_adjust
	test $CTL_SECONDARY, %eax
	jz fail
	VMW F_PRIMARY_CONTROLS, %eax
	mov $CTL2_VMCS_SHADOWING, %ebx
	mov $MSR_PROCBASED_CTLS2, %ecx
	call vmm_adjust
	test $CTL2_VMCS_SHADOWING, %eax
	jz fail
	VMW F_SECONDARY_CONTROLS, %eax
	/* All-zero VMREAD and VMWRITE bitmaps (.bss): no VMREAD or VMWRITE exits. */
	VMWI64 F_VMREAD_BITMAP, vmread_bitmap, 0
	VMWI64 F_VMWRITE_BITMAP, vmwrite_bitmap, 0
	/* The shadow VMCS: the revision identifier with the shadow-VMCS indicator (bit 31),
	 * cleared, as L1's VMCS link pointer (SDM 24.10, 26.3.1.5). */
	mov vmm_revision, %eax
	or $SHADOW_VMCS_INDICATOR, %eax
	mov %eax, shadow_vmcs
	vmclear shadow_vmcs_ptr
	VMM_CHECK vmm_msg_vmclear_failed
	VMWI64 F_VMCS_LINK_POINTER, shadow_vmcs, 0
	/* L1 from the start again. */
	VMWI F_GUEST_RIP, guest
	VMWI F_GUEST_RSP, guest_stack_top
	VMWI F_GUEST_RFLAGS, 0x2
	mov $msg_shadowing, %esi
	call log_line
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

shadowed_run_done:
	/* L1's VMREAD of guest RSP read the shadow VMCS: the value its VMWRITE put there. */
	cmpl $N_SUCCEEDED_SHADOWED, l1_succeeded
	jne fail
	cmpl $0, l1_l2_reason /* no L2 */
	jne fail
	mov $msg_check_exit_count, %edi
	cmpl $N_EXITS_SHADOWED, n_exits
	jne fail
	mov $msg_exits_compared, %esi
	call puts_prefixed
	mov exits_unshadowed, %eax
	call put_hex32
	mov $msg_with_shadowing, %esi
	call puts
	mov n_exits, %eax
	call put_hex32
	call newline
	mov $msg_check_vmxoff, %edi
	vmxoff
	jbe fail
	mov $msg_vmxoff, %esi
	call log_line
	mov $msg_done, %esi
	call log_line
	mov $EXIT_PASS, %al
	jmp exit

/* ---- L1: a hypervisor in VMX non-root operation (CPL 0, CR4.VMXE = 1, IF = 0) ---- */
guest:
	L1 vmxon l1_data /* disp32, no base, no index */
	mov $l1_data, %ebx
	L1 vmclear 8(%ebx) /* base EBX, disp8 */
	mov $2, %ecx
	L1 vmptrld (%ebx,%ecx,4) /* base EBX, index ECX * 4, no displacement */
	mov $F_GUEST_RIP, %edx
	mov $l2_guest, %eax
	L1 vmwrite %eax, %edx /* register form: reg1 EAX, reg2 EDX */
	mov $F_GUEST_RSP, %edx
	L1 vmwrite 16(%ebx), %edx /* memory form: base EBX, disp8, reg2 EDX */
	mov $F_HOST_RIP, %edx
	mov $l1_exit_handler, %eax
	L1 vmwrite %eax, %edx
	mov $F_HOST_RSP, %edx
	mov %esp, %eax
	L1 vmwrite %eax, %edx
	mov $F_GUEST_RSP, %edx
	xor %esi, %esi
	L1 vmread %edx, %esi /* register form: reg1 ESI (the destination), reg2 EDX */
	mov %esi, l1_vmread_value
	vmlaunch /* exits to L0, which enters L2 (without shadowing) */
	jmp guest_vmcall /* with shadowing L0 skips it */
l1_exit_handler: /* L1's host RIP: L2's exit, reflected by L0 */
	mov $F_L2_EXIT_REASON, %edx
	L1 vmread %edx, %eax
	mov %eax, l1_l2_reason
guest_vmcall:
	vmcall
1:	hlt
	jmp 1b
l2_guest: /* L1's guest (L2): CPUID exits (to L0, which reflects it to L1) */
	cpuid
	hlt

#include "vmx_guest_io.inc"

	.section .rodata
hex_digits:           .ascii "0123456789abcdef"
msg_prefix:           .asciz "vmx_nested: "
msg_start:            .asciz "start"
msg_no_vmx:           .asciz "no VMX"
msg_l1_vmxe:          .asciz "L1 guest cr4.vmxe=1"
msg_vmlaunch:         .asciz "vmlaunch L1"
msg_exit:             .asciz "exit reason="
msg_length:           .asciz " insn length="
msg_qual:             .asciz " qualification="
msg_info:             .asciz " info="
msg_l1_vmlaunch:      .asciz "L1's VMLAUNCH exited to L0"
msg_vmcall:           .asciz "L1's VMCALL exited to L0"
msg_exit_count:       .asciz "exits="
msg_l1_saw:           .asciz "L1 vmsucceed count="
msg_l1_vmread:        .asciz " vmread value="
msg_vmxoff:           .asciz "vmxoff ok"
msg_done:             .asciz "done"
msg_fail:             .asciz "FAILED"
msg_shutdown:         .asciz "Shutdown"
msg_check_vmxe:       .asciz "check: cr4.vmxe"
msg_check_exit_count: .asciz "check: exit count"
msg_check_l1:         .asciz "check: what L1 saw"
msg_check_vmxoff:     .asciz "check: vmxoff"
msg_enter_l2:         .asciz "L0 emulates it: enters L2 (vmcs02 = vmcs01 + vmcs12's guest rip, rsp)"
msg_l2_exit:          .asciz "L2 exited to L0, reason="
msg_reflect:          .asciz "L0 reflects it to L1 at vmcs12's host rip"
msg_l1_l2_reason:     .asciz "L1 read L2's exit reason="
msg_check_shadowing:  .asciz "check: vmcs shadowing is allowed"
msg_shadowing:        .asciz "vmcs shadowing on, zero vmread/vmwrite bitmaps; vmresume L1"
msg_exits_compared:   .asciz "exits without shadowing="
msg_with_shadowing:   .asciz " with shadowing="

	.data
	.balign 4
	.word 0
idt_empty:
	.word 0
	.long 0
n_exits:          .long 0
l1_succeeded:     .long 0
l1_vmread_value:  .long 0
shadowing:        .long 0
in_l2:            .long 0
l1_l2_reason:     .long 0
/* vmcs12: the fields of L1's VMCS that L0 keeps (from L1's emulated VMWRITEs). */
vmcs12_guest_rip:   .long 0
vmcs12_guest_rsp:   .long 0
vmcs12_host_rip:    .long 0
vmcs12_host_rsp:    .long 0
vmcs12_exit_reason: .long 0
vmcs12_other:       .long 0
exits_unshadowed: .long 0
	.balign 8
shadow_vmcs_ptr:  .long shadow_vmcs, 0
	.balign 8
/* L1's operands: its VMXON region pointer (0), VMCS pointer (8), a value to VMWRITE (16). */
l1_data:          .long l1_vmxon_region, 0, l1_vmcs_region, 0, L1_WRITE_VALUE

	.bss
	.balign 4096
page_dir:        .space 4096
vmxon_region:    .space 4096
vmcs_region:     .space 4096
l1_vmxon_region: .space 4096
l1_vmcs_region:  .space 4096
vmread_bitmap:   .space 4096
vmwrite_bitmap:  .space 4096
shadow_vmcs:     .space 4096
	.space 1024
guest_stack_top:
	.balign 16
	.space 4096
handler_stack_top:
	.space 1024
l2_stack_top:
	.space 4096
stack_top:
