// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: unary and binary math, comparisons, where, clip_by_value.
// Inputs stay off kinks and poles: sqrt / rsqrt / log1p and pow's base are positive, relu6,
// leaky_relu, elu and selu inputs are ±[0.5, 2] (scaled where both of relu6's kinks matter),
// maximum / minimum inputs are independent draws (never tied), clip bounds are
// −[0.5, 2] and [0.5, 2] around inputs in (−3, 3), and where's conditions are constants.
#include <cmath>

#include "gradcheck_cases.h"

namespace tg {

namespace {

using Fn1 = Tensor (*)(const Tensor&);

Tensor scalar(double v) { return Tensor::scalar(v, DType::f64); }

// A constant bool tensor of `shape`: element i is true when i % 3 != 1.
Tensor pattern(const Shape& shape) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = (i % 3 != 1) ? 1.0 : 0.0;
  return testing::make(shape, DType::boolean, v);
}

const std::vector<std::pair<Shape, Shape>>& broadcast_pairs() {
  static const std::vector<std::pair<Shape, Shape>> pairs = {
      {{2, 3}, {2, 3}}, {{2, 3}, {3}},    {{3}, {2, 3}},       {{2, 1}, {1, 3}},
      {{}, {2, 3}},     {{2, 3}, {}},     {{4, 1, 3}, {2, 1}}, {{}, {}},
  };
  return pairs;
}

}  // namespace

std::vector<GradCase> elementwise_grad_cases() {
  std::vector<GradCase> cases;
  const std::vector<Shape> unary_shapes = {Shape{2, 3}, Shape{}, Shape{2, 1, 2}};

  // ---- unary ops with a gradient rule ----
  struct Unary {
    const char* name;
    Fn1 fn;
    Domain domain;
    bool piecewise_linear;
  };
  for (const Unary& u : {Unary{"abs", ops::abs, Domain::nonzero, true},
                         Unary{"square", ops::square, Domain::any, false},
                         Unary{"sqrt", ops::sqrt, Domain::positive, false},
                         Unary{"rsqrt", ops::rsqrt, Domain::positive, false},
                         Unary{"expm1", ops::expm1, Domain::any, false},
                         Unary{"log1p", ops::log1p, Domain::positive, false},
                         Unary{"sin", ops::sin, Domain::logits, false},
                         Unary{"cos", ops::cos, Domain::logits, false},
                         Unary{"tanh", ops::tanh, Domain::logits, false},
                         Unary{"sigmoid", ops::sigmoid, Domain::logits, false},
                         Unary{"softplus", ops::softplus, Domain::logits, false},
                         Unary{"elu", ops::elu, Domain::nonzero, false},
                         Unary{"selu", ops::selu, Domain::nonzero, false},
                         Unary{"silu", ops::silu, Domain::logits, false},
                         Unary{"identity", ops::identity, Domain::any, true}}) {
    for (const Shape& s : unary_shapes) {
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
  for (const Shape& s : unary_shapes) {
    // relu6 on 4·(±[0.5, 2]) = ±[2, 8]: below 0, inside (0, 6) and above 6.
    GradCase c;
    c.label = "relu6_" + shape_label(s);
    c.op = "relu6";
    c.shapes = {s};
    c.domains = {Domain::nonzero};
    c.fn = [](const std::vector<Tensor>& x) { return ops::relu6(ops::mul(x[0], scalar(4))); };
    c.zero_second_derivative = true;
    cases.push_back(c);
    for (const auto& [alpha, name] : {std::pair{0.2, "0_2"}, std::pair{0.3, "0_3"},
                                      std::pair{-0.5, "m0_5"}}) {
      c.label = std::string("leaky_relu_alpha_") + name + "_" + shape_label(s);
      c.op = "leaky_relu";
      c.fn = [alpha = alpha](const std::vector<Tensor>& x) { return ops::leaky_relu(x[0], alpha); };
      cases.push_back(c);
    }
    for (bool approximate : {false, true}) {
      GradCase g;
      g.label = std::string("gelu_") + (approximate ? "tanh_" : "exact_") + shape_label(s);
      g.op = "gelu";
      g.shapes = {s};
      g.domains = {Domain::logits};
      g.fn = [approximate](const std::vector<Tensor>& x) { return ops::gelu(x[0], approximate); };
      cases.push_back(g);
    }
  }

  // ---- fused gradient ops: (g, y or x) of one shape ----
  for (const Shape& s : {Shape{2, 3}, Shape{5}}) {
    GradCase c;
    c.shapes = {s, s};
    c.label = "relu6_grad_" + shape_label(s);  // differentiable in g only
    c.op = "relu6_grad";
    c.domains = {Domain::any, Domain::nonzero};
    c.fn = [](const std::vector<Tensor>& x) {
      return ops::relu6_grad(x[0], ops::mul(x[1], scalar(4)));
    };
    c.zero_second_derivative = true;
    cases.push_back(c);
    c.label = "leaky_relu_grad_" + shape_label(s);
    c.op = "leaky_relu_grad";
    c.fn = [](const std::vector<Tensor>& x) { return ops::leaky_relu_grad(x[0], x[1], 0.2); };
    cases.push_back(c);
    c.zero_second_derivative = false;
    c.label = "elu_grad_" + shape_label(s);
    c.op = "elu_grad";
    c.fn = [](const std::vector<Tensor>& x) { return ops::elu_grad(x[0], x[1]); };
    cases.push_back(c);
    c.label = "selu_grad_" + shape_label(s);
    c.op = "selu_grad";
    c.fn = [](const std::vector<Tensor>& x) { return ops::selu_grad(x[0], x[1]); };
    cases.push_back(c);
    c.domains = {Domain::any, Domain::logits};
    for (bool approximate : {false, true}) {
      c.label = std::string("gelu_grad_") + (approximate ? "tanh_" : "exact_") + shape_label(s);
      c.op = "gelu_grad";
      c.fn = [approximate](const std::vector<Tensor>& x) {
        return ops::gelu_grad(x[0], x[1], approximate);
      };
      cases.push_back(c);
    }
    c.label = "silu_grad_" + shape_label(s);
    c.op = "silu_grad";
    c.fn = [](const std::vector<Tensor>& x) { return ops::silu_grad(x[0], x[1]); };
    cases.push_back(c);
  }

  // ---- binary ops, with broadcasting both ways ----
  struct Binary {
    const char* name;
    Tensor (*fn)(const Tensor&, const Tensor&);
    Domain a_domain;
    bool piecewise_linear;
  };
  for (const Binary& b : {Binary{"pow", ops::pow, Domain::positive, false},
                          Binary{"maximum", ops::maximum, Domain::any, true},
                          Binary{"minimum", ops::minimum, Domain::any, true},
                          Binary{"squared_difference", ops::squared_difference, Domain::any,
                                 false}}) {
    for (const auto& [sa, sb] : broadcast_pairs()) {
      GradCase c;
      c.label = std::string(b.name) + "_" + shape_label(sa) + "_with_" + shape_label(sb);
      c.op = b.name;
      c.shapes = {sa, sb};
      c.domains = {b.a_domain, Domain::any};
      c.fn = [f = b.fn](const std::vector<Tensor>& x) { return f(x[0], x[1]); };
      c.zero_second_derivative = b.piecewise_linear;
      cases.push_back(c);
    }
  }
  {
    // pow with a negative base and a constant integer exponent: d/dx only (the exponent's
    // gradient would need log(x); TF gives 0 there and the case does not ask for it).
    GradCase c;
    c.label = "pow_negative_base_cubed";
    c.op = "pow";
    c.shapes = {Shape{2, 3}};
    c.domains = {Domain::logits};
    c.fn = [](const std::vector<Tensor>& x) { return ops::pow(x[0], scalar(3)); };
    c.differentiable = {true};
    cases.push_back(c);
  }

  // ---- where: constant conditions, broadcasting of all three ----
  struct WhereShapes {
    Shape cond, x, y;
  };
  for (const WhereShapes& w : {WhereShapes{{2, 3}, {2, 3}, {2, 3}},
                               WhereShapes{{2, 1}, {3}, {}},
                               WhereShapes{{3}, {2, 1}, {2, 3}},
                               WhereShapes{{}, {2, 3}, {3}},
                               WhereShapes{{2, 3}, {}, {}},
                               WhereShapes{{4, 1, 3}, {2, 1}, {1, 3}}}) {
    GradCase c;
    c.label = "where_" + shape_label(w.cond) + "_" + shape_label(w.x) + "_" + shape_label(w.y);
    c.op = "where";
    c.shapes = {w.x, w.y};
    c.fn = [cond = pattern(w.cond)](const std::vector<Tensor>& x) {
      return ops::where(cond, x[0], x[1]);
    };
    c.zero_second_derivative = true;
    c.differentiable = {true, true};
    cases.push_back(c);
  }
  {
    // where(x < 0.25, x, x·x): each element follows the branch its own value selects.
    GradCase c;
    c.label = "where_branch_on_x";
    c.op = "where";
    c.shapes = {Shape{2, 3}};
    c.fn = [](const std::vector<Tensor>& x) {
      return ops::where(ops::less(x[0], scalar(0.25)), x[0], ops::mul(x[0], x[0]));
    };
    c.differentiable = {true};
    cases.push_back(c);
  }

  // ---- clip_by_value(t, −lo, hi), t in (−3, 3), lo and hi in [0.5, 2] ----
  struct ClipShapes {
    Shape t, lo, hi;
  };
  for (const ClipShapes& s : {ClipShapes{{2, 3}, {}, {}}, ClipShapes{{2, 3}, {2, 3}, {2, 3}},
                              ClipShapes{{2, 3}, {3}, {2, 1}}, ClipShapes{{4, 3}, {1, 3}, {}},
                              ClipShapes{{}, {}, {}}}) {
    GradCase c;
    c.label = "clip_by_value_" + shape_label(s.t) + "_" + shape_label(s.lo) + "_" +
              shape_label(s.hi);
    c.op = "clip_by_value";
    c.shapes = {s.t, s.lo, s.hi};
    c.domains = {Domain::logits, Domain::positive, Domain::positive};
    c.fn = [](const std::vector<Tensor>& x) {
      return ops::clip_by_value(x[0], ops::neg(x[1]), x[2]);
    };
    c.zero_second_derivative = true;
    cases.push_back(c);
  }
  return cases;
}

}  // namespace tg
