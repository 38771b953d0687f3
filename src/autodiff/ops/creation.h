/* SPDX-License-Identifier: Apache-2.0 */
// Creation: zeros, ones, range, eye (not recorded: no inputs). Random tensors are in
// tensor/random.h (random_uniform, random_normal, random_truncated_normal).
// Part of autodiff/ops.h; the definitions are in ops/creation.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

Tensor zeros(const Shape& shape, DType dtype);
Tensor ones(const Shape& shape, DType dtype);  // true for bool

// tf.range(start, limit, delta, dtype): start, start + delta, … up to but excluding limit,
// accumulated in `dtype` as TensorFlow does. delta may be negative (then start >= limit);
// delta == 0, start > limit with delta > 0 (or start < limit with delta < 0), non-finite
// values and, for integer dtypes, values that are not whole numbers of that dtype are errors.
// Numeric dtypes (not bool).
Tensor range(double start, double limit, double delta, DType dtype);

// tf.eye(num_rows, num_columns): (num_rows, num_columns) with ones on the main diagonal;
// num_columns == -1 means num_columns = num_rows (TensorFlow's None). Any dtype.
Tensor eye(int64_t num_rows, int64_t num_columns, DType dtype);

}  // namespace tg::ops
