// platform/loaders/flat.h — a raw binary copied to a physical address and entered there.
//
// Protected (the default): 32-bit flat protected mode through Cpu::enter_flat_protected
// (CS=0x08 and data 0x10 flat 4 GiB, paging off, IF=0, CPL 0), EIP = the load address,
// ESP = top of RAM.
// Real (`--real`): the CPU's reset state with CS:IP pointing at the load address: CS = 0
// and IP = address when the address is below 64 KiB, otherwise CS = the 64 KiB-aligned
// segment holding it (address >> 4 & 0xF000) and IP the rest. DS = ES = SS = CS and SP = IP,
// so the stack grows down from just below the program, as a boot sector's 0000:7C00 does.
// The image must lie below 1 MiB.
#pragma once

#include <cstdint>

#include "platform/loaders/image.h"

namespace platform {

class Machine;

enum class FlatMode : uint8_t { Protected, Real };

LoadReport load_flat(Machine& m, const Image& img, uint64_t address, FlatMode mode);

}  // namespace platform
