/* SPDX-License-Identifier: Apache-2.0 */
// Kernels that are not plain elementwise maps: reductions, softmax, data movement, casts,
// GEMM and random fills. They compute values only; shape checks and gradients live with
// the op definitions in src/autodiff/ops/.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/parallel.h"  // set_num_threads, num_threads
#include "tensor/tensor.h"

namespace tg {

enum class ReduceKind { sum, max, min, prod };

// Reduces over `axes` (sorted, unique, each in [0, rank)); keepdims keeps them as size 1.
Tensor reduce_kernel(const Tensor& x, std::span<const int> axes, bool keepdims, ReduceKind kind);

// Softmax (or log-softmax) along `axis` in [0, rank), max-subtracted for stability.
Tensor softmax_kernel(const Tensor& x, int axis, bool log);

// out = x with axes permuted: out.shape[i] = x.shape[perm[i]].
Tensor transpose_kernel(const Tensor& x, std::span<const int> perm);

// Materialises x broadcast to `shape` (which broadcast_shapes(x.shape, shape) must equal).
Tensor broadcast_to_kernel(const Tensor& x, const Shape& shape);

Tensor cast_kernel(const Tensor& x, DType to);

// C = op(A) · op(B) for rank-2 float32/float64 tensors (tensor/gemm.h); op(X) is X or Xᵀ,
// passed to the GEMM as a flag (nothing is transposed in memory).
Tensor gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b);

}  // namespace tg
