#include "autodiff/ops/window.h"

#include <algorithm>

#include "tensor/error.h"

namespace tg::ops {
namespace {

// a·b + c for non-negative operands, or an error naming what was being computed.
int64_t checked_mul_add(const char* op, const char* axis, int64_t a, int64_t b, int64_t c) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r))
    fail(Status::invalid_argument, "{}: the window along {} is too large (size overflows int64)",
         op, axis);
  return r;
}

int64_t effective_kernel(const char* op, const char* axis, int64_t kernel, int64_t dilation) {
  return checked_mul_add(op, axis, kernel - 1, dilation, 1);
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

WindowPads window_padding(const char* op, const char* axis, int64_t size, int64_t kernel,
                          int64_t stride, int64_t dilation, Padding padding) {
  check_window_param(op, "the window size", kernel);
  check_window_param(op, "the stride", stride);
  check_window_param(op, "the dilation rate", dilation);
  const int64_t k_eff = effective_kernel(op, axis, kernel, dilation);
  switch (padding) {
    case Padding::valid: return {};
    case Padding::causal: return {k_eff - 1, 0};
    case Padding::same: {
      if (size == 0) return {};
      const int64_t out = size / stride + (size % stride != 0);  // ⌈size/stride⌉
      // (out − 1)·stride < size, so only adding k_eff can overflow
      const int64_t total = std::max<int64_t>(0, checked_mul_add(op, axis, out - 1, stride, k_eff) - size);
      return {total / 2, total - total / 2};
    }
  }
  fail(Status::invalid_argument, "{}: invalid padding {}", op, static_cast<int>(padding));
}

int64_t window_output_size(const char* op, const char* axis, int64_t size, int64_t kernel,
                           int64_t stride, int64_t dilation, WindowPads pads) {
  check_window_param(op, "the window size", kernel);
  check_window_param(op, "the stride", stride);
  check_window_param(op, "the dilation rate", dilation);
  if (pads.before < 0 || pads.after < 0)
    fail(Status::invalid_argument, "{}: negative padding ({}, {}) along {}", op, pads.before,
         pads.after, axis);
  if (size == 0) return 0;
  const int64_t k_eff = effective_kernel(op, axis, kernel, dilation);
  const int64_t padded = checked_mul_add(op, axis, size, 1, pads.before);
  const int64_t total = checked_mul_add(op, axis, padded, 1, pads.after);
  if (total < k_eff)
    fail(Status::invalid_argument,
         "{}: the window along {} ({} cells{}) is larger than the {} ({} cells): the output would "
         "be empty",
         op, axis, k_eff, dilation > 1 ? ", dilated" : "",
         pads.before + pads.after > 0 ? "padded input" : "input", total);
  return (total - k_eff) / stride + 1;
}

}  // namespace tg::ops
