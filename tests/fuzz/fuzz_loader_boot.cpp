// tests/fuzz/fuzz_loader_boot.cpp — arbitrary bytes as a floppy/disk image started like a
// BIOS starts one (load_boot_image): 512 bytes at 0x7C00, the rest preloaded, real mode.
#include "platform/loaders/boot.h"
#include "tests/fuzz/loader_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const platform::Image img = fuzz::image_of(data, size, "fuzz.img");
  platform::Machine& m = fuzz::fresh_machine();
  platform::LoadReport report;
  try {
    report = platform::load_boot_image(m, img);
  } catch (const platform::LoadError&) {
    return 0;
  }
  fuzz::run_loaded(m, report);
  return 0;
}
