/* SPDX-License-Identifier: Apache-2.0 */
// The gradient-check case table (see gradcheck_test.cpp for what is checked). Cases are
// grouped by op family, one function per family, so families can grow independently.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "test_util.h"

namespace tg {

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
  // Which case inputs get a gradient; empty means OpDef::differentiable_inputs decides.
  // Set it when fn passes extra constant inputs (indices, conditions) to the op itself.
  std::vector<bool> differentiable;
};

inline std::string shape_label(const Shape& s) {
  if (s.rank() == 0) return "scalar";
  std::string out;
  for (int i = 0; i < s.rank(); ++i) {
    if (i) out.append("x");
    out.append(std::to_string(s[i]));
  }
  return out;
}

inline std::string axes_label(const std::vector<int64_t>& axes) {
  if (axes.empty()) return "all";
  std::string out;
  for (int64_t a : axes) {
    if (!out.empty()) out.append("_");
    if (a < 0) out.append("m");
    out.append(std::to_string(a < 0 ? -a : a));
  }
  return out;
}

// A case for an op that is linear (or piecewise linear) in its differentiable inputs: the
// tape's second derivative must be exactly zero.
inline GradCase linear_case(std::string label, std::string op, std::vector<Shape> shapes, OpFn fn) {
  GradCase c;
  c.label = std::move(label);
  c.op = std::move(op);
  c.shapes = std::move(shapes);
  c.fn = std::move(fn);
  c.zero_second_derivative = true;
  return c;
}

// gtest prints a failing parameter with this instead of its bytes.
inline void PrintTo(const GradCase& c, std::ostream* os) { *os << c.label; }

// One function per op family (gradcheck_cases_<family>.cpp).
std::vector<GradCase> core_grad_cases();         // issue-2 ops: arithmetic, matmul, reductions, movement
std::vector<GradCase> elementwise_grad_cases();  // unary math, binary math, comparisons, where, clip
std::vector<GradCase> reduction_grad_cases();    // max/min/prod/logsumexp/variance, batched matmul, nn ops
std::vector<GradCase> shape_grad_cases();        // concat, stack, split, slice, gather, pad, tile, …
std::vector<GradCase> conv_grad_cases();         // conv2d, its gradient ops, conv1d
std::vector<GradCase> pool_grad_cases();         // max/avg pooling and their gradient ops, global pools
std::vector<GradCase> norm_grad_cases();         // batch / layer normalization and their gradient ops

}  // namespace tg
