// SPDX-License-Identifier: Apache-2.0
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

using tg::capi::dtype_arg;
using tg::capi::shape_arg;
using tg::capi::new_tensor_handle;

using tg::DType;
using tg::Shape;
using tg::Status;
using tg::Tensor;




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
