/* tests/bench/workloads/io.S — port I/O loop: an OUT and an IN to port 0xED, which none of
 * Ringside, Bochs and QEMU claims (all read it as all ones; Linux uses it as its spare
 * I/O-delay port), so every access costs the emulator's port dispatch and nothing else.
 * 5 instructions (2 port accesses) per iteration; checksum = iterations * 0xFF when the
 * port reads as 0xFF. */
	.file "io.S" /* names the symbol table's FILE entry: the same ELF every build */
#define BENCH_NAME "io"
#define BENCH_PER_ITER 5
#define BENCH_DEFAULT_ITERS 5000000
#include "bench.h"

#define PORT 0xED

bench_run:
	xor %eax, %eax
	xor %ebx, %ebx
1:	out %al, $PORT
	in $PORT, %al
	add %eax, %ebx
	dec %ecx
	jnz 1b
	mov %ebx, %eax
	ret
