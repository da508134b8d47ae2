/* tests/bench/workloads/smc.S — self-modifying code: each iteration stores the counter into
 * the immediate of a MOV a few bytes ahead, jumps to it and executes it, so every iteration
 * runs code that was written since it was last decoded. 6 instructions per iteration.
 * Checksum = 1 + 2 + ... + iterations (mod 2^32) if every modified MOV is seen. */
	.file "smc.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "smc"
#define BENCH_PER_ITER 6
#define BENCH_DEFAULT_ITERS 1000000
#include "bench.h"

bench_run:
	xor %eax, %eax
1:	mov %ecx, patch + 1	/* the imm32 of the MOV below */
	jmp patch		/* a jump after the store, as the SDM asks of SMC */
patch:	mov $0, %edx
	add %edx, %eax
	dec %ecx
	jnz 1b
	ret
