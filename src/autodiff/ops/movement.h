/* SPDX-License-Identifier: Apache-2.0 */
// Movement and type ops, and composite helpers built on them.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/movement.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Movement. reshape accepts one -1 dimension, inferred from the element count.
Tensor reshape(const Tensor& x, std::span<const int64_t> dims);
Tensor reshape(const Tensor& x, const Shape& shape);
// Empty perm reverses the axes, as tf.transpose does.
Tensor transpose(const Tensor& x, std::span<const int64_t> perm = {});
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor cast(const Tensor& x, DType dtype);


// Composite helpers (not ops of their own; built from the ops above).
// Sums a gradient of broadcast shape down to `shape` (the gradient of broadcasting).
Tensor sum_to_shape(const Tensor& g, const Shape& shape);
Tensor ones_like(const Tensor& x);
Tensor zeros_like(const Tensor& x);
Tensor scalar_like(const Tensor& x, double value);  // rank-0 tensor of x's dtype

}  // namespace tg::ops
