// The library's differentiable ops, as C++ functions. Each one runs its OpDef through
// apply(), which records it on the active tapes; errors are tg::Error naming the op.
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

// C = op(A) · op(B) for rank-2 float tensors; op transposes when the flag is set.
Tensor matmul(const Tensor& a, const Tensor& b, bool transpose_a = false,
              bool transpose_b = false);

// Reductions over `axes` (any order, negatives count from the end; empty = all axes).
Tensor reduce_sum(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);
Tensor reduce_mean(const Tensor& x, std::span<const int64_t> axes = {}, bool keepdims = false);

Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

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
