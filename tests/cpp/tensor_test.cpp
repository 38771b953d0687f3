// SPDX-License-Identifier: Apache-2.0
// The tensor layer: shapes and broadcasting, elementwise and reduction kernels, softmax,
// movement, casts, GEMM, the caching allocator and the Philox random generator. Expected
// values are worked out by hand or by naive reference loops written here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "autodiff/ops.h"
#include "tensor/allocator.h"
#include "tensor/kernels.h"
#include "tensor/random.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::all_close;
using testing::f32;
using testing::f64;
using testing::make;
using testing::values;

// Row-major multi-index of flat index i in shape s.
std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(static_cast<size_t>(s.rank()));
  for (int d = s.rank() - 1; d >= 0; --d) {
    idx[static_cast<size_t>(d)] = i % s[d];
    i /= s[d];
  }
  return idx;
}

int64_t ravel(const std::vector<int64_t>& idx, const Shape& s) {
  int64_t i = 0;
  for (int d = 0; d < s.rank(); ++d) i = i * s[d] + idx[static_cast<size_t>(d)];
  return i;
}

// Flat index into `in` of output index `out_idx` under NumPy broadcasting.
int64_t broadcast_source(const std::vector<int64_t>& out_idx, const Shape& in) {
  const size_t offset = out_idx.size() - static_cast<size_t>(in.rank());
  std::vector<int64_t> idx(static_cast<size_t>(in.rank()));
  for (int d = 0; d < in.rank(); ++d)
    idx[static_cast<size_t>(d)] = in[d] == 1 ? 0 : out_idx[offset + static_cast<size_t>(d)];
  return ravel(idx, in);
}

Tensor random_f64(const Shape& s, uint64_t seed, double lo = -1, double hi = 1) {
  std::mt19937_64 rng(seed);
  std::vector<double> v(static_cast<size_t>(s.numel()));
  for (double& e : v) e = lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return f64(s, v);
}

template <class F>
void expect_error(F&& f, Status code, const std::vector<std::string>& fragments) {
  try {
    f();
    ADD_FAILURE() << "no tg::Error was thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& frag : fragments)
      EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)
          << "message \"" << e.what() << "\" lacks \"" << frag << "\"";
  }
}

// ---- shapes and broadcasting ----------------------------------------------------------

TEST(Shape, BasicsAndStrings) {
  EXPECT_EQ(Shape{}.rank(), 0);
  EXPECT_EQ(Shape{}.numel(), 1);
  EXPECT_EQ(Shape{}.str(), "()");
  EXPECT_EQ((Shape{2, 3, 4}).numel(), 24);
  EXPECT_EQ((Shape{2, 0, 4}).numel(), 0);
  EXPECT_EQ((Shape{2, 3}).str(), "(2,3)");
  const auto st = Shape{2, 3, 4}.strides();
  EXPECT_EQ(st[0], 12);
  EXPECT_EQ(st[1], 4);
  EXPECT_EQ(st[2], 1);
  const int64_t too_many[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  expect_error([&] { (void)Shape::from(too_many, "test_op"); }, Status::invalid_argument, {"test_op"});
  const int64_t negative[2] = {2, -1};
  expect_error([&] { (void)Shape::from(negative, "test_op"); }, Status::invalid_argument,
               {"test_op", "-1"});
}

TEST(Shape, ElementCountOverflowIsAnError) {
  const int64_t huge[3] = {int64_t{1} << 30, int64_t{1} << 30, int64_t{1} << 30};
  expect_error([&] { (void)Shape::from(huge, "test_op"); }, Status::invalid_argument,
               {"test_op: shape (1073741824,1073741824) is too large", "non-zero dimensions exceeds 2^56"});
  const int64_t fine[2] = {int64_t{1} << 28, int64_t{1} << 28};
  EXPECT_EQ(Shape::from(fine, "test_op").numel(), int64_t{1} << 56);
}

// The limit is the product of the non-zero dimensions, so it does not depend on their order:
// a zero-element shape once passed as (0, 2^62) but failed as (2^62, 0).
TEST(Shape, SizeLimitIsTheSameForEveryOrder) {
  const int64_t big = int64_t{1} << 62, limit = kMaxElements;
  for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{
           {0, big}, {big, 0}, {0, INT64_MAX}, {INT64_MAX, 0}, {0, limit, 2}, {2, 0, limit}, {limit, 2, 0}})
    expect_error([&] { (void)Shape::from(dims, "t"); }, Status::invalid_argument, {"too large"});
  for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{
           {0, limit}, {limit, 0}, {0, limit, 1}, {1, 0, limit}, {limit, 1, 0}, {0, 0, limit}}) {
    const Shape s = Shape::from(dims, "t");
    EXPECT_EQ(s.numel(), 0);
    const auto strides = s.strides();  // every partial product fits in int64
    for (int d = 0; d < s.rank(); ++d) EXPECT_GE(strides[static_cast<size_t>(d)], 0);
  }
  EXPECT_EQ(Shape::from(std::vector<int64_t>{limit}, "t").numel(), limit);
  expect_error([&] { (void)Shape::from(std::vector<int64_t>{limit + 1}, "t"); }, Status::invalid_argument,
               {"too large"});
}

TEST(Shape, SetChecksTheDimensionAndTheLimit) {
  Shape s{0, 4};
  s.set(0, 5);
  EXPECT_EQ(s, (Shape{5, 4}));
  expect_error([&] { s.set(1, -1, "op"); }, Status::invalid_argument, {"op: negative dimension -1 in shape (5,-1)"});
  expect_error([&] { s.set(1, int64_t{1} << 60, "op"); }, Status::invalid_argument, {"op: shape (5,1152921504606846976) is too large"});
  EXPECT_EQ(s, (Shape{5, 4}));  // unchanged by the failed calls
  s.set(0, 0);
  s.set(1, kMaxElements);
  EXPECT_EQ(s.numel(), 0);
}

TEST(Shape, BroadcastShapes) {
  EXPECT_EQ(broadcast_shapes({2, 3}, {3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({3}, {2, 3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({2, 1}, {1, 3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({}, {2, 3}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({2, 3}, {}, "t"), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({4, 1, 3}, {2, 1}, "t"), (Shape{4, 2, 3}));
  EXPECT_EQ(broadcast_shapes({0, 1}, {1, 5}, "t"), (Shape{0, 5}));
  EXPECT_EQ(broadcast_shapes({}, {}, "t"), Shape{});
}

TEST(Shape, BroadcastErrorNamesTheOpAndBothShapes) {
  expect_error([] { (void)broadcast_shapes({2, 3}, {4}, "my_op"); }, Status::invalid_argument,
               {"my_op", "(2,3)", "(4)"});
  expect_error([] { (void)broadcast_shapes({2, 3, 4}, {5, 1, 4}, "other"); },
               Status::invalid_argument, {"other", "(2,3,4)", "(5,1,4)"});
  // Through an op: the error names the op and both shapes.
  expect_error([] { (void)ops::add(f32(Shape{2, 3}, {1, 2, 3, 4, 5, 6}), f32(Shape{2}, {1, 2})); },
               Status::invalid_argument, {"add", "(2,3)", "(2)"});
  expect_error([] { (void)ops::mul(f32(Shape{2}, {1, 2}), f64(Shape{2}, {1, 2})); },
               Status::invalid_argument, {"mul", "float32", "float64"});
}

TEST(Shape, NormalizeAxis) {
  EXPECT_EQ(normalize_axis(-1, 3, "t"), 2);
  EXPECT_EQ(normalize_axis(-3, 3, "t"), 0);
  EXPECT_EQ(normalize_axis(2, 3, "t"), 2);
  expect_error([] { (void)normalize_axis(3, 3, "t"); }, Status::invalid_argument, {"t", "3"});
  expect_error([] { (void)normalize_axis(-4, 3, "t"); }, Status::invalid_argument, {"t", "-4"});
}

// ---- tensors --------------------------------------------------------------------------

TEST(Tensor, ConstructionAndIds) {
  const Tensor z = Tensor::zeros({2, 3}, DType::f32);
  EXPECT_EQ(values(z), std::vector<double>(6, 0.0));
  const Tensor f = Tensor::full({2}, DType::i64, 7);
  EXPECT_EQ(values(f), (std::vector<double>{7, 7}));
  EXPECT_EQ(Tensor::scalar(2.5, DType::f64).item(), 2.5);
  EXPECT_EQ(Tensor::scalar(2.5, DType::f64).rank(), 0);
  const double data[3] = {1, 2, 3};
  const Tensor d = Tensor::from_data({3}, DType::f64, data);
  EXPECT_NE(d.raw(), static_cast<const void*>(data)) << "from_data must copy";
  EXPECT_EQ(values(d), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(d.nbytes(), 24u);
  EXPECT_NE(d.id(), f.id());
  EXPECT_FALSE(Tensor().defined());
  expect_error([] { (void)Tensor::zeros({0}, DType::f32).item(); }, Status::invalid_argument,
               {"(0)"});
}

// ---- elementwise ----------------------------------------------------------------------

TEST(Elementwise, BroadcastingMatchesNaiveIndexing) {
  const std::vector<std::pair<Shape, Shape>> pairs = {
      {{2, 3}, {3}},       {{2, 1}, {1, 3}},          {{}, {2, 3}},         {{2, 3}, {}},
      {{4, 1, 3}, {2, 1}}, {{2, 1, 3, 1}, {4, 1, 5}}, {{3, 1}, {3, 4}},     {{1, 4}, {3, 1}},
      {{5}, {5}},          {{2, 3, 1}, {1, 1, 7}},    {{1}, {2, 2}},        {{2, 1, 1}, {1, 3, 4}},
  };
  uint64_t seed = 1;
  for (const auto& [sa, sb] : pairs) {
    SCOPED_TRACE(sa.str() + " with " + sb.str());
    const Tensor a = random_f64(sa, seed++), b = random_f64(sb, seed++, 0.5, 2);
    const Shape out = broadcast_shapes(sa, sb, "t");
    const auto va = values(a), vb = values(b);
    std::vector<double> add(static_cast<size_t>(out.numel())), sub = add, mul = add, div = add;
    for (int64_t i = 0; i < out.numel(); ++i) {
      const auto idx = unravel(i, out);
      const double x = va[static_cast<size_t>(broadcast_source(idx, sa))];
      const double y = vb[static_cast<size_t>(broadcast_source(idx, sb))];
      add[static_cast<size_t>(i)] = x + y;
      sub[static_cast<size_t>(i)] = x - y;
      mul[static_cast<size_t>(i)] = x * y;
      div[static_cast<size_t>(i)] = x / y;
    }
    EXPECT_EQ(ops::add(a, b).shape(), out);
    EXPECT_EQ(values(ops::add(a, b)), add);
    EXPECT_EQ(values(ops::sub(a, b)), sub);
    EXPECT_EQ(values(ops::mul(a, b)), mul);
    EXPECT_EQ(values(ops::div(a, b)), div);
  }
}

TEST(Elementwise, UnaryValues) {
  const Tensor x = f64(Shape{4}, {-2.0, -0.5, 0.0, 1.5});
  EXPECT_EQ(values(ops::neg(x)), (std::vector<double>{2.0, 0.5, -0.0, -1.5}));
  EXPECT_EQ(values(ops::relu(x)), (std::vector<double>{0, 0, 0, 1.5}));
  EXPECT_TRUE(all_close(values(ops::exp(x)),
                        {std::exp(-2.0), std::exp(-0.5), 1.0, std::exp(1.5)}, 1e-14, 0));  // a few ulp
  EXPECT_TRUE(all_close(values(ops::log(f64(Shape{3}, {1.0, std::exp(1.0), 0.25}))),
                        {0.0, 1.0, std::log(0.25)}, 1e-14, 1e-15));
  // relu_grad(g, y) = g where y > 0 (exactly 0 at y == 0).
  EXPECT_EQ(values(ops::relu_grad(f64(Shape{3}, {5, 6, 7}), f64(Shape{3}, {-1, 0, 1}))),
            (std::vector<double>{0, 0, 7}));
}

TEST(Elementwise, IntegerArithmeticAndErrors) {
  const Tensor a = make(Shape{3}, DType::i32, {7, -7, 2147483647});
  const Tensor b = make(Shape{3}, DType::i32, {2, 2, 1});
  EXPECT_EQ(values(ops::add(a, b)), (std::vector<double>{9, -5, -2147483648.0}));  // wraps
  EXPECT_EQ(values(ops::mul(a, b)), (std::vector<double>{14, -14, 2147483647}));
  EXPECT_EQ(ops::add(a, b).dtype(), DType::i32);
  expect_error([&] { (void)ops::div(a, b); }, Status::invalid_argument, {"div"});
  expect_error([&] { (void)ops::exp(a); }, Status::invalid_argument, {"exp", "int32"});
}

// ---- reductions -----------------------------------------------------------------------

TEST(Reduce, HandValues2D) {
  const Tensor x = f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const int64_t ax0[1] = {0}, ax1[1] = {1}, axm1[1] = {-1};
  EXPECT_EQ(values(ops::reduce_sum(x, ax0)), (std::vector<double>{5, 7, 9}));
  EXPECT_EQ(values(ops::reduce_sum(x, ax1)), (std::vector<double>{6, 15}));
  EXPECT_EQ(values(ops::reduce_sum(x, axm1)), (std::vector<double>{6, 15}));
  EXPECT_EQ(ops::reduce_sum(x).item(), 21.0);
  EXPECT_EQ(ops::reduce_sum(x).shape(), Shape{});
  EXPECT_EQ(ops::reduce_mean(x).item(), 3.5);
  EXPECT_EQ(values(ops::reduce_mean(x, ax0)), (std::vector<double>{2.5, 3.5, 4.5}));
  EXPECT_EQ(values(ops::reduce_mean(x, ax1)), (std::vector<double>{2, 5}));
  EXPECT_EQ(ops::reduce_sum(x, ax0, true).shape(), (Shape{1, 3}));
  EXPECT_EQ(ops::reduce_mean(x, ax1, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(ops::reduce_sum(x, {}, true).shape(), (Shape{1, 1}));
  EXPECT_EQ(ops::reduce_sum(x, {}, true).item(), 21.0);
}

TEST(Reduce, HandValues3D) {
  // x[i,j,k] = 12i + 4j + k, shape (2,3,4): the values 0..23.
  std::vector<double> v(24);
  std::iota(v.begin(), v.end(), 0.0);
  const Tensor x = f64(Shape{2, 3, 4}, v);
  const int64_t a02[2] = {0, 2}, a1[1] = {1}, a01[2] = {0, 1}, a12[2] = {1, 2}, a20[2] = {2, 0};
  EXPECT_EQ(values(ops::reduce_sum(x, a02)), (std::vector<double>{60, 92, 124}));  // 60 + 32j
  EXPECT_EQ(values(ops::reduce_sum(x, a20)), (std::vector<double>{60, 92, 124}));  // order-free
  EXPECT_EQ(values(ops::reduce_sum(x, a1)),                                        // 36i + 12 + 3k
            (std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57}));
  EXPECT_EQ(values(ops::reduce_sum(x, a01)), (std::vector<double>{60, 66, 72, 78}));  // 60 + 6k
  EXPECT_EQ(values(ops::reduce_sum(x, a12)), (std::vector<double>{66, 210}));        // 144i + 66
  EXPECT_EQ(values(ops::reduce_mean(x, a02)), (std::vector<double>{7.5, 11.5, 15.5}));
  EXPECT_EQ(ops::reduce_sum(x).item(), 276.0);
  EXPECT_EQ(ops::reduce_sum(x, a02, true).shape(), (Shape{1, 3, 1}));
  EXPECT_EQ(ops::reduce_sum(x, a02, false).shape(), (Shape{3}));
}

TEST(Reduce, EveryAxisSubsetMatchesNaiveLoops) {
  const Shape s{2, 3, 4, 5};
  const Tensor x = random_f64(s, 42);
  const Tensor xi = ops::cast(ops::mul(x, f64(100.0)), DType::i32);
  const auto vx = values(x), vi = values(xi);
  for (int mask = 0; mask < 16; ++mask) {
    std::vector<int64_t> axes;
    for (int d = 0; d < 4; ++d)
      if (mask >> d & 1) axes.push_back(d);
    if (axes.empty()) continue;  // empty means "all axes", covered elsewhere
    for (bool keepdims : {false, true}) {
      SCOPED_TRACE("mask " + std::to_string(mask) + (keepdims ? " keepdims" : ""));
      Shape kept, dropped;
      for (int d = 0; d < 4; ++d) {
        const bool r = mask >> d & 1;
        kept.push_back(r ? 1 : s[d]);
        if (!r) dropped.push_back(s[d]);
      }
      std::vector<double> sum(static_cast<size_t>(kept.numel()), 0.0), isum = sum;
      for (int64_t i = 0; i < s.numel(); ++i) {
        auto idx = unravel(i, s);
        for (int d = 0; d < 4; ++d)
          if (mask >> d & 1) idx[static_cast<size_t>(d)] = 0;
        sum[static_cast<size_t>(ravel(idx, kept))] += vx[static_cast<size_t>(i)];
        isum[static_cast<size_t>(ravel(idx, kept))] += vi[static_cast<size_t>(i)];
      }
      const double n = static_cast<double>(s.numel() / kept.numel());
      std::vector<double> mean = sum;
      for (double& m : mean) m /= n;
      const Tensor got = ops::reduce_sum(x, axes, keepdims);
      EXPECT_EQ(got.shape(), keepdims ? kept : dropped);
      EXPECT_TRUE(all_close(values(got), sum, 1e-13, 1e-13));
      EXPECT_TRUE(all_close(values(ops::reduce_mean(x, axes, keepdims)), mean, 1e-13, 1e-13));
      const Tensor gi = ops::reduce_sum(xi, axes, keepdims);
      EXPECT_EQ(gi.dtype(), DType::i32);
      EXPECT_EQ(values(gi), isum);
    }
  }
}

TEST(Reduce, IntegerSumsWrapAndEmptyIntegerMeanIsAnError) {
  const int64_t ax1[1] = {1}, ax0[1] = {0};
  const Tensor x = make(Shape{2, 2}, DType::i32, {2147483647, 1, 2147483647, 2147483647});
  // Wraps like add: 2147483647 + 1 = -2147483648; 2·2147483647 = -2 (mod 2³²).
  EXPECT_EQ(values(ops::reduce_sum(x, ax1)), (std::vector<double>{-2147483648.0, -2}));
  EXPECT_EQ(values(ops::reduce_sum(x, ax0)), (std::vector<double>{-2, -2147483648.0}));
  expect_error([] { (void)ops::reduce_mean(Tensor::zeros({0, 2}, DType::i32), {}); },
               Status::invalid_argument, {"reduce_mean", "(0,2)"});
  const double m = ops::reduce_mean(Tensor::zeros({0, 2}, DType::f32)).item();
  EXPECT_TRUE(std::isnan(m)) << "a float mean of nothing is NaN, as 0/0";
}

TEST(Reduce, Float32AndEdgeCases) {
  const Tensor x = f32(Shape{2, 2}, {1.5, 2.5, 3.5, 4.5});
  const int64_t ax0[1] = {0};
  EXPECT_EQ(ops::reduce_sum(x).dtype(), DType::f32);
  EXPECT_EQ(values(ops::reduce_sum(x, ax0)), (std::vector<double>{5, 7}));
  EXPECT_EQ(ops::reduce_sum(f32(4.0)).item(), 4.0);  // scalar: sum over no axes
  EXPECT_EQ(ops::reduce_mean(f32(4.0)).item(), 4.0);
  EXPECT_EQ(ops::reduce_sum(Tensor::zeros({0, 3}, DType::f32)).item(), 0.0);
  const int64_t bad[1] = {2}, dup[2] = {0, -2};
  expect_error([&] { (void)ops::reduce_sum(x, bad); }, Status::invalid_argument, {"reduce_sum", "2"});
  expect_error([&] { (void)ops::reduce_sum(x, dup); }, Status::invalid_argument, {"reduce_sum", "duplicate"});
}

// ---- softmax --------------------------------------------------------------------------

TEST(Softmax, HandValuesAndRowsSumToOne) {
  const std::vector<double> p = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219};
  const Tensor x = f64(Shape{2, 3}, {1, 2, 3, 1001, 1002, 1003});
  const Tensor y = ops::softmax(x);
  EXPECT_TRUE(all_close(values(y), {p[0], p[1], p[2], p[0], p[1], p[2]}, 1e-14, 0));
  const Tensor ls = ops::log_softmax(x, -1);
  const std::vector<double> lp = {std::log(p[0]), std::log(p[1]), std::log(p[2])};
  EXPECT_TRUE(all_close(values(ls), {lp[0], lp[1], lp[2], lp[0], lp[1], lp[2]}, 1e-13, 0));
  const int64_t ax1[1] = {1};
  EXPECT_TRUE(all_close(values(ops::reduce_sum(y, ax1)), {1, 1}, 1e-15, 0));
}

TEST(Softmax, StableForLargeLogits) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const Tensor x = make(Shape{3, 3}, dt, {1000, 1001, 1002, -1000, 0, -1000, 1e4, 1e4, -1e4});
    const auto y = values(ops::softmax(x, -1));
    const auto ly = values(ops::log_softmax(x, -1));
    for (double v : y) EXPECT_TRUE(std::isfinite(v));
    for (double v : ly) EXPECT_TRUE(std::isfinite(v));
    const double tol = dt == DType::f32 ? 1e-6 : 1e-14;
    EXPECT_TRUE(all_close({y[0], y[1], y[2]}, {0.09003057317038046, 0.24472847105479767,
                                               0.6652409557748219}, tol, 0));
    EXPECT_TRUE(all_close({y[3], y[4], y[5], y[6], y[7], y[8]}, {0, 1, 0, 0.5, 0.5, 0}, tol, 0));
    EXPECT_TRUE(all_close({ly[3], ly[4], ly[5]}, {-1000, 0, -1000}, tol, 0));
    EXPECT_TRUE(all_close({ly[6], ly[7], ly[8]}, {-std::log(2.0), -std::log(2.0), -2e4 - std::log(2.0)},
                          tol, 1e-6));
  }
}

TEST(Softmax, EveryAxisMatchesNaive) {
  const Shape s{2, 3, 4};
  const Tensor x = random_f64(s, 7, -5, 5);
  const auto v = values(x);
  for (int axis = 0; axis < 3; ++axis) {
    SCOPED_TRACE("axis " + std::to_string(axis));
    std::vector<double> soft(v.size()), logsoft(v.size());
    for (int64_t i = 0; i < s.numel(); ++i) {
      auto idx = unravel(i, s);
      double z = 0;
      for (int64_t k = 0; k < s[axis]; ++k) {
        idx[static_cast<size_t>(axis)] = k;
        z += std::exp(v[static_cast<size_t>(ravel(idx, s))]);
      }
      soft[static_cast<size_t>(i)] = std::exp(v[static_cast<size_t>(i)]) / z;
      logsoft[static_cast<size_t>(i)] = v[static_cast<size_t>(i)] - std::log(z);
    }
    EXPECT_TRUE(all_close(values(ops::softmax(x, axis)), soft, 1e-13, 0));
    EXPECT_TRUE(all_close(values(ops::softmax(x, axis - 3)), soft, 1e-13, 0));
    EXPECT_TRUE(all_close(values(ops::log_softmax(x, axis)), logsoft, 1e-13, 1e-14));
  }
  expect_error([&] { (void)ops::softmax(x, 3); }, Status::invalid_argument, {"softmax", "3"});
}

// ---- movement -------------------------------------------------------------------------

TEST(Movement, TransposeEveryPermutationOfRank4) {
  const Shape s{2, 3, 4, 5};
  const Tensor x = random_f64(s, 11);
  const auto v = values(x);
  std::vector<int64_t> perm = {0, 1, 2, 3};
  int count = 0;
  do {
    Shape out;
    for (int64_t p : perm) out.push_back(s[static_cast<int>(p)]);
    std::vector<double> expected(v.size());
    for (int64_t i = 0; i < out.numel(); ++i) {
      const auto oi = unravel(i, out);
      std::vector<int64_t> ii(4);
      for (size_t d = 0; d < 4; ++d) ii[static_cast<size_t>(perm[d])] = oi[d];
      expected[static_cast<size_t>(i)] = v[static_cast<size_t>(ravel(ii, s))];
    }
    const Tensor t = ops::transpose(x, perm);
    EXPECT_EQ(t.shape(), out);
    EXPECT_EQ(values(t), expected) << "perm " << perm[0] << perm[1] << perm[2] << perm[3];
    ++count;
  } while (std::next_permutation(perm.begin(), perm.end()));
  EXPECT_EQ(count, 24);
}

TEST(Movement, TransposeDefaultsNegativesAndErrors) {
  const Tensor x = f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor t = ops::transpose(x);
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(values(t), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  const int64_t neg[2] = {-1, 0};
  EXPECT_EQ(values(ops::transpose(x, neg)), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  const int64_t dup[2] = {0, 0}, short_perm[1] = {0};
  expect_error([&] { (void)ops::transpose(x, dup); }, Status::invalid_argument, {"transpose"});
  expect_error([&] { (void)ops::transpose(x, short_perm); }, Status::invalid_argument,
               {"transpose", "(2,3)"});
  const Tensor i = make(Shape{2, 2}, DType::i64, {1, 2, 3, 4});
  EXPECT_EQ(values(ops::transpose(i)), (std::vector<double>{1, 3, 2, 4}));
}

TEST(Movement, Reshape) {
  std::vector<double> v(24);
  std::iota(v.begin(), v.end(), 0.0);
  const Tensor x = f64(Shape{2, 3, 4}, v);
  const int64_t dims[2] = {6, -1};
  const Tensor r = ops::reshape(x, dims);
  EXPECT_EQ(r.shape(), (Shape{6, 4}));
  EXPECT_EQ(values(r), v);
  EXPECT_EQ(r.raw(), x.raw()) << "reshape should share storage";
  const int64_t two_unknown[2] = {-1, -1}, bad[2] = {5, -1}, wrong[2] = {5, 5};
  expect_error([&] { (void)ops::reshape(x, two_unknown); }, Status::invalid_argument, {"reshape"});
  expect_error([&] { (void)ops::reshape(x, bad); }, Status::invalid_argument, {"reshape", "(2,3,4)"});
  expect_error([&] { (void)ops::reshape(x, wrong); }, Status::invalid_argument,
               {"reshape", "(2,3,4)", "(5,5)"});
  EXPECT_EQ(ops::reshape(f64(3.0), Shape{1, 1}).shape(), (Shape{1, 1}));
}

TEST(Movement, BroadcastToMatchesNaive) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3}, {2, 3}}, {{2, 1}, {2, 3}}, {{}, {2, 3}}, {{1, 3}, {4, 2, 3}}, {{2, 1, 3}, {2, 4, 3}},
      {{3, 1}, {2, 3, 5}},
  };
  uint64_t seed = 100;
  for (const auto& [from, to] : cases) {
    SCOPED_TRACE(from.str() + " -> " + to.str());
    const Tensor x = random_f64(from, seed++);
    const auto v = values(x);
    std::vector<double> expected(static_cast<size_t>(to.numel()));
    for (int64_t i = 0; i < to.numel(); ++i)
      expected[static_cast<size_t>(i)] = v[static_cast<size_t>(broadcast_source(unravel(i, to), from))];
    const Tensor b = ops::broadcast_to(x, to);
    EXPECT_EQ(b.shape(), to);
    EXPECT_EQ(values(b), expected);
  }
  expect_error([] { (void)ops::broadcast_to(f64(Shape{2}, {1, 2}), Shape{3}); },
               Status::invalid_argument, {"broadcast_to", "(2)", "(3)"});
  expect_error([] { (void)ops::broadcast_to(f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6}), Shape{3}); },
               Status::invalid_argument, {"broadcast_to", "(2,3)", "(3)"});
}

TEST(Movement, Cast) {
  const Tensor x = f64(Shape{5}, {2.7, -2.7, 0.1, 1e10, -0.0});
  const Tensor y = ops::cast(x, DType::f32);
  EXPECT_EQ(y.dtype(), DType::f32);
  EXPECT_EQ(values(y), (std::vector<double>{static_cast<float>(2.7), static_cast<float>(-2.7),
                                            static_cast<float>(0.1), 1e10, -0.0}));
  const Tensor i = ops::cast(f64(Shape{4}, {2.7, -2.7, 0.5, -0.5}), DType::i32);  // truncates
  EXPECT_EQ(i.dtype(), DType::i32);
  EXPECT_EQ(values(i), (std::vector<double>{2, -2, 0, 0}));
  const Tensor back = ops::cast(make(Shape{2}, DType::i64, {-3, 1LL << 40}), DType::f64);
  EXPECT_EQ(values(back), (std::vector<double>{-3, 1099511627776.0}));
  const Tensor same = ops::cast(x, DType::f64);
  EXPECT_EQ(same.raw(), x.raw());
  EXPECT_EQ(values(ops::cast(f32(Shape{3}, {0, 1, -2}), DType::boolean)),
            (std::vector<double>{0, 1, 1}));
}

TEST(Movement, FloatToIntCastSaturatesAndNaNIsZero) {
  const double nan = std::nan("");
  const Tensor x = f64(Shape{5}, {1e10, -1e10, nan, 2147483647.0, -2147483648.0});
  EXPECT_EQ(values(ops::cast(x, DType::i32)),
            (std::vector<double>{2147483647.0, -2147483648.0, 0, 2147483647.0, -2147483648.0}));
  const Tensor big = f32(Shape{2}, {1e30, -1e30});
  const auto i64 = ops::cast(big, DType::i64);
  EXPECT_EQ(i64.data<int64_t>()[0], std::numeric_limits<int64_t>::max());
  EXPECT_EQ(i64.data<int64_t>()[1], std::numeric_limits<int64_t>::lowest());
  EXPECT_EQ(values(ops::cast(f64(Shape{2}, {nan, 0.0}), DType::boolean)),
            (std::vector<double>{1, 0}));  // NaN != 0
}

// ---- matmul ---------------------------------------------------------------------------

// C = op(A) op(B) by the textbook triple loop, in double.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const auto va = values(a), vb = values(b);
  const int64_t M = ta ? a.shape()[1] : a.shape()[0], K = ta ? a.shape()[0] : a.shape()[1];
  const int64_t N = tb ? b.shape()[0] : b.shape()[1];
  std::vector<double> c(static_cast<size_t>(M * N), 0.0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double x = ta ? va[static_cast<size_t>(k * M + m)] : va[static_cast<size_t>(m * K + k)];
        const double y = tb ? vb[static_cast<size_t>(n * K + k)] : vb[static_cast<size_t>(k * N + n)];
        acc += x * y;
      }
      c[static_cast<size_t>(m * N + n)] = acc;
    }
  return c;
}

TEST(Matmul, HandValues) {
  const Tensor a = f64(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f64(Shape{3, 2}, {7, 8, 9, 10, 11, 12});
  const Tensor c = ops::matmul(a, b);
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_EQ(values(c), (std::vector<double>{58, 64, 139, 154}));
  EXPECT_EQ(values(ops::matmul(a, a, false, true)), (std::vector<double>{14, 32, 32, 77}));
  EXPECT_EQ(values(ops::matmul(a, a, true, false)),
            (std::vector<double>{17, 22, 27, 22, 29, 36, 27, 36, 45}));
}

TEST(Matmul, AllTransposeCombinationsMatchNaive) {
  struct Dims { int64_t M, K, N; };
  // The last shape has M·N·K above the one-thread cutoff, so the threaded path runs too.
  for (const Dims d : {Dims{3, 5, 4}, Dims{1, 7, 1}, Dims{6, 1, 2}, Dims{130, 70, 500}}) {
    for (DType dt : {DType::f32, DType::f64}) {
      for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
          SCOPED_TRACE(std::to_string(d.M) + "x" + std::to_string(d.K) + "x" + std::to_string(d.N) +
                       " " + std::string(dtype_name(dt)) + (ta ? " Aᵀ" : " A") + (tb ? " Bᵀ" : " B"));
          const Shape sa = ta ? Shape{d.K, d.M} : Shape{d.M, d.K};
          const Shape sb = tb ? Shape{d.N, d.K} : Shape{d.K, d.N};
          const Tensor a = ops::cast(random_f64(sa, 5), dt), b = ops::cast(random_f64(sb, 6), dt);
          const Tensor c = ops::matmul(a, b, ta, tb);
          EXPECT_EQ(c.shape(), (Shape{d.M, d.N}));
          EXPECT_EQ(c.dtype(), dt);
          // Inputs are exact in both dtypes; only the sums round (K terms of magnitude ≤ 1).
          const double tol = (dt == DType::f32 ? 1e-6 : 1e-14) * static_cast<double>(d.K);
          EXPECT_TRUE(all_close(values(c), naive_matmul(a, b, ta, tb), 0, tol));
        }
      }
    }
  }
}

TEST(Matmul, Errors) {
  const Tensor a = f32(Shape{2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor b = f32(Shape{4, 5}, std::vector<double>(20, 1.0));
  expect_error([&] { (void)ops::matmul(a, b); }, Status::invalid_argument,
               {"matmul", "inner dimensions", "(2,3)", "(4,5)"});
  expect_error([&] { (void)ops::matmul(a, f32(Shape{3}, {1, 2, 3})); }, Status::invalid_argument,
               {"matmul", "(2,3)", "(3)"});
  expect_error([&] { (void)ops::matmul(a, f64(Shape{3, 1}, {1, 2, 3})); }, Status::invalid_argument,
               {"matmul", "float32", "float64"});
  const Tensor e = ops::matmul(Tensor::zeros({2, 0}, DType::f32), Tensor::zeros({0, 3}, DType::f32));
  EXPECT_EQ(e.shape(), (Shape{2, 3}));
  EXPECT_EQ(values(e), std::vector<double>(6, 0.0));
}

// ---- allocator ------------------------------------------------------------------------

TEST(Allocator, SecondAllocationOfTheSameSizeIsACacheHit) {
  void* p = allocate(1000);
  deallocate(p, 1000);
  const AllocatorStats before = allocator_stats();
  void* q = allocate(1000);
  const AllocatorStats after = allocator_stats();
  EXPECT_EQ(after.cache_hits, before.cache_hits + 1);
  EXPECT_EQ(after.system_allocations, before.system_allocations);
  EXPECT_EQ(q, p) << "the block just freed should be handed out again";
  deallocate(q, 1000);
  // A size in the same class (1000 and 1010 both round up to a 1024-byte block) reuses it.
  void* r = allocate(1010);
  EXPECT_EQ(r, p);
  deallocate(r, 1010);
}

TEST(Allocator, TensorsReuseFreedBuffers) {
  const void* first;
  {
    const Tensor t = Tensor::empty({123, 45}, DType::f32);
    first = t.raw();
  }
  const size_t hits = allocator_stats().cache_hits;
  const Tensor t2 = Tensor::empty({123, 45}, DType::f32);
  EXPECT_EQ(allocator_stats().cache_hits, hits + 1);
  EXPECT_EQ(t2.raw(), first);
}

TEST(Allocator, BlocksAre64ByteAlignedAndUsable) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{7}, size_t{63}, size_t{64}, size_t{65},
                       size_t{100}, size_t{1000}, size_t{4096}, size_t{4097}, size_t{1} << 20,
                       (size_t{1} << 20) + 3}) {
    void* p = allocate(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << bytes << " bytes";
    std::fill_n(static_cast<unsigned char*>(p), bytes, 0xab);  // the whole request is writable
    deallocate(p, bytes);
  }
  for (DType dt : {DType::f32, DType::f64, DType::i32, DType::boolean}) {
    const Tensor t = Tensor::empty({3, 5}, dt);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  }
}

// Buffers of up to Storage::kInlineBytes live in their Storage's own block; they keep the
// guarantees of the others: 64-byte aligned, shared by views, alive while a view is.
TEST(Allocator, SmallTensorBuffersAreAlignedAndSharedByViews) {
  for (int64_t n : {0, 1, 3, 15, 16, 17, 100}) {  // float32: 0 .. 400 bytes, both sides of 64
    Tensor view;
    {
      const Tensor t = Tensor::empty(Shape{n}, DType::f32);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u) << n << " elements";
      float* p = t.mutable_data<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(i) + 0.5f;
      view = Tensor::from_storage(t.storage(), Shape{1, n}, DType::f32);
      EXPECT_EQ(view.raw(), t.raw());
      EXPECT_EQ(t.storage().use_count(), 2) << "the view shares the one buffer";
    }
    EXPECT_EQ(view.storage().use_count(), 1);
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(view.data<float>()[i], static_cast<float>(i) + 0.5f);
  }
}

TEST(Allocator, StatsAccountForBytesInUseAndCache) {
  const AllocatorStats s0 = allocator_stats();
  void* p = allocate(3000);
  const AllocatorStats s1 = allocator_stats();
  EXPECT_GE(s1.bytes_in_use, s0.bytes_in_use + 3000);
  EXPECT_LE(s1.bytes_in_use, s0.bytes_in_use + 3000 + 3000 / 4 + 64) << "a size class wastes ≤ 25%";
  deallocate(p, 3000);
  const AllocatorStats s2 = allocator_stats();
  EXPECT_EQ(s2.bytes_in_use, s0.bytes_in_use);
  EXPECT_EQ(s2.bytes_cached, s1.bytes_cached + (s1.bytes_in_use - s0.bytes_in_use));
  allocator_release_cache();
  EXPECT_EQ(allocator_stats().bytes_cached, 0u);
  EXPECT_EQ(allocator_stats().bytes_in_use, s0.bytes_in_use);
}

// A thread keeps small blocks for itself; when it exits they go to the shared cache, where
// any thread gets them without asking the system again.
TEST(Allocator, AThreadsSmallBlocksComeBackWhenItExits) {
  constexpr int kBlocks = 300;  // more than a thread keeps of one size
  const AllocatorStats s0 = allocator_stats();
  void* taken_here = allocate(100);
  std::thread([&] {
    deallocate(taken_here, 100);  // freed on another thread than the one that took it
    std::vector<void*> blocks;
    for (int i = 0; i < kBlocks; ++i) blocks.push_back(allocate(48));
    for (void* b : blocks) deallocate(b, 48);
  }).join();
  const AllocatorStats s1 = allocator_stats();
  EXPECT_EQ(s1.bytes_in_use, s0.bytes_in_use);
  std::vector<void*> again;
  for (int i = 0; i < kBlocks; ++i) again.push_back(allocate(48));
  EXPECT_EQ(allocator_stats().system_allocations, s1.system_allocations)
      << "the exited thread's blocks should serve these";
  EXPECT_EQ(allocator_stats().bytes_in_use, s0.bytes_in_use + kBlocks * 64u);
  for (void* b : again) deallocate(b, 48);
  EXPECT_EQ(allocator_stats().bytes_in_use, s0.bytes_in_use);
}

TEST(Allocator, SmallObjectsMayBeFreedOnAnyThread) {
  std::vector<void*> objects;
  for (size_t bytes : {size_t{1}, size_t{16}, size_t{120}, size_t{256}, size_t{300}, size_t{5000}}) {
    void* p = allocate_object(bytes);
    std::fill_n(static_cast<unsigned char*>(p), bytes, 0xcd);  // the whole request is writable
    objects.push_back(p);
  }
  std::thread([&] {
    const size_t sizes[] = {1, 16, 120, 256, 300, 5000};
    for (size_t i = 0; i < objects.size(); ++i) deallocate_object(objects[i], sizes[i]);
  }).join();
  void* reused = allocate_object(120);  // this thread's lists are untouched: still usable
  deallocate_object(reused, 120);
}

// ---- Philox4x32-10 and random tensors ---------------------------------------------------

TEST(Random, Philox4x32_10KnownAnswers) {
  // Random123's tests/kat_vectors, "philox4x32 10" lines (counter[4] key[2] -> output[4]).
  using W4 = std::array<uint32_t, 4>;
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, {0, 0}),
            (W4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}),
            (W4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}),
            (W4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Random, UniformFollowsTheDocumentedMapping) {
  // random.h: key = (seed low, seed high); block counter (i/4, 0, 0, 0) for float32,
  // (i/2, …) for float64; f32 = (w >> 8)·2⁻²⁴; f64 = ((w0 << 21) ^ (w1 >> 11))·2⁻⁵³.
  const uint64_t seed = 0x299f31d0a4093822ull;
  const std::array<uint32_t, 2> key = {0xa4093822, 0x299f31d0};
  const auto b0 = philox4x32_10({0, 0, 0, 0}, key), b1 = philox4x32_10({1, 0, 0, 0}, key);
  const auto u32 = values(random_uniform({6}, DType::f32, 0, 1, seed));
  for (int j = 0; j < 4; ++j) EXPECT_EQ(u32[static_cast<size_t>(j)], (b0[static_cast<size_t>(j)] >> 8) * 0x1.0p-24);
  EXPECT_EQ(u32[4], (b1[0] >> 8) * 0x1.0p-24);
  EXPECT_EQ(u32[5], (b1[1] >> 8) * 0x1.0p-24);
  const auto u64 = values(random_uniform({3}, DType::f64, 0, 1, seed));
  const auto bits = [](uint32_t w0, uint32_t w1) {
    return static_cast<double>((static_cast<uint64_t>(w0) << 21) ^ (w1 >> 11)) * 0x1.0p-53;
  };
  EXPECT_EQ(u64[0], bits(b0[0], b0[1]));
  EXPECT_EQ(u64[1], bits(b0[2], b0[3]));
  EXPECT_EQ(u64[2], bits(b1[0], b1[1]));
  // Seed 0 uses the all-zero key: element 0 comes from the first known-answer vector.
  EXPECT_EQ(random_uniform({}, DType::f32, 0, 1, 0).item(), (0x6627e8d5u >> 8) * 0x1.0p-24);
}

TEST(Random, UniformIsDeterministicPerSeedAndElement) {
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const auto a = values(random_uniform({1000}, dt, -1, 1, 1234));
    const auto b = values(random_uniform({1000}, dt, -1, 1, 1234));
    EXPECT_EQ(a, b);
    // Element i depends only on (seed, i): shape and length do not matter.
    const auto prefix = values(random_uniform({7}, dt, -1, 1, 1234));
    EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), a.begin()));
    EXPECT_EQ(values(random_uniform({10, 100}, dt, -1, 1, 1234)), a);
    for (uint64_t other : {uint64_t{1235}, uint64_t{1234} + (uint64_t{1} << 32)}) {
      const auto c = values(random_uniform({1000}, dt, -1, 1, other));
      size_t same = 0;
      for (size_t i = 0; i < a.size(); ++i) same += a[i] == c[i];
      EXPECT_LT(same, 5u) << "seed " << other << " repeats seed 1234";
    }
  }
}

struct Moments {
  double mean = 0, var = 0, lag1 = 0;  // lag1: correlation of neighbouring elements
};
Moments moments(const std::vector<double>& v) {
  Moments m;
  const double n = static_cast<double>(v.size());
  for (double x : v) m.mean += x;
  m.mean /= n;
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= n;
  for (size_t i = 0; i + 1 < v.size(); ++i) m.lag1 += (v[i] - m.mean) * (v[i + 1] - m.mean);
  m.lag1 /= (n - 1) * m.var;
  return m;
}

TEST(Random, UniformRangeAndMoments) {
  constexpr int64_t n = 200000;
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const double lo = -2, hi = 3;
    const auto v = values(random_uniform({n}, dt, lo, hi, 99));
    EXPECT_TRUE(std::all_of(v.begin(), v.end(), [&](double x) { return x >= lo && x < hi; }));
    const Moments m = moments(v);
    // U(lo, hi): mean (lo+hi)/2, variance (hi-lo)²/12. Tolerances are 5 standard errors:
    // sd(mean) = σ/√n; sd(variance) = √((μ₄ − σ⁴)/n) with μ₄ = (hi−lo)⁴/80.
    const double w = hi - lo, sigma2 = w * w / 12;
    EXPECT_NEAR(m.mean, (lo + hi) / 2, 5 * std::sqrt(sigma2 / n));
    EXPECT_NEAR(m.var, sigma2, 5 * std::sqrt((std::pow(w, 4) / 80 - sigma2 * sigma2) / n));
    EXPECT_NEAR(m.lag1, 0.0, 5 / std::sqrt(static_cast<double>(n)));
    // Histogram of 10 bins: each holds n/10 ± 5 sd of a binomial count.
    std::vector<int64_t> bins(10, 0);
    for (double x : v) ++bins[static_cast<size_t>(std::min(9.0, (x - lo) / w * 10))];
    for (int64_t b : bins) EXPECT_NEAR(static_cast<double>(b), n / 10.0, 5 * std::sqrt(n * 0.1 * 0.9));
  }
  expect_error([] { (void)random_uniform({2}, DType::f32, 1, 1, 0); }, Status::invalid_argument,
               {"random_uniform"});
  expect_error([] { (void)random_uniform({2}, DType::i32, 0, 1, 0); }, Status::invalid_argument,
               {"random_uniform", "int32"});
}

TEST(Random, UniformNeverReachesMaxval) {
  // Near 16384 float32 steps are 2⁻⁹, so lo + u·(hi − lo) rounds up to hi for u > 1 − 2⁻¹⁰:
  // about 100 of these 100,000 elements would equal maxval without the clamp.
  const auto v = values(random_uniform({100000}, DType::f32, 16384.0, 16385.0, 5));
  EXPECT_TRUE(std::all_of(v.begin(), v.end(), [](double x) { return x >= 16384.0 && x < 16385.0; }));
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 16384.99) << "the top of the range is used";
  const auto w = values(random_uniform({100000}, DType::f64, 1.0, 1.0 + 0x1.0p-40, 5));
  EXPECT_TRUE(std::all_of(w.begin(), w.end(), [](double x) { return x >= 1.0 && x < 1.0 + 0x1.0p-40; }));
}

TEST(Random, NormalMomentsAndDeterminism) {
  constexpr int64_t n = 200000;
  for (DType dt : {DType::f32, DType::f64}) {
    SCOPED_TRACE(std::string(dtype_name(dt)));
    const double mu = 2, sd = 3;
    const auto v = values(random_normal({n}, dt, mu, sd, 2024));
    for (double x : v) ASSERT_TRUE(std::isfinite(x));
    const Moments m = moments(v);
    EXPECT_NEAR(m.mean, mu, 5 * sd / std::sqrt(static_cast<double>(n)));
    // sd of the sample standard deviation of a normal ≈ σ/√(2n).
    EXPECT_NEAR(std::sqrt(m.var), sd, 5 * sd / std::sqrt(2.0 * n));
    EXPECT_NEAR(m.lag1, 0.0, 5 / std::sqrt(static_cast<double>(n)));  // Box–Muller pairs too
    // P(|x − μ| < σ) = 0.682689…, P(|x − μ| < 2σ) = 0.954499…
    double in1 = 0, in2 = 0;
    for (double x : v) {
      in1 += std::abs(x - mu) < sd;
      in2 += std::abs(x - mu) < 2 * sd;
    }
    EXPECT_NEAR(in1 / n, 0.6826894921, 5 * std::sqrt(0.6827 * 0.3173 / n));
    EXPECT_NEAR(in2 / n, 0.9544997361, 5 * std::sqrt(0.9545 * 0.0455 / n));
    // Deterministic, and element i depends only on (seed, i), odd lengths included.
    EXPECT_EQ(values(random_normal({n}, dt, mu, sd, 2024)), v);
    const auto odd = values(random_normal({5}, dt, mu, sd, 2024));
    EXPECT_TRUE(std::equal(odd.begin(), odd.end(), v.begin()));
    EXPECT_NE(values(random_normal({5}, dt, mu, sd, 2025)), odd);
  }
  expect_error([] { (void)random_normal({2}, DType::f32, 0, -1, 0); }, Status::invalid_argument,
               {"random_normal"});
}

}  // namespace
}  // namespace tg
