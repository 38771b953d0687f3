// SPDX-License-Identifier: Apache-2.0
// C shims for the Keras accuracy metrics (src/nn/metrics.h).
#include <memory>

#include "handles.h"
#include "nn/metrics.h"

namespace {

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

void make_metric(tg::MetricKind kind, double threshold, tg_metric** out) {
  auto& result = require_out(out, "out");
  auto metric = std::make_unique<tg::Metric>(kind, threshold);
  result = tg::capi::make_handle<tg_metric>(std::move(metric));
}

}  // namespace

extern "C" {

tg_status tg_metric_accuracy(tg_metric** out) {
  return guard("tg_metric_accuracy", [&] { make_metric(tg::MetricKind::accuracy, 0.5, out); });
}

tg_status tg_metric_binary_accuracy(double threshold, tg_metric** out) {
  return guard("tg_metric_binary_accuracy", [&] { make_metric(tg::MetricKind::binary_accuracy, threshold, out); });
}

tg_status tg_metric_categorical_accuracy(tg_metric** out) {
  return guard("tg_metric_categorical_accuracy",
               [&] { make_metric(tg::MetricKind::categorical_accuracy, 0.5, out); });
}

tg_status tg_metric_sparse_categorical_accuracy(tg_metric** out) {
  return guard("tg_metric_sparse_categorical_accuracy",
               [&] { make_metric(tg::MetricKind::sparse_categorical_accuracy, 0.5, out); });
}

tg_status tg_metric_auto_accuracy(tg_metric** out) {
  return guard("tg_metric_auto_accuracy", [&] { make_metric(tg::MetricKind::accuracy_from_shapes, 0.5, out); });
}

tg_status tg_metric_name(const tg_metric* metric, const char** out) {
  return guard("tg_metric_name", [&] {
    const tg::Metric& m = *get<tg_metric>(metric, "metric")->value;
    require_out(out, "out") = m.name().data();
  });
}

tg_status tg_metric_update(tg_metric* metric, const tg_tensor* y_true, const tg_tensor* y_pred,
                           const tg_tensor* sample_weight) {
  return guard("tg_metric_update", [&] {
    tg::Metric& m = *get<tg_metric>(metric, "metric")->value;
    const tg::Tensor& yt = get<tg_tensor>(y_true, "y_true")->value;
    const tg::Tensor& yp = get<tg_tensor>(y_pred, "y_pred")->value;
    const tg::Tensor sw = sample_weight ? get<tg_tensor>(sample_weight, "sample_weight")->value : tg::Tensor();
    m.update(yt, yp, sw);
  });
}

tg_status tg_metric_result(const tg_metric* metric, double* out) {
  return guard("tg_metric_result", [&] {
    const tg::Metric& m = *get<tg_metric>(metric, "metric")->value;
    require_out(out, "out") = m.result();
  });
}

tg_status tg_metric_reset(tg_metric* metric) {
  return guard("tg_metric_reset", [&] { get<tg_metric>(metric, "metric")->value->reset(); });
}

tg_status tg_metric_free(tg_metric* metric) {
  return guard("tg_metric_free", [&] { tg::capi::free_handle(metric, "metric"); });
}

}  // extern "C"
