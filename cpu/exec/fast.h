// cpu/exec/fast.h — picks a specialised handler for a decoded instruction (exec/fast.cpp).
#pragma once

#include "cpu/decoder/insn.h"

namespace cpu {

// The handler to run for `i`: a specialised form when there is one, else i.fn.
Handler specialize(const Insn& i);

}  // namespace cpu
