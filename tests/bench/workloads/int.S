/* tests/bench/workloads/int.S — integer/memory loop: loads and read-modify-writes over a
 * 64 KiB array, ALU work, a counted branch. 9 instructions per iteration. */
	.file "int.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "int"
#define BENCH_PER_ITER 9
#define BENCH_DEFAULT_ITERS 20000000
#include "bench.h"

#define BUF 0x20000	/* 16384 dwords */

bench_run:
	mov %ecx, %esi
	mov $BUF, %edi		/* zero the array: the checksum depends on it */
	mov $16384, %ecx
	xor %eax, %eax
	rep stosl
	mov %esi, %ecx
	xor %eax, %eax
	mov $1, %ebx
	xor %edx, %edx
1:	mov %ecx, %edi
	and $0x3FFF, %edi
	add BUF(,%edi,4), %eax
	xor %eax, %edx
	add %edx, BUF(,%edi,4)
	add %ebx, %eax
	inc %ebx
	dec %ecx
	jnz 1b
	xor %edx, %eax
	ret
