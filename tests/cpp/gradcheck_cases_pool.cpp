// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: pooling (max_pool2d and its two gradient ops, avg_pool2d and its
// gradient op, the global poolings built on reductions). All are piecewise linear: each case
// asserts an exactly-zero second derivative. Random inputs have no ties, so the maxima sit
// far (compared with the finite-difference step) from a switch.
#include "gradcheck_cases.h"

namespace tg {

namespace {

using ops::Padding;
using ops::Pool2dOptions;

struct PoolCase {
  std::string name;
  Shape input;
  Pool2dOptions options;
};

std::vector<PoolCase> pool_geometries() {
  const auto opt = [](int64_t kh, int64_t kw, int64_t sh, int64_t sw, Padding p) {
    return Pool2dOptions{kh, kw, sh, sw, p};
  };
  return {
      {"2x2_valid", {1, 4, 4, 2}, opt(2, 2, 2, 2, Padding::valid)},
      {"2x2_valid_odd_input", {2, 5, 3, 1}, opt(2, 2, 2, 2, Padding::valid)},
      {"3x3_stride2_same_overlap", {1, 5, 5, 1}, opt(3, 3, 2, 2, Padding::same)},
      {"3x3_stride1_same", {1, 4, 4, 2}, opt(3, 3, 1, 1, Padding::same)},
      {"2x3_strides_1_2_valid", {2, 4, 5, 1}, opt(2, 3, 1, 2, Padding::valid)},
      {"window_larger_than_input_same", {1, 2, 2, 1}, opt(3, 3, 1, 1, Padding::same)},
      {"even_window_same", {1, 4, 3, 2}, opt(2, 2, 1, 1, Padding::same)},
  };
}

Shape pooled_shape(const PoolCase& k) {
  return ops::max_pool2d(Tensor::zeros(k.input, DType::f64), k.options).shape();
}

}  // namespace

std::vector<GradCase> pool_grad_cases() {
  std::vector<GradCase> cases;
  for (const PoolCase& k : pool_geometries()) {
    const Pool2dOptions o = k.options;
    const Shape in = k.input, out = pooled_shape(k);
    cases.push_back(linear_case("max_pool2d_" + k.name, "max_pool2d", {in},
                           [o](const std::vector<Tensor>& x) { return ops::max_pool2d(x[0], o); }));
    cases.push_back(linear_case("max_pool2d_grad_" + k.name, "max_pool2d_grad", {in, out},
                           [o](const std::vector<Tensor>& x) { return ops::max_pool2d_grad(x[0], x[1], o); }));
    cases.push_back(linear_case("max_pool2d_grad_grad_" + k.name, "max_pool2d_grad_grad", {in, in},
                           [o](const std::vector<Tensor>& x) { return ops::max_pool2d_grad_grad(x[0], x[1], o); }));
    cases.push_back(linear_case("avg_pool2d_" + k.name, "avg_pool2d", {in},
                           [o](const std::vector<Tensor>& x) { return ops::avg_pool2d(x[0], o); }));
    cases.push_back(linear_case("avg_pool2d_grad_" + k.name, "avg_pool2d_grad", {out},
                           [o, in](const std::vector<Tensor>& x) { return ops::avg_pool2d_grad(in, x[0], o); }));
  }
  for (bool keepdims : {false, true}) {
    const std::string suffix = keepdims ? "_keepdims" : "";
    cases.push_back(linear_case("global_average_pool2d" + suffix, "reduce_mean", {{2, 3, 2, 3}},
                           [keepdims](const std::vector<Tensor>& x) {
                             return ops::global_average_pool2d(x[0], keepdims);
                           }));
    cases.push_back(linear_case("global_max_pool2d" + suffix, "reduce_max", {{2, 3, 2, 3}},
                           [keepdims](const std::vector<Tensor>& x) {
                             return ops::global_max_pool2d(x[0], keepdims);
                           }));
  }
  return cases;
}

}  // namespace tg
