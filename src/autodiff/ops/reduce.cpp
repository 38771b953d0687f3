// Reductions and softmax. Attrs::ints holds the normalised, sorted reduction axes.
#include <algorithm>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/kernels.h"

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
  for (int64_t a : axes) k[static_cast<int>(a)] = 1;
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

constexpr const OpDef* kOps[] = {&kSum, &kMean, &kSoftmax, &kLogSoftmax};

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
Tensor softmax(const Tensor& x, int64_t axis) {
  return apply(kSoftmax, {x}, axis_attrs(x, axis, "softmax"));
}
Tensor log_softmax(const Tensor& x, int64_t axis) {
  return apply(kLogSoftmax, {x}, axis_attrs(x, axis, "log_softmax"));
}

}  // namespace tg::ops
