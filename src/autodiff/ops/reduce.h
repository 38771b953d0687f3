// Reductions and softmax.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/reduce.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Reductions over `axes` (any order, negatives count from the end; empty = all axes).
Tensor reduce_sum(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
Tensor reduce_mean(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);

Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace tg::ops
