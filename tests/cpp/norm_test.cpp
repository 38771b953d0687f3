// SPDX-License-Identifier: Apache-2.0
// Normalization values at sizes that split into many work items, against two-pass statistics
// computed here in double, with data far from zero (the kernels' one-pass statistics must not
// lose the variance to cancellation); one and two threads must agree bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "autodiff/ops.h"
#include "tensor/parallel.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::values;

std::vector<double> random_values(int64_t n, double center, double spread, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-spread, spread);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = center + u(rng);
  return v;
}

// Per-channel (last axis) statistics by two passes: mean and biased variance.
void channel_moments(const std::vector<double>& x, int64_t C, std::vector<double>& mean,
                     std::vector<double>& var) {
  const auto n = static_cast<double>(x.size() / static_cast<size_t>(C));
  mean.assign(static_cast<size_t>(C), 0);
  var.assign(static_cast<size_t>(C), 0);
  for (size_t i = 0; i < x.size(); ++i) mean[i % static_cast<size_t>(C)] += x[i] / n;
  for (size_t i = 0; i < x.size(); ++i) {
    const double d = x[i] - mean[i % static_cast<size_t>(C)];
    var[i % static_cast<size_t>(C)] += d * d / n;
  }
}

TEST(BatchNormValues, MatchTwoPassStatisticsOnOneAndTwoThreads) {
  const int saved = num_threads();
  const Shape xs{32, 9, 9, 24};
  const int64_t C = 24, n = 32 * 9 * 9;
  const double eps = 1e-3;
  for (DType dtype : {DType::f32, DType::f64}) {
    const std::vector<double> xv = random_values(xs.numel(), 1000, 3, 1);  // far from zero
    const std::vector<double> gv = random_values(xs.numel(), 0.5, 1, 2);
    const std::vector<double> sv = random_values(C, 1, 0.5, 3), ov = random_values(C, 0, 1, 4);
    const Tensor x = testing::make(xs, dtype, xv), g = testing::make(xs, dtype, gv);
    const Tensor scale = testing::make({C}, dtype, sv), offset = testing::make({C}, dtype, ov);
    std::vector<double> mean, var;
    channel_moments(values(x), C, mean, var);  // of the stored (possibly rounded) values
    const std::vector<double> xr = values(x), gr = values(g);
    // reference y, dx = scale·s·(g − ḡ − x̂·mean(g·x̂)), dscale = Σ g·x̂
    std::vector<double> y(xr.size()), dx(xr.size()), gbar(static_cast<size_t>(C), 0),
        gxh(static_cast<size_t>(C), 0);
    for (size_t i = 0; i < xr.size(); ++i) {
      const size_t c = i % static_cast<size_t>(C);
      const double xh = (xr[i] - mean[c]) / std::sqrt(var[c] + eps);
      y[i] = sv[c] * xh + ov[c];
      gbar[c] += gr[i] / static_cast<double>(n);
      gxh[c] += gr[i] * xh;
    }
    for (size_t i = 0; i < xr.size(); ++i) {
      const size_t c = i % static_cast<size_t>(C);
      const double s = 1 / std::sqrt(var[c] + eps), xh = (xr[i] - mean[c]) * s;
      dx[i] = sv[c] * s * (gr[i] - gbar[c] - xh * gxh[c] / static_cast<double>(n));
    }
    std::vector<double> corrected(var);
    for (double& v : corrected) v *= static_cast<double>(n) / static_cast<double>(n - 1);

    std::vector<std::vector<double>> runs[2];
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      const ops::FusedBatchNorm r = ops::fused_batch_norm(x, scale, offset, eps);
      const ops::NormSpec spec{-1, false, eps};
      runs[threads - 1] = {values(r.y), values(r.batch_mean), values(r.batch_variance),
                           values(ops::fused_batch_norm_grad_input(g, x, scale, spec)),
                           values(ops::fused_batch_norm_grad_scale(g, x, spec))};
    }
    const double tol = dtype == DType::f32 ? 2e-4 : 1e-10;
    EXPECT_TRUE(testing::all_close(runs[0][0], y, tol, tol)) << "y";
    EXPECT_TRUE(testing::all_close(runs[0][1], mean, 1e-6, 0)) << "batch_mean";
    EXPECT_TRUE(testing::all_close(runs[0][2], corrected, dtype == DType::f32 ? 1e-5 : 1e-12, 0))
        << "batch_variance";
    EXPECT_TRUE(testing::all_close(runs[0][3], dx, tol, tol)) << "dx";
    // a sum of 2592 terms of both signs: cancellation costs a few digits in either computation
    EXPECT_TRUE(testing::all_close(runs[0][4], gxh, 100 * tol, 100 * tol)) << "dscale";
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(runs[0][i], runs[1][i]) << "result " << i;
  }
  set_num_threads(saved);
}

TEST(LayerNormValues, MatchTwoPassStatisticsPerExample) {
  const Shape xs{40, 3000};
  const std::vector<double> xv = random_values(xs.numel(), -500, 2, 5);
  const std::vector<double> gamma = random_values(3000, 1, 0.5, 6), beta = random_values(3000, 0, 1, 7);
  const Tensor y = ops::layer_normalization(testing::f64(xs, xv), testing::f64({3000}, gamma),
                                            testing::f64({3000}, beta), std::vector<int64_t>{-1}, 1e-3);
  std::vector<double> want(xv.size());
  for (size_t r = 0; r < 40; ++r) {
    double mean = 0, var = 0;
    for (size_t k = 0; k < 3000; ++k) mean += xv[r * 3000 + k] / 3000;
    for (size_t k = 0; k < 3000; ++k) var += (xv[r * 3000 + k] - mean) * (xv[r * 3000 + k] - mean) / 3000;
    for (size_t k = 0; k < 3000; ++k)
      want[r * 3000 + k] = gamma[k] * (xv[r * 3000 + k] - mean) / std::sqrt(var + 1e-3) + beta[k];
  }
  EXPECT_TRUE(testing::all_close(values(y), want, 1e-10, 1e-10));
}

TEST(NormErrors, NameTheOpAndTheShapes) {
  const Tensor x = Tensor::zeros({4, 3}, DType::f32);
  const Tensor c3 = Tensor::zeros({3}, DType::f32), c2 = Tensor::zeros({2}, DType::f32);
  const auto expect = [](auto f, const char* a, const char* b) {
    testing::expect_error(f, Status::invalid_argument, {a, b});
  };
  expect([&] { ops::fused_batch_norm(x, c2, c3); }, "fused_batch_norm", "scale must be float32 (3)");
  expect([&] { ops::fused_batch_norm(x, c3, Tensor::zeros({3}, DType::f64)); }, "offset", "float64");
  expect([&] { ops::fused_batch_norm(Tensor::zeros({4, 3}, DType::i32), c3, c3); }, "fused_batch_norm", "int32");
  expect([&] { ops::fused_batch_norm(Tensor::scalar(1, DType::f32), c3, c3); }, "fused_batch_norm", "rank >= 1");
  expect([&] { ops::fused_batch_norm(x, c3, c3, std::nan("")); }, "fused_batch_norm", "epsilon");
  expect([&] { ops::layer_normalization(x, c2, Tensor(), std::vector<int64_t>{1}); }, "gamma", "(3)");
  expect([&] { ops::layer_normalization(x, c3, Tensor(), std::vector<int64_t>{1, -1}); }, "layer_normalization", "duplicate");
  expect([&] { ops::layer_normalization(x, c3, Tensor(), std::vector<int64_t>{}); }, "layer_normalization", "no axes");
  expect([&] { ops::batch_normalization(x, c2, c3, Tensor(), Tensor(), 1e-3); }, "batch_normalization", "(2)");
}

TEST(BatchNormValues, EmptyBatchGivesNaNStatistics) {
  const Tensor c = Tensor::full({3}, DType::f32, 1);
  const ops::FusedBatchNorm r = ops::fused_batch_norm(Tensor::zeros({0, 3}, DType::f32), c, c);
  EXPECT_EQ(r.y.shape(), (Shape{0, 3}));
  for (double v : values(r.batch_mean)) EXPECT_TRUE(std::isnan(v));
  for (double v : values(r.batch_variance)) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace tg
