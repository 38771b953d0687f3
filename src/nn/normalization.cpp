// SPDX-License-Identifier: Apache-2.0
#include "nn/normalization.h"

#include <algorithm>
#include <cmath>

#include "autodiff/ops.h"

namespace tg {
namespace {

// TensorFlow's fused batch norm raises epsilon to this (a cuDNN requirement kept on every
// device; tf.compat.v1.nn.fused_batch_norm).
constexpr double kFusedMinEpsilon = 1.001e-5;

// Keras's tf_utils.validate_axis: the axes resolved against the rank (negative from the end),
// in the order given; Keras's messages for a rank-0 input, an axis out of range, a repeat.
std::vector<int64_t> validate_axis(std::span<const int64_t> axis, const PartialShape& input_shape,
                                   const std::string& owner) {
  const auto rank = static_cast<int64_t>(input_shape.size());
  if (rank == 0)
    fail(Status::invalid_argument, "{}: Input has undefined rank. Received: input_shape={}", owner,
         partial_shape_str(input_shape));
  std::vector<int64_t> resolved;
  for (const int64_t a : axis) resolved.push_back(a < 0 ? a + rank : a);
  for (const int64_t a : resolved)
    if (a < 0 || a >= rank)
      fail(Status::invalid_argument, "{}: Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
           "inputs.rank={}). Received: axis={}", owner, rank, int_tuple_str(resolved));
  std::vector<int64_t> sorted = resolved;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    fail(Status::invalid_argument, "{}: Duplicate axis: {}", owner, int_tuple_str(resolved));
  return resolved;
}

void check_axis_count(const NormOptions& o, const std::string& owner) {
  if (o.axis.empty() || o.axis.size() > static_cast<size_t>(kMaxRank))
    fail(Status::invalid_argument, "{}: axis must list 1 to {} axes, got {}", owner, kMaxRank, o.axis.size());
  if (!(o.epsilon >= 0) || !std::isfinite(o.epsilon))
    fail(Status::invalid_argument, "{}: epsilon must be finite and >= 0, got {}", owner, o.epsilon);
}

// Keras's _raise_if_fused_cannot_be_used: an empty string if the fused path may be used.
std::string fused_obstacle(const NormOptions& o, DType dtype) {
  const bool axis_ok = o.axis.size() == 1 && (o.axis[0] == -4 || o.axis[0] == -3 || o.axis[0] == -1 ||
                                              o.axis[0] == 1 || o.axis[0] == 3 || o.axis[0] == 4);
  if (!axis_ok)
    return fmt::format("Passing `fused=True` is only supported when axis is 1 or 3 for input rank = 4 or 1 or 4 for "
                       "input rank = 5. Got axis {}", int_list_str(o.axis));
  if (dtype != DType::f32)
    return fmt::format("Passing `fused=True` is only supported when the compute dtype is float16, bfloat16, or "
                       "float32. Got dtype: {}", dtype_name(dtype));
  return "";
}

// Keras's moving-average updates, in the variable's dtype, in place (no op, so no tape sees
// them). fused: moving ← (1 − f)·moving + f·batch (FusedBatchNorm's exponential_avg_factor
// f = 1 − momentum); otherwise moving ← moving − (moving − batch)·(1 − momentum).
void update_moving_average(Variable& moving, const Tensor& batch, double momentum, bool fused) {
  visit_floating(moving.dtype(), "BatchNormalization", [&]<class T>() {
    T* m = static_cast<T*>(moving.mutable_buffer());
    const T* b = batch.data<T>();
    const T f = static_cast<T>(1.0 - momentum);
    const int64_t n = moving.shape().numel();
    if (fused) {
      const T keep = T(1) - f;
      for (int64_t i = 0; i < n; ++i) m[i] = keep * m[i] + f * b[i];
    } else {
      for (int64_t i = 0; i < n; ++i) m[i] = m[i] - (m[i] - b[i]) * f;
    }
  });
}

// The biased variance σ² from fused_batch_norm's Bessel-corrected one (σ²·n/(n − 1), n − 1
// at least 1), for the non-fused path's update.
Tensor biased_variance(const Tensor& corrected, int64_t n) {
  const double factor = n > 1 ? static_cast<double>(n - 1) / static_cast<double>(n) : 1.0;
  Tensor out = Tensor::empty(corrected.shape(), corrected.dtype());
  visit_floating(corrected.dtype(), "BatchNormalization", [&]<class T>() {
    const T* c = corrected.data<T>();
    T* o = out.mutable_data<T>();
    for (int64_t i = 0, m = corrected.numel(); i < m; ++i) o[i] = static_cast<T>(static_cast<double>(c[i]) * factor);
  });
  return out;
}

// The permutation that moves `axes` (increasing) to the end, keeping the others in order.
std::vector<int64_t> axes_last(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (!std::binary_search(axes.begin(), axes.end(), d)) perm.push_back(d);
  perm.insert(perm.end(), axes.begin(), axes.end());
  return perm;
}

bool is_identity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

std::vector<int64_t> inverse(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inv(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return inv;
}

}  // namespace

// ---- BatchNormalization --------------------------------------------------------------------

BatchNormalization::BatchNormalization(const LayerConfig& config) : Layer(config) {
  const NormOptions& o = config.norm;
  const std::string owner = fmt::format("{} '{}'", class_name(), name());
  check_axis_count(o, owner);
  if (!std::isfinite(o.momentum))
    fail(Status::invalid_argument, "{}: momentum must be finite, got {}", owner, o.momentum);
  if (o.fused == true) {
    const std::string obstacle = fused_obstacle(o, dtype());
    if (!obstacle.empty()) fail(Status::invalid_argument, "{}: {}", owner, obstacle);
  }
}

void BatchNormalization::build_weights(const PartialShape& input_shape) {
  const NormOptions& o = config().norm;
  const std::string owner = fmt::format("{} '{}'", class_name(), name());
  std::vector<int64_t> axes = validate_axis(o.axis, input_shape, owner);
  rank_ = static_cast<int64_t>(input_shape.size());
  // Keras's choice of the fused path: None becomes "the input has rank 4 or 5" when the axis
  // and dtype allow it; then only the channel axes of NCHW / NHWC (NCDHW / NDHWC) are fused.
  bool fused = o.fused.value_or(fused_obstacle(o, dtype()).empty());
  if (fused) {
    if (!o.fused.has_value()) fused = rank_ == 4 || rank_ == 5;
    else if (rank_ != 4 && rank_ != 5)
      fail(Status::invalid_argument, "{}: Batch normalization layers with `fused=True` only support 4D or 5D input "
           "tensors. Received tensor with shape: {}", owner, partial_shape_str(input_shape));
  }
  if (fused) {
    const int64_t a = axes[0];
    if (!(a == 1 || (rank_ == 4 && a == 3) || (rank_ == 5 && a == 4))) {
      if (rank_ == 5) fused = false;
      else
        fail(Status::invalid_argument, "{}: Unsupported axis. The use of `fused=True` is only possible with "
             "`axis=1` or `axis=3` for 4D input tensors. Received: axis={}", owner, int_tuple_str(axes));
    }
  }
  for (const int64_t a : axes)
    if (input_shape[static_cast<size_t>(a)] == kUnknownDim)
      fail(Status::invalid_argument, "{}: Input has undefined `axis` dimension. Received input with shape {} and "
           "axis={}", owner, partial_shape_str(input_shape), int_tuple_str(axes));
  std::sort(axes.begin(), axes.end());
  Shape broadcast;
  for (int64_t d = 0; d < rank_; ++d)
    broadcast.push_back(std::binary_search(axes.begin(), axes.end(), d) ? input_shape[static_cast<size_t>(d)] : 1);
  // Keras: (C) for one axis; the input's rank with 1 on the other axes for several.
  const Shape param = axes.size() == 1 ? Shape{broadcast[static_cast<int>(axes[0])]} : broadcast;
  if (o.scale) gamma_ = add_weight("gamma", o.gamma_initializer, param);
  if (o.center) beta_ = add_weight("beta", o.beta_initializer, param);
  moving_mean_ = add_weight("moving_mean", o.moving_mean_initializer, param, /*trainable=*/false);
  moving_variance_ = add_weight("moving_variance", o.moving_variance_initializer, param, /*trainable=*/false);
  axes_ = std::move(axes);
  fused_ = fused;
  epsilon_ = fused ? std::max(o.epsilon, kFusedMinEpsilon) : o.epsilon;
  broadcast_shape_ = broadcast;
}

Tensor BatchNormalization::call(const Tensor& x, bool training) {
  check_input_rank(x, static_cast<int>(rank_), /*at_least=*/false);
  for (const int64_t a : axes_)
    if (x.shape()[static_cast<int>(a)] != broadcast_shape_[static_cast<int>(a)])
      fail(Status::invalid_argument, "Input 0 of layer \"{}\" is incompatible with the layer: expected axis {} of "
           "input shape to have value {}, but received input with shape {}", name(), a,
           broadcast_shape_[static_cast<int>(a)], x.shape().str());
  // Keras's _get_training_value: a frozen layer runs in inference mode.
  return training && trainable() ? normalize_with_batch_statistics(x) : normalize_with_moving_statistics(x);
}

Tensor BatchNormalization::to_groups(const Tensor& x) const {
  if (groups_are_last_axis()) return x;
  const std::vector<int64_t> perm = axes_last(axes_, rank_);
  const Tensor moved = is_identity(perm) ? x : ops::transpose(x, perm);
  int64_t k = 1;
  for (const int64_t a : axes_) k *= x.shape()[static_cast<int>(a)];
  return ops::reshape(moved, Shape{k == 0 ? 0 : x.numel() / k, k});
}

Tensor BatchNormalization::from_groups(const Tensor& y, const Shape& x_shape) const {
  if (groups_are_last_axis()) return y;
  const std::vector<int64_t> perm = axes_last(axes_, rank_);
  Shape moved;
  for (const int64_t d : perm) moved.push_back(x_shape[static_cast<int>(d)]);
  const Tensor unflat = ops::reshape(y, moved);
  return is_identity(perm) ? unflat : ops::transpose(unflat, inverse(perm));
}

Tensor BatchNormalization::normalize_with_batch_statistics(const Tensor& x) {
  const Tensor groups = to_groups(x);  // (…, K)
  const int64_t k = groups.shape()[groups.rank() - 1];
  const Shape flat{k};
  const Tensor scale = gamma_ ? ops::reshape(gamma_->read(), flat) : Tensor::full(flat, dtype(), 1.0);
  const Tensor offset = beta_ ? ops::reshape(beta_->read(), flat) : Tensor::zeros(flat, dtype());
  const ops::FusedBatchNorm r = ops::fused_batch_norm(groups, scale, offset, epsilon_);
  const int64_t n = k == 0 ? 0 : groups.numel() / k;  // values per group
  if (n > 0) {
    const double momentum = config().norm.momentum;
    update_moving_average(*moving_mean_, r.batch_mean, momentum, fused_);
    update_moving_average(*moving_variance_, fused_ ? r.batch_variance : biased_variance(r.batch_variance, n), momentum,
                          fused_);
  }
  return from_groups(r.y, x.shape());
}

Tensor BatchNormalization::normalize_with_moving_statistics(const Tensor& x) {
  // Parameters of shape (C) broadcast against x only when C is the last axis.
  const auto param = [&](const std::shared_ptr<Variable>& v) -> Tensor {
    if (!v) return Tensor();
    const Tensor t = v->read();
    return groups_are_last_axis() || t.shape() == broadcast_shape_ ? t : ops::reshape(t, broadcast_shape_);
  };
  return ops::batch_normalization(x, param(moving_mean_), param(moving_variance_), param(beta_), param(gamma_),
                                  epsilon_);
}

// ---- LayerNormalization --------------------------------------------------------------------

LayerNormalization::LayerNormalization(const LayerConfig& config) : Layer(config) {
  check_axis_count(config.norm, fmt::format("{} '{}'", class_name(), name()));
}

void LayerNormalization::build_weights(const PartialShape& input_shape) {
  const NormOptions& o = config().norm;
  const std::string owner = fmt::format("{} '{}'", class_name(), name());
  const std::vector<int64_t> axes = validate_axis(o.axis, input_shape, owner);
  Shape param;  // Keras's param_shape: the normalized dims in the order of `axis`
  for (const int64_t a : axes) {
    const int64_t d = input_shape[static_cast<size_t>(a)];
    if (d == kUnknownDim)
      fail(Status::invalid_argument, "{}: the normalized dimensions must be known; axis {} of the input shape {} is "
           "None", owner, a, partial_shape_str(input_shape));
    param.push_back(d);
  }
  if (o.scale) gamma_ = add_weight("gamma", o.gamma_initializer, param);
  if (o.center) beta_ = add_weight("beta", o.beta_initializer, param);
  axes_ = axes;
  std::sort(axes_.begin(), axes_.end());
  sorted_param_shape_ = Shape{};
  for (const int64_t a : axes_) sorted_param_shape_.push_back(input_shape[static_cast<size_t>(a)]);
  rank_ = static_cast<int64_t>(input_shape.size());
}

Tensor LayerNormalization::call(const Tensor& x, bool) {
  check_input_rank(x, static_cast<int>(rank_), /*at_least=*/false);
  // Keras reshapes gamma and beta (the order of `axis`) to the input's broadcast shape (increasing
  // axis order): the same values, in the same memory order, that the op takes.
  const auto param = [&](const std::shared_ptr<Variable>& v) -> Tensor {
    if (!v) return Tensor();
    const Tensor t = v->read();
    return t.shape() == sorted_param_shape_ ? t : ops::reshape(t, sorted_param_shape_);
  };
  return ops::layer_normalization(x, param(gamma_), param(beta_), axes_, config().norm.epsilon);
}

}  // namespace tg
