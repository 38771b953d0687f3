/* SPDX-License-Identifier: Apache-2.0 */
// Shape ops: expand_dims, squeeze, concat, stack, split, slice, pad, strided_slice, gather,
// one_hot, tile. Part of autodiff/ops.h; each op's definition and gradient are in
// ops/shape.cpp. Semantics and error conditions follow TensorFlow's ops of the same name;
// every dtype is accepted unless said otherwise, and float32/float64 inputs get gradients.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "autodiff/op.h"

namespace tg::ops {

// Inserts a size-1 axis at `axis` in [-rank-1, rank] (negative counts from the end of the
// result). A reshape: shares storage.
Tensor expand_dims(const Tensor& x, int64_t axis);
// Removes the size-1 axes listed in `axes` (in [-rank, rank); duplicates allowed), or every
// size-1 axis when `axes` is empty. Naming an axis whose size is not 1 is an error.
Tensor squeeze(const Tensor& x, std::span<const int64_t> axes = {});

// Joins tensors of one dtype and rank (>= 1) along `axis` in [-rank, rank); the other dims
// must agree. One tensor is returned as is (as tf.concat does). At least one tensor.
Tensor concat(std::span<const Tensor> xs, int64_t axis);
// Stacks tensors of one dtype and shape along a new axis `axis` in [-(rank+1), rank+1).
Tensor stack(std::span<const Tensor> xs, int64_t axis = 0);
// Splits x along `axis` into `num` equal parts (num must divide the dim).
std::vector<Tensor> split(const Tensor& x, int64_t num, int64_t axis = 0);
// Splits x along `axis` into parts of the given sizes (one may be -1: the rest); the sizes
// must add up to the dim.
std::vector<Tensor> split(const Tensor& x, std::span<const int64_t> sizes, int64_t axis = 0);

// tf.slice: out = x[begin[d] : begin[d] + size[d]] along each axis d. begin[d] in
// [0, dim]; size[d] in [0, dim - begin[d]], or -1 for "to the end".
Tensor slice(const Tensor& x, std::span<const int64_t> begin, std::span<const int64_t> size);
// tf.pad (CONSTANT mode): paddings holds rank (before, after) pairs, row-major, each >= 0;
// new elements are `value` (converted to x's dtype; for integer dtypes it must be in range).
Tensor pad(const Tensor& x, std::span<const int64_t> paddings, double value = 0.0);

// tf.strided_slice with its five masks (bit i refers to entry i of begin/end/strides):
// begin_mask/end_mask ignore begin[i]/end[i] (full range in the stride's direction),
// shrink_axis_mask takes the single index begin[i] and drops the axis, new_axis_mask inserts
// a size-1 axis, ellipsis_mask (at most one bit) stands for all axes not otherwise named.
// Negative indices count from the end; strides may be negative, never zero.
struct StridedSliceMasks {
  int64_t begin = 0, end = 0, ellipsis = 0, new_axis = 0, shrink_axis = 0;
};
Tensor strided_slice(const Tensor& x, std::span<const int64_t> begin, std::span<const int64_t> end,
                     std::span<const int64_t> strides, const StridedSliceMasks& masks = {});

// tf.gather(params, indices, axis, batch_dims=0): out = params.shape[:axis] + indices.shape +
// params.shape[axis+1:]. indices int32/int64, each in [0, params.shape[axis]) (else an
// invalid-argument error naming the index). Differentiable in params only.
Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis = 0);

// tf.one_hot: indices int32/int64 of shape S; out = S with a new axis of size `depth` at
// `axis` (-1 = last, else in [0, rank(S)]), of `dtype`, on_value at the index, off_value
// elsewhere; indices outside [0, depth) give all off_value. Not differentiable.
Tensor one_hot(const Tensor& indices, int64_t depth, double on_value = 1.0, double off_value = 0.0,
               int64_t axis = -1, DType dtype = DType::f32);

// tf.tile: out.shape[d] = x.shape[d] * multiples[d], one multiple (>= 0) per axis.
Tensor tile(const Tensor& x, std::span<const int64_t> multiples);

// Gradient ops, public so that gradients of gradients can be taken through them.
// Scatter-add: zeros of params_shape with g's slices (shaped like gather's output) added at
// `indices` along `axis`; duplicates accumulate. Differentiable in g (its gradient is gather).
Tensor gather_grad(const Tensor& g, const Tensor& indices, int64_t axis, const Shape& params_shape);
// Zeros of `shape` with g written at the window begin + i * strides (strided_slice's
// gradient; its own gradient is the strided window of its incoming gradient).
Tensor strided_slice_grad(const Tensor& g, const Shape& shape, std::span<const int64_t> begin,
                          std::span<const int64_t> strides);

}  // namespace tg::ops
