/* tests/guests/vmx_ept.S — a Multiboot 1 kernel: the minimal VT-x hypervisor of
 * tests/guests/vmx_monitor.inc with EPT (Intel SDM Vol.3 28.3) turned on. After vmm_init
 * has built the VMCS (a 32-bit protected-mode guest with paging sharing the host's page
 * tables), this kernel:
 *   - checks IA32_VMX_PROCBASED_CTLS[63] ("activate secondary controls" may be 1),
 *     IA32_VMX_PROCBASED_CTLS2[33] ("enable EPT", and [37] "enable VPID") and
 *     IA32_VMX_EPT_VPID_CAP bits 6 (4-level walk), 14 (WB), 20 (INVEPT), 25 (single-context
 *     INVEPT), 32 (INVVPID); else "no EPT", status 35;
 *   - builds EPT paging structures that identity-map 0-8 MiB: PML4E -> PDPTE -> PDE 0 -> a
 *     page table of 4 KiB pages for 0-2 MiB, PDEs 1-3 2 MiB pages (bit 7), all RWX, WB —
 *     except the page holding the guest's stack top, read + execute only;
 *   - sets "activate secondary controls", "enable EPT" and the EPTP (WB, walk length 4),
 *     and its own exit handler (HOST_RIP), then VMLAUNCHes the guest with no CPUID loop:
 *     the guest's first write, PUSH EDI before its VMCALL, is an EPT violation (reason 48).
 *     The handler prints the exit qualification (SDM Table 27-7: data write, bit 1; the
 *     entries allow read and execute, bits 3 and 5; guest-linear address valid, bit 7; the
 *     access was to the translation of that linear address, bit 8: 1AAH), the guest-physical
 *     and guest-linear addresses (the stack slot) and the guest RIP (the PUSH); makes the
 *     page writable, INVEPT (single-context), VMRESUME: the PUSH now completes and VMCALL
 *     exits (reason 18): guest RIP/RSP printed;
 *   - unmaps the guest's page directory in EPT, INVEPT, VMRESUME (at the VMCALL): the
 *     fetch's page walk reads the PDE through EPT, an EPT violation on a paging-structure
 *     entry: qualification 81H (data read, entries 0 — not present, bit 7, bit 8 clear),
 *     guest-physical address = the PDE's, guest-linear = the VMCALL's address;
 *   - makes that entry write-only (bits 2:0 = 010b), INVEPT, VMRESUME: an EPT
 *     misconfiguration (reason 49, SDM 28.3.3.1) for the same guest-physical address;
 *   - maps it again, INVEPT, VMRESUME: VMCALL exits again;
 *   - in root: INVEPT type 3 and INVVPID single-context with VPID 0 (IA32_VMX_PROCBASED_CTLS2
 *     bit 37 and IA32_VMX_EPT_VPID_CAP bit 32 are checked first): VMfailValid, error 28;
 *   - the guest then runs INVEPT 10H(%eax),%edx and INVVPID (%ebx,%esi,4),%ecx: exits 50 and
 *     53 with the displacement as qualification and the instruction information of SDM
 *     Table 27-15 (scaling, address size, segment, index/base registers, reg2), length 6;
 *     the monitor skips each; the guest's VMCALL;
 *   - if "unrestricted guest" may be 1 (IA32_VMX_PROCBASED_CTLS2 bit 39): the same guest in
 *     real mode (CR0.PE = PG = 0, real-mode segments, CS FFFFH base FFFF0H, the IVT at its
 *     IDTR base): a store through DS, INT 30H through the IVT into a handler that executes
 *     VMCALL; the exit saves CS FFFFH, the handler's IP, SP 6FFAH, CR0.PE 0, and the INT's
 *     frame (IP, CS, FLAGS) and the stored word are printed; VMXOFF.
 * Checks: qualification 1AAH, both addresses = guest stack top - 4, violation RIP = the
 * PUSH, VMCALL RIP = vmm_guest_vmcall, RSP = stack top - 4 holding the pushed 0; the walk's
 * violation and the misconfiguration as above; the second VMCALL's RIP; errors 28; the
 * INVEPT/INVVPID exit information; the real-mode guest's state. Status 33
 * on success, 3 on failure (the failing step, "FAILED"), 35 without VMX/EPT. COM1 8N1, then
 * "Shutdown" to port 0x8900 (Bochs).
 *
 * Bochs reference run (Bochs 2.7): the configuration in the header of vmx_cpuid.S with
 * vmx_ept_floppy.img, plus `plugin_ctrl: speaker=0` and `sound: waveoutdrv=dummy,
 * waveindrv=dummy, midioutdrv=dummy` (Bochs' sound mixer thread aborted with "buffer
 * overflow detected" here otherwise). Its COM1 output is vmx_ept.expected, asserted byte
 * for byte by tests/unit/guest_vmx_ept_test.cpp; Ringside prints the same. The addresses
 * (stack slot 001093fc, the PUSH at 00100a36, VMCALL at 00100a37, the page directory at
 * 00106000) depend on this build.
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

#define MSR_VMX_PROCBASED_CTLS2 0x48B
#define MSR_VMX_EPT_VPID_CAP 0x48C
#define EPT_CAPS_NEEDED ((1 << 6) | (1 << 14) | (1 << 20) | (1 << 25))
#define F_EPT_POINTER 0x201A
#define F_GUEST_PHYSICAL 0x2400
#define F_SECONDARY_CONTROLS 0x401E
#define F_GUEST_LINEAR 0x640A
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_EPT_MISCONFIG 49
#define EXIT_REASON_INVEPT 50
#define EXIT_REASON_INVVPID 53
#define F_EXIT_INSN_INFO 0x440E
#define F_GUEST_CR0_FIELD 0x6800
#define RM_STACK_TOP 0x7000 /* the real-mode guest's stack (SS base 0), below 1 MiB */
#define RM_DATA 0x6000      /* its store (DS base 0) */
#define EPT_RWX 7
#define EPT_WB (6 << 3)
#define EPT_LARGE 0x80
#define EPTP_WB_4LEVEL (6 | (3 << 3))

	.file "vmx_ept.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.long _start, bss_start, bss_end

#define VMM_PAGE_DIR page_dir
#define VMM_VMXON_REGION vmxon_region
#define VMM_VMCS_REGION vmcs_region
#define VMM_GUEST_STACK_TOP guest_stack_top

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
	lidt idt_empty
	call com1_init
	mov $msg_start, %esi
	call log_line

	call vmm_init

	/* ---- EPT capabilities (SDM A.3.2, A.3.3, A.10) ---- */
	mov vmm_ctl_msr, %ecx
	inc %ecx /* the (TRUE_) primary processor-based controls */
	rdmsr
	test $(1 << 31), %edx
	jz no_ept
	mov $MSR_VMX_PROCBASED_CTLS2, %ecx
	rdmsr
	and $0x22, %edx /* enable EPT, enable VPID */
	cmp $0x22, %edx
	jne no_ept
	mov $MSR_VMX_EPT_VPID_CAP, %ecx
	rdmsr
	and $EPT_CAPS_NEEDED, %eax
	cmp $EPT_CAPS_NEEDED, %eax
	jne no_ept
	test $1, %edx /* bit 32: INVVPID */
	jz no_ept
	mov $msg_ept_caps, %esi
	call log_line

	/* ---- the EPT paging structures (SDM 28.3.2) ---- */
	movl $(ept_pdpt + EPT_RWX), ept_pml4
	movl $(ept_pd + EPT_RWX), ept_pdpt
	movl $(ept_pt + EPT_RWX), ept_pd
	movl $(0x200000 | EPT_LARGE | EPT_WB | EPT_RWX), ept_pd + 8
	movl $(0x400000 | EPT_LARGE | EPT_WB | EPT_RWX), ept_pd + 16
	movl $(0x600000 | EPT_LARGE | EPT_WB | EPT_RWX), ept_pd + 24
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	or $(EPT_WB | EPT_RWX), %eax
	mov %eax, ept_pt(, %ecx, 8)
	inc %ecx
	cmp $512, %ecx
	jne 1b
	mov $(guest_stack_top - 4), %ecx
	shr $12, %ecx
	andl $~2, ept_pt(, %ecx, 8) /* the guest stack page: read + execute */

	/* ---- the controls, the EPTP, this kernel's exit handler ---- */
	VMR F_PRIMARY_CONTROLS, %eax
	or $(1 << 31), %eax
	VMW F_PRIMARY_CONTROLS, %eax
	VMWI F_SECONDARY_CONTROLS, 2
	VMWI64 F_EPT_POINTER, (ept_pml4 + EPTP_WB_4LEVEL), 0
	VMWI F_HOST_RIP, ept_exit
	VMW F_HOST_RSP, %esp
	movl $0, vmm_guest_iters
	mov $msg_ept_on, %esi
	call log_line
	mov $msg_vmlaunch, %esi
	call log_line
	vmlaunch
	mov $vmm_msg_vmlaunch_failed, %esi
	jmp vmm_instr_failed

/* The exit handler (HOST_RIP; ESP = HOST_RSP): one step per exit, in `phase` order. The
 * guest's general registers (other than ESP) are live: saved here, restored before
 * VMRESUME. */
ept_exit:
	pushal
	VMR F_EXIT_REASON, %eax
	mov phase, %ecx
	cmp $9, %ecx
	jae vmm_exit_unexpected
	incl phase
	jmp *phase_table(, %ecx, 4)

/* Phase 0: the PUSH on the read/execute stack page. Make it writable, INVEPT, resume. */
phase0:
	cmp $EXIT_REASON_EPT_VIOLATION, %eax
	jne vmm_exit_unexpected
	mov $viol, %edi
	call record_violation
	mov $(guest_stack_top - 4), %ecx
	shr $12, %ecx
	orl $2, ept_pt(, %ecx, 8)
	jmp invept_and_resume

/* Phase 1: the VMCALL. Unmap the guest's page directory in EPT and resume at the VMCALL:
 * the fetch's page walk reads the PDE through EPT. */
phase1:
	cmp $EXIT_REASON_VMCALL, %eax
	jne vmm_exit_unexpected
	VMR F_GUEST_RIP, %eax
	mov %eax, vmm_vmcall_rip
	VMR F_GUEST_RSP, %eax
	mov %eax, vmm_guest_rsp
	mov $msg_vmcall, %esi
	call puts_prefixed
	mov vmm_vmcall_rip, %eax
	call put_hex32
	mov $msg_rsp, %esi
	call puts
	mov vmm_guest_rsp, %eax
	call put_hex32
	call newline
	mov $page_dir, %ecx
	shr $12, %ecx
	movl $0, ept_pt(, %ecx, 8)
	mov $msg_unmap, %esi
	call log_line
	jmp invept_and_resume

/* Phase 2: the walk's PDE read (bit 8 clear). Make the entry write-only: a
 * misconfiguration (SDM 28.3.3.1). */
phase2:
	cmp $EXIT_REASON_EPT_VIOLATION, %eax
	jne vmm_exit_unexpected
	mov $viol2, %edi
	call record_violation
	mov $page_dir, %ecx
	mov %ecx, %eax
	shr $12, %ecx
	or $(EPT_WB | 2), %eax
	mov %eax, ept_pt(, %ecx, 8)
	mov $msg_write_only, %esi
	call log_line
	jmp invept_and_resume

/* Phase 3: the misconfiguration. Map the page again. */
phase3:
	cmp $EXIT_REASON_EPT_MISCONFIG, %eax
	jne vmm_exit_unexpected
	VMR F_GUEST_PHYSICAL, %eax
	mov %eax, misconfig_gpa
	mov $msg_misconfig, %esi
	call puts_prefixed
	call put_hex32
	call newline
	mov $page_dir, %ecx
	mov %ecx, %eax
	shr $12, %ecx
	or $(EPT_WB | EPT_RWX), %eax
	mov %eax, ept_pt(, %ecx, 8)
	jmp invept_and_resume

/* Phase 4: the VMCALL again: check everything, VMXOFF. */
phase4:
	cmp $EXIT_REASON_VMCALL, %eax
	jne vmm_exit_unexpected
	VMR F_GUEST_RIP, %eax
	mov %eax, vmcall2_rip
	mov $msg_vmcall2, %esi
	call puts_prefixed
	call put_hex32
	call newline

	/* INVEPT with type 3, INVVPID single-context with VPID 0: VMfailValid, error 28
	 * ("invalid operand to INVEPT/INVVPID", SDM 30.3, 30.4). */
	mov $3, %eax
	invept invept_desc, %eax
	mov $msg_invept_type3, %esi
	call report_fail_valid
	mov $1, %eax
	invvpid invvpid_desc, %eax
	mov $msg_invvpid_vpid0, %esi
	call report_fail_valid
	/* The guest executes INVEPT and INVVPID: both exit (SDM 25.1.2). */
	VMWI F_GUEST_RIP, guest_inv
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

/* Phase 5: INVEPT in the guest (reason 50), phase 6: INVVPID (53): the qualification
 * (the displacement), the instruction information (SDM Table 27-15) and length; RIP past
 * the instruction, resume. */
phase5:
	cmp $EXIT_REASON_INVEPT, %eax
	jne vmm_exit_unexpected
	mov $msg_invept_exit, %esi
	mov $inv1, %edi
	jmp inv_exit
phase6:
	cmp $EXIT_REASON_INVVPID, %eax
	jne vmm_exit_unexpected
	mov $msg_invvpid_exit, %esi
	mov $inv2, %edi
inv_exit:
	call puts_prefixed
	VMR F_EXIT_QUALIFICATION, %eax
	mov %eax, 0(%edi)
	call put_hex32
	mov $msg_info, %esi
	call puts
	VMR F_EXIT_INSN_INFO, %eax
	mov %eax, 4(%edi)
	call put_hex32
	mov $msg_length, %esi
	call puts
	VMR F_EXIT_INSN_LENGTH, %eax
	mov %eax, 8(%edi)
	call put_hex32
	call newline
	VMR F_GUEST_RIP, %ebx
	add 8(%edi), %ebx
	VMW F_GUEST_RIP, %ebx
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

/* Phase 7: the guest's VMCALL after them: check everything, VMXOFF. */
phase7:
	cmp $EXIT_REASON_VMCALL, %eax
	jne vmm_exit_unexpected
	mov $msg_vmcall3, %esi
	call log_line

	mov $msg_check_violation, %edi
	cmpl $0x1AA, viol + 0
	jne fail
	cmpl $(guest_stack_top - 4), viol + 4
	jne fail
	cmpl $(guest_stack_top - 4), viol + 8
	jne fail
	cmpl $(vmm_guest_vmcall - 1), viol + 12 /* PUSH EDI, one byte */
	jne fail
	mov $msg_check_vmcall, %edi
	cmpl $vmm_guest_vmcall, vmm_vmcall_rip
	jne fail
	cmpl $(guest_stack_top - 4), vmm_guest_rsp
	jne fail
	cmpl $0, guest_stack_top - 4
	jne fail
	mov $msg_check_walk, %edi
	cmpl $0x81, viol2 + 0
	jne fail
	cmpl $page_dir, viol2 + 4 /* PDE 0 */
	jne fail
	cmpl $vmm_guest_vmcall, viol2 + 8
	jne fail
	cmpl $vmm_guest_vmcall, viol2 + 12
	jne fail
	mov $msg_check_misconfig, %edi
	cmpl $page_dir, misconfig_gpa
	jne fail
	cmpl $vmm_guest_vmcall, vmcall2_rip
	jne fail
	mov $msg_check_inv, %edi
	cmpl $28, inv_errors
	jne fail
	cmpl $28, inv_errors + 4
	jne fail
	cmpl $0x10, inv1 + 0
	jne fail
	cmpl $((1 << 7) | (3 << 15) | (1 << 22) | (2 << 28)), inv1 + 4
	jne fail
	cmpl $6, inv1 + 8
	jne fail
	cmpl $0, inv2 + 0
	jne fail
	cmpl $(2 | (1 << 7) | (3 << 15) | (6 << 18) | (3 << 23) | (1 << 28)), inv2 + 4
	jne fail
	cmpl $6, inv2 + 8
	jne fail

	/* ---- an unrestricted guest in real mode (SDM 26.3.1, 26.3.2; secondary control 7) ---- */
	mov $MSR_VMX_PROCBASED_CTLS2, %ecx
	rdmsr
	test $0x80, %edx
	jz 1f
	VMWI F_SECONDARY_CONTROLS, 0x82 /* enable EPT, unrestricted guest */
	VMR F_GUEST_CR0, %eax
	and $0x7FFFFFFE, %eax /* PG = PE = 0 */
	VMW F_GUEST_CR0, %eax
	/* ES, SS, DS, FS, GS: selector 0, base 0, limit FFFFH, data read/write accessed; CS:
	 * selector FFFFH, base FFFF0H (the code is above 1 MiB: FFFF:xxxx reaches it), type 3
	 * (read/write data, accessed, DPL 0: SDM 26.3.1.2 allows it for an unrestricted guest's
	 * CS, as KVM uses it for real mode). With type 11 Bochs 2.7 refuses the entry
	 * ("non-conforming CS.RPL <> CS.DPL": the rule of SDM editions before unrestricted
	 * guest; today's 26.3.1.2 compares a non-conforming CS's DPL with SS.DPL, which
	 * Ringside checks, and so enters). */
	xor %ebx, %ebx
	mov $6, %ecx
2:	cmp $2, %ebx /* CS */
	je 3f
	VMWIX F_GUEST_ES_SELECTOR, 0
	VMWIX F_GUEST_ES_BASE, 0
	VMWIX F_GUEST_ES_LIMIT, 0xFFFF
	VMWIX F_GUEST_ES_AR, 0x93
3:	add $2, %ebx
	loop 2b
	VMWI F_GUEST_CS_SELECTOR, 0xFFFF
	VMWI (F_GUEST_ES_BASE + 2), 0xFFFF0
	VMWI (F_GUEST_ES_LIMIT + 2), 0xFFFF
	VMWI (F_GUEST_ES_AR + 2), 0x93 /* type 3: allowed for an unrestricted guest's CS */
	/* The IVT: vector 30H -> FFFF:(rm_handler - FFFF0H). */
	mov $rm_handler, %eax
	sub $0xFFFF0, %eax
	mov %ax, rm_ivt + 0x30 * 4
	movw $0xFFFF, rm_ivt + 0x30 * 4 + 2
	VMWI F_GUEST_IDTR_BASE, rm_ivt
	VMWI F_GUEST_IDTR_LIMIT, 0x3FF
	VMWI F_GUEST_RSP, RM_STACK_TOP
	VMWI F_GUEST_RFLAGS, 0x2
	mov $rm_code, %eax
	sub $0xFFFF0, %eax
	VMW F_GUEST_RIP, %eax
	mov $msg_real_mode, %esi
	call log_line
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed
1:	mov $msg_no_unrestricted, %esi
	call log_line
	jmp finish

/* Phase 8: the real-mode guest's VMCALL, in its INT 30H handler. */
phase8:
	cmp $EXIT_REASON_VMCALL, %eax
	jne vmm_exit_unexpected
	mov $msg_rm_vmcall, %esi
	call puts_prefixed
	VMR F_GUEST_CS_SELECTOR, %eax
	mov %eax, rm_result + 0
	call put_hex32
	mov $msg_ip, %esi
	call puts
	VMR F_GUEST_RIP, %eax
	mov %eax, rm_result + 4
	call put_hex32
	mov $msg_sp, %esi
	call puts
	VMR F_GUEST_RSP, %eax
	mov %eax, rm_result + 8
	call put_hex32
	mov $msg_cr0_pe, %esi
	call puts
	VMR F_GUEST_CR0, %eax
	and $1, %eax
	call put_hex32
	call newline
	mov $msg_rm_frame, %esi
	call puts_prefixed
	mov RM_STACK_TOP - 6, %eax /* IP, CS */
	call put_hex32
	mov $msg_word, %esi
	call puts
	movzwl RM_STACK_TOP - 2, %eax /* FLAGS */
	call put_hex32
	mov $msg_word, %esi
	call puts
	movzwl RM_DATA, %eax
	call put_hex32
	call newline
	mov $msg_check_real_mode, %edi
	cmpl $0xFFFF, rm_result + 0
	jne fail
	mov $rm_handler, %eax
	sub $0xFFFF0, %eax
	cmp %eax, rm_result + 4
	jne fail
	cmpl $(RM_STACK_TOP - 6), rm_result + 8
	jne fail
	cmpw $0x1234, RM_DATA
	jne fail

finish:
	mov $msg_check_vmxoff, %edi
	vmxoff
	jbe fail
	mov $msg_vmxoff, %esi
	call log_line
	mov $msg_done, %esi
	call log_line
	mov $EXIT_PASS, %al
	jmp exit

/* report_fail_valid: after a VMX instruction that must VMfailValid: ESI = its name; prints
 * "<name>: error=<VM-instruction error>" and appends the error to inv_errors. */
report_fail_valid:
	jz 1f
	mov $0xFFFFFFFF, %eax /* not VMfailValid */
	jmp 2f
1:	VMR F_VM_INSTRUCTION_ERROR, %eax
2:	mov inv_error_count, %ecx
	mov %eax, inv_errors(, %ecx, 4)
	incl inv_error_count
	call puts_prefixed
	push %esi
	mov $msg_error, %esi
	call puts
	pop %esi
	call put_hex32
	jmp newline

/* The real-mode guest (16-bit code, CS = FFFFH, base FFFF0H): a store through DS (base 0),
 * INT 30H through the IVT at the guest's IDTR base, whose handler executes VMCALL. */
	.code16
rm_code:
	mov $0x1234, %ax
	mov %ax, RM_DATA
	int $0x30
1:	hlt
	jmp 1b
rm_handler:
	vmcall
1:	hlt
	jmp 1b
	.code32

/* The guest's INVEPT and INVVPID (memory operands are not read: they exit first). */
guest_inv:
	invept 0x10(%eax), %edx
	invvpid (%ebx, %esi, 4), %ecx
	vmcall
1:	hlt
	jmp 1b

/* record_violation: EDI = 4 dwords (qualification, guest-physical, guest-linear, guest
 * RIP), read from the VMCS and printed on two lines. */
record_violation:
	VMR F_EXIT_QUALIFICATION, %eax
	mov %eax, 0(%edi)
	VMR F_GUEST_PHYSICAL, %eax
	mov %eax, 4(%edi)
	VMR F_GUEST_LINEAR, %eax
	mov %eax, 8(%edi)
	VMR F_GUEST_RIP, %eax
	mov %eax, 12(%edi)
	mov $msg_violation, %esi
	call puts_prefixed
	mov 0(%edi), %eax
	call put_hex32
	mov $msg_gpa, %esi
	call puts
	mov 4(%edi), %eax
	call put_hex32
	mov $msg_gla, %esi
	call puts
	mov 8(%edi), %eax
	call put_hex32
	call newline
	mov $msg_violation_rip, %esi
	call puts_prefixed
	mov 12(%edi), %eax
	call put_hex32
	jmp newline

/* INVEPT (single-context) after an EPT change, then VMRESUME. */
invept_and_resume:
	mov $1, %eax
	invept invept_desc, %eax
	mov $msg_invept_failed, %esi
	jbe vmm_instr_failed
	mov $msg_invept, %esi
	call log_line
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

no_ept:
	mov $msg_no_ept, %esi
	call log_line
	mov $EXIT_NO_VMX, %al
	jmp exit

#include "vmx_guest_io.inc"

	.section .rodata
hex_digits:          .ascii "0123456789abcdef"
msg_prefix:          .asciz "vmx_ept: "
msg_start:           .asciz "start"
msg_no_vmx:          .asciz "no VMX"
msg_no_ept:          .asciz "no EPT"
msg_ept_caps:        .asciz "ept capabilities ok"
msg_ept_on:          .asciz "ept on"
msg_vmlaunch:        .asciz "vmlaunch"
msg_violation:       .asciz "ept violation: qualification="
msg_gpa:             .asciz " gpa="
msg_gla:             .asciz " gla="
msg_violation_rip:   .asciz "ept violation: guest rip="
msg_invept:          .asciz "invept ok"
msg_invept_failed:   .asciz "invept failed, error"
msg_vmcall:          .asciz "vmcall exit: guest rip="
msg_rsp:             .asciz " rsp="
msg_vmxoff:          .asciz "vmxoff ok"
msg_done:            .asciz "done"
msg_fail:            .asciz "FAILED"
msg_shutdown:        .asciz "Shutdown"
msg_check_violation: .asciz "check: ept violation"
msg_check_vmcall:    .asciz "check: vmcall exit state"
msg_check_vmxoff:    .asciz "check: vmxoff"
msg_check_walk:      .asciz "check: ept violation in the page walk"
msg_check_misconfig: .asciz "check: ept misconfiguration"
msg_unmap:           .asciz "page directory unmapped in ept"
msg_write_only:      .asciz "page directory write-only in ept"
msg_misconfig:       .asciz "ept misconfiguration: gpa="
msg_vmcall2:         .asciz "vmcall exit again: guest rip="
msg_invept_type3:    .asciz "invept type 3: VMfailValid"
msg_invvpid_vpid0:   .asciz "invvpid single-context vpid 0: VMfailValid"
msg_error:           .asciz ", error="
msg_invept_exit:     .asciz "invept exit: qualification="
msg_invvpid_exit:    .asciz "invvpid exit: qualification="
msg_info:            .asciz " info="
msg_length:          .asciz " length="
msg_vmcall3:         .asciz "vmcall exit after invept/invvpid"
msg_check_inv:       .asciz "check: invept/invvpid"
msg_check_real_mode: .asciz "check: real-mode guest"
msg_real_mode:       .asciz "unrestricted guest in real mode"
msg_no_unrestricted: .asciz "no unrestricted guest"
msg_rm_vmcall:       .asciz "real-mode guest vmcall: cs="
msg_ip:              .asciz " ip="
msg_sp:              .asciz " sp="
msg_cr0_pe:          .asciz " cr0.pe="
msg_rm_frame:        .asciz "int 30h frame: ip/cs="
msg_word:            .asciz " "

	.data
	.balign 4
	.word 0
idt_empty:
	.word 0
	.long 0
	.balign 16
invept_desc: /* SDM 30.3 Figure "INVEPT Descriptor": EPTP, then 64 reserved bits */
	.long ept_pml4 + EPTP_WB_4LEVEL, 0, 0, 0
phase_table: .long phase0, phase1, phase2, phase3, phase4, phase5, phase6, phase7, phase8
rm_result: .long 0, 0, 0 /* CS selector, IP, SP */
invvpid_desc: .long 0, 0, 0, 0 /* VPID 0 */
inv_error_count: .long 0
inv_errors: .long 0, 0
inv1: .long 0, 0, 0 /* qualification, instruction information, length */
inv2: .long 0, 0, 0
phase:   .long 0
viol:    .long 0, 0, 0, 0 /* qualification, guest-physical, guest-linear, guest RIP */
viol2:   .long 0, 0, 0, 0
misconfig_gpa: .long 0
vmcall2_rip:   .long 0

	.balign 4
rm_ivt: .fill 0x100, 4, 0

	.bss
	.balign 4096
ept_pml4:     .space 4096
ept_pdpt:     .space 4096
ept_pd:       .space 4096
ept_pt:       .space 4096
page_dir:     .space 4096
vmxon_region: .space 4096
vmcs_region:  .space 4096
	.space 1024
guest_stack_top:
	.balign 16
	.space 4096
stack_top:
