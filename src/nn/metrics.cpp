// SPDX-License-Identifier: Apache-2.0
// Keras accuracy metrics. Values are computed with the tensor kernels directly (not the
// recorded ops): a metric is never differentiated, so it must not grow a tape.
//
// Legend: y_true, y_pred the batch (float32 after the cast); matches float32 1/0; w sample
// weights (float32); C = classes (the last axis of the argmax metrics).
#include "nn/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "tensor/elementwise.h"
#include "tensor/kernels.h"

namespace tg {
namespace {

Tensor to_float32(const Tensor& t) { return t.dtype() == DType::f32 ? t : cast_kernel(t, DType::f32); }

// The same elements under another shape of equal size (a reshape: shares storage).
Tensor reshaped(const Tensor& t, const Shape& s) { return Tensor::from_storage(t.storage(), s, t.dtype()); }

Shape without_last_axis(const Shape& s) {
  Shape out;
  for (int d = 0; d + 1 < s.rank(); ++d) out.push_back(s[d]);
  return out;
}

Shape with_trailing_one(const Shape& s) {
  Shape out = s;
  out.push_back(1);
  return out;
}

bool broadcastable(const Shape& a, const Shape& b) {
  for (int i = 1; i <= std::min(a.rank(), b.rank()); ++i) {
    const int64_t da = a[a.rank() - i], db = b[b.rank() - i];
    if (da != db && da != 1 && db != 1) return false;
  }
  return true;
}

// The output shape of elementwise `what` on a and b, or an error naming both shapes.
Shape broadcast_or_fail(const Shape& a, const Shape& b, const std::string& what, const char* a_name,
                        const char* b_name) {
  if (!broadcastable(a, b))
    fail(Status::invalid_argument, "{}: {} {} and {} {} do not broadcast together", what, a_name, a.str(),
         b_name, b.str());
  return broadcast_shapes(a, b, what.c_str());
}

// losses_utils.squeeze_or_expand_dimensions(y_pred, y_true) → remove_squeezable_dimensions:
// unless y_pred has one axis more with a last dimension != 1, a trailing size-1 axis is dropped
// from whichever of the two has one axis more.
void squeeze_trailing_one(Tensor& y_true, Tensor& y_pred) {
  const int rp = y_pred.rank(), rt = y_true.rank();
  if (rp - rt == 1 && y_pred.shape()[rp - 1] == 1) y_pred = reshaped(y_pred, without_last_axis(y_pred.shape()));
  else if (rt - rp == 1 && y_true.shape()[rt - 1] == 1) y_true = reshaped(y_true, without_last_axis(y_true.shape()));
}

// tf.math.argmax(x, −1) of a float32 tensor (rank >= 1, C >= 1): the first index of the maximum.
Tensor argmax_last(const Tensor& x, const std::string& what, const char* name) {
  if (x.rank() < 1 || x.shape()[x.rank() - 1] == 0)
    fail(Status::invalid_argument, "{}: {} {} needs a non-empty last axis to take the argmax over", what, name,
         x.shape().str());
  const int64_t classes = x.shape()[x.rank() - 1];
  const int64_t rows = x.numel() / classes;
  Tensor out = Tensor::empty(without_last_axis(x.shape()), DType::i64);
  const float* p = x.data<float>();
  int64_t* o = out.mutable_data<int64_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = p + r * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best]) best = c;
    o[r] = best;
  }
  return out;
}

// metrics_utils.sparse_categorical_matches: labels (float32 or int64) against argmax(y_pred).
// Labels of y_pred's rank lose their trailing axis (which must be 1), and the matches get the
// labels' original shape back.
Tensor sparse_categorical_matches(const Tensor& labels, const Tensor& y_pred, const std::string& what,
                                  const char* labels_name) {
  Tensor y = labels;
  bool reshape_back = false;
  if (y.rank() == y_pred.rank()) {
    if (y.rank() == 0 || y.shape()[y.rank() - 1] != 1)
      fail(Status::invalid_argument,
           "{}: {} {} has the rank of y_pred {} but its last dimension is not 1, so it cannot be squeezed",
           what, labels_name, y.shape().str(), y_pred.shape().str());
    y = reshaped(y, without_last_axis(y.shape()));
    reshape_back = true;
  }
  const Tensor predicted = argmax_last(y_pred, what, "y_pred");  // (batch…) int64
  const Shape out_shape = broadcast_or_fail(y.shape(), predicted.shape(), what, labels_name, "argmax(y_pred)");
  // TF casts the int64 argmax to the labels' dtype before comparing.
  Tensor matches = y.dtype() == DType::i64
                       ? binary_map<int64_t, int64_t, float>(y, predicted, out_shape,
                                                             [](int64_t a, int64_t b) { return a == b ? 1.0f : 0.0f; })
                       : binary_map<float, int64_t, float>(y, predicted, out_shape, [](float a, int64_t b) {
                           return a == static_cast<float>(b) ? 1.0f : 0.0f;
                         });
  if (reshape_back) {
    if (matches.numel() != labels.numel())
      fail(Status::invalid_argument, "{}: the matches {} cannot take y_true's shape {}", what,
           matches.shape().str(), labels.shape().str());
    matches = reshaped(matches, labels.shape());
  }
  return matches;
}

// Σ of a float32 tensor, accumulated in double and rounded once to float32.
float sum_of(const Tensor& t) {
  const float* p = t.data<float>();
  double s = 0.0;
  for (int64_t i = 0, n = t.numel(); i < n; ++i) s += p[i];
  return static_cast<float>(s);
}

// reduce_mean over the axes [rank, x.rank()) of a float32 tensor.
Tensor mean_of_trailing_axes(const Tensor& x, int rank) {
  Shape lead;
  for (int d = 0; d < rank; ++d) lead.push_back(x.shape()[d]);
  const int64_t rows = lead.numel();
  const int64_t inner = rows == 0 ? 0 : x.numel() / rows;
  Tensor out = Tensor::empty(lead, DType::f32);
  const float* p = x.data<float>();
  float* o = out.mutable_data<float>();
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0.0;
    for (int64_t j = 0; j < inner; ++j) s += p[r * inner + j];
    o[r] = inner == 0 ? NAN : static_cast<float>(s / static_cast<double>(inner));
  }
  return out;
}

}  // namespace

MetricKind resolve_accuracy(const Shape& y_true, const Shape& y_pred) {
  const int64_t true_last = y_true.rank() > 0 ? y_true[y_true.rank() - 1] : -1;
  const int64_t pred_last = y_pred.rank() > 0 ? y_pred[y_pred.rank() - 1] : -1;
  if (pred_last == 1) return MetricKind::binary_accuracy;
  if (y_true.rank() < y_pred.rank() || (true_last == 1 && pred_last > 1))
    return MetricKind::sparse_categorical_accuracy;
  return MetricKind::categorical_accuracy;
}

Metric::Metric(MetricKind kind, double threshold)
    : requested_(kind), kind_(kind), threshold_(static_cast<float>(threshold)) {
  const int k = static_cast<int>(kind);
  if (k < 0 || k > static_cast<int>(MetricKind::accuracy_from_shapes))
    fail(Status::invalid_argument, "unknown metric kind {}", k);
  if (std::isnan(threshold)) fail(Status::invalid_argument, "binary_accuracy: threshold is NaN");
}

std::string_view Metric::name() const {
  switch (requested_) {
    case MetricKind::accuracy:
    case MetricKind::accuracy_from_shapes: return "accuracy";
    case MetricKind::binary_accuracy: return "binary_accuracy";
    case MetricKind::categorical_accuracy: return "categorical_accuracy";
    case MetricKind::sparse_categorical_accuracy: return "sparse_categorical_accuracy";
  }
  return "metric";
}

Tensor Metric::matches(const Tensor& y_true, const Tensor& y_pred) const {
  const std::string what(name());
  if (!y_true.defined()) fail(Status::invalid_argument, "{}: y_true is undefined", what);
  if (!y_pred.defined()) fail(Status::invalid_argument, "{}: y_pred is undefined", what);
  Tensor yt = to_float32(y_true), yp = to_float32(y_pred);
  const MetricKind kind =
      kind_ == MetricKind::accuracy_from_shapes ? resolve_accuracy(y_true.shape(), y_pred.shape()) : kind_;
  squeeze_trailing_one(yt, yp);
  switch (kind) {
    case MetricKind::accuracy:
      if (yt.shape() != yp.shape())
        fail(Status::invalid_argument, "{}: shapes {} (y_true) and {} (y_pred) are incompatible", what,
             y_true.shape().str(), y_pred.shape().str());
      return binary_map<float, float, float>(yt, yp, yt.shape(), [](float a, float b) { return a == b ? 1.0f : 0.0f; });
    case MetricKind::binary_accuracy: {
      const Shape out = broadcast_or_fail(yt.shape(), yp.shape(), what, "y_true", "y_pred");
      const float t = threshold_;
      return binary_map<float, float, float>(yt, yp, out, [t](float a, float b) {
        return a == (b > t ? 1.0f : 0.0f) ? 1.0f : 0.0f;
      });
    }
    case MetricKind::categorical_accuracy:
      return sparse_categorical_matches(argmax_last(yt, what, "y_true"), yp, what, "argmax(y_true)");
    case MetricKind::sparse_categorical_accuracy:
      return sparse_categorical_matches(yt, yp, what, "y_true");
    case MetricKind::accuracy_from_shapes: break;  // resolved above
  }
  fail(Status::internal, "{}: unknown metric kind", what);
}

void Metric::update(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  const std::string what(name());
  Tensor values = matches(y_true, y_pred);
  float value_sum, num_values;
  if (!sample_weight.defined()) {
    value_sum = sum_of(values);
    num_values = static_cast<float>(values.numel());
  } else {
    Tensor w = to_float32(sample_weight);
    if (w.rank() != 0) {  // squeeze_or_expand_dimensions(values, sample_weight=w)
      if (w.rank() - values.rank() == 1) {
        if (w.shape()[w.rank() - 1] != 1)
          fail(Status::invalid_argument,
               "{}: sample_weight {} has one axis more than the matches {}, and its last dimension is {}, not 1",
               what, w.shape().str(), values.shape().str(), w.shape()[w.rank() - 1]);
        w = reshaped(w, without_last_axis(w.shape()));
      } else if (values.rank() - w.rank() == 1) {
        w = reshaped(w, with_trailing_one(w.shape()));
      }
    }
    bool fits = w.rank() == 0 || w.rank() == values.rank();  // weights_broadcast_ops.broadcast_weights
    for (int d = 0; fits && w.rank() != 0 && d < w.rank(); ++d)
      fits = w.shape()[d] == 1 || w.shape()[d] == values.shape()[d];
    if (fits) {
      w = broadcast_to_kernel(w, values.shape());
    } else if (w.rank() < values.rank()) {
      values = mean_of_trailing_axes(values, w.rank());
    }
    const Shape out = broadcast_or_fail(values.shape(), w.shape(), what, "matches", "sample_weight");
    value_sum = sum_of(binary_map<float, float, float>(values, w, out, [](float a, float b) { return a * b; }));
    num_values = sum_of(w);
  }
  total_ += value_sum;
  count_ += num_values;
  if (kind_ == MetricKind::accuracy_from_shapes) kind_ = resolve_accuracy(y_true.shape(), y_pred.shape());
}

double Metric::result() const { return count_ == 0.0f ? 0.0 : static_cast<double>(total_ / count_); }

void Metric::reset() {
  total_ = 0.0f;
  count_ = 0.0f;
}

}  // namespace tg
