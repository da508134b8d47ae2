#!/usr/bin/env bash
# scripts/test.sh — build Ringside with -Werror, AddressSanitizer and UBSan, and run the
# whole test suite (unit tests and guest-program tests) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --deps-only
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DRINGSIDE_SANITIZE=ON -DRINGSIDE_WERROR=ON >&2
cmake --build build-test -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-test --output-on-failure -j"$(nproc)" --timeout 600
