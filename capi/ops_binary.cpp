// SPDX-License-Identifier: Apache-2.0
// Binary math, comparisons, logic and selection: thin shims over the binary family of
// src/autodiff/ops.h (ops/binary.h). Each checks its handles, runs the op (which records it
// on the active tapes) and writes the new tensor handle last.
#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::new_tensor_handle;

using tg::Tensor;



using Binary = Tensor (*)(const Tensor&, const Tensor&);

// The shared body of the two-input shims.
tg_status binary_shim(const char* function, Binary op, const tg_tensor* x, const tg_tensor* y,
                      tg_tensor** out) {
  return tg::capi::guard(function, [&] {
    const Tensor& tx = tensor_arg(x, "x");
    const Tensor& ty = tensor_arg(y, "y");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(tx, ty));
    o = h;
  });
}

}  // namespace

extern "C" {

tg_status tg_pow(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_pow", tg::ops::pow, x, y, out);
}

tg_status tg_maximum(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_maximum", tg::ops::maximum, x, y, out);
}

tg_status tg_minimum(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_minimum", tg::ops::minimum, x, y, out);
}

tg_status tg_squared_difference(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_squared_difference", tg::ops::squared_difference, x, y, out);
}

tg_status tg_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_equal", tg::ops::equal, x, y, out);
}

tg_status tg_not_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_not_equal", tg::ops::not_equal, x, y, out);
}

tg_status tg_less(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_less", tg::ops::less, x, y, out);
}

tg_status tg_less_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_less_equal", tg::ops::less_equal, x, y, out);
}

tg_status tg_greater(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_greater", tg::ops::greater, x, y, out);
}

tg_status tg_greater_equal(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_greater_equal", tg::ops::greater_equal, x, y, out);
}

tg_status tg_logical_and(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_logical_and", tg::ops::logical_and, x, y, out);
}

tg_status tg_logical_or(const tg_tensor* x, const tg_tensor* y, tg_tensor** out) {
  return binary_shim("tg_logical_or", tg::ops::logical_or, x, y, out);
}

tg_status tg_logical_not(const tg_tensor* x, tg_tensor** out) {
  return tg::capi::guard("tg_logical_not", [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::logical_not(tx));
    o = h;
  });
}

tg_status tg_where(const tg_tensor* condition, const tg_tensor* x, const tg_tensor* y,
                   tg_tensor** out) {
  return tg::capi::guard("tg_where", [&] {
    const Tensor& tc = tensor_arg(condition, "condition");
    const Tensor& tx = tensor_arg(x, "x");
    const Tensor& ty = tensor_arg(y, "y");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::where(tc, tx, ty));
    o = h;
  });
}

tg_status tg_clip_by_value(const tg_tensor* t, const tg_tensor* clip_value_min,
                           const tg_tensor* clip_value_max, tg_tensor** out) {
  return tg::capi::guard("tg_clip_by_value", [&] {
    const Tensor& tt = tensor_arg(t, "t");
    const Tensor& lo = tensor_arg(clip_value_min, "clip_value_min");
    const Tensor& hi = tensor_arg(clip_value_max, "clip_value_max");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::clip_by_value(tt, lo, hi));
    o = h;
  });
}

}  // extern "C"
