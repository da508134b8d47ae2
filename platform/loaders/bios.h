// platform/loaders/bios.h — a firmware ROM (--bios FILE), started as a real PC starts.
//
// The image (1 byte .. 256 KiB) is mapped to end at 1 MiB and aliased to end at 4 GiB
// (Machine::load_rom); the CPU is reset, so it fetches its first instruction from the
// reset vector F000:FFF0, physical 0xFFFFFFF0 (SDM Vol.3 9.1.4), the ROM's last 16 bytes.
#pragma once

#include "platform/loaders/image.h"

namespace platform {

class Machine;

LoadReport load_bios(Machine& m, const Image& img);

}  // namespace platform
