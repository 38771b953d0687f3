/* SPDX-License-Identifier: Apache-2.0 */
// Kernels of the 2-D convolution ops (src/autodiff/ops/conv.cpp): the convolution and its two
// gradients, as im2col + GEMM (our AVX-512 SGEMM where the CPU has it, else OpenBLAS), split
// over the batch with parallel_for. They compute values only; the op has checked shapes,
// dtypes and the geometry.
//
// Legend (NHWC input, HWIO filter, as Keras):
//   N = batch; H, W, C = input height, width, channels
//   KH, KW = filter height, width; G = groups; CG = C / G input channels per group
//   O = output channels; OG = O / G output channels per group
//   OH, OW = output height, width; SH, SW = strides; DH, DW = dilations
//   K = KH·KW·CG, one output pixel's receptive field in one group (the filter's HWI order)
// Output pixel (oh, ow) reads input row oh·SH − pad_top + kh·DH and column
// ow·SW − pad_left + kw·DW; cells outside the input are zeros (the padding).
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

struct Conv2dGeometry {
  int64_t batch = 0, in_h = 0, in_w = 0, in_c = 0;     // input (N, H, W, C)
  int64_t kernel_h = 0, kernel_w = 0, out_c = 0;        // filter (KH, KW, CG, O)
  int64_t groups = 1;                                   // G; C and O are multiples of it
  int64_t out_h = 0, out_w = 0;                         // output (N, OH, OW, O)
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;  // the bottom / right padding follows from out_h / out_w

  int64_t group_in() const { return in_c / groups; }    // CG
  int64_t group_out() const { return out_c / groups; }  // OG
  int64_t patch() const { return kernel_h * kernel_w * group_in(); }  // K
};

// y (N, OH, OW, O) = the cross-correlation of x (N, H, W, C) with w (KH, KW, CG, O), per group,
// plus bias (O) if it is defined (added by the GEMM itself: no extra pass over y).
Tensor conv2d_kernel(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dGeometry& g);

// dx (N, H, W, C): the gradient of conv2d with respect to x for dy (N, OH, OW, O); linear
// in dy (the transposed convolution).
Tensor conv2d_backprop_input_kernel(const Tensor& dy, const Tensor& w, const Conv2dGeometry& g);

// dw (KH, KW, CG, O): the gradient of conv2d with respect to w, for input x and dy.
Tensor conv2d_backprop_filter_kernel(const Tensor& x, const Tensor& dy, const Conv2dGeometry& g);

}  // namespace tg
