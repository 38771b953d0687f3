// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: normalization. The fused op and its two gradient ops with per-channel
// groups (batch norm) and per-row groups (layer norm); the second-order check of the gradient
// ops is the third derivative of the normalization. Then the composites: inference-mode
// batch_normalization and layer_normalization over trailing and non-trailing axes.
#include "gradcheck_cases.h"

namespace tg {

namespace {

using ops::NormSpec;

struct Grouping {
  std::string name;
  Shape x, group;
  NormSpec spec;
};

std::vector<Grouping> groupings() {
  return {
      {"per_channel_2d", {4, 3}, {3}, {-1, false, 1e-3}},
      {"per_channel_4d", {2, 3, 2, 2}, {2}, {-1, false, 1e-3}},
      {"per_channel_rank1", {3}, {3}, {-1, false, 1e-3}},  // one value per group: y = offset
      {"per_row_2d", {3, 4}, {3}, {1, true, 1e-3}},
      {"per_row_3d", {2, 3, 2}, {2}, {1, true, 0.5}},
      {"per_row_two_leading", {2, 2, 3}, {2, 2}, {-1, true, 1e-3}},
  };
}

}  // namespace

std::vector<GradCase> norm_grad_cases() {
  std::vector<GradCase> cases;
  for (const Grouping& k : groupings()) {
    const NormSpec spec = k.spec;
    GradCase c;
    c.label = "fused_batch_norm_" + k.name;
    c.op = "fused_batch_norm";
    c.shapes = {k.x, k.group, k.group};
    c.fn = [spec](const std::vector<Tensor>& x) { return ops::fused_normalize(x[0], x[1], x[2], spec); };
    cases.push_back(c);

    c.label = "fused_batch_norm_grad_input_" + k.name;
    c.op = "fused_batch_norm_grad_input";
    c.shapes = {k.x, k.x, k.group};
    c.fn = [spec](const std::vector<Tensor>& x) {
      return ops::fused_batch_norm_grad_input(x[0], x[1], x[2], spec);
    };
    cases.push_back(c);

    c.label = "fused_batch_norm_grad_scale_" + k.name;
    c.op = "fused_batch_norm_grad_scale";
    c.shapes = {k.x, k.x};
    c.fn = [spec](const std::vector<Tensor>& x) { return ops::fused_batch_norm_grad_scale(x[0], x[1], spec); };
    cases.push_back(c);
  }

  // the training-mode entry point (statistics returned beside y)
  {
    GradCase c;
    c.label = "fused_batch_norm_training_nhwc";
    c.op = "fused_batch_norm";
    c.shapes = {{2, 2, 3, 2}, {2}, {2}};
    c.fn = [](const std::vector<Tensor>& x) { return ops::fused_batch_norm(x[0], x[1], x[2], 1e-3).y; };
    cases.push_back(c);
  }

  // inference: (x − mean)·rsqrt(variance + ε)·scale + offset, every input differentiable
  {
    GradCase c;
    c.label = "batch_normalization_inference";
    c.op = "rsqrt";
    c.shapes = {{3, 2, 4}, {4}, {4}, {4}, {4}};
    c.domains = {Domain::any, Domain::any, Domain::positive, Domain::any, Domain::any};
    c.differentiable = {true, true, true, true, true};
    c.fn = [](const std::vector<Tensor>& x) {
      return ops::batch_normalization(x[0], x[1], x[2], x[3], x[4], 1e-3);
    };
    cases.push_back(c);
  }

  struct LayerNorm {
    std::string name;
    Shape x, param;
    std::vector<int64_t> axes;
  };
  for (const LayerNorm& k : std::vector<LayerNorm>{{"last_axis", {3, 5}, {5}, {-1}},
                                                   {"trailing_two", {2, 3, 2}, {3, 2}, {1, 2}},
                                                   {"middle_axis", {2, 3, 2}, {3}, {1}},
                                                   {"axes_0_2", {2, 2, 3}, {2, 3}, {2, 0}}}) {
    GradCase c;
    c.label = "layer_normalization_" + k.name;
    c.op = "fused_batch_norm";
    c.shapes = {k.x, k.param, k.param};
    c.fn = [axes = k.axes](const std::vector<Tensor>& x) {
      return ops::layer_normalization(x[0], x[1], x[2], axes, 1e-3);
    };
    cases.push_back(c);
  }
  return cases;
}

}  // namespace tg
