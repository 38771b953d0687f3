// SPDX-License-Identifier: Apache-2.0
#include "nn/embedding.h"

#include "autodiff/ops.h"

namespace tg {

Embedding::Embedding(const LayerConfig& config) : Layer(config) {
  if (config.input_dim <= 0 || config.output_dim <= 0)
    fail(Status::invalid_argument, "Embedding: input_dim and output_dim must be positive, got {} and {}",
         config.input_dim, config.output_dim);
}

PartialShape Embedding::compute_output_shape(const PartialShape& input_shape) const {
  PartialShape out = input_shape;
  out.push_back(config().output_dim);
  return out;
}

void Embedding::build_weights(const PartialShape&) {
  embeddings_ = add_weight("embeddings", config().embeddings_initializer,
                           Shape{config().input_dim, config().output_dim});
}

Tensor Embedding::call(const Tensor& x, bool) {
  // Keras casts inputs that are not int32/int64 to int32.
  const Tensor indices = (x.dtype() == DType::i32 || x.dtype() == DType::i64) ? x : ops::cast(x, DType::i32);
  return ops::gather(embeddings_->read(), indices, 0);
}

}  // namespace tg
