// Data movement: transpose, broadcast, cast.
#include <cstring>

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

Tensor cast_kernel(const Tensor& x, DType to) {
  return visit_dtype(x.dtype(), [&]<class From>() {
    return visit_dtype(to, [&]<class To>() {
      return unary_map<From, To>(x, [](From v) { return static_cast<To>(v); });
    });
  });
}

}  // namespace tg
