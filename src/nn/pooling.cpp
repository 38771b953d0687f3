// SPDX-License-Identifier: Apache-2.0
#include "nn/pooling.h"

#include "autodiff/ops.h"
#include "nn/conv_utils.h"

namespace tg {
namespace {

// Keras: strides=None means the pool size.
LayerConfig with_default_strides(LayerConfig config) {
  PoolOptions& o = config.pool;
  if (o.strides[0] == 0 && o.strides[1] == 0) o.strides = o.pool_size;
  return config;
}

}  // namespace

Pooling2D::Pooling2D(const LayerConfig& config) : Layer(with_default_strides(config)) {
  const PoolOptions& o = this->config().pool;
  const std::string owner = fmt::format("{} '{}'", class_name(), name());
  try {
    check_tuple(o.pool_size, "pool_size");
    check_tuple(o.strides, "strides");
  } catch (const Error& e) {
    fail(e.code(), "{}: {}", owner, e.what());
  }
  check_padding(o.padding, /*causal_allowed=*/false, owner);
}

PartialShape Pooling2D::compute_output_shape(const PartialShape& input_shape) const {
  check_input_rank(input_shape, 4, /*at_least=*/false);
  const PoolOptions& o = config().pool;
  PartialShape out = input_shape;
  for (size_t i = 0; i < 2; ++i) {
    out[i + 1] = conv_output_length(input_shape[i + 1], o.pool_size[i], o.padding, o.strides[i], 1);
    if (out[i + 1] != kUnknownDim && out[i + 1] <= 0 && input_shape[i + 1] != 0)
      fail(Status::invalid_argument, "{} '{}': the pool window {} is larger than the inputs of shape {} ('valid' "
           "padding): the output would be empty", class_name(), name(), int_tuple_str(o.pool_size),
           partial_shape_str(input_shape));
  }
  return out;
}

Tensor Pooling2D::call(const Tensor& x, bool) {
  check_input_rank(x, 4, /*at_least=*/false);
  const PoolOptions& o = config().pool;
  ops::Pool2dOptions options;
  options.window_h = o.pool_size[0];
  options.window_w = o.pool_size[1];
  options.stride_h = o.strides[0];
  options.stride_w = o.strides[1];
  options.padding = o.padding;
  return type() == LayerType::max_pooling2d ? ops::max_pool2d(x, options) : ops::avg_pool2d(x, options);
}

PartialShape GlobalPooling2D::compute_output_shape(const PartialShape& input_shape) const {
  check_input_rank(input_shape, 4, /*at_least=*/false);
  if (config().pool.keepdims) return {input_shape[0], 1, 1, input_shape[3]};
  return {input_shape[0], input_shape[3]};
}

Tensor GlobalPooling2D::call(const Tensor& x, bool) {
  check_input_rank(x, 4, /*at_least=*/false);
  const bool keepdims = config().pool.keepdims;
  return type() == LayerType::global_average_pooling2d ? ops::global_average_pool2d(x, keepdims)
                                                       : ops::global_max_pool2d(x, keepdims);
}

}  // namespace tg
