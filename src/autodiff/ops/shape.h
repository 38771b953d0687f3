// Shape ops: expand_dims, squeeze, concat, stack, split, slice, strided_slice, gather, one_hot, pad, tile.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/shape.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// (declarations go here)

}  // namespace tg::ops
