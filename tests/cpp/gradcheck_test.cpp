// Registry-driven gradient checks (STYLE.md "Do" 7): every op in tg::op_registry() whose
// gradient is a rule has cases below, checked in float64 against central finite differences.
//
// For a case with inputs x_0..x_{n-1} and op f:
//   loss(x)   = sum(f(x) * W)            W: fixed random weights, so every output element matters
//   first     : d loss / d x_i (tape)    vs  central differences of loss,  for each differentiable i
//   second    : s(x) = sum_i sum(g_i(x) * V_i), g_i = d loss / d x_i computed by an inner tape
//               d s / d x_j (outer tape) vs  central differences of s,     for each differentiable j
//               (a random projection of the Hessian: it checks every gradient rule's own gradient)
// Inputs marked not differentiable in OpDef::differentiable_inputs must get no gradient.
// Ops with kinks (relu, relu_grad) are sampled away from the kink; their second derivative is
// zero there, and the check confirms the tape gives exactly zeros.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "autodiff/op.h"
#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::D;
using testing::values;

// ---- the case table -------------------------------------------------------------------

// Where an input's elements are drawn from (kept off kinks and poles).
enum class Domain {
  any,       // U(-1, 1)
  positive,  // U(0.5, 2): log arguments
  nonzero,   // ±U(0.5, 2): denominators, relu features (far from the kink at 0)
  logits,    // U(-3, 3): softmax inputs
};

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

struct GradCase {
  std::string label;         // unique, becomes the test name
  std::string op;            // registry name of the op under test
  std::vector<Shape> shapes; // float64 input shapes
  std::vector<Domain> domains;  // per input; missing entries mean Domain::any
  OpFn fn;                   // calls the op through the public functions of autodiff/ops.h
  // why these defaults: with eps = 1e-6 in float64 the differences are off by about
  // eps²·f'''/6 (~1e-12) plus 1e-16·|loss|/eps (~1e-10); the largest error seen over all
  // cases is ~1e-9, so the bound has a 10x margin and still catches a relative error of 1e-6.
  double rtol = 1e-6, atol = 1e-8;
  double eps = 1e-6;         // finite-difference step
  // The op is piecewise linear in its differentiable inputs: the tape's second derivative
  // must be exactly zero, not just close to the finite differences.
  bool zero_second_derivative = false;
};

std::string shape_label(const Shape& s) {
  if (s.rank() == 0) return "scalar";
  std::string out;
  for (int i = 0; i < s.rank(); ++i) out += (i ? "x" : "") + std::to_string(s[i]);
  return out;
}

std::string axes_label(const std::vector<int64_t>& axes) {
  if (axes.empty()) return "all";
  std::string out;
  for (int64_t a : axes) out += (out.empty() ? "" : "_") + (a < 0 ? "m" + std::to_string(-a) : std::to_string(a));
  return out;
}

// gtest prints a failing parameter with this instead of its bytes.
void PrintTo(const GradCase& c, std::ostream* os) { *os << c.label; }

std::vector<GradCase> make_cases() {
  std::vector<GradCase> cases;

  // Binary elementwise ops, with broadcasting both ways.
  const std::vector<std::pair<Shape, Shape>> binary_shapes = {
      {{2, 3}, {2, 3}}, {{2, 3}, {3}},    {{3}, {2, 3}},       {{2, 1}, {1, 3}},
      {{}, {2, 3}},     {{2, 3}, {}},     {{4, 1, 3}, {2, 1}}, {{}, {}},
  };
  struct Binary {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&);
    Domain b_domain;
    bool linear;
  };
  for (const Binary& b : {Binary{"add", ops::add, Domain::any, true},
                          Binary{"sub", ops::sub, Domain::any, true},
                          Binary{"mul", ops::mul, Domain::any, false},
                          Binary{"div", ops::div, Domain::nonzero, false}}) {
    for (const auto& [sa, sb] : binary_shapes) {
      GradCase c;
      c.label = std::string(b.name) + "_" + shape_label(sa) + "_with_" + shape_label(sb);
      c.op = b.name;
      c.shapes = {sa, sb};
      c.domains = {Domain::any, b.b_domain};
      c.fn = [f = b.fn](const std::vector<Tensor>& x) { return f(x[0], x[1]); };
      c.zero_second_derivative = b.linear;
      cases.push_back(c);
    }
  }

  // Unary elementwise ops.
  struct Unary {
    const char* name;
    Tensor (*fn)(const Tensor&);
    Domain domain;
    bool piecewise_linear;
  };
  for (const Unary& u : {Unary{"neg", ops::neg, Domain::any, true},
                         Unary{"exp", ops::exp, Domain::any, false},
                         Unary{"log", ops::log, Domain::positive, false},
                         Unary{"relu", ops::relu, Domain::nonzero, true}}) {
    for (const Shape& s : {Shape{2, 3}, Shape{}, Shape{2, 1, 2}}) {
      GradCase c;
      c.label = std::string(u.name) + "_" + shape_label(s);
      c.op = u.name;
      c.shapes = {s};
      c.domains = {u.domain};
      c.fn = [f = u.fn](const std::vector<Tensor>& x) { return f(x[0]); };
      c.zero_second_derivative = u.piecewise_linear;
      cases.push_back(c);
    }
  }
  for (const Shape& s : {Shape{2, 3}, Shape{5}}) {  // relu_grad(g, y): differentiable in g only
    GradCase c;
    c.label = "relu_grad_" + shape_label(s);
    c.op = "relu_grad";
    c.shapes = {s, s};
    c.domains = {Domain::any, Domain::nonzero};
    c.fn = [](const std::vector<Tensor>& x) { return ops::relu_grad(x[0], x[1]); };
    c.zero_second_derivative = true;
    cases.push_back(c);
  }

  // matmul: all four transpose-flag combinations, plus inner and outer products.
  // op(A) is (M,K) = (2,3), op(B) is (K,N) = (3,4).
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      GradCase c;
      c.label = std::string("matmul_") + (ta ? "T" : "N") + (tb ? "T" : "N");
      c.op = "matmul";
      c.shapes = {ta ? Shape{3, 2} : Shape{2, 3}, tb ? Shape{4, 3} : Shape{3, 4}};
      c.fn = [ta, tb](const std::vector<Tensor>& x) { return ops::matmul(x[0], x[1], ta, tb); };
      cases.push_back(c);
    }
  }
  {
    GradCase c;
    c.label = "matmul_inner_product";
    c.op = "matmul";
    c.shapes = {Shape{1, 5}, Shape{5, 1}};
    c.fn = [](const std::vector<Tensor>& x) { return ops::matmul(x[0], x[1]); };
    cases.push_back(c);
    c.label = "matmul_outer_product_TT";
    c.shapes = {Shape{1, 3}, Shape{2, 1}};
    c.fn = [](const std::vector<Tensor>& x) { return ops::matmul(x[0], x[1], true, true); };
    cases.push_back(c);
  }

  // Reductions: several ranks, axis subsets (unsorted, non-contiguous, negative), keepdims.
  struct Reduction {
    Shape shape;
    std::vector<int64_t> axes;
    bool keepdims;
  };
  const std::vector<Reduction> reductions = {
      {{2, 3, 4}, {}, false},     {{2, 3, 4}, {}, true},       {{2, 3, 4}, {1}, false},
      {{2, 3, 4}, {0, 2}, false}, {{2, 3, 4}, {2, 0}, true},   {{2, 3, 4}, {-1}, true},
      {{2, 3, 4}, {-3, -1}, false}, {{2, 3, 4}, {0, 1}, true}, {{2, 3, 4}, {1, 2}, false},
      {{2, 3}, {-2}, false},      {{2, 3}, {1}, true},         {{5}, {0}, false},
      {{5}, {}, true},            {{}, {}, false},             {{2, 1, 3, 2}, {1, 3}, false},
  };
  for (const char* name : {"reduce_sum", "reduce_mean"}) {
    const bool sum = std::string(name) == "reduce_sum";
    for (const Reduction& r : reductions) {
      GradCase c;
      c.label = std::string(name) + "_" + shape_label(r.shape) + "_axes_" + axes_label(r.axes) +
                (r.keepdims ? "_keepdims" : "");
      c.op = name;
      c.shapes = {r.shape};
      c.fn = [sum, r](const std::vector<Tensor>& x) {
        return sum ? ops::reduce_sum(x[0], r.axes, r.keepdims)
                   : ops::reduce_mean(x[0], r.axes, r.keepdims);
      };
      c.zero_second_derivative = true;
      cases.push_back(c);
    }
  }

  // softmax / log_softmax along the first, a middle and the last axis.
  const std::vector<std::pair<Shape, int64_t>> softmax_axes = {
      {{2, 3}, 0}, {{2, 3}, -1}, {{2, 3}, 1}, {{2, 3, 4}, 1}, {{2, 3, 4}, 0}, {{2, 3, 4}, -1},
      {{5}, 0},    {{5}, -1},
  };
  for (const char* name : {"softmax", "log_softmax"}) {
    const bool log = std::string(name) == "log_softmax";
    for (const auto& [s, axis] : softmax_axes) {
      GradCase c;
      c.label = std::string(name) + "_" + shape_label(s) + "_axis_" + axes_label({axis});
      c.op = name;
      c.shapes = {s};
      c.domains = {Domain::logits};
      c.fn = [log, axis = axis](const std::vector<Tensor>& x) {
        return log ? ops::log_softmax(x[0], axis) : ops::softmax(x[0], axis);
      };
      cases.push_back(c);
    }
  }

  // Movement ops. Each case really changes the shape (no-op calls skip the op).
  const std::vector<std::pair<Shape, std::vector<int64_t>>> reshapes = {
      {{2, 3, 4}, {4, 6}}, {{2, 3, 4}, {6, -1}}, {{2, 3}, {6}}, {{}, {1, 1}}, {{6}, {3, 1, 2}},
  };
  for (const auto& [s, dims] : reshapes) {
    GradCase c;
    c.label = "reshape_" + shape_label(s) + "_to_" + axes_label(dims);
    c.op = "reshape";
    c.shapes = {s};
    c.fn = [dims = dims](const std::vector<Tensor>& x) { return ops::reshape(x[0], dims); };
    c.zero_second_derivative = true;
    cases.push_back(c);
  }
  const std::vector<std::pair<Shape, std::vector<int64_t>>> transposes = {
      {{2, 3, 4}, {2, 0, 1}}, {{2, 3, 4}, {1, 2, 0}}, {{2, 3, 4}, {-1, 0, 1}},
      {{2, 3}, {}},           {{2, 3, 4, 2}, {3, 1, 0, 2}},
  };
  for (const auto& [s, perm] : transposes) {
    GradCase c;
    c.label = "transpose_" + shape_label(s) + "_perm_" + (perm.empty() ? "reverse" : axes_label(perm));
    c.op = "transpose";
    c.shapes = {s};
    c.fn = [perm = perm](const std::vector<Tensor>& x) { return ops::transpose(x[0], perm); };
    c.zero_second_derivative = true;
    cases.push_back(c);
  }
  const std::vector<std::pair<Shape, Shape>> broadcasts = {
      {{3}, {2, 3}}, {{2, 1}, {2, 3}}, {{}, {2, 3}}, {{1, 3}, {4, 2, 3}}, {{2, 1, 3}, {2, 4, 3}},
  };
  for (const auto& [from, to] : broadcasts) {
    GradCase c;
    c.label = "broadcast_to_" + shape_label(from) + "_to_" + shape_label(to);
    c.op = "broadcast_to";
    c.shapes = {from};
    c.fn = [to = to](const std::vector<Tensor>& x) { return ops::broadcast_to(x[0], to); };
    c.zero_second_derivative = true;
    cases.push_back(c);
  }
  {
    // float64 -> float32 -> float64. The forward rounds to float32 (relative 2⁻²⁴ ≈ 6e-8), so
    // the differences use a wide step: the function is linear between roundings, and the
    // rounding error of one element, 6e-8 / (2 · 1e-2) ≈ 3e-6, bounds the difference error.
    GradCase c;
    c.label = "cast_f64_f32_f64";
    c.op = "cast";
    c.shapes = {Shape{2, 3}};
    c.fn = [](const std::vector<Tensor>& x) {
      return ops::cast(ops::cast(x[0], DType::f32), DType::f64);
    };
    c.eps = 1e-2;
    c.atol = 1e-5;
    c.rtol = 1e-5;
    c.zero_second_derivative = true;
    cases.push_back(c);
  }
  return cases;
}

const std::vector<GradCase>& all_cases() {
  static const std::vector<GradCase> cases = make_cases();
  return cases;
}

// ---- machinery ------------------------------------------------------------------------

// Deterministic uniform numbers (the distribution does not depend on the standard library).
struct Rng {
  std::mt19937_64 engine;
  explicit Rng(uint64_t seed) : engine(seed) {}
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(engine() >> 11) * 0x1.0p-53;
  }
  double draw(Domain d) {
    switch (d) {
      case Domain::any: return uniform(-1, 1);
      case Domain::positive: return uniform(0.5, 2);
      case Domain::nonzero: return (engine() & 1 ? 1 : -1) * uniform(0.5, 2);
      case Domain::logits: return uniform(-3, 3);
    }
    return 0;
  }
  Tensor tensor(const Shape& s, Domain d) {
    std::vector<double> v(static_cast<size_t>(s.numel()));
    for (double& e : v) e = draw(d);
    return testing::f64(s, v);
  }
};

// FNV-1a: a seed per case that does not depend on the standard library's std::hash.
uint64_t seed_of(const std::string& label) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : label) h = (h ^ ch) * 0x100000001b3ull;
  return h;
}

Tensor with_element(const Tensor& x, int64_t k, double value) {
  std::vector<double> v = values(x);
  v[static_cast<size_t>(k)] = value;
  return testing::f64(x.shape(), v);
}

bool differentiable(const OpDef& def, size_t i) { return (def.differentiable_inputs >> i) & 1u; }

// Central differences of the scalar function f with respect to every element of input i.
std::vector<double> numeric_gradient(const std::function<double(const std::vector<Tensor>&)>& f,
                                     std::vector<Tensor> xs, size_t i, double eps) {
  const Tensor x = xs[i];
  const std::vector<double> v = values(x);
  std::vector<double> g(v.size());
  for (size_t k = 0; k < v.size(); ++k) {
    xs[i] = with_element(x, static_cast<int64_t>(k), v[k] + eps);
    const double plus = f(xs);
    xs[i] = with_element(x, static_cast<int64_t>(k), v[k] - eps);
    const double minus = f(xs);
    g[k] = (plus - minus) / (2 * eps);
  }
  return g;
}

class GradCheck : public ::testing::TestWithParam<GradCase> {
 protected:
  void SetUp() override {
    const GradCase& c = GetParam();
    def_ = find_op(c.op);
    ASSERT_NE(def_, nullptr) << "case " << c.label << " names an op that is not in the registry";
    Rng rng(seed_of(c.label));
    for (size_t i = 0; i < c.shapes.size(); ++i)
      xs_.push_back(rng.tensor(c.shapes[i], i < c.domains.size() ? c.domains[i] : Domain::any));
    const Tensor out = c.fn(xs_);
    ASSERT_EQ(out.dtype(), DType::f64) << "gradient checks run in float64";
    w_ = rng.tensor(out.shape(), Domain::any);
    for (size_t i = 0; i < xs_.size(); ++i)
      if (differentiable(*def_, i)) v_.push_back(rng.tensor(xs_[i].shape(), Domain::any));
      else v_.push_back(Tensor());
  }

  // loss(x) = sum(f(x) * W)
  Tensor loss(const std::vector<Tensor>& xs) const {
    return ops::reduce_sum(ops::mul(GetParam().fn(xs), w_));
  }

  // d loss / d x_i for every input, through a tape of its own (recorded on any active tape).
  std::vector<Tensor> first_gradients(const std::vector<Tensor>& xs) const {
    Tape tape(false, false);
    tape.begin();
    std::vector<Differentiable> sources;
    for (const Tensor& x : xs) {
      tape.watch(x);
      sources.push_back(D(x));
    }
    const Tensor l = loss(xs);
    tape.end();
    return tape.gradient(std::vector<Differentiable>{D(l)}, sources);
  }

  // s(x) = sum_i sum(g_i(x) * V_i) over differentiable inputs; undefined gradients count as 0.
  Tensor projected_gradient(const std::vector<Tensor>& xs) const {
    const std::vector<Tensor> g = first_gradients(xs);
    Tensor s;
    for (size_t i = 0; i < xs.size(); ++i) {
      if (!v_[i] || !g[i]) continue;
      const Tensor term = ops::reduce_sum(ops::mul(g[i], v_[i]));
      s = s ? ops::add(s, term) : term;
    }
    return s ? s : testing::f64(0.0);
  }

  const OpDef* def_ = nullptr;
  std::vector<Tensor> xs_;
  Tensor w_;
  std::vector<Tensor> v_;
};

TEST_P(GradCheck, FirstDerivativeMatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  const std::vector<Tensor> g = first_gradients(xs_);
  ASSERT_EQ(g.size(), xs_.size());
  const auto f = [&](const std::vector<Tensor>& xs) { return loss(xs).item(); };
  for (size_t i = 0; i < xs_.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + " of shape " + xs_[i].shape().str());
    if (!differentiable(*def_, i)) {
      EXPECT_FALSE(g[i].defined()) << "input " << i << " is marked not differentiable";
      continue;
    }
    ASSERT_TRUE(g[i].defined()) << "no gradient for a differentiable input";
    EXPECT_EQ(g[i].shape(), xs_[i].shape());
    EXPECT_EQ(g[i].dtype(), DType::f64);
    EXPECT_TRUE(testing::all_close(values(g[i]), numeric_gradient(f, xs_, i, c.eps), c.rtol, c.atol));
  }
}

TEST_P(GradCheck, SecondDerivativeMatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  // Analytic: the inner tape's gradient computation is recorded on the outer tape.
  Tape outer(false, false);
  outer.begin();
  std::vector<Differentiable> sources;
  for (const Tensor& x : xs_) {
    outer.watch(x);
    sources.push_back(D(x));
  }
  const Tensor s = projected_gradient(xs_);
  outer.end();
  const std::vector<Tensor> h =
      outer.gradient(std::vector<Differentiable>{D(s)}, sources, {}, Unconnected::zero);
  ASSERT_EQ(h.size(), xs_.size());

  const auto f = [&](const std::vector<Tensor>& xs) { return projected_gradient(xs).item(); };
  for (size_t j = 0; j < xs_.size(); ++j) {
    if (!differentiable(*def_, j)) continue;
    SCOPED_TRACE("input " + std::to_string(j) + " of shape " + xs_[j].shape().str());
    ASSERT_TRUE(h[j].defined());
    EXPECT_EQ(h[j].shape(), xs_[j].shape());
    const std::vector<double> analytic = values(h[j]);
    if (c.zero_second_derivative) {
      EXPECT_EQ(analytic, std::vector<double>(analytic.size(), 0.0))
          << "a piecewise-linear op must have a zero second derivative";
    }
    EXPECT_TRUE(testing::all_close(analytic, numeric_gradient(f, xs_, j, c.eps), c.rtol, c.atol));
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, GradCheck, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<GradCase>& param_info) {
                           return param_info.param.label;
                         });

// ---- coverage -------------------------------------------------------------------------

TEST(GradCheckCoverage, EveryRuleOpHasACase) {
  std::set<std::string> covered;
  for (const GradCase& c : all_cases()) covered.insert(c.op);
  std::vector<std::string> missing;
  for (const OpDef* def : op_registry())
    if (def->differentiability == Differentiability::rule && !covered.count(std::string(def->name)))
      missing.emplace_back(def->name);
  std::string list;
  for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  EXPECT_TRUE(missing.empty()) << "ops with a gradient rule but no gradient-check case: " << list;
}

TEST(GradCheckCoverage, EveryCaseNamesARegisteredOpAndHasAUniqueLabel) {
  std::set<std::string> labels;
  for (const GradCase& c : all_cases()) {
    EXPECT_NE(find_op(c.op), nullptr) << c.label << ": unknown op " << c.op;
    EXPECT_TRUE(labels.insert(c.label).second) << "duplicate label " << c.label;
    EXPECT_EQ(c.shapes.size(), static_cast<size_t>(find_op(c.op) ? find_op(c.op)->arity : 0))
        << c.label;
  }
}

TEST(GradCheckCoverage, RegistryNamesAreUniqueAndFindable) {
  std::set<std::string_view> names;
  for (const OpDef* def : op_registry()) {
    EXPECT_TRUE(names.insert(def->name).second) << "duplicate op name " << def->name;
    EXPECT_EQ(find_op(def->name), def);
    EXPECT_NE(def->forward, nullptr) << def->name;
    if (def->differentiability == Differentiability::rule) {
      EXPECT_NE(def->backward, nullptr) << def->name;
    }
  }
  EXPECT_EQ(find_op("no_such_op"), nullptr);
}

// Each case must run its op (a case whose call short-circuits would check nothing): the op
// is recorded when its input is watched.
TEST(GradCheckCoverage, EveryCaseRecordsAnOp) {
  for (const GradCase& c : all_cases()) {
    std::vector<Tensor> xs;
    for (const Shape& s : c.shapes) xs.push_back(Tensor::full(s, DType::f64, 1.0));
    Tape tape(false, false);
    tape.begin();
    for (const Tensor& x : xs) tape.watch(x);
    (void)c.fn(xs);
    tape.end();
    EXPECT_GE(tape.num_records(), 1u) << c.label << " recorded nothing";
  }
}

}  // namespace
}  // namespace tg
