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
  libboost-program-options-dev libcapstone-dev libgtest-dev
  libimgui-dev libstb-dev libglfw3-dev xvfb
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
  if [ -x build/ringside ] && [ -f build/labs/demo/demo.elf ]; then
    echo "setup.sh: running the demo: build/ringside run build/labs/demo/demo.elf" >&2
    build/ringside run build/labs/demo/demo.elf
  else
    echo "setup.sh: built; the demo kernel is not part of this build yet" >&2
  fi
fi
