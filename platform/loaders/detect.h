// platform/loaders/detect.h — what kind of file `ringside run FILE` was given.
//
// Order: a Multiboot header (multiboot.h: looks_like_multiboot) wins, because Multiboot
// kernels are usually also ELF files; then the ELF magic. Boot images, firmware ROMs and
// flat binaries carry no reliable signature and must be named (--boot, --bios, --flat).
#pragma once

#include <cstdint>

#include "platform/loaders/image.h"

namespace platform {

enum class ImageKind : uint8_t { Multiboot, Elf, Unknown };
const char* image_kind_name(ImageKind k);

ImageKind detect_image(const Image& img);

}  // namespace platform
