// Binary math beyond arithmetic: pow, maximum, minimum, squared_difference, comparisons, where, clip_by_value.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/binary.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// (declarations go here)

}  // namespace tg::ops
