// SPDX-License-Identifier: Apache-2.0
// Unary math ops: forward kernel and gradient rule side by side. Every op maps elementwise
// (output shape = input shape). Gradients are written with library ops, so they are
// themselves differentiable; activations whose derivative is a mask or a long formula have
// a fused gradient op (relu6_grad, …, silu_grad) whose own gradient is again library ops.
//
// Legend: x = input, y = output, g = incoming gradient (shaped like y).
#include <cmath>
#include <type_traits>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/elementwise.h"

namespace tg::ops {
namespace {

// ---- kernel helpers -------------------------------------------------------------------

// out = f(x) for float32/float64; f is a generic lambda called with a T.
template <class F>
Tensor floating_map(const Tensor& x, std::string_view op, F f) {
  return visit_floating(x.dtype(), op, [&]<class T>() {
    return unary_map<T, T>(x, [&f](T v) { return static_cast<T>(f(v)); });
  });
}

// out = f(x) for the numeric dtypes.
template <class F>
Tensor numeric_map(const Tensor& x, std::string_view op, F f) {
  return visit_numeric(x.dtype(), op, [&]<class T>() {
    return unary_map<T, T>(x, [&f](T v) { return static_cast<T>(f(v)); });
  });
}

// Integer negation and product that wrap around (as TensorFlow's do) instead of being UB.
template <class T>
T wrapping_neg(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U(0) - static_cast<U>(v));
}
template <class T>
T wrapping_square(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(v) * static_cast<U>(v));
}

// sigmoid(v) = 1/(1 + exp(-v)). This form is safe for every v: for very negative v, exp(-v)
// reaches +inf and the result is exactly 0 (the true value is below the smallest normal
// number there); for very positive v, exp(-v) underflows to 0 and the result is 1; never NaN
// for non-NaN input, and relative precision is kept in both tails.
// why not the two-branch exp(-|v|) form: its data-dependent select cost 2.5x (measured).
template <class T>
T stable_sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

// GELU constants (TensorFlow's tf.nn.gelu).
constexpr double kInvSqrt2 = 0.70710678118654752440;            // 1/√2
constexpr double kInvSqrt2Pi = 0.39894228040143267794;          // 1/√(2π)
constexpr double kGeluTanhC = 0.7978845608028654;               // √(2/π)
constexpr double kGeluTanhK = 0.044715;

// gelu(v) and its derivative, exact (erf) or tanh-approximated.
template <class T>
T gelu_value(T v, bool approximate) {
  if (approximate) {
    const T u = T(kGeluTanhC) * (v + T(kGeluTanhK) * v * v * v);
    return T(0.5) * v * (T(1) + std::tanh(u));
  }
  // why erfc: 0.5·x·(1 + erf(x/√2)) equals 0.5·x·erfc(−x/√2), which keeps full relative
  // precision for negative x, where 1 + erf(…) cancels.
  return T(0.5) * v * std::erfc(-v * T(kInvSqrt2));
}
template <class T>
T gelu_derivative(T v, bool approximate) {
  if (approximate) {
    const T v2 = v * v;
    const T t = std::tanh(T(kGeluTanhC) * (v + T(kGeluTanhK) * v2 * v));
    const T du = T(kGeluTanhC) * (T(1) + T(3 * kGeluTanhK) * v2);
    return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du;
  }
  return T(0.5) * std::erfc(-v * T(kInvSqrt2)) + v * T(kInvSqrt2Pi) * std::exp(T(-0.5) * v * v);
}

// Checks the (g, second) pair of a gradient op: same shape, same floating dtype.
void check_grad_pair(const Tensor& g, const Tensor& other, const char* op, const char* what) {
  if (g.dtype() != other.dtype() || g.shape() != other.shape())
    fail(Status::invalid_argument, "{}: gradient {} {} does not match {} {} {}", op,
         dtype_name(g.dtype()), g.shape().str(), what, dtype_name(other.dtype()),
         other.shape().str());
}

// out = f(g, v) for a gradient op's (g, v) pair of one shape and floating dtype.
template <class F>
Tensor grad_map(std::span<const Tensor> in, const char* op, const char* what, F f) {
  check_grad_pair(in[0], in[1], op, what);
  return visit_floating(in[0].dtype(), op, [&]<class T>() {
    return binary_map<T, T, T>(in[0], in[1], in[0].shape(),
                               [&f](T gv, T v) { return static_cast<T>(f(gv, v)); });
  });
}

Tensor S(const Tensor& like, double v) { return scalar_like(like, v); }

// ---- abs: gradient sign(x)·g ----
Tensor abs_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_map(in[0], "abs", [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_integral_v<T>) return v < 0 ? wrapping_neg(v) : v;
    else return std::abs(v);
  });
}
void abs_backward(const GradContext& c, std::span<Tensor> g) { g[0] = mul(c.grad, sign(c.inputs[0])); }
const OpDef kAbs{.name = "abs", .arity = 1, .forward = abs_forward, .backward = abs_backward,
                 .saves_inputs = true};

// ---- sign: not differentiable (TF's _SignGrad returns zeros; NULL here, as for floor) ----
Tensor sign_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_map(in[0], "sign", [](auto v) {
    using T = decltype(v);
    const T s = static_cast<T>((v > T(0)) - (v < T(0)));
    if constexpr (std::is_floating_point_v<T>) return v != v ? v : s;  // NaN stays NaN
    else return s;
  });
}
const OpDef kSign{.name = "sign", .arity = 1, .forward = sign_forward, .backward = nullptr,
                  .differentiability = Differentiability::none};

// ---- square: gradient 2x·g ----
Tensor square_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_map(in[0], "square", [](auto v) {
    if constexpr (std::is_integral_v<decltype(v)>) return wrapping_square(v);
    else return v * v;
  });
}
void square_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = mul(c.grad, mul(c.inputs[0], S(c.grad, 2.0)));
}
const OpDef kSquare{.name = "square", .arity = 1, .forward = square_forward,
                    .backward = square_backward, .saves_inputs = true};

// ---- sqrt: gradient g·0.5/y ----
Tensor sqrt_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "sqrt", [](auto v) { return std::sqrt(v); });
}
void sqrt_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = div(mul(c.grad, S(c.grad, 0.5)), c.output);
}
const OpDef kSqrt{.name = "sqrt", .arity = 1, .forward = sqrt_forward, .backward = sqrt_backward,
                  .saves_output = true};

// ---- rsqrt: gradient −0.5·y³·g ----
Tensor rsqrt_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "rsqrt", [](auto v) { return decltype(v)(1) / std::sqrt(v); });
}
void rsqrt_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.output;
  g[0] = mul(c.grad, mul(S(y, -0.5), mul(y, mul(y, y))));
}
const OpDef kRsqrt{.name = "rsqrt", .arity = 1, .forward = rsqrt_forward,
                   .backward = rsqrt_backward, .saves_output = true};

// ---- expm1: gradient exp(x)·g = (y + 1)·g ----
Tensor expm1_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "expm1", [](auto v) { return std::expm1(v); });
}
void expm1_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = mul(c.grad, add(c.output, S(c.output, 1.0)));
}
const OpDef kExpm1{.name = "expm1", .arity = 1, .forward = expm1_forward,
                   .backward = expm1_backward, .saves_output = true};

// ---- log1p: gradient g/(1 + x) ----
Tensor log1p_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "log1p", [](auto v) { return std::log1p(v); });
}
void log1p_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = div(c.grad, add(c.inputs[0], S(c.grad, 1.0)));
}
const OpDef kLog1p{.name = "log1p", .arity = 1, .forward = log1p_forward,
                   .backward = log1p_backward, .saves_inputs = true};

// ---- sin: gradient cos(x)·g ----
Tensor sin_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "sin", [](auto v) { return std::sin(v); });
}
void sin_backward(const GradContext& c, std::span<Tensor> g) { g[0] = mul(c.grad, cos(c.inputs[0])); }
const OpDef kSin{.name = "sin", .arity = 1, .forward = sin_forward, .backward = sin_backward,
                 .saves_inputs = true};

// ---- cos: gradient −sin(x)·g ----
Tensor cos_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "cos", [](auto v) { return std::cos(v); });
}
void cos_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = neg(mul(c.grad, sin(c.inputs[0])));
}
const OpDef kCos{.name = "cos", .arity = 1, .forward = cos_forward, .backward = cos_backward,
                 .saves_inputs = true};

// ---- tanh: gradient (1 − y²)·g ----
Tensor tanh_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "tanh", [](auto v) { return std::tanh(v); });
}
void tanh_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.output;
  g[0] = mul(c.grad, sub(S(y, 1.0), mul(y, y)));
}
const OpDef kTanh{.name = "tanh", .arity = 1, .forward = tanh_forward, .backward = tanh_backward,
                  .saves_output = true};

// ---- sigmoid: gradient y·(1 − y)·g ----
Tensor sigmoid_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "sigmoid", [](auto v) { return stable_sigmoid(v); });
}
void sigmoid_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.output;
  g[0] = mul(c.grad, mul(y, sub(S(y, 1.0), y)));
}
const OpDef kSigmoid{.name = "sigmoid", .arity = 1, .forward = sigmoid_forward,
                     .backward = sigmoid_backward, .saves_output = true};

// ---- softplus: gradient sigmoid(x)·g ----
Tensor softplus_forward(std::span<const Tensor> in, const Attrs&) {
  // why: max(x, 0) + log1p(exp(−|x|)) never overflows and is exact to rounding everywhere.
  return floating_map(in[0], "softplus", [](auto v) {
    using T = decltype(v);
    return (v > T(0) ? v : T(0)) + std::log1p(std::exp(-std::abs(v)));
  });
}
void softplus_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = mul(c.grad, sigmoid(c.inputs[0]));
}
const OpDef kSoftplus{.name = "softplus", .arity = 1, .forward = softplus_forward,
                      .backward = softplus_backward, .saves_inputs = true};

// ---- relu6: min(max(x, 0), 6); gradient relu6_grad(g, y) ----
Tensor relu6_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_map(in[0], "relu6", [](auto v) {
    using T = decltype(v);
    return v < T(0) ? T(0) : (T(6) < v ? T(6) : v);  // NaN passes through, as in TF
  });
}
void relu6_backward(const GradContext& c, std::span<Tensor> g) { g[0] = relu6_grad(c.grad, c.output); }
const OpDef kRelu6{.name = "relu6", .arity = 1, .forward = relu6_forward,
                   .backward = relu6_backward, .saves_output = true};

// ---- relu6_grad(g, y) = g·[0 < y < 6]: piecewise constant in y ----
Tensor relu6_grad_forward(std::span<const Tensor> in, const Attrs&) {
  return grad_map(in, "relu6_grad", "y", [](auto gv, auto y) {
    using T = decltype(y);
    return (y > T(0) && y < T(6)) ? gv : T(0);
  });
}
void relu6_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = relu6_grad(c.grad, c.inputs[1]);
}
const OpDef kRelu6Grad{.name = "relu6_grad", .arity = 2, .forward = relu6_grad_forward,
                       .backward = relu6_grad_backward, .differentiable_inputs = 0b01,
                       .saves_inputs = true};

// ---- leaky_relu: x > 0 ? x : αx (Attrs::alpha); gradient leaky_relu_grad(g, x) ----
Tensor leaky_relu_forward(std::span<const Tensor> in, const Attrs& at) {
  return visit_floating(in[0].dtype(), "leaky_relu", [&]<class T>() {
    const T alpha = static_cast<T>(at.alpha);
    return unary_map<T, T>(in[0], [alpha](T v) { return v > T(0) ? v : v * alpha; });
  });
}
void leaky_relu_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = leaky_relu_grad(c.grad, c.inputs[0], c.attrs.alpha);
}
const OpDef kLeakyRelu{.name = "leaky_relu", .arity = 1, .forward = leaky_relu_forward,
                       .backward = leaky_relu_backward, .saves_inputs = true};

// ---- leaky_relu_grad(g, x) = x > 0 ? g : αg: piecewise constant in x ----
Tensor leaky_relu_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  check_grad_pair(in[0], in[1], "leaky_relu_grad", "x");
  return visit_floating(in[0].dtype(), "leaky_relu_grad", [&]<class T>() {
    const T alpha = static_cast<T>(at.alpha);
    return binary_map<T, T, T>(in[0], in[1], in[0].shape(),
                               [alpha](T gv, T x) { return x > T(0) ? gv : gv * alpha; });
  });
}
void leaky_relu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = leaky_relu_grad(c.grad, c.inputs[1], c.attrs.alpha);
}
const OpDef kLeakyReluGrad{.name = "leaky_relu_grad", .arity = 2,
                           .forward = leaky_relu_grad_forward,
                           .backward = leaky_relu_grad_backward, .differentiable_inputs = 0b01,
                           .saves_inputs = true};

// ---- elu: x < 0 ? exp(x) − 1 : x; gradient elu_grad(g, y) ----
Tensor elu_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "elu", [](auto v) {
    using T = decltype(v);
    return v < T(0) ? std::expm1(v) : v;
  });
}
void elu_backward(const GradContext& c, std::span<Tensor> g) { g[0] = elu_grad(c.grad, c.output); }
const OpDef kElu{.name = "elu", .arity = 1, .forward = elu_forward, .backward = elu_backward,
                 .saves_output = true};

// ---- elu_grad(g, y) = y < 0 ? g·(y + 1) : g ----
// d/dg = elu_grad(h, y); d/dy = h·g where y < 0 (h = incoming gradient).
Tensor elu_grad_forward(std::span<const Tensor> in, const Attrs&) {
  return grad_map(in, "elu_grad", "y", [](auto gv, auto y) {
    using T = decltype(y);
    return y < T(0) ? gv * (y + T(1)) : gv;
  });
}
void elu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.inputs[1];
  if (c.needed[0]) g[0] = elu_grad(c.grad, y);
  if (c.needed[1]) g[1] = where(less(y, S(y, 0.0)), mul(c.grad, c.inputs[0]), S(y, 0.0));
}
const OpDef kEluGrad{.name = "elu_grad", .arity = 2, .forward = elu_grad_forward,
                     .backward = elu_grad_backward, .saves_inputs = true};

// ---- selu: scale·(x < 0 ? α(exp(x) − 1) : x); gradient selu_grad(g, y) ----
Tensor selu_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "selu", [](auto v) {
    using T = decltype(v);
    return v < T(0) ? T(kSeluScale * kSeluAlpha) * std::expm1(v) : T(kSeluScale) * v;
  });
}
void selu_backward(const GradContext& c, std::span<Tensor> g) { g[0] = selu_grad(c.grad, c.output); }
const OpDef kSelu{.name = "selu", .arity = 1, .forward = selu_forward, .backward = selu_backward,
                  .saves_output = true};

// ---- selu_grad(g, y) = y < 0 ? g·(y + scale·α) : g·scale ----
// d/dg = selu_grad(h, y); d/dy = h·g where y < 0.
Tensor selu_grad_forward(std::span<const Tensor> in, const Attrs&) {
  return grad_map(in, "selu_grad", "y", [](auto gv, auto y) {
    using T = decltype(y);
    return y < T(0) ? gv * (y + T(kSeluScale * kSeluAlpha)) : gv * T(kSeluScale);
  });
}
void selu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& y = c.inputs[1];
  if (c.needed[0]) g[0] = selu_grad(c.grad, y);
  if (c.needed[1]) g[1] = where(less(y, S(y, 0.0)), mul(c.grad, c.inputs[0]), S(y, 0.0));
}
const OpDef kSeluGrad{.name = "selu_grad", .arity = 2, .forward = selu_grad_forward,
                      .backward = selu_grad_backward, .saves_inputs = true};

// ---- gelu (Attrs::flag = approximate); gradient gelu_grad(g, x) ----
Tensor gelu_forward(std::span<const Tensor> in, const Attrs& at) {
  const bool approximate = at.flag;
  return floating_map(in[0], "gelu", [approximate](auto v) { return gelu_value(v, approximate); });
}
void gelu_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = gelu_grad(c.grad, c.inputs[0], c.attrs.flag);
}
const OpDef kGelu{.name = "gelu", .arity = 1, .forward = gelu_forward, .backward = gelu_backward,
                  .saves_inputs = true};

// gelu''(x) with library ops (used only for second and higher derivatives):
//   exact:       φ(x)·(2 − x²),  φ(x) = exp(−x²/2)/√(2π)
//   approximate: (1 − t²)·(u' − x·t·u'² + x·u''/2),  u = c(x + kx³), t = tanh(u),
//                u' = c(1 + 3kx²), u'' = 6ckx
Tensor gelu_second_derivative(const Tensor& x, bool approximate) {
  const Tensor x2 = mul(x, x);
  if (!approximate) {
    const Tensor phi = mul(exp(mul(x2, S(x, -0.5))), S(x, kInvSqrt2Pi));
    return mul(phi, sub(S(x, 2.0), x2));
  }
  const Tensor t = tanh(mul(S(x, kGeluTanhC), add(x, mul(S(x, kGeluTanhK), mul(x, x2)))));
  const Tensor du = mul(S(x, kGeluTanhC), add(S(x, 1.0), mul(S(x, 3 * kGeluTanhK), x2)));
  const Tensor half_x_ddu = mul(S(x, 3 * kGeluTanhC * kGeluTanhK), x2);  // x·u''/2
  const Tensor inner = add(sub(du, mul(mul(x, t), mul(du, du))), half_x_ddu);
  return mul(sub(S(x, 1.0), mul(t, t)), inner);
}

// ---- gelu_grad(g, x) = g·gelu'(x) (Attrs::flag = approximate) ----
// d/dg = gelu_grad(h, x); d/dx = h·g·gelu''(x).
Tensor gelu_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  const bool approximate = at.flag;
  return grad_map(in, "gelu_grad", "x",
                  [approximate](auto gv, auto x) { return gv * gelu_derivative(x, approximate); });
}
void gelu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[1];
  if (c.needed[0]) g[0] = gelu_grad(c.grad, x, c.attrs.flag);
  if (c.needed[1]) g[1] = mul(mul(c.grad, c.inputs[0]), gelu_second_derivative(x, c.attrs.flag));
}
const OpDef kGeluGrad{.name = "gelu_grad", .arity = 2, .forward = gelu_grad_forward,
                      .backward = gelu_grad_backward, .saves_inputs = true};

// ---- silu: x·sigmoid(x); gradient silu_grad(g, x) ----
Tensor silu_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "silu", [](auto v) { return v * stable_sigmoid(v); });
}
void silu_backward(const GradContext& c, std::span<Tensor> g) { g[0] = silu_grad(c.grad, c.inputs[0]); }
const OpDef kSilu{.name = "silu", .arity = 1, .forward = silu_forward, .backward = silu_backward,
                  .saves_inputs = true};

// ---- silu_grad(g, x) = g·s·(1 + x(1 − s)), s = sigmoid(x) ----
// d/dg = silu_grad(h, x); d/dx = h·g·silu''(x), silu'' = s(1 − s)(2 + x(1 − 2s)).
Tensor silu_grad_forward(std::span<const Tensor> in, const Attrs&) {
  return grad_map(in, "silu_grad", "x", [](auto gv, auto x) {
    using T = decltype(x);
    const T s = stable_sigmoid(x);
    return gv * s * (T(1) + x * (T(1) - s));
  });
}
void silu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[1];
  if (c.needed[0]) g[0] = silu_grad(c.grad, x);
  if (c.needed[1]) {
    const Tensor s = sigmoid(x);
    const Tensor ds = mul(s, sub(S(x, 1.0), s));
    const Tensor second = mul(ds, add(S(x, 2.0), mul(x, sub(S(x, 1.0), mul(S(x, 2.0), s)))));
    g[1] = mul(mul(c.grad, c.inputs[0]), second);
  }
}
const OpDef kSiluGrad{.name = "silu_grad", .arity = 2, .forward = silu_grad_forward,
                      .backward = silu_grad_backward, .saves_inputs = true};

// ---- floor, round, ceil: not differentiable (TF's _FloorGrad etc. return None) ----
Tensor floor_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "floor", [](auto v) { return std::floor(v); });
}
const OpDef kFloor{.name = "floor", .arity = 1, .forward = floor_forward, .backward = nullptr,
                   .differentiability = Differentiability::none};

// Round half to even, like TF's Round (round(2.5) = 2, round(-2.5) = -2): adding and
// subtracting 2^(mantissa bits) leaves |v| rounded to an integer by the FPU's default
// round-to-nearest-even, with no x + 0.5 double rounding; |v| >= 2^mantissa is already an
// integer, and NaN / inf pass through. Needs IEEE arithmetic (no -ffast-math, which would
// fold (a + big) - big to a). why: std::nearbyint is a libm call on the x86-64
// baseline (3.6x slower, measured); this vectorises.
template <class T>
T round_half_even(T v) {
  constexpr T big = std::is_same_v<T, float> ? T(0x1p23) : T(0x1p52);
  const T a = std::abs(v);
  const T r = (a + big) - big;
  return a < big ? std::copysign(r, v) : v;
}

Tensor round_forward(std::span<const Tensor> in, const Attrs&) {
  return numeric_map(in[0], "round", [](auto v) {
    if constexpr (std::is_integral_v<decltype(v)>) return v;
    else return round_half_even(v);
  });
}
const OpDef kRound{.name = "round", .arity = 1, .forward = round_forward, .backward = nullptr,
                   .differentiability = Differentiability::none};

Tensor ceil_forward(std::span<const Tensor> in, const Attrs&) {
  return floating_map(in[0], "ceil", [](auto v) { return std::ceil(v); });
}
const OpDef kCeil{.name = "ceil", .arity = 1, .forward = ceil_forward, .backward = nullptr,
                  .differentiability = Differentiability::none};

// ---- identity: shares x's storage; gradient g ----
Tensor share_forward(std::span<const Tensor> in, const Attrs&) {
  return Tensor::from_storage(in[0].storage(), in[0].shape(), in[0].dtype());
}
void identity_backward(const GradContext& c, std::span<Tensor> g) { g[0] = c.grad; }
const OpDef kIdentity{.name = "identity", .arity = 1, .forward = share_forward,
                      .backward = identity_backward};

// ---- stop_gradient: shares x's storage; gradient NULL (TF's NotDifferentiable) ----
const OpDef kStopGradient{.name = "stop_gradient", .arity = 1, .forward = share_forward,
                          .backward = nullptr, .differentiability = Differentiability::none};

constexpr const OpDef* kOps[] = {
    &kAbs,   &kSign,     &kSquare,     &kSqrt,           &kRsqrt,    &kExpm1,
    &kLog1p, &kSin,      &kCos,        &kTanh,           &kSigmoid,  &kSoftplus,
    &kRelu6, &kRelu6Grad, &kLeakyRelu, &kLeakyReluGrad,  &kElu,      &kEluGrad,
    &kSelu,  &kSeluGrad, &kGelu,       &kGeluGrad,       &kSilu,     &kSiluGrad,
    &kFloor, &kRound,    &kCeil,       &kIdentity,       &kStopGradient,
};

Attrs alpha_attrs(double alpha) {
  Attrs at;
  at.alpha = alpha;
  return at;
}
Attrs flag_attrs(bool flag) {
  Attrs at;
  at.flag = flag;
  return at;
}

}  // namespace

std::span<const OpDef* const> unary_ops() { return kOps; }

Tensor abs(const Tensor& x) { return apply(kAbs, {x}); }
Tensor sign(const Tensor& x) { return apply(kSign, {x}); }
Tensor square(const Tensor& x) { return apply(kSquare, {x}); }
Tensor sqrt(const Tensor& x) { return apply(kSqrt, {x}); }
Tensor rsqrt(const Tensor& x) { return apply(kRsqrt, {x}); }
Tensor expm1(const Tensor& x) { return apply(kExpm1, {x}); }
Tensor log1p(const Tensor& x) { return apply(kLog1p, {x}); }
Tensor sin(const Tensor& x) { return apply(kSin, {x}); }
Tensor cos(const Tensor& x) { return apply(kCos, {x}); }
Tensor tanh(const Tensor& x) { return apply(kTanh, {x}); }
Tensor sigmoid(const Tensor& x) { return apply(kSigmoid, {x}); }
Tensor softplus(const Tensor& x) { return apply(kSoftplus, {x}); }
Tensor relu6(const Tensor& x) { return apply(kRelu6, {x}); }
Tensor leaky_relu(const Tensor& x, double alpha) {
  // tf.nn.leaky_relu casts integer features to float32 before the op.
  const bool integer = x.dtype() == DType::i32 || x.dtype() == DType::i64;
  return apply(kLeakyRelu, {integer ? cast(x, DType::f32) : x}, alpha_attrs(alpha));
}
Tensor elu(const Tensor& x) { return apply(kElu, {x}); }
Tensor selu(const Tensor& x) { return apply(kSelu, {x}); }
Tensor gelu(const Tensor& x, bool approximate) { return apply(kGelu, {x}, flag_attrs(approximate)); }
Tensor silu(const Tensor& x) { return apply(kSilu, {x}); }
Tensor floor(const Tensor& x) { return apply(kFloor, {x}); }
Tensor round(const Tensor& x) { return apply(kRound, {x}); }
Tensor ceil(const Tensor& x) { return apply(kCeil, {x}); }
Tensor identity(const Tensor& x) { return apply(kIdentity, {x}); }
Tensor stop_gradient(const Tensor& x) { return apply(kStopGradient, {x}); }

Tensor relu6_grad(const Tensor& g, const Tensor& y) { return apply(kRelu6Grad, {g, y}); }
Tensor leaky_relu_grad(const Tensor& g, const Tensor& x, double alpha) {
  return apply(kLeakyReluGrad, {g, x}, alpha_attrs(alpha));
}
Tensor elu_grad(const Tensor& g, const Tensor& y) { return apply(kEluGrad, {g, y}); }
Tensor selu_grad(const Tensor& g, const Tensor& y) { return apply(kSeluGrad, {g, y}); }
Tensor gelu_grad(const Tensor& g, const Tensor& x, bool approximate) {
  return apply(kGeluGrad, {g, x}, flag_attrs(approximate));
}
Tensor silu_grad(const Tensor& g, const Tensor& x) { return apply(kSiluGrad, {g, x}); }

}  // namespace tg::ops
