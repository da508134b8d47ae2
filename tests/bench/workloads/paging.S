/* tests/bench/workloads/paging.S — paging-heavy loop: 32-bit paging on, 1024 virtual pages
 * at 4 MiB (aliased onto 16 physical frames), visited in turn so every visit is a TLB miss;
 * each visit writes the page, INVLPGs it and reads it again (a second miss), and every 64
 * visits CR3 is reloaded (a full non-global flush). Per iteration 64 visits of
 * 9 instructions + 5 = 581 instructions. */
	.file "paging.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "paging"
#define BENCH_VISITS 64
#define BENCH_PER_ITER (BENCH_VISITS * 9 + 5)
#define BENCH_DEFAULT_ITERS 20000
#include "bench.h"

#define PD 0x10000	/* page directory */
#define PT0 0x11000	/* identity map of 0-4 MiB */
#define PT1 0x12000	/* 4-8 MiB: page i -> FRAMES + (i % 16) * 4 KiB */
#define FRAMES 0x30000
#define WINDOW 0x400000

bench_run:
	mov %ecx, %ebp
	mov $PD, %edi		/* zero the directory, then the 16 frames */
	mov $1024, %ecx
	xor %eax, %eax
	rep stosl
	mov $FRAMES, %edi
	mov $16384, %ecx
	rep stosl
	movl $(PT0 | 3), PD	/* present, writable, supervisor */
	movl $(PT1 | 3), PD + 4
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $12, %eax
	or $3, %eax
	mov %eax, PT0(,%ecx,4)
	mov %ecx, %eax
	and $15, %eax
	shl $12, %eax
	add $(FRAMES | 3), %eax
	mov %eax, PT1(,%ecx,4)
	inc %ecx
	cmp $1024, %ecx
	jb 1b
	mov $PD, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	jmp 2f
2:	mov %ebp, %ecx
	xor %eax, %eax
	xor %ebx, %ebx
3:	mov $BENCH_VISITS, %esi
4:	mov %ebx, %edi
	and $0x3FF, %edi
	shl $12, %edi
	add %ebx, WINDOW(%edi)
	invlpg WINDOW(%edi)
	add WINDOW(%edi), %eax
	inc %ebx
	dec %esi
	jnz 4b
	mov %cr3, %edx
	mov %edx, %cr3
	dec %ecx
	jnz 3b
	mov %cr0, %edx		/* paging off again: the rest runs identity-mapped anyway */
	and $0x7FFFFFFF, %edx
	mov %edx, %cr0
	ret
