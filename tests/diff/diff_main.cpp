// tests/diff/diff_main.cpp — the long differential run.
//
//   tests/diff/diff --count N [--seed S] [--mode 16|32] [--show K]
//   tests/diff/diff --replay SEED --mode 16|32      one sequence case by its seed
//
// Compares N instructions per mode (both modes unless --mode) and prints the summary
// table: instructions compared, mismatches by mnemonic, and the first K mismatches in full.
// Exit status 1 when anything mismatched.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/diff/campaign.h"
#include "tests/diff/generator.h"

int main(int argc, char** argv) {
  using namespace difftest;
  uint64_t count = 100000, seed = CampaignOptions{}.seed;
  int only = 0;
  size_t show = 5;
  uint64_t replay = 0;
  bool replaying = false;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    const char* v = k + 1 < argc ? argv[k + 1] : nullptr;
    if (a == "--count" && v) count = std::strtoull(v, nullptr, 0), ++k;
    else if (a == "--seed" && v) seed = std::strtoull(v, nullptr, 0), ++k;
    else if (a == "--mode" && v) only = std::atoi(v), ++k;
    else if (a == "--show" && v) show = std::strtoull(v, nullptr, 0), ++k;
    else if (a == "--replay" && v) replay = std::strtoull(v, nullptr, 0), replaying = true, ++k;
    else {
      std::fprintf(stderr, "usage: diff --count N [--seed S] [--mode 16|32] [--show K]\n");
      return 2;
    }
  }
  if (only != 0 && only != 16 && only != 32) {
    std::fprintf(stderr, "diff: --mode is 16 or 32\n");
    return 2;
  }
  bool any = false;
  for (CodeMode m : {CodeMode::Flat32, CodeMode::Real16}) {
    if (only == 16 && m != CodeMode::Real16) continue;
    if (only == 32 && m != CodeMode::Flat32) continue;
    if (replaying) {  // one sequence case, from the seed a mismatch report names
      Runner r(m);
      Stats st;
      st.keep = show;
      r.run(sequence_case(m, valid_forms(m, true), replay), st);
      std::printf("%s", st.table().c_str());
      for (const auto& m2 : st.first_mismatches) std::printf("\n%s", m2.c_str());
      any |= st.mismatched != 0;
      continue;
    }
    CampaignOptions o;
    o.mode = m;
    o.instructions = count;
    o.seed = seed;
    o.keep = show;
    const Stats st = run_campaign(o);
    std::printf("== %s, seed %llu ==\n%s", mode_name(m), static_cast<unsigned long long>(seed), st.table().c_str());
    for (const auto& m2 : st.first_mismatches) std::printf("\n%s", m2.c_str());
    std::printf("\n");
    std::fflush(stdout);
    any |= st.mismatched != 0;
  }
  return any ? 1 : 0;
}
