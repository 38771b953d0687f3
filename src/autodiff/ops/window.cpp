// SPDX-License-Identifier: Apache-2.0
#include "autodiff/ops/window.h"

#include <algorithm>

#include "tensor/checked.h"
#include "tensor/error.h"

// A site's shapes in error messages: "input (1,5,5,1), filters (3,3,1,1)". A formatter rather
// than a string so that the checked helpers format it only when they fail.
template <>
struct fmt::formatter<tg::ops::WindowSite> : fmt::formatter<std::string_view> {
  auto format(const tg::ops::WindowSite& s, fmt::format_context& ctx) const {
    const std::string text = s.filters ? fmt::format("input {}, filters {}", s.input, *s.filters)
                                       : fmt::format("input {}", s.input);
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};

namespace tg::ops {
namespace {

// a·b + c, checked.
int64_t checked_mul_add(const WindowSite& s, const char* what, int64_t a, int64_t b, int64_t c) {
  const int64_t ab = checked_mul(a, b, s.op, "{} along {} ({})", what, s.axis, s);
  return checked_add(ab, c, s.op, "{} along {} ({})", what, s.axis, s);
}

int64_t effective_kernel(const WindowSite& s, int64_t kernel, int64_t dilation) {
  return checked_mul_add(s, "the dilated window", kernel - 1, dilation, 1);
}

void check_window_params(const char* op, int64_t kernel, int64_t stride, int64_t dilation) {
  check_window_param(op, "the window size", kernel);
  check_window_param(op, "the stride", stride);
  check_window_param(op, "the dilation rate", dilation);
}

}  // namespace

const char* padding_name(Padding p) {
  switch (p) {
    case Padding::valid: return "valid";
    case Padding::same: return "same";
    case Padding::causal: return "causal";
  }
  return "invalid";
}

void check_window_param(const char* op, const char* what, int64_t value) {
  if (value < 1) fail(Status::invalid_argument, "{}: {} must be >= 1, got {}", op, what, value);
}

WindowPads window_padding(const WindowSite& s, int64_t size, int64_t kernel, int64_t stride,
                          int64_t dilation, Padding padding) {
  check_window_params(s.op, kernel, stride, dilation);
  const int64_t k_eff = effective_kernel(s, kernel, dilation);
  switch (padding) {
    case Padding::valid: return {};
    case Padding::causal: return {k_eff - 1, 0};
    case Padding::same: {
      if (size == 0) return {};
      const int64_t out = size / stride + (size % stride != 0);  // ⌈size/stride⌉
      // (out − 1)·stride < size, so only adding k_eff can overflow
      const int64_t covered = checked_mul_add(s, "the 'same' padding", out - 1, stride, k_eff);
      const int64_t total = std::max<int64_t>(0, covered - size);
      return {total / 2, total - total / 2};
    }
  }
  fail(Status::invalid_argument, "{}: invalid padding {}", s.op, static_cast<int>(padding));
}

int64_t window_output_size(const WindowSite& s, int64_t size, int64_t kernel, int64_t stride,
                           int64_t dilation, WindowPads pads) {
  check_window_params(s.op, kernel, stride, dilation);
  if (pads.before < 0 || pads.after < 0)
    fail(Status::invalid_argument, "{}: negative padding ({}, {}) along {} ({})", s.op, pads.before,
         pads.after, s.axis, s);
  if (size == 0) return 0;
  const int64_t k_eff = effective_kernel(s, kernel, dilation);
  const int64_t padded = checked_add(size, pads.before, s.op, "the padded {} ({})", s.axis, s);
  const int64_t total = checked_add(padded, pads.after, s.op, "the padded {} ({})", s.axis, s);
  if (total < k_eff)
    fail(Status::invalid_argument,
         "{}: the window along {} ({} cells{}) is larger than the {} ({} cells): the output would "
         "be empty ({})",
         s.op, s.axis, k_eff, dilation > 1 ? ", dilated" : "",
         pads.before + pads.after > 0 ? "padded input" : "input", total, s);
  return (total - k_eff) / stride + 1;
}

}  // namespace tg::ops
