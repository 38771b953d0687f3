/* SPDX-License-Identifier: Apache-2.0 */
// Keras Reshape (K/keras/layers/reshaping/reshape.py): (N, …) → (N,) + target_shape, the batch
// dimension kept; one entry of target_shape may be -1, inferred from the others. No variables.
#pragma once

#include "nn/layer.h"

namespace tg {

class Reshape : public Layer {
 public:
  // Uses config.target_shape: up to kMaxRank − 1 entries, each >= 0 or -1 (at most one -1).
  explicit Reshape(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  // Keras's _fix_unknown_dimension: target_shape with its -1 resolved for inputs of
  // `input_shape` (without the batch dimension, all known); Keras's message if the sizes differ.
  std::vector<int64_t> resolve(std::span<const int64_t> input_shape) const;
};

}  // namespace tg
