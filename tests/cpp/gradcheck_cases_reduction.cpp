// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: reductions (max, min, prod and its helper prod_others, logsumexp,
// variance), batched matmul, the fused cross-entropies. At the end, value tests for what
// finite differences cannot check: the split of the gradient among tied maxima, and
// reduce_prod's gradient at exact zeros.
#include <cmath>

#include "gradcheck_cases.h"

namespace tg {

using testing::D;
using testing::values;

namespace {

struct Reduction {
  Shape shape;
  std::vector<int64_t> axes;
  bool keepdims;
};

// Several ranks; axis subsets unsorted, non-contiguous, negative; keepdims both ways.
const std::vector<Reduction>& reductions() {
  static const std::vector<Reduction> r = {
      {{2, 3, 4}, {}, false},       {{2, 3, 4}, {}, true},      {{2, 3, 4}, {1}, false},
      {{2, 3, 4}, {0, 2}, false},   {{2, 3, 4}, {2, 0}, true},  {{2, 3, 4}, {-1}, true},
      {{2, 3, 4}, {-3, -1}, false}, {{2, 3, 4}, {0, 1}, true},  {{2, 3, 4}, {1, 2}, false},
      {{2, 3}, {-2}, false},        {{2, 3}, {1}, true},        {{5}, {0}, false},
      {{5}, {}, true},              {{}, {}, false},            {{2, 1, 3, 2}, {1, 3}, false},
      {{2, 3, 2, 2}, {0, 2}, true},
  };
  return r;
}

std::string reduction_label(const char* name, const Reduction& r) {
  return std::string(name) + "_" + shape_label(r.shape) + "_axes_" + axes_label(r.axes) +
         (r.keepdims ? "_keepdims" : "");
}

// A float64 constant with the given values.
Tensor constant(const Shape& s, const std::vector<double>& v) { return testing::f64(s, v); }

}  // namespace

std::vector<GradCase> reduction_grad_cases() {
  std::vector<GradCase> cases;

  // ---- max / min: piecewise linear; random inputs have no ties (a gap far above eps) ----
  using ReduceFn = Tensor (*)(const Tensor&, std::span<const int64_t>, bool);
  struct Named {
    const char* name;
    ReduceFn fn;
    Domain domain;
    bool piecewise_linear;
  };
  for (const Named& n : {Named{"reduce_max", ops::reduce_max, Domain::any, true},
                         Named{"reduce_min", ops::reduce_min, Domain::any, true},
                         Named{"reduce_prod", ops::reduce_prod, Domain::nonzero, false},
                         Named{"reduce_logsumexp", ops::reduce_logsumexp, Domain::logits, false}}) {
    for (const Reduction& r : reductions()) {
      GradCase c;
      c.label = reduction_label(n.name, r);
      c.op = n.name;
      c.shapes = {r.shape};
      c.domains = {n.domain};
      c.fn = [f = n.fn, r](const std::vector<Tensor>& x) { return f(x[0], r.axes, r.keepdims); };
      c.zero_second_derivative = n.piecewise_linear;
      cases.push_back(c);
    }
  }

  // reduce_prod where the input holds exact zeros (x times a 0/1 mask): a gradient that
  // divides by x gives NaN here. One zero in some rows, two in another.
  {
    const Tensor mask = constant(Shape{3, 4}, {1, 0, 1, 1, /**/ 0, 1, 1, 0, /**/ 1, 1, 1, 1});
    for (int64_t axis : {int64_t{1}, int64_t{0}}) {
      GradCase c;
      c.label = "reduce_prod_3x4_with_zeros_axis_" + std::to_string(axis);
      c.op = "reduce_prod";
      c.shapes = {Shape{3, 4}};
      c.domains = {Domain::nonzero};
      c.fn = [mask, axis](const std::vector<Tensor>& x) {
        return ops::reduce_prod(ops::mul(x[0], mask), {&axis, 1});
      };
      cases.push_back(c);
    }
  }

  // prod_others on its own (x viewed as (O, n, I)): its rule is prod_others one rank up.
  for (const Shape& s : {Shape{2, 3, 4}, Shape{1, 5, 1}, Shape{3, 2, 2}, Shape{2, 1, 3}}) {
    GradCase c;
    c.label = "prod_others_" + shape_label(s);
    c.op = "prod_others";
    c.shapes = {s};
    c.domains = {Domain::nonzero};
    c.fn = [](const std::vector<Tensor>& x) { return ops::prod_others(x[0]); };
    cases.push_back(c);
  }

  // reduce_variance: a composite (reduce_mean of squared deviations).
  for (const Reduction& r : reductions()) {
    GradCase c;
    c.label = reduction_label("reduce_variance", r);
    c.op = "reduce_mean";
    c.shapes = {r.shape};
    c.fn = [r](const std::vector<Tensor>& x) { return ops::reduce_variance(x[0], r.axes, r.keepdims); };
    cases.push_back(c);
  }

  // ---- batched matmul: broadcast batch dims, every transpose-flag combination ----
  // Shapes are given as op(A) (batch…, M, K) and op(B) (batch…, K, N); a transposed operand
  // stores its last two dims swapped.
  struct Product {
    Shape a, b;  // un-transposed shapes
  };
  const std::vector<Product> products = {
      {{2, 1, 3, 4}, {5, 4, 2}},  // batch (2,1) with (5,) → (2,5)
      {{3, 2, 4}, {4, 5}},        // B without batch: forward and dB fold into one GEMM
      {{3, 2, 4}, {1, 4, 5}},     // B with a batch of 1: folds too
      {{2, 3}, {4, 3, 5}},        // A without batch
      {{1, 2, 3}, {2, 3, 4}},     // batch 1 broadcast against 2
      {{2, 2, 3}, {2, 3, 2}},     // equal batches
      {{2, 3, 2, 2}, {3, 2, 2}},  // rank 4 with rank 3
  };
  const auto swap_last = [](Shape s) {
    const int r = s.rank();
    const int64_t t = s[r - 1];
    s.set(r - 1, s[r - 2]);
    s.set(r - 2, t);
    return s;
  };
  for (const Product& p : products) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        GradCase c;
        c.label = "matmul_batched_" + shape_label(p.a) + "_by_" + shape_label(p.b) + "_" +
                  (ta ? "T" : "N") + (tb ? "T" : "N");
        c.op = "matmul";
        c.shapes = {ta ? swap_last(p.a) : p.a, tb ? swap_last(p.b) : p.b};
        c.fn = [ta, tb](const std::vector<Tensor>& x) { return ops::matmul(x[0], x[1], ta, tb); };
        cases.push_back(c);
      }
    }
  }

  // ---- softmax_cross_entropy_with_logits(labels, logits, axis) ----
  // Labels are a differentiable input too. They are made a distribution, softmax(u), because
  // TensorFlow's logits gradient softmax(z) − y is the derivative of the loss only when the
  // labels sum to 1 along the axis.
  const std::vector<std::pair<Shape, int64_t>> xent_axes = {
      {{2, 3}, -1}, {{2, 3}, 0}, {{2, 3, 4}, 1}, {{2, 3, 4}, -1}, {{2, 3, 4}, 0}, {{5}, 0},
  };
  for (const auto& [s, axis] : xent_axes) {
    GradCase c;
    c.label = "softmax_cross_entropy_with_logits_" + shape_label(s) + "_axis_" + axes_label({axis});
    c.op = "softmax_cross_entropy_with_logits";
    c.shapes = {s, s};
    c.domains = {Domain::logits, Domain::logits};
    c.fn = [axis = axis](const std::vector<Tensor>& x) {
      return ops::softmax_cross_entropy_with_logits(ops::softmax(x[0], axis), x[1], axis);
    };
    cases.push_back(c);
  }
  {
    // Labels held constant (only the logits differentiable): one-hot rows.
    const Tensor one_hot = constant(Shape{2, 3}, {0, 1, 0, 1, 0, 0});
    GradCase c;
    c.label = "softmax_cross_entropy_with_logits_one_hot_labels";
    c.op = "softmax_cross_entropy_with_logits";
    c.shapes = {Shape{2, 3}};
    c.domains = {Domain::logits};
    c.differentiable = {true};
    c.fn = [one_hot](const std::vector<Tensor>& x) {
      return ops::softmax_cross_entropy_with_logits(one_hot, x[0]);
    };
    cases.push_back(c);
  }

  // ---- sparse_softmax_cross_entropy_with_logits(int labels, logits) ----
  {
    struct Sparse {
      Shape logits;
      Tensor labels;
    };
    const std::vector<Sparse> sparse = {
        {{3, 5}, testing::make(Shape{3}, DType::i64, {4, 0, 2})},
        {{2, 2, 4}, testing::make(Shape{2, 2}, DType::i32, {3, 1, 0, 3})},
        {{1, 1}, testing::make(Shape{1}, DType::i64, {0})},
        {{4}, testing::make(Shape{}, DType::i32, {2})},
    };
    for (const Sparse& sp : sparse) {
      GradCase c;
      c.label = "sparse_softmax_cross_entropy_with_logits_" + shape_label(sp.logits) + "_" +
                std::string(dtype_name(sp.labels.dtype()));
      c.op = "sparse_softmax_cross_entropy_with_logits";
      c.shapes = {sp.logits};
      c.domains = {Domain::logits};
      c.differentiable = {true};
      c.fn = [labels = sp.labels](const std::vector<Tensor>& x) {
        return ops::sparse_softmax_cross_entropy_with_logits(labels, x[0]);
      };
      cases.push_back(c);
    }
  }
  return cases;
}

// ---- value tests --------------------------------------------------------------------------

namespace {

// d reduce_sum(f(x) * w) / dx through a tape.
Tensor gradient_of(const std::function<Tensor(const Tensor&)>& f, const Tensor& x) {
  Tape tape(false, false);
  tape.begin();
  tape.watch(x);
  const Tensor y = ops::reduce_sum(f(x));
  tape.end();
  return testing::grad(tape, {D(y)}, {D(x)})[0];
}

TEST(ReductionGradients, TiedMaximaShareTheGradientEqually) {
  // Row 0: max 3 twice → ½ each; row 1: all equal → ⅓ each; row 2: a unique max.
  const Tensor x = constant(Shape{3, 3}, {1, 3, 3, 2, 2, 2, 0, 5, -1});
  const int64_t axis = 1;
  const Tensor g = gradient_of([&](const Tensor& t) { return ops::reduce_max(t, {&axis, 1}); }, x);
  EXPECT_TRUE(testing::all_close(values(g), {0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 1, 0}, 0, 1e-15));
  const Tensor gmin = gradient_of([&](const Tensor& t) { return ops::reduce_min(t, {&axis, 1}); }, x);
  EXPECT_TRUE(testing::all_close(values(gmin), {1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 0, 1}, 0, 1e-15));
  // Over every axis: three tied 4s share it.
  const Tensor all = gradient_of([](const Tensor& t) { return ops::reduce_max(t); },
                                 constant(Shape{2, 2}, {4, 1, 4, 4}));
  EXPECT_TRUE(testing::all_close(values(all), {1.0 / 3, 0, 1.0 / 3, 1.0 / 3}, 0, 1e-15));
}

TEST(ReductionGradients, ProdGradientIsExactAtZeros) {
  const int64_t axis = 1;
  const auto prod = [&](const Tensor& t) { return ops::reduce_prod(t, {&axis, 1}); };
  // Row 0 has one zero: only it gets a gradient, the product of the others (2·3 = 6).
  // Row 1 has two zeros: every gradient is 0.  Row 2: ordinary, y / x.
  const Tensor x = constant(Shape{3, 3}, {2, 0, 3, 0, 5, 0, 1, 2, 4});
  const Tensor g = gradient_of(prod, x);
  EXPECT_EQ(values(g), (std::vector<double>{0, 6, 0, 0, 0, 0, 8, 4, 2}));

  // Second derivative at the zero: s(x) = Σ_j ∂prod/∂x_j = x1x2 + x0x2 + x0x1, so
  // ds/dx = (x1 + x2, x0 + x2, x0 + x1) = (3, 5, 2) at (2, 0, 3).
  const Tensor row = constant(Shape{1, 3}, {2, 0, 3});
  Tape outer(false, false);
  outer.begin();
  outer.watch(row);
  const Tensor s = ops::reduce_sum(gradient_of(prod, row));
  outer.end();
  const Tensor h = testing::grad(outer, {D(s)}, {D(row)})[0];
  EXPECT_EQ(values(h), (std::vector<double>{3, 5, 2}));
}

TEST(ReductionGradients, LogsumexpIsFiniteForLargeInputsAndItsGradientIsSoftmax) {
  const Tensor x = constant(Shape{1, 3}, {1000, 1000, 999});
  const int64_t axis = 1;
  const Tensor y = ops::reduce_logsumexp(x, {&axis, 1});
  const double e = std::exp(-1.0);
  EXPECT_NEAR(y.item(), 1000 + std::log(2 + e), 1e-12);
  const Tensor g = gradient_of([&](const Tensor& t) { return ops::reduce_logsumexp(t, {&axis, 1}); }, x);
  // x − y is rounded at magnitude 1000 (an absolute error of ~1e-13 before exp).
  EXPECT_TRUE(testing::all_close(values(g), {1 / (2 + e), 1 / (2 + e), e / (2 + e)}, 1e-12, 0));
}

// Forward values against naive loops (the gradient checks compare a rule with its own forward,
// so they would not notice a wrong forward).
std::vector<double> iota_values(int64_t n, double scale) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::sin(static_cast<double>(i) * 1.3) * scale;
  return v;
}

TEST(ReductionValues, LogsumexpOverNonContiguousAxesMatchesNaiveLoops) {
  const Shape s{2, 3, 4};
  const std::vector<double> v = iota_values(24, 3);
  const Tensor x = constant(s, v);
  for (const std::vector<int64_t>& axes : {std::vector<int64_t>{0, 2}, {0}, {1}, {-1}, {0, 1}}) {
    const Tensor y = ops::reduce_logsumexp(x, axes, true);
    const Tensor mx = ops::reduce_max(x, axes, true);
    // naive: log Σ exp over the reduced positions of each kept position
    std::vector<double> sum(static_cast<size_t>(y.numel()), 0.0);
    const auto ys = y.shape().strides();
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j)
        for (int64_t k = 0; k < 4; ++k) {
          const int64_t idx[3] = {i, j, k};
          int64_t o = 0;
          for (int d = 0; d < 3; ++d) o += (y.shape()[d] == 1 ? 0 : idx[d]) * ys[d];
          sum[static_cast<size_t>(o)] += std::exp(v[static_cast<size_t>(i * 12 + j * 4 + k)]);
        }
    std::vector<double> want(sum.size());
    for (size_t i = 0; i < sum.size(); ++i) want[i] = std::log(sum[i]);
    EXPECT_TRUE(testing::all_close(values(y), want, 1e-14, 0)) << axes_label(axes);
    // and max is at most logsumexp, which is at most max + log(count)
    for (size_t i = 0; i < want.size(); ++i) EXPECT_LE(values(mx)[i], values(y)[i]);
  }
}

TEST(ReductionValues, ProdOthersMatchesNaiveProducts) {
  const Shape s{2, 4, 3};  // (O, n, I)
  std::vector<double> v = iota_values(24, 2);
  v[5] = 0;  // a zero in one group
  const Tensor y = ops::prod_others(constant(s, v));
  std::vector<double> want(24);
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t q = 0; q < 3; ++q) {
        double p = 1;
        for (int64_t j = 0; j < 4; ++j)
          if (j != i) p *= v[static_cast<size_t>(o * 12 + j * 3 + q)];
        want[static_cast<size_t>(o * 12 + i * 3 + q)] = p;
      }
  EXPECT_TRUE(testing::all_close(values(y), want, 1e-15, 0));
}

TEST(MatmulValues, BatchedProductsMatchNaiveLoops) {
  struct Product {
    Shape a, b;  // stored shapes
    bool ta, tb;
  };
  const std::vector<Product> products = {
      {{2, 1, 3, 4}, {5, 4, 2}, false, false}, {{2, 1, 4, 3}, {5, 2, 4}, true, true},
      {{3, 2, 4}, {4, 5}, false, false},       {{3, 2, 4}, {5, 4}, false, true},
      {{3, 4, 2}, {4, 5}, true, false},        {{2, 3}, {4, 3, 5}, false, false},
      {{3, 2}, {4, 5, 3}, true, true},         {{1, 2, 3}, {2, 3, 4}, false, false},
      {{2, 3, 2, 2}, {3, 2, 2}, false, true},  {{3, 2, 4}, {1, 4, 5}, false, false},
  };
  for (const Product& p : products) {
    for (DType dtype : {DType::f32, DType::f64}) {
      const std::vector<double> va = iota_values(p.a.numel(), 1), vb = iota_values(p.b.numel(), 0.5);
      const Tensor c = ops::matmul(testing::make(p.a, dtype, va), testing::make(p.b, dtype, vb), p.ta, p.tb);
      // naive reference with explicit broadcasting of the batch index
      const int ra = p.a.rank(), rb = p.b.rank(), rc = c.rank();
      const int64_t M = c.shape()[rc - 2], N = c.shape()[rc - 1];
      const int64_t K = p.ta ? p.a[ra - 2] : p.a[ra - 1];
      std::vector<double> want(static_cast<size_t>(c.numel()));
      const int64_t batch = c.numel() / (M * N);
      for (int64_t bi = 0; bi < batch; ++bi) {
        // batch multi-index of c, mapped into a and b (size-1 or missing dims broadcast)
        int64_t rem = bi, oa = 0, ob = 0, sa = 1, sb = 1;
        for (int d = rc - 3; d >= 0; --d) {
          const int64_t idx = rem % c.shape()[d];
          rem /= c.shape()[d];
          const int da = d - (rc - ra), db = d - (rc - rb);
          if (da >= 0) {
            oa += (p.a[da] == 1 ? 0 : idx) * sa;
            sa *= p.a[da];
          }
          if (db >= 0) {
            ob += (p.b[db] == 1 ? 0 : idx) * sb;
            sb *= p.b[db];
          }
        }
        const double* A = va.data() + oa * p.a[ra - 2] * p.a[ra - 1];
        const double* B = vb.data() + ob * p.b[rb - 2] * p.b[rb - 1];
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            double acc = 0;
            for (int64_t k = 0; k < K; ++k)
              acc += (p.ta ? A[k * M + m] : A[m * K + k]) * (p.tb ? B[n * K + k] : B[k * N + n]);
            want[static_cast<size_t>((bi * M + m) * N + n)] = acc;
          }
      }
      EXPECT_TRUE(testing::all_close(values(c), want, dtype == DType::f32 ? 1e-5 : 1e-13, 1e-6))
          << p.a.str() << " x " << p.b.str() << " " << p.ta << p.tb;
    }
  }
}

TEST(ReductionGradients, ArgmaxIsNotDifferentiable) {
  const Tensor x = constant(Shape{2, 3}, {1, 5, 2, 7, 0, 7});
  Tape tape(false, false);
  tape.begin();
  tape.watch(x);
  const Tensor i = ops::argmax(x, 1);
  tape.end();
  EXPECT_EQ(i.dtype(), DType::i64);
  EXPECT_EQ(values(i), (std::vector<double>{1, 0}));  // a tie goes to the smallest index
  EXPECT_FALSE(testing::grad(tape, {D(i)}, {D(x)})[0].defined());
}

}  // namespace
}  // namespace tg
