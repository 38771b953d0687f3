/* SPDX-License-Identifier: Apache-2.0 */
// Unary math: abs, sign, sqrt, trig, activations, rounding.
// Part of autodiff/ops.h; each op's definition and gradient are in ops/unary.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// TensorFlow's default slope of tf.nn.leaky_relu.
inline constexpr double kLeakyReluDefaultAlpha = 0.2;
// tf.nn.selu's constants (Klambauer et al. 2017).
inline constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
inline constexpr double kSeluScale = 1.0507009873554804934193349852946;

// Elementwise; the output has x's shape and dtype.
// Numeric dtypes (float32/64, int32/64); integer abs and square wrap around on overflow.
Tensor abs(const Tensor& x);     // gradient sign(x)·g (0 at 0, as TF)
Tensor sign(const Tensor& x);    // -1, 0 or 1 (NaN stays NaN); not differentiable
Tensor square(const Tensor& x);
Tensor relu6(const Tensor& x);   // min(max(x, 0), 6)
Tensor round(const Tensor& x);   // half to even; identity on integers; not differentiable
// Floating dtypes only.
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);   // 1/sqrt(x)
Tensor expm1(const Tensor& x);   // exp(x) - 1, accurate near 0
Tensor log1p(const Tensor& x);   // log(1 + x), accurate near 0
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);   // 1/(1 + exp(-x)), without overflow for large |x|
Tensor softplus(const Tensor& x);  // log(1 + exp(x)), without overflow for large |x|
// x > 0 ? x : αx. Integer x is cast to float32 first, as tf.nn.leaky_relu does.
Tensor leaky_relu(const Tensor& x, double alpha = kLeakyReluDefaultAlpha);
Tensor elu(const Tensor& x);       // x < 0 ? exp(x) - 1 : x
Tensor selu(const Tensor& x);      // scale · (x < 0 ? α(exp(x) - 1) : x)
// approximate = false: x·Φ(x) = 0.5·x·(1 + erf(x/√2));
// approximate = true:  0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
Tensor gelu(const Tensor& x, bool approximate = false);
Tensor silu(const Tensor& x);      // x·sigmoid(x) (swish)
Tensor floor(const Tensor& x);     // not differentiable
Tensor ceil(const Tensor& x);      // not differentiable
// Any dtype. Both return x's values as a new tensor sharing its storage; stop_gradient's
// gradient is NULL, identity's is the incoming gradient.
Tensor identity(const Tensor& x);
Tensor stop_gradient(const Tensor& x);

// Gradient ops (TF's Relu6Grad, LeakyReluGrad, EluGrad, SeluGrad, and fused GELU / SiLU
// derivatives): g times the activation's derivative, from the saved output y or input x.
// g and the second argument have one shape and floating dtype.
Tensor relu6_grad(const Tensor& g, const Tensor& y);  // g·[0 < y < 6]; differentiable in g
Tensor leaky_relu_grad(const Tensor& g, const Tensor& x, double alpha);  // in g only
Tensor elu_grad(const Tensor& g, const Tensor& y);    // y < 0 ? g·(y + 1) : g
Tensor selu_grad(const Tensor& g, const Tensor& y);   // y < 0 ? g·(y + scale·α) : g·scale
Tensor gelu_grad(const Tensor& g, const Tensor& x, bool approximate);  // g·gelu'(x)
Tensor silu_grad(const Tensor& g, const Tensor& x);   // g·silu'(x)

}  // namespace tg::ops
