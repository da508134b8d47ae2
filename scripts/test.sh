#!/usr/bin/env bash
# scripts/test.sh — build Ringside with -Werror, AddressSanitizer and UBSan, run the whole
# test suite (unit tests and guest-program tests) with CTest, then build the libFuzzer
# targets with clang and run each for a short bounded time (tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DRINGSIDE_SANITIZE=ON -DRINGSIDE_WERROR=ON >&2
cmake --build build-test -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" --timeout 600

# Fuzzing: every target for RINGSIDE_FUZZ_SECONDS (15) on its seeds; a crash, sanitizer
# report or hang fails CI. Own build directory (build-fuzz/), independent of build-test/.
tests/fuzz/run.sh
