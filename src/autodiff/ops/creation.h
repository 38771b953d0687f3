// Creation: zeros, ones, fill, range, eye, random tensors (not recorded: no inputs).
// Part of autodiff/ops.h; each op's definition and gradient are in ops/creation.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// (declarations go here)

}  // namespace tg::ops
