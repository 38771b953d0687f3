// SPDX-License-Identifier: Apache-2.0
// Creation ops: new tensors from a shape or a few scalars. They have no inputs, so no tape
// records them (TensorFlow's constants and ranges are never watched either).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "autodiff/ops.h"

namespace tg::ops {

Tensor zeros(const Shape& shape, DType dtype) { return Tensor::zeros(shape, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return Tensor::full(shape, dtype, 1.0); }

namespace {

// `value` as T, or an error if it is not exactly representable as the integer type T.
template <class T>
T range_arg(double value, const char* name, DType dtype) {
  if constexpr (std::is_integral_v<T>) {
    const bool fits = value >= static_cast<double>(std::numeric_limits<T>::lowest()) &&
                      value < -static_cast<double>(std::numeric_limits<T>::lowest());
    if (!fits || std::trunc(value) != value)
      fail(Status::invalid_argument, "range: {} {} is not a whole number that fits in {}", name,
           value, dtype_name(dtype));
  } else if (!std::isfinite(value)) {
    fail(Status::invalid_argument, "range: {} must be finite, got {}", name, value);
  }
  return static_cast<T>(value);
}

}  // namespace

Tensor range(double start_v, double limit_v, double delta_v, DType dtype) {
  if (dtype == DType::boolean) fail(Status::invalid_argument, "range: dtype bool is not supported");
  return visit_numeric(dtype, "range", [&]<class T>() {
    const T start = range_arg<T>(start_v, "start", dtype);
    const T limit = range_arg<T>(limit_v, "limit", dtype);
    const T delta = range_arg<T>(delta_v, "delta", dtype);
    // TensorFlow's RangeOp checks and size formula, in T.
    if (delta == T(0)) fail(Status::invalid_argument, "range: Requires delta != 0: {}", delta);
    if (delta > T(0) && start > limit)
      fail(Status::invalid_argument, "range: Requires start <= limit when delta > 0: {}/{}", start, limit);
    if (delta < T(0) && start < limit)
      fail(Status::invalid_argument, "range: Requires start >= limit when delta < 0: {}/{}", start, limit);
    double size_d;
    if constexpr (std::is_integral_v<T>) {
      // ceil(|limit − start| / |delta|) exactly, in unsigned arithmetic (no overflow).
      using U = std::make_unsigned_t<T>;
      const auto magnitude = [](T v) { return v < 0 ? static_cast<U>(U(0) - static_cast<U>(v)) : static_cast<U>(v); };
      const U span = start <= limit ? static_cast<U>(static_cast<U>(limit) - static_cast<U>(start))
                                    : static_cast<U>(static_cast<U>(start) - static_cast<U>(limit));
      const U step = magnitude(delta);
      size_d = static_cast<double>(span / step + (span % step != 0 ? 1 : 0));
    } else {
      size_d = static_cast<double>(std::ceil(std::abs((limit - start) / delta)));
    }
    if (!(size_d <= static_cast<double>(kMaxElements)))
      fail(Status::invalid_argument, "range: ({} - {}) / {} gives {} elements, more than the limit {}",
           limit, start, delta, size_d, kMaxElements);
    const int64_t size = static_cast<int64_t>(size_d);
    Tensor out = Tensor::empty(Shape{size}, dtype);
    T* p = out.mutable_data<T>();
    T v = start;
    for (int64_t i = 0; i < size; ++i) {  // accumulated, as TensorFlow's RangeFunctor
      p[i] = v;
      if constexpr (std::is_integral_v<T>) v = static_cast<T>(static_cast<std::make_unsigned_t<T>>(v) + static_cast<std::make_unsigned_t<T>>(delta));
      else v += delta;
    }
    return out;
  });
}

Tensor eye(int64_t num_rows, int64_t num_columns, DType dtype) {
  if (num_rows < 0)
    fail(Status::invalid_argument, "eye: num_rows must be >= 0, got {}", num_rows);
  if (num_columns == -1) num_columns = num_rows;
  if (num_columns < 0)
    fail(Status::invalid_argument, "eye: num_columns must be >= 0 (or -1 for num_rows), got {}",
         num_columns);
  Tensor out = Tensor::zeros(Shape{num_rows, num_columns}, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = out.mutable_data<T>();
    for (int64_t i = 0, n = std::min(num_rows, num_columns); i < n; ++i) p[i * num_columns + i] = T(1);
  });
  return out;
}

}  // namespace tg::ops
