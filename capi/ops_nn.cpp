// SPDX-License-Identifier: Apache-2.0
// Fused losses: thin shims over the nn family of src/autodiff/ops.h (ops/nn.h). Each checks
// its handles, runs the op (which records it on the active tapes) and writes the new tensor
// handle last.
#include <cstdint>

#include "autodiff/ops.h"
#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::capi::new_tensor_handle;

using tg::Tensor;



}  // namespace

extern "C" {

tg_status tg_softmax_cross_entropy_with_logits(const tg_tensor* labels, const tg_tensor* logits,
                                               int64_t axis, tg_tensor** out) {
  return tg::capi::guard("tg_softmax_cross_entropy_with_logits", [&] {
    const Tensor& y = tensor_arg(labels, "labels");
    const Tensor& z = tensor_arg(logits, "logits");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::softmax_cross_entropy_with_logits(y, z, axis));
    o = h;
  });
}

tg_status tg_sparse_softmax_cross_entropy_with_logits(const tg_tensor* labels,
                                                      const tg_tensor* logits, tg_tensor** out) {
  return tg::capi::guard("tg_sparse_softmax_cross_entropy_with_logits", [&] {
    const Tensor& y = tensor_arg(labels, "labels");
    const Tensor& z = tensor_arg(logits, "logits");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = new_tensor_handle(tg::ops::sparse_softmax_cross_entropy_with_logits(y, z));
    o = h;
  });
}

}  // extern "C"
