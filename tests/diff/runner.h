// tests/diff/runner.h — runs a Case on Ringside's Cpu (on a TestBus) and on Unicorn, one
// instruction at a time, and compares after every instruction:
//   - the eight GPRs and EIP;
//   - EFLAGS (CF PF AF ZF SF TF IF DF OF IOPL NT AC VIF VIP ID) minus the bits the SDM
//     leaves undefined for that instruction (undefined.h);
//   - the data window, byte for byte;
//   - the fault raised, by vector (Unicorn does not report error codes, see README.md).
// After a compared instruction the undefined flags, register bits and memory bytes are
// copied from Ringside into Unicorn, so an undefined value never spreads into later
// comparisons. A case ends at the end of its code, at the first fault, or at the first
// mismatch (the states have diverged).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/diff/case.h"

namespace difftest {

struct Stats {
  uint64_t cases = 0;
  uint64_t compared = 0;      // instructions compared (faulting ones included)
  uint64_t faults = 0;        // of which ended in the same fault on both
  uint64_t skipped = 0;       // cases cut short: an access outside the mapped windows
  uint64_t allowlisted = 0;   // instructions whose difference is a listed Unicorn bug
  uint64_t mismatched = 0;
  std::map<std::string, uint64_t> compared_by_name, mismatches_by_name, allowed_by_name;
  std::vector<std::string> first_mismatches;  // full reports, at most `keep`
  size_t keep = 5;

  void merge(const Stats& o);
  std::string table() const;  // the summary table
};

class Runner {
 public:
  explicit Runner(CodeMode mode);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs one case and adds to `stats`. Returns false on a mismatch.
  bool run(const Case& c, Stats& stats);

 private:
  struct Impl;
  std::unique_ptr<Impl> p_;
};

}  // namespace difftest
