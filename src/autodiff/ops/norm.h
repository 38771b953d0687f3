/* SPDX-License-Identifier: Apache-2.0 */
// Normalization: batch normalization (TensorFlow's FusedBatchNorm, training form, and
// tf.nn.batch_normalization for inference) and layer normalization (Keras's
// LayerNormalization). Part of autodiff/ops.h; definitions and gradient rules in ops/norm.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// Which values share one mean and variance. x is split at `axis` (in [-rank, rank)):
//   per_row = false: one group per position of the dims from `axis` on, over all the dims
//                    before it (batch norm: axis −1, one group per channel);
//   per_row = true:  one group per position of the dims before `axis`, over the dims from
//                    it on (layer norm).
// epsilon (>= 0) is added to the variance.
struct NormSpec {
  int64_t axis = -1;
  bool per_row = false;
  double epsilon = 1e-3;
};

struct FusedBatchNorm {
  Tensor y;               // x's shape
  Tensor batch_mean;      // (C)
  Tensor batch_variance;  // (C), with Bessel's correction, as TensorFlow's FusedBatchNorm
};

// Batch normalization in training mode, in one fused op: per channel (the last axis) over all
// other axes, with n values per channel, μ = mean, σ² = biased variance,
//   y = (x − μ)·(scale·rsqrt(σ² + ε)) + offset.
// Also returns μ and, as TensorFlow's FusedBatchNorm does for the moving statistics,
// σ²·n/(n − 1) (n − 1 taken as at least 1); Keras's fused path feeds that corrected value into
// moving_variance while the output uses the biased one. The statistics are plain values: no
// gradient flows back through them (TensorFlow ignores their gradients too).
// x: floating, rank >= 1, (…, C); scale and offset: (C), x's dtype. Empty x gives NaN
// statistics. Gradients: x, scale and offset, each differentiable again.
FusedBatchNorm fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                double epsilon = 1e-3);

// tf.nn.batch_normalization: (x − mean)·rsqrt(variance + ε)·scale + offset, computed as
// TensorFlow does: inv = rsqrt(variance + ε)·scale; y = x·inv + (offset − mean·inv). mean,
// variance, scale and offset broadcast against x (usually (C) for channels last); scale and
// offset may be undefined (1 and 0). Built from differentiable ops.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const Tensor& offset, const Tensor& scale, double epsilon);

// Keras LayerNormalization: per example, over `axes` (distinct, in [-rank, rank)), biased
// variance, y = γ·(x − μ)/√(σ² + ε) + β. gamma and beta have the normalized dims' shape, in
// increasing axis order (Keras's param_shape), or are undefined (scale / center off). The
// statistics come from fused_batch_norm's op with per-row groups and unit scale, then γ and
// β are applied, as Keras does; non-trailing axes are moved to the end and back.
Tensor layer_normalization(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           std::span<const int64_t> axes, double epsilon = 1e-3);

// The registry ops on their own (the gradient rules are built from them):
//   fused_normalize:              y = scale·x̂ + offset, any grouping (no statistics)
//   fused_batch_norm_grad_input:  dx = scale·s·(g − mean(g) − x̂·mean(g·x̂))
//   fused_batch_norm_grad_scale:  Σ g·x̂ per group
// with s = rsqrt(σ² + ε), x̂ = (x − μ)·s; scale, offset and the scale gradient have the
// group shape.
Tensor fused_normalize(const Tensor& x, const Tensor& scale, const Tensor& offset,
                       const NormSpec& spec);
Tensor fused_batch_norm_grad_input(const Tensor& g, const Tensor& x, const Tensor& scale,
                                   const NormSpec& spec);
Tensor fused_batch_norm_grad_scale(const Tensor& g, const Tensor& x, const NormSpec& spec);

}  // namespace tg::ops
