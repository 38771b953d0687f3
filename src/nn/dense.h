/* SPDX-License-Identifier: Apache-2.0 */
// Keras Dense (keras/layers/core/dense.py): out = activation(x · kernel + bias), kernel of
// shape (in_features, units), bias (units,), both of the layer's dtype. Rank > 2 inputs
// contract the last axis (tensordot). Inputs of another dtype are cast to the layer's.
#pragma once

#include "nn/layer.h"

namespace tg {

class Dense : public Layer {
 public:
  // Uses config.units (> 0), activation, use_bias and the two initializers.
  explicit Dense(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  void build_weights(const PartialShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  std::shared_ptr<Variable> kernel_;  // (in_features, units)
  std::shared_ptr<Variable> bias_;    // (units,)
};

}  // namespace tg
