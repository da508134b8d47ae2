// tests/diff/diff_test.cpp — the CI-sized differential run (a fixed seed, a bounded
// instruction count per mode) and checks on the harness itself.
#include <gtest/gtest.h>

#include "tests/diff/campaign.h"
#include "tests/diff/forms.h"
#include "tests/diff/generator.h"

namespace difftest {
namespace {

constexpr uint64_t kCiInstructions = 30000;  // per mode: about 10 s of CPU each under ASan

void expect_clean(const Stats& st) {
  std::string all;
  for (const auto& m : st.first_mismatches) all += "\n" + m;
  EXPECT_EQ(st.mismatched, 0u) << st.table() << all;
  // Most cases must really run: a generator that only produced wild addresses would pass.
  EXPECT_LT(st.skipped * 10, st.cases) << st.table();
}

TEST(DiffUnicorn, Flat32) {
  CampaignOptions o;
  o.mode = CodeMode::Flat32;
  o.instructions = kCiInstructions;
  const Stats st = run_campaign(o);
  RecordProperty("instructions", std::to_string(st.compared));
  expect_clean(st);
}

TEST(DiffUnicorn, Real16) {
  CampaignOptions o;
  o.mode = CodeMode::Real16;
  o.instructions = kCiInstructions;
  const Stats st = run_campaign(o);
  RecordProperty("instructions", std::to_string(st.compared));
  expect_clean(st);
}

// The same seed gives the same case (reproducibility); different seeds differ.
TEST(DiffHarness, CasesAreReproducibleFromTheirSeed) {
  const auto forms = valid_forms(CodeMode::Flat32, true);
  const Case a = sequence_case(CodeMode::Flat32, forms, 42), b = sequence_case(CodeMode::Flat32, forms, 42);
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.init, b.init);
  EXPECT_EQ(a.data, b.data);
  EXPECT_NE(sequence_case(CodeMode::Flat32, forms, 43).code, a.code);
}

TEST(DiffHarness, EveryFormIsGenerated) {
  // The single-instruction generator covers each valid form of the opcode maps.
  EXPECT_GT(valid_forms(CodeMode::Flat32, false).size(), 300u);
  EXPECT_GT(valid_forms(CodeMode::Real16, false).size(), 300u);
}

TEST(DiffHarness, RunsAKnownCase) {
  // add eax, ecx with 0x7FFFFFFF + 1: compared, no fault, no mismatch.
  Runner r(CodeMode::Flat32);
  Stats st;
  Case c;
  c.mode = CodeMode::Flat32;
  c.code = {0x01, 0xC8};  // add eax, ecx
  c.starts = {0};
  c.init.gpr = {0x7FFFFFFF, 1, 0, 0, data_base(CodeMode::Flat32) + 0x3000, 0, 0, 0};
  c.data.assign(kDataSize, 0);
  EXPECT_TRUE(r.run(c, st));
  EXPECT_EQ(st.compared, 1u);
}

}  // namespace
}  // namespace difftest
