// SPDX-License-Identifier: Apache-2.0
// Reductions, arg-reductions and softmax. Attrs::ints holds the normalised, sorted reduction
// axes; Attrs::axis the normalised axis of softmax and argmax.
// Legend: s = input shape; keep = s with the reduced axes set to 1; O, n, I = the dims before,
// inside and after a reduced block (prod_others works on x viewed as (O, n, I)).
#include <algorithm>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/elementwise.h"
#include "tensor/kernels.h"
#include "tensor/reduce_kernels.h"

namespace tg::ops {
namespace {

// Normalises, sorts and checks axes; empty means all axes.
std::vector<int64_t> normalize_axes(std::span<const int64_t> axes, int rank, const char* op) {
  std::vector<int64_t> out;
  if (axes.empty()) {
    for (int d = 0; d < rank; ++d) out.push_back(d);
    return out;
  }
  for (int64_t a : axes) out.push_back(normalize_axis(a, rank, op));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    fail(Status::invalid_argument, "{}: duplicate axis in the reduction axes", op);
  return out;
}

std::vector<int> as_int(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

int64_t reduced_count(const Shape& s, const std::vector<int64_t>& axes) {
  int64_t n = 1;
  for (int64_t a : axes) n *= s[static_cast<int>(a)];
  return n;
}

// The shape the output would have with keepdims (reduced axes kept as 1).
Shape keepdims_shape(const Shape& s, const std::vector<int64_t>& axes) {
  Shape k = s;
  for (int64_t a : axes) k.set(static_cast<int>(a), 1);
  return k;
}

// Spreads an incoming reduction gradient back over the input shape.
Tensor spread(const Tensor& g, const Shape& input, const std::vector<int64_t>& axes) {
  return broadcast_to(reshape(g, keepdims_shape(input, axes)), input);
}

// ---- reduce_sum ----
Tensor sum_forward(std::span<const Tensor> in, const Attrs& at) {
  return reduce_kernel(in[0], as_int(at.ints), at.keepdims, ReduceKind::sum);
}
void sum_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = spread(c.grad, c.input_meta[0].shape, c.attrs.ints);
}
const OpDef kSum{.name = "reduce_sum", .arity = 1, .forward = sum_forward, .backward = sum_backward};

// ---- reduce_mean ----
Tensor mean_forward(std::span<const Tensor> in, const Attrs& at) {
  Tensor s = reduce_kernel(in[0], as_int(at.ints), at.keepdims, ReduceKind::sum);
  const int64_t n = reduced_count(in[0].shape(), at.ints);
  if (n == 0 && !is_floating(s.dtype()))
    fail(Status::invalid_argument, "reduce_mean: mean of zero {} elements of {} is undefined",
         dtype_name(s.dtype()), in[0].shape().str());
  visit_numeric(s.dtype(), "reduce_mean", [&]<class T>() {
    T* p = s.mutable_data<T>();
    for (int64_t i = 0, m = s.numel(); i < m; ++i) p[i] = static_cast<T>(p[i] / static_cast<T>(n));
  });
  return s;
}
void mean_backward(const GradContext& c, std::span<Tensor> g) {
  const Shape& in = c.input_meta[0].shape;
  const Tensor spread_grad = spread(c.grad, in, c.attrs.ints);
  g[0] = div(spread_grad, scalar_like(spread_grad, static_cast<double>(reduced_count(in, c.attrs.ints))));
}
const OpDef kMean{.name = "reduce_mean", .arity = 1, .forward = mean_forward,
                  .backward = mean_backward};

// ---- softmax: dx = y · (g − Σ g·y) ----
Tensor softmax_forward(std::span<const Tensor> in, const Attrs& at) {
  return softmax_kernel(in[0], normalize_axis(at.axis, in[0].rank(), "softmax"), false);
}
void softmax_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.output;
  const int64_t axis = c.attrs.axis;
  g[0] = mul(y, sub(c.grad, reduce_sum(mul(c.grad, y), {&axis, 1}, true)));
}
const OpDef kSoftmax{.name = "softmax", .arity = 1, .forward = softmax_forward,
                     .backward = softmax_backward, .saves_output = true};

// ---- log_softmax: dx = g − softmax(x) · Σ g ----
Tensor log_softmax_forward(std::span<const Tensor> in, const Attrs& at) {
  return softmax_kernel(in[0], normalize_axis(at.axis, in[0].rank(), "log_softmax"), true);
}
void log_softmax_backward(const GradContext& c, std::span<Tensor> g) {
  const int64_t axis = c.attrs.axis;
  g[0] = sub(c.grad, mul(exp(c.output), reduce_sum(c.grad, {&axis, 1}, true)));
}
const OpDef kLogSoftmax{.name = "log_softmax", .arity = 1, .forward = log_softmax_forward,
                        .backward = log_softmax_backward, .saves_output = true};

void require_numeric(const Tensor& x, const char* op) {
  if (x.dtype() == DType::boolean)
    fail(Status::invalid_argument, "{}: expected a numeric dtype, got bool {}", op, x.shape().str());
}

void require_floating(const Tensor& x, const char* op) {
  if (!is_floating(x.dtype()))
    fail(Status::invalid_argument, "{}: expected a floating dtype (float32 or float64), got {} {}",
         op, dtype_name(x.dtype()), x.shape().str());
}

// ---- reduce_max / reduce_min: dx = g · [x == y] / count (TensorFlow's _MinOrMaxGrad) ----
// The weights [x == y] / count are piecewise constant in x (derivative 0), so they are built
// as a plain tensor, not recorded: the gradient is one recorded mul, linear in g.
Tensor extremum_weights(const Tensor& x, const Tensor& y, const std::vector<int64_t>& axes) {
  const Tensor y_keep = Tensor::from_storage(y.storage(), keepdims_shape(x.shape(), axes), y.dtype());
  return visit_floating(x.dtype(), "reduce_max", [&]<class T>() {
    const Tensor mask = binary_map<T, T, T>(x, y_keep, x.shape(), [](T a, T b) { return a == b ? T(1) : T(0); });
    const Tensor count = reduce_kernel(mask, as_int(axes), true, ReduceKind::sum);
    return binary_map<T, T, T>(mask, count, x.shape(), [](T m, T n) { return m / n; });
  });
}
void extremum_backward(const GradContext& c, std::span<Tensor> g) {
  const Shape keep = keepdims_shape(c.input_meta[0].shape, c.attrs.ints);
  g[0] = mul(reshape(c.grad, keep), extremum_weights(c.inputs[0], c.output, c.attrs.ints));
}
Tensor max_forward(std::span<const Tensor> in, const Attrs& at) {
  require_numeric(in[0], "reduce_max");
  return reduce_kernel(in[0], as_int(at.ints), at.keepdims, ReduceKind::max);
}
Tensor min_forward(std::span<const Tensor> in, const Attrs& at) {
  require_numeric(in[0], "reduce_min");
  return reduce_kernel(in[0], as_int(at.ints), at.keepdims, ReduceKind::min);
}
const OpDef kMax{.name = "reduce_max", .arity = 1, .forward = max_forward,
                 .backward = extremum_backward, .saves_inputs = true, .saves_output = true};
const OpDef kMin{.name = "reduce_min", .arity = 1, .forward = min_forward,
                 .backward = extremum_backward, .saves_inputs = true, .saves_output = true};

// ---- prod_others: x (O, n, I) → Π_{j≠i} x[o, j, q] ----
Tensor prod_others_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& x = in[0];
  require_floating(x, "prod_others");
  if (x.rank() != 3)
    fail(Status::invalid_argument, "prod_others: expected a rank-3 tensor (outer, n, inner), got {}",
         x.shape().str());
  return prod_others_kernel(x);
}
// (n, n) identity or its complement, shaped (1, n, n, 1), of `dtype`.
Tensor diagonal_mask(int64_t n, DType dtype, bool diagonal) {
  Tensor t = Tensor::full(Shape{1, n, n, 1}, dtype, diagonal ? 0.0 : 1.0);
  visit_floating(dtype, "prod_others", [&]<class T>() {
    T* p = t.mutable_data<T>();
    for (int64_t i = 0; i < n; ++i) p[i * n + i] = diagonal ? T(1) : T(0);
  });
  return t;
}
// d out[o,i,q] / d x[o,j,q] = Π_{l∉{i,j}} x[o,l,q] for j ≠ i (0 for j = i). Those products are
// prod_others of m[o,i,l,q] = (l == i ? 1 : x[o,l,q]) along l, so the rule is prod_others
// again, one rank up: every order of derivative exists, none divides by x.
void prod_others_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  const int64_t O = x.shape()[0], n = x.shape()[1], I = x.shape()[2];
  const Tensor off = diagonal_mask(n, x.dtype(), false);                          // (1, n, n, 1)
  const Tensor m = add(mul(reshape(x, Shape{O, 1, n, I}), off),                   // (O, n, n, I)
                       diagonal_mask(n, x.dtype(), true));
  const Tensor p = reshape(prod_others(reshape(m, Shape{O * n, n, I})), Shape{O, n, n, I});
  const int64_t axis_i = 1;
  g[0] = reduce_sum(mul(mul(reshape(c.grad, Shape{O, n, 1, I}), p), off), {&axis_i, 1});  // (O, n, I)
}
const OpDef kProdOthers{.name = "prod_others", .arity = 1, .forward = prod_others_forward,
                        .backward = prod_others_backward, .saves_inputs = true};

// ---- reduce_prod: dx = g · Π(others) ----
Tensor prod_forward(std::span<const Tensor> in, const Attrs& at) {
  require_numeric(in[0], "reduce_prod");
  return reduce_kernel(in[0], as_int(at.ints), at.keepdims, ReduceKind::prod);
}
// why not g · y / x (TensorFlow's cumprod form also divides in its own gradient): it is NaN
// at zeros. The reduced axes are brought together (a transpose only if they are not already
// one block) and prod_others runs on the (O, n, I) view.
void prod_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  const Shape& s = x.shape();
  const std::vector<int64_t>& axes = c.attrs.ints;
  if (axes.empty()) {  // a scalar: the product is x itself
    g[0] = c.grad;
    return;
  }
  const int first = static_cast<int>(axes.front()), last = static_cast<int>(axes.back());
  Tensor others;  // (s)
  if (last - first + 1 == static_cast<int>(axes.size())) {
    int64_t O = 1, n = 1, I = 1;
    for (int d = 0; d < s.rank(); ++d) (d < first ? O : d <= last ? n : I) *= s[d];
    others = reshape(prod_others(reshape(x, Shape{O, n, I})), s);
  } else {
    std::vector<int64_t> perm;  // kept axes, then reduced ones
    int64_t kept = 1, n = 1;
    for (int d = 0; d < s.rank(); ++d)
      if (!std::binary_search(axes.begin(), axes.end(), d)) {
        perm.push_back(d);
        kept *= s[d];
      }
    for (int64_t a : axes) {
      perm.push_back(a);
      n *= s[static_cast<int>(a)];
    }
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
    const Tensor xt = transpose(x, perm);
    others = transpose(reshape(prod_others(reshape(xt, Shape{kept, n, 1})), xt.shape()), inverse);
  }
  g[0] = mul(reshape(c.grad, keepdims_shape(s, axes)), others);
}
const OpDef kProd{.name = "reduce_prod", .arity = 1, .forward = prod_forward,
                  .backward = prod_backward, .saves_inputs = true};

// ---- reduce_logsumexp: dx = g · exp(x − y) = g · softmax(x) over the reduced axes ----
Tensor logsumexp_forward(std::span<const Tensor> in, const Attrs& at) {
  require_floating(in[0], "reduce_logsumexp");
  return logsumexp_kernel(in[0], as_int(at.ints), at.keepdims);
}
void logsumexp_backward(const GradContext& c, std::span<Tensor> g) {
  const Shape keep = keepdims_shape(c.input_meta[0].shape, c.attrs.ints);
  g[0] = mul(reshape(c.grad, keep), exp(sub(c.inputs[0], reshape(c.output, keep))));
}
const OpDef kLogSumExp{.name = "reduce_logsumexp", .arity = 1, .forward = logsumexp_forward,
                       .backward = logsumexp_backward, .saves_inputs = true, .saves_output = true};

// ---- argmax / argmin: int64 indices, not differentiable ----
Tensor arg_forward(const Tensor& x, int axis, bool max) {
  const char* op = max ? "argmax" : "argmin";
  require_numeric(x, op);
  if (x.shape()[axis] == 0)
    fail(Status::invalid_argument, "{}: Reduction axis {} is empty in shape {}", op, axis, x.shape().str());
  return arg_reduce_kernel(x, axis, max);
}
Tensor argmax_forward(std::span<const Tensor> in, const Attrs& at) {
  return arg_forward(in[0], static_cast<int>(at.axis), true);
}
Tensor argmin_forward(std::span<const Tensor> in, const Attrs& at) {
  return arg_forward(in[0], static_cast<int>(at.axis), false);
}
const OpDef kArgmax{.name = "argmax", .arity = 1, .forward = argmax_forward, .backward = nullptr,
                    .differentiability = Differentiability::none};
const OpDef kArgmin{.name = "argmin", .arity = 1, .forward = argmin_forward, .backward = nullptr,
                    .differentiability = Differentiability::none};

constexpr const OpDef* kOps[] = {&kSum,  &kMean,       &kSoftmax,   &kLogSoftmax,
                                 &kMax,  &kMin,        &kProd,      &kProdOthers,
                                 &kLogSumExp, &kArgmax, &kArgmin};

Attrs reduction_attrs(const Tensor& x, std::span<const int64_t> axes, bool keepdims, const char* op) {
  Attrs at;
  at.ints = normalize_axes(axes, x.rank(), op);
  at.keepdims = keepdims;
  return at;
}

Attrs axis_attrs(const Tensor& x, int64_t axis, const char* op) {
  Attrs at;
  at.axis = normalize_axis(axis, x.rank(), op);
  return at;
}

}  // namespace

std::span<const OpDef* const> reduce_ops() { return kOps; }

Tensor reduce_sum(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kSum, {x}, reduction_attrs(x, axes, keepdims, "reduce_sum"));
}
Tensor reduce_mean(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kMean, {x}, reduction_attrs(x, axes, keepdims, "reduce_mean"));
}
Tensor reduce_max(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kMax, {x}, reduction_attrs(x, axes, keepdims, "reduce_max"));
}
Tensor reduce_min(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kMin, {x}, reduction_attrs(x, axes, keepdims, "reduce_min"));
}
Tensor reduce_prod(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kProd, {x}, reduction_attrs(x, axes, keepdims, "reduce_prod"));
}
Tensor prod_others(const Tensor& x) { return apply(kProdOthers, {x}); }
Tensor reduce_logsumexp(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  return apply(kLogSumExp, {x}, reduction_attrs(x, axes, keepdims, "reduce_logsumexp"));
}
// tf.math.reduce_variance: mean((x − mean(x, keepdims))², axes).
Tensor reduce_variance(const Tensor& x, std::span<const int64_t> axes, bool keepdims) {
  require_floating(x, "reduce_variance");
  const Tensor d = sub(x, reduce_mean(x, axes, true));
  return reduce_mean(mul(d, d), axes, keepdims);
}
Tensor argmax(const Tensor& x, int64_t axis) {
  return apply(kArgmax, {x}, axis_attrs(x, axis, "argmax"));
}
Tensor argmin(const Tensor& x, int64_t axis) {
  return apply(kArgmin, {x}, axis_attrs(x, axis, "argmin"));
}
Tensor softmax(const Tensor& x, int64_t axis) {
  return apply(kSoftmax, {x}, axis_attrs(x, axis, "softmax"));
}
Tensor log_softmax(const Tensor& x, int64_t axis) {
  return apply(kLogSoftmax, {x}, axis_attrs(x, axis, "log_softmax"));
}

}  // namespace tg::ops
