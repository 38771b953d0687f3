// SPDX-License-Identifier: Apache-2.0
// Convolution values against a naive reference (direct loops over every output element, in
// double), at sizes large enough for the kernels to split the work into many items and
// filter-gradient slots; the results must be bit-for-bit equal for one and two threads.
// Then argument checking: every rejected input gets an error naming the op and the shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "tensor/parallel.h"
#include "test_util.h"

namespace tg {
namespace {

using ops::Conv2dOptions;
using ops::Padding;
using testing::values;

struct Geometry {
  int64_t N, H, W, C, KH, KW, CG, O, SH, SW, DH, DW;
  Padding padding;
};

// The padding before and the output size along one axis, from Keras's formulas.
std::pair<int64_t, int64_t> axis_of(int64_t L, int64_t k, int64_t s, int64_t d, Padding p) {
  const int64_t k_eff = (k - 1) * d + 1;
  if (p == Padding::valid) return {0, (L - k_eff + s) / s};
  const int64_t out = (L + s - 1) / s;
  const int64_t pad = std::max<int64_t>(0, (out - 1) * s + k_eff - L);
  return {pad / 2, out};
}

struct Reference {
  std::vector<double> y, dx, dw;
};

// y by the definition; dx and dw by scattering each product's contribution.
Reference naive(const Geometry& g, const std::vector<double>& x, const std::vector<double>& w,
                const std::vector<double>& dy) {
  const auto [pt, OH] = axis_of(g.H, g.KH, g.SH, g.DH, g.padding);
  const auto [pl, OW] = axis_of(g.W, g.KW, g.SW, g.DW, g.padding);
  const int64_t G = g.C / g.CG, OG = g.O / G;
  Reference r{std::vector<double>(static_cast<size_t>(g.N * OH * OW * g.O)),
              std::vector<double>(x.size()), std::vector<double>(w.size())};
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t o = 0; o < g.O; ++o) {
          const size_t yi = static_cast<size_t>(((n * OH + oh) * OW + ow) * g.O + o);
          double acc = 0;
          for (int64_t kh = 0; kh < g.KH; ++kh)
            for (int64_t kw = 0; kw < g.KW; ++kw)
              for (int64_t c = 0; c < g.CG; ++c) {
                const int64_t ih = oh * g.SH - pt + kh * g.DH, iw = ow * g.SW - pl + kw * g.DW;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                const size_t xi = static_cast<size_t>(((n * g.H + ih) * g.W + iw) * g.C + (o / OG) * g.CG + c);
                const size_t wi = static_cast<size_t>(((kh * g.KW + kw) * g.CG + c) * g.O + o);
                acc += x[xi] * w[wi];
                r.dx[xi] += dy[yi] * w[wi];
                r.dw[wi] += dy[yi] * x[xi];
              }
          r.y[yi] = acc;
        }
  return r;
}

std::vector<double> random_values(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& e : v) e = u(rng);
  return v;
}

// Restores the library's thread setting when a test ends.
struct ThreadSetting {
  int saved = num_threads();
  ~ThreadSetting() { set_num_threads(saved); }
};

const std::vector<Geometry>& geometries() {
  static const std::vector<Geometry> g = {
      // N  H   W   C KH KW CG  O SH SW DH DW padding
      {16, 28, 28, 1, 3, 3, 1, 32, 1, 1, 1, 1, Padding::valid},   // the CNN's first layer
      {8, 13, 13, 32, 3, 3, 32, 64, 1, 1, 1, 1, Padding::valid},  // and its second
      {4, 15, 16, 8, 3, 3, 8, 16, 2, 2, 1, 1, Padding::same},     // odd and even, stride 2
      {3, 17, 12, 6, 3, 2, 6, 10, 1, 1, 2, 3, Padding::same},     // dilation
      {4, 12, 12, 16, 3, 3, 4, 32, 1, 1, 1, 1, Padding::same},    // 4 groups
      {4, 14, 14, 24, 5, 5, 1, 48, 2, 2, 1, 1, Padding::same},    // depthwise, multiplier 2
      {6, 20, 20, 64, 1, 1, 64, 40, 1, 1, 1, 1, Padding::valid},  // pointwise fast path
      {2, 40, 40, 24, 4, 4, 24, 24, 3, 3, 1, 1, Padding::valid},  // stride 3 leaves cells out
      {2, 12, 300, 32, 3, 3, 32, 8, 1, 1, 1, 1, Padding::same},   // one output row per buffer
  };
  return g;
}

std::string name_of(const Geometry& g) {
  return fmt::format("N{} {}x{}x{} filter {}x{}x{}x{} strides {},{} dilations {},{} {}", g.N, g.H,
                     g.W, g.C, g.KH, g.KW, g.CG, g.O, g.SH, g.SW, g.DH, g.DW,
                     ops::padding_name(g.padding));
}

TEST(Conv2dValues, MatchTheNaiveDefinitionOnOneAndTwoThreads) {
  ThreadSetting restore;
  for (const Geometry& g : geometries()) {
    SCOPED_TRACE(name_of(g));
    const Shape xs{g.N, g.H, g.W, g.C}, ws{g.KH, g.KW, g.CG, g.O};
    const Conv2dOptions o{g.SH, g.SW, g.padding, g.DH, g.DW};
    const std::vector<double> xv = random_values(xs.numel(), 1), wv = random_values(ws.numel(), 2);
    for (DType dtype : {DType::f32, DType::f64}) {
      const Tensor x = testing::make(xs, dtype, xv), w = testing::make(ws, dtype, wv);
      std::vector<Tensor> results[2];
      for (int threads : {1, 2}) {
        set_num_threads(threads);
        const Tensor y = ops::conv2d(x, w, o);
        const std::vector<double> dyv = random_values(y.numel(), 3);
        const Tensor dy = testing::make(y.shape(), dtype, dyv);
        const Tensor dx = ops::conv2d_backprop_input(xs, w, dy, o);
        const Tensor dw = ops::conv2d_backprop_filter(x, ws, dy, o);
        // with a bias, added in the GEMM: the same sums, plus bias[o]
        const std::vector<double> bv = random_values(g.O, 4);
        const Tensor yb = ops::conv2d(x, w, o, testing::make({g.O}, dtype, bv));
        results[threads - 1] = {y, dx, dw, yb};
        if (threads == 2) continue;
        const Reference r = naive(g, xv, wv, dyv);
        const double tol = dtype == DType::f32 ? 2e-5 : 1e-12;
        EXPECT_TRUE(testing::all_close(values(y), r.y, tol, tol)) << "y";
        EXPECT_TRUE(testing::all_close(values(dx), r.dx, tol, tol)) << "dx";
        EXPECT_TRUE(testing::all_close(values(dw), r.dw, tol, 10 * tol)) << "dw";
        std::vector<double> want_yb = r.y;
        for (size_t i = 0; i < want_yb.size(); ++i) want_yb[i] += bv[i % static_cast<size_t>(g.O)];
        EXPECT_TRUE(testing::all_close(values(yb), want_yb, tol, tol)) << "y with bias";
      }
      for (size_t i = 0; i < 4; ++i)
        EXPECT_EQ(values(results[0][i]), values(results[1][i]))
            << "result " << i << " differs between one and two threads";
    }
  }
}

TEST(Conv2dValues, Conv1dIsConv2dOnAHeightOneImage) {
  const std::vector<double> xv = random_values(2 * 9 * 3, 4), wv = random_values(3 * 3 * 4, 5);
  const Tensor x = testing::f64({2, 9, 3}, xv), w = testing::f64({3, 3, 4}, wv);
  for (Padding p : {Padding::valid, Padding::same}) {
    const Tensor y1 = ops::conv1d(x, w, 2, p, 1);
    const Tensor y2 = ops::conv2d(ops::reshape(x, Shape{2, 1, 9, 3}), ops::reshape(w, Shape{1, 3, 3, 4}),
                                  Conv2dOptions{1, 2, p, 1, 1});
    EXPECT_EQ(y1.shape(), (Shape{2, p == Padding::valid ? 4 : 5, 4}));
    EXPECT_EQ(values(y1), values(y2));
  }
  // causal = two zeros before (d·(K − 1) with d = 1, K = 3), then valid: same length as x
  const Tensor yc = ops::conv1d(x, w, 1, Padding::causal, 1);
  const Tensor xp = ops::pad(x, std::vector<int64_t>{0, 0, 2, 0, 0, 0});
  EXPECT_EQ(values(yc), values(ops::conv1d(xp, w, 1, Padding::valid, 1)));
  EXPECT_EQ(yc.shape(), (Shape{2, 9, 4}));
}

TEST(Conv2dValues, EmptyBatchAndEmptySameInput) {
  const Tensor w = Tensor::full({3, 3, 2, 4}, DType::f32, 1);
  EXPECT_EQ(ops::conv2d(Tensor::zeros({0, 5, 5, 2}, DType::f32), w).shape(), (Shape{0, 3, 3, 4}));
  const Tensor y = ops::conv2d(Tensor::zeros({1, 0, 5, 2}, DType::f32), w, {1, 1, Padding::same});
  EXPECT_EQ(y.shape(), (Shape{1, 0, 5, 4}));
  // the gradients of an empty convolution are zeros of the right shapes
  const Tensor dw = ops::conv2d_backprop_filter(Tensor::zeros({0, 5, 5, 2}, DType::f32), w.shape(),
                                                Tensor::zeros({0, 3, 3, 4}, DType::f32));
  EXPECT_EQ(values(dw), std::vector<double>(72, 0.0));
}

// An invalid_argument error whose message contains every piece.
template <class F>
void expect_error(F f, std::initializer_list<const char*> pieces) {
  testing::expect_error(f, Status::invalid_argument, pieces);
}

TEST(Conv2dErrors, NameTheOpAndTheShapes) {
  const Tensor x = Tensor::zeros({1, 5, 5, 4}, DType::f32);
  const Tensor w = Tensor::zeros({3, 3, 4, 6}, DType::f32);
  expect_error([&] { ops::conv2d(Tensor::zeros({5, 5, 4}, DType::f32), w); }, {"conv2d", "rank 4", "(5,5,4)"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({3, 4, 6}, DType::f32)); }, {"conv2d", "filters", "(3,4,6)"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({3, 3, 4, 6}, DType::f64)); }, {"conv2d", "float32", "float64"});
  expect_error([&] { ops::conv2d(Tensor::zeros({1, 5, 5, 4}, DType::i32), Tensor::zeros({3, 3, 4, 6}, DType::i32)); },
               {"conv2d", "floating"});
  expect_error([&] { ops::conv2d(x, w, {0, 1, Padding::valid}); }, {"conv2d", "stride", "got 0"});
  expect_error([&] { ops::conv2d(x, w, {1, -2, Padding::valid}); }, {"conv2d", "stride", "got -2"});
  expect_error([&] { ops::conv2d(x, w, {1, 1, Padding::valid, 0, 1}); }, {"conv2d", "dilation", "got 0"});
  expect_error([&] { ops::conv2d(x, w, {2, 1, Padding::same, 1, 2}); },
               {"conv2d", "strides > 1 not supported in conjunction with dilation_rate > 1"});
  expect_error([&] { ops::conv2d(x, w, {1, 1, Padding::causal}); }, {"conv2d", "causal"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({3, 3, 3, 6}, DType::f32)); },
               {"conv2d", "input depth 4 is not a multiple of the filters' input depth 3", "(1,5,5,4)", "(3,3,3,6)"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({3, 3, 2, 5}, DType::f32)); },
               {"conv2d", "out_channels 5 is not a multiple of the number of groups 2"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({3, 3, 0, 6}, DType::f32)); }, {"conv2d", "input depth must be >= 1"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({0, 3, 4, 6}, DType::f32)); }, {"conv2d", "window size must be >= 1"});
  expect_error([&] { ops::conv2d(x, Tensor::zeros({6, 3, 4, 6}, DType::f32)); },
               {"conv2d", "height", "(6 cells) is larger than the input (5 cells)"});
  expect_error([&] { ops::conv2d(x, w, {1, 1, Padding::valid, 3, 1}); },
               {"conv2d", "height", "(7 cells, dilated) is larger than the input (5 cells)"});
  expect_error([&] { ops::conv2d(x, w, {1, 1, Padding::valid, int64_t{1} << 62, 1}); },
               {"conv2d", "the dilated window along height (input (1,5,5,4), filters (3,3,4,6)) overflows int64"});
  expect_error([&] { ops::conv2d(x, w, {}, Tensor::zeros({5}, DType::f32)); },
               {"conv2d", "bias must be float32 (6)", "(5)"});
  expect_error([&] { ops::conv2d(x, w, {}, Tensor::zeros({6}, DType::f64)); }, {"conv2d", "bias", "float64"});
  expect_error([&] { ops::conv2d_backprop_input({1, 5, 5, 4}, w, Tensor::zeros({1, 3, 3, 5}, DType::f32)); },
               {"conv2d_backprop_input", "out_backprop has shape (1,3,3,5)", "(1,3,3,6)"});
  expect_error([&] { ops::conv2d_backprop_filter(x, {3, 3, 4, 6}, Tensor::zeros({1, 4, 3, 6}, DType::f32)); },
               {"conv2d_backprop_filter", "out_backprop has shape (1,4,3,6)"});
  expect_error([&] { ops::conv1d(Tensor::zeros({1, 5, 5, 4}, DType::f32), Tensor::zeros({3, 4, 6}, DType::f32)); },
               {"conv1d", "rank 3"});
  expect_error([&] { ops::conv1d(Tensor::zeros({1, 2, 4}, DType::f32), Tensor::zeros({3, 4, 6}, DType::f32)); },
               {"conv1d", "width", "larger than the input (2 cells)"});
}

}  // namespace
}  // namespace tg
