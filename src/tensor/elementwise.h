/* SPDX-License-Identifier: Apache-2.0 */
// Elementwise kernels: a unary map and a broadcasting binary map. Broadcasting is handled
// here and nowhere else. Loop bodies stay simple so the compiler vectorises them.
//
// Legend: n = element count of the output; a, b = inputs; out = output.
#pragma once

#include <array>

#include "tensor/tensor.h"

namespace tg {

template <class In, class Out, class F>
void unary_loop(const In* x, Out* out, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
}

// out = f(x) elementwise; Out is the output element type.
template <class In, class Out, class F>
Tensor unary_map(const Tensor& x, F f) {
  Tensor out = Tensor::empty(x.shape(), DTypeOf<Out>::value);
  unary_loop(x.data<In>(), out.mutable_data<Out>(), x.numel(), f);
  return out;
}

namespace detail {

// Strides (in elements) of `s` viewed as a tensor of shape `out`: 0 along broadcast axes.
inline std::array<int64_t, kMaxRank> broadcast_strides(const Shape& s, const Shape& out) {
  std::array<int64_t, kMaxRank> st{};
  const auto own = s.strides();
  const int offset = out.rank() - s.rank();
  for (int i = 0; i < out.rank(); ++i) {
    const int j = i - offset;
    st[i] = (j >= 0 && s[j] != 1) ? own[j] : 0;
  }
  return st;
}

}  // namespace detail

// out[i] = f(a[ia], b[ib]) with NumPy broadcasting; the output shape is `out_shape`, which
// the caller got from broadcast_shapes(a, b).
template <class TA, class TB, class Out, class F>
void binary_broadcast_loop(const TA* a, const Shape& as, const TB* b, const Shape& bs, Out* out,
                           const Shape& os, F f) {
  const int64_t n = os.numel();
  if (n == 0) return;
  if (as == bs) {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
    return;
  }
  if (bs.numel() == 1 && as == os) {
    const TB bv = b[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
    return;
  }
  if (as.numel() == 1 && bs == os) {
    const TA av = a[0];
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
    return;
  }
  // General case: walk the output row by row (last axis inner), odometer over the rest.
  const int rank = os.rank();
  const auto sa = detail::broadcast_strides(as, os);
  const auto sb = detail::broadcast_strides(bs, os);
  const int64_t inner = os[rank - 1];
  const int64_t ia_step = sa[rank - 1], ib_step = sb[rank - 1];
  std::array<int64_t, kMaxRank> idx{};
  int64_t oa = 0, ob = 0;
  for (int64_t row = 0, rows = n / inner; row < rows; ++row) {
    Out* o = out + row * inner;
    if (ia_step == 1 && ib_step == 1) {
      for (int64_t j = 0; j < inner; ++j) o[j] = f(a[oa + j], b[ob + j]);
    } else if (ia_step == 1 && ib_step == 0) {
      const TB bv = b[ob];
      for (int64_t j = 0; j < inner; ++j) o[j] = f(a[oa + j], bv);
    } else if (ia_step == 0 && ib_step == 1) {
      const TA av = a[oa];
      for (int64_t j = 0; j < inner; ++j) o[j] = f(av, b[ob + j]);
    } else {
      for (int64_t j = 0; j < inner; ++j) o[j] = f(a[oa + j * ia_step], b[ob + j * ib_step]);
    }
    for (int d = rank - 2; d >= 0; --d) {  // advance the odometer over the outer axes
      oa += sa[d];
      ob += sb[d];
      if (++idx[d] < os[d]) break;
      oa -= sa[d] * os[d];
      ob -= sb[d] * os[d];
      idx[d] = 0;
    }
  }
}

template <class TA, class TB, class Out, class F>
Tensor binary_map(const Tensor& a, const Tensor& b, const Shape& out_shape, F f) {
  Tensor out = Tensor::empty(out_shape, DTypeOf<Out>::value);
  binary_broadcast_loop(a.data<TA>(), a.shape(), b.data<TB>(), b.shape(), out.mutable_data<Out>(),
                        out_shape, f);
  return out;
}

}  // namespace tg
