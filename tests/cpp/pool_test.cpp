// SPDX-License-Identifier: Apache-2.0
// Pooling values against a naive reference written from TensorFlow's CPU kernels' rules:
// padded cells never win a max and are not counted in an average; the max gradient goes to
// the first maximal cell in row-major order (inputs are small integers, so ties are common).
// Sizes are large enough for several work items; one and two threads must agree exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "autodiff/ops.h"
#include "tensor/parallel.h"
#include "test_util.h"

namespace tg {
namespace {

using ops::Padding;
using ops::Pool2dOptions;
using testing::values;

struct Case {
  int64_t N, H, W, C;
  Pool2dOptions o;
};

struct Reference {
  std::vector<double> max, max_grad, avg, avg_grad;
};

Reference naive(const Case& k, const std::vector<double>& x, const std::vector<double>& dy) {
  const auto axis = [](int64_t L, int64_t w, int64_t s, Padding p) -> std::pair<int64_t, int64_t> {
    if (p == Padding::valid) return {0, (L - w) / s + 1};
    const int64_t out = (L + s - 1) / s;
    return {std::max<int64_t>(0, (out - 1) * s + w - L) / 2, out};
  };
  const auto [pt, OH] = axis(k.H, k.o.window_h, k.o.stride_h, k.o.padding);
  const auto [pl, OW] = axis(k.W, k.o.window_w, k.o.stride_w, k.o.padding);
  Reference r;
  r.max_grad.assign(x.size(), 0);
  r.avg_grad.assign(x.size(), 0);
  const auto at = [&](int64_t n, int64_t h, int64_t w, int64_t c) {
    return static_cast<size_t>(((n * k.H + h) * k.W + w) * k.C + c);
  };
  for (int64_t n = 0; n < k.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t c = 0; c < k.C; ++c) {
          const double g = dy[static_cast<size_t>(((n * OH + oh) * OW + ow) * k.C + c)];
          size_t best = SIZE_MAX;
          double sum = 0;
          int count = 0;
          std::vector<size_t> cells;
          for (int64_t i = 0; i < k.o.window_h; ++i)
            for (int64_t j = 0; j < k.o.window_w; ++j) {
              const int64_t h = oh * k.o.stride_h - pt + i, w = ow * k.o.stride_w - pl + j;
              if (h < 0 || h >= k.H || w < 0 || w >= k.W) continue;
              const size_t a = at(n, h, w, c);
              if (best == SIZE_MAX || x[a] > x[best]) best = a;
              sum += x[a];
              ++count;
              cells.push_back(a);
            }
          r.max.push_back(x[best]);
          r.max_grad[best] += g;
          r.avg.push_back(sum / count);
          for (size_t a : cells) r.avg_grad[a] += g / count;
        }
  return r;
}

TEST(PoolValues, MatchTheNaiveRulesOnOneAndTwoThreads) {
  const int saved = num_threads();
  const std::vector<Case> cases = {
      {64, 26, 26, 32, {2, 2, 2, 2, Padding::valid}},  // the CNN's first pooling
      {16, 11, 11, 64, {2, 2, 2, 2, Padding::valid}},  // odd size: the last row/column dropped
      {8, 15, 14, 6, {3, 3, 2, 2, Padding::same}},     // overlapping, padded, odd and even
      {8, 9, 10, 5, {3, 2, 1, 3, Padding::same}},
      {4, 7, 7, 3, {4, 4, 3, 3, Padding::valid}},
      {4, 7, 9, 3, {2, 2, 2, 2, Padding::same}},       // tiles, padding (0, 1) after
      {4, 9, 9, 2, {2, 2, 3, 3, Padding::valid}},      // gaps between the windows
  };
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> small(-3, 3);  // many ties
  for (const Case& k : cases) {
    SCOPED_TRACE(fmt::format("N{} {}x{}x{} window {}x{} strides {},{} {}", k.N, k.H, k.W, k.C,
                             k.o.window_h, k.o.window_w, k.o.stride_h, k.o.stride_w,
                             ops::padding_name(k.o.padding)));
    std::vector<double> xv(static_cast<size_t>(k.N * k.H * k.W * k.C));
    for (double& v : xv) v = small(rng);
    const Tensor x = testing::f32({k.N, k.H, k.W, k.C}, xv);
    std::vector<std::vector<double>> runs[2];
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      const Tensor y = ops::max_pool2d(x, k.o);
      std::vector<double> dyv(static_cast<size_t>(y.numel()));
      for (double& v : dyv) v = small(rng) * 0.25;
      if (threads == 2) dyv = runs[0][4];  // the same dy as the first run
      const Tensor dy = testing::f32(y.shape(), dyv);
      const Tensor a = ops::avg_pool2d(x, k.o);
      runs[threads - 1] = {values(y), values(ops::max_pool2d_grad(x, dy, k.o)), values(a),
                           values(ops::avg_pool2d_grad(x.shape(), dy, k.o)), dyv};
      if (threads == 2) continue;
      const Reference r = naive(k, xv, dyv);
      EXPECT_EQ(values(y), r.max);
      EXPECT_EQ(runs[0][1], r.max_grad);  // sums of quarters: exact in float32
      EXPECT_TRUE(testing::all_close(runs[0][2], r.avg, 1e-6, 1e-6));
      EXPECT_TRUE(testing::all_close(runs[0][3], r.avg_grad, 1e-6, 1e-6));
      // max_pool2d_grad_grad reads h at the same positions: with h = x it is the max pool
      EXPECT_EQ(values(ops::max_pool2d_grad_grad(x, x, k.o)), r.max);
    }
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(runs[0][i], runs[1][i]) << "result " << i;
  }
  set_num_threads(saved);
}

TEST(PoolErrors, NameTheOpAndTheShape) {
  const Tensor x = Tensor::zeros({1, 3, 3, 2}, DType::f32);
  const auto expect = [](auto f, const char* a, const char* b) {
    testing::expect_error(f, Status::invalid_argument, {a, b});
  };
  expect([&] { ops::max_pool2d(Tensor::zeros({3, 3, 2}, DType::f32)); }, "max_pool2d", "(3,3,2)");
  expect([&] { ops::avg_pool2d(Tensor::zeros({1, 3, 3, 2}, DType::i32)); }, "avg_pool2d", "int32");
  expect([&] { ops::max_pool2d(x, {0, 2, 1, 1, Padding::valid}); }, "max_pool2d", "window size must be >= 1");
  expect([&] { ops::max_pool2d(x, {2, 2, 1, 0, Padding::valid}); }, "max_pool2d", "stride must be >= 1");
  expect([&] { ops::max_pool2d(x, {4, 2, 1, 1, Padding::valid}); }, "height", "(4 cells) is larger than the input (3 cells)");
  expect([&] { ops::avg_pool2d(x, {2, 2, 1, 1, Padding::causal}); }, "avg_pool2d", "causal");
  expect([&] { ops::max_pool2d_grad(x, Tensor::zeros({1, 2, 2, 2}, DType::f32), {2, 2, 2, 2, Padding::valid}); },
         "max_pool2d_grad", "(1,1,1,2)");
  expect([&] { ops::global_max_pool2d(Tensor::zeros({2, 3}, DType::f32)); }, "global_max_pool2d", "(2,3)");
  expect([&] { ops::global_average_pool2d(Tensor::zeros({2, 3}, DType::f32)); }, "global_average_pool2d", "rank 4");
}

}  // namespace
}  // namespace tg
