/* SPDX-License-Identifier: Apache-2.0 */
// Kernels of the normalization ops (src/autodiff/ops/norm.cpp): standardize each group of
// values to zero mean and unit variance, then scale and shift, and the two gradients. They
// compute values only; the op has checked shapes and dtypes.
//
// Legend: x is viewed as a matrix (M, K), split at one axis: M = product of the dims before
// it, K = product of the dims from it on.
//   per-column groups (batch norm, channels last): K groups, each the M values of a column;
//   per-row groups (layer norm): M groups, each the K values of a row.
// n = values per group; μ, σ² = the group's mean and biased variance (two passes, summed in
// double); s = 1/√(σ² + ε); x̂ = (x − μ)·s. scale and offset hold one value per group.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

struct NormGroups {
  int64_t rows = 0, cols = 0;  // M, K
  bool per_row = false;
  int64_t groups() const { return per_row ? rows : cols; }
  int64_t count() const { return per_row ? cols : rows; }  // n
};

// y = scale·x̂ + offset, computed as (x − μ)·(scale·s) + offset. If mean / variance are
// given, they receive μ and the biased σ² (shape (groups), x's dtype; NaN for empty groups).
Tensor normalize_kernel(const Tensor& x, const Tensor& scale, const Tensor& offset,
                        const NormGroups& groups, double epsilon, Tensor* mean = nullptr,
                        Tensor* variance = nullptr);

// dx = scale·s·(g − mean(g) − x̂·mean(g·x̂)) per group: the gradient of normalize_kernel's
// output with respect to x for the output gradient g (x's shape).
Tensor normalize_grad_kernel(const Tensor& g, const Tensor& x, const Tensor& scale,
                             const NormGroups& groups, double epsilon);

// Σ g·x̂ per group, shaped `group_shape`: the gradient with respect to scale.
Tensor normalize_scale_grad_kernel(const Tensor& g, const Tensor& x, const NormGroups& groups,
                                   double epsilon, const Shape& group_shape);

}  // namespace tg
