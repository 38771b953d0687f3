// SPDX-License-Identifier: Apache-2.0
// Data movement: transpose, broadcast, cast.
#include <cstring>
#include <limits>
#include <type_traits>

#include "tensor/elementwise.h"
#include "tensor/kernels.h"

namespace tg {
namespace {

// Copies src into dst of shape `out`, reading src with per-axis strides `st` (0 = repeat).
template <class T>
void strided_copy(const T* src, const std::array<int64_t, kMaxRank>& st, T* dst,
                  const Shape& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  if (out.rank() == 0) {
    dst[0] = src[0];
    return;
  }
  const int rank = out.rank();
  const int64_t inner = out[rank - 1], step = st[rank - 1];
  std::array<int64_t, kMaxRank> idx{};
  int64_t off = 0;
  for (int64_t row = 0, rows = n / inner; row < rows; ++row) {
    T* o = dst + row * inner;
    if (step == 1)
      std::memcpy(o, src + off, static_cast<size_t>(inner) * sizeof(T));
    else
      for (int64_t j = 0; j < inner; ++j) o[j] = src[off + j * step];
    for (int d = rank - 2; d >= 0; --d) {
      off += st[d];
      if (++idx[d] < out[d]) break;
      off -= st[d] * out[d];
      idx[d] = 0;
    }
  }
}

}  // namespace

Tensor transpose_kernel(const Tensor& x, std::span<const int> perm) {
  Shape out_shape;
  std::array<int64_t, kMaxRank> st{};
  const auto xs = x.shape().strides();
  for (size_t i = 0; i < perm.size(); ++i) {
    out_shape.push_back(x.shape()[perm[i]]);
    st[i] = xs[perm[i]];
  }
  Tensor out = Tensor::empty(out_shape, x.dtype());
  visit_dtype(x.dtype(), [&]<class T>() {
    strided_copy(x.data<T>(), st, out.mutable_data<T>(), out_shape);
  });
  return out;
}

Tensor broadcast_to_kernel(const Tensor& x, const Shape& shape) {
  Tensor out = Tensor::empty(shape, x.dtype());
  const auto st = detail::broadcast_strides(x.shape(), shape);
  visit_dtype(x.dtype(), [&]<class T>() {
    strided_copy(x.data<T>(), st, out.mutable_data<T>(), shape);
  });
  return out;
}

// One element converted. Floating values saturate into an integer range (NaN becomes 0)
// instead of being undefined behaviour; anything non-zero becomes true.
template <class From, class To>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (v != v) return To(0);
    if (v <= static_cast<From>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(v);
  }
}

Tensor cast_kernel(const Tensor& x, DType to) {
  return visit_dtype(x.dtype(), [&]<class From>() {
    return visit_dtype(to, [&]<class To>() { return unary_map<From, To>(x, convert<From, To>); });
  });
}

}  // namespace tg
