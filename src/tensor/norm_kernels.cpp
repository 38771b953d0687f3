// Normalization kernels (legend in norm_kernels.h). Every pass walks x in memory order and
// accumulates into one slot per group; with per-column groups the inner loop runs along a
// row, across groups, so it vectorises. Sums are in double (n may be a whole batch of
// images), the final elementwise pass in the tensor's type.
#include "tensor/norm_kernels.h"

#include <cmath>
#include <vector>

namespace tg {
namespace {

// Calls f(group, i) for every element i of x in memory order.
template <bool PerRow, class F>
void for_each(const NormGroups& gr, F f) {
  for (int64_t m = 0; m < gr.rows; ++m) {
    const int64_t base = m * gr.cols;
    for (int64_t k = 0; k < gr.cols; ++k) f(PerRow ? m : k, base + k);
  }
}

// μ and s per group; variance (biased σ²) too.
struct Moments {
  std::vector<double> mean, variance, inv_std;
};

template <bool PerRow, class T>
Moments moments(const NormGroups& gr, const T* x, double epsilon) {
  const auto G = static_cast<size_t>(gr.groups());
  const double n = static_cast<double>(gr.count());
  Moments s{std::vector<double>(G, 0.0), std::vector<double>(G, 0.0), std::vector<double>(G)};
  for_each<PerRow>(gr, [&](int64_t g, int64_t i) { s.mean[static_cast<size_t>(g)] += x[i]; });
  for (double& m : s.mean) m /= n;  // NaN for an empty group, as TensorFlow
  for_each<PerRow>(gr, [&](int64_t g, int64_t i) {
    const double d = x[i] - s.mean[static_cast<size_t>(g)];
    s.variance[static_cast<size_t>(g)] += d * d;
  });
  for (size_t g = 0; g < G; ++g) {
    s.variance[g] /= n;
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

template <bool PerRow, class T>
Tensor normalize(const Tensor& x, const Tensor& scale, const Tensor& offset, const NormGroups& gr,
                 double epsilon, Tensor* mean, Tensor* variance) {
  const Moments s = moments<PerRow>(gr, x.data<T>(), epsilon);
  const auto G = static_cast<size_t>(gr.groups());
  std::vector<T> mu(G), a(G);
  const T* sc = scale.data<T>();
  for (size_t g = 0; g < G; ++g) {
    mu[g] = static_cast<T>(s.mean[g]);
    a[g] = static_cast<T>(sc[g] * s.inv_std[g]);
  }
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  const T* px = x.data<T>();
  const T* off = offset.data<T>();
  T* py = y.mutable_data<T>();
  for_each<PerRow>(gr, [&](int64_t g, int64_t i) {
    const auto k = static_cast<size_t>(g);
    py[i] = (px[i] - mu[k]) * a[k] + off[g];
  });
  if (mean) *mean = group_tensor<T>(s.mean, x.dtype());
  if (variance) *variance = group_tensor<T>(s.variance, x.dtype());
  return y;
}

// Σ g and Σ g·(x − μ) per group.
template <bool PerRow, class T>
void gradient_sums(const NormGroups& gr, const T* g, const T* x, const Moments& s,
                   std::vector<double>& sum_g, std::vector<double>& sum_gd) {
  sum_g.assign(static_cast<size_t>(gr.groups()), 0.0);
  sum_gd.assign(static_cast<size_t>(gr.groups()), 0.0);
  for_each<PerRow>(gr, [&](int64_t grp, int64_t i) {
    const auto k = static_cast<size_t>(grp);
    sum_g[k] += g[i];
    sum_gd[k] += g[i] * (x[i] - s.mean[k]);
  });
}

template <bool PerRow, class T>
Tensor normalize_grad(const Tensor& gt, const Tensor& xt, const Tensor& scale,
                      const NormGroups& gr, double epsilon) {
  const T* x = xt.data<T>();
  const T* g = gt.data<T>();
  const Moments s = moments<PerRow>(gr, x, epsilon);
  std::vector<double> sum_g, sum_gd;
  gradient_sums<PerRow>(gr, g, x, s, sum_g, sum_gd);
  // dx = a·(g − mean(g) − (x − μ)·c), a = scale·s, c = s²·mean(g·(x − μ))
  const auto G = static_cast<size_t>(gr.groups());
  const double n = static_cast<double>(gr.count());
  std::vector<T> mu(G), a(G), mg(G), c(G);
  const T* sc = scale.data<T>();
  for (size_t k = 0; k < G; ++k) {
    mu[k] = static_cast<T>(s.mean[k]);
    a[k] = static_cast<T>(sc[k] * s.inv_std[k]);
    mg[k] = static_cast<T>(sum_g[k] / n);
    c[k] = static_cast<T>(s.inv_std[k] * s.inv_std[k] * sum_gd[k] / n);
  }
  Tensor dx = Tensor::empty(xt.shape(), xt.dtype());
  T* d = dx.mutable_data<T>();
  for_each<PerRow>(gr, [&](int64_t grp, int64_t i) {
    const auto k = static_cast<size_t>(grp);
    d[i] = a[k] * (g[i] - mg[k] - (x[i] - mu[k]) * c[k]);
  });
  return dx;
}

template <bool PerRow, class T>
Tensor normalize_scale_grad(const Tensor& gt, const Tensor& xt, const NormGroups& gr,
                            double epsilon, const Shape& group_shape) {
  const Moments s = moments<PerRow>(gr, xt.data<T>(), epsilon);
  std::vector<double> sum_g, sum_gd;
  gradient_sums<PerRow>(gr, gt.data<T>(), xt.data<T>(), s, sum_g, sum_gd);
  Tensor out = Tensor::empty(group_shape, xt.dtype());
  T* p = out.mutable_data<T>();
  for (size_t k = 0; k < sum_gd.size(); ++k) p[k] = static_cast<T>(sum_gd[k] * s.inv_std[k]);
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
