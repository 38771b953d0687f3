/* SPDX-License-Identifier: Apache-2.0 */
// Keras Embedding: integer indices (…) → rows of a (input_dim, output_dim) table of the
// layer's dtype, (…, output_dim). Its gradient accumulates rows whose index repeats (gather's
// gradient). As in Keras, inputs are not autocast: other dtypes are cast to int32.
#pragma once

#include "nn/layer.h"

namespace tg {

class Embedding : public Layer {
 public:
  // Uses config.input_dim, output_dim (both > 0) and embeddings_initializer (Keras's
  // default is RandomUniform(−0.05, 0.05)).
  explicit Embedding(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  void build_weights(const PartialShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;
  bool autocast() const override { return false; }

 private:
  std::shared_ptr<Variable> embeddings_;  // (input_dim, output_dim)
};

}  // namespace tg
