/* SPDX-License-Identifier: Apache-2.0 */
// Element types. float32 is the default, as in Keras; integers are labels and indices and
// are never differentiated.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tensor/error.h"

namespace tg {

// Values mirror tg_dtype in include/tapegrad/tapegrad.h.
enum class DType : int { f32 = 0, f64 = 1, i32 = 2, i64 = 3, boolean = 4 };

constexpr size_t dtype_size(DType d) {
  switch (d) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
    case DType::boolean: return 1;
  }
  return 0;
}

constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
    case DType::boolean: return "bool";
  }
  return "invalid";
}

constexpr bool is_floating(DType d) { return d == DType::f32 || d == DType::f64; }
constexpr bool is_valid_dtype(int d) { return d >= 0 && d <= 4; }

template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::f32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::f64; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::i32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::i64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::boolean; };

// Calls f.template operator()<T>() with the C++ type of d. `what` names the caller in errors.
template <class F>
decltype(auto) visit_dtype(DType d, F&& f) {
  switch (d) {
    case DType::f32: return f.template operator()<float>();
    case DType::f64: return f.template operator()<double>();
    case DType::i32: return f.template operator()<int32_t>();
    case DType::i64: return f.template operator()<int64_t>();
    case DType::boolean: return f.template operator()<bool>();
  }
  fail(Status::internal, "invalid dtype {}", static_cast<int>(d));
}

// Same, restricted to float32/float64; other dtypes are an error naming the op.
template <class F>
decltype(auto) visit_floating(DType d, std::string_view op, F&& f) {
  switch (d) {
    case DType::f32: return f.template operator()<float>();
    case DType::f64: return f.template operator()<double>();
    default:
      fail(Status::invalid_argument, "{}: expected a floating dtype (float32 or float64), got {}",
           op, dtype_name(d));
  }
}

// Same, for the numeric dtypes (everything but bool).
template <class F>
decltype(auto) visit_numeric(DType d, std::string_view op, F&& f) {
  switch (d) {
    case DType::f32: return f.template operator()<float>();
    case DType::f64: return f.template operator()<double>();
    case DType::i32: return f.template operator()<int32_t>();
    case DType::i64: return f.template operator()<int64_t>();
    default:
      fail(Status::invalid_argument, "{}: expected a numeric dtype, got {}", op, dtype_name(d));
  }
}

}  // namespace tg
