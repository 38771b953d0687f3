/* SPDX-License-Identifier: Apache-2.0 */
// Elementwise arithmetic.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/elementwise.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Elementwise, NumPy broadcasting for binary ops; inputs of one dtype.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor relu(const Tensor& x);
// g where y > 0, else 0: relu's gradient, differentiable in g (input 0) only.
Tensor relu_grad(const Tensor& g, const Tensor& y);

}  // namespace tg::ops
