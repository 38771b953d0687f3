// SPDX-License-Identifier: Apache-2.0
// Ops: thin shims over src/autodiff/ops.h. Each checks its handles and arrays, runs the op
// (which records it on the active tapes) and writes the new tensor handle last.
#include <cstdint>
#include <cstring>
#include <span>

#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::dtype_arg;
using tg::capi::new_tensor_handle;

using tg::capi::int64_array_arg;
using tg::capi::rank_array_arg;
using tg::Status;
using tg::Tensor;




}  // namespace

extern "C" {

// ---- elementwise binary ----

tg_status tg_add(const tg_tensor* a, const tg_tensor* b, tg_tensor** out) {
  return tg::capi::guard("tg_add", [&] {
    const Tensor& ta = tensor_arg(a, "a");
    const Tensor& tb = tensor_arg(b, "b");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::add(ta, tb));
    o = h;
  });
}

tg_status tg_sub(const tg_tensor* a, const tg_tensor* b, tg_tensor** out) {
  return tg::capi::guard("tg_sub", [&] {
    const Tensor& ta = tensor_arg(a, "a");
    const Tensor& tb = tensor_arg(b, "b");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::sub(ta, tb));
    o = h;
  });
}

tg_status tg_mul(const tg_tensor* a, const tg_tensor* b, tg_tensor** out) {
  return tg::capi::guard("tg_mul", [&] {
    const Tensor& ta = tensor_arg(a, "a");
    const Tensor& tb = tensor_arg(b, "b");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::mul(ta, tb));
    o = h;
  });
}

tg_status tg_div(const tg_tensor* a, const tg_tensor* b, tg_tensor** out) {
  return tg::capi::guard("tg_div", [&] {
    const Tensor& ta = tensor_arg(a, "a");
    const Tensor& tb = tensor_arg(b, "b");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::div(ta, tb));
    o = h;
  });
}

// ---- elementwise unary ----

tg_status tg_neg(const tg_tensor* x, tg_tensor** out) {
  return tg::capi::guard("tg_neg", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::neg(tx));
    o = h;
  });
}

tg_status tg_exp(const tg_tensor* x, tg_tensor** out) {
  return tg::capi::guard("tg_exp", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::exp(tx));
    o = h;
  });
}

tg_status tg_log(const tg_tensor* x, tg_tensor** out) {
  return tg::capi::guard("tg_log", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::log(tx));
    o = h;
  });
}

tg_status tg_relu(const tg_tensor* x, tg_tensor** out) {
  return tg::capi::guard("tg_relu", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::relu(tx));
    o = h;
  });
}

// ---- matmul ----

tg_status tg_matmul(const tg_tensor* a, const tg_tensor* b, int transpose_a, int transpose_b,
                    tg_tensor** out) {
  return tg::capi::guard("tg_matmul", [&] {
    const Tensor& ta = tensor_arg(a, "a");
    const Tensor& tb = tensor_arg(b, "b");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::matmul(ta, tb, transpose_a != 0, transpose_b != 0));
    o = h;
  });
}

// ---- reductions and softmax ----

tg_status tg_reduce_sum(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                        tg_tensor** out) {
  return tg::capi::guard("tg_reduce_sum", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto ax = int64_array_arg(axes, num_axes, "axes", "num_axes");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::reduce_sum(tx, ax, keepdims != 0));
    o = h;
  });
}

tg_status tg_reduce_mean(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                         tg_tensor** out) {
  return tg::capi::guard("tg_reduce_mean", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto ax = int64_array_arg(axes, num_axes, "axes", "num_axes");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::reduce_mean(tx, ax, keepdims != 0));
    o = h;
  });
}

tg_status tg_softmax(const tg_tensor* x, int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_softmax", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::softmax(tx, axis));
    o = h;
  });
}

tg_status tg_log_softmax(const tg_tensor* x, int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_log_softmax", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::log_softmax(tx, axis));
    o = h;
  });
}

// ---- movement and type ----

tg_status tg_reshape(const tg_tensor* x, const int64_t* shape, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_reshape", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto dims = rank_array_arg(shape, rank, "shape");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::reshape(tx, dims));
    o = h;
  });
}

tg_status tg_transpose(const tg_tensor* x, const int64_t* perm, int rank, tg_tensor** out) {
  return tg::capi::guard("tg_transpose", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto p = rank_array_arg(perm, rank, "perm");  // empty: reverse the axes
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::transpose(tx, p));
    o = h;
  });
}

tg_status tg_cast(const tg_tensor* x, tg_dtype dtype, tg_tensor** out) {
  return tg::capi::guard("tg_cast", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const tg::DType dt = dtype_arg(dtype);
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::cast(tx, dt));
    o = h;
  });
}

}  // extern "C"
