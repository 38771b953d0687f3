/* SPDX-License-Identifier: Apache-2.0 */
// Convolutions with Keras's channels_last layout (tf.nn.conv2d, tf.nn.conv1d, and the two
// gradients of conv2d as ops of their own, tf.nn.conv2d_backprop_input / _filter). Part of
// autodiff/ops.h; definitions and gradient rules in ops/conv.cpp, window arithmetic in
// ops/window.h.
//
// Shapes: input (N, H, W, C); filters (KH, KW, C / G, O), i.e. HWIO; output (N, OH, OW, O).
// The number of groups G is C / filters.shape[2]: each group of C/G input channels feeds
// its own O/G output channels (G = C is a depthwise convolution). It is cross-correlation
// (the filter is not flipped), as in TensorFlow.
#pragma once

#include <cstdint>

#include "autodiff/op.h"
#include "autodiff/ops/window.h"

namespace tg::ops {

struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  Padding padding = Padding::valid;  // valid or same (causal is for conv1d only)
  int64_t dilation_h = 1, dilation_w = 1;
};

// bias, if defined, has shape (O) and is added to every output pixel (Keras's use_bias), as
// part of the op: its gradient is the sum of the output gradient over N, OH and OW.
// Errors (invalid_argument, naming the op and the shapes): ranks other than 4, different or
// non-floating dtypes, strides / dilations / filter sizes < 1, strides > 1 together with
// dilations > 1 (as Keras), C not a multiple of the filters' input depth, O not a multiple of
// the groups, a filter larger than the padded input, a bias other than (O), sizes that
// overflow.
Tensor conv2d(const Tensor& input, const Tensor& filters, const Conv2dOptions& options = {},
              const Tensor& bias = {});

// The gradient of conv2d with respect to its input: dx of `input_shape` for the output
// gradient out_backprop (N, OH, OW, O). Linear in out_backprop; also the transposed
// convolution. Differentiable in filters and out_backprop.
Tensor conv2d_backprop_input(const Shape& input_shape, const Tensor& filters,
                             const Tensor& out_backprop, const Conv2dOptions& options = {});

// The gradient of conv2d with respect to its filters: dw of `filter_shape`. Differentiable in
// input and out_backprop.
Tensor conv2d_backprop_filter(const Tensor& input, const Shape& filter_shape,
                              const Tensor& out_backprop, const Conv2dOptions& options = {});

// Keras Conv1D's convolution: input (N, W, C), filters (K, C / G, O) → (N, OW, O), padding
// valid, same or causal (d·(K − 1) zeros before, none after), optional bias (O). Runs as
// conv2d on a height-1 image, so it shares its kernels and gradients.
Tensor conv1d(const Tensor& input, const Tensor& filters, int64_t stride = 1,
              Padding padding = Padding::valid, int64_t dilation = 1, const Tensor& bias = {});

}  // namespace tg::ops
