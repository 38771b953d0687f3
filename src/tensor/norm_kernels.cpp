// SPDX-License-Identifier: Apache-2.0
// Normalization kernels (legend in norm_kernels.h).
//
// Two kinds of pass over x, both split into items of whole rows under parallel_for:
//   sums      two double sums per group. Per-row groups: each item owns its rows' groups.
//             Per-column groups: each item sums its rows into partial arrays, which are
//             added in item order afterwards, so the result is the same for every thread
//             count. The inner loop runs along a row (across groups), so it vectorises.
//   map       out[i] = f(group, i), elementwise, items write disjoint rows.
// The statistics take one pass: sums of (x − c) and (x − c)² with c = the group's first
// value, in double; the shift keeps the difference of the two terms accurate (the data's
// spread, not its magnitude, sets the error).
#include "tensor/norm_kernels.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "tensor/parallel.h"
#include "tensor/scratch.h"

namespace tg {
namespace {

// Elements per work item.
constexpr int64_t kItemElements = int64_t{1} << 16;

int64_t rows_per_item(const NormGroups& gr) {
  return std::max<int64_t>(kItemElements / std::max<int64_t>(gr.cols, 1), 1);
}

// sums[0][g] = Σ f(g, i).first, sums[1][g] = Σ f(g, i).second over the elements i of group g.
template <bool PerRow, class F>
std::pair<std::vector<double>, std::vector<double>> group_sums(const NormGroups& gr, F f) {
  const auto G = static_cast<size_t>(gr.groups());
  const int64_t per = rows_per_item(gr), items = (gr.rows + per - 1) / per;
  std::vector<double> a(G, 0.0), b(G, 0.0);
  if constexpr (PerRow) {
    parallel_for(items, [&](int64_t item) {
      for (int64_t m = item * per, end = std::min(gr.rows, m + per); m < end; ++m) {
        double sa = 0, sb = 0;
        for (int64_t k = 0; k < gr.cols; ++k) {
          const auto [u, v] = f(m, m * gr.cols + k);
          sa += u;
          sb += v;
        }
        a[static_cast<size_t>(m)] = sa;
        b[static_cast<size_t>(m)] = sb;
      }
    });
  } else {
    // (items, 2, G) partial sums; why each item's block is rounded up to whole cache lines
    // (and the buffer 64-byte aligned): neighbouring items run at once on different threads,
    // and a shared line would bounce between the cores on every addition.
    const size_t stride = (2 * G + 7) / 8 * 8;
    Scratch partial(static_cast<size_t>(items) * stride * sizeof(double));
    parallel_for(items, [&](int64_t item) {
      double* pa = partial.as<double>() + static_cast<size_t>(item) * stride;
      double* pb = pa + G;
      std::fill(pa, pa + 2 * G, 0.0);
      for (int64_t m = item * per, end = std::min(gr.rows, m + per); m < end; ++m)
        for (int64_t k = 0; k < gr.cols; ++k) {
          const auto [u, v] = f(k, m * gr.cols + k);
          pa[k] += u;
          pb[k] += v;
        }
    });
    for (int64_t item = 0; item < items; ++item) {
      const double* pa = partial.as<double>() + static_cast<size_t>(item) * stride;
      for (size_t k = 0; k < G; ++k) {
        a[k] += pa[k];
        b[k] += pa[G + k];
      }
    }
  }
  return {std::move(a), std::move(b)};
}

// out[i] = f(group, i) for every element, in parallel items of rows.
template <bool PerRow, class T, class F>
void group_map(const NormGroups& gr, T* out, F f) {
  const int64_t per = rows_per_item(gr), items = (gr.rows + per - 1) / per;
  parallel_for(items, [&](int64_t item) {
    for (int64_t m = item * per, end = std::min(gr.rows, m + per); m < end; ++m)
      for (int64_t k = 0; k < gr.cols; ++k) out[m * gr.cols + k] = f(PerRow ? m : k, m * gr.cols + k);
  });
}

// μ, the biased σ² and s = 1/√(σ² + ε) per group.
struct Moments {
  std::vector<double> mean, variance, inv_std;
};

template <bool PerRow, class T>
Moments moments(const NormGroups& gr, const T* x, double epsilon) {
  const auto G = static_cast<size_t>(gr.groups());
  std::vector<T> shift(G);  // each group's first value
  for (size_t g = 0; g < G; ++g)
    shift[g] = gr.count() == 0 ? T(0) : x[PerRow ? static_cast<int64_t>(g) * gr.cols : static_cast<int64_t>(g)];
  auto [s1, s2] = group_sums<PerRow>(gr, [&](int64_t g, int64_t i) {
    const double d = static_cast<double>(x[i]) - static_cast<double>(shift[static_cast<size_t>(g)]);
    return std::pair{d, d * d};
  });
  const double n = static_cast<double>(gr.count());
  Moments s{std::vector<double>(G), std::vector<double>(G), std::vector<double>(G)};
  for (size_t g = 0; g < G; ++g) {
    const double d = s1[g] / n;  // NaN for an empty group, as TensorFlow
    s.mean[g] = static_cast<double>(shift[g]) + d;
    s.variance[g] = std::max(s2[g] / n - d * d, 0.0);
    s.inv_std[g] = 1.0 / std::sqrt(s.variance[g] + epsilon);
  }
  return s;
}

template <class T>
Tensor group_tensor(const std::vector<double>& v, DType dtype) {
  Tensor t = Tensor::empty(Shape{static_cast<int64_t>(v.size())}, dtype);
  T* p = t.mutable_data<T>();
  for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  return t;
}

template <class T>
std::vector<T> narrowed(const std::vector<double>& v) {
  return std::vector<T>(v.begin(), v.end());
}

template <bool PerRow, class T>
Tensor normalize(const Tensor& x, const Tensor& scale, const Tensor& offset, const NormGroups& gr,
                 double epsilon, Tensor* mean, Tensor* variance) {
  const T* px = x.data<T>();
  const Moments s = moments<PerRow>(gr, px, epsilon);
  const auto G = static_cast<size_t>(gr.groups());
  const std::vector<T> mu = narrowed<T>(s.mean);
  std::vector<T> a(G);
  const T* sc = scale.data<T>();
  for (size_t g = 0; g < G; ++g) a[g] = static_cast<T>(sc[g] * s.inv_std[g]);
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const T* off = offset.data<T>();
  group_map<PerRow>(gr, y.mutable_data<T>(), [&](int64_t g, int64_t i) {
    const auto k = static_cast<size_t>(g);
    return (px[i] - mu[k]) * a[k] + off[g];
  });
  if (mean) *mean = group_tensor<T>(s.mean, x.dtype());
  if (variance) *variance = group_tensor<T>(s.variance, x.dtype());
  return y;
}

// Σ g and Σ g·(x − μ) per group.
template <bool PerRow, class T>
std::pair<std::vector<double>, std::vector<double>> gradient_sums(const NormGroups& gr, const T* g,
                                                                  const T* x, const Moments& s) {
  return group_sums<PerRow>(gr, [&](int64_t grp, int64_t i) {
    const double gi = g[i];
    return std::pair{gi, gi * (static_cast<double>(x[i]) - s.mean[static_cast<size_t>(grp)])};
  });
}

template <bool PerRow, class T>
Tensor normalize_grad(const Tensor& gt, const Tensor& xt, const Tensor& scale,
                      const NormGroups& gr, double epsilon) {
  const T* x = xt.data<T>();
  const T* g = gt.data<T>();
  const Moments s = moments<PerRow>(gr, x, epsilon);
  const auto [sum_g, sum_gd] = gradient_sums<PerRow>(gr, g, x, s);
  // dx = a·(g − mean(g) − (x − μ)·c), a = scale·s, c = s²·mean(g·(x − μ))
  const auto G = static_cast<size_t>(gr.groups());
  const double n = static_cast<double>(gr.count());
  const std::vector<T> mu = narrowed<T>(s.mean);
  std::vector<T> a(G), mg(G), c(G);
  const T* sc = scale.data<T>();
  for (size_t k = 0; k < G; ++k) {
    a[k] = static_cast<T>(sc[k] * s.inv_std[k]);
    mg[k] = static_cast<T>(sum_g[k] / n);
    c[k] = static_cast<T>(s.inv_std[k] * s.inv_std[k] * sum_gd[k] / n);
  }
  Tensor dx = Tensor::empty(xt.shape(), xt.dtype());
  group_map<PerRow>(gr, dx.mutable_data<T>(), [&](int64_t grp, int64_t i) {
    const auto k = static_cast<size_t>(grp);
    return a[k] * (g[i] - mg[k] - (x[i] - mu[k]) * c[k]);
  });
  return dx;
}

template <bool PerRow, class T>
Tensor normalize_scale_grad(const Tensor& gt, const Tensor& xt, const NormGroups& gr,
                            double epsilon, const Shape& group_shape) {
  const Moments s = moments<PerRow>(gr, xt.data<T>(), epsilon);
  const auto sums = gradient_sums<PerRow>(gr, gt.data<T>(), xt.data<T>(), s);
  Tensor out = Tensor::empty(group_shape, xt.dtype());
  T* p = out.mutable_data<T>();
  for (size_t k = 0; k < sums.second.size(); ++k) p[k] = static_cast<T>(sums.second[k] * s.inv_std[k]);
  return out;
}

// Calls f.template operator()<PerRow, T>() for the groups' layout and x's dtype.
template <class F>
Tensor dispatch(const NormGroups& gr, DType dtype, const char* op, F f) {
  return visit_floating(dtype, op, [&]<class T>() {
    return gr.per_row ? f.template operator()<true, T>() : f.template operator()<false, T>();
  });
}

}  // namespace

Tensor normalize_kernel(const Tensor& x, const Tensor& scale, const Tensor& offset,
                        const NormGroups& groups, double epsilon, Tensor* mean, Tensor* variance) {
  return dispatch(groups, x.dtype(), "fused_batch_norm", [&]<bool PerRow, class T>() {
    return normalize<PerRow, T>(x, scale, offset, groups, epsilon, mean, variance);
  });
}

Tensor normalize_grad_kernel(const Tensor& g, const Tensor& x, const Tensor& scale,
                             const NormGroups& groups, double epsilon) {
  return dispatch(groups, x.dtype(), "fused_batch_norm_grad_input", [&]<bool PerRow, class T>() {
    return normalize_grad<PerRow, T>(g, x, scale, groups, epsilon);
  });
}

Tensor normalize_scale_grad_kernel(const Tensor& g, const Tensor& x, const NormGroups& groups,
                                   double epsilon, const Shape& group_shape) {
  return dispatch(groups, x.dtype(), "fused_batch_norm_grad_scale", [&]<bool PerRow, class T>() {
    return normalize_scale_grad<PerRow, T>(g, x, groups, epsilon, group_shape);
  });
}

}  // namespace tg
