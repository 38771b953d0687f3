/* SPDX-License-Identifier: Apache-2.0 */
// Kernels of the shape ops (src/autodiff/ops/shape.cpp): strided windows and their scatter,
// concatenation, gather and its scatter-add, one-hot, tiling. They compute values only; every
// index they receive has been checked by the op (shape and range checks live there).
//
// Legend: r = rank; "window" = the elements x[begin_d + i_d * stride_d] for i_d in [0, n_d),
// one per output position (strides may be negative, never zero).
#pragma once

#include <cstdint>
#include <span>

#include "tensor/tensor.h"

namespace tg {

// out (out_shape) [i] = x[begin + i * strides], per axis. Same rank as x; all positions in range.
// Serves slice (strides 1) and strided_slice.
Tensor window_kernel(const Tensor& x, std::span<const int64_t> begin,
                     std::span<const int64_t> strides, const Shape& out_shape);

// The transpose of window_kernel: a tensor of `shape` filled with `fill` (converted to g's
// dtype), with out[begin + i * strides] = g[i]. Window positions must be distinct and in range.
// Serves pad (strides 1, fill = the constant) and strided_slice_grad (fill 0).
Tensor window_scatter_kernel(const Tensor& g, const Shape& shape, std::span<const int64_t> begin,
                             std::span<const int64_t> strides, double fill);

// Concatenation along `axis` of tensors of one dtype and rank whose other dims agree.
Tensor concat_kernel(std::span<const Tensor> xs, int axis, const Shape& out_shape);

// params (O, N, I) viewed around `axis` (O = dims before, N = params.shape[axis], I = dims
// after); indices (int32/int64) flattened to K entries, each in [0, N).
// out (O, K, I) = params[:, indices, :], stored with shape out_shape.
Tensor gather_kernel(const Tensor& params, const Tensor& indices, int axis, const Shape& out_shape);

// The transpose of gather: out (params_shape, zeros) with out[:, indices[k], :] += g[:, k, :]
// for every k, so duplicate indices accumulate. g is (O, K, I) in any shape of that size.
Tensor gather_grad_kernel(const Tensor& g, const Tensor& indices, int axis,
                          const Shape& params_shape);

// indices (int32/int64) of shape S; out = S[:axis] + (depth) + S[axis:], of `dtype`, holding
// on_value where the index along `axis` equals the position, off_value elsewhere (an index
// outside [0, depth) gives a row of off_value). axis in [0, rank(S)].
Tensor one_hot_kernel(const Tensor& indices, int64_t depth, int axis, double on_value,
                      double off_value, DType dtype);

// out.shape[d] = x.shape[d] * multiples[d]; out[i] = x[i mod x.shape].
Tensor tile_kernel(const Tensor& x, std::span<const int64_t> multiples, const Shape& out_shape);

}  // namespace tg
