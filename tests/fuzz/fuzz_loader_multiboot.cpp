// tests/fuzz/fuzz_loader_multiboot.cpp — arbitrary bytes as a Multiboot 1 kernel
// (load_multiboot), with a command line and one module cut from the input's end, so
// module placement and the boot information block are exercised too.
#include <algorithm>

#include "platform/loaders/multiboot.h"
#include "tests/fuzz/loader_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const platform::Image img = fuzz::image_of(data, size, "fuzz.kernel");
  (void)platform::looks_like_multiboot(img);
  platform::MultibootOptions opts;
  opts.cmdline = "console=e9 fuzz";
  const size_t mod = std::min<size_t>(size / 4, 8192);
  opts.modules.push_back({fuzz::image_of(data + size - mod, mod, "fuzz.mod"), std::nullopt});
  platform::Machine& m = fuzz::fresh_machine();
  platform::LoadReport report;
  try {
    report = platform::load_multiboot(m, img, opts);
  } catch (const platform::LoadError&) {
    return 0;
  }
  fuzz::run_loaded(m, report);
  return 0;
}
