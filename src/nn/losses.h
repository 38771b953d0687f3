/* SPDX-License-Identifier: Apache-2.0 */
// Keras losses, built from the library's ops so they are differentiable to any order.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/tensor.h"

namespace tg {

// ---- Keras loss objects (keras/losses.py, keras/utils/losses_utils.py, Keras 2.15) ----------
//
// A loss call is Keras's Loss.__call__:
//   1. per-sample losses = fn(y_true, y_pred), which reduces the last axis (after Keras's
//      LossFunctionWrapper squeezes a trailing size-1 axis when the ranks differ by one);
//   2. sample_weight is cast to the losses' dtype and squeezed / expanded by one trailing
//      axis to match their rank, then multiplied in (broadcasting);
//   3. reduction: NONE keeps the weighted tensor; SUM sums it; SUM_OVER_BATCH_SIZE (and AUTO)
//      divides that sum by its number of elements (divide_no_nan: 0 when it is empty).
// Everything is composed from the library's ops, so a loss is differentiable to any order in
// y_pred, and in y_true and sample_weight when they are floating. The dtype is y_pred's
// (float32 or float64); y_true is cast to it.

// keras.backend.epsilon(): the probability clip of the cross-entropies.
inline constexpr double kLossEpsilon = 1e-7;

// Values mirror tg_reduction in include/tapegrad/tapegrad.h.
enum class Reduction : int { auto_ = 0, none = 1, sum = 2, sum_over_batch_size = 3 };

// Per-sample loss functions (keras.losses.<name>). Shapes: y_pred (batch…, C), y_true of the
// same shape (or broadcastable where noted); the result is (batch…). `axis` is the class axis
// of the cross-entropies (and the averaged axis of binary_crossentropy), in [-rank, rank).
//
// CategoricalCrossentropy. label_smoothing ls: y ← y·(1 − ls) + ls / C. from_logits: the fused
// softmax cross-entropy; otherwise p ← y_pred / Σ y_pred, clipped to [ε, 1 − ε], and
// −Σ y·log p (a clipped entry gets no gradient). y_true must have y_pred's shape.
Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                                double label_smoothing = 0.0, int64_t axis = -1);

// SparseCategoricalCrossentropy. y_true holds class indices (any dtype; floats are truncated,
// as tf.cast to int64 does), of y_pred's shape without the class axis, or any shape with as
// many elements (e.g. a trailing 1), which is flattened as Keras does. Probabilities go through
// log(clip(p, ε, 1 − ε)) and then the fused sparse softmax cross-entropy. With ignore_class,
// entries labelled ignore_class get loss 0 and `mask` (bool, the losses' shape) marks the
// others; without it `mask` is undefined. Labels outside [0, C) are an error.
struct SparseLosses {
  Tensor losses;
  Tensor mask;
};
SparseLosses sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred,
                                             bool from_logits = false, int64_t axis = -1,
                                             std::optional<int64_t> ignore_class = std::nullopt);

// BinaryCrossentropy: mean over `axis` of the elementwise cross-entropy. label_smoothing ls:
// y ← y·(1 − ls) + 0.5·ls. from_logits: TF's stable sigmoid_cross_entropy_with_logits,
// max(x, 0) − x·y + log1p(exp(−|x|)), which needs y_true of y_pred's shape; probabilities:
// p ← clip(p, ε, 1 − ε), −(y·log(p + ε) + (1 − y)·log(1 − p + ε)) with y_true broadcasting.
Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits = false,
                           double label_smoothing = 0.0, int64_t axis = -1);

// mean((y_pred − y_true)², −1), mean(|y_pred − y_true|, −1); y_true and y_pred broadcast together.
Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred);
Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred);
// Huber: mean over −1 of 0.5·x² where |x| <= delta, else delta·|x| − 0.5·delta², x = y_pred − y_true.
Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta = 1.0);

// losses_utils.compute_weighted_loss: weights `losses` by sample_weight (undefined = 1) and
// reduces them; `what` names the loss in errors.
Tensor compute_weighted_loss(const Tensor& losses, const Tensor& sample_weight, Reduction reduction,
                             std::string_view what);

enum class LossKind {
  categorical_crossentropy,
  sparse_categorical_crossentropy,
  binary_crossentropy,
  mean_squared_error,
  mean_absolute_error,
  huber,
};

struct LossConfig {
  LossKind kind = LossKind::mean_squared_error;
  Reduction reduction = Reduction::auto_;
  bool from_logits = false;                 // the cross-entropies
  double label_smoothing = 0.0;             // categorical / binary cross-entropy, in [0, 1]
  int64_t axis = -1;                        // categorical / sparse / binary cross-entropy
  std::optional<int64_t> ignore_class;      // sparse categorical cross-entropy
  double delta = 1.0;                       // huber, finite and >= 0
};

// A Keras loss object (tf.keras.losses.<Name>). Immutable after construction, so one object
// may be called from several threads at once.
class Loss {
 public:
  // Validates the configuration (reduction, label_smoothing in [0, 1], delta >= 0).
  explicit Loss(const LossConfig& config);

  const LossConfig& config() const { return config_; }
  // The Keras name: "categorical_crossentropy", …, "huber_loss".
  std::string_view name() const;

  // Loss.__call__(y_true, y_pred, sample_weight): the reduced loss (a scalar), or the weighted
  // per-sample losses for Reduction::none. sample_weight may be undefined (all ones), a scalar,
  // or a tensor that broadcasts to the per-sample losses after Keras's squeeze / expand of one
  // trailing axis. With ignore_class, SUM_OVER_BATCH_SIZE divides by the number of entries
  // that are not ignored (Keras's apply_valid_mask; NaN when every entry is ignored).
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) const;

 private:
  LossConfig config_;
};

}  // namespace tg
