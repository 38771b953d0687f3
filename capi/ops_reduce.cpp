// SPDX-License-Identifier: Apache-2.0
// Reductions and arg-reductions: thin shims over the reduce family of src/autodiff/ops.h
// (ops/reduce.h). Each checks its handles and arrays, runs the op (which records it on the
// active tapes) and writes the new tensor handle last. (tg_matmul, batched, is in ops.cpp.)
#include <cstdint>
#include <span>

#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::new_tensor_handle;

using tg::capi::int64_array_arg;
using tg::capi::rank_array_arg;
using tg::Status;
using tg::Tensor;



using Reduction = Tensor (*)(const Tensor&, std::span<const int64_t>, bool);

// The shared body of the tg_reduce_* shims.
tg_status reduce_shim(const char* function, Reduction op, const tg_tensor* x, const int64_t* axes,
                      size_t num_axes, int keepdims, tg_tensor** out) {
  return tg::capi::guard(function, [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const auto ax = int64_array_arg(axes, num_axes, "axes", "num_axes");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(tx, ax, keepdims != 0));
    o = h;
  });
}

using ArgReduction = Tensor (*)(const Tensor&, int64_t);

tg_status arg_shim(const char* function, ArgReduction op, const tg_tensor* x, int64_t axis,
                   tg_tensor** out) {
  return tg::capi::guard(function, [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(tx, axis));
    o = h;
  });
}

}  // namespace

extern "C" {

tg_status tg_reduce_max(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                        tg_tensor** out) {
  return reduce_shim("tg_reduce_max", tg::ops::reduce_max, x, axes, num_axes, keepdims, out);
}

tg_status tg_reduce_min(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                        tg_tensor** out) {
  return reduce_shim("tg_reduce_min", tg::ops::reduce_min, x, axes, num_axes, keepdims, out);
}

tg_status tg_reduce_prod(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                         tg_tensor** out) {
  return reduce_shim("tg_reduce_prod", tg::ops::reduce_prod, x, axes, num_axes, keepdims, out);
}

tg_status tg_reduce_logsumexp(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                              tg_tensor** out) {
  return reduce_shim("tg_reduce_logsumexp", tg::ops::reduce_logsumexp, x, axes, num_axes,
                     keepdims, out);
}

tg_status tg_reduce_variance(const tg_tensor* x, const int64_t* axes, size_t num_axes, int keepdims,
                             tg_tensor** out) {
  return reduce_shim("tg_reduce_variance", tg::ops::reduce_variance, x, axes, num_axes, keepdims,
                     out);
}

tg_status tg_argmax(const tg_tensor* x, int64_t axis, tg_tensor** out) {
  return arg_shim("tg_argmax", tg::ops::argmax, x, axis, out);
}

tg_status tg_argmin(const tg_tensor* x, int64_t axis, tg_tensor** out) {
  return arg_shim("tg_argmin", tg::ops::argmin, x, axis, out);
}

}  // extern "C"
