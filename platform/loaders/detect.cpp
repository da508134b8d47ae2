// platform/loaders/detect.cpp — see detect.h.
#include "platform/loaders/detect.h"

#include "platform/loaders/elf.h"
#include "platform/loaders/multiboot.h"

namespace platform {

const char* image_kind_name(ImageKind k) {
  switch (k) {
    case ImageKind::Multiboot: return "multiboot";
    case ImageKind::Elf: return "elf32";
    case ImageKind::Unknown: return "unknown";
  }
  return "?";
}

ImageKind detect_image(const Image& img) {
  if (looks_like_multiboot(img)) return ImageKind::Multiboot;
  if (is_elf(img)) return ImageKind::Elf;
  return ImageKind::Unknown;
}

}  // namespace platform
