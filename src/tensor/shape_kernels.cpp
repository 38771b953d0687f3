// SPDX-License-Identifier: Apache-2.0
// Shape-op kernels: windows (slice, strided_slice, pad and their gradients), concat, gather,
// gather_grad, one_hot, tile. Loops walk the output (or the window) row by row: the innermost
// axis is a plain loop or a memcpy, the outer axes an odometer with per-axis strides.
#include "tensor/shape_kernels.h"

#include <array>
#include <cstring>
#include <type_traits>

#include "tensor/error.h"

namespace tg {
namespace {

using Strides = std::array<int64_t, kMaxRank>;

template <class T>
T fill_value(double v) {
  if constexpr (std::is_same_v<T, bool>) return v != 0.0;
  else return static_cast<T>(v);
}

// Calls row(offset, row_index) for every row (all axes but the last) of a window of `shape`;
// `offset` starts at `base` and moves by st[d] along axis d. Rank >= 1, no empty axis.
template <class F>
void for_each_row(const Shape& shape, const Strides& st, int64_t base, F&& row) {
  const int rank = shape.rank();
  const int64_t rows = shape.numel() / shape[rank - 1];
  Strides idx{};
  int64_t off = base;
  for (int64_t r = 0; r < rows; ++r) {
    row(off, r);
    for (int d = rank - 2; d >= 0; --d) {
      off += st[d];
      if (++idx[d] < shape[d]) break;
      off -= st[d] * shape[d];
      idx[d] = 0;
    }
  }
}

// Element offset of the window's first position and the per-axis element strides in `full`.
int64_t window_geometry(const Shape& full, std::span<const int64_t> begin,
                        std::span<const int64_t> strides, Strides& st) {
  const Strides fs = full.strides();
  int64_t base = 0;
  for (int d = 0; d < full.rank(); ++d) {
    base += begin[static_cast<size_t>(d)] * fs[d];
    st[d] = strides[static_cast<size_t>(d)] * fs[d];
  }
  return base;
}

// Calls f.template operator()<I>() with the index type of an int32/int64 tensor.
template <class F>
decltype(auto) visit_index(DType d, F&& f) {
  if (d == DType::i32) return f.template operator()<int32_t>();
  if (d == DType::i64) return f.template operator()<int64_t>();
  fail(Status::internal, "index kernel: expected int32 or int64 indices, got {}", dtype_name(d));
}

// (O, N, I) around `axis`.
void split_around(const Shape& s, int axis, int64_t& outer, int64_t& n, int64_t& inner) {
  outer = 1;
  inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  n = s[axis];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s[d];
}

}  // namespace

Tensor window_kernel(const Tensor& x, std::span<const int64_t> begin,
                     std::span<const int64_t> strides, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype());
  if (out_shape.numel() == 0) return out;
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.mutable_data<T>();
    if (out_shape.rank() == 0) {
      dst[0] = src[0];
      return;
    }
    Strides st{};
    const int64_t base = window_geometry(x.shape(), begin, strides, st);
    const int rank = out_shape.rank();
    const int64_t inner = out_shape[rank - 1], step = st[rank - 1];
    for_each_row(out_shape, st, base, [&](int64_t off, int64_t r) {
      T* o = dst + r * inner;
      const T* s = src + off;
      if (step == 1)
        std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(T));
      else
        for (int64_t j = 0; j < inner; ++j) o[j] = s[j * step];
    });
  });
  return out;
}

Tensor window_scatter_kernel(const Tensor& g, const Shape& shape, std::span<const int64_t> begin,
                             std::span<const int64_t> strides, double fill) {
  Tensor out = Tensor::empty(shape, g.dtype());
  visit_dtype(g.dtype(), [&]<class T>() {
    T* dst = out.mutable_data<T>();
    const T f = fill_value<T>(fill);
    for (int64_t i = 0, n = shape.numel(); i < n; ++i) dst[i] = f;
    const Shape& ws = g.shape();
    if (ws.numel() == 0) return;
    const T* src = g.data<T>();
    if (ws.rank() == 0) {
      dst[0] = src[0];
      return;
    }
    Strides st{};
    const int64_t base = window_geometry(shape, begin, strides, st);
    const int rank = ws.rank();
    const int64_t inner = ws[rank - 1], step = st[rank - 1];
    for_each_row(ws, st, base, [&](int64_t off, int64_t r) {
      const T* s = src + r * inner;
      T* o = dst + off;
      if (step == 1)
        std::memcpy(o, s, static_cast<size_t>(inner) * sizeof(T));
      else
        for (int64_t j = 0; j < inner; ++j) o[j * step] = s[j];
    });
  });
  return out;
}

Tensor concat_kernel(std::span<const Tensor> xs, int axis, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, xs[0].dtype());
  if (out_shape.numel() == 0) return out;
  const size_t es = dtype_size(out.dtype());
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  const int64_t out_row = out_shape.numel() / outer;  // elements of one output row (axis and after)
  auto* dst = static_cast<unsigned char*>(out.mutable_raw());
  int64_t col = 0;  // where the current input starts within an output row
  for (const Tensor& x : xs) {
    const int64_t row = x.numel() / outer;
    if (row > 0) {
      const auto* src = static_cast<const unsigned char*>(x.raw());
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + static_cast<size_t>(o * out_row + col) * es,
                    src + static_cast<size_t>(o * row) * es, static_cast<size_t>(row) * es);
    }
    col += row;
  }
  return out;
}

Tensor gather_kernel(const Tensor& params, const Tensor& indices, int axis, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, params.dtype());
  if (out_shape.numel() == 0) return out;
  int64_t outer, n, inner;
  split_around(params.shape(), axis, outer, n, inner);
  const int64_t k = indices.numel();
  visit_dtype(params.dtype(), [&]<class T>() {
    visit_index(indices.dtype(), [&]<class I>() {
      const T* p = params.data<T>();
      const I* idx = indices.data<I>();
      T* o = out.mutable_data<T>();
      for (int64_t a = 0; a < outer; ++a) {
        const T* pa = p + a * n * inner;
        T* oa = o + a * k * inner;
        if (inner == 1) {
          for (int64_t j = 0; j < k; ++j) oa[j] = pa[idx[j]];
        } else {
          for (int64_t j = 0; j < k; ++j)
            std::memcpy(oa + j * inner, pa + static_cast<int64_t>(idx[j]) * inner,
                        static_cast<size_t>(inner) * sizeof(T));
        }
      }
    });
  });
  return out;
}

Tensor gather_grad_kernel(const Tensor& g, const Tensor& indices, int axis,
                          const Shape& params_shape) {
  Tensor out = Tensor::zeros(params_shape, g.dtype());
  if (g.numel() == 0) return out;
  int64_t outer, n, inner;
  split_around(params_shape, axis, outer, n, inner);
  const int64_t k = indices.numel();
  visit_numeric(g.dtype(), "gather_grad", [&]<class T>() {
    visit_index(indices.dtype(), [&]<class I>() {
      const T* gp = g.data<T>();
      const I* idx = indices.data<I>();
      T* o = out.mutable_data<T>();
      for (int64_t a = 0; a < outer; ++a) {
        T* oa = o + a * n * inner;
        const T* ga = gp + a * k * inner;
        for (int64_t j = 0; j < k; ++j) {
          T* dst = oa + static_cast<int64_t>(idx[j]) * inner;
          const T* src = ga + j * inner;
          for (int64_t e = 0; e < inner; ++e) dst[e] += src[e];
        }
      }
    });
  });
  return out;
}

Tensor one_hot_kernel(const Tensor& indices, int64_t depth, int axis, double on_value,
                      double off_value, DType dtype) {
  const Shape& s = indices.shape();
  Shape out_shape;
  for (int d = 0; d < axis; ++d) out_shape.push_back(s[d], "one_hot");
  out_shape.push_back(depth, "one_hot");
  for (int d = axis; d < s.rank(); ++d) out_shape.push_back(s[d], "one_hot");
  Tensor out = Tensor::empty(out_shape, dtype);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis; d < s.rank(); ++d) inner *= s[d];
  visit_dtype(dtype, [&]<class T>() {
    T* o = out.mutable_data<T>();
    const T on = fill_value<T>(on_value), off = fill_value<T>(off_value);
    for (int64_t i = 0, total = out_shape.numel(); i < total; ++i) o[i] = off;
    visit_index(indices.dtype(), [&]<class I>() {
      const I* idx = indices.data<I>();
      for (int64_t a = 0; a < outer; ++a) {
        T* oa = o + a * depth * inner;
        const I* ia = idx + a * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t c = static_cast<int64_t>(ia[i]);
          if (c >= 0 && c < depth) oa[c * inner + i] = on;
        }
      }
    });
  });
  return out;
}

Tensor tile_kernel(const Tensor& x, std::span<const int64_t> multiples, const Shape& out_shape) {
  Tensor out = Tensor::empty(out_shape, x.dtype());
  if (out_shape.numel() == 0) return out;
  visit_dtype(x.dtype(), [&]<class T>() {
    const T* src = x.data<T>();
    T* dst = out.mutable_data<T>();
    const Shape& xs = x.shape();
    const int rank = xs.rank();
    if (rank == 0) {
      dst[0] = src[0];
      return;
    }
    // Walk the output rows; the input row is the output row index taken modulo x's dims.
    const Strides st = xs.strides();
    const int64_t d = xs[rank - 1], m = multiples[static_cast<size_t>(rank - 1)];
    const int64_t rows = out_shape.numel() / out_shape[rank - 1];
    Strides out_idx{}, in_idx{};  // per outer axis: index in the output, and modulo x's dim
    int64_t off = 0;                // offset of the input row
    for (int64_t r = 0; r < rows; ++r) {
      T* o = dst + r * d * m;
      const T* s = src + off;
      if (d == 1) {  // a column repeated: a fill, not m one-element copies
        const T v = s[0];
        for (int64_t c = 0; c < m; ++c) o[c] = v;
      } else {
        for (int64_t c = 0; c < m; ++c) std::memcpy(o + c * d, s, static_cast<size_t>(d) * sizeof(T));
      }
      for (int a = rank - 2; a >= 0; --a) {
        if (++in_idx[a] == xs[a]) {
          off -= st[a] * (xs[a] - 1);
          in_idx[a] = 0;
        } else {
          off += st[a];
        }
        if (++out_idx[a] < out_shape[a]) break;
        out_idx[a] = 0;  // in_idx[a] is 0 too: the output dim is a multiple of x's
      }
    }
  });
  return out;
}

}  // namespace tg
