/* SPDX-License-Identifier: Apache-2.0 */
// Reductions, arg-reductions and softmax.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/reduce.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Reductions over `axes` (any order, negatives count from the end; empty = all axes).
Tensor reduce_sum(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
Tensor reduce_mean(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
// Numeric dtypes. An empty reduction gives -inf / +inf (the lowest / highest integer). The
// gradient is split equally among tied extrema: g · [x == max] / count (TensorFlow's _MaxGrad).
Tensor reduce_max(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
Tensor reduce_min(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
// Numeric dtypes; integer products wrap. The gradient is g · (product of the other elements),
// computed without dividing by x, so zeros are exact, and differentiable again.
Tensor reduce_prod(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
// log Σ exp(x), fused and max-subtracted (tf.reduce_logsumexp). Floating dtypes.
Tensor reduce_logsumexp(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
// Population variance mean((x − mean(x))²) (tf.math.reduce_variance), composed of ops.
// Floating dtypes.
Tensor reduce_variance(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
// Gradient helper of reduce_prod: x (outer, n, inner) → out[o, i, q] = Π_{j≠i} x[o, j, q].
// Floating dtypes; differentiable to any order.
Tensor prod_others(const Tensor& x);

// Index (int64) of the largest / smallest element along `axis` (ties: the smallest index).
// Numeric dtypes; not differentiable.
Tensor argmax(const Tensor& x, int64_t axis = 0);
Tensor argmin(const Tensor& x, int64_t axis = 0);

Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace tg::ops
