// SPDX-License-Identifier: Apache-2.0
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
#include "tensor/reduce_kernels.h"
#include "tensor/scratch.h"
#include "tensor/vmath.h"

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
T row_max(const T* x, int64_t n) {
  T m = -std::numeric_limits<T>::infinity();
  for (int64_t k = 0; k < n; ++k) m = std::max(m, x[k]);
  return m;
}

// Σ e over a row of n, on four accumulators.
template <class T>
T row_sum(const T* e, int64_t n) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += e[k];
    s1 += e[k + 1];
    s2 += e[k + 2];
    s3 += e[k + 3];
  }
  for (; k < n; ++k) s0 += e[k];
  return (s0 + s1) + (s2 + s3);
}

// For `rows` contiguous rows of n: shifted = x − m (m the row's max, or with finite_max its
// max when finite and 0 otherwise), e = exp(shifted), sum[r] = Σ e over row r. e may equal
// shifted. why in three passes over all rows: exp runs as one vectorised call over
// rows·n elements instead of a short call per row (a class axis is often 10 long).
template <class T>
void shifted_exp_rows(const T* x, int64_t rows, int64_t n, bool finite_max, T* shifted, T* e, T* sum) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * n;
    T* sr = shifted + r * n;
    T m = row_max(xr, n);
    if (finite_max && !std::isfinite(m)) m = T(0);  // a NaN reaches the sum
    for (int64_t k = 0; k < n; ++k) sr[k] = xr[k] - m;
  }
  exp_array(shifted, e, rows * n);
  for (int64_t r = 0; r < rows; ++r) sum[r] = row_sum(e + r * n, n);
}

template <class T>
void softmax_typed(const Tensor& x, int axis, bool log, Tensor& out) {
  const Shape& s = x.shape();
  int64_t outer = 1, n = s[axis], inner = 1;
  for (int d = 0; d < axis; ++d) outer *= s[d];
  for (int d = axis + 1; d < s.rank(); ++d) inner *= s[d];
  const T* in = x.data<T>();
  T* o = out.mutable_data<T>();
  if (inner == 1) {  // the last axis: one contiguous row per slice
    Scratch sums(static_cast<size_t>(outer) * sizeof(T));
    T* sum = sums.as<T>();  // (outer)
    if (log) {  // (x − max) − log(sum): max + log(sum) would round away log(sum) for large x
      Scratch exps(static_cast<size_t>(outer * n) * sizeof(T));
      shifted_exp_rows(in, outer, n, false, o, exps.as<T>(), sum);
      log_array(sum, sum, outer);
      for (int64_t p = 0; p < outer; ++p)
        for (int64_t k = 0; k < n; ++k) o[p * n + k] -= sum[p];
    } else {
      shifted_exp_rows(in, outer, n, false, o, o, sum);  // the exps land in the output
      for (int64_t p = 0; p < outer; ++p)
        for (int64_t k = 0; k < n; ++k) o[p * n + k] /= sum[p];
    }
    return;
  }
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

// ---- issue-3 kernels (declared in reduce_kernels.h) ----
namespace tg {
namespace {

struct Layout {
  int64_t outer = 1, n = 1, inner = 1;
};

// (outer, n, inner) around the contiguous block of axes [first, last].
Layout layout_of(const Shape& s, int first, int last) {
  Layout l;
  for (int d = 0; d < s.rank(); ++d) {
    if (d < first) l.outer *= s[d];
    else if (d <= last) l.n *= s[d];
    else l.inner *= s[d];
  }
  return l;
}

Shape reduced_shape(const Shape& s, std::span<const int> axes, bool keepdims) {
  Shape out;
  for (int d = 0; d < s.rank(); ++d) {
    const bool reduced = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!reduced) out.push_back(s[d]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

// why: a non-finite maximum would turn x − max into NaN; tf.reduce_logsumexp uses 0 then.
template <class T>
T finite_or_zero(T m) {
  return std::isfinite(m) ? m : T(0);
}

// x viewed as (outer, n, inner); out (outer, inner).
template <class T>
void logsumexp_typed(const T* x, Layout l, T* out) {
  if (l.inner == 1) {
    Scratch exps(static_cast<size_t>(l.outer * l.n) * sizeof(T));
    shifted_exp_rows(x, l.outer, l.n, true, exps.as<T>(), exps.as<T>(), out);
    log_array(out, out, l.outer);
    for (int64_t p = 0; p < l.outer; ++p) out[p] += finite_or_zero(row_max(x + p * l.n, l.n));
    return;
  }
  std::vector<T> mx(static_cast<size_t>(l.inner));
  std::vector<double> sum(static_cast<size_t>(l.inner));
  for (int64_t p = 0; p < l.outer; ++p) {
    const T* xb = x + p * l.n * l.inner;
    T* ob = out + p * l.inner;
    std::fill(mx.begin(), mx.end(), -std::numeric_limits<T>::infinity());
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t k = 0; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) mx[j] = std::max(mx[j], xb[k * l.inner + j]);
    for (T& m : mx) m = finite_or_zero(m);
    for (int64_t k = 0; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) sum[j] += std::exp(static_cast<double>(xb[k * l.inner + j] - mx[j]));
    for (int64_t j = 0; j < l.inner; ++j) ob[j] = static_cast<T>(std::log(sum[j]) + static_cast<double>(mx[j]));
  }
}

// x viewed as (outer, n, inner); out (outer, inner) of indices into n.
template <class T>
void arg_reduce_typed(const T* x, Layout l, bool max, int64_t* out) {
  // Is v better than the best so far? NaN beats everything but an earlier NaN.
  const auto better = [max](T v, T best) {
    if constexpr (std::is_floating_point_v<T>) {
      if (best != best) return false;
      if (v != v) return true;
    }
    return max ? v > best : v < best;
  };
  std::vector<T> best(static_cast<size_t>(l.inner));
  for (int64_t p = 0; p < l.outer; ++p) {
    const T* xb = x + p * l.n * l.inner;
    int64_t* ob = out + p * l.inner;
    for (int64_t j = 0; j < l.inner; ++j) {
      best[j] = xb[j];
      ob[j] = 0;
    }
    for (int64_t k = 1; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) {
        const T v = xb[k * l.inner + j];
        if (better(v, best[j])) {
          best[j] = v;
          ob[j] = k;
        }
      }
  }
}

template <class T>
void prod_others_typed(const T* x, Layout l, T* out) {
  std::vector<T> acc(static_cast<size_t>(l.inner));
  for (int64_t p = 0; p < l.outer; ++p) {
    const T* xb = x + p * l.n * l.inner;
    T* ob = out + p * l.n * l.inner;
    std::fill(acc.begin(), acc.end(), T(1));
    for (int64_t k = 0; k < l.n; ++k)  // exclusive prefix products
      for (int64_t j = 0; j < l.inner; ++j) {
        ob[k * l.inner + j] = acc[j];
        acc[j] *= xb[k * l.inner + j];
      }
    std::fill(acc.begin(), acc.end(), T(1));
    for (int64_t k = l.n - 1; k >= 0; --k)  // times exclusive suffix products
      for (int64_t j = 0; j < l.inner; ++j) {
        ob[k * l.inner + j] *= acc[j];
        acc[j] *= xb[k * l.inner + j];
      }
  }
}

// labels, logits viewed as (outer, n, inner); out (outer, inner).
template <class T>
void softmax_xent_typed(const T* y, const T* z, Layout l, T* out) {
  if (l.inner == 1) {  // classes on the last axis: one contiguous row per example
    const size_t bytes = static_cast<size_t>(l.outer * l.n) * sizeof(T);
    Scratch shifted(bytes), exps(bytes), sums(static_cast<size_t>(l.outer) * sizeof(T));
    T* sh = shifted.as<T>();  // (outer, n): z − max
    T* log_sum = sums.as<T>();  // (outer)
    shifted_exp_rows(z, l.outer, l.n, false, sh, exps.as<T>(), log_sum);
    log_array(log_sum, log_sum, l.outer);
    for (int64_t p = 0; p < l.outer; ++p) {
      const T* yr = y + p * l.n;
      const T* sr = sh + p * l.n;
      T loss = 0;
      for (int64_t k = 0; k < l.n; ++k) loss += yr[k] * (log_sum[p] - sr[k]);
      out[p] = loss;
    }
    return;
  }
  std::vector<T> mx(static_cast<size_t>(l.inner));
  std::vector<double> sum(static_cast<size_t>(l.inner)), loss(static_cast<size_t>(l.inner));
  for (int64_t p = 0; p < l.outer; ++p) {
    const size_t base = static_cast<size_t>(p * l.n * l.inner);
    const T* zb = z + base;
    const T* yb = y + base;
    std::fill(mx.begin(), mx.end(), -std::numeric_limits<T>::infinity());
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(loss.begin(), loss.end(), 0.0);
    for (int64_t k = 0; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) mx[j] = std::max(mx[j], zb[k * l.inner + j]);
    for (int64_t k = 0; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) sum[j] += static_cast<double>(std::exp(zb[k * l.inner + j] - mx[j]));
    // loss = Σ y·(log Σ exp(z − max) − (z − max))   (the XENT kernel's form)
    for (int64_t j = 0; j < l.inner; ++j) sum[j] = std::log(sum[j]);
    for (int64_t k = 0; k < l.n; ++k)
      for (int64_t j = 0; j < l.inner; ++j) {
        const size_t i = static_cast<size_t>(k * l.inner + j);
        loss[j] += static_cast<double>(yb[i]) * (sum[j] - static_cast<double>(zb[i] - mx[j]));
      }
    for (int64_t j = 0; j < l.inner; ++j) out[p * l.inner + j] = static_cast<T>(loss[j]);
  }
}

template <class L, class T>
void sparse_softmax_xent_typed(const L* labels, const T* z, int64_t rows, int64_t classes, T* out) {
  const size_t bytes = static_cast<size_t>(rows * classes) * sizeof(T);
  Scratch shifted(bytes), exps(bytes);
  T* sh = shifted.as<T>();  // (rows, classes): z − max
  shifted_exp_rows(z, rows, classes, false, sh, exps.as<T>(), out);
  log_array(out, out, rows);
  for (int64_t r = 0; r < rows; ++r) out[r] -= sh[r * classes + labels[r]];
}

// Visits the C++ type of an int32/int64 label tensor.
template <class F>
decltype(auto) visit_labels(DType d, F&& f) {
  if (d == DType::i32) return f.template operator()<int32_t>();
  if (d == DType::i64) return f.template operator()<int64_t>();
  fail(Status::internal, "labels must be int32 or int64, got {}", dtype_name(d));
}

}  // namespace

Tensor logsumexp_kernel(const Tensor& x, std::span<const int> axes, bool keepdims) {
  Tensor out = Tensor::empty(reduced_shape(x.shape(), axes, keepdims), x.dtype());
  if (axes.empty()) {  // nothing reduced: log(exp(x)) = x
    std::memcpy(out.mutable_raw(), x.raw(), x.nbytes());
    return out;
  }
  const bool contiguous = axes.back() - axes.front() + 1 == static_cast<int>(axes.size());
  Tensor src = x;
  Layout l;
  if (contiguous) {
    l = layout_of(x.shape(), axes.front(), axes.back());
  } else {  // move the reduced axes last (a copy), so they form one block
    std::vector<int> perm;
    for (int d = 0; d < x.rank(); ++d)
      if (std::find(axes.begin(), axes.end(), d) == axes.end()) perm.push_back(d);
    const int kept = static_cast<int>(perm.size());
    perm.insert(perm.end(), axes.begin(), axes.end());
    src = transpose_kernel(x, perm);
    l = layout_of(src.shape(), kept, src.rank() - 1);
  }
  visit_floating(x.dtype(), "reduce_logsumexp", [&]<class T>() {
    logsumexp_typed(src.data<T>(), l, out.mutable_data<T>());
  });
  return out;
}

Tensor arg_reduce_kernel(const Tensor& x, int axis, bool max) {
  const int ax[1] = {axis};
  Tensor out = Tensor::empty(reduced_shape(x.shape(), ax, false), DType::i64);
  const Layout l = layout_of(x.shape(), axis, axis);
  visit_numeric(x.dtype(), max ? "argmax" : "argmin", [&]<class T>() {
    arg_reduce_typed(x.data<T>(), l, max, out.mutable_data<int64_t>());
  });
  return out;
}

Tensor prod_others_kernel(const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const Layout l{x.shape()[0], x.shape()[1], x.shape()[2]};
  visit_floating(x.dtype(), "prod_others", [&]<class T>() {
    prod_others_typed(x.data<T>(), l, out.mutable_data<T>());
  });
  return out;
}

Tensor softmax_xent_kernel(const Tensor& labels, const Tensor& logits, int axis) {
  const int ax[1] = {axis};
  Tensor out = Tensor::empty(reduced_shape(logits.shape(), ax, false), logits.dtype());
  const Layout l = layout_of(logits.shape(), axis, axis);
  visit_floating(logits.dtype(), "softmax_cross_entropy_with_logits", [&]<class T>() {
    softmax_xent_typed(labels.data<T>(), logits.data<T>(), l, out.mutable_data<T>());
  });
  return out;
}

Tensor sparse_softmax_xent_kernel(const Tensor& labels, const Tensor& logits) {
  Tensor out = Tensor::empty(labels.shape(), logits.dtype());
  const int64_t classes = logits.shape()[logits.rank() - 1];
  visit_floating(logits.dtype(), "sparse_softmax_cross_entropy_with_logits", [&]<class T>() {
    visit_labels(labels.dtype(), [&]<class L>() {
      sparse_softmax_xent_typed(labels.data<L>(), logits.data<T>(), labels.numel(), classes,
                                out.mutable_data<T>());
    });
  });
  return out;
}

Tensor one_hot_labels_kernel(const Tensor& labels, int64_t classes, DType dtype) {
  Shape shape = labels.shape();
  shape.push_back(classes);
  Tensor out = Tensor::zeros(shape, dtype);
  visit_floating(dtype, "one_hot", [&]<class T>() {
    T* o = out.mutable_data<T>();
    visit_labels(labels.dtype(), [&]<class L>() {
      const L* lab = labels.data<L>();
      for (int64_t r = 0, n = labels.numel(); r < n; ++r) o[r * classes + lab[r]] = T(1);
    });
  });
  return out;
}

}  // namespace tg
