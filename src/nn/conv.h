/* SPDX-License-Identifier: Apache-2.0 */
// Keras Conv1D and Conv2D (K/keras/layers/convolutional/base_conv.py, conv1d.py, conv2d.py),
// channels last: out = activation(conv(x, kernel) + bias).
//   Conv2D: x (batch…, H, W, C), kernel (KH, KW, C/groups, filters) → (batch…, OH, OW, filters)
//   Conv1D: x (batch…, W, C),    kernel (K, C/groups, filters)      → (batch…, OW, filters)
// with bias (filters,). Output sizes follow the padding (valid, same; causal for Conv1D: the
// input is padded on the left only). Inputs with several batch dimensions are run as one
// batch, as Keras does. The kernel initializer sees the kernel's shape, so glorot_uniform's fans
// count the receptive field (fan_in = KH·KW·C/groups, fan_out = KH·KW·filters).
#pragma once

#include "autodiff/ops/conv.h"
#include "nn/layer.h"

namespace tg {

class Conv : public Layer {
 public:
  // Uses config.conv (filters, kernel_size, strides, padding, dilation_rate, groups), activation,
  // use_bias and the two initializers; config.type is conv1d or conv2d. Checks them as Keras's
  // constructor does (filters % groups, zeros in kernel_size or strides, causal padding outside
  // Conv1D, strides > 1 together with dilation_rate > 1), with Keras's messages.
  explicit Conv(const LayerConfig& config);
  PartialShape compute_output_shape(const PartialShape& input_shape) const override;

 protected:
  void build_weights(const PartialShape& input_shape) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  int spatial_rank() const { return type() == LayerType::conv1d ? 1 : 2; }
  // The input channels, checked (Keras's message if unknown).
  int64_t input_channels(const PartialShape& input_shape) const;

  std::shared_ptr<Variable> kernel_;  // (KH, KW, C/groups, filters) or (K, C/groups, filters)
  std::shared_ptr<Variable> bias_;    // (filters,)
};

}  // namespace tg
