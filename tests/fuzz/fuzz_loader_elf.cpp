// tests/fuzz/fuzz_loader_elf.cpp — arbitrary bytes as an ELF32 executable (load_elf).
#include "platform/loaders/elf.h"
#include "tests/fuzz/loader_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const platform::Image img = fuzz::image_of(data, size, "fuzz.elf");
  (void)platform::is_elf(img);
  platform::Machine& m = fuzz::fresh_machine();
  platform::LoadReport report;
  try {
    report = platform::load_elf(m, img);
  } catch (const platform::LoadError&) {
    return 0;  // a clear refusal is the right answer to a bad file
  }
  fuzz::run_loaded(m, report);
  return 0;
}
