#include "nn/losses.h"

#include "autodiff/ops.h"

namespace tg {

Tensor categorical_crossentropy_from_logits(const Tensor& labels, const Tensor& logits) {
  if (!is_floating(logits.dtype()))
    fail(Status::invalid_argument, "categorical_crossentropy: logits must be floating, got {} {}",
         dtype_name(logits.dtype()), logits.shape().str());
  if (labels.shape() != logits.shape() || logits.rank() < 1)
    fail(Status::invalid_argument,
         "categorical_crossentropy: labels {} and logits {} must have the same shape (batch…, classes)",
         labels.shape().str(), logits.shape().str());
  const Tensor y = ops::cast(labels, logits.dtype());
  const int64_t last = -1;
  // per-sample loss: −Σ y · log_softmax(z) over classes; log_softmax keeps it stable.
  const Tensor per_sample = ops::neg(ops::reduce_sum(ops::mul(y, ops::log_softmax(logits, last)), {&last, 1}));
  return ops::reduce_mean(per_sample);
}

}  // namespace tg
