// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases for the ops of the foundation: arithmetic, matmul, reductions,
// softmax, movement and cast.
#include <cmath>

#include "gradcheck_cases.h"

namespace tg {

using testing::D;
using testing::values;

std::vector<GradCase> core_grad_cases() {
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


}  // namespace tg
