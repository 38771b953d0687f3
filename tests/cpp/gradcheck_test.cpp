// SPDX-License-Identifier: Apache-2.0
// Registry-driven gradient checks: every op in tg::op_registry() whose
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
#include "gradcheck_cases.h"
#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "test_util.h"

namespace tg {
namespace {

using testing::D;
using testing::values;

const std::vector<GradCase>& all_cases() {
  static const std::vector<GradCase> cases = [] {
    std::vector<GradCase> all;
    for (auto family : {core_grad_cases, elementwise_grad_cases, reduction_grad_cases, shape_grad_cases,
                         conv_grad_cases, pool_grad_cases,
                         norm_grad_cases})
      for (GradCase& c : family()) all.push_back(std::move(c));
    return all;
  }();
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

bool differentiable(const OpDef& def, size_t i) { return i < 32 && ((def.differentiable_inputs >> i) & 1u); }
bool differentiable(const GradCase& c, const OpDef& def, size_t i) {
  return c.differentiable.empty() ? differentiable(def, i) : c.differentiable.at(i);
}

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
      if (differentiable(c, *def_, i)) v_.push_back(rng.tensor(xs_[i].shape(), Domain::any));
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
    if (!differentiable(c, *def_, i)) {
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
    if (!differentiable(c, *def_, j)) continue;
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
    const OpDef* def = find_op(c.op);
    if (def && def->arity >= 0 && c.differentiable.empty()) {
      EXPECT_EQ(c.shapes.size(), static_cast<size_t>(def->arity)) << c.label;
    }
    if (!c.differentiable.empty()) {
      EXPECT_EQ(c.differentiable.size(), c.shapes.size()) << c.label;
    }
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
