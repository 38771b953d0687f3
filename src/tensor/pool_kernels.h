/* SPDX-License-Identifier: Apache-2.0 */
// Kernels of the 2-D pooling ops (src/autodiff/ops/pool.cpp), as TensorFlow's CPU kernels
// define them. They compute values only; the op has checked shapes and geometry.
//
// Legend: N = batch; H, W = input height, width; C = channels (NHWC); KH, KW = window;
// SH, SW = strides; OH, OW = output height, width. Window (oh, ow) covers input rows
// [oh·SH − pad_top, … + KH) and columns [ow·SW − pad_left, … + KW), clipped to the input:
// padded cells never take part (they never win a max and are not counted in an average).
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

struct Pool2dGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, channels = 0;  // input (N, H, W, C)
  int64_t window_h = 1, window_w = 1, stride_h = 1, stride_w = 1;
  int64_t out_h = 0, out_w = 0;                         // output (N, OH, OW, C)
  int64_t pad_top = 0, pad_left = 0;
};

// y (N, OH, OW, C): the maximum of each window. The maximum is the first maximal element in
// row-major scan order (rows, then columns), the one max_pool2d_grad routes the gradient to.
Tensor max_pool2d_kernel(const Tensor& x, const Pool2dGeometry& g);

// dx (N, H, W, C): each dy element added to its window's maximal element of x (the first in
// scan order on ties); overlapping windows add up. Linear in dy.
Tensor max_pool2d_grad_kernel(const Tensor& x, const Tensor& dy, const Pool2dGeometry& g);

// out (N, OH, OW, C): h (N, H, W, C) read at each window's maximal element of x — the
// transpose of max_pool2d_grad_kernel, and max_pool2d_kernel itself when h is x.
Tensor max_pool2d_gather_kernel(const Tensor& x, const Tensor& h, const Pool2dGeometry& g);

// y (N, OH, OW, C): the mean of each window over its cells inside the input.
Tensor avg_pool2d_kernel(const Tensor& x, const Pool2dGeometry& g);

// dx (N, H, W, C): each dy element spread evenly over its window's cells inside the input.
Tensor avg_pool2d_grad_kernel(const Tensor& dy, const Pool2dGeometry& g);

}  // namespace tg
