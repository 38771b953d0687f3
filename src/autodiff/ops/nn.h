// Fused nn ops: softmax cross-entropy with logits (dense and sparse labels).
// Part of autodiff/ops.h; each op's definition and gradient are in ops/nn.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// (declarations go here)

}  // namespace tg::ops
