/* SPDX-License-Identifier: Apache-2.0 */
// Small helpers shared by the C++ tests: building tensors from literals, reading them back
// as doubles, and calling Tape::gradient with braced lists.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "tensor/tensor.h"

namespace tg::testing {

// A tensor of `dtype` and `shape` holding `values` (converted from double).
inline Tensor make(const Shape& shape, DType dtype, const std::vector<double>& values) {
  EXPECT_EQ(static_cast<int64_t>(values.size()), shape.numel()) << "make: wrong value count";
  Tensor t = Tensor::empty(shape, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = t.mutable_data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
  return t;
}
inline Tensor f32(const Shape& shape, const std::vector<double>& v) { return make(shape, DType::f32, v); }
inline Tensor f64(const Shape& shape, const std::vector<double>& v) { return make(shape, DType::f64, v); }
inline Tensor f32(double v) { return Tensor::scalar(v, DType::f32); }
inline Tensor f64(double v) { return Tensor::scalar(v, DType::f64); }

// The elements of t, converted to double, in row-major order.
inline std::vector<double> values(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  visit_dtype(t.dtype(), [&]<class T>() {
    const T* p = t.data<T>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(p[i]);
  });
  return out;
}

inline Differentiable D(const Tensor& t) { return Differentiable::of(t); }
inline Differentiable D(const std::shared_ptr<Variable>& v) { return Differentiable::of(v); }

// Tape::gradient with vectors, so tests can write grad(tape, {D(y)}, {D(x)}).
inline std::vector<Tensor> grad(Tape& tape, const std::vector<Differentiable>& targets,
                                const std::vector<Differentiable>& sources,
                                const std::vector<Tensor>& output_gradients = {},
                                Unconnected unconnected = Unconnected::none) {
  return tape.gradient(targets, sources, output_gradients, unconnected);
}

// Element-by-element comparison with |a - b| <= atol + rtol * max(|a|, |b|).
inline ::testing::AssertionResult all_close(const std::vector<double>& actual,
                                            const std::vector<double>& expected, double rtol,
                                            double atol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "size " << actual.size() << " != expected size " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i) {
    const double a = actual[i], e = expected[i];
    const double tol = atol + rtol * std::max(std::abs(a), std::abs(e));
    if (!(std::abs(a - e) <= tol))
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << a << ", expected " << e << " (|diff| "
             << std::abs(a - e) << " > tol " << tol << ")";
  }
  return ::testing::AssertionSuccess();
}

// The message of the tg::Error that f throws (its code in *code), or "(no error)".
inline std::string error_of(const std::function<void()>& f, Status* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "(no error)";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Expects f to throw a tg::Error with `code` whose message contains every piece.
template <class F>
void expect_error(F f, Status code, std::initializer_list<const char*> pieces) {
  Status got = Status::ok;
  const std::string message = error_of(f, &got);
  EXPECT_EQ(got, code) << message;
  for (const char* p : pieces) EXPECT_TRUE(contains(message, p)) << "lacks \"" << p << "\": " << message;
}

}  // namespace tg::testing
