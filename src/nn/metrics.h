/* SPDX-License-Identifier: Apache-2.0 */
// Keras accuracy metrics (keras/metrics/accuracy_metrics.py, base_metric.py, Keras 2.15): stateful
// objects that accumulate a weighted mean of per-element matches over batches.
//
// An update is Keras's MeanMetricWrapper.update_state:
//   1. y_true and y_pred are cast to float32 (the metric dtype) and, when their ranks differ by
//      one, the trailing size-1 axis of the larger is dropped;
//   2. matches (float32, 1 or 0) = the metric's function of the two;
//   3. Mean.update_state(matches, sample_weight): a weight of rank r ± 1 is squeezed / expanded
//      by one trailing axis, then broadcast to the matches when it can be (a scalar, or one of
//      the same rank whose dims are 1 or equal); otherwise the matches are averaged over their
//      trailing axes down to the weight's rank. total += Σ matches·w; count += Σ w (or the
//      number of matches without weights).
// result() = total / count, or 0 while count is 0 (divide_no_nan). total and count are float32,
// as Keras's metric variables are. Metrics never record on a gradient tape.
#pragma once

#include <string_view>

#include "tensor/tensor.h"

namespace tg {

enum class MetricKind {
  accuracy,                     // y_true == y_pred elementwise (same shape)
  binary_accuracy,              // y_true == (y_pred > threshold), broadcasting
  categorical_accuracy,         // argmax(y_true, −1) == argmax(y_pred, −1)
  sparse_categorical_accuracy,  // y_true == argmax(y_pred, −1); y_true (batch…) or (batch…, 1)
  // Keras compile(metrics=['accuracy']): named "accuracy", it becomes one of the three above at
  // its first update, from the shapes (MetricsContainer._get_metric_object):
  //   y_pred's last dimension is 1                                   → binary_accuracy;
  //   else rank(y_true) < rank(y_pred), or y_true's last dimension is 1 → sparse_categorical;
  //   else                                                           → categorical_accuracy.
  accuracy_from_shapes,
};

// The kind 'accuracy' resolves to for these shapes (the rule above).
MetricKind resolve_accuracy(const Shape& y_true, const Shape& y_pred);

class Metric {
 public:
  // threshold: binary_accuracy's decision threshold (compared in float32); not NaN.
  explicit Metric(MetricKind kind, double threshold = 0.5);

  // The kind it computes: for accuracy_from_shapes, the resolved kind after the first update.
  MetricKind kind() const { return kind_; }
  // The Keras name: "accuracy", "binary_accuracy", "categorical_accuracy", …
  std::string_view name() const;

  // The float32 matches one update would average (after step 1 above), without changing the
  // state. Shape errors name the metric and both shapes.
  Tensor matches(const Tensor& y_true, const Tensor& y_pred) const;

  // Accumulates one batch; sample_weight may be undefined (all ones). On error the state is
  // unchanged.
  void update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor());
  double result() const;
  void reset();

  float total() const { return total_; }
  float count() const { return count_; }

 private:
  MetricKind requested_;  // as constructed: names the metric
  MetricKind kind_;       // what it computes; accuracy_from_shapes until the first update
  float threshold_;
  float total_ = 0.0f;
  float count_ = 0.0f;
};

}  // namespace tg
