// SPDX-License-Identifier: Apache-2.0
// Movement and type ops: reshape, transpose, broadcast_to, cast.
#include <algorithm>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/kernels.h"

namespace tg::ops {
namespace {

// ---- reshape: shares storage; Attrs::shape is the resolved target shape ----
Tensor reshape_forward(std::span<const Tensor> in, const Attrs& at) {
  return Tensor::from_storage(in[0].storage(), at.shape, in[0].dtype());
}
void reshape_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = reshape(c.grad, c.input_meta[0].shape);
}
const OpDef kReshape{.name = "reshape", .arity = 1, .forward = reshape_forward,
                     .backward = reshape_backward};

// ---- transpose: Attrs::ints is the permutation ----
Tensor transpose_forward(std::span<const Tensor> in, const Attrs& at) {
  const std::vector<int> perm(at.ints.begin(), at.ints.end());
  return transpose_kernel(in[0], perm);
}
void transpose_backward(const GradContext& c, std::span<Tensor> g) {
  std::vector<int64_t> inverse(c.attrs.ints.size());
  for (size_t i = 0; i < inverse.size(); ++i) inverse[static_cast<size_t>(c.attrs.ints[i])] = static_cast<int64_t>(i);
  g[0] = transpose(c.grad, inverse);
}
const OpDef kTranspose{.name = "transpose", .arity = 1, .forward = transpose_forward,
                       .backward = transpose_backward};

// ---- broadcast_to: Attrs::shape is the target ----
Tensor broadcast_to_forward(std::span<const Tensor> in, const Attrs& at) {
  if (broadcast_shapes(in[0].shape(), at.shape, "broadcast_to") != at.shape)
    fail(Status::invalid_argument, "broadcast_to: cannot broadcast {} to {}", in[0].shape().str(),
         at.shape.str());
  if (in[0].shape() == at.shape) return Tensor::from_storage(in[0].storage(), at.shape, in[0].dtype());
  return broadcast_to_kernel(in[0], at.shape);
}
void broadcast_to_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = sum_to_shape(c.grad, c.input_meta[0].shape);
}
const OpDef kBroadcastTo{.name = "broadcast_to", .arity = 1, .forward = broadcast_to_forward,
                         .backward = broadcast_to_backward};

// ---- cast: Attrs::dtype is the target; gradients flow only between floating dtypes ----
Tensor cast_forward(std::span<const Tensor> in, const Attrs& at) {
  if (in[0].dtype() == at.dtype) return Tensor::from_storage(in[0].storage(), in[0].shape(), at.dtype);
  return cast_kernel(in[0], at.dtype);
}
void cast_backward(const GradContext& c, std::span<Tensor> g) {
  const DType from = c.input_meta[0].dtype;
  if (is_floating(from) && is_floating(c.grad.dtype())) g[0] = cast(c.grad, from);
}
const OpDef kCast{.name = "cast", .arity = 1, .forward = cast_forward, .backward = cast_backward};

constexpr const OpDef* kOps[] = {&kReshape, &kTranspose, &kBroadcastTo, &kCast};

}  // namespace

std::span<const OpDef* const> movement_ops() { return kOps; }

Tensor reshape(const Tensor& x, std::span<const int64_t> dims) {
  if (dims.size() > static_cast<size_t>(kMaxRank))
    fail(Status::invalid_argument, "reshape: rank {} exceeds the maximum rank {}", dims.size(), kMaxRank);
  Shape shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      if (infer >= 0) fail(Status::invalid_argument, "reshape: more than one -1 dimension");
      infer = static_cast<int>(i);
      shape.push_back(1, "reshape");
    } else if (dims[i] < 0) {
      fail(Status::invalid_argument, "reshape: invalid dimension {}", dims[i]);
    } else {
      shape.push_back(dims[i], "reshape");
      known *= dims[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0)
      fail(Status::invalid_argument, "reshape: cannot reshape {} ({} elements) with a -1 into {} elements per slice",
           x.shape().str(), x.numel(), known);
    shape.set(infer, x.numel() / known, "reshape");
  }
  return reshape(x, shape);
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  if (shape.numel() != x.numel())
    fail(Status::invalid_argument, "reshape: cannot reshape {} ({} elements) to {} ({} elements)",
         x.shape().str(), x.numel(), shape.str(), shape.numel());
  if (shape == x.shape()) return x;
  Attrs at;
  at.shape = shape;
  return apply(kReshape, {x}, at);
}

Tensor transpose(const Tensor& x, std::span<const int64_t> perm) {
  Attrs at;
  const int rank = x.rank();
  if (perm.empty()) {
    for (int i = rank - 1; i >= 0; --i) at.ints.push_back(i);
  } else {
    if (static_cast<int>(perm.size()) != rank)
      fail(Status::invalid_argument, "transpose: permutation of length {} for a tensor of shape {}",
           perm.size(), x.shape().str());
    std::vector<bool> seen(static_cast<size_t>(rank), false);
    for (int64_t p : perm) {
      const int a = normalize_axis(p, rank, "transpose");
      if (seen[static_cast<size_t>(a)])
        fail(Status::invalid_argument, "transpose: axis {} appears twice in the permutation", p);
      seen[static_cast<size_t>(a)] = true;
      at.ints.push_back(a);
    }
  }
  return apply(kTranspose, {x}, at);
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  Attrs at;
  at.shape = shape;
  return apply(kBroadcastTo, {x}, at);
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Attrs at;
  at.dtype = dtype;
  return apply(kCast, {x}, at);
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int lead = g.rank() - shape.rank();
  std::vector<int64_t> axes;
  for (int i = 0; i < g.rank(); ++i)
    if (i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1)) axes.push_back(i);
  const Tensor summed = axes.empty() ? g : reduce_sum(g, axes, true);
  return reshape(summed, shape);
}

Tensor ones_like(const Tensor& x) { return Tensor::full(x.shape(), x.dtype(), 1.0); }
Tensor zeros_like(const Tensor& x) { return Tensor::zeros(x.shape(), x.dtype()); }
Tensor scalar_like(const Tensor& x, double value) { return Tensor::scalar(value, x.dtype()); }

}  // namespace tg::ops
