// SPDX-License-Identifier: Apache-2.0
#include "nn/conv_utils.h"

#include <set>
#include <string>

#include "nn/layer.h"

namespace tg {
namespace {

// Python's a // b for b > 0 (rounds toward −∞).
int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && a < 0); }

}  // namespace

void check_tuple(std::span<const int64_t> values, const char* name, bool allow_zero) {
  std::set<int64_t> bad;
  for (const int64_t v : values)
    if (allow_zero ? v < 0 : v <= 0) bad.insert(v);
  if (bad.empty()) return;
  std::string set;
  for (const int64_t v : bad) set += (set.empty() ? "" : ", ") + std::to_string(v);
  fail(Status::invalid_argument, "The `{}` argument must be a tuple of {} integers. Received {}={} including {{{}}} "
       "that does not satisfy the requirement `{}`.", name, values.size(), name, int_tuple_str(values), set,
       allow_zero ? ">= 0" : "> 0");
}

void check_padding(ops::Padding padding, bool causal_allowed, std::string_view owner) {
  switch (padding) {
    case ops::Padding::valid:
    case ops::Padding::same: return;
    case ops::Padding::causal:
      if (causal_allowed) return;
      fail(Status::invalid_argument, "{}: Causal padding is only supported for `Conv1D` and `SeparableConv1D`.",
           owner);
  }
  fail(Status::invalid_argument, "{}: The `padding` argument must be one of \"valid\", \"same\" (or \"causal\", only "
       "for `Conv1D`). Received: {}", owner, static_cast<int>(padding));
}

int64_t conv_output_length(int64_t length, int64_t kernel, ops::Padding padding, int64_t stride,
                           int64_t dilation) {
  if (length == kUnknownDim) return kUnknownDim;
  int64_t k_eff = 0;
  if (__builtin_mul_overflow(kernel - 1, dilation, &k_eff) || __builtin_add_overflow(k_eff, 1, &k_eff))
    fail(Status::invalid_argument, "a window of {} cells with dilation {} is too large (its size overflows int64)",
         kernel, dilation);
  // Keras: (output_length + stride − 1) // stride, with output_length = length for same/causal
  // and length − k_eff + 1 for valid; written so that nothing can overflow.
  if (padding != ops::Padding::valid) return length / stride + (length % stride != 0);
  if (length < k_eff) return floor_div(length - k_eff + 1 - 1, stride) + 1;
  return (length - k_eff) / stride + 1;
}

}  // namespace tg
