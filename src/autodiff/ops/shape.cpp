// SPDX-License-Identifier: Apache-2.0
// Shape ops: forward kernel and gradient rule side by side.
//
// Ops in the registry (the composites expand_dims, squeeze, stack and split are built from
// them and from reshape):
//   concat              Attrs::axis (normalised)                 grad: slice of g per input
//   slice               ints = begin, ints2 = size (resolved)    grad: pad g with zeros
//   pad                 ints = before, ints2 = after, alpha = fill value
//                                                                grad: slice of g
//   strided_slice       ints = begin, ints2 = size (count), ints3 = strides, one entry per
//                       input axis, all resolved (masks are applied by ops::strided_slice,
//                       which reshapes the result to drop shrunk and add new axes)
//                                                                grad: strided_slice_grad
//   strided_slice_grad  shape = output shape, ints = begin, ints3 = strides
//                                                                grad: strided_slice
//   gather              axis (normalised); input 1 = indices     grad: gather_grad (params)
//   gather_grad         axis, shape = params shape; input 1 = indices
//                                                                grad: gather (g)
//   one_hot             ints = {depth}, axis (normalised, in [0, rank]), alpha = on value,
//                       beta = off value, dtype                  not differentiable
//   tile                ints = multiples                         grad: reshape + reduce_sum
#include <algorithm>
#include <array>
#include <limits>
#include <string>
#include <type_traits>

#include "autodiff/ops.h"
#include "autodiff/ops/families.h"
#include "tensor/checked.h"
#include "tensor/shape_kernels.h"

namespace tg::ops {
namespace {

constexpr std::array<int64_t, kMaxRank> kOnes = {1, 1, 1, 1, 1, 1, 1, 1};
std::span<const int64_t> ones(int rank) { return {kOnes.data(), static_cast<size_t>(rank)}; }

std::vector<int64_t> dims_of(const Shape& s) { return {s.dims().begin(), s.dims().end()}; }

// A fill value for an integer dtype must survive the conversion (truncation toward zero);
// NaN fails every comparison. (Doubles near -2^63 are spaced 2048 apart: >= -2^63 is exact.)
void check_fill_value(double v, DType dtype, const char* op, const char* what) {
  bool ok = true;
  if (dtype == DType::i32) ok = v > -2147483649.0 && v < 2147483648.0;
  if (dtype == DType::i64) ok = v >= -0x1p63 && v < 0x1p63;
  if (!ok)
    fail(Status::invalid_argument, "{}: {} {} is not representable as {}", op, what, v,
         dtype_name(dtype));
}

// ---- concat: Attrs::axis; gradient = the slice of g that each input contributed ----
Tensor concat_forward(std::span<const Tensor> in, const Attrs& at) {
  const int axis = static_cast<int>(at.axis);
  Shape out = in[0].shape();
  int64_t total = 0;
  for (size_t i = 0; i < in.size(); ++i)
    total = checked_add(total, in[i].shape()[axis], "concat", "dimension {} of the inputs ({} and {} more, input {} {})",
                        axis, in[0].shape(), in.size() - 1, i, in[i].shape());
  out.set(axis, total, "concat");
  return concat_kernel(in, axis, out);
}
void concat_backward(const GradContext& c, std::span<Tensor> g) {
  const int axis = static_cast<int>(c.attrs.axis);
  std::vector<int64_t> begin(static_cast<size_t>(c.grad.rank()), 0);
  for (size_t i = 0; i < c.input_meta.size(); ++i) {
    const Shape& s = c.input_meta[i].shape;
    if (c.needed[i]) g[i] = slice(c.grad, begin, dims_of(s));
    begin[static_cast<size_t>(axis)] += s[axis];
  }
}
const OpDef kConcat{.name = "concat", .arity = -1, .forward = concat_forward,
                    .backward = concat_backward};

// ---- slice: ints = begin, ints2 = size; gradient = g padded with zeros back to x's shape ----
Tensor slice_forward(std::span<const Tensor> in, const Attrs& at) {
  return window_kernel(in[0], at.ints, ones(in[0].rank()), Shape::from(at.ints2, "slice"));
}
void slice_backward(const GradContext& c, std::span<Tensor> g) {
  const Shape& s = c.input_meta[0].shape;
  std::vector<int64_t> paddings;
  for (int d = 0; d < s.rank(); ++d) {
    const int64_t b = c.attrs.ints[static_cast<size_t>(d)];
    paddings.push_back(b);
    paddings.push_back(s[d] - b - c.attrs.ints2[static_cast<size_t>(d)]);
  }
  g[0] = pad(c.grad, paddings, 0.0);
}
const OpDef kSlice{.name = "slice", .arity = 1, .forward = slice_forward,
                   .backward = slice_backward};

// ---- pad: ints = before, ints2 = after, alpha = value; gradient = the slice of g at x ----
Shape padded_shape(const Shape& s, std::span<const int64_t> before, std::span<const int64_t> after) {
  Shape out;
  for (int d = 0; d < s.rank(); ++d) {
    const auto i = static_cast<size_t>(d);
    const int64_t with_before = checked_add(s[d], before[i], "pad", "axis {} of {} padded by ({}, {})", d, s,
                                            before[i], after[i]);
    out.push_back(checked_add(with_before, after[i], "pad", "axis {} of {} padded by ({}, {})", d, s, before[i],
                              after[i]),
                  "pad");
  }
  return out;
}
Tensor pad_forward(std::span<const Tensor> in, const Attrs& at) {
  const Shape& s = in[0].shape();
  return window_scatter_kernel(in[0], padded_shape(s, at.ints, at.ints2), at.ints, ones(s.rank()), at.alpha);
}
void pad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = slice(c.grad, c.attrs.ints, dims_of(c.input_meta[0].shape));
}
const OpDef kPad{.name = "pad", .arity = 1, .forward = pad_forward, .backward = pad_backward};

// ---- strided_slice: ints = begin, ints2 = count, ints3 = strides (resolved, per axis) ----
Tensor strided_slice_forward(std::span<const Tensor> in, const Attrs& at) {
  return window_kernel(in[0], at.ints, at.ints3, Shape::from(at.ints2, "strided_slice"));
}
void strided_slice_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = strided_slice_grad(c.grad, c.input_meta[0].shape, c.attrs.ints, c.attrs.ints3);
}
const OpDef kStridedSlice{.name = "strided_slice", .arity = 1, .forward = strided_slice_forward,
                          .backward = strided_slice_backward};

// ---- strided_slice_grad: shape = output shape, ints = begin, ints3 = strides ----
Tensor strided_slice_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  return window_scatter_kernel(in[0], at.shape, at.ints, at.ints3, 0.0);
}
void strided_slice_grad_backward(const GradContext& c, std::span<Tensor> g) {
  Attrs at;  // the same window, read back out of the incoming gradient
  at.ints = c.attrs.ints;
  at.ints2 = dims_of(c.input_meta[0].shape);
  at.ints3 = c.attrs.ints3;
  g[0] = apply(kStridedSlice, {c.grad}, at);
}
const OpDef kStridedSliceGrad{.name = "strided_slice_grad", .arity = 1,
                              .forward = strided_slice_grad_forward,
                              .backward = strided_slice_grad_backward};

// ---- gather: axis; input 1 = indices (not differentiable); gradient = scatter-add ----
Shape gather_shape(const Shape& params, const Shape& indices, int axis) {
  Shape out;
  for (int d = 0; d < axis; ++d) out.push_back(params[d], "gather");
  for (int d = 0; d < indices.rank(); ++d) out.push_back(indices[d], "gather");
  for (int d = axis + 1; d < params.rank(); ++d) out.push_back(params[d], "gather");
  return out;
}
Tensor gather_forward(std::span<const Tensor> in, const Attrs& at) {
  const int axis = static_cast<int>(at.axis);
  return gather_kernel(in[0], in[1], axis, gather_shape(in[0].shape(), in[1].shape(), axis));
}
void gather_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = gather_grad(c.grad, c.inputs[1], c.attrs.axis, c.input_meta[0].shape);
}
const OpDef kGather{.name = "gather", .arity = 2, .forward = gather_forward,
                    .backward = gather_backward, .differentiable_inputs = 1u,
                    .saves_inputs = true};

// ---- gather_grad: axis, shape = params shape; input 1 = indices; gradient = gather ----
Tensor gather_grad_forward(std::span<const Tensor> in, const Attrs& at) {
  return gather_grad_kernel(in[0], in[1], static_cast<int>(at.axis), at.shape);
}
void gather_grad_backward(const GradContext& c, std::span<Tensor> g) {
  g[0] = gather(c.grad, c.inputs[1], c.attrs.axis);
}
const OpDef kGatherGrad{.name = "gather_grad", .arity = 2, .forward = gather_grad_forward,
                        .backward = gather_grad_backward, .differentiable_inputs = 1u,
                        .saves_inputs = true};

// ---- one_hot: ints = {depth}, axis in [0, rank], alpha = on, beta = off, dtype ----
Tensor one_hot_forward(std::span<const Tensor> in, const Attrs& at) {
  return one_hot_kernel(in[0], at.ints[0], static_cast<int>(at.axis), at.alpha, at.beta, at.dtype);
}
const OpDef kOneHot{.name = "one_hot", .arity = 1, .forward = one_hot_forward, .backward = nullptr,
                    .differentiability = Differentiability::none};

// ---- tile: ints = multiples; gradient = the sum of the tiled copies ----
Shape tiled_shape(const Shape& s, std::span<const int64_t> multiples) {
  Shape out;
  for (int d = 0; d < s.rank(); ++d) {
    const int64_t m = multiples[static_cast<size_t>(d)];
    if (m < 0) fail(Status::invalid_argument, "tile: multiples[{}] = {} is negative", d, m);
    out.push_back(checked_mul(s[d], m, "tile", "dimension {} of {} times multiples[{}]", d, s, d), "tile");
  }
  return out;
}
Tensor tile_forward(std::span<const Tensor> in, const Attrs& at) {
  return tile_kernel(in[0], at.ints, tiled_shape(in[0].shape(), at.ints));
}
void tile_backward(const GradContext& c, std::span<Tensor> g) {
  const Shape& s = c.input_meta[0].shape;
  const std::vector<int64_t>& m = c.attrs.ints;
  // why: an empty result has no copies to sum, and viewing it as (m[d], s[d]) pairs below
  // could exceed the size limit (a zero-size axis tiled 2^40 times next to a 2^40 one).
  if (c.grad.numel() == 0) {
    g[0] = zeros(s, c.grad.dtype());
    return;
  }
  int split = 0;
  for (int64_t k : m) split += k != 1;
  if (s.rank() + split <= kMaxRank) {
    // One reshape that splits every tiled axis d into (m[d], s[d]), one sum over the copies.
    std::vector<int64_t> dims, axes;
    for (int d = 0; d < s.rank(); ++d) {
      if (m[static_cast<size_t>(d)] != 1) {
        axes.push_back(static_cast<int64_t>(dims.size()));
        dims.push_back(m[static_cast<size_t>(d)]);
      }
      dims.push_back(s[d]);
    }
    g[0] = reshape(reduce_sum(reshape(c.grad, dims), axes), s);
    return;
  }
  // why: splitting every axis at once would exceed the maximum rank; sum one axis at a time,
  // viewing the gradient as (outer, m[d], s[d], inner).
  Tensor cur = c.grad;
  for (int d = 0; d < s.rank(); ++d) {
    if (m[static_cast<size_t>(d)] == 1) continue;
    int64_t outer = 1, inner = 1;
    for (int e = 0; e < d; ++e) outer *= cur.shape()[e];
    for (int e = d + 1; e < s.rank(); ++e) inner *= cur.shape()[e];
    const std::vector<int64_t> view = {outer, m[static_cast<size_t>(d)], s[d], inner};
    const int64_t copies_axis = 1;
    Shape next = cur.shape();
    next.set(d, s[d]);
    cur = reshape(reduce_sum(reshape(cur, view), {&copies_axis, 1}), next);
  }
  g[0] = cur;
}
const OpDef kTile{.name = "tile", .arity = 1, .forward = tile_forward, .backward = tile_backward};

constexpr const OpDef* kOps[] = {&kConcat, &kSlice,      &kPad,       &kStridedSlice,
                                 &kStridedSliceGrad, &kGather, &kGatherGrad, &kOneHot, &kTile};

std::string index_str(const Shape& shape, int64_t flat) {
  if (shape.rank() <= 1) return std::to_string(flat);
  std::string out;
  const auto st = shape.strides();
  for (int d = 0; d < shape.rank(); ++d) {
    if (d) out += ",";
    out += std::to_string(flat / st[d]);
    flat %= st[d];
  }
  return out;
}

void check_index_dtype(const Tensor& indices, const char* op) {
  if (indices.dtype() != DType::i32 && indices.dtype() != DType::i64)
    fail(Status::invalid_argument, "{}: indices must be int32 or int64, got {}", op,
         dtype_name(indices.dtype()));
}

// Every index must be in [0, n): the error names the first bad one, as TF's does.
void check_indices(const Tensor& indices, int64_t n, const char* op) {
  visit_dtype(indices.dtype(), [&]<class I>() {
    if constexpr (std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>) {
      const I* p = indices.data<I>();
      for (int64_t j = 0, k = indices.numel(); j < k; ++j)
        if (p[j] < 0 || p[j] >= n)
          fail(Status::invalid_argument, "{}: indices[{}] = {} is not in [0, {})", op,
               index_str(indices.shape(), j), static_cast<int64_t>(p[j]), n);
    }
  });
}

// gather / gather_grad argument checks; returns the normalised axis.
int check_gather(const Shape& params, const Tensor& indices, int64_t axis, const char* op) {
  check_index_dtype(indices, op);
  const int rank = params.rank();
  if (rank == 0) fail(Status::invalid_argument, "{}: params must have rank >= 1, got shape ()", op);
  if (axis < -rank || axis >= rank)
    fail(Status::invalid_argument, "{}: axis {} is out of range [{}, {}) for params of shape {}", op,
         axis, -rank, rank, params.str());
  if (rank - 1 + indices.rank() > kMaxRank)
    fail(Status::invalid_argument,
         "{}: params of shape {} and indices of shape {} give a result of rank {} (maximum {})", op,
         params.str(), indices.shape().str(), rank - 1 + indices.rank(), kMaxRank);
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  check_indices(indices, params[a], op);
  return a;
}

}  // namespace

std::span<const OpDef* const> shape_ops() { return kOps; }

// ---- expand_dims / squeeze: reshapes ----

Tensor expand_dims(const Tensor& x, int64_t axis) {
  const int rank = x.rank();
  if (axis < -rank - 1 || axis > rank)
    fail(Status::invalid_argument,
         "expand_dims: axis {} is out of range [{}, {}] for a tensor of shape {}", axis, -rank - 1,
         rank, x.shape().str());
  if (rank == kMaxRank)
    fail(Status::invalid_argument, "expand_dims: cannot add an axis to {}: rank {} is the maximum",
         x.shape().str(), kMaxRank);
  const int a = static_cast<int>(axis < 0 ? axis + rank + 1 : axis);
  Shape out;
  for (int d = 0; d < rank; ++d) {
    if (d == a) out.push_back(1);
    out.push_back(x.shape()[d]);
  }
  if (a == rank) out.push_back(1);
  return reshape(x, out);
}

Tensor squeeze(const Tensor& x, std::span<const int64_t> axes) {
  const int rank = x.rank();
  std::array<bool, kMaxRank> drop{};
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      fail(Status::invalid_argument, "squeeze: axis {} is out of range [{}, {}) for a tensor of shape {}",
           a, -rank, rank, x.shape().str());
    const int d = static_cast<int>(a < 0 ? a + rank : a);
    if (x.shape()[d] != 1)
      fail(Status::invalid_argument,
           "squeeze: cannot squeeze axis {} of a tensor of shape {}: expected a dimension of 1, got {}",
           a, x.shape().str(), x.shape()[d]);
    drop[static_cast<size_t>(d)] = true;
  }
  Shape out;
  for (int d = 0; d < rank; ++d) {
    const bool squeezed = axes.empty() ? x.shape()[d] == 1 : drop[static_cast<size_t>(d)];
    if (!squeezed) out.push_back(x.shape()[d]);
  }
  return reshape(x, out);
}

// ---- concat / stack / split ----

Tensor concat(std::span<const Tensor> xs, int64_t axis) {
  if (xs.empty()) fail(Status::invalid_argument, "concat: expected at least one tensor, got none");
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i]) fail(Status::invalid_argument, "concat: values[{}] is empty", i);
  if (xs.size() == 1) return xs[0];
  const Tensor& first = xs[0];
  const int rank = first.rank();
  if (rank == 0)
    fail(Status::invalid_argument, "concat: cannot concatenate scalars (use stack instead)");
  if (axis < -rank || axis >= rank)
    fail(Status::invalid_argument, "concat: axis {} is out of range [{}, {}) for values[0] of shape {}",
         axis, -rank, rank, first.shape().str());
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  for (size_t i = 1; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    if (t.dtype() != first.dtype())
      fail(Status::invalid_argument, "concat: values[0] is {} but values[{}] is {}",
           dtype_name(first.dtype()), i, dtype_name(t.dtype()));
    if (t.rank() != rank)
      fail(Status::invalid_argument,
           "concat: ranks of all inputs must match: values[0] has shape {}, values[{}] has shape {}",
           first.shape().str(), i, t.shape().str());
    for (int d = 0; d < rank; ++d)
      if (d != a && t.shape()[d] != first.shape()[d])
        fail(Status::invalid_argument,
             "concat: dimension {} must be equal in all inputs (axis is {}): values[0] has shape "
             "{}, values[{}] has shape {}",
             d, a, first.shape().str(), i, t.shape().str());
  }
  Attrs at;
  at.axis = a;
  return apply(kConcat, xs, at);
}

Tensor stack(std::span<const Tensor> xs, int64_t axis) {
  if (xs.empty()) fail(Status::invalid_argument, "stack: expected at least one tensor, got none");
  for (size_t i = 0; i < xs.size(); ++i)
    if (!xs[i]) fail(Status::invalid_argument, "stack: values[{}] is empty", i);
  const Tensor& first = xs[0];
  const int out_rank = first.rank() + 1;
  if (axis < -out_rank || axis >= out_rank)
    fail(Status::invalid_argument, "stack: axis {} is out of range [{}, {}) for values of shape {}",
         axis, -out_rank, out_rank, first.shape().str());
  for (size_t i = 1; i < xs.size(); ++i) {
    if (xs[i].dtype() != first.dtype())
      fail(Status::invalid_argument, "stack: values[0] is {} but values[{}] is {}",
           dtype_name(first.dtype()), i, dtype_name(xs[i].dtype()));
    if (xs[i].shape() != first.shape())
      fail(Status::invalid_argument,
           "stack: shapes of all inputs must match: values[0] has shape {}, values[{}] has shape {}",
           first.shape().str(), i, xs[i].shape().str());
  }
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const Tensor& t : xs) expanded.push_back(expand_dims(t, axis));
  return concat(expanded, axis);
}

std::vector<Tensor> split(const Tensor& x, std::span<const int64_t> sizes, int64_t axis) {
  const int rank = x.rank();
  if (rank == 0) fail(Status::invalid_argument, "split: cannot split a scalar");
  if (axis < -rank || axis >= rank)
    fail(Status::invalid_argument, "split: axis {} is out of range [{}, {}) for a tensor of shape {}",
         axis, -rank, rank, x.shape().str());
  if (sizes.empty()) fail(Status::invalid_argument, "split: expected at least one size, got none");
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  const int64_t dim = x.shape()[a];
  std::vector<int64_t> resolved(sizes.begin(), sizes.end());
  int infer = -1;
  int64_t known = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      if (infer >= 0)
        fail(Status::invalid_argument, "split: more than one size is -1 (sizes[{}] and sizes[{}])",
             infer, i);
      infer = static_cast<int>(i);
    } else if (sizes[i] < 0) {
      fail(Status::invalid_argument, "split: sizes[{}] = {} is negative", i, sizes[i]);
    }
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] < 0) continue;
    if (sizes[i] > dim - known) {  // the sum passes dim; adding could overflow (found by the fuzzer)
      known = dim + 1;
      break;
    }
    known += sizes[i];
  }
  if (known > dim || (infer < 0 && known != dim))
    fail(Status::invalid_argument,
         "split: the sizes must add up to dimension {} of {} ({}), or stay below it with one -1",
         a, x.shape().str(), dim);
  if (infer >= 0) resolved[static_cast<size_t>(infer)] = dim - known;
  std::vector<Tensor> out;
  out.reserve(resolved.size());
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0);
  std::vector<int64_t> size = dims_of(x.shape());
  for (int64_t s : resolved) {
    size[static_cast<size_t>(a)] = s;
    out.push_back(slice(x, begin, size));
    begin[static_cast<size_t>(a)] += s;
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, int64_t num, int64_t axis) {
  const int rank = x.rank();
  if (rank == 0) fail(Status::invalid_argument, "split: cannot split a scalar");
  if (axis < -rank || axis >= rank)
    fail(Status::invalid_argument, "split: axis {} is out of range [{}, {}) for a tensor of shape {}",
         axis, -rank, rank, x.shape().str());
  const int a = static_cast<int>(axis < 0 ? axis + rank : axis);
  const int64_t dim = x.shape()[a];
  if (num <= 0) fail(Status::invalid_argument, "split: the number of parts must be positive, got {}", num);
  if (dim % num != 0)
    fail(Status::invalid_argument,
         "split: {} parts do not evenly divide dimension {} of {} (size {})", num, a,
         x.shape().str(), dim);
  const std::vector<int64_t> sizes(static_cast<size_t>(num), dim / num);
  return split(x, sizes, axis);
}

// ---- slice / pad ----

Tensor slice(const Tensor& x, std::span<const int64_t> begin, std::span<const int64_t> size) {
  const int rank = x.rank();
  const Shape& s = x.shape();
  if (begin.size() != static_cast<size_t>(rank) || size.size() != static_cast<size_t>(rank))
    fail(Status::invalid_argument,
         "slice: expected begin and size of length {} (the rank of {}), got {} and {}", rank,
         s.str(), begin.size(), size.size());
  Attrs at;
  bool whole = true;
  for (int d = 0; d < rank; ++d) {
    const int64_t b = begin[static_cast<size_t>(d)];
    int64_t n = size[static_cast<size_t>(d)];
    if (b < 0 || b > s[d])
      fail(Status::invalid_argument, "slice: begin[{}] = {} is not in [0, {}] for input of shape {}",
           d, b, s[d], s.str());
    if (n == -1) n = s[d] - b;
    if (n < 0 || n > s[d] - b)
      fail(Status::invalid_argument,
           "slice: size[{}] = {} is not in [0, {}] (begin[{}] = {}) for input of shape {}", d, n,
           s[d] - b, d, b, s.str());
    whole = whole && b == 0 && n == s[d];
    at.ints.push_back(b);
    at.ints2.push_back(n);
  }
  if (whole) return x;
  return apply(kSlice, {x}, at);
}

Tensor pad(const Tensor& x, std::span<const int64_t> paddings, double value) {
  const int rank = x.rank();
  if (paddings.size() != 2 * static_cast<size_t>(rank))
    fail(Status::invalid_argument,
         "pad: paddings has {} entries, expected {} ((before, after) for each axis of {})",
         paddings.size(), 2 * rank, x.shape().str());
  check_fill_value(value, x.dtype(), "pad", "constant value");
  Attrs at;
  at.alpha = value;
  bool none = true;
  for (int d = 0; d < rank; ++d) {
    const int64_t before = paddings[2 * static_cast<size_t>(d)];
    const int64_t after = paddings[2 * static_cast<size_t>(d) + 1];
    if (before < 0 || after < 0)
      fail(Status::invalid_argument, "pad: paddings must be non-negative: axis {} has ({}, {})", d,
           before, after);
    none = none && before == 0 && after == 0;
    at.ints.push_back(before);
    at.ints2.push_back(after);
  }
  if (none) return x;
  padded_shape(x.shape(), at.ints, at.ints2);  // fails here, naming pad, if the result is too large
  return apply(kPad, {x}, at);
}

// ---- strided_slice ----

Tensor strided_slice(const Tensor& x, std::span<const int64_t> begin, std::span<const int64_t> end,
                     std::span<const int64_t> strides, const StridedSliceMasks& masks) {
  const Shape& s = x.shape();
  const int rank = s.rank();
  const size_t n = strides.size();
  if (begin.size() != n || end.size() != n || n >= 32)
    fail(Status::invalid_argument,
         "strided_slice: expected begin, end and strides of one length below 32, got {}, {} and {}",
         begin.size(), end.size(), n);
  const auto bit = [](int64_t mask, size_t i) { return ((mask >> i) & 1) != 0; };
  if (masks.ellipsis & (masks.ellipsis - 1))
    fail(Status::invalid_argument, "strided_slice: multiple ellipses in the slice spec (ellipsis_mask {})",
         masks.ellipsis);

  // The sparse spec (one entry per begin/end/strides element) becomes a dense one (one per
  // input axis): the ellipsis, explicit or implied at the end, expands to full ranges.
  size_t sparse_dims = n;
  int64_t ellipsis = masks.ellipsis & ((int64_t{1} << n) - 1);
  int new_after_ellipsis = 0;
  bool seen = false;
  for (size_t i = 0; i < n; ++i) {
    if (seen && bit(masks.new_axis, i)) ++new_after_ellipsis;
    if (bit(ellipsis, i)) seen = true;
  }
  if (!seen) ellipsis |= int64_t{1} << sparse_dims++;

  struct Dense {
    int64_t begin = 0, end = 0, stride = 1;
    bool begin_masked = true, end_masked = true, shrink = false;
  };
  std::array<Dense, kMaxRank> dense{};
  constexpr int kNewAxis = -1, kShrink = -2;
  std::vector<int> final_gather;  // per output axis: the dense axis, or kNewAxis
  int full = 0;
  for (size_t i = 0; i < sparse_dims; ++i) {
    if (bit(ellipsis, i)) {
      const int next = std::min(rank - static_cast<int>(sparse_dims - i) + 1 + new_after_ellipsis, rank);
      for (; full < next; ++full) final_gather.push_back(full);  // full range, stride 1
    } else if (bit(masks.new_axis, i)) {
      final_gather.push_back(kNewAxis);
    } else {
      if (full == rank)
        fail(Status::invalid_argument,
             "strided_slice: index {} of the slice spec is out of range: input of shape {} has only {} axes",
             i, s.str(), rank);
      Dense& d = dense[static_cast<size_t>(full)];
      d.begin = begin[i];
      d.end = end[i];
      d.stride = strides[i];
      d.begin_masked = bit(masks.begin, i);
      d.end_masked = bit(masks.end, i);
      d.shrink = bit(masks.shrink_axis, i);
      final_gather.push_back(d.shrink ? kShrink : full);
      ++full;
    }
  }

  // Resolve each axis to (first index, count, stride).
  Attrs at;
  bool identity = true;
  for (int a = 0; a < rank; ++a) {
    Dense& d = dense[static_cast<size_t>(a)];
    const int64_t dim = s[a];
    if (d.stride == 0) fail(Status::invalid_argument, "strided_slice: strides[{}] must be non-zero", a);
    if (d.shrink && d.stride < 0)
      fail(Status::invalid_argument,
           "strided_slice: axis {} takes a single index (shrink_axis_mask) but has stride {}; only "
           "positive strides are allowed there", a, d.stride);
    int64_t first, count;
    if (d.shrink) {
      first = d.begin < 0 ? dim + d.begin : d.begin;
      if (first < 0 || first >= dim)
        fail(Status::invalid_argument,
             "strided_slice: index {} of axis {} is out of bounds for input of shape {}", d.begin, a,
             s.str());
      count = 1;
    } else {
      const int64_t lo = d.stride > 0 ? 0 : -1, hi = d.stride > 0 ? dim : dim - 1;
      const auto canonical = [&](int64_t v, bool masked, bool is_begin) {
        if (masked) return (d.stride > 0) == is_begin ? lo : hi;
        const int64_t fwd = v < 0 ? dim + v : v;
        return std::clamp(fwd, lo, hi);
      };
      first = canonical(d.begin, d.begin_masked, true);
      const int64_t last = canonical(d.end, d.end_masked, false);
      const int64_t length = last - first;
      if (length == 0 || (length < 0) != (d.stride < 0))
        count = 0;
      else
        count = length / d.stride + (length % d.stride != 0 ? 1 : 0);
    }
    identity = identity && d.stride == 1 && first == 0 && count == dim;
    at.ints.push_back(first);
    at.ints2.push_back(count);
    // why: with at most one element the stride is never used, and a huge one would overflow
    // the kernel's offset arithmetic; with two or more, |stride| < dim.
    at.ints3.push_back(count <= 1 ? 1 : d.stride);
  }

  Shape final_shape;
  for (int g : final_gather) {
    if (g == kShrink) continue;
    if (final_shape.rank() == kMaxRank)
      fail(Status::invalid_argument, "strided_slice: the result would exceed the maximum rank {}",
           kMaxRank);
    final_shape.push_back(g == kNewAxis ? 1 : at.ints2[static_cast<size_t>(g)]);
  }
  const Tensor window = identity ? x : apply(kStridedSlice, {x}, at);
  return reshape(window, final_shape);
}

Tensor strided_slice_grad(const Tensor& g, const Shape& shape, std::span<const int64_t> begin,
                          std::span<const int64_t> strides) {
  const int rank = shape.rank();
  if (g.rank() != rank || begin.size() != static_cast<size_t>(rank) ||
      strides.size() != static_cast<size_t>(rank))
    fail(Status::invalid_argument,
         "strided_slice_grad: gradient {} with {} begin and {} strides entries for shape {}: "
         "expected rank {} everywhere",
         g.shape().str(), begin.size(), strides.size(), shape.str(), rank);
  for (int d = 0; d < rank; ++d) {
    const int64_t n = g.shape()[d], b = begin[static_cast<size_t>(d)], st = strides[static_cast<size_t>(d)];
    if (st == 0) fail(Status::invalid_argument, "strided_slice_grad: strides[{}] must be non-zero", d);
    if (n == 0) continue;
    // Elements that fit after the first one, in the stride's direction (no overflow).
    const int64_t room = b < 0 || b >= shape[d] ? -1
                         : st > 0               ? (shape[d] - 1 - b) / st
                         : st == std::numeric_limits<int64_t>::min() ? 0
                                                                     : b / -st;
    if (room < n - 1)
      fail(Status::invalid_argument,
           "strided_slice_grad: the window of axis {} (begin {}, stride {}, {} elements) does not fit in shape {}",
           d, b, st, n, shape.str());
  }
  Attrs at;
  at.shape = shape;
  at.ints.assign(begin.begin(), begin.end());
  for (int d = 0; d < rank; ++d)  // see strided_slice: a stride over <= 1 element is unused
    at.ints3.push_back(g.shape()[d] <= 1 ? 1 : strides[static_cast<size_t>(d)]);
  return apply(kStridedSliceGrad, {g}, at);
}

// ---- gather / gather_grad ----

Tensor gather(const Tensor& params, const Tensor& indices, int64_t axis) {
  if (!params || !indices) fail(Status::invalid_argument, "gather: params or indices is empty");
  Attrs at;
  at.axis = check_gather(params.shape(), indices, axis, "gather");
  return apply(kGather, {params, indices}, at);
}

Tensor gather_grad(const Tensor& g, const Tensor& indices, int64_t axis, const Shape& params_shape) {
  if (!g || !indices) fail(Status::invalid_argument, "gather_grad: g or indices is empty");
  const int a = check_gather(params_shape, indices, axis, "gather_grad");
  const Shape expected = gather_shape(params_shape, indices.shape(), a);
  if (g.shape() != expected)
    fail(Status::invalid_argument,
         "gather_grad: gradient of shape {} for params {} and indices {} (axis {}): expected {}",
         g.shape().str(), params_shape.str(), indices.shape().str(), a, expected.str());
  if (g.dtype() == DType::boolean)
    fail(Status::invalid_argument, "gather_grad: expected a numeric gradient, got bool");
  Attrs at;
  at.axis = a;
  at.shape = params_shape;
  return apply(kGatherGrad, {g, indices}, at);
}

// ---- one_hot ----

Tensor one_hot(const Tensor& indices, int64_t depth, double on_value, double off_value,
               int64_t axis, DType dtype) {
  check_index_dtype(indices, "one_hot");
  if (depth < 0) fail(Status::invalid_argument, "one_hot: depth must be non-negative, got {}", depth);
  const int rank = indices.rank();
  if (axis < -1 || axis > rank)
    fail(Status::invalid_argument, "one_hot: axis must be -1 or in [0, {}], got {} (indices of shape {})",
         rank, axis, indices.shape().str());
  if (rank == kMaxRank)
    fail(Status::invalid_argument, "one_hot: indices of shape {} leave no room for the new axis (maximum rank {})",
         indices.shape().str(), kMaxRank);
  check_fill_value(on_value, dtype, "one_hot", "on_value");
  check_fill_value(off_value, dtype, "one_hot", "off_value");
  Attrs at;
  at.ints = {depth};
  at.axis = axis == -1 ? rank : axis;
  at.alpha = on_value;
  at.beta = off_value;
  at.dtype = dtype;
  return apply(kOneHot, {indices}, at);
}

// ---- tile ----

Tensor tile(const Tensor& x, std::span<const int64_t> multiples) {
  const int rank = x.rank();
  if (multiples.size() != static_cast<size_t>(rank))
    fail(Status::invalid_argument, "tile: expected {} multiples (one per axis of {}), got {}", rank,
         x.shape().str(), multiples.size());
  tiled_shape(x.shape(), multiples);  // fails here, naming tile, if the result is too large
  bool same = true;
  for (int64_t m : multiples) same = same && m == 1;
  if (same) return x;
  Attrs at;
  at.ints.assign(multiples.begin(), multiples.end());
  return apply(kTile, {x}, at);
}

}  // namespace tg::ops
