/* SPDX-License-Identifier: Apache-2.0 */
// Binary math beyond arithmetic: pow, maximum, minimum, squared_difference, comparisons, where, clip_by_value.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/binary.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Elementwise with NumPy broadcasting; x and y of one numeric dtype (float32/64, int32/64).
// pow: x^y. Integer pow wraps around on overflow; a negative integer exponent is an error,
// as in TensorFlow. Its gradient follows TF's _PowGrad: d/dx = g·y·x^(y−1) and
// d/dy = g·x^y·log(x) where x > 0, 0 elsewhere.
Tensor pow(const Tensor& x, const Tensor& y);
// NaN in either input gives NaN (TF's PropagateNaN). Gradient goes to the selected input;
// ties go to x (TF selects x where x >= y for maximum, x <= y for minimum).
Tensor maximum(const Tensor& x, const Tensor& y);
Tensor minimum(const Tensor& x, const Tensor& y);
Tensor squared_difference(const Tensor& x, const Tensor& y);  // (x − y)²

// Comparisons: bool output, broadcasting, not differentiable. equal / not_equal accept
// every dtype (bool too); the orderings accept the numeric dtypes.
Tensor equal(const Tensor& x, const Tensor& y);
Tensor not_equal(const Tensor& x, const Tensor& y);
Tensor less(const Tensor& x, const Tensor& y);
Tensor less_equal(const Tensor& x, const Tensor& y);
Tensor greater(const Tensor& x, const Tensor& y);
Tensor greater_equal(const Tensor& x, const Tensor& y);

// Logic on bool tensors (any nonzero byte counts as true), with broadcasting.
Tensor logical_and(const Tensor& x, const Tensor& y);
Tensor logical_or(const Tensor& x, const Tensor& y);
Tensor logical_not(const Tensor& x);

// tf.where (TF2, SelectV2): condition ? x : y elementwise, all three broadcast together.
// condition is bool; x and y share any dtype. Gradient: g to x where condition holds, to y
// elsewhere; none for condition.
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y);

// tf.clip_by_value: max(min(t, clip_value_max), clip_value_min), elementwise. The bounds
// broadcast to t's shape (the result keeps t's shape); one numeric dtype for all three.
// NaN in t or a bound gives NaN. Gradient (TF _ClipByValueGrad): t gets g where
// min <= t <= max, clip_value_min gets g where t < min, clip_value_max where t > max, each
// summed to its input's shape.
Tensor clip_by_value(const Tensor& t, const Tensor& clip_value_min, const Tensor& clip_value_max);

}  // namespace tg::ops
