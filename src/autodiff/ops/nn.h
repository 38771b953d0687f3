/* SPDX-License-Identifier: Apache-2.0 */
// Fused nn ops: softmax cross-entropy with logits (dense and sparse labels).
// Part of autodiff/ops.h; each op's definition and gradient are in ops/nn.cpp.
#pragma once

#include <cstdint>
#include <span>

#include "autodiff/op.h"

namespace tg::ops {

// tf.nn.softmax_cross_entropy_with_logits: per-example loss Σ labels · (logsumexp(logits) −
// logits) along `axis`, computed in one max-subtracted pass. labels and logits have one shape
// and one floating dtype; the result has logits' shape without `axis`. Gradients, as
// TensorFlow's kernel: logits g · (softmax(logits) − labels) (exact when each labels slice
// sums to 1), labels −g · log_softmax(logits); both differentiable again.
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                         int64_t axis = -1);

// tf.nn.sparse_softmax_cross_entropy_with_logits: labels (B…) int32/int64 in [0, C), logits
// (B…, C) floating → loss (B…) = logsumexp(logits) − logits[label]. Gradient w.r.t. logits
// g · (softmax(logits) − one_hot(labels)); labels get none.
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);

}  // namespace tg::ops
