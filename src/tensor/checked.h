/* SPDX-License-Identifier: Apache-2.0 */
// Checked arithmetic for every size, shape and count the library computes from its callers'
// numbers (dimensions, multiples, paddings, offsets, step counters). The GCC/Clang overflow
// builtins do the arithmetic; an overflow becomes Error(invalid_argument) whose message names
// the op and the data: "tile: dimension 1 of (3,5) times multiple 4611686018427387904
// overflows int64". The context is formatted only on overflow, so the checks cost one branch.
#pragma once

#include <cstdint>
#include <utility>

#include "tensor/error.h"

namespace tg {

template <class... Args>
[[noreturn]] void fail_overflow(const char* op, const char* operation, int64_t a, int64_t b,
                                fmt::format_string<Args...> context, Args&&... args) {
  fail(Status::invalid_argument, "{}: {} overflows int64 ({} {} {})", op,
       fmt::format(context, std::forward<Args>(args)...), a, operation, b);
}

// a + b; `op` and `context` (a format string and its arguments) name what is computed.
template <class... Args>
int64_t checked_add(int64_t a, int64_t b, const char* op, fmt::format_string<Args...> context, Args&&... args) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) [[unlikely]]
    fail_overflow(op, "+", a, b, context, std::forward<Args>(args)...);
  return r;
}

// a - b.
template <class... Args>
int64_t checked_sub(int64_t a, int64_t b, const char* op, fmt::format_string<Args...> context, Args&&... args) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) [[unlikely]]
    fail_overflow(op, "-", a, b, context, std::forward<Args>(args)...);
  return r;
}

// a * b.
template <class... Args>
int64_t checked_mul(int64_t a, int64_t b, const char* op, fmt::format_string<Args...> context, Args&&... args) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) [[unlikely]]
    fail_overflow(op, "*", a, b, context, std::forward<Args>(args)...);
  return r;
}

}  // namespace tg
