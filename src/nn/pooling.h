/* SPDX-License-Identifier: Apache-2.0 */
// Keras's 2-D pooling layers (K/keras/layers/pooling/), channels last, no variables:
//   MaxPooling2D, AveragePooling2D: (N, H, W, C) → (N, OH, OW, C) over pool_size windows moved
//     by strides (the pool size by default), padding valid or same, as tf.nn.max_pool2d /
//     avg_pool2d (padded cells never win a max and are not counted in a mean);
//   GlobalAveragePooling2D, GlobalMaxPooling2D: the mean / maximum over H and W → (N, C), or
//     (N, 1, 1, C) with keepdims.
#pragma once

#include "nn/layer.h"

namespace tg {

class Pooling2D : public Layer {
 public:
  // Uses config.pool (pool_size, strides, padding); config.type is max_pooling2d or
  // average_pooling2d. Strides of 0 (Keras's None) become the pool size, in config() too.
  explicit Pooling2D(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

class GlobalPooling2D : public Layer {
 public:
  // Uses config.pool.keepdims; config.type is global_average_pooling2d or global_max_pooling2d.
  explicit GlobalPooling2D(const LayerConfig& config) : Layer(config) {}
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace tg
