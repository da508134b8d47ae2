/* tests/guests/vmx_events.S — a Multiboot 1 kernel that is a 32-bit VT-x hypervisor (the
 * monitor of tests/guests/vmx_monitor.inc, re-programmed) exercising the event side of VMX
 * non-root operation (Intel SDM Vol.3 25.2, 25.5.1, 26.6, 27.2.2):
 *   - the 8259A (vectors 20H-27H, only IRQ 0 unmasked) and the 8254 (channel 0, mode 2,
 *     100 Hz) tick while the guest runs; the host keeps IF = 0 throughout;
 *   - pin-based controls "external-interrupt exiting" and "activate VMX-preemption timer",
 *     VM-exit control "acknowledge interrupt on exit": every IRQ 0 is a VM exit with reason 1
 *     whose VM-exit interruption information holds the acknowledged vector (80000020H);
 *   - the monitor re-injects each interrupt into the guest with event injection (VM-entry
 *     interruption information 80000020H) when the guest can take it (RFLAGS.IF = 1, no
 *     blocking by STI/MOV SS), else it turns on interrupt-window exiting and injects at the
 *     window exit (reason 7);
 *   - the guest (its own IDT: vector 20H counts a tick and sends the EOI) runs STI and a HLT
 *     loop until it has seen N_TICKS ticks, then VMCALL;
 *   - the VMX-preemption timer (value TIMER_VALUE, re-armed at each of its exits, reason 52)
 *     preempts the guest, halted or not.
 * Only facts that hold on any correct emulator are printed (the numbers of exits depend on
 * timing, which differs between emulators). Checks, status 33 only if all hold: the guest
 * saw >= N_TICKS ticks; every external-interrupt exit carried vector 20H, valid; the guest
 * ticks equal the injections made; >= 1 preemption-timer exit; the VMCALL exit's guest RIP.
 * Failure: "vmx_events: FAILED", status 3. Every line goes to COM1 (8N1).
 *
 * Bochs reference run (Bochs 2.7, Debian 12): vmx_events_floppy.img (tests/guests/mbfloppy.S +
 * this kernel's flat image) with the configuration in vmx_cpuid.S's header (the floppy path
 * changed) plus `speaker: enabled=0` and `sound: waveoutdrv=dummy, waveindrv=dummy,
 * midioutdrv=dummy` (without them Bochs 2.7 aborts in ALSA on a machine with no sound card),
 * `bochs -q -f vmx.bxrc -rc RC < /dev/null` (1.1 s here); com1.out, verbatim
 * (= vmx_events.expected; Ringside prints the same, from the ELF and from the floppy):
 *     vmx_events: start
 *     vmx_events: cpuid.1:ecx.vmx=1
 *     vmx_events: feature_control ok
 *     vmx_events: paging and cr0/cr4 fixed bits ok
 *     vmx_events: vmxon ok
 *     vmx_events: vmclear ok
 *     vmx_events: vmptrld ok
 *     vmx_events: vmcs ok
 *     vmx_events: controls: external-interrupt exiting, acknowledge interrupt on exit, preemption timer, interrupt-window exiting ok
 *     vmx_events: 8259A and 8254 ticking at 100 Hz; vmlaunch
 *     vmx_events: guest saw >= 5 timer ticks
 *     vmx_events: every tick came as an external-interrupt exit with vector 20 acknowledged
 *     vmx_events: every tick was injected into the guest exactly once
 *     vmx_events: got >= 1 preemption-timer exit
 *     vmx_events: vmcall exit: guest rip=00101034
 *     vmx_events: vmxoff ok
 *     vmx_events: done
 * The guest rip is vmx_events.S's guest_vmcall in this build. On Ringside the run takes 83
 * exits (76 preemption timer, 5 external interrupt, 1 interrupt window, the VMCALL); on
 * Bochs other counts: only the facts above are compared.
 */

#define N_TICKS 5
#define TIMER_VALUE 0x4000
#define PIT_DIVISOR 11932 /* 1193182 Hz / 11932 = 100 Hz */

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

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIT_CH0 0x40
#define PIT_CMD 0x43

/* Controls (SDM Tables 24-5, 24-6, 24-13) and fields not in vmx_monitor.inc. */
#define PIN_EXT_INT (1 << 0)
#define PIN_TIMER (1 << 6)
#define PROC_INTR_WINDOW (1 << 2)
#define EXIT_ACK_INTR (1 << 15)
#define F_EXIT_INTR_INFO 0x4404
#define F_PREEMPTION_TIMER 0x482E
#define REASON_EXT_INT 1
#define REASON_INTR_WINDOW 7
#define REASON_VMCALL 18
#define REASON_TIMER 52
#define INJECT_TICK 0x80000020 /* valid, external interrupt, vector 20H */

	.file "vmx_events.S"
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

	/* ---- the controls this test wants (each must be allowed-1) ---- */
	mov $msg_check_controls, %edi
	mov $(PIN_EXT_INT | PIN_TIMER), %ebx
	mov vmm_ctl_msr, %ecx
	call vmm_adjust
	mov %eax, %ebx
	and $(PIN_EXT_INT | PIN_TIMER), %ebx
	cmp $(PIN_EXT_INT | PIN_TIMER), %ebx
	jne fail
	VMW F_PIN_CONTROLS, %eax
	mov $PROC_INTR_WINDOW, %ebx
	mov vmm_ctl_msr, %ecx
	inc %ecx
	call vmm_adjust
	test $PROC_INTR_WINDOW, %eax
	jz fail
	and $~PROC_INTR_WINDOW, %eax
	mov %eax, ctl_primary /* without the window; the handler turns it on when needed */
	VMW F_PRIMARY_CONTROLS, %eax
	mov $EXIT_ACK_INTR, %ebx
	mov vmm_ctl_msr, %ecx
	add $2, %ecx
	call vmm_adjust
	test $EXIT_ACK_INTR, %eax
	jz fail
	VMW F_EXIT_CONTROLS, %eax
	VMWI F_PREEMPTION_TIMER, TIMER_VALUE
	/* The guest: its code, its IDT (vector 20H only), IF = 0 until it runs STI. */
	VMWI F_HOST_RIP, ev_exit
	VMWI F_GUEST_RIP, ev_guest
	VMWI F_GUEST_IDTR_BASE, guest_idt
	VMWI F_GUEST_IDTR_LIMIT, (0x20*8+7)
	mov $guest_tick, %eax
	mov %ax, guest_idt + 0x20 * 8
	movw $0x08, guest_idt + 0x20 * 8 + 2
	movw $0x8E00, guest_idt + 0x20 * 8 + 4 /* present, DPL 0, 32-bit interrupt gate */
	shr $16, %eax
	mov %ax, guest_idt + 0x20 * 8 + 6
	mov $msg_controls, %esi
	call log_line

	/* ---- 8259A: ICW1-4, vectors 20H (master) / 28H (slave), only IRQ 0 unmasked ---- */
	mov $0x11, %al
	out %al, $PIC1_CMD
	out %al, $PIC2_CMD
	mov $0x20, %al
	out %al, $PIC1_DATA
	mov $0x28, %al
	out %al, $PIC2_DATA
	mov $0x04, %al
	out %al, $PIC1_DATA
	mov $0x02, %al
	out %al, $PIC2_DATA
	mov $0x01, %al
	out %al, $PIC1_DATA
	out %al, $PIC2_DATA
	mov $0xFF, %al
	out %al, $PIC2_DATA
	mov $0xFE, %al
	out %al, $PIC1_DATA
	/* ---- 8254 channel 0: mode 2 (rate generator), lobyte/hibyte, 100 Hz ---- */
	mov $0x34, %al
	out %al, $PIT_CMD
	mov $(PIT_DIVISOR & 0xFF), %al
	out %al, $PIT_CH0
	mov $(PIT_DIVISOR >> 8), %al
	out %al, $PIT_CH0

	mov $msg_vmlaunch, %esi
	call log_line
	VMW F_HOST_RSP, %esp
	vmlaunch
	mov $vmm_msg_vmlaunch_failed, %esi
	jmp vmm_instr_failed

/* ---- back in VMX root operation after the VMCALL exit (ESP as at VMLAUNCH) ---- */
guest_done:
	mov $0xFF, %al /* mask the PIC: no more ticks */
	out %al, $PIC1_DATA
	mov $msg_check_ticks, %edi
	cmpl $N_TICKS, guest_ticks
	jb fail
	mov $msg_ticks, %esi
	call log_line
	mov $msg_check_info, %edi
	cmpl $0, n_bad_info
	jne fail
	mov n_extint, %eax
	cmp guest_ticks, %eax
	jb fail
	mov $msg_extint, %esi
	call log_line
	mov $msg_check_inject, %edi
	mov n_inject, %eax
	cmp guest_ticks, %eax
	jne fail
	mov $msg_inject, %esi
	call log_line
	mov $msg_check_timer, %edi
	cmpl $1, n_timer
	jb fail
	mov $msg_timer, %esi
	call log_line
	mov $msg_vmcall, %esi
	call puts_prefixed
	mov vmcall_rip, %eax
	call put_hex32
	call newline
	mov $msg_check_vmcall, %edi
	cmpl $guest_vmcall, vmcall_rip
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

/* ---- the exit handler (HOST_RIP): ESP = the VMLAUNCH stack; guest registers live ---- */
ev_exit:
	pushal
	VMR F_EXIT_REASON, %eax
	cmp $REASON_EXT_INT, %eax
	je ev_extint
	cmp $REASON_TIMER, %eax
	je ev_timer
	cmp $REASON_INTR_WINDOW, %eax
	je ev_deliver
	cmp $REASON_VMCALL, %eax
	je ev_vmcall
	jmp vmm_exit_unexpected

ev_extint:
	incl n_extint
	VMR F_EXIT_INTR_INFO, %eax
	cmp $INJECT_TICK, %eax /* acknowledged on exit: valid, type 0, vector 20H */
	je 1f
	incl n_bad_info
1:	incl pending
	jmp ev_deliver

ev_timer:
	incl n_timer
	VMWI F_PREEMPTION_TIMER, TIMER_VALUE

/* Inject one pending tick if the guest can take it now, else ask for the window. */
ev_deliver:
	mov ctl_primary, %ebx
	cmpl $0, pending
	je 2f
	VMR F_GUEST_RFLAGS, %eax
	test $0x200, %eax
	jz 1f
	VMR F_GUEST_INTERRUPTIBILITY, %eax
	test $3, %eax
	jnz 1f
	VMWI F_ENTRY_INTR_INFO, INJECT_TICK
	decl pending
	incl n_inject
	cmpl $0, pending
	je 2f
1:	or $PROC_INTR_WINDOW, %ebx
2:	VMW F_PRIMARY_CONTROLS, %ebx
	popal
	vmresume
	mov $vmm_msg_vmresume_failed, %esi
	jmp vmm_instr_failed

ev_vmcall:
	VMR F_GUEST_RIP, %eax
	mov %eax, vmcall_rip
	add $32, %esp
	jmp guest_done

/* ---- the guest: 32-bit protected mode, CPL 0, the host's page tables, its own IDT ---- */
ev_guest:
	sti
1:	hlt
	cmpl $N_TICKS, guest_ticks
	jb 1b
	cli
guest_vmcall:
	vmcall
	hlt

guest_tick: /* vector 20H: count, EOI */
	push %eax
	incl guest_ticks
	mov $0x20, %al
	out %al, $PIC1_CMD
	pop %eax
	iret

#include "vmx_guest_io.inc"

	.section .rodata
hex_digits:         .ascii "0123456789abcdef"
msg_prefix:         .asciz "vmx_events: "
msg_start:          .asciz "start"
msg_no_vmx:         .asciz "no VMX"
msg_controls:       .asciz "controls: external-interrupt exiting, acknowledge interrupt on exit, preemption timer, interrupt-window exiting ok"
msg_vmlaunch:       .asciz "8259A and 8254 ticking at 100 Hz; vmlaunch"
msg_ticks:          .asciz "guest saw >= 5 timer ticks"
msg_extint:         .asciz "every tick came as an external-interrupt exit with vector 20 acknowledged"
msg_inject:         .asciz "every tick was injected into the guest exactly once"
msg_timer:          .asciz "got >= 1 preemption-timer exit"
msg_vmcall:         .asciz "vmcall exit: guest rip="
msg_vmxoff:         .asciz "vmxoff ok"
msg_done:           .asciz "done"
msg_fail:           .asciz "FAILED"
msg_shutdown:       .asciz "Shutdown"
msg_check_controls: .asciz "check: controls allowed"
msg_check_ticks:    .asciz "check: guest ticks"
msg_check_info:     .asciz "check: external-interrupt exits and their interruption information"
msg_check_inject:   .asciz "check: injections"
msg_check_timer:    .asciz "check: preemption-timer exits"
msg_check_vmcall:   .asciz "check: vmcall exit rip"
msg_check_vmxoff:   .asciz "check: vmxoff"

	.data
	.balign 4
	.word 0
idt_empty:
	.word 0
	.long 0
ctl_primary: .long 0
pending:     .long 0
n_extint:    .long 0
n_bad_info:  .long 0
n_inject:    .long 0
n_timer:     .long 0
guest_ticks: .long 0
vmcall_rip:  .long 0

	.bss
	.balign 4096
page_dir:     .space 4096
vmxon_region: .space 4096
vmcs_region:  .space 4096
guest_idt:    .space 0x21 * 8
	.balign 16
	.space 1024
guest_stack_top:
	.balign 16
	.space 4096
stack_top:
