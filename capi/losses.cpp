// SPDX-License-Identifier: Apache-2.0
// C shims for the Keras loss objects (src/nn/losses.h): check handles and arguments, build or
// call the tg::Loss, write the new handle last.
#include <cstring>
#include <memory>

#include "handles.h"
#include "nn/losses.h"

namespace {

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

// why memcpy: a C caller may pass any int; loading an out-of-range enum value is UB in C++.
// tg::Loss rejects unknown values with Keras's message.
tg::Reduction reduction_arg(const tg_reduction& reduction) {
  int code;
  std::memcpy(&code, &reduction, sizeof code);
  return static_cast<tg::Reduction>(code);
}

void make_loss(const tg::LossConfig& config, tg_loss** out) {
  auto& result = require_out(out, "out");
  auto loss = std::make_unique<tg::Loss>(config);
  result = tg::capi::make_handle<tg_loss>(std::move(loss));
}

}  // namespace

extern "C" {

tg_status tg_loss_categorical_crossentropy(int from_logits, double label_smoothing, tg_reduction reduction,
                                           tg_loss** out) {
  return guard("tg_loss_categorical_crossentropy", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::categorical_crossentropy;
    c.from_logits = from_logits != 0;
    c.label_smoothing = label_smoothing;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_sparse_categorical_crossentropy(int from_logits, int use_ignore_class, int64_t ignore_class,
                                                  tg_reduction reduction, tg_loss** out) {
  return guard("tg_loss_sparse_categorical_crossentropy", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::sparse_categorical_crossentropy;
    c.from_logits = from_logits != 0;
    if (use_ignore_class) c.ignore_class = ignore_class;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_binary_crossentropy(int from_logits, double label_smoothing, tg_reduction reduction,
                                      tg_loss** out) {
  return guard("tg_loss_binary_crossentropy", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::binary_crossentropy;
    c.from_logits = from_logits != 0;
    c.label_smoothing = label_smoothing;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_mean_squared_error(tg_reduction reduction, tg_loss** out) {
  return guard("tg_loss_mean_squared_error", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::mean_squared_error;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_mean_absolute_error(tg_reduction reduction, tg_loss** out) {
  return guard("tg_loss_mean_absolute_error", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::mean_absolute_error;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_huber(double delta, tg_reduction reduction, tg_loss** out) {
  return guard("tg_loss_huber", [&] {
    tg::LossConfig c;
    c.kind = tg::LossKind::huber;
    c.delta = delta;
    c.reduction = reduction_arg(reduction);
    make_loss(c, out);
  });
}

tg_status tg_loss_call(const tg_loss* loss, const tg_tensor* y_true, const tg_tensor* y_pred,
                       const tg_tensor* sample_weight, tg_tensor** out) {
  return guard("tg_loss_call", [&] {
    const tg::Loss& l = *get<tg_loss>(loss, "loss")->value;
    const tg::Tensor& yt = get<tg_tensor>(y_true, "y_true")->value;
    const tg::Tensor& yp = get<tg_tensor>(y_pred, "y_pred")->value;
    const tg::Tensor sw = sample_weight ? get<tg_tensor>(sample_weight, "sample_weight")->value : tg::Tensor();
    auto& result = require_out(out, "out");
    tg_tensor* h = tg::capi::make_handle<tg_tensor>(l(yt, yp, sw));
    result = h;
  });
}

tg_status tg_loss_free(tg_loss* loss) {
  return guard("tg_loss_free", [&] { tg::capi::free_handle(loss, "loss"); });
}

}  // extern "C"
