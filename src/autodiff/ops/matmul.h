/* SPDX-License-Identifier: Apache-2.0 */
// Matrix products.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/matmul.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// C = op(A) · op(B) for rank-2 float tensors; op transposes when the flag is set.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false,
              bool transpose_b = false);

}  // namespace tg::ops
