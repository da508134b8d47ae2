// tests/diff/generator.h — random test cases from the valid forms (forms.h).
//
// (1) single_case: one instruction of a given form with random prefixes (66, 67, segment
//     overrides, LOCK, REP where it means something), a random ModRM/SIB/displacement,
//     random immediates and register/memory values biased toward boundary values (0, 1,
//     -1, INT_MIN, INT_MAX, 0x7F/0x80/0xFF, shift counts 0/1/7/8/9/15/16/17/31/32/33).
//     Memory operands are made to point into the data window by choosing the address
//     registers (or the absolute displacement) after the encoding is drawn.
// (2) sequence_case: 1-50 instructions drawn from the same forms, each memory operand
//     preceded by MOVs that point its address registers into the data window; forward
//     branches are patched to land on a later instruction of the sequence.
// Everything is drawn from one std::mt19937_64 seeded by the caller, so a case is
// reproduced from its seed alone.
#pragma once

#include <cstdint>
#include <random>

#include "tests/diff/case.h"
#include "tests/diff/forms.h"

namespace difftest {

Case single_case(CodeMode mode, const Form& form, uint64_t seed);
Case sequence_case(CodeMode mode, const std::vector<Form>& forms, uint64_t seed);

}  // namespace difftest
