// SPDX-License-Identifier: Apache-2.0
#include "nn/losses.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autodiff/ops.h"

// ---- Keras loss objects ------------------------------------------------------------------
//
// Legend: y_pred (batch…, C) predictions (logits or probabilities); y_true labels of the same
// shape (sparse: class indices, (batch…)); losses (batch…) per-sample values; sw sample weights.
namespace tg {
namespace {

Tensor constant(double value, DType dtype) { return Tensor::scalar(value, dtype); }

// ε and 1 − ε as Keras forms them: `1.0 - epsilon_` is computed in the tensor's dtype.
Tensor epsilon_of(DType dtype) { return constant(kLossEpsilon, dtype); }
Tensor one_minus_epsilon_of(DType dtype) {
  return dtype == DType::f32 ? constant(1.0f - static_cast<float>(kLossEpsilon), dtype)
                             : constant(1.0 - kLossEpsilon, dtype);
}

void require_defined(const Tensor& t, const char* what, const char* name) {
  if (!t.defined()) fail(Status::invalid_argument, "{}: {} is undefined", what, name);
}

void require_floating_prediction(const Tensor& y_pred, const char* what) {
  if (!is_floating(y_pred.dtype()))
    fail(Status::invalid_argument, "{}: y_pred must be float32 or float64, got {} {}", what,
         dtype_name(y_pred.dtype()), y_pred.shape().str());
}

void require_rank_at_least_1(const Shape& s, const char* what, const char* name) {
  if (s.rank() < 1)
    fail(Status::invalid_argument, "{}: {} must have rank >= 1 (the axis the loss reduces), got shape {}",
         what, name, s.str());
}

bool broadcastable(const Shape& a, const Shape& b) {
  for (int i = 1; i <= std::min(a.rank(), b.rank()); ++i) {
    const int64_t da = a[a.rank() - i], db = b[b.rank() - i];
    if (da != db && da != 1 && db != 1) return false;
  }
  return true;
}

void require_broadcastable(const Shape& y_true, const Shape& y_pred, const char* what) {
  if (!broadcastable(y_true, y_pred))
    fail(Status::invalid_argument, "{}: y_true {} and y_pred {} do not broadcast together", what,
         y_true.str(), y_pred.str());
}

// y·(1 − ls) + offset, in y's dtype, as Keras's tensor arithmetic rounds it.
Tensor smooth(const Tensor& y, const Tensor& ls, const Tensor& offset) {
  return ops::add(ops::mul(y, ops::sub(constant(1.0, y.dtype()), ls)), offset);
}

Tensor mean_last_axis(const Tensor& x, const char* what) {
  require_rank_at_least_1(x.shape(), what, "the elementwise loss");
  const int64_t last = -1;
  return ops::reduce_mean(x, {&last, 1});
}

// losses_utils.squeeze_or_expand_dimensions for sample weights: a weight of rank r + 1 loses
// its trailing size-1 axis, one of rank r − 1 gains one (r = rank of `values`); scalars stay.
Tensor match_weight_rank(const Tensor& values, const Tensor& sw, const char* what) {
  if (sw.rank() == 0) return sw;
  if (sw.rank() - values.rank() == 1) {
    const int64_t last = sw.shape()[sw.rank() - 1];
    if (last != 1)
      fail(Status::invalid_argument,
           "{}: sample_weight {} has one axis more than the per-sample losses {}, and its last "
           "dimension is {}, not 1",
           what, sw.shape().str(), values.shape().str(), last);
    const int64_t axis = -1;
    return ops::squeeze(sw, {&axis, 1});
  }
  if (values.rank() - sw.rank() == 1) return ops::expand_dims(sw, -1);
  return sw;
}

Tensor checked_weights(const Tensor& values, const Tensor& sample_weight, const char* what) {
  const Tensor sw = match_weight_rank(values, ops::cast(sample_weight, values.dtype()), what);
  if (!broadcastable(values.shape(), sw.shape()))
    fail(Status::invalid_argument, "{}: sample_weight {} does not broadcast to the per-sample losses {}",
         what, sample_weight.shape().str(), values.shape().str());
  return sw;
}

// LossFunctionWrapper.call: squeeze_or_expand_dimensions(y_pred, y_true). Unless y_pred has
// exactly one axis more than y_true and a last dimension != 1 (sparse labels), a trailing
// size-1 axis is dropped from whichever of the two has one axis more.
void squeeze_trailing_one(Tensor& y_true, Tensor& y_pred) {
  const int rp = y_pred.rank(), rt = y_true.rank();
  const int64_t last_axis = -1;
  if (rp - rt == 1 && y_pred.shape()[rp - 1] != 1) return;
  if (rp - rt == 1 && y_pred.shape()[rp - 1] == 1) y_pred = ops::squeeze(y_pred, {&last_axis, 1});
  else if (rt - rp == 1 && y_true.shape()[rt - 1] == 1) y_true = ops::squeeze(y_true, {&last_axis, 1});
}

Reduction checked_reduction(Reduction r) {
  const int code = static_cast<int>(r);
  if (code < 0 || code > 3)
    fail(Status::invalid_argument,
         "Invalid Reduction Key: {}. Expected keys are AUTO (0), NONE (1), SUM (2), SUM_OVER_BATCH_SIZE (3)",
         code);
  return r == Reduction::auto_ ? Reduction::sum_over_batch_size : r;
}

// losses_utils.apply_valid_mask: entries outside `mask` get weight 0; for the mean reductions
// the others get size/valid, so that the mean runs over the valid entries only.
Tensor apply_valid_mask(const Tensor& losses, const Tensor& sample_weight, const Tensor& mask,
                        Reduction reduction, const char* what) {
  const DType dt = losses.dtype();
  Tensor m = ops::cast(mask, dt);
  if (reduction == Reduction::sum_over_batch_size) {
    const Tensor total = constant(static_cast<double>(m.numel()), dt);
    m = ops::mul(m, ops::div(total, ops::reduce_sum(m)));
  }
  if (!sample_weight.defined()) return m;
  return ops::mul(checked_weights(m, sample_weight, what), m);
}

}  // namespace

Tensor categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                double label_smoothing, int64_t axis) {
  constexpr const char* what = "categorical_crossentropy";
  require_floating_prediction(y_pred, what);
  require_rank_at_least_1(y_pred.shape(), what, "y_pred");
  if (y_true.shape() != y_pred.shape())
    fail(Status::invalid_argument, "{}: shapes {} (y_true) and {} (y_pred) are incompatible", what,
         y_true.shape().str(), y_pred.shape().str());
  const DType dt = y_pred.dtype();
  const int64_t a = normalize_axis(axis, y_pred.rank(), what);
  Tensor y = ops::cast(y_true, dt);
  if (label_smoothing != 0.0) {
    const Tensor ls = constant(label_smoothing, dt);
    const Tensor classes = constant(static_cast<double>(y_pred.shape()[static_cast<int>(a)]), dt);
    y = smooth(y, ls, ops::div(ls, classes));
  }
  // why fused: softmax + cross-entropy in one op is stable for large logits (TF's xent kernel).
  if (from_logits) return ops::softmax_cross_entropy_with_logits(y, y_pred, a);
  const Tensor p = ops::div(y_pred, ops::reduce_sum(y_pred, {&a, 1}, true));  // (batch…, C), rows sum to 1
  const Tensor clipped = ops::clip_by_value(p, epsilon_of(dt), one_minus_epsilon_of(dt));
  return ops::neg(ops::reduce_sum(ops::mul(y, ops::log(clipped)), {&a, 1}));
}

SparseLosses sparse_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits,
                                             int64_t axis, std::optional<int64_t> ignore_class) {
  constexpr const char* what = "sparse_categorical_crossentropy";
  require_floating_prediction(y_pred, what);
  require_rank_at_least_1(y_pred.shape(), what, "y_pred");
  const DType dt = y_pred.dtype();
  const int rank = y_pred.rank();
  const int a = normalize_axis(axis, rank, what);
  Tensor target = ops::cast(y_true, DType::i64);
  Tensor output = from_logits ? y_pred
                              : ops::log(ops::clip_by_value(y_pred, epsilon_of(dt), one_minus_epsilon_of(dt)));
  if (a != rank - 1) {  // move the class axis last
    std::vector<int64_t> perm;
    for (int d = 0; d < rank; ++d)
      if (d != a) perm.push_back(d);
    perm.push_back(a);
    output = ops::transpose(output, perm);
  }
  const Shape output_shape = output.shape();  // (rows…, C)
  Shape rows_shape;                           // (rows…)
  for (int d = 0; d + 1 < rank; ++d) rows_shape.push_back(output_shape[d]);
  const int64_t classes = output_shape[rank - 1];
  // Keras flattens both when the label rank is not the prediction rank − 1, e.g. (N, 1) labels.
  const bool update_shape = target.rank() != rank - 1;
  if (update_shape) {
    if (classes == 0 || target.numel() * classes != output.numel())
      fail(Status::invalid_argument,
           "{}: y_true {} does not fit y_pred {}: expected y_pred's shape without the class axis, {}, "
           "or as many elements",
           what, y_true.shape().str(), y_pred.shape().str(), rows_shape.str());
    const int64_t flat[1] = {target.numel()};
    const int64_t matrix[2] = {target.numel(), classes};
    target = ops::reshape(target, flat);
    output = ops::reshape(output, matrix);
  } else if (target.shape() != rows_shape) {
    fail(Status::invalid_argument,
         "{}: y_true {} does not fit y_pred {}: expected y_pred's shape without the class axis, {}", what,
         y_true.shape().str(), y_pred.shape().str(), rows_shape.str());
  }
  Tensor valid;
  if (ignore_class) {
    valid = ops::not_equal(target, Tensor::from_data(Shape{}, DType::i64, &*ignore_class));
    target = ops::where(valid, target, constant(0.0, DType::i64));  // any in-range index; masked below
  }
  // why fused: log_softmax + gather in one op, stable, with TF's softmax − onehot gradient.
  Tensor res = ops::sparse_softmax_cross_entropy_with_logits(target, output);
  if (ignore_class) {
    res = ops::reshape(ops::where(valid, res, constant(0.0, dt)), rows_shape);
    return {res, ops::reshape(valid, rows_shape)};
  }
  if (update_shape && rank >= 3) res = ops::reshape(res, rows_shape);
  return {res, Tensor()};
}

Tensor binary_crossentropy(const Tensor& y_true, const Tensor& y_pred, bool from_logits, double label_smoothing,
                           int64_t axis) {
  constexpr const char* what = "binary_crossentropy";
  require_floating_prediction(y_pred, what);
  const DType dt = y_pred.dtype();
  Tensor y = ops::cast(y_true, dt);
  if (label_smoothing != 0.0) {
    const Tensor ls = constant(label_smoothing, dt);
    y = smooth(y, ls, ops::mul(constant(0.5, dt), ls));
  }
  Tensor bce;  // elementwise cross-entropy
  if (from_logits) {
    if (y_true.shape() != y_pred.shape())
      fail(Status::invalid_argument, "{}: `logits` and `labels` must have the same shape, received ({} vs {})",
           what, y_pred.shape().str(), y_true.shape().str());
    // TF's sigmoid_cross_entropy_with_logits: max(x, 0) − x·z + log1p(exp(−|x|)), with the
    // max and −|x| taken by where(x >= 0, …) so that the gradient at x = 0 is sigmoid(0) − z.
    const Tensor zero = constant(0.0, dt);
    const Tensor nonnegative = ops::greater_equal(y_pred, zero);
    const Tensor relu_logits = ops::where(nonnegative, y_pred, zero);
    const Tensor neg_abs_logits = ops::where(nonnegative, ops::neg(y_pred), y_pred);
    bce = ops::add(ops::sub(relu_logits, ops::mul(y_pred, y)), ops::log1p(ops::exp(neg_abs_logits)));
  } else {
    require_broadcastable(y_true.shape(), y_pred.shape(), what);
    const Tensor eps = epsilon_of(dt), one = constant(1.0, dt);
    const Tensor p = ops::clip_by_value(y_pred, eps, one_minus_epsilon_of(dt));
    const Tensor positive = ops::mul(y, ops::log(ops::add(p, eps)));
    const Tensor negative = ops::mul(ops::sub(one, y), ops::log(ops::add(ops::sub(one, p), eps)));
    bce = ops::neg(ops::add(positive, negative));
  }
  require_rank_at_least_1(bce.shape(), what, "the elementwise loss");
  const int64_t a = normalize_axis(axis, bce.rank(), what);
  return ops::reduce_mean(bce, {&a, 1});
}

Tensor mean_squared_error(const Tensor& y_true, const Tensor& y_pred) {
  constexpr const char* what = "mean_squared_error";
  require_floating_prediction(y_pred, what);
  require_broadcastable(y_true.shape(), y_pred.shape(), what);
  return mean_last_axis(ops::squared_difference(y_pred, ops::cast(y_true, y_pred.dtype())), what);
}

Tensor mean_absolute_error(const Tensor& y_true, const Tensor& y_pred) {
  constexpr const char* what = "mean_absolute_error";
  require_floating_prediction(y_pred, what);
  require_broadcastable(y_true.shape(), y_pred.shape(), what);
  return mean_last_axis(ops::abs(ops::sub(y_pred, ops::cast(y_true, y_pred.dtype()))), what);
}

Tensor huber(const Tensor& y_true, const Tensor& y_pred, double delta) {
  constexpr const char* what = "huber_loss";
  require_floating_prediction(y_pred, what);
  require_broadcastable(y_true.shape(), y_pred.shape(), what);
  const DType dt = y_pred.dtype();
  const Tensor error = ops::sub(y_pred, ops::cast(y_true, dt));
  const Tensor abs_error = ops::abs(error);
  const Tensor half = constant(0.5, dt), d = constant(delta, dt);
  const Tensor quadratic = ops::mul(half, ops::square(error));
  const Tensor linear = ops::sub(ops::mul(d, abs_error), ops::mul(half, ops::square(d)));
  return mean_last_axis(ops::where(ops::less_equal(abs_error, d), quadratic, linear), what);
}

Tensor compute_weighted_loss(const Tensor& losses, const Tensor& sample_weight, Reduction reduction,
                             std::string_view what) {
  const std::string name(what);
  reduction = checked_reduction(reduction);
  const Tensor weighted =
      sample_weight.defined() ? ops::mul(losses, checked_weights(losses, sample_weight, name.c_str())) : losses;
  if (reduction == Reduction::none) return weighted;
  const Tensor sum = ops::reduce_sum(weighted);
  if (reduction == Reduction::sum) return sum;
  // SUM_OVER_BATCH_SIZE: divide_no_nan(sum, size); an empty batch gives 0 (still on the tape).
  const int64_t n = weighted.numel();
  if (n == 0) return ops::mul(sum, constant(0.0, sum.dtype()));
  return ops::div(sum, constant(static_cast<double>(n), sum.dtype()));
}

Loss::Loss(const LossConfig& config) : config_(config) {
  const int kind = static_cast<int>(config.kind);
  if (kind < 0 || kind > static_cast<int>(LossKind::huber))
    fail(Status::invalid_argument, "unknown loss kind {}", kind);
  checked_reduction(config.reduction);
  if (config.kind == LossKind::categorical_crossentropy || config.kind == LossKind::binary_crossentropy) {
    if (!(config.label_smoothing >= 0.0 && config.label_smoothing <= 1.0))
      fail(Status::invalid_argument, "{}: label_smoothing must be in [0, 1], got {}", name(),
           config.label_smoothing);
  }
  if (config.kind == LossKind::huber && !(std::isfinite(config.delta) && config.delta >= 0.0))
    fail(Status::invalid_argument, "huber_loss: delta must be finite and >= 0, got {}", config.delta);
}

std::string_view Loss::name() const {
  switch (config_.kind) {
    case LossKind::categorical_crossentropy: return "categorical_crossentropy";
    case LossKind::sparse_categorical_crossentropy: return "sparse_categorical_crossentropy";
    case LossKind::binary_crossentropy: return "binary_crossentropy";
    case LossKind::mean_squared_error: return "mean_squared_error";
    case LossKind::mean_absolute_error: return "mean_absolute_error";
    case LossKind::huber: return "huber_loss";
  }
  return "loss";
}

Tensor Loss::operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) const {
  const std::string what(name());
  require_defined(y_true, what.c_str(), "y_true");
  require_defined(y_pred, what.c_str(), "y_pred");
  Tensor yt = y_true, yp = y_pred;
  squeeze_trailing_one(yt, yp);
  const LossConfig& c = config_;
  Tensor losses, mask;
  switch (c.kind) {
    case LossKind::categorical_crossentropy:
      losses = categorical_crossentropy(yt, yp, c.from_logits, c.label_smoothing, c.axis);
      break;
    case LossKind::sparse_categorical_crossentropy: {
      SparseLosses s = sparse_categorical_crossentropy(yt, yp, c.from_logits, c.axis, c.ignore_class);
      losses = std::move(s.losses);
      mask = std::move(s.mask);
      break;
    }
    case LossKind::binary_crossentropy:
      losses = binary_crossentropy(yt, yp, c.from_logits, c.label_smoothing, c.axis);
      break;
    case LossKind::mean_squared_error: losses = mean_squared_error(yt, yp); break;
    case LossKind::mean_absolute_error: losses = mean_absolute_error(yt, yp); break;
    case LossKind::huber: losses = huber(yt, yp, c.delta); break;
  }
  const Reduction reduction = checked_reduction(c.reduction);
  const Tensor sw = mask.defined() ? apply_valid_mask(losses, sample_weight, mask, reduction, what.c_str())
                                   : sample_weight;
  return compute_weighted_loss(losses, sw, reduction, what);
}

}  // namespace tg
