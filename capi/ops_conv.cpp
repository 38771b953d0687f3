// SPDX-License-Identifier: Apache-2.0
// Convolution, pooling and normalization: thin shims over the conv, pool and norm families of
// src/autodiff/ops.h. Each checks its handles and arguments, runs the op (which records it
// on the active tapes) and writes the new tensor handles last.
#include <cstdint>
#include <span>

#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::Status;
using tg::Tensor;
using tg::capi::new_tensor_handle;
using tg::capi::require_out;
using tg::capi::tensor_arg;
using tg::ops::Padding;

// A tg_padding from C, checked: any int may arrive.
Padding padding_arg(const tg_padding& padding) {
  const int code = tg::capi::enum_value(padding);
  if (code < TG_PADDING_VALID || code > TG_PADDING_CAUSAL)
    tg::fail(Status::invalid_argument,
             "padding {} is not a tg_padding (TG_PADDING_VALID, TG_PADDING_SAME, TG_PADDING_CAUSAL)",
             code);
  return static_cast<Padding>(code);
}

// An optional tensor argument: NULL gives an undefined tensor.
Tensor optional_tensor_arg(const tg_tensor* t, const char* what) {
  return t ? tensor_arg(t, what) : Tensor();
}

tg::ops::Conv2dOptions conv_options(int64_t stride_h, int64_t stride_w, const tg_padding& padding,
                                    int64_t dilation_h, int64_t dilation_w) {
  return {stride_h, stride_w, padding_arg(padding), dilation_h, dilation_w};
}

using Pool = Tensor (*)(const Tensor&, const tg::ops::Pool2dOptions&);

tg_status pool_shim(const char* function, Pool op, const tg_tensor* input, int64_t pool_h,
                    int64_t pool_w, int64_t stride_h, int64_t stride_w, const tg_padding& padding,
                    tg_tensor** out) {
  return tg::capi::guard(function, [&] {
    const Tensor& x = tensor_arg(input, "input");
    const tg::ops::Pool2dOptions o{pool_h, pool_w, stride_h, stride_w, padding_arg(padding)};
    tg_tensor*& o_ = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(x, o));
    o_ = h;
  });
}

using GlobalPool = Tensor (*)(const Tensor&, bool);

tg_status global_pool_shim(const char* function, GlobalPool op, const tg_tensor* input,
                           int keepdims, tg_tensor** out) {
  return tg::capi::guard(function, [&] {
    const Tensor& x = tensor_arg(input, "input");
    tg_tensor*& o = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(x, keepdims != 0));
    o = h;
  });
}

}  // namespace

extern "C" {

tg_status tg_conv2d(const tg_tensor* input, const tg_tensor* filters, const tg_tensor* bias,
                    int64_t stride_h, int64_t stride_w, tg_padding padding, int64_t dilation_h,
                    int64_t dilation_w, tg_tensor** out) {
  return tg::capi::guard("tg_conv2d", [&] {
    const Tensor& x = tensor_arg(input, "input");
    const Tensor& w = tensor_arg(filters, "filters");
    const Tensor b = optional_tensor_arg(bias, "bias");
    const auto o = conv_options(stride_h, stride_w, padding, dilation_h, dilation_w);
    tg_tensor*& r = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::conv2d(x, w, o, b));
    r = h;
  });
}

tg_status tg_conv2d_backprop_input(const int64_t* input_shape, int rank, const tg_tensor* filters,
                                   const tg_tensor* out_backprop, int64_t stride_h,
                                   int64_t stride_w, tg_padding padding, int64_t dilation_h,
                                   int64_t dilation_w, tg_tensor** out) {
  return tg::capi::guard("tg_conv2d_backprop_input", [&] {
    const tg::Shape shape = tg::capi::shape_arg(input_shape, rank);
    const Tensor& w = tensor_arg(filters, "filters");
    const Tensor& dy = tensor_arg(out_backprop, "out_backprop");
    const auto o = conv_options(stride_h, stride_w, padding, dilation_h, dilation_w);
    tg_tensor*& r = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::conv2d_backprop_input(shape, w, dy, o));
    r = h;
  });
}

tg_status tg_conv2d_backprop_filter(const tg_tensor* input, const int64_t* filter_shape, int rank,
                                    const tg_tensor* out_backprop, int64_t stride_h,
                                    int64_t stride_w, tg_padding padding, int64_t dilation_h,
                                    int64_t dilation_w, tg_tensor** out) {
  return tg::capi::guard("tg_conv2d_backprop_filter", [&] {
    const Tensor& x = tensor_arg(input, "input");
    const tg::Shape shape = tg::capi::shape_arg(filter_shape, rank);
    const Tensor& dy = tensor_arg(out_backprop, "out_backprop");
    const auto o = conv_options(stride_h, stride_w, padding, dilation_h, dilation_w);
    tg_tensor*& r = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::conv2d_backprop_filter(x, shape, dy, o));
    r = h;
  });
}

tg_status tg_conv1d(const tg_tensor* input, const tg_tensor* filters, const tg_tensor* bias,
                    int64_t stride, tg_padding padding, int64_t dilation, tg_tensor** out) {
  return tg::capi::guard("tg_conv1d", [&] {
    const Tensor& x = tensor_arg(input, "input");
    const Tensor& w = tensor_arg(filters, "filters");
    const Tensor b = optional_tensor_arg(bias, "bias");
    const Padding p = padding_arg(padding);
    tg_tensor*& r = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::conv1d(x, w, stride, p, dilation, b));
    r = h;
  });
}

tg_status tg_max_pool2d(const tg_tensor* input, int64_t pool_h, int64_t pool_w, int64_t stride_h,
                        int64_t stride_w, tg_padding padding, tg_tensor** out) {
  return pool_shim("tg_max_pool2d", tg::ops::max_pool2d, input, pool_h, pool_w, stride_h,
                   stride_w, padding, out);
}

tg_status tg_avg_pool2d(const tg_tensor* input, int64_t pool_h, int64_t pool_w, int64_t stride_h,
                        int64_t stride_w, tg_padding padding, tg_tensor** out) {
  return pool_shim("tg_avg_pool2d", tg::ops::avg_pool2d, input, pool_h, pool_w, stride_h,
                   stride_w, padding, out);
}

tg_status tg_global_average_pool2d(const tg_tensor* input, int keepdims, tg_tensor** out) {
  return global_pool_shim("tg_global_average_pool2d", tg::ops::global_average_pool2d, input,
                          keepdims, out);
}

tg_status tg_global_max_pool2d(const tg_tensor* input, int keepdims, tg_tensor** out) {
  return global_pool_shim("tg_global_max_pool2d", tg::ops::global_max_pool2d, input, keepdims,
                          out);
}

tg_status tg_fused_batch_norm(const tg_tensor* x, const tg_tensor* scale, const tg_tensor* offset,
                              double epsilon, tg_tensor** out_y, tg_tensor** out_batch_mean,
                              tg_tensor** out_batch_variance) {
  return tg::capi::guard("tg_fused_batch_norm", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    Tensor s = optional_tensor_arg(scale, "scale");
    Tensor b = optional_tensor_arg(offset, "offset");
    tg_tensor*& y = require_out(out_y, "out_y");
    if (tx.rank() >= 1) {  // NULL scale / offset: ones / zeros of the channel count
      const tg::Shape channels{tx.shape()[tx.rank() - 1]};
      if (!s) s = Tensor::full(channels, tx.dtype(), 1.0);
      if (!b) b = Tensor::zeros(channels, tx.dtype());
    }
    const tg::ops::FusedBatchNorm r = tg::ops::fused_batch_norm(tx, s, b, epsilon);
    // All handles are made before any is written, and freed again if one cannot be made.
    tg_tensor* made[3] = {nullptr, nullptr, nullptr};
    try {
      made[0] = new_tensor_handle(r.y);
      if (out_batch_mean) made[1] = new_tensor_handle(r.batch_mean);
      if (out_batch_variance) made[2] = new_tensor_handle(r.batch_variance);
    } catch (...) {
      for (tg_tensor* h : made) tg::capi::free_handle(h, "output");
      throw;
    }
    y = made[0];
    if (out_batch_mean) *out_batch_mean = made[1];
    if (out_batch_variance) *out_batch_variance = made[2];
  });
}

tg_status tg_batch_normalization(const tg_tensor* x, const tg_tensor* mean,
                                 const tg_tensor* variance, const tg_tensor* offset,
                                 const tg_tensor* scale, double epsilon, tg_tensor** out) {
  return tg::capi::guard("tg_batch_normalization", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const Tensor& m = tensor_arg(mean, "mean");
    const Tensor& v = tensor_arg(variance, "variance");
    const Tensor b = optional_tensor_arg(offset, "offset");
    const Tensor s = optional_tensor_arg(scale, "scale");
    tg_tensor*& o = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::batch_normalization(tx, m, v, b, s, epsilon));
    o = h;
  });
}

tg_status tg_layer_normalization(const tg_tensor* x, const tg_tensor* gamma, const tg_tensor* beta,
                                 const int64_t* axes, size_t num_axes, double epsilon,
                                 tg_tensor** out) {
  return tg::capi::guard("tg_layer_normalization", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const Tensor g = optional_tensor_arg(gamma, "gamma");
    const Tensor b = optional_tensor_arg(beta, "beta");
    if (!axes && num_axes > 0)
      tg::fail(Status::invalid_argument, "axes is NULL but num_axes is {}", num_axes);
    tg_tensor*& o = require_out(out, "out");
    tg_tensor* h = new_tensor_handle(
        tg::ops::layer_normalization(tx, g, b, std::span<const int64_t>(axes, num_axes), epsilon));
    o = h;
  });
}

}  // extern "C"
