#!/usr/bin/env bash
# tests/fuzz/run.sh — build the libFuzzer targets (clang, own build directory) and run each
# for a bounded time on a scratch copy of its seed corpus. Any crash, sanitizer report,
# per-input timeout or out-of-memory fails the run; libFuzzer saves the input in
# $BUILD/artifacts/ and prints how to reproduce it.
#
#   tests/fuzz/run.sh                  # every target, RINGSIDE_FUZZ_SECONDS (15) each
#   tests/fuzz/run.sh fuzz_decoder 60  # one target for 60 s
#
# Environment: RINGSIDE_FUZZ_BUILD (build-fuzz), RINGSIDE_FUZZ_SECONDS (15),
# RINGSIDE_FUZZ_JOBS (2: build parallelism).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${RINGSIDE_FUZZ_BUILD:-build-fuzz}
seconds=${RINGSIDE_FUZZ_SECONDS:-15}
targets=(fuzz_decoder fuzz_cpu_real fuzz_cpu_protected fuzz_loader_elf fuzz_loader_multiboot
         fuzz_loader_boot fuzz_machine_devices fuzz_vmx_entry)
if (($# >= 1)); then targets=("$1"); fi
if (($# >= 2)); then seconds=$2; fi

cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >&2
cmake --build "$build" -j"${RINGSIDE_FUZZ_JOBS:-2}" >&2

mkdir -p "$build/artifacts"
# Sanitizers abort on the first report so libFuzzer records the input.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  max_len=4096
  [[ $t == fuzz_decoder ]] && max_len=64
  # New inputs go to a scratch directory (the first one named); the seeds stay untouched.
  scratch="$build/corpus/$t"
  mkdir -p "$scratch"
  start=$SECONDS
  if ! "$build/$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
        -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
        "$scratch" "tests/fuzz/corpus/$t" > "$build/$t.log" 2>&1; then
    tail -n 60 "$build/$t.log" >&2
    echo "run.sh: $t FAILED; the input is in $build/artifacts/ (log: $build/$t.log)." >&2
    echo "run.sh: reproduce with: $build/$t $build/artifacts/$t-<name>" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/$t.log")
  echo "run.sh: $t: ${runs:-?} inputs in $((SECONDS - start)) s, no failure" >&2
done
