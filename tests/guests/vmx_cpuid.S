/* tests/guests/vmx_cpuid.S — a Multiboot 1 kernel that is a minimal 32-bit VT-x hypervisor:
 * it enters VMX root operation, programs a complete VMCS for a 32-bit protected-mode guest
 * with paging (the host's page tables, flat segments from the kernel's GDT, a busy 32-bit
 * TSS as TR) and runs it with VMLAUNCH. The guest executes CPUID (EAX = 0) N_CPUID times,
 * each a VM exit (CPUID exits unconditionally, SDM Vol.3 25.1.2) that the monitor emulates
 * and VMRESUMEs, then VMCALL (reason 18), which ends the run. The monitor itself is
 * tests/guests/vmx_monitor.inc (shared with tests/bench/workloads/vmx_cpuid.S): read its
 * header for the VMCS it builds, the control computation and the CPUID emulation (the real
 * CPUID, EBX XOR 5A5A5A5AH).
 *
 * This kernel then checks, and exits with isa-debug-exit (0xF4) status 33 only if all hold:
 *   - the handler saw N_CPUID CPUID exits, each 2 bytes long (exit-instruction length);
 *   - the guest's checksum (sum of the EBX values it saw) is N_CPUID * (EBX of the real
 *     CPUID.0 XOR 5A5A5A5AH): every exit was emulated once and the guest's registers
 *     survived each exit and VMRESUME;
 *   - the VMCALL exit saved guest RIP = the VMCALL's address, length 3, guest CS = 08H and
 *     guest RSP = the guest stack top - 4 (the guest pushed its checksum; the handler
 *     found it there): the guest state a VM exit saves (SDM 27.3).
 * Failure: the step and value, then "vmx_cpuid: FAILED", status 3. Without VMX: "no VMX",
 * status 35. Every line goes to COM1 (programmed 8N1: Bochs's UART otherwise sends 5-bit
 * words); after the exit port, "Shutdown" to port 0x8900 ends a Bochs run.
 *
 * Ringside today: VM entry is not implemented, so the run stops at VMLAUNCH ("VM entry is
 * not implemented yet ... controls, host and guest state passed"), after "vmlaunch".
 * Asserted by tests/unit/guest_vmx_cpuid_test.cpp; the full output below is what Bochs
 * prints (vmx_cpuid.expected holds the same bytes).
 *
 * Bochs reference run (Bochs 2.7, Debian 12): vmx_cpuid_floppy.img (tests/guests/mbfloppy.S
 * + this kernel's flat image, built next to vmx_cpuid.elf) with this configuration
 *     megs: 32
 *     romimage: file=/usr/share/bochs/BIOS-bochs-latest
 *     vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
 *     floppya: 1_44="build-test/tests/guests/vmx_cpuid_floppy.img", status=inserted
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
 * (the last three: without them Bochs 2.7 may abort at start-up, "buffer overflow
 * detected", after ALSA finds no sound card)
 * run as `bochs -q -f vmx.bxrc -rc RC < /dev/null` (RC: the lines "c" and "quit"); it ends
 * at the "Shutdown" (0.7 s here). com1.out, verbatim (= vmx_cpuid.expected):
 *     vmx_cpuid: start
 *     vmx_cpuid: cpuid.1:ecx.vmx=1
 *     vmx_cpuid: feature_control ok
 *     vmx_cpuid: paging and cr0/cr4 fixed bits ok
 *     vmx_cpuid: vmxon ok
 *     vmx_cpuid: vmclear ok
 *     vmx_cpuid: vmptrld ok
 *     vmx_cpuid: vmcs ok
 *     vmx_cpuid: vmlaunch
 *     vmx_cpuid: cpuid exits=000003e8 insn length=00000002
 *     vmx_cpuid: checksum=64168948
 *     vmx_cpuid: vmcall exit: guest rip=00100a37 insn length=00000003
 *     vmx_cpuid: guest cs=00000008 rsp=001053fc
 *     vmx_cpuid: vmxoff ok
 *     vmx_cpuid: done
 * Every line but the addresses (guest rip = vmm_guest_vmcall, rsp = guest_stack_top - 4:
 * both depend on this build) is independent of the processor profile: the checksum is
 * 1000 * (756E6547H "Genu" XOR 5A5A5A5AH) mod 2^32 on any GenuineIntel CPU.
 */

#define N_CPUID 1000

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

	.file "vmx_cpuid.S"
	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	/* For tests/guests/mbfloppy.S (ignored by Multiboot loaders: flags bit 16 is 0): the
	 * entry point and the .bss to zero. */
	.long _start, bss_start, bss_end

#define VMM_PAGE_DIR page_dir
#define VMM_VMXON_REGION vmxon_region
#define VMM_VMCS_REGION vmcs_region
#define VMM_GUEST_STACK_TOP guest_stack_top

/* VMM_LOG msg: "vmx_cpuid: <msg>\n". */
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
	mov $N_CPUID, %ecx
	call vmm_run

	/* ---- back in VMX root operation after the VMCALL exit ---- */
	mov $msg_exits, %esi
	call puts_prefixed
	mov vmm_cpuid_exits, %eax
	call put_hex32
	mov $msg_length, %esi
	call puts
	mov vmm_cpuid_len, %eax
	call put_hex32
	call newline
	mov $msg_checksum, %esi
	call puts_prefixed
	mov vmm_checksum, %eax
	call put_hex32
	call newline
	mov $msg_vmcall, %esi
	call puts_prefixed
	mov vmm_vmcall_rip, %eax
	call put_hex32
	mov $msg_length, %esi
	call puts
	mov vmm_vmcall_len, %eax
	call put_hex32
	call newline
	mov $msg_guest_cs, %esi
	call puts_prefixed
	mov vmm_guest_cs, %eax
	call put_hex32
	mov $msg_rsp, %esi
	call puts
	mov vmm_guest_rsp, %eax
	call put_hex32
	call newline

	/* The checks. */
	mov $msg_check_exits, %edi
	cmpl $N_CPUID, vmm_cpuid_exits
	jne fail
	cmpl $2, vmm_cpuid_len
	jne fail
	mov $msg_check_checksum, %edi
	xor %eax, %eax
	cpuid /* in VMX root operation: the real one */
	xor $VMM_CPUID_EBX_XOR, %ebx
	imul $N_CPUID, %ebx
	cmp vmm_checksum, %ebx
	jne fail
	mov $msg_check_vmcall, %edi
	cmpl $vmm_guest_vmcall, vmm_vmcall_rip
	jne fail
	cmpl $3, vmm_vmcall_len
	jne fail
	cmpl $0x08, vmm_guest_cs
	jne fail
	cmpl $(guest_stack_top - 4), vmm_guest_rsp
	jne fail

	mov $msg_check_vmxoff, %edi
	vmxoff
	jbe fail
	mov $msg_vmxoff, %esi
	call log_line
	mov $msg_done, %esi
	call log_line
	mov $EXIT_PASS, %al
	jmp exit

#include "vmx_guest_io.inc"

	.section .rodata
hex_digits:         .ascii "0123456789abcdef"
msg_prefix:         .asciz "vmx_cpuid: "
msg_start:          .asciz "start"
msg_no_vmx:         .asciz "no VMX"
msg_exits:          .asciz "cpuid exits="
msg_length:         .asciz " insn length="
msg_checksum:       .asciz "checksum="
msg_vmcall:         .asciz "vmcall exit: guest rip="
msg_guest_cs:       .asciz "guest cs="
msg_rsp:            .asciz " rsp="
msg_vmxoff:         .asciz "vmxoff ok"
msg_done:           .asciz "done"
msg_fail:           .asciz "FAILED"
msg_shutdown:       .asciz "Shutdown"
msg_check_exits:    .asciz "check: cpuid exits and their length"
msg_check_checksum: .asciz "check: checksum"
msg_check_vmcall:   .asciz "check: vmcall exit state"
msg_check_vmxoff:   .asciz "check: vmxoff"

	.data
	.balign 4
	.word 0
idt_empty:
	.word 0
	.long 0

	.bss
	.balign 4096
page_dir:     .space 4096
vmxon_region: .space 4096
vmcs_region:  .space 4096
	.space 1024
guest_stack_top:
	.balign 16
	.space 4096
stack_top:
