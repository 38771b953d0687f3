// SPDX-License-Identifier: Apache-2.0
// Binary math, comparisons, logic and selection: forward kernel and gradient rule side by
// side. Everything broadcasts (NumPy rules); differentiable ops set OpDef::broadcasts, so
// their gradient rules return gradients in the output's shape and the tape sums them down.
//
// Legend: x, y = inputs; z = output; g = incoming gradient (shaped like z).
#include <cmath>
#include <type_traits>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/elementwise.h"
#include "tensor/ternary.h"

namespace tg::ops {
namespace {

// ---- kernel helpers -------------------------------------------------------------------

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  if (a.dtype() != b.dtype())
    fail(Status::invalid_argument, "{}: dtypes differ: {} {} and {} {}", op, dtype_name(a.dtype()),
         a.shape().str(), dtype_name(b.dtype()), b.shape().str());
}

// z = f(x, y) with broadcasting, for x and y of one numeric dtype.
template <class F>
Tensor numeric_binary(std::span<const Tensor> in, const char* op, F f) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  check_same_dtype(a, b, op);
  const Shape out = broadcast_shapes(a.shape(), b.shape(), op);
  return visit_numeric(a.dtype(), op, [&]<class T>() {
    return binary_map<T, T, T>(a, b, out, [&f](T u, T v) { return static_cast<T>(f(u, v)); });
  });
}

// Integer arithmetic that wraps around (as TensorFlow's does) instead of being UB.
template <class T>
T wrapping_sub(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
}
template <class T>
T wrapping_mul(T a, T b) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
}

// base^exponent for exponent >= 0 by repeated squaring, wrapping around.
template <class T>
T integer_pow(T base, T exponent) {
  T result = 1;
  while (exponent > 0) {
    if (exponent & 1) result = wrapping_mul(result, base);
    base = wrapping_mul(base, base);
    exponent >>= 1;
  }
  return result;
}

// max / min that propagate NaN from either side (TF's Eigen::PropagateNaN); on ties they
// return a, like std::max / std::min.
template <class T>
T max_nan(T a, T b) {
  return (a < b || b != b) ? b : a;
}
template <class T>
T min_nan(T a, T b) {
  return (b < a || b != b) ? b : a;
}

Tensor S(const Tensor& like, double v) { return scalar_like(like, v); }

// ---- pow ----
Tensor pow_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& x = in[0];
  const Tensor& y = in[1];
  check_same_dtype(x, y, "pow");
  const Shape out = broadcast_shapes(x.shape(), y.shape(), "pow");
  return visit_numeric(x.dtype(), "pow", [&]<class T>() {
    if constexpr (std::is_integral_v<T>) {
      // TF's safe_pow: a negative integer exponent is an error, not a silent 0.
      const T* p = y.data<T>();
      for (int64_t i = 0, n = out.numel() ? y.numel() : 0; i < n; ++i)
        if (p[i] < 0)
          fail(Status::invalid_argument,
               "pow: Integers to negative integer powers are not allowed ({} {} ^ {} {})",
               dtype_name(x.dtype()), x.shape().str(), dtype_name(y.dtype()), y.shape().str());
      return binary_map<T, T, T>(x, y, out, [](T a, T b) { return integer_pow(a, b); });
    } else {
      return binary_map<T, T, T>(x, y, out, [](T a, T b) { return std::pow(a, b); });
    }
  });
}
void pow_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  const Tensor& y = c.inputs[1];
  if (c.needed[0]) g[0] = mul(c.grad, mul(y, pow(x, sub(y, S(y, 1.0)))));
  if (c.needed[1]) {
    // log(x) only where x > 0 (0 elsewhere), and log never sees x <= 0: TF's _PowGrad.
    const Tensor positive = greater(x, S(x, 0.0));
    const Tensor log_x = where(positive, log(where(positive, x, S(x, 1.0))), S(x, 0.0));
    g[1] = mul(c.grad, mul(c.output, log_x));
  }
}
const OpDef kPow{.name = "pow", .arity = 2, .forward = pow_forward, .backward = pow_backward,
                 .saves_inputs = true, .saves_output = true, .broadcasts = true};

// ---- maximum / minimum: g to the selected input, ties to x ----
Tensor maximum_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_binary(in, "maximum", [](auto a, auto b) { return max_nan(a, b); });
}
Tensor minimum_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_binary(in, "minimum", [](auto a, auto b) { return min_nan(a, b); });
}
void select_gradient(const GradContext& c, const Tensor& x_selected, std::span<Tensor> g) {
  const Tensor zero = S(c.grad, 0.0);
  if (c.needed[0]) g[0] = where(x_selected, c.grad, zero);
  if (c.needed[1]) g[1] = where(x_selected, zero, c.grad);
}
void maximum_backward(const GradContext& c, std::span<Tensor> g) {
  select_gradient(c, greater_equal(c.inputs[0], c.inputs[1]), g);
}
void minimum_backward(const GradContext& c, std::span<Tensor> g) {
  select_gradient(c, less_equal(c.inputs[0], c.inputs[1]), g);
}
const OpDef kMaximum{.name = "maximum", .arity = 2, .forward = maximum_forward,
                     .backward = maximum_backward, .saves_inputs = true, .broadcasts = true};
const OpDef kMinimum{.name = "minimum", .arity = 2, .forward = minimum_forward,
                     .backward = minimum_backward, .saves_inputs = true, .broadcasts = true};

// ---- squared_difference: d/dx = 2g(x − y), d/dy = −2g(x − y) ----
Tensor squared_difference_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_binary(in, "squared_difference", [](auto a, auto b) {
    if constexpr (std::is_integral_v<decltype(a)>) {
      const auto d = wrapping_sub(a, b);
      return wrapping_mul(d, d);
    } else {
      const auto d = a - b;
      return d * d;
    }
  });
}
void squared_difference_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor two_g_diff = mul(mul(c.grad, S(c.grad, 2.0)), sub(c.inputs[0], c.inputs[1]));
  if (c.needed[0]) g[0] = two_g_diff;
  if (c.needed[1]) g[1] = neg(two_g_diff);
}
const OpDef kSquaredDifference{.name = "squared_difference", .arity = 2,
                               .forward = squared_difference_forward,
                               .backward = squared_difference_backward, .saves_inputs = true,
                               .broadcasts = true};

// ---- comparisons: bool output, not differentiable ----
// Bool tensors are read as bytes (nonzero = true), so any byte a C caller stored is valid.
template <class Cmp>
Tensor compare(std::span<const Tensor> in, const char* op, bool accepts_bool, Cmp cmp) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  check_same_dtype(a, b, op);
  const Shape out = broadcast_shapes(a.shape(), b.shape(), op);
  if (a.dtype() == DType::boolean && accepts_bool)
    return binary_map<uint8_t, uint8_t, bool>(
        a, b, out, [&cmp](uint8_t u, uint8_t v) { return cmp(u != 0, v != 0); });
  return visit_numeric(a.dtype(), op, [&]<class T>() {
    return binary_map<T, T, bool>(a, b, out, [&cmp](T u, T v) { return static_cast<bool>(cmp(u, v)); });
  });
}

Tensor equal_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "equal", true, [](auto a, auto b) { return a == b; });
}
Tensor not_equal_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "not_equal", true, [](auto a, auto b) { return a != b; });
}
Tensor less_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "less", false, [](auto a, auto b) { return a < b; });
}
Tensor less_equal_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "less_equal", false, [](auto a, auto b) { return a <= b; });
}
Tensor greater_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "greater", false, [](auto a, auto b) { return a > b; });
}
Tensor greater_equal_forward(std::span<const Tensor> in, const Attrs&) {
  return compare(in, "greater_equal", false, [](auto a, auto b) { return a >= b; });
}
constexpr OpDef not_differentiable(std::string_view name, int arity, ForwardFn forward) {
  return OpDef{.name = name, .arity = arity, .forward = forward, .backward = nullptr,
               .differentiability = Differentiability::none};
}
const OpDef kEqual = not_differentiable("equal", 2, equal_forward);
const OpDef kNotEqual = not_differentiable("not_equal", 2, not_equal_forward);
const OpDef kLess = not_differentiable("less", 2, less_forward);
const OpDef kLessEqual = not_differentiable("less_equal", 2, less_equal_forward);
const OpDef kGreater = not_differentiable("greater", 2, greater_forward);
const OpDef kGreaterEqual = not_differentiable("greater_equal", 2, greater_equal_forward);

// ---- logical_and / logical_or / logical_not: bool only, not differentiable ----
template <class F>
Tensor logical(std::span<const Tensor> in, const char* op, F f) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  if (a.dtype() != DType::boolean || b.dtype() != DType::boolean)
    fail(Status::invalid_argument, "{}: expected bool inputs, got {} {} and {} {}", op,
         dtype_name(a.dtype()), a.shape().str(), dtype_name(b.dtype()), b.shape().str());
  const Shape out = broadcast_shapes(a.shape(), b.shape(), op);
  return binary_map<uint8_t, uint8_t, bool>(a, b, out,
                                            [&f](uint8_t u, uint8_t v) { return f(u != 0, v != 0); });
}
Tensor logical_and_forward(std::span<const Tensor> in, const Attrs&) {
  return logical(in, "logical_and", [](bool a, bool b) { return a && b; });
}
Tensor logical_or_forward(std::span<const Tensor> in, const Attrs&) {
  return logical(in, "logical_or", [](bool a, bool b) { return a || b; });
}
Tensor logical_not_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& x = in[0];
  if (x.dtype() != DType::boolean)
    fail(Status::invalid_argument, "logical_not: expected a bool input, got {} {}",
         dtype_name(x.dtype()), x.shape().str());
  return unary_map<uint8_t, bool>(x, [](uint8_t v) { return v == 0; });
}
const OpDef kLogicalAnd = not_differentiable("logical_and", 2, logical_and_forward);
const OpDef kLogicalOr = not_differentiable("logical_or", 2, logical_or_forward);
const OpDef kLogicalNot = not_differentiable("logical_not", 1, logical_not_forward);

// ---- where(condition, x, y): g to x where condition, to y elsewhere ----
Tensor where_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& cond = in[0];
  const Tensor& x = in[1];
  const Tensor& y = in[2];
  if (cond.dtype() != DType::boolean)
    fail(Status::invalid_argument, "where: condition must be bool, got {} {}",
         dtype_name(cond.dtype()), cond.shape().str());
  if (x.dtype() != y.dtype())
    fail(Status::invalid_argument, "where: x and y dtypes differ: {} {} and {} {}",
         dtype_name(x.dtype()), x.shape().str(), dtype_name(y.dtype()), y.shape().str());
  Shape out;
  if (!broadcast_three(cond.shape(), x.shape(), y.shape(), &out))
    fail(Status::invalid_argument,
         "where: shapes condition {}, x {} and y {} cannot be broadcast together",
         cond.shape().str(), x.shape().str(), y.shape().str());
  Tensor z = Tensor::empty(out, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    if constexpr (std::is_same_v<T, bool>) {  // bools as bytes, written back as 0 or 1
      ternary_broadcast_loop(cond.data<uint8_t>(), cond.shape(), x.data<uint8_t>(), x.shape(),
                             y.data<uint8_t>(), y.shape(), z.mutable_data<uint8_t>(), out,
                             [](uint8_t k, uint8_t a, uint8_t b) {
                               return static_cast<uint8_t>((k ? a : b) != 0);
                             });
    } else {
      ternary_broadcast_loop(cond.data<uint8_t>(), cond.shape(), x.data<T>(), x.shape(),
                             y.data<T>(), y.shape(), z.mutable_data<T>(), out,
                             [](uint8_t k, T a, T b) { return k ? a : b; });
    }
  });
  return z;
}
void where_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& cond = c.inputs[0];
  const Tensor zero = S(c.grad, 0.0);
  if (c.needed[1]) g[1] = where(cond, c.grad, zero);
  if (c.needed[2]) g[2] = where(cond, zero, c.grad);
}
const OpDef kWhere{.name = "where", .arity = 3, .forward = where_forward,
                   .backward = where_backward, .differentiable_inputs = 0b110,
                   .saves_inputs = true, .broadcasts = true};

// ---- clip_by_value(t, lo, hi) = max(min(t, hi), lo) ----
Tensor clip_by_value_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& t = in[0];
  const Tensor& lo = in[1];
  const Tensor& hi = in[2];
  if (t.dtype() != lo.dtype() || t.dtype() != hi.dtype())
    fail(Status::invalid_argument,
         "clip_by_value: dtypes differ: t {} {}, clip_value_min {} {}, clip_value_max {} {}",
         dtype_name(t.dtype()), t.shape().str(), dtype_name(lo.dtype()), lo.shape().str(),
         dtype_name(hi.dtype()), hi.shape().str());
  Shape out;
  if (!broadcast_three(t.shape(), lo.shape(), hi.shape(), &out) || out != t.shape())
    fail(Status::invalid_argument,
         "clip_by_value: clip_value_min {} and clip_value_max {} do not broadcast to t's "
         "shape {}",
         lo.shape().str(), hi.shape().str(), t.shape().str());
  return visit_numeric(t.dtype(), "clip_by_value", [&]<class T>() {
    Tensor z = Tensor::empty(out, t.dtype());
    ternary_broadcast_loop(t.data<T>(), t.shape(), lo.data<T>(), lo.shape(), hi.data<T>(),
                           hi.shape(), z.mutable_data<T>(), out,
                           [](T v, T l, T h) { return max_nan(min_nan(v, h), l); });
    return z;
  });
}
void clip_by_value_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& t = c.inputs[0];
  const Tensor zero = S(c.grad, 0.0);
  const Tensor below = less(t, c.inputs[1]);
  const Tensor above = greater(t, c.inputs[2]);
  if (c.needed[0]) g[0] = where(logical_or(below, above), zero, c.grad);
  if (c.needed[1]) g[1] = where(below, c.grad, zero);
  if (c.needed[2]) g[2] = where(above, c.grad, zero);
}
const OpDef kClipByValue{.name = "clip_by_value", .arity = 3, .forward = clip_by_value_forward,
                         .backward = clip_by_value_backward, .saves_inputs = true,
                         .broadcasts = true};

constexpr const OpDef* kOps[] = {
    &kPow,        &kMaximum,   &kMinimum,     &kSquaredDifference, &kEqual,
    &kNotEqual,   &kLess,      &kLessEqual,   &kGreater,           &kGreaterEqual,
    &kLogicalAnd, &kLogicalOr, &kLogicalNot,  &kWhere,             &kClipByValue,
};

}  // namespace

std::span<const OpDef* const> binary_ops() { return kOps; }

Tensor pow(const Tensor& x, const Tensor& y) { return apply(kPow, {x, y}); }
Tensor maximum(const Tensor& x, const Tensor& y) { return apply(kMaximum, {x, y}); }
Tensor minimum(const Tensor& x, const Tensor& y) { return apply(kMinimum, {x, y}); }
Tensor squared_difference(const Tensor& x, const Tensor& y) {
  return apply(kSquaredDifference, {x, y});
}
Tensor equal(const Tensor& x, const Tensor& y) { return apply(kEqual, {x, y}); }
Tensor not_equal(const Tensor& x, const Tensor& y) { return apply(kNotEqual, {x, y}); }
Tensor less(const Tensor& x, const Tensor& y) { return apply(kLess, {x, y}); }
Tensor less_equal(const Tensor& x, const Tensor& y) { return apply(kLessEqual, {x, y}); }
Tensor greater(const Tensor& x, const Tensor& y) { return apply(kGreater, {x, y}); }
Tensor greater_equal(const Tensor& x, const Tensor& y) { return apply(kGreaterEqual, {x, y}); }
Tensor logical_and(const Tensor& x, const Tensor& y) { return apply(kLogicalAnd, {x, y}); }
Tensor logical_or(const Tensor& x, const Tensor& y) { return apply(kLogicalOr, {x, y}); }
Tensor logical_not(const Tensor& x) { return apply(kLogicalNot, {x}); }
Tensor where(const Tensor& condition, const Tensor& x, const Tensor& y) {
  return apply(kWhere, {condition, x, y});
}
Tensor clip_by_value(const Tensor& t, const Tensor& clip_value_min, const Tensor& clip_value_max) {
  return apply(kClipByValue, {t, clip_value_min, clip_value_max});
}

}  // namespace tg::ops
