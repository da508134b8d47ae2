#!/usr/bin/env bash
# scripts/setup.sh — set up a fresh Debian 12 machine for Ringside, build it, and run the
# default demo.
#
#   scripts/setup.sh              install missing packages, build (build/), run the demo
#   scripts/setup.sh --deps-only  only install missing packages
#   scripts/setup.sh --no-demo    install and build, no demo
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  cmake ninja-build g++ gcc-multilib binutils pkg-config
  libboost-program-options-dev libcapstone-dev libgtest-dev libunicorn-dev
  libimgui-dev libstb-dev libglfw3-dev xvfb
  clang libclang-rt-14-dev
)

deps_only=0
demo=1
for arg in "$@"; do
  case "$arg" in
    --deps-only) deps_only=1 ;;
    --no-demo) demo=0 ;;
    *) echo "setup.sh: unknown option '$arg' (use --deps-only or --no-demo)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup.sh: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
((deps_only)) && exit 0

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
cmake --build build -j"$(nproc)" >&2

if ((demo)); then
  # The default demo: a Multiboot kernel that prints over the UART, drops to ring 3, makes a
  # system call, takes a #PF and a #GP from ring 3, and exits through the exit port. The
  # summary on stderr shows the stop reason and the mode changes, exceptions and
  # interrupts it went through; --trace writes every event as JSON Lines.
  echo "setup.sh: running the demo: build/ringside run build/tests/guests/rings.elf --trace build/demo.jsonl" >&2
  status=0
  build/ringside run build/tests/guests/rings.elf --trace build/demo.jsonl || status=$?
  # The kernel asks for exit status 33 ((0x10 << 1) | 1, QEMU's isa-debug-exit rule).
  if [ "$status" -ne 33 ]; then
    echo "setup.sh: the demo ended with status $status, expected 33" >&2
    exit 1
  fi
  echo "setup.sh: demo finished as expected; its event trace is in build/demo.jsonl" >&2
fi
