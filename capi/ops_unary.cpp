// SPDX-License-Identifier: Apache-2.0
// Unary math and activations: thin shims over the unary family of src/autodiff/ops.h
// (ops/unary.h). Each checks its handle, runs the op (which records it on the active tapes)
// and writes the new tensor handle last.
#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::new_tensor_handle;

using tg::Tensor;



// The shared body of the shims: `op` maps the checked input tensor to the result.
template <class Op>
tg_status unary_shim(const char* function, const tg_tensor* x, tg_tensor** out, Op op) {
  return tg::capi::guard(function, [&] {
    const Tensor& tx = tensor_arg(x, "x");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(op(tx));
    o = h;
  });
}

using Unary = Tensor (*)(const Tensor&);

}  // namespace

extern "C" {

tg_status tg_abs(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_abs", x, out, static_cast<Unary>(tg::ops::abs));
}

tg_status tg_sign(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_sign", x, out, static_cast<Unary>(tg::ops::sign));
}

tg_status tg_square(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_square", x, out, static_cast<Unary>(tg::ops::square));
}

tg_status tg_sqrt(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_sqrt", x, out, static_cast<Unary>(tg::ops::sqrt));
}

tg_status tg_rsqrt(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_rsqrt", x, out, static_cast<Unary>(tg::ops::rsqrt));
}

tg_status tg_expm1(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_expm1", x, out, static_cast<Unary>(tg::ops::expm1));
}

tg_status tg_log1p(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_log1p", x, out, static_cast<Unary>(tg::ops::log1p));
}

tg_status tg_sin(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_sin", x, out, static_cast<Unary>(tg::ops::sin));
}

tg_status tg_cos(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_cos", x, out, static_cast<Unary>(tg::ops::cos));
}

tg_status tg_tanh(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_tanh", x, out, static_cast<Unary>(tg::ops::tanh));
}

tg_status tg_sigmoid(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_sigmoid", x, out, static_cast<Unary>(tg::ops::sigmoid));
}

tg_status tg_softplus(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_softplus", x, out, static_cast<Unary>(tg::ops::softplus));
}

tg_status tg_relu6(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_relu6", x, out, static_cast<Unary>(tg::ops::relu6));
}

tg_status tg_elu(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_elu", x, out, static_cast<Unary>(tg::ops::elu));
}

tg_status tg_selu(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_selu", x, out, static_cast<Unary>(tg::ops::selu));
}

tg_status tg_silu(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_silu", x, out, static_cast<Unary>(tg::ops::silu));
}

tg_status tg_floor(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_floor", x, out, static_cast<Unary>(tg::ops::floor));
}

tg_status tg_ceil(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_ceil", x, out, static_cast<Unary>(tg::ops::ceil));
}

tg_status tg_round(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_round", x, out, static_cast<Unary>(tg::ops::round));
}

tg_status tg_identity(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_identity", x, out, static_cast<Unary>(tg::ops::identity));
}

tg_status tg_stop_gradient(const tg_tensor* x, tg_tensor** out) {
  return unary_shim("tg_stop_gradient", x, out, static_cast<Unary>(tg::ops::stop_gradient));
}

tg_status tg_leaky_relu(const tg_tensor* x, double alpha, tg_tensor** out) {
  return unary_shim("tg_leaky_relu", x, out,
                    [alpha](const Tensor& t) { return tg::ops::leaky_relu(t, alpha); });
}

tg_status tg_gelu(const tg_tensor* x, int approximate, tg_tensor** out) {
  return unary_shim("tg_gelu", x, out,
                    [approximate](const Tensor& t) { return tg::ops::gelu(t, approximate != 0); });
}

}  // extern "C"
