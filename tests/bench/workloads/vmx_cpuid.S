/* tests/bench/workloads/vmx_cpuid.S — a guest CPUID loop under a minimal VT-x monitor:
 * every CPUID is a VM exit (CPUID exits unconditionally, SDM Vol.3 25.1.2) that the monitor
 * emulates before VMRESUME. The monitor is tests/guests/vmx_monitor.inc (shared with the
 * guest kernel tests/guests/vmx_cpuid.S): VMXON, a complete VMCS for a 32-bit paged guest
 * (the host's page tables and GDT, a busy TSS as TR), VMLAUNCH; the guest runs the loop and
 * ends with VMCALL, whose exit returns here in VMX root operation; then VMXOFF.
 *
 * Per iteration 32 retired instructions: the guest's 4 (XOR EAX, ADD, DEC, JNZ; its CPUID
 * causes a VM exit instead of executing, SDM Vol.3 27.1, so it does not retire, as Ringside
 * counts it) and the exit handler's 28 (PUSHAD, 3 VMREADs
 * of exit reason, guest RIP and exit-instruction length, the real CPUID, 1 VMWRITE of guest
 * RIP, POPAD, VMRESUME, with their moves and checks). exits/s = iterations / seconds.
 * Checksum: the sum of the EBX values the guest saw, each the real CPUID.0 EBX XOR
 * 5A5A5A5AH: iterations * 2F343F1DH mod 2^32 on a GenuineIntel processor. Extra field:
 * exits=, the CPUID exits the handler counted (= iterations).
 *
 * Needs VMX: Ringside, Bochs with `cpu: model=corei7_haswell_4770` and `cpuid: vmx=2`; QEMU's
 * TCG has no VMX ("bench vmx_cpuid FAILED: no VMX"). */
	.file "vmx_cpuid.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "vmx_cpuid"
#define BENCH_PER_ITER 32
#define BENCH_DEFAULT_ITERS 200000
#define BENCH_EXTRA
#include "bench.h"

/* The monitor's memory: below the image's 640 KiB, above what bench.h uses (IDT at 0x1000,
 * stack below 0x7C00, the image from 0x7C00 up to at most 0xA000). */
#define VMM_PAGE_DIR 0x20000
#define VMM_VMXON_REGION 0x21000
#define VMM_VMCS_REGION 0x22000
#define VMM_GUEST_STACK_TOP 0x24000

/* No set-up log here: only the completion line. */
.macro VMM_LOG msg
.endm

bench_run:
	push %ecx
	call vmm_init
	pop %ecx
	call vmm_run /* the guest's ECX CPUIDs, then its VMCALL */
	vmxoff
	mov vmm_checksum, %eax
	ret

bench_extra:
	mov $msg_exits, %esi
	call puts
	mov vmm_cpuid_exits, %eax
	call putdec
	ret

/* The monitor's labels: "bench vmx_cpuid FAILED: ..." and exit 2 (status 5). */
vmm_no_vmx:
	mov $msg_no_vmx, %esi
	call fail_head
	jmp 2f
vmm_fail: /* ESI = what, EAX = value; EDI = 0 or a second name, EDX = its value */
	push %edx
	push %eax
	call fail_head
	mov $'=', %al
	out %al, $DEBUGCON
	pop %eax
	call puthex
	pop %edx
	test %edi, %edi
	jz 2f
	mov $' ', %al
	out %al, $DEBUGCON
	mov %edi, %esi
	call puts
	mov $'=', %al
	out %al, $DEBUGCON
	mov %edx, %eax
	call puthex
2:	mov $msg_nl, %esi
	call puts
	mov $2, %al
	jmp bench_exit

/* fail_head: "bench vmx_cpuid FAILED: " + ESI. Clobbers EAX, ESI. */
fail_head:
	push %esi
	mov $msg_head, %esi
	call puts
	mov $msg_failed, %esi
	call puts
	pop %esi
	jmp puts

msg_exits:	.asciz " exits="
msg_failed:	.asciz " FAILED: "
msg_no_vmx:	.asciz "no VMX (CPUID.1:ECX.VMX = 0)"

#include "../../guests/vmx_monitor.inc"
