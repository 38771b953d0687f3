/* SPDX-License-Identifier: Apache-2.0 */
// Kernels of the issue-3 reductions (src/autodiff/ops/reduce.cpp), the batched matmul
// (ops/matmul.cpp) and the fused cross-entropies (ops/nn.cpp). Like kernels.h they compute
// values only; every shape, dtype and index they receive has been checked by the op.
//
// Legend: outer = product of the dims before the reduced axis (or block), n = its extent,
// inner = product of the dims after it; B = batch, C = classes; M, N, K as in gemm.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/tensor.h"

namespace tg {

// log Σ exp(x) over `axes` (sorted, unique, each in [0, rank)), floating dtypes. The maximum is
// subtracted first; a non-finite maximum is replaced by 0, as tf.reduce_logsumexp does, so a
// slice of all −inf gives −inf and a +inf gives +inf.
Tensor logsumexp_kernel(const Tensor& x, std::span<const int> axes, bool keepdims);

// int64 index of the largest (max = true) or smallest element along `axis` (x.shape[axis] > 0);
// the axis is removed from the shape. Ties go to the smallest index; a NaN wins (its first
// index), as numpy.argmax does.
Tensor arg_reduce_kernel(const Tensor& x, int axis, bool max);

// x (outer, n, inner): out[o, i, q] = Π_{j ≠ i} x[o, j, q], from prefix and suffix products
// (no division, so zeros are exact). Floating dtypes.
Tensor prod_others_kernel(const Tensor& x);

// Σ_c labels · (logsumexp(logits) − logits) along `axis`; labels and logits share shape and
// floating dtype; the result has logits' shape without `axis`.
Tensor softmax_xent_kernel(const Tensor& labels, const Tensor& logits, int axis);

// logits (B…, C), labels (B…) int32/int64 in [0, C): out (B…) = logsumexp(z) − z[label].
Tensor sparse_softmax_xent_kernel(const Tensor& labels, const Tensor& logits);

// one_hot(labels, C) of `dtype`: labels (B…) int32/int64 in [0, C) → (B…, C).
Tensor one_hot_labels_kernel(const Tensor& labels, int64_t classes, DType dtype);

// C (out_shape = batch…, M, N) = op(A) · op(B) for float32/float64 operands of rank >= 2 whose
// batch dims (all but the last two) broadcast to out_shape's batch dims. One GEMM per output
// matrix (tensor/gemm.h), operands addressed in place (a broadcast operand is reused, never
// copied); when B has no batch (and A is not transposed) the batch folds into one GEMM of
// B·M rows.
Tensor batched_gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
                           const Shape& out_shape);

}  // namespace tg
