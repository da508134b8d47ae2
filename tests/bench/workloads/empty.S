/* tests/bench/workloads/empty.S — no loop: boot, protected mode, completion line, exit.
 * compare runs it to measure each emulator's start-up (process, BIOS, loading) and
 * subtracts that from every other workload's time. */
	.file "empty.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "empty"
#define BENCH_PER_ITER 0
#define BENCH_DEFAULT_ITERS 0
#include "bench.h"

bench_run:
	xor %eax, %eax
	ret
