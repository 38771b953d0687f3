// SPDX-License-Identifier: Apache-2.0
// Convolution ops: geometry checks, forward kernel calls and gradient rules side by side.
//
// Ops in the registry (all three share one Attrs layout):
//   conv2d                  (input, filters[, bias])      grad: backprop_input, backprop_filter,
//                                                               bias: Σ g over N, OH, OW
//   conv2d_backprop_input   (filters, out_backprop)       grad: backprop_filter, conv2d
//   conv2d_backprop_filter  (input, out_backprop)         grad: backprop_input, conv2d
//   ints  = {SH, SW, DH, DW, pad_top, pad_bottom, pad_left, pad_right} (padding resolved)
//   shape = the input shape (backprop_input) or the filter shape (backprop_filter)
// conv2d is bilinear, ⟨g, conv2d(x, w)⟩ = ⟨backprop_input(g, w), x⟩ = ⟨backprop_filter(x, g), w⟩,
// so each op's gradients are the other two: every order of derivative is a convolution.
// Legend as in tensor/conv_kernels.h.
#include "autodiff/ops/conv.h"

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/checked.h"
#include "tensor/conv_kernels.h"

namespace tg::ops {
namespace {

enum : size_t { kSH, kSW, kDH, kDW, kPadTop, kPadBottom, kPadLeft, kPadRight, kNumInts };

Shape shape_of(const Conv2dGeometry& g) { return Shape{g.batch, g.out_h, g.out_w, g.out_c}; }

// Checks the shapes against the attrs and derives everything the kernels need. `op` names
// the public function in errors.
Conv2dGeometry conv2d_geometry(const char* op, const Shape& x, const Shape& w, const Attrs& at) {
  if (x.rank() != 4)
    fail(Status::invalid_argument,
         "{}: input must have rank 4 (batch, height, width, channels), got shape {}", op, x.str());
  if (w.rank() != 4)
    fail(Status::invalid_argument,
         "{}: filters must have rank 4 (height, width, in_channels / groups, out_channels), got "
         "shape {}",
         op, w.str());
  if (at.ints.size() != kNumInts) fail(Status::internal, "{}: malformed attributes", op);
  const auto i = [&](size_t k) { return at.ints[k]; };
  Conv2dGeometry g;
  g.batch = x[0], g.in_h = x[1], g.in_w = x[2], g.in_c = x[3];
  g.kernel_h = w[0], g.kernel_w = w[1], g.out_c = w[3];
  g.stride_h = i(kSH), g.stride_w = i(kSW), g.dilation_h = i(kDH), g.dilation_w = i(kDW);
  g.pad_top = i(kPadTop), g.pad_left = i(kPadLeft);
  if ((g.stride_h > 1 || g.stride_w > 1) && (g.dilation_h > 1 || g.dilation_w > 1))
    fail(Status::invalid_argument,
         "{}: strides > 1 not supported in conjunction with dilation_rate > 1 (strides ({},{}), "
         "dilations ({},{}))",
         op, g.stride_h, g.stride_w, g.dilation_h, g.dilation_w);
  if (w[2] < 1)
    fail(Status::invalid_argument, "{}: the filters' input depth must be >= 1, got filters {}", op,
         w.str());
  // why before the division: an input without channels would make 0 groups (found by the fuzzer)
  if (g.in_c == 0)
    fail(Status::invalid_argument,
         "{}: the input has depth 0 but the filters' input depth is {} (input {}, filters {}); groups = input "
         "depth / filter depth must be >= 1",
         op, w[2], x.str(), w.str());
  if (g.in_c % w[2] != 0)
    fail(Status::invalid_argument,
         "{}: input depth {} is not a multiple of the filters' input depth {} (input {}, filters "
         "{}); groups = input depth / filter depth",
         op, g.in_c, w[2], x.str(), w.str());
  g.groups = g.in_c / w[2];
  if (g.out_c % g.groups != 0)
    fail(Status::invalid_argument,
         "{}: out_channels {} is not a multiple of the number of groups {} (input {}, filters {})",
         op, g.out_c, g.groups, x.str(), w.str());
  g.out_h = window_output_size({op, "height", x, &w}, g.in_h, g.kernel_h, g.stride_h, g.dilation_h,
                               {i(kPadTop), i(kPadBottom)});
  g.out_w = window_output_size({op, "width", x, &w}, g.in_w, g.kernel_w, g.stride_w, g.dilation_w,
                               {i(kPadLeft), i(kPadRight)});
  // The kernels hold one output row's patches (im2col), out_w · K elements of up to 8 bytes, in
  // a buffer; K = KH · KW · CG is not an element count of any tensor when a dimension is 0.
  const int64_t patch = checked_mul(checked_mul(g.kernel_h, g.kernel_w, op, "the filter window (input {}, filters {})", x, w),
                                    g.group_in(), op, "the im2col patch size (input {}, filters {})", x, w);
  const int64_t row = checked_mul(g.out_w, patch, op, "the im2col row (input {}, filters {})", x, w);
  checked_mul(row, int64_t{8}, op, "the im2col row's bytes (input {}, filters {})", x, w);
  (void)shape_of(g);  // building the output shape checks its element count
  return g;
}

void check_dtypes(const char* op, const char* a_name, const Tensor& a, const char* b_name,
                  const Tensor& b) {
  if (!is_floating(a.dtype()) || a.dtype() != b.dtype())
    fail(Status::invalid_argument, "{}: {} and {} must have one floating dtype, got {} {} and {} {}",
         op, a_name, b_name, dtype_name(a.dtype()), a.shape().str(), dtype_name(b.dtype()),
         b.shape().str());
}

void check_out_backprop(const char* op, const Tensor& dy, const Conv2dGeometry& g) {
  if (dy.shape() != shape_of(g))
    fail(Status::invalid_argument,
         "{}: out_backprop has shape {}, but the convolution's output has shape {}", op,
         dy.shape().str(), shape_of(g).str());
}

Tensor backprop_input(const Shape& x, const Tensor& w, const Tensor& dy, const Attrs& at);
Tensor backprop_filter(const Tensor& x, const Shape& w, const Tensor& dy, const Attrs& at);

// The bias of conv2d (O), if given: checked against the output channels.
void check_bias(const char* op, const Tensor& bias, const Tensor& filters) {
  const Shape& w = filters.shape();
  if (bias.dtype() != filters.dtype() || bias.rank() != 1 || bias.shape()[0] != w[w.rank() - 1])
    fail(Status::invalid_argument, "{}: bias must be {} ({}) for filters {}, got {} {}", op,
         dtype_name(filters.dtype()), w[w.rank() - 1], w.str(), dtype_name(bias.dtype()),
         bias.shape().str());
}

// ---- conv2d(input, filters[, bias]) ----
// why the bias is part of the op: added inside the GEMM it costs nothing, where a separate
// add would be one more pass over the output (and OpenBLAS clears the output for beta = 0).
Tensor conv2d_forward(std::span<const Tensor> in, const Attrs& at) {
  check_dtypes("conv2d", "input", in[0], "filters", in[1]);
  const Conv2dGeometry g = conv2d_geometry("conv2d", in[0].shape(), in[1].shape(), at);
  if (in.size() == 3) check_bias("conv2d", in[2], in[1]);
  else if (in.size() != 2) fail(Status::internal, "conv2d: expected 2 or 3 inputs, got {}", in.size());
  return conv2d_kernel(in[0], in[1], in.size() == 3 ? in[2] : Tensor(), g);
}
void conv2d_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  if (c.needed[0]) g[0] = backprop_input(x.shape(), w, c.grad, c.attrs);
  if (c.needed[1]) g[1] = backprop_filter(x, w.shape(), c.grad, c.attrs);
  if (c.inputs.size() == 3 && c.needed[2]) {
    const int64_t axes[] = {0, 1, 2};
    g[2] = reduce_sum(c.grad, axes);
  }
}
const OpDef kConv2d{.name = "conv2d", .arity = -1, .forward = conv2d_forward,
                    .backward = conv2d_backward, .saves_inputs = true};

// ---- conv2d_backprop_input(filters, out_backprop); shape = input shape ----
Tensor backprop_input_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "conv2d_backprop_input";
  check_dtypes(op, "filters", in[0], "out_backprop", in[1]);
  const Conv2dGeometry g = conv2d_geometry(op, at.shape, in[0].shape(), at);
  check_out_backprop(op, in[1], g);
  return conv2d_backprop_input_kernel(in[1], in[0], g);
}
// Upstream h has the input's shape: d/dw = backprop_filter(h, dy), d/ddy = conv2d(h, w).
void backprop_input_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& w = c.inputs[0];
  const Tensor& dy = c.inputs[1];
  if (c.needed[0]) g[0] = backprop_filter(c.grad, w.shape(), dy, c.attrs);
  if (c.needed[1]) g[1] = apply(kConv2d, {c.grad, w}, c.attrs);
}
const OpDef kBackpropInput{.name = "conv2d_backprop_input", .arity = 2,
                           .forward = backprop_input_forward, .backward = backprop_input_backward,
                           .saves_inputs = true};

// ---- conv2d_backprop_filter(input, out_backprop); shape = filter shape ----
Tensor backprop_filter_forward(std::span<const Tensor> in, const Attrs& at) {
  constexpr const char* op = "conv2d_backprop_filter";
  check_dtypes(op, "input", in[0], "out_backprop", in[1]);
  const Conv2dGeometry g = conv2d_geometry(op, in[0].shape(), at.shape, at);
  check_out_backprop(op, in[1], g);
  return conv2d_backprop_filter_kernel(in[0], in[1], g);
}
// Upstream h has the filter's shape: d/dx = backprop_input(h, dy), d/ddy = conv2d(x, h).
void backprop_filter_backward(const GradContext& c, std::span<Tensor> g) {
  const Tensor& x = c.inputs[0];
  const Tensor& dy = c.inputs[1];
  if (c.needed[0]) g[0] = backprop_input(x.shape(), c.grad, dy, c.attrs);
  if (c.needed[1]) g[1] = apply(kConv2d, {x, c.grad}, c.attrs);
}
const OpDef kBackpropFilter{.name = "conv2d_backprop_filter", .arity = 2,
                            .forward = backprop_filter_forward,
                            .backward = backprop_filter_backward, .saves_inputs = true};

Tensor backprop_input(const Shape& x, const Tensor& w, const Tensor& dy, const Attrs& at) {
  Attrs a = at;
  a.shape = x;
  return apply(kBackpropInput, {w, dy}, a);
}

Tensor backprop_filter(const Tensor& x, const Shape& w, const Tensor& dy, const Attrs& at) {
  Attrs a = at;
  a.shape = w;
  return apply(kBackpropFilter, {x, dy}, a);
}

constexpr const OpDef* kOps[] = {&kConv2d, &kBackpropInput, &kBackpropFilter};

// The attrs of a 2-D convolution of an input of shape x with filters of shape w, padding
// resolved; checks everything conv2d_geometry checks, naming `op`.
Attrs conv2d_attrs(const char* op, const Shape& x, const Shape& w, const Conv2dOptions& o) {
  if (o.padding != Padding::valid && o.padding != Padding::same)
    fail(Status::invalid_argument, "{}: padding must be 'valid' or 'same', got '{}'", op,
         padding_name(o.padding));
  Attrs at;
  WindowPads ph, pw;
  if (x.rank() == 4 && w.rank() == 4) {
    ph = window_padding({op, "height", x, &w}, x[1], w[0], o.stride_h, o.dilation_h, o.padding);
    pw = window_padding({op, "width", x, &w}, x[2], w[1], o.stride_w, o.dilation_w, o.padding);
  }
  at.ints = {o.stride_h, o.stride_w, o.dilation_h, o.dilation_w, ph.before, ph.after,
             pw.before, pw.after};
  conv2d_geometry(op, x, w, at);
  return at;
}

}  // namespace

std::span<const OpDef* const> conv_ops() { return kOps; }

Tensor conv2d(const Tensor& input, const Tensor& filters, const Conv2dOptions& options,
              const Tensor& bias) {
  const Attrs at = conv2d_attrs("conv2d", input.shape(), filters.shape(), options);
  if (!bias) return apply(kConv2d, {input, filters}, at);
  check_bias("conv2d", bias, filters);
  return apply(kConv2d, {input, filters, bias}, at);
}

Tensor conv2d_backprop_input(const Shape& input_shape, const Tensor& filters,
                             const Tensor& out_backprop, const Conv2dOptions& options) {
  const Attrs at = conv2d_attrs("conv2d_backprop_input", input_shape, filters.shape(), options);
  return backprop_input(input_shape, filters, out_backprop, at);
}

Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_shape,
                              const Tensor& out_backprop, const Conv2dOptions& options) {
  const Attrs at = conv2d_attrs("conv2d_backprop_filter", input.shape(), filter_shape, options);
  return backprop_filter(input, filter_shape, out_backprop, at);
}

Tensor conv1d(const Tensor& input, const Tensor& filters, int64_t stride, Padding padding,
              int64_t dilation, const Tensor& bias) {
  constexpr const char* op = "conv1d";
  const Shape& x = input.shape();
  const Shape& w = filters.shape();
  if (x.rank() != 3)
    fail(Status::invalid_argument, "{}: input must have rank 3 (batch, width, channels), got shape {}",
         op, x.str());
  if (w.rank() != 3)
    fail(Status::invalid_argument,
         "{}: filters must have rank 3 (width, in_channels / groups, out_channels), got shape {}",
         op, w.str());
  check_dtypes(op, "input", input, "filters", filters);
  const WindowPads pw = window_padding({op, "width", x, &w}, x[1], w[0], stride, dilation, padding);
  Attrs at;
  at.ints = {1, stride, 1, dilation, 0, 0, pw.before, pw.after};
  const Shape x4{x[0], 1, x[1], x[2]}, w4{1, w[0], w[1], w[2]};
  const Conv2dGeometry g = conv2d_geometry(op, x4, w4, at);
  const Tensor x4t = reshape(input, x4), w4t = reshape(filters, w4);
  Tensor y;
  if (bias) {
    check_bias(op, bias, filters);
    y = apply(kConv2d, {x4t, w4t, bias}, at);
  } else {
    y = apply(kConv2d, {x4t, w4t}, at);
  }
  return reshape(y, Shape{g.batch, g.out_w, g.out_c});
}

}  // namespace tg::ops
