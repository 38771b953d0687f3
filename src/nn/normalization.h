/* SPDX-License-Identifier: Apache-2.0 */
// Keras's normalization layers (K/keras/layers/normalization/batch_normalization.py,
// layer_normalization.py).
//
// BatchNormalization: per position of `axis` (the channels, by default the last axis), over
// all other axes. Weights, in Keras's order: gamma (if scale), beta (if center), then the
// non-trainable moving_mean and moving_variance, each of shape (C) — or, for several axes, the
// input's rank with 1 on the other axes.
//   training:  y = gamma·(x − μ)/√(σ² + ε) + beta with the batch's mean μ and biased
//              variance σ², and the moving statistics move towards the batch's:
//                fused path      moving ← (1 − f)·moving + f·batch, f = 1 − momentum,
//                                with the batch variance Bessel-corrected (σ²·n/(n − 1));
//                non-fused path  moving ← moving − (moving − batch)·(1 − momentum),
//                                with the biased σ².
//              Keras's fused path is taken for float32 4-D inputs normalized over axis 1 or 3
//              (5-D: 1 or 4) unless fused = false; everything else (a 2-D input after Dense,
//              float64) is non-fused. The fused path raises ε to at least 1.001e-5, as
//              tf.compat.v1.nn.fused_batch_norm does. The update is not an op: no tape records
//              it, and it happens once per training call (none for an empty batch).
//   inference: the same formula with moving_mean and moving_variance. A frozen layer
//              (trainable = false) always runs in inference mode, as in Keras.
//
// LayerNormalization: per example over `axis` (by default the last), biased variance,
//   y = gamma·(x − μ)/√(σ² + ε) + beta, gamma and beta shaped like the normalized dims (in the
//   order the axes are given); the same in training and inference.
#pragma once

#include <vector>

#include "nn/layer.h"

namespace tg {

class BatchNormalization : public Layer {
 public:
  // Uses config.norm (axis, momentum, epsilon, center, scale, fused and the four
  // initializers). Checks what Keras's constructor checks (fused = true needs one axis among
  // -4, -3, -1, 1, 3, 4 and float32).
  explicit BatchNormalization(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override { return input_shape; }
  // After build: whether the layer takes Keras's fused path (see above).
  bool fused() const { return fused_; }

 protected:
  void build_weights(const PartialShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  Tensor normalize_with_batch_statistics(const Tensor& x);
  Tensor normalize_with_moving_statistics(const Tensor& x);
  // Moves x's normalized axes to the end and flattens them: (rows, K); and back.
  Tensor to_groups(const Tensor& x) const;
  Tensor from_groups(const Tensor& y, const Shape& x_shape) const;
  bool groups_are_last_axis() const { return axes_.size() == 1 && axes_[0] + 1 == rank_; }

  std::vector<int64_t> axes_;  // resolved, increasing
  int64_t rank_ = 0;
  bool fused_ = false;
  double epsilon_ = 0;     // raised to 1.001e-5 on the fused path
  Shape broadcast_shape_;  // rank_ dims: the axes' sizes, 1 elsewhere
  std::shared_ptr<Variable> gamma_, beta_, moving_mean_, moving_variance_;  // param shape
};

class LayerNormalization : public Layer {
 public:
  // Uses config.norm (axis, epsilon, center, scale, beta and gamma initializers).
  explicit LayerNormalization(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override { return input_shape; }

 protected:
  void build_weights(const PartialShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::vector<int64_t> axes_;  // resolved, increasing
  int64_t rank_ = 0;
  Shape sorted_param_shape_;   // the normalized dims in increasing axis order
  std::shared_ptr<Variable> gamma_, beta_;  // the normalized dims in the order given
};

}  // namespace tg
