/* tests/guests/vmx_basic.S — a Multiboot 1 kernel that enters VMX root operation and uses
 * the VMCS instructions, as a hypervisor's setup code does (Intel SDM Vol.3 23.7 "Enabling
 * and Entering VMX Operation", 24.11 "Software Use of the VMCS", 30.3 the instructions).
 *
 *   1. CPUID.1:ECX.VMX (bit 5). Without it: print "no VMX" and exit with status 35.
 *   2. IA32_FEATURE_CONTROL (0x3A): if unlocked, set lock + "VMX outside SMX" (bits 0, 2).
 *   3. IA32_VMX_BASIC (0x480): the VMCS revision identifier and region size.
 *   4. An identity map of the first 8 MiB (4 MiB pages, CR4.PSE), then CR0 and CR4 with
 *      IA32_VMX_CR0_FIXED0/1 and CR4_FIXED0/1 applied (SDM 23.8): this sets CR0.PG/NE and
 *      CR4.VMXE.
 *   5. VMXON; a second VMXON (VMfailInvalid: no current VMCS); VMCLEAR; VMPTRLD;
 *      VMWRITE/VMREAD of guest RIP (natural width), guest ES selector (16 bits: the write
 *      truncates), the high half of the TSC offset (64-bit, access type high); VMREAD of
 *      field 4830H, which no processor has (VMfailValid, error 12); VMRESUME of a clear
 *      VMCS (VMfailValid, error 5); VMPTRST; VMXOFF; clearing CR4.VMXE.
 * Everything is reported on COM1; isa-debug-exit (0xF4) status 33 on success, 3 on
 * failure (the line before "FAILED" names the step), 35 without VMX.
 * Asserted by tests/unit/guest_vmx_test.cpp.
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
#define EXIT_NO_VMX 0x11

#define MSR_FEATURE_CONTROL 0x3A
#define MSR_VMX_BASIC 0x480
#define MSR_VMX_CR0_FIXED0 0x486
#define MSR_VMX_CR0_FIXED1 0x487
#define MSR_VMX_CR4_FIXED0 0x488
#define MSR_VMX_CR4_FIXED1 0x489
#define FC_LOCK 0x1
#define FC_VMX_OUTSIDE_SMX 0x4

#define CR4_PSE 0x10
#define CR4_VMXE 0x2000
#define PDE_4M 0x83 /* present, writable, 4 MiB page (PS) */

/* VMCS field encodings (SDM Appendix B). */
#define F_GUEST_ES_SELECTOR 0x0800
#define F_TSC_OFFSET_HIGH 0x2011
#define F_NO_SUCH_FIELD 0x4830
#define F_VM_INSTRUCTION_ERROR 0x4400
#define F_GUEST_RIP 0x681E

#define EFLAGS_CF 0x01
#define EFLAGS_ZF 0x40

	.file "vmx_basic.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

/* STEP msg: names the step for a failure report. */
.macro STEP msg
	mov $\msg, %edi
.endm
/* After a VMX instruction: VMsucceed has CF = ZF = 0 (SDM 30.2). */
.macro EXPECT_SUCCEED
	jbe fail
.endm
.macro EXPECT_FAIL_INVALID
	jnc fail
.endm
.macro EXPECT_FAIL_VALID
	jc fail
	jnz fail
.endm

	.text
	.code32
	.globl _start
_start:
	cli
	mov $stack_top, %esp
	cmp $MB_BOOT_MAGIC, %eax
	jne fail_early
	mov $msg_start, %esi
	call puts

	/* ---- 1. CPUID ------------------------------------------------------------------ */
	mov $1, %eax
	cpuid
	test $(1 << 5), %ecx
	jnz 1f
	mov $msg_no_vmx, %esi
	call puts
	mov $EXIT_NO_VMX, %al
	out %al, $EXIT_PORT
	hlt
1:	mov $msg_cpuid, %esi
	call puts

	/* ---- 2. IA32_FEATURE_CONTROL --------------------------------------------------- */
	STEP msg_fc
	mov $MSR_FEATURE_CONTROL, %ecx
	rdmsr
	test $FC_LOCK, %eax
	jnz 1f
	mov $(FC_LOCK | FC_VMX_OUTSIDE_SMX), %eax
	xor %edx, %edx
	wrmsr
	rdmsr
1:	and $(FC_LOCK | FC_VMX_OUTSIDE_SMX), %eax
	cmp $(FC_LOCK | FC_VMX_OUTSIDE_SMX), %eax
	jne fail
	call print_step_value

	/* ---- 3. IA32_VMX_BASIC ------------------------------------------------------------ */
	mov $MSR_VMX_BASIC, %ecx
	rdmsr
	mov %eax, revision
	mov $msg_revision, %esi
	call puts
	call put_hex32
	mov $msg_size, %esi
	call puts
	mov %edx, %eax
	and $0x1FFF, %eax
	call put_hex32
	mov $'\n', %al
	call putc

	/* ---- 4. Paging, CR0, CR4 ------------------------------------------------------------ */
	movl $(0x000000 | PDE_4M), page_dir
	movl $(0x400000 | PDE_4M), page_dir + 4
	mov $page_dir, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $CR4_PSE, %eax
	mov %eax, %cr4
	mov $MSR_VMX_CR0_FIXED0, %ecx
	rdmsr
	mov %eax, %ebx
	mov %cr0, %eax
	or %ebx, %eax
	mov $MSR_VMX_CR0_FIXED1, %ecx
	push %eax
	rdmsr
	mov %eax, %ebx
	pop %eax
	and %ebx, %eax
	mov %eax, %cr0 /* PG, NE (and PE) now set */
	mov $MSR_VMX_CR4_FIXED0, %ecx
	rdmsr
	mov %eax, %ebx
	mov %cr4, %eax
	or %ebx, %eax
	mov $MSR_VMX_CR4_FIXED1, %ecx
	push %eax
	rdmsr
	mov %eax, %ebx
	pop %eax
	and %ebx, %eax
	mov %eax, %cr4
	STEP msg_cr4
	mov %cr4, %eax
	call print_step_value

	/* ---- 5. VMX --------------------------------------------------------------------- */
	mov revision, %eax
	mov %eax, vmxon_region
	mov %eax, vmcs_region
	movl $vmxon_region, vmxon_ptr
	movl $vmcs_region, vmcs_ptr

	STEP msg_vmxon
	vmxon vmxon_ptr
	EXPECT_SUCCEED
	call print_step_ok

	STEP msg_vmxon_again
	vmxon vmxon_ptr
	EXPECT_FAIL_INVALID
	call print_step_ok

	STEP msg_vmclear
	vmclear vmcs_ptr
	EXPECT_SUCCEED
	call print_step_ok

	STEP msg_vmptrld
	vmptrld vmcs_ptr
	EXPECT_SUCCEED
	call print_step_ok

	STEP msg_guest_rip
	mov $F_GUEST_RIP, %edx
	mov $0x12345678, %ecx
	vmwrite %ecx, %edx
	EXPECT_SUCCEED
	xor %eax, %eax
	vmread %edx, %eax
	EXPECT_SUCCEED
	call print_step_value

	STEP msg_es_sel
	mov $F_GUEST_ES_SELECTOR, %edx
	mov $0xABCD1234, %ecx
	vmwrite %ecx, %edx
	EXPECT_SUCCEED
	mov $0xFFFFFFFF, %eax
	vmread %edx, %eax
	EXPECT_SUCCEED
	call print_step_value

	STEP msg_tsc_high
	mov $F_TSC_OFFSET_HIGH, %edx
	movl $0xCAFEF00D, scratch
	vmwrite scratch, %edx /* memory source operand */
	EXPECT_SUCCEED
	movl $0, scratch
	vmread %edx, scratch /* memory destination */
	EXPECT_SUCCEED
	mov scratch, %eax
	call print_step_value

	STEP msg_no_field
	mov $F_NO_SUCH_FIELD, %edx
	vmread %edx, %eax
	EXPECT_FAIL_VALID
	mov $F_VM_INSTRUCTION_ERROR, %edx
	vmread %edx, %eax
	EXPECT_SUCCEED
	call print_step_value

	STEP msg_vmresume
	vmresume
	EXPECT_FAIL_VALID
	mov $F_VM_INSTRUCTION_ERROR, %edx
	vmread %edx, %eax
	EXPECT_SUCCEED
	call print_step_value

	STEP msg_vmptrst
	movl $0xFFFFFFFF, vmcs_store
	movl $0xFFFFFFFF, vmcs_store + 4
	vmptrst vmcs_store
	EXPECT_SUCCEED
	mov vmcs_store, %eax
	cmp $vmcs_region, %eax
	jne fail
	cmpl $0, vmcs_store + 4
	jne fail
	call print_step_ok

	STEP msg_vmxoff
	vmxoff
	EXPECT_SUCCEED
	mov %cr4, %eax
	and $~CR4_VMXE, %eax
	mov %eax, %cr4 /* allowed again outside VMX operation */
	call print_step_ok

	mov $msg_done, %esi
	call puts
	mov $EXIT_PASS, %al
	out %al, $EXIT_PORT
	hlt

fail:
	mov %edi, %esi
	call puts
	mov $'\n', %al
	call putc
fail_early:
	mov $msg_fail, %esi
	call puts
	mov $EXIT_FAIL, %al
	out %al, $EXIT_PORT
	hlt

/* "vmx_basic: <step> ok\n"; the step name at EDI. Preserves all registers. */
print_step_ok:
	push %esi
	mov $msg_prefix, %esi
	call puts
	mov %edi, %esi
	call puts
	mov $msg_ok, %esi
	call puts
	pop %esi
	ret

/* "vmx_basic: <step>=<EAX in hex>\n". Preserves all registers. */
print_step_value:
	push %esi
	push %eax
	mov $msg_prefix, %esi
	call puts
	mov %edi, %esi
	call puts
	mov $'=', %al
	call putc
	pop %eax
	call put_hex32
	push %eax
	mov $'\n', %al
	call putc
	pop %eax
	pop %esi
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

put_hex32: /* EAX = value, 8 lowercase hex digits; preserves all registers */
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

	.section .rodata
hex_digits:      .ascii "0123456789abcdef"
msg_start:       .asciz "vmx_basic: start\n"
msg_no_vmx:      .asciz "vmx_basic: no VMX\n"
msg_cpuid:       .asciz "vmx_basic: cpuid.1:ecx.vmx=1\n"
msg_revision:    .asciz "vmx_basic: vmx_basic revision="
msg_size:        .asciz " size="
msg_prefix:      .asciz "vmx_basic: "
msg_ok:          .asciz " ok\n"
msg_fc:          .asciz "feature_control"
msg_cr4:         .asciz "cr4"
msg_vmxon:       .asciz "vmxon"
msg_vmxon_again: .asciz "vmxon again: VMfailInvalid"
msg_vmclear:     .asciz "vmclear"
msg_vmptrld:     .asciz "vmptrld"
msg_guest_rip:   .asciz "vmread guest_rip"
msg_es_sel:      .asciz "vmread guest_es_selector"
msg_tsc_high:    .asciz "vmread tsc_offset_high"
msg_no_field:    .asciz "vmread field 4830: VMfailValid, error"
msg_vmresume:    .asciz "vmresume: VMfailValid, error"
msg_vmptrst:     .asciz "vmptrst"
msg_vmxoff:      .asciz "vmxoff"
msg_done:        .asciz "vmx_basic: done\n"
msg_fail:        .asciz "vmx_basic: FAILED\n"

	.data
	.balign 8
vmxon_ptr:  .quad 0
vmcs_ptr:   .quad 0
vmcs_store: .quad 0
revision:   .long 0
scratch:    .long 0

	.bss
	.balign 4096
page_dir:     .space 4096
vmxon_region: .space 4096
vmcs_region:  .space 4096
	.balign 16
	.space 4096
stack_top:
