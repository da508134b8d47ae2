/* tests/bench/workloads/cpuid.S — CPUID loop: leaves 0 and 1 alternately. 8 instructions
 * (2 CPUIDs) per iteration. Checksum: the number of loop iterations whose leaf 0 reported a
 * maximum leaf of at least 1 (so iterations, everywhere). Extra field: vendor=, the leaf 0
 * vendor string. */
	.file "cpuid.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "cpuid"
#define BENCH_PER_ITER 8
#define BENCH_DEFAULT_ITERS 2000000
#define BENCH_EXTRA
#include "bench.h"

bench_run:
	mov %ecx, %esi
	xor %edi, %edi
1:	xor %eax, %eax
	cpuid
	cmp $1, %eax		/* CF = (max leaf < 1) */
	adc $0, %edi		/* counts the misses: the check costs 2 instructions */
	mov $1, %eax
	cpuid
	dec %esi
	jnz 1b
	xor %eax, %eax
	cpuid
	mov %ebx, vendor
	mov %edx, vendor + 4
	mov %ecx, vendor + 8
	mov bench_iters, %eax
	sub %edi, %eax
	ret

bench_extra:
	mov $msg_vendor, %esi
	call puts
	mov $vendor, %esi
	call puts
	ret

msg_vendor:	.asciz " vendor="
vendor:		.fill 13, 1, 0
