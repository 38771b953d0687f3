// SPDX-License-Identifier: Apache-2.0
// Gradient-check cases: shape ops: concat, stack, split, slice, pad, strided_slice(_grad),
// gather(_grad), tile. All of them are linear in their differentiable inputs, so every case
// also asserts an exactly-zero second derivative.
#include <algorithm>

#include "gradcheck_cases.h"

namespace tg {

std::vector<GradCase> shape_grad_cases() {
  std::vector<GradCase> cases;

  // concat: two and three inputs, every axis (negative too), unequal sizes along the axis.
  struct Concat {
    std::vector<Shape> shapes;
    int64_t axis;
  };
  const std::vector<Concat> concats = {
      {{{2, 3}, {4, 3}}, 0},          {{{2, 3}, {2, 1}, {2, 2}}, 1},  {{{2, 3}, {2, 2}}, -1},
      {{{5}, {2}}, 0},                {{{2, 1, 3}, {2, 2, 3}}, 1},    {{{2, 3, 1}, {2, 3, 2}}, -1},
      {{{1, 2, 2}, {3, 2, 2}, {1, 2, 2}}, -3},
  };
  for (const Concat& k : concats) {
    std::string label = "concat";
    for (const Shape& s : k.shapes) label.append("_").append(shape_label(s));
    label.append("_axis_").append(axes_label({k.axis}));
    cases.push_back(linear_case(label, "concat", k.shapes, [axis = k.axis](const std::vector<Tensor>& x) {
      return ops::concat(x, axis);
    }));
  }

  // stack (composite: expand_dims + concat): new first, middle, last and negative axis.
  const std::vector<std::pair<Shape, int64_t>> stacks = {
      {{3}, 0}, {{3}, 1}, {{2, 3}, 1}, {{2, 3}, -1}, {{2, 3}, -3}, {{}, 0},
  };
  for (const auto& [s, axis] : stacks) {
    cases.push_back(linear_case("stack_" + shape_label(s) + "_x3_axis_" + axes_label({axis}),
                                "concat", {s, s, s}, [axis = axis](const std::vector<Tensor>& x) {
                                  return ops::stack(x, axis);
                                }));
  }

  // split (composite of slices): the parts are concatenated back in a permuted order with
  // weights, so each part's gradient path is checked.
  struct Split {
    Shape shape;
    std::vector<int64_t> sizes;  // empty: split into 3 equal parts
    int64_t axis;
  };
  const std::vector<Split> splits = {
      {{6, 2}, {}, 0}, {{2, 6}, {1, -1, 2}, 1}, {{2, 3, 4}, {3, 1}, -1}, {{5}, {2, 0, 3}, 0},
  };
  for (const Split& k : splits) {
    cases.push_back(linear_case(
        "split_" + shape_label(k.shape) + "_sizes_" + (k.sizes.empty() ? "3_equal" : axes_label(k.sizes)) +
            "_axis_" + axes_label({k.axis}),
        "slice", {k.shape}, [k](const std::vector<Tensor>& x) {
          std::vector<Tensor> parts = k.sizes.empty() ? ops::split(x[0], 3, k.axis)
                                                      : ops::split(x[0], k.sizes, k.axis);
          std::reverse(parts.begin(), parts.end());
          return ops::concat(parts, k.axis);
        }));
  }

  // slice: several ranks, -1 sizes, empty results, slices touching either end.
  struct Slice {
    Shape shape;
    std::vector<int64_t> begin, size;
  };
  const std::vector<Slice> slices = {
      {{5}, {1}, {3}},           {{5}, {2}, {-1}},           {{4, 3}, {1, 0}, {2, 3}},
      {{4, 3}, {0, 1}, {-1, 1}}, {{2, 3, 4}, {1, 1, 1}, {1, 2, 3}}, {{2, 3, 4}, {0, 2, 0}, {2, -1, 2}},
      {{3, 2}, {1, 0}, {0, 2}},
  };
  for (const Slice& k : slices) {
    cases.push_back(linear_case("slice_" + shape_label(k.shape) + "_begin_" + axes_label(k.begin) +
                                    "_size_" + axes_label(k.size),
                                "slice", {k.shape}, [k](const std::vector<Tensor>& x) {
                                  return ops::slice(x[0], k.begin, k.size);
                                }));
  }

  // pad: zero and nonzero constants (the constant has no gradient), one-sided pads.
  struct Pad {
    Shape shape;
    std::vector<int64_t> paddings;
    double value;
  };
  const std::vector<Pad> pads = {
      {{3}, {1, 2}, 0.0},          {{2, 3}, {1, 0, 0, 2}, 0.0},     {{2, 3}, {0, 0, 1, 1}, 1.5},
      {{2, 1, 3}, {1, 1, 2, 0, 0, 1}, -2.0},
  };
  for (const Pad& k : pads) {
    cases.push_back(linear_case("pad_" + shape_label(k.shape) + "_paddings_" + axes_label(k.paddings) +
                                    (k.value != 0.0 ? "_const" : ""),
                                "pad", {k.shape}, [k](const std::vector<Tensor>& x) {
                                  return ops::pad(x[0], k.paddings, k.value);
                                }));
  }

  // strided_slice: positive and negative strides, masks, shrink, new axes, ellipsis, empty.
  struct Strided {
    std::string name;
    Shape shape;
    std::vector<int64_t> begin, end, strides;
    ops::StridedSliceMasks masks;
  };
  const std::vector<Strided> strided = {
      {"step2", {7}, {1}, {6}, {2}, {}},
      {"reverse", {5}, {0}, {0}, {-1}, {.begin = 1, .end = 1}},
      {"neg_step2_neg_idx", {2, 6}, {0, -1}, {0, 0}, {1, -2}, {.begin = 1, .end = 1}},
      {"shrink_row", {3, 4}, {-2, 1}, {0, 4}, {1, 1}, {.shrink_axis = 1}},
      {"shrink_both", {3, 4}, {1, 2}, {2, 3}, {1, 1}, {.shrink_axis = 3}},
      {"new_axis_ellipsis", {2, 3, 4}, {0, 0, 1}, {0, 0, 4}, {1, 1, 2},
       {.ellipsis = 2, .new_axis = 1}},
      {"ellipsis_last_reversed", {2, 3, 4}, {0, -1}, {0, 0}, {1, -3}, {.end = 2, .ellipsis = 1}},
      {"clamped", {4, 3}, {-10, 1}, {10, 100}, {3, 1}, {}},
      {"partial_spec", {3, 2, 2}, {1}, {3}, {1}, {}},
  };
  for (const Strided& k : strided) {
    cases.push_back(linear_case("strided_slice_" + k.name + "_" + shape_label(k.shape), "strided_slice",
                                {k.shape}, [k](const std::vector<Tensor>& x) {
                                  return ops::strided_slice(x[0], k.begin, k.end, k.strides, k.masks);
                                }));
  }

  // strided_slice_grad on its own: g is the window, scattered into zeros of `shape`.
  struct StridedGrad {
    Shape window, shape;
    std::vector<int64_t> begin, strides;
  };
  const std::vector<StridedGrad> strided_grads = {
      {{3}, {7}, {1}, {2}},
      {{2, 3}, {3, 6}, {2, 5}, {-1, -2}},
      {{1, 2, 2}, {2, 3, 4}, {1, 0, 1}, {1, 2, 2}},
  };
  for (const StridedGrad& k : strided_grads) {
    cases.push_back(linear_case("strided_slice_grad_" + shape_label(k.window) + "_into_" +
                                    shape_label(k.shape) + "_strides_" + axes_label(k.strides),
                                "strided_slice_grad", {k.window}, [k](const std::vector<Tensor>& x) {
                                  return ops::strided_slice_grad(x[0], k.shape, k.begin, k.strides);
                                }));
  }

  // gather: every axis, rank-0/1/2 indices, duplicates (their gradients must add up), int32
  // and int64 indices. The indices are constants of the case; only params is an input.
  struct Gather {
    Shape params;
    Shape indices_shape;
    std::vector<double> indices;
    int64_t axis;
    DType dtype;
  };
  const std::vector<Gather> gathers = {
      {{5}, {4}, {3, 0, 3, 4}, 0, DType::i32},
      {{4, 3}, {3}, {2, 2, 0}, 0, DType::i64},
      {{4, 3}, {2, 2}, {1, 0, 2, 1}, 1, DType::i32},
      {{2, 3, 4}, {5}, {3, 3, 3, 0, 1}, -1, DType::i64},
      {{2, 3, 4}, {}, {2}, 1, DType::i32},
      {{3, 2}, {2, 3}, {0, 2, 0, 1, 1, 2}, -2, DType::i64},
  };
  for (const Gather& k : gathers) {
    const Tensor idx = testing::make(k.indices_shape, k.dtype, k.indices);
    const std::string suffix = "_idx_" + shape_label(k.indices_shape) + "_" +
                               std::string(dtype_name(k.dtype)) + "_axis_" + axes_label({k.axis});
    GradCase c = linear_case("gather_" + shape_label(k.params) + suffix, "gather", {k.params},
                             [idx, axis = k.axis](const std::vector<Tensor>& x) {
                               return ops::gather(x[0], idx, axis);
                             });
    c.differentiable = {true};
    cases.push_back(c);
    // gather_grad on its own: g has gather's output shape.
    const int a = static_cast<int>(k.axis < 0 ? k.axis + k.params.rank() : k.axis);
    Shape g;
    for (int d = 0; d < a; ++d) g.push_back(k.params[d]);
    for (int d = 0; d < k.indices_shape.rank(); ++d) g.push_back(k.indices_shape[d]);
    for (int d = a + 1; d < k.params.rank(); ++d) g.push_back(k.params[d]);
    c = linear_case("gather_grad_" + shape_label(g) + "_into_" + shape_label(k.params) + suffix,
                    "gather_grad", {g}, [idx, axis = k.axis, params = k.params](const std::vector<Tensor>& x) {
                      return ops::gather_grad(x[0], idx, axis, params);
                    });
    c.differentiable = {true};
    cases.push_back(c);
  }

  // tile: ranks 1-3, multiples of 1 (no split), 0 (empty result), and a rank-5 case whose
  // split view would exceed the maximum rank (the gradient sums one axis at a time).
  const std::vector<std::pair<Shape, std::vector<int64_t>>> tiles = {
      {{3}, {2}},          {{2, 3}, {2, 1}},         {{2, 3}, {1, 3}},
      {{2, 3}, {3, 2}},    {{2, 1, 2}, {2, 3, 1}},   {{2, 3}, {0, 2}},
      {{3, 1}, {2, 4}},
      {{2, 1, 2, 1, 2}, {2, 2, 1, 2, 2}},
  };
  for (const auto& [s, m] : tiles) {
    cases.push_back(linear_case("tile_" + shape_label(s) + "_by_" + axes_label(m), "tile", {s},
                                [m = m](const std::vector<Tensor>& x) { return ops::tile(x[0], m); }));
  }

  return cases;
}

}  // namespace tg
