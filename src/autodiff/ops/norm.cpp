// SPDX-License-Identifier: Apache-2.0
// Normalization ops: layout checks, forward kernel calls and gradient rules side by side.
//
// Ops in the registry (Attrs: axis = the split axis, normalised; flag = per_row; alpha = ε):
//   fused_batch_norm             (x, scale, offset)  y = scale·x̂ + offset
//       grad: x: grad_input(g, x, scale); scale: grad_scale(g, x); offset: Σ g per group
//   fused_batch_norm_grad_input  (g, x, scale)       dx = scale·G(g), G(u) = s·(u − ū − x̂·mean(u·x̂))
//   fused_batch_norm_grad_scale  (g, x)              Σ g·x̂ per group
// G is the transposed Jacobian of x̂(x), symmetric in its argument, so (per group, n values,
// upstream h):
//   grad_input:  d/dg = scale·G(h); d/dscale = Σ h·G(g);
//                d/dx = scale·(−(s²/n)·(Σ(h − h̄)·g − P·Q/n)·x̂ − (s/n)·(P·G(g) + Q·G(h)))
//                with P = Σ h·x̂, Q = Σ g·x̂ (from x̂ = (x − μ)·s and ∂s/∂x = −s²·x̂/n)
//   grad_scale:  d/dg = q·x̂; d/dx = q·G(g)  (q: upstream, one value per group)
// All of these are written with the three ops and differentiable primitives, so derivatives
// of every order follow.
#include "autodiff/ops/norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "autodiff/tape.h"
#include "tensor/norm_kernels.h"

namespace tg::ops {
namespace {

// How x's shape splits into groups (see norm_kernels.h).
struct Layout {
  NormGroups groups;
  Shape group_shape;                 // one value per group
  Shape keep_shape;                  // group_shape with 1s for the reduced dims (broadcasts)
  std::vector<int64_t> reduce_axes;  // the dims each group's statistics run over
  int64_t n = 0;                     // values per group
};

Layout layout_of(const Shape& x, const Attrs& at) {
  const int a = static_cast<int>(at.axis);
  Layout l;
  l.groups.per_row = at.flag;
  l.groups.rows = 1;
  l.groups.cols = 1;
  for (int d = 0; d < x.rank(); ++d) {
    const bool before = d < a;
    (before ? l.groups.rows : l.groups.cols) *= x[d];
    const bool grouped = before == at.flag;  // per row: the dims before a name the group
    if (grouped) l.group_shape.push_back(x[d]);
    else l.reduce_axes.push_back(d);
    l.keep_shape.push_back(grouped ? x[d] : 1);
  }
  l.n = l.groups.count();
  return l;
}

void check_floating(const char* op, const char* what, const Tensor& t) {
  if (!is_floating(t.dtype()))
    fail(Status::invalid_argument, "{}: {} must be float32 or float64, got {} {}", op, what,
         dtype_name(t.dtype()), t.shape().str());
}

void check_like(const char* op, const char* what, const Tensor& t, DType dtype, const Shape& shape,
                const Tensor& x) {
  if (!t.defined()) fail(Status::invalid_argument, "{}: {} is required", op, what);
  if (t.dtype() != dtype || t.shape() != shape)
    fail(Status::invalid_argument, "{}: {} must be {} {} for x {} {}, got {} {}", op, what,
         dtype_name(dtype), shape.str(), dtype_name(x.dtype()), x.shape().str(),
         dtype_name(t.dtype()), t.shape().str());
}

Attrs norm_attrs(const char* op, const Tensor& x, const NormSpec& spec) {
  if (x.rank() == 0) fail(Status::invalid_argument, "{}: x must have rank >= 1, got a scalar", op);
  if (!(spec.epsilon >= 0) || !std::isfinite(spec.epsilon))
    fail(Status::invalid_argument, "{}: epsilon must be finite and >= 0, got {}", op, spec.epsilon);
  Attrs at;
  at.axis = normalize_axis(spec.axis, x.rank(), op);
  at.flag = spec.per_row;
  at.alpha = spec.epsilon;
  return at;
}

// Checks x, scale and offset of fused_batch_norm; returns the layout.
Layout check_normalize(const char* op, const Tensor& x, const Tensor& scale, const Tensor& offset,
                       const Attrs& at) {
  check_floating(op, "x", x);
  const Layout l = layout_of(x.shape(), at);
  check_like(op, "scale", scale, x.dtype(), l.group_shape, x);
  check_like(op, "offset", offset, x.dtype(), l.group_shape, x);
  return l;
}

Tensor keep(const Tensor& t, const Layout& l) { return reshape(t, l.keep_shape); }
// Σ over each group's values, one value per group. (No reduced dims: each group is a single
// value, and an empty axis list would mean "all axes" to reduce_sum.)
Tensor group_sum(const Tensor& t, const Layout& l) {
  return l.reduce_axes.empty() ? identity(t) : reduce_sum(t, l.reduce_axes);
}
// σ² of each group, in keep_shape.
Tensor group_variance(const Tensor& x, const Layout& l) {
  return l.reduce_axes.empty() ? zeros_like(x) : reduce_variance(x, l.reduce_axes, true);
}

Tensor normalize_op(const Tensor& x, const Tensor& scale, const Tensor& offset, const Attrs& at);
Tensor grad_input_op(const Tensor& g, const Tensor& x, const Tensor& scale, const Attrs& at);
Tensor grad_scale_op(const Tensor& g, const Tensor& x, const Attrs& at);

// ---- fused_batch_norm(x, scale, offset) ----
Tensor normalize_forward(std::span<const Tensor> in, const Attrs& at) {
  const Layout l = check_normalize("fused_batch_norm", in[0], in[1], in[2], at);
  return normalize_kernel(in[0], in[1], in[2], l.groups, at.alpha);
}
void normalize_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  if (c.needed[0]) g[0] = grad_input_op(c.grad, x, c.inputs[1], c.attrs);
  if (c.needed[1]) g[1] = grad_scale_op(c.grad, x, c.attrs);
  if (c.needed[2]) g[2] = group_sum(c.grad, layout_of(x.shape(), c.attrs));
}
const OpDef kNormalize{.name = "fused_batch_norm", .arity = 3, .forward = normalize_forward,
                       .backward = normalize_backward, .saves_inputs = true};

// ---- fused_batch_norm_grad_input(g, x, scale) ----
Tensor grad_input_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "fused_batch_norm_grad_input";
  const Tensor& x = in[1];
  check_floating(op, "x", x);
  const Layout l = layout_of(x.shape(), at);
  check_like(op, "the gradient", in[0], x.dtype(), x.shape(), x);
  check_like(op, "scale", in[2], x.dtype(), l.group_shape, x);
  return normalize_grad_kernel(in[0], x, in[2], l.groups, at.alpha);
}
void grad_input_backward(const GradContext& c, std::span<Tensor> grads) {
  const Tensor& g = c.inputs[0];
  const Tensor& x = c.inputs[1];
  const Tensor& scale = c.inputs[2];
  const Tensor& h = c.grad;
  const Layout l = layout_of(x.shape(), c.attrs);
  const Tensor ones = ones_like(scale);
  if (c.needed[0]) grads[0] = grad_input_op(h, x, scale, c.attrs);
  if (c.needed[2]) grads[2] = group_sum(mul(h, grad_input_op(g, x, ones, c.attrs)), l);
  if (!c.needed[1]) return;
  const Tensor n = scalar_like(x, static_cast<double>(l.n));
  const Tensor x_hat = normalize_op(x, ones, zeros_like(scale), c.attrs);
  const Tensor p = keep(grad_scale_op(h, x, c.attrs), l);  // Σ h·x̂
  const Tensor q = keep(grad_scale_op(g, x, c.attrs), l);  // Σ g·x̂
  // Σ (h − h̄)·g = Σ h·g − Σh·Σg/n
  const Tensor centered = sub(keep(group_sum(mul(h, g), l), l),
                              div(mul(keep(group_sum(h, l), l), keep(group_sum(g, l), l)), n));
  const Tensor s = rsqrt(add(group_variance(x, l), scalar_like(x, c.attrs.alpha)));
  const Tensor term1 = mul(neg(div(square(s), n)), mul(sub(centered, div(mul(p, q), n)), x_hat));
  const Tensor term2 = mul(neg(div(s, n)), add(mul(p, grad_input_op(g, x, ones, c.attrs)),
                                               mul(q, grad_input_op(h, x, ones, c.attrs))));
  grads[1] = mul(keep(scale, l), add(term1, term2));
}
const OpDef kGradInput{.name = "fused_batch_norm_grad_input", .arity = 3,
                       .forward = grad_input_forward, .backward = grad_input_backward,
                       .saves_inputs = true};

// ---- fused_batch_norm_grad_scale(g, x) ----
Tensor grad_scale_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "fused_batch_norm_grad_scale";
  const Tensor& x = in[1];
  check_floating(op, "x", x);
  check_like(op, "the gradient", in[0], x.dtype(), x.shape(), x);
  const Layout l = layout_of(x.shape(), at);
  return normalize_scale_grad_kernel(in[0], x, l.groups, at.alpha, l.group_shape);
}
void grad_scale_backward(const GradContext& c, std::span<Tensor> grads) {
  const Tensor& g = c.inputs[0];
  const Tensor& x = c.inputs[1];
  const Layout l = layout_of(x.shape(), c.attrs);
  if (c.needed[0]) {
    const Tensor ones = ones_like(c.grad);
    grads[0] = mul(keep(c.grad, l), normalize_op(x, ones, zeros_like(c.grad), c.attrs));
  }
  if (c.needed[1]) grads[1] = grad_input_op(g, x, c.grad, c.attrs);
}
const OpDef kGradScale{.name = "fused_batch_norm_grad_scale", .arity = 2,
                       .forward = grad_scale_forward, .backward = grad_scale_backward,
                       .saves_inputs = true};

Tensor normalize_op(const Tensor& x, const Tensor& scale, const Tensor& offset, const Attrs& at) {
  return apply(kNormalize, {x, scale, offset}, at);
}
Tensor grad_input_op(const Tensor& g, const Tensor& x, const Tensor& scale, const Attrs& at) {
  return apply(kGradInput, {g, x, scale}, at);
}
Tensor grad_scale_op(const Tensor& g, const Tensor& x, const Attrs& at) {
  return apply(kGradScale, {g, x}, at);
}

constexpr const OpDef* kOps[] = {&kNormalize, &kGradInput, &kGradScale};

}  // namespace

std::span<const OpDef* const> norm_ops() { return kOps; }

FusedBatchNorm fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                double epsilon) {
  constexpr const char* op = "fused_batch_norm";
  const Attrs at = norm_attrs(op, x, NormSpec{-1, false, epsilon});
  const Layout l = check_normalize(op, x, scale, offset, at);
  FusedBatchNorm r;
  // why not apply(): the kernel also returns the statistics, and the op records only y.
  r.y = normalize_kernel(x, scale, offset, l.groups, epsilon, &r.batch_mean, &r.batch_variance);
  const Tensor inputs[] = {x, scale, offset};
  record_operation(kNormalize, at, inputs, r.y);
  const double correction = static_cast<double>(l.n) / static_cast<double>(std::max<int64_t>(l.n - 1, 1));
  visit_floating(x.dtype(), op, [&]<class T>() {
    T* v = r.batch_variance.mutable_data<T>();
    for (int64_t i = 0, m = r.batch_variance.numel(); i < m; ++i) v[i] = static_cast<T>(v[i] * correction);
  });
  return r;
}

Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const Tensor& offset, const Tensor& scale, double epsilon) {
  constexpr const char* op = "batch_normalization";
  check_floating(op, "x", x);
  if (!(epsilon >= 0) || !std::isfinite(epsilon))
    fail(Status::invalid_argument, "{}: epsilon must be finite and >= 0, got {}", op, epsilon);
  for (const auto& [t, what] : {std::pair{&mean, "mean"}, std::pair{&variance, "variance"},
                                std::pair{&offset, "offset"}, std::pair{&scale, "scale"}}) {
    if (!t->defined()) {
      if (t == &mean || t == &variance) fail(Status::invalid_argument, "{}: {} is required", op, what);
      continue;
    }
    if (t->dtype() != x.dtype())
      fail(Status::invalid_argument, "{}: {} must be {} like x, got {} {}", op, what,
           dtype_name(x.dtype()), dtype_name(t->dtype()), t->shape().str());
    if (broadcast_shapes(x.shape(), t->shape(), op) != x.shape())
      fail(Status::invalid_argument, "{}: {} of shape {} does not broadcast to x's shape {}", op,
           what, t->shape().str(), x.shape().str());
  }
  Tensor inv = rsqrt(add(variance, scalar_like(x, epsilon)));
  if (scale) inv = mul(inv, scale);
  const Tensor shift = offset ? sub(offset, mul(mean, inv)) : neg(mul(mean, inv));
  return add(mul(x, inv), shift);
}

Tensor layer_normalization(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           std::span<const int64_t> axes, double epsilon) {
  constexpr const char* op = "layer_normalization";
  check_floating(op, "x", x);
  const int rank = x.rank();
  if (axes.empty()) fail(Status::invalid_argument, "{}: no axes to normalize over", op);
  std::vector<int64_t> sorted;
  for (int64_t a : axes) sorted.push_back(normalize_axis(a, rank, op));
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    fail(Status::invalid_argument, "{}: duplicate axis in the normalization axes", op);
  Shape param;  // Keras's param_shape: the normalized dims in increasing axis order
  for (int64_t a : sorted) param.push_back(x.shape()[static_cast<int>(a)]);
  for (const auto& [t, what] : {std::pair{&gamma, "gamma"}, std::pair{&beta, "beta"}})
    if (t->defined()) check_like(op, what, *t, x.dtype(), param, x);
  // Move the normalized axes to the end (a no-op when they already are the trailing ones).
  std::vector<int64_t> perm;
  for (int d = 0; d < rank; ++d)
    if (!std::binary_search(sorted.begin(), sorted.end(), d)) perm.push_back(d);
  const int64_t split = static_cast<int64_t>(perm.size());
  perm.insert(perm.end(), sorted.begin(), sorted.end());
  bool moved = false;
  for (int d = 0; d < rank; ++d) moved = moved || perm[static_cast<size_t>(d)] != d;
  const Tensor xt = moved ? transpose(x, perm) : x;
  const Attrs at = norm_attrs(op, xt, NormSpec{split, true, epsilon});
  const Shape group_shape = layout_of(xt.shape(), at).group_shape;
  Tensor y = apply(kNormalize, {xt, Tensor::full(group_shape, x.dtype(), 1.0),
                                Tensor::zeros(group_shape, x.dtype())}, at);
  if (gamma) y = mul(y, gamma);
  if (beta) y = add(y, beta);
  if (!moved) return y;
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
  return transpose(y, inverse);
}

Tensor fused_normalize(const Tensor& x, const Tensor& scale, const Tensor& offset,
                       const NormSpec& spec) {
  return normalize_op(x, scale, offset, norm_attrs("fused_batch_norm", x, spec));
}

Tensor fused_batch_norm_grad_input(const Tensor& g, const Tensor& x, const Tensor& scale,
                                   const NormSpec& spec) {
  return grad_input_op(g, x, scale, norm_attrs("fused_batch_norm_grad_input", x, spec));
}

Tensor fused_batch_norm_grad_scale(const Tensor& g, const Tensor& x, const NormSpec& spec) {
  return grad_scale_op(g, x, norm_attrs("fused_batch_norm_grad_scale", x, spec));
}

}  // namespace tg::ops
