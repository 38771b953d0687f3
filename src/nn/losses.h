// Keras losses, built from the library's ops so they are differentiable to any order.
#pragma once

#include "tensor/tensor.h"

namespace tg {

// CategoricalCrossentropy(from_logits=True), reduction SUM_OVER_BATCH_SIZE:
// mean over every axis but the last of −Σ_c labels · log_softmax(logits).
// labels and logits have one shape; labels are cast to the logits' dtype.
Tensor categorical_crossentropy_from_logits(const Tensor& labels, const Tensor& logits);

}  // namespace tg
