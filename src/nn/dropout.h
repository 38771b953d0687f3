/* SPDX-License-Identifier: Apache-2.0 */
// Keras Dropout: in training, each element is kept with probability 1 − rate and scaled by
// 1/(1 − rate); at inference it is the identity. Masks come from Philox with a seed derived
// from (seed, call number), so a run is reproducible and each call draws a new mask.
#pragma once

#include "nn/layer.h"

namespace tg {

class Dropout : public Layer {
 public:
  // Uses config.rate (in [0, 1)) and config.seed.
  explicit Dropout(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override { return input_shape; }

 protected:
  Tensor call(const Tensor& x, bool training) override;

 private:
  uint64_t calls_ = 0;
};

}  // namespace tg
