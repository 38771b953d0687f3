// Reductions and softmax.
// Legend: outer = product of axes before the reduced block, n = reduced extent,
// inner = product of axes after it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "tensor/kernels.h"

namespace tg {
namespace {

template <class T>
struct Reducer {
  ReduceKind kind;
  T init() const {
    switch (kind) {
      case ReduceKind::sum: return T(0);
      case ReduceKind::prod: return T(1);
      case ReduceKind::max:
        return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::lowest();
      case ReduceKind::min:
        return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::max();
    }
    return T(0);
  }
  T operator()(T acc, T v) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Integer sums and products wrap around, as add and mul do.
      using U = std::make_unsigned_t<T>;
      if (kind == ReduceKind::sum) return static_cast<T>(static_cast<U>(acc) + static_cast<U>(v));
      if (kind == ReduceKind::prod) return static_cast<T>(static_cast<U>(acc) * static_cast<U>(v));
    }
    switch (kind) {
      case ReduceKind::sum: return acc + v;
      case ReduceKind::prod: return acc * v;
      case ReduceKind::max: return (v > acc || v != v) ? v : acc;  // NaN propagates
      case ReduceKind::min: return (v < acc || v != v) ? v : acc;
    }
    return acc;
  }
};

// Accumulator type: float32 sums accumulate in double for accuracy on long rows; integer
// sums in the unsigned type, so they wrap instead of overflowing.
template <class T> struct AccOf { using type = std::make_unsigned_t<T>; };
template <> struct AccOf<float> { using type = double; };
template <> struct AccOf<double> { using type = double; };
template <class T> using Acc = typename AccOf<T>::type;

template <class T>
void reduce_typed(const Tensor& x, std::span<const int> axes, ReduceKind kind, Tensor& out) {
  const Shape& s = x.shape();
  const T* in = x.data<T>();
  T* o = out.mutable_data<T>();
  const Reducer<T> r{kind};
  const int64_t total_out = out.numel();
  for (int64_t i = 0; i < total_out; ++i) o[i] = r.init();
  if (x.numel() == 0) return;

  // Fast path: the reduced axes form one contiguous block [first, last].
  const bool contiguous = axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
  if (contiguous) {
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < s.rank(); ++d) {
      if (d < axes.front()) outer *= s[d];
      else if (d <= axes.back()) n *= s[d];
      else inner *= s[d];
    }
    for (int64_t p = 0; p < outer; ++p) {
      const T* base = in + p * n * inner;
      T* ob = o + p * inner;
      if (inner == 1) {
        if (kind == ReduceKind::sum) {
          Acc<T> acc = 0;
          for (int64_t k = 0; k < n; ++k) acc += static_cast<Acc<T>>(base[k]);
          ob[0] = static_cast<T>(acc);
        } else {
          T acc = r.init();
          for (int64_t k = 0; k < n; ++k) acc = r(acc, base[k]);
          ob[0] = acc;
        }
      } else {
        for (int64_t k = 0; k < n; ++k) {
          const T* row = base + k * inner;
          if (kind == ReduceKind::sum && std::is_floating_point_v<T>) {
            for (int64_t j = 0; j < inner; ++j) ob[j] += row[j];
          } else {
            for (int64_t j = 0; j < inner; ++j) ob[j] = r(ob[j], row[j]);
          }
        }
      }
    }
    return;
  }
  // General case: odometer over the input; reduced axes have output stride 0.
  std::array<int64_t, kMaxRank> ost{};
  {
    int64_t stride = 1;
    for (int d = s.rank() - 1; d >= 0; --d) {
      const bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
      ost[d] = reduced ? 0 : stride;
      if (!reduced) stride *= s[d];
    }
  }
  std::array<int64_t, kMaxRank> idx{};
  int64_t off = 0;
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    o[off] = r(o[off], in[i]);
    for (int d = s.rank() - 1; d >= 0; --d) {
      off += ost[d];
      if (++idx[d] < s[d]) break;
      off -= ost[d] * s[d];
      idx[d] = 0;
    }
  }
}

template <class T>
void softmax_typed(const Tensor& x, int axis, bool log, Tensor& out) {
  const Shape& s = x.shape();
  int64_t outer = 1, n = s[axis], inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s[d];
  const T* in = x.data<T>();
  T* o = out.mutable_data<T>();
  std::vector<T> mx(static_cast<size_t>(inner)), sum(static_cast<size_t>(inner));
  for (int64_t p = 0; p < outer; ++p) {
    const T* xb = in + p * n * inner;
    T* ob = o + p * n * inner;
    std::fill(mx.begin(), mx.end(), -std::numeric_limits<T>::infinity());
    std::fill(sum.begin(), sum.end(), T(0));
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) mx[j] = std::max(mx[j], xb[k * inner + j]);
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) {
        const T e = std::exp(xb[k * inner + j] - mx[j]);
        sum[j] += e;
        if (!log) ob[k * inner + j] = e;
      }
    for (int64_t k = 0; k < n; ++k)
      for (int64_t j = 0; j < inner; ++j) {
        if (log)
          ob[k * inner + j] = xb[k * inner + j] - mx[j] - std::log(sum[j]);
        else
          ob[k * inner + j] /= sum[j];
      }
  }
}

}  // namespace

Tensor reduce_kernel(const Tensor& x, std::span<const int> axes, bool keepdims, ReduceKind kind) {
  Shape out_shape;
  for (int d = 0; d < x.rank(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!reduced) out_shape.push_back(x.shape()[d]);
    else if (keepdims) out_shape.push_back(1);
  }
  Tensor out = Tensor::empty(out_shape, x.dtype());
  if (axes.empty()) {
    std::memcpy(out.mutable_raw(), x.raw(), x.nbytes());
    return out;
  }
  visit_numeric(x.dtype(), "reduce", [&]<class T>() { reduce_typed<T>(x, axes, kind, out); });
  return out;
}

Tensor softmax_kernel(const Tensor& x, int axis, bool log) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  if (x.numel() == 0) return out;
  visit_floating(x.dtype(), log ? "log_softmax" : "softmax",
                 [&]<class T>() { softmax_typed<T>(x, axis, log, out); });
  return out;
}

}  // namespace tg
