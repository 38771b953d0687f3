// Creation: zeros, ones, range, eye and truncated-normal random tensors. Thin shims over
// src/autodiff/ops/creation.h and src/tensor/random.h: validate, compute into locals, write
// the out-parameter last.
#include <cstdint>
#include <cstring>
#include <span>

#include "autodiff/ops.h"
#include "handles.h"
#include "tensor/random.h"

namespace {

using tg::DType;
using tg::Shape;
using tg::Status;
using tg::Tensor;

// why memcpy: a C caller may pass any int; loading an out-of-range enum value is UB in C++.
DType dtype_arg(const tg_dtype& dtype) {
  int code;
  std::memcpy(&code, &dtype, sizeof code);
  if (!tg::is_valid_dtype(code))
    tg::fail(Status::invalid_argument, "dtype {} is not a tg_dtype (TG_FLOAT32 .. TG_BOOL)", code);
  return static_cast<DType>(code);
}

// A (shape, rank) pair from C: rank in [0, TG_MAX_RANK], shape non-NULL when rank > 0,
// every dimension >= 0.
Shape shape_arg(const int64_t* shape, int rank) {
  if (rank < 0 || rank > tg::kMaxRank)
    tg::fail(Status::invalid_argument, "shape: rank {} is outside [0, {}]", rank, tg::kMaxRank);
  if (!shape && rank > 0) tg::fail(Status::invalid_argument, "shape is NULL but rank is {}", rank);
  return Shape::from(std::span<const int64_t>(shape, static_cast<size_t>(rank)), "shape");
}

tg_tensor* new_tensor_handle(Tensor t) { return tg::capi::make_handle<tg_tensor>(std::move(t)); }

}  // namespace

extern "C" {

tg_status tg_zeros(tg_dtype dtype, const int64_t* shape, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_zeros", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    tg_tensor* h = new_tensor_handle(tg::ops::zeros(s, dt));
    o = h;
  });
}

tg_status tg_ones(tg_dtype dtype, const int64_t* shape, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_ones", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    tg_tensor* h = new_tensor_handle(tg::ops::ones(s, dt));
    o = h;
  });
}

tg_status tg_range(double start, double limit, double delta, tg_dtype dtype, tg_tensor** out) {
  return tg::capi::guard("tg_range", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    tg_tensor* h = new_tensor_handle(tg::ops::range(start, limit, delta, dt));
    o = h;
  });
}

tg_status tg_eye(int64_t num_rows, int64_t num_columns, tg_dtype dtype, tg_tensor** out) {
  return tg::capi::guard("tg_eye", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    tg_tensor* h = new_tensor_handle(tg::ops::eye(num_rows, num_columns, dt));
    o = h;
  });
}

tg_status tg_random_truncated_normal(tg_dtype dtype, const int64_t* shape, int rank, double mean,
                                     double stddev, uint64_t seed, tg_tensor** out) {
  return tg::capi::guard("tg_random_truncated_normal", [&] {
    tg_tensor*& o = tg::capi::require_out(out, "out");
    const DType dt = dtype_arg(dtype);
    const Shape s = shape_arg(shape, rank);
    tg_tensor* h = new_tensor_handle(tg::random_truncated_normal(s, dt, mean, stddev, seed));
    o = h;
  });
}

}  // extern "C"
