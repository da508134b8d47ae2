// tests/diff/campaign.h — a run of many cases: single-instruction cases cycling through
// every valid form, then random sequences, until `instructions` have been compared.
#pragma once

#include <cstdint>

#include "tests/diff/runner.h"

namespace difftest {

struct CampaignOptions {
  CodeMode mode = CodeMode::Flat32;
  uint64_t instructions = 100000;  // stop once this many were compared
  uint64_t seed = 0x52494E4753494445ull;  // "RINGSIDE"
  unsigned single_percent = 50;    // share of the budget spent on single-instruction cases
  size_t keep = 5;                 // mismatch reports kept in full
};

Stats run_campaign(const CampaignOptions& o);

}  // namespace difftest
