/* SPDX-License-Identifier: Apache-2.0 */
// Pooling with Keras's channels_last layout: tf.nn.max_pool2d / avg_pool2d (as TensorFlow's
// CPU kernels), and the global poolings of Keras's GlobalMaxPooling2D / GlobalAveragePooling2D.
// Part of autodiff/ops.h; definitions and gradient rules in ops/pool.cpp.
#pragma once

#include <cstdint>

#include "autodiff/op.h"
#include "autodiff/ops/window.h"

namespace tg::ops {

struct Pool2dOptions {
  int64_t window_h = 2, window_w = 2;  // Keras's pool_size default
  int64_t stride_h = 2, stride_w = 2;  // Keras: strides default to the pool size
  Padding padding = Padding::valid;    // valid or same
};

// input (N, H, W, C) floating → (N, OH, OW, C), output sizes as conv2d's with dilation 1.
// max: padded cells never win; the gradient goes whole to the first maximal element of each
// window in row-major scan order (top-most, then left-most), and overlapping windows add up.
// avg: the mean over the window's cells inside the input ('same' does not count padding),
// and the gradient is spread the same way.
// Errors (invalid_argument, naming the op and the shape): rank other than 4, non-floating
// dtype, window or stride < 1, padding other than valid/same, a window larger than the input.
Tensor max_pool2d(const Tensor& input, const Pool2dOptions& options = {});
Tensor avg_pool2d(const Tensor& input, const Pool2dOptions& options = {});

// The gradient ops, as TensorFlow's MaxPoolGrad, MaxPoolGradGrad and AvgPoolGrad (the
// backward rules use them; exposed for tests and for users who want them directly).
// max_pool2d_grad: out_backprop (N, OH, OW, C) routed into input's shape at each window's
// first maximum of `input`. max_pool2d_grad_grad: grad (input's shape) read at those
// positions → (N, OH, OW, C). avg_pool2d_grad: out_backprop spread over the windows into
// input_shape.
Tensor max_pool2d_grad(const Tensor& input, const Tensor& out_backprop, const Pool2dOptions& options);
Tensor max_pool2d_grad_grad(const Tensor& input, const Tensor& grad, const Pool2dOptions& options);
Tensor avg_pool2d_grad(const Shape& input_shape, const Tensor& out_backprop,
                       const Pool2dOptions& options);

// Mean / max over H and W of (N, H, W, C) → (N, C), or (N, 1, 1, C) with keepdims: plain
// reduce_mean / reduce_max over axes 1 and 2 (the max gradient is split among ties, as
// tf.reduce_max's). Error for a rank other than 4.
Tensor global_average_pool2d(const Tensor& input, bool keepdims = false);
Tensor global_max_pool2d(const Tensor& input, bool keepdims = false);

}  // namespace tg::ops
