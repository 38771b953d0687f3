// SPDX-License-Identifier: Apache-2.0
// Fused nn ops: forward kernel and gradient rule side by side.
// why fused: the loss needs logsumexp and the logits in one pass to stay finite for large
// logits, and the gradient is the short softmax − labels form (TensorFlow's XENT kernels).
// Legend: z = logits, y = labels; B… = batch dims, C = classes (the softmax axis).
#include <iterator>
#include <string>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/reduce_kernels.h"

namespace tg::ops {
namespace {

// logits' shape with the class axis kept as 1, for broadcasting the per-example gradient.
Shape keep_axis_shape(const Shape& s, int64_t axis) {
  Shape k = s;
  k.set(static_cast<int>(axis), 1);
  return k;
}

// ---- softmax_cross_entropy_with_logits(y, z); Attrs::axis is normalised ----
Tensor xent_forward(std::span<const Tensor> in, const Attrs& at) {
  const Tensor& y = in[0];
  const Tensor& z = in[1];
  if (!is_floating(z.dtype()) || y.dtype() != z.dtype())
    fail(Status::invalid_argument,
         "softmax_cross_entropy_with_logits: labels and logits must have one floating dtype, got "
         "labels {} {} and logits {} {}",
         dtype_name(y.dtype()), y.shape().str(), dtype_name(z.dtype()), z.shape().str());
  if (y.shape() != z.shape())
    fail(Status::invalid_argument,
         "softmax_cross_entropy_with_logits: logits and labels must have the same shape, got "
         "logits_size={} labels_size={}",
         z.shape().str(), y.shape().str());
  return softmax_xent_kernel(y, z, static_cast<int>(at.axis));
}
// TensorFlow: d/dz = g · (softmax(z) − y) (its kernel's backprop), d/dy = −g · log_softmax(z).
// Written with ops, so the second derivative (softmax's Jacobian; −g for the z–y cross term)
// comes from their own rules.
void xent_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.inputs[0];
  const Tensor& z = c.inputs[1];
  const int64_t axis = c.attrs.axis;
  const Tensor gk = reshape(c.grad, keep_axis_shape(z.shape(), axis));  // (…, 1, …)
  if (c.needed[1]) g[1] = mul(gk, sub(softmax(z, axis), y));
  if (c.needed[0]) g[0] = mul(gk, neg(log_softmax(z, axis)));
}
const OpDef kXent{.name = "softmax_cross_entropy_with_logits", .arity = 2,
                  .forward = xent_forward, .backward = xent_backward, .saves_inputs = true};

// ---- sparse_softmax_cross_entropy_with_logits(labels, z) ----
// Label values are checked here, on the CPU, as TensorFlow's CPU kernel does.
template <class L>
void check_labels(const Tensor& labels, int64_t classes) {
  const L* p = labels.data<L>();
  const int64_t n = labels.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] >= 0 && p[i] < classes) continue;
    constexpr int64_t kShown = 64;  // TensorFlow lists every label; a long batch is cut here
    std::string listed;
    for (int64_t j = 0; j < n && j < kShown; ++j) fmt::format_to(std::back_inserter(listed), " {}", p[j]);
    if (n > kShown) listed += " ...";
    fail(Status::invalid_argument,
         "sparse_softmax_cross_entropy_with_logits: Received a label value of {} which is outside "
         "the valid range of [0, {}).  Label values:{}",
         p[i], classes, listed);
  }
}

Tensor sparse_xent_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& labels = in[0];
  const Tensor& z = in[1];
  constexpr const char* op = "sparse_softmax_cross_entropy_with_logits";
  if (labels.dtype() != DType::i32 && labels.dtype() != DType::i64)
    fail(Status::invalid_argument, "{}: labels must be int32 or int64, got {} {}", op,
         dtype_name(labels.dtype()), labels.shape().str());
  if (!is_floating(z.dtype()))
    fail(Status::invalid_argument, "{}: logits must be float32 or float64, got {} {}", op,
         dtype_name(z.dtype()), z.shape().str());
  if (z.rank() == 0)
    fail(Status::invalid_argument, "{}: Logits cannot be scalars - received shape {}", op, z.shape().str());
  if (labels.rank() != z.rank() - 1)
    fail(Status::invalid_argument,
         "{}: Rank mismatch: Rank of labels (received {}) should equal rank of logits minus 1 "
         "(received {}); labels {}, logits {}",
         op, labels.rank(), z.rank(), labels.shape().str(), z.shape().str());
  for (int d = 0; d < labels.rank(); ++d)
    if (labels.shape()[d] != z.shape()[d])
      fail(Status::invalid_argument,
           "{}: Shape mismatch: The shape of labels (received {}) should equal the shape of logits "
           "except for the last dimension (received {})",
           op, labels.shape().str(), z.shape().str());
  const int64_t classes = z.shape()[z.rank() - 1];
  if (classes == 0)
    fail(Status::invalid_argument, "{}: Must have at least one class, but got logits shape {}", op,
         z.shape().str());
  if (labels.dtype() == DType::i32) check_labels<int32_t>(labels, classes);
  else check_labels<int64_t>(labels, classes);
  return sparse_softmax_xent_kernel(labels, z);
}
// d/dz = g · (softmax(z) − one_hot(labels)); the one-hot is a constant of the labels.
void sparse_xent_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& labels = c.inputs[0];
  const Tensor& z = c.inputs[1];
  const int64_t classes = z.shape()[z.rank() - 1];
  const Tensor gk = reshape(c.grad, keep_axis_shape(z.shape(), z.rank() - 1));  // (B…, 1)
  g[1] = mul(gk, sub(softmax(z, -1), one_hot_labels_kernel(labels, classes, z.dtype())));
}
const OpDef kSparseXent{.name = "sparse_softmax_cross_entropy_with_logits", .arity = 2,
                        .forward = sparse_xent_forward, .backward = sparse_xent_backward,
                        .differentiable_inputs = 0b10, .saves_inputs = true};

constexpr const OpDef* kOps[] = {&kXent, &kSparseXent};

}  // namespace

std::span<const OpDef* const> nn_ops() { return kOps; }

Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits, int64_t axis) {
  Attrs at;
  at.axis = normalize_axis(axis, logits.rank(), "softmax_cross_entropy_with_logits");
  return apply(kXent, {labels, logits}, at);
}

Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits) {
  return apply(kSparseXent, {labels, logits});
}

}  // namespace tg::ops
