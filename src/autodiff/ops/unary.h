// Unary math: abs, sign, sqrt, trig, activations, rounding.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/unary.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// (declarations go here)

}  // namespace tg::ops
