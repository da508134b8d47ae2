// tests/diff/campaign.cpp — see campaign.h.
#include "tests/diff/campaign.h"

#include <random>

#include "tests/diff/forms.h"
#include "tests/diff/generator.h"

namespace difftest {

Stats run_campaign(const CampaignOptions& o) {
  Stats st;
  st.keep = o.keep;
  Runner runner(o.mode);
  const std::vector<Form> singles = valid_forms(o.mode, false);
  const std::vector<Form> seq = valid_forms(o.mode, true);
  // Each case gets its own seed from this stream, so any case is reproduced alone.
  std::mt19937_64 seeds(o.seed ^ (o.mode == CodeMode::Real16 ? 16 : 32));
  const uint64_t single_budget = o.instructions * o.single_percent / 100;
  for (size_t k = 0; st.compared < single_budget; ++k)
    runner.run(single_case(o.mode, singles[k % singles.size()], seeds()), st);
  while (st.compared < o.instructions) runner.run(sequence_case(o.mode, seq, seeds()), st);
  return st;
}

}  // namespace difftest
