// SPDX-License-Identifier: Apache-2.0
// Elementwise ops: forward kernel and gradient rule side by side. Binary ops broadcast; the
// tape sums their gradients back down to each input's shape (OpDef::broadcasts).
#include <cmath>
#include <type_traits>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/elementwise.h"

namespace tg::ops {
namespace {

// Integer arithmetic wraps (as in TensorFlow) instead of being undefined on overflow.
template <class T, class F>
T wrapping(T a, T b, F f) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(f(static_cast<U>(a), static_cast<U>(b)));
}

template <class F>
Tensor binary_numeric(std::span<const Tensor> in, const char* op, F f) {
  const Tensor& a = in[0];
  const Tensor& b = in[1];
  if (a.dtype() != b.dtype())
    fail(Status::invalid_argument, "{}: dtypes differ: {} {} and {} {}", op, dtype_name(a.dtype()),
         a.shape().str(), dtype_name(b.dtype()), b.shape().str());
  const Shape out = broadcast_shapes(a.shape(), b.shape(), op);
  return visit_numeric(a.dtype(), op, [&]<class T>() { return binary_map<T, T, T>(a, b, out, f.template operator()<T>()); });
}

template <class F>
Tensor unary_floating(const Tensor& x, std::string_view op, F f) {
  return visit_floating(x.dtype(), op, [&]<class T>() { return unary_map<T, T>(x, f.template operator()<T>()); });
}

// ---- add ----
Tensor add_forward(std::span<const Tensor> in, const Attrs&) {
  return binary_numeric(in, "add", []<class T>() {
    if constexpr (std::is_integral_v<T>) return [](T a, T b) { return wrapping(a, b, [](auto x, auto y) { return x + y; }); };
    else return [](T a, T b) { return a + b; };
  });
}
void add_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = c.grad;
  g[1] = c.grad;
}
const OpDef kAdd{.name = "add", .arity = 2, .forward = add_forward, .backward = add_backward,
                 .broadcasts = true};

// ---- sub ----
Tensor sub_forward(std::span<const Tensor> in, const Attrs&) {
  return binary_numeric(in, "sub", []<class T>() {
    if constexpr (std::is_integral_v<T>) return [](T a, T b) { return wrapping(a, b, [](auto x, auto y) { return x - y; }); };
    else return [](T a, T b) { return a - b; };
  });
}
void sub_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = c.grad;
  if (c.needed[1]) g[1] = neg(c.grad);
}
const OpDef kSub{.name = "sub", .arity = 2, .forward = sub_forward, .backward = sub_backward,
                 .broadcasts = true};

// ---- mul ----
Tensor mul_forward(std::span<const Tensor> in, const Attrs&) {
  return binary_numeric(in, "mul", []<class T>() {
    if constexpr (std::is_integral_v<T>) return [](T a, T b) { return wrapping(a, b, [](auto x, auto y) { return x * y; }); };
    else return [](T a, T b) { return a * b; };
  });
}
void mul_backward(const GradContext& c, std::span<Tensor> g) {
  if (c.needed[0]) g[0] = mul(c.grad, c.inputs[1]);
  if (c.needed[1]) g[1] = mul(c.inputs[0], c.grad);
}
const OpDef kMul{.name = "mul", .arity = 2, .forward = mul_forward, .backward = mul_backward,
                 .saves_inputs = true, .broadcasts = true};

// ---- div ----
Tensor div_forward(std::span<const Tensor> in, const Attrs&) {
  if (!is_floating(in[0].dtype()) && in[0].dtype() == in[1].dtype())
    fail(Status::invalid_argument,
         "div: integer division is not supported ({} {} / {} {}); cast to a floating dtype first",
         dtype_name(in[0].dtype()), in[0].shape().str(), dtype_name(in[1].dtype()),
         in[1].shape().str());
  return binary_numeric(in, "div", []<class T>() { return [](T a, T b) { return a / b; }; });
}
void div_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& a = c.inputs[0];
  const Tensor& b = c.inputs[1];
  if (c.needed[0]) g[0] = div(c.grad, b);
  if (c.needed[1]) g[1] = neg(mul(c.grad, div(div(a, b), b)));  // d(a/b)/db = -a/b²
}
const OpDef kDiv{.name = "div", .arity = 2, .forward = div_forward, .backward = div_backward,
                 .saves_inputs = true, .broadcasts = true};

// ---- neg ----
Tensor neg_forward(std::span<const Tensor> in, const Attrs&) {
  return visit_numeric(in[0].dtype(), "neg", [&]<class T>() {
    if constexpr (std::is_integral_v<T>)
      return unary_map<T, T>(in[0], [](T v) { return wrapping(T(0), v, [](auto x, auto y) { return x - y; }); });
    else
      return unary_map<T, T>(in[0], [](T v) { return -v; });
  });
}
void neg_backward(const GradContext& c, std::span<Tensor> g) { g[0] = neg(c.grad); }
const OpDef kNeg{.name = "neg", .arity = 1, .forward = neg_forward, .backward = neg_backward};

// ---- exp ----
Tensor exp_forward(std::span<const Tensor> in, const Attrs&) {
  return unary_floating(in[0], "exp", []<class T>() { return [](T v) { return std::exp(v); }; });
}
void exp_backward(const GradContext& c, std::span<Tensor> g) { g[0] = mul(c.grad, c.output); }
const OpDef kExp{.name = "exp", .arity = 1, .forward = exp_forward, .backward = exp_backward,
                 .saves_output = true};

// ---- log ----
Tensor log_forward(std::span<const Tensor> in, const Attrs&) {
  return unary_floating(in[0], "log", []<class T>() { return [](T v) { return std::log(v); }; });
}
void log_backward(const GradContext& c, std::span<Tensor> g) { g[0] = div(c.grad, c.inputs[0]); }
const OpDef kLog{.name = "log", .arity = 1, .forward = log_forward, .backward = log_backward,
                 .saves_inputs = true};

// ---- relu ----
Tensor relu_forward(std::span<const Tensor> in, const Attrs&) {
  return visit_numeric(in[0].dtype(), "relu", [&]<class T>() {
    return unary_map<T, T>(in[0], [](T v) { return v > T(0) ? v : T(0); });
  });
}
// why: the gradient reads the output, not the input (y > 0 exactly where x > 0), so the tape
// keeps one tensor either way and relu_grad is the same op TensorFlow uses.
void relu_backward(const GradContext& c, std::span<Tensor> g) { g[0] = relu_grad(c.grad, c.output); }
const OpDef kRelu{.name = "relu", .arity = 1, .forward = relu_forward, .backward = relu_backward,
                  .saves_output = true};

// ---- relu_grad(g, y) = g · [y > 0] ----
Tensor relu_grad_forward(std::span<const Tensor> in, const Attrs&) {
  const Tensor& g = in[0];
  const Tensor& y = in[1];
  if (g.dtype() != y.dtype() || g.shape() != y.shape())
    fail(Status::invalid_argument, "relu_grad: gradient {} {} does not match features {} {}",
         dtype_name(g.dtype()), g.shape().str(), dtype_name(y.dtype()), y.shape().str());
  return visit_floating(g.dtype(), "relu_grad", [&]<class T>() {
    return binary_map<T, T, T>(g, y, g.shape(), [](T gv, T yv) { return yv > T(0) ? gv : T(0); });
  });
}
void relu_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = relu_grad(c.grad, c.inputs[1]);  // the mask is piecewise constant: no gradient for y
}
const OpDef kReluGrad{.name = "relu_grad", .arity = 2, .forward = relu_grad_forward,
                      .backward = relu_grad_backward, .differentiable_inputs = 0b01,
                      .saves_inputs = true};

constexpr const OpDef* kOps[] = {&kAdd, &kSub, &kMul, &kDiv, &kNeg, &kExp, &kLog, &kRelu, &kReluGrad};

}  // namespace

std::span<const OpDef* const> elementwise_ops() { return kOps; }

Tensor add(const Tensor& a, const Tensor& b) { return apply(kAdd, {a, b}); }
Tensor sub(const Tensor& a, const Tensor& b) { return apply(kSub, {a, b}); }
Tensor mul(const Tensor& a, const Tensor& b) { return apply(kMul, {a, b}); }
Tensor div(const Tensor& a, const Tensor& b) { return apply(kDiv, {a, b}); }
Tensor neg(const Tensor& x) { return apply(kNeg, {x}); }
Tensor exp(const Tensor& x) { return apply(kExp, {x}); }
Tensor log(const Tensor& x) { return apply(kLog, {x}); }
Tensor relu(const Tensor& x) { return apply(kRelu, {x}); }
Tensor relu_grad(const Tensor& g, const Tensor& y) { return apply(kReluGrad, {g, y}); }

}  // namespace tg::ops
