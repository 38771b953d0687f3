// SPDX-License-Identifier: Apache-2.0
// Pooling ops: geometry checks, forward kernel calls and gradient rules side by side.
//
// Ops in the registry (one Attrs layout: ints = {KH, KW, SH, SW, pad_top, pad_bottom,
// pad_left, pad_right}, padding resolved):
//   max_pool2d            (x)        grad: max_pool2d_grad(x, g)
//   max_pool2d_grad       (x, dy)    dy scattered to each window's first maximum; linear in dy,
//                                    x only picks the positions (no gradient)
//                                    grad: max_pool2d_grad_grad(x, h)
//   max_pool2d_grad_grad  (x, h)     h read at each window's first maximum (the transpose)
//                                    grad: max_pool2d_grad(x, g)
//   avg_pool2d            (x)        grad: avg_pool2d_grad(g), shape = x's shape
//   avg_pool2d_grad       (dy)       grad: avg_pool2d(h)
// All are piecewise linear, so every second derivative is zero.
#include "autodiff/ops/pool.h"

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/pool_kernels.h"

namespace tg::ops {
namespace {

enum : size_t { kKH, kKW, kSH, kSW, kPadTop, kPadBottom, kPadLeft, kPadRight, kNumInts };

Pool2dGeometry pool2d_geometry(const char* op, const Shape& x, const Attrs& at) {
  if (x.rank() != 4)
    fail(Status::invalid_argument,
         "{}: input must have rank 4 (batch, height, width, channels), got shape {}", op, x.str());
  if (at.ints.size() != kNumInts) fail(Status::internal, "{}: malformed attributes", op);
  const auto i = [&](size_t k) { return at.ints[k]; };
  Pool2dGeometry g;
  g.batch = x[0], g.in_h = x[1], g.in_w = x[2], g.channels = x[3];
  g.window_h = i(kKH), g.window_w = i(kKW), g.stride_h = i(kSH), g.stride_w = i(kSW);
  g.pad_top = i(kPadTop), g.pad_left = i(kPadLeft);
  g.out_h = window_output_size({op, "height", x}, g.in_h, g.window_h, g.stride_h, 1,
                               {i(kPadTop), i(kPadBottom)});
  g.out_w = window_output_size({op, "width", x}, g.in_w, g.window_w, g.stride_w, 1,
                               {i(kPadLeft), i(kPadRight)});
  // The max-pool kernels index the cells of one image with 32-bit integers.
  if (g.in_h > 0 && g.in_w > (int64_t{1} << 31) / g.in_h)
    fail(Status::invalid_argument, "{}: images of {}x{} cells are too large (at most 2^31 cells; input {})",
         op, g.in_h, g.in_w, x);
  return g;
}

Shape output_shape(const Pool2dGeometry& g) { return Shape{g.batch, g.out_h, g.out_w, g.channels}; }

void check_floating(const char* op, const char* what, const Tensor& t) {
  if (!is_floating(t.dtype()))
    fail(Status::invalid_argument, "{}: {} must be float32 or float64, got {} {}", op, what,
         dtype_name(t.dtype()), t.shape().str());
}

// For the gradient ops: a second input of the given shape and x's dtype.
void check_second(const char* op, const char* what, const Tensor& x, const Tensor& t,
                  const Shape& want) {
  check_floating(op, "input", x);
  if (t.dtype() != x.dtype() || t.shape() != want)
    fail(Status::invalid_argument, "{}: {} must be {} {}, got {} {}", op, what,
         dtype_name(x.dtype()), want.str(), dtype_name(t.dtype()), t.shape().str());
}

// ---- max_pool2d(x) ----
Tensor max_pool_forward(std::span<const Tensor> in, const Attrs& at) {
  check_floating("max_pool2d", "input", in[0]);
  return max_pool2d_kernel(in[0], pool2d_geometry("max_pool2d", in[0].shape(), at));
}
void max_pool_backward(const GradContext& c, std::span<Tensor> g);
const OpDef kMaxPool{.name = "max_pool2d", .arity = 1, .forward = max_pool_forward,
                     .backward = max_pool_backward, .saves_inputs = true};

// ---- max_pool2d_grad(x, dy) ----
Tensor max_pool_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "max_pool2d_grad";
  const Pool2dGeometry g = pool2d_geometry(op, in[0].shape(), at);
  check_second(op, "out_backprop", in[0], in[1], output_shape(g));
  return max_pool2d_grad_kernel(in[0], in[1], g);
}
void max_pool_grad_backward(const GradContext& c, std::span<Tensor> g);
const OpDef kMaxPoolGrad{.name = "max_pool2d_grad", .arity = 2, .forward = max_pool_grad_forward,
                         .backward = max_pool_grad_backward, .differentiable_inputs = 0b10,
                         .saves_inputs = true};

// ---- max_pool2d_grad_grad(x, h) ----
Tensor max_pool_grad_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "max_pool2d_grad_grad";
  const Pool2dGeometry g = pool2d_geometry(op, in[0].shape(), at);
  check_second(op, "the gradient", in[0], in[1], in[0].shape());
  return max_pool2d_gather_kernel(in[0], in[1], g);
}
void max_pool_grad_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[1] = apply(kMaxPoolGrad, {c.inputs[0], c.grad}, c.attrs);
}
const OpDef kMaxPoolGradGrad{.name = "max_pool2d_grad_grad", .arity = 2,
                             .forward = max_pool_grad_grad_forward,
                             .backward = max_pool_grad_grad_backward,
                             .differentiable_inputs = 0b10, .saves_inputs = true};

void max_pool_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = apply(kMaxPoolGrad, {c.inputs[0], c.grad}, c.attrs);
}
void max_pool_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[1] = apply(kMaxPoolGradGrad, {c.inputs[0], c.grad}, c.attrs);
}

// ---- avg_pool2d(x) and avg_pool2d_grad(dy); the latter's shape = x's shape ----
Tensor avg_pool_forward(std::span<const Tensor> in, const Attrs& at) {
  check_floating("avg_pool2d", "input", in[0]);
  return avg_pool2d_kernel(in[0], pool2d_geometry("avg_pool2d", in[0].shape(), at));
}
void avg_pool_backward(const GradContext& c, std::span<Tensor> g);
const OpDef kAvgPool{.name = "avg_pool2d", .arity = 1, .forward = avg_pool_forward,
                     .backward = avg_pool_backward};

Tensor avg_pool_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "avg_pool2d_grad";
  const Pool2dGeometry g = pool2d_geometry(op, at.shape, at);
  check_floating(op, "out_backprop", in[0]);
  if (in[0].shape() != output_shape(g))
    fail(Status::invalid_argument, "{}: out_backprop must have shape {}, got {}", op,
         output_shape(g).str(), in[0].shape().str());
  return avg_pool2d_grad_kernel(in[0], g);
}
void avg_pool_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = apply(kAvgPool, {c.grad}, c.attrs);
}
const OpDef kAvgPoolGrad{.name = "avg_pool2d_grad", .arity = 1, .forward = avg_pool_grad_forward,
                         .backward = avg_pool_grad_backward};

void avg_pool_backward(const GradContext& c, std::span<Tensor> g) {
  Attrs at = c.attrs;
  at.shape = c.input_meta[0].shape;
  g[0] = apply(kAvgPoolGrad, {c.grad}, at);
}

constexpr const OpDef* kOps[] = {&kMaxPool, &kMaxPoolGrad, &kMaxPoolGradGrad, &kAvgPool,
                                 &kAvgPoolGrad};

Attrs pool2d_attrs(const char* op, const Shape& x, const Pool2dOptions& o) {
  if (o.padding != Padding::valid && o.padding != Padding::same)
    fail(Status::invalid_argument, "{}: padding must be 'valid' or 'same', got '{}'", op,
         padding_name(o.padding));
  WindowPads ph, pw;
  if (x.rank() == 4) {
    ph = window_padding({op, "height", x}, x[1], o.window_h, o.stride_h, 1, o.padding);
    pw = window_padding({op, "width", x}, x[2], o.window_w, o.stride_w, 1, o.padding);
  }
  Attrs at;
  at.ints = {o.window_h, o.window_w, o.stride_h, o.stride_w, ph.before, ph.after, pw.before, pw.after};
  pool2d_geometry(op, x, at);
  return at;
}

void check_rank4(const char* op, const Tensor& x) {
  if (x.rank() != 4)
    fail(Status::invalid_argument,
         "{}: input must have rank 4 (batch, height, width, channels), got shape {}", op,
         x.shape().str());
}

}  // namespace

std::span<const OpDef* const> pool_ops() { return kOps; }

Tensor max_pool2d(const Tensor& input, const Pool2dOptions& options) {
  return apply(kMaxPool, {input}, pool2d_attrs("max_pool2d", input.shape(), options));
}

Tensor avg_pool2d(const Tensor& input, const Pool2dOptions& options) {
  return apply(kAvgPool, {input}, pool2d_attrs("avg_pool2d", input.shape(), options));
}

Tensor max_pool2d_grad(const Tensor& input, const Tensor& out_backprop, const Pool2dOptions& options) {
  return apply(kMaxPoolGrad, {input, out_backprop},
               pool2d_attrs("max_pool2d_grad", input.shape(), options));
}

Tensor max_pool2d_grad_grad(const Tensor& input, const Tensor& grad, const Pool2dOptions& options) {
  return apply(kMaxPoolGradGrad, {input, grad},
               pool2d_attrs("max_pool2d_grad_grad", input.shape(), options));
}

Tensor avg_pool2d_grad(const Shape& input_shape, const Tensor& out_backprop,
                       const Pool2dOptions& options) {
  Attrs at = pool2d_attrs("avg_pool2d_grad", input_shape, options);
  at.shape = input_shape;
  return apply(kAvgPoolGrad, {out_backprop}, at);
}

Tensor global_average_pool2d(const Tensor& input, bool keepdims) {
  check_rank4("global_average_pool2d", input);
  const int64_t axes[] = {1, 2};
  return reduce_mean(input, axes, keepdims);
}

Tensor global_max_pool2d(const Tensor& input, bool keepdims) {
  check_rank4("global_max_pool2d", input);
  const int64_t axes[] = {1, 2};
  return reduce_max(input, axes, keepdims);
}

}  // namespace tg::ops
