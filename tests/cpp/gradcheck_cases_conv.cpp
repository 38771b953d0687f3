// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: convolutions (conv2d, its two gradient ops, conv1d on conv2d's
// path). Each op is bilinear, so the second derivative checks the cross terms, which are
// the other two ops. The shapes are small (finite differences touch every element) but
// cover every geometry branch: valid and same padding with odd and even sizes, strides,
// dilation, groups, depthwise, the 1×1 fast path, causal padding.
#include "gradcheck_cases.h"

namespace tg {

namespace {

using ops::Conv2dOptions;
using ops::Padding;

struct Conv2dCase {
  std::string name;
  Shape input, filters;
  Conv2dOptions options;
};

std::vector<Conv2dCase> conv2d_geometries() {
  const auto opt = [](int64_t sh, int64_t sw, Padding p, int64_t dh = 1, int64_t dw = 1) {
    return Conv2dOptions{sh, sw, p, dh, dw};
  };
  return {
      {"valid_3x3", {1, 5, 5, 2}, {3, 3, 2, 3}, opt(1, 1, Padding::valid)},
      {"valid_batch2_rect", {2, 4, 5, 1}, {2, 3, 1, 2}, opt(1, 1, Padding::valid)},
      {"same_odd_stride2", {1, 5, 5, 1}, {3, 3, 1, 2}, opt(2, 2, Padding::same)},  // pads (1,1)
      {"same_even_stride2", {1, 4, 4, 2}, {3, 3, 2, 1}, opt(2, 2, Padding::same)},  // pads (0,1)
      {"same_even_kernel", {1, 4, 3, 1}, {2, 2, 1, 2}, opt(1, 1, Padding::same)},  // pads (0,1)
      {"valid_strides_2_1", {1, 5, 4, 2}, {2, 2, 2, 2}, opt(2, 1, Padding::valid)},
      {"valid_stride3_uncovered", {1, 5, 5, 1}, {2, 2, 1, 1}, opt(3, 3, Padding::valid)},
      {"dilation_2_1_valid", {1, 6, 5, 2}, {2, 3, 2, 2}, opt(1, 1, Padding::valid, 2, 1)},
      {"dilation_2_same", {1, 5, 5, 1}, {3, 2, 1, 2}, opt(1, 1, Padding::same, 2, 2)},
      {"groups2", {1, 4, 4, 4}, {3, 3, 2, 4}, opt(1, 1, Padding::same)},
      {"depthwise_multiplier2", {1, 4, 4, 3}, {3, 3, 1, 6}, opt(1, 1, Padding::valid)},
      {"pointwise", {2, 3, 3, 4}, {1, 1, 4, 3}, opt(1, 1, Padding::valid)},
      {"pointwise_groups2", {1, 3, 2, 4}, {1, 1, 2, 4}, opt(1, 1, Padding::same)},
      {"pointwise_stride2", {1, 4, 4, 2}, {1, 1, 2, 2}, opt(2, 2, Padding::valid)},
  };
}

// The gradient-op cases run the op on a random out_backprop of the right shape.
Shape output_shape(const Conv2dCase& k) {
  return ops::conv2d(Tensor::zeros(k.input, DType::f64), Tensor::zeros(k.filters, DType::f64),
                     k.options)
      .shape();
}

}  // namespace

std::vector<GradCase> conv_grad_cases() {
  std::vector<GradCase> cases;
  for (const Conv2dCase& k : conv2d_geometries()) {
    const Conv2dOptions o = k.options;
    GradCase c;
    c.label = "conv2d_" + k.name;
    c.op = "conv2d";
    c.shapes = {k.input, k.filters};
    c.fn = [o](const std::vector<Tensor>& x) { return ops::conv2d(x[0], x[1], o); };
    cases.push_back(c);

    // with a bias (O), added inside the op
    c.label = "conv2d_bias_" + k.name;
    c.shapes = {k.input, k.filters, Shape{k.filters[3]}};
    c.fn = [o](const std::vector<Tensor>& x) { return ops::conv2d(x[0], x[1], o, x[2]); };
    cases.push_back(c);

    c.label = "conv2d_backprop_input_" + k.name;
    c.op = "conv2d_backprop_input";
    c.shapes = {k.filters, output_shape(k)};
    c.fn = [o, s = k.input](const std::vector<Tensor>& x) {
      return ops::conv2d_backprop_input(s, x[0], x[1], o);
    };
    cases.push_back(c);

    c.label = "conv2d_backprop_filter_" + k.name;
    c.op = "conv2d_backprop_filter";
    c.shapes = {k.input, output_shape(k)};
    c.fn = [o, s = k.filters](const std::vector<Tensor>& x) {
      return ops::conv2d_backprop_filter(x[0], s, x[1], o);
    };
    cases.push_back(c);
  }

  // conv1d: (N, W, C) with (K, C/G, O); runs as conv2d.
  struct Conv1dCase {
    std::string name;
    Shape input, filters;
    int64_t stride;
    Padding padding;
    int64_t dilation;
  };
  const std::vector<Conv1dCase> conv1ds = {
      {"valid", {2, 6, 2}, {3, 2, 3}, 1, Padding::valid, 1},
      {"same_stride2", {1, 6, 1}, {3, 1, 2}, 2, Padding::same, 1},
      {"causal", {1, 5, 2}, {3, 2, 2}, 1, Padding::causal, 1},
      {"causal_dilation2", {1, 6, 1}, {2, 1, 2}, 1, Padding::causal, 2},
      {"groups2", {1, 5, 4}, {2, 2, 2}, 1, Padding::valid, 1},
  };
  for (const Conv1dCase& k : conv1ds) {
    GradCase c;
    c.label = "conv1d_" + k.name;
    c.op = "conv2d";
    c.shapes = {k.input, k.filters};
    c.fn = [k](const std::vector<Tensor>& x) {
      return ops::conv1d(x[0], x[1], k.stride, k.padding, k.dilation);
    };
    cases.push_back(c);
    c.label = "conv1d_bias_" + k.name;
    c.shapes = {k.input, k.filters, Shape{k.filters[2]}};
    c.fn = [k](const std::vector<Tensor>& x) {
      return ops::conv1d(x[0], x[1], k.stride, k.padding, k.dilation, x[2]);
    };
    cases.push_back(c);
  }
  return cases;
}

}  // namespace tg
