/* entry.S — the kernel's entry, trap vectors and alltraps (after xv6's entry.S,
 * vectors.pl and trapasm.S).
 *
 * bootmain jumps to _start (the physical address of `entry`) with paging off. Like xv6,
 * entry turns on 4 MiB pages (CR4.PSE) with entrypgdir, which maps virtual [0, 4 MiB) and
 * [KERNBASE, KERNBASE + 4 MiB) to physical [0, 4 MiB), then jumps to main() at its high
 * address. xv6 maps the APICs later (kvmalloc's DEVSPACE); this kernel has no kvmalloc, so
 * entrypgdir also maps [0xFEC00000, 0xFF000000) to itself: the IO APIC and the local APIC. */

#define KERNBASE 0x80000000
#define V2P_WO(x) ((x) - KERNBASE)
#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PSE 0x00000010
#define PTE_P 0x001
#define PTE_W 0x002
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS 0x080
#define SEG_KDATA 2
#define KSTACKSIZE 8192

	.text
	.globl _start
	_start = V2P_WO(entry)

	.globl entry
entry:
	movl %cr4, %eax
	orl $(CR4_PSE), %eax
	movl %eax, %cr4
	movl $(V2P_WO(entrypgdir)), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0
	movl $(stack + KSTACKSIZE), %esp
	mov $main, %eax
	jmp *%eax

/* 256 vectors, 16 bytes apart (xv6's vectors.pl writes them out): the CPU pushes an error
 * code for 8, 10-14 and 17; the others push 0 in its place. Then the vector number. */
	.p2align 4
	.globl vectors
vectors:
	.set vec, 0
	.rept 256
	.p2align 4
	.if !((vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17))
	pushl $0
	.endif
	pushl $vec
	jmp alltraps
	.set vec, vec + 1
	.endr

/* The trap frame: segment registers, then all general registers, then trap(tf). */
	.globl alltraps
alltraps:
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	pushal
	movw $(SEG_KDATA << 3), %ax
	movw %ax, %ds
	movw %ax, %es
	pushl %esp
	call trap
	addl $4, %esp
	popal
	popl %gs
	popl %fs
	popl %es
	popl %ds
	addl $0x8, %esp  /* trapno and error code */
	iret

	.data
	.p2align 12
	.globl entrypgdir
entrypgdir:
	.long (0 | PTE_P | PTE_W | PTE_PS)                        /* [0, 4 MiB) */
	.fill (KERNBASE >> 22) - 1, 4, 0
	.long (0 | PTE_P | PTE_W | PTE_PS)                        /* KERNBASE */
	.fill (0xFEC00000 >> 22) - (KERNBASE >> 22) - 1, 4, 0
	.long (0xFEC00000 | PTE_P | PTE_W | PTE_PWT | PTE_PCD | PTE_PS)  /* the APICs, uncached */
	.fill 1023 - (0xFEC00000 >> 22), 4, 0

	.bss
	.p2align 4
	.comm stack, KSTACKSIZE
