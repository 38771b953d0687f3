/* SPDX-License-Identifier: Apache-2.0 */
// Keras Flatten: (N, d1, d2, …) → (N, d1·d2·…); a rank-1 input becomes (N, 1).
#pragma once

#include "nn/layer.h"

namespace tg {

class Flatten : public Layer {
 public:
  explicit Flatten(const LayerConfig& config) : Layer(config) {}
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace tg
