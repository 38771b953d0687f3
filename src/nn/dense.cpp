// SPDX-License-Identifier: Apache-2.0
#include "nn/dense.h"

#include "autodiff/ops.h"

namespace tg {

Dense::Dense(const LayerConfig& config) : Layer(config) {
  if (config.units <= 0) fail(Status::invalid_argument, "Dense: units must be positive, got {}", config.units);
  if (static_cast<int>(config.activation) < 0 || static_cast<int>(config.activation) >= kNumActivations)
    fail(Status::invalid_argument, "Dense: unknown activation {}", static_cast<int>(config.activation));
}

PartialShape Dense::compute_output_shape(const PartialShape& input_shape) const {
  if (input_shape.empty() || input_shape.back() == kUnknownDim)
    fail(Status::invalid_argument, "Dense '{}': the last dimension of the inputs should be defined. Full input "
         "shape received: {}", name(), partial_shape_str(input_shape));
  PartialShape out = input_shape;
  out.back() = config().units;
  return out;
}

void Dense::build_weights(const PartialShape& input_shape) {
  if (input_shape.empty() || input_shape.back() <= 0)
    fail(Status::invalid_argument, "Dense '{}': the last dimension of the inputs should be defined and non-zero. "
         "Full input shape received: {}", name(), partial_shape_str(input_shape));
  const int64_t in = input_shape.back();
  kernel_ = add_weight("kernel", config().kernel_initializer, Shape{in, config().units});
  if (config().use_bias) bias_ = add_weight("bias", config().bias_initializer, Shape{config().units});
}

Tensor Dense::call(const Tensor& input, bool) {
  const int64_t in = kernel_->shape()[0];
  if (input.rank() < 1 || input.shape()[input.rank() - 1] != in)
    fail(Status::invalid_argument, "Dense '{}': expected inputs with last dimension {}, got {}", name(), in,
         input.shape().str());
  // Keras's Dense casts any other input dtype (integers included) to its own.
  const Tensor x = input.dtype() == dtype() ? input : ops::cast(input, dtype());
  Tensor y;
  if (x.rank() == 2) {
    y = ops::matmul(x, kernel_->read());
  } else {  // tensordot over the last axis: (…, in) → (rows, in) · (in, units) → (…, units)
    const int64_t flat[] = {-1, in};
    y = ops::matmul(ops::reshape(x, flat), kernel_->read());
    Shape out = x.shape();
    out.set(out.rank() - 1, config().units, "dense");
    y = ops::reshape(y, out);
  }
  if (bias_) y = ops::add(y, bias_->read());
  return activate(config().activation, y);
}

}  // namespace tg
