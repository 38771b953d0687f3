// SPDX-License-Identifier: Apache-2.0
#include "nn/conv.h"

#include <algorithm>

#include "autodiff/ops.h"
#include "nn/conv_utils.h"

namespace tg {

Conv::Conv(const LayerConfig& config) : Layer(config) {
  const ConvOptions& o = config.conv;
  const auto r = static_cast<size_t>(spatial_rank());
  const std::string owner = fmt::format("{} '{}'", class_name(), name());
  const std::span<const int64_t> kernel_size(o.kernel_size.data(), r), strides(o.strides.data(), r),
      dilation(o.dilation_rate.data(), r);
  if (o.filters <= 0)
    fail(Status::invalid_argument, "{}: Invalid value for argument `filters`. Expected a strictly positive value. "
         "Received filters={}.", owner, o.filters);
  try {
    check_tuple(kernel_size, "kernel_size");
    check_tuple(strides, "strides", /*allow_zero=*/true);
    check_tuple(dilation, "dilation_rate");
  } catch (const Error& e) {
    fail(e.code(), "{}: {}", owner, e.what());
  }
  check_padding(o.padding, type() == LayerType::conv1d, owner);
  if (o.groups <= 0)
    fail(Status::invalid_argument, "{}: groups must be a positive integer, got {}", owner, o.groups);
  // Keras's _validate_init, in its order.
  if (o.filters % o.groups != 0)
    fail(Status::invalid_argument, "{}: The number of filters must be evenly divisible by the number of groups. "
         "Received: groups={}, filters={}", owner, o.groups, o.filters);
  if (std::find(strides.begin(), strides.end(), 0) != strides.end())
    fail(Status::invalid_argument, "{}: The argument `strides` cannot contains 0(s). Received: {}", owner,
         int_tuple_str(strides));
  if (*std::max_element(strides.begin(), strides.end()) > 1 && *std::max_element(dilation.begin(), dilation.end()) > 1)
    fail(Status::invalid_argument, "{}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
         "Received: strides={} and dilation_rate={}", owner, int_tuple_str(strides), int_tuple_str(dilation));
  if (static_cast<int>(config.activation) < 0 || static_cast<int>(config.activation) >= kNumActivations)
    fail(Status::invalid_argument, "{}: unknown activation {}", owner, static_cast<int>(config.activation));
}

int64_t Conv::input_channels(const PartialShape& input_shape) const {
  if (input_shape.back() == kUnknownDim)
    fail(Status::invalid_argument, "{} '{}': The channel dimension of the inputs should be defined. The input_shape "
         "received is {}, where axis -1 (0-based) is the channel dimension, which found to be `None`.",
         class_name(), name(), partial_shape_str(input_shape));
  return input_shape.back();
}

PartialShape Conv::compute_output_shape(const PartialShape& input_shape) const {
  const int r = spatial_rank();
  check_input_rank(input_shape, r + 2, /*at_least=*/true);
  const ConvOptions& o = config().conv;
  const size_t first_spatial = input_shape.size() - static_cast<size_t>(r) - 1;
  PartialShape out(input_shape.begin(), input_shape.begin() + static_cast<std::ptrdiff_t>(first_spatial));
  for (size_t i = 0; i < static_cast<size_t>(r); ++i) {
    const int64_t length = conv_output_length(input_shape[first_spatial + i], o.kernel_size[i], o.padding,
                                              o.strides[i], o.dilation_rate[i]);
    if (length != kUnknownDim && length <= 0)
      fail(Status::invalid_argument, "{} '{}': One of the dimensions in the output is <= 0 due to downsampling in "
           "{}. Consider increasing the input size. Received input shape {} which would produce output shape with a "
           "zero or negative value in a dimension.", class_name(), name(), name(), partial_shape_str(input_shape));
    out.push_back(length);
  }
  out.push_back(o.filters);
  return out;
}

void Conv::build_weights(const PartialShape& input_shape) {
  const ConvOptions& o = config().conv;
  check_input_rank(input_shape, spatial_rank() + 2, /*at_least=*/true);
  const int64_t channels = input_channels(input_shape);
  if (channels % o.groups != 0)
    fail(Status::invalid_argument, "{} '{}': The number of input channels must be evenly divisible by the number of "
         "groups. Received groups={}, but the input has {} channels (full input shape is {}).", class_name(), name(),
         o.groups, channels, partial_shape_str(input_shape));
  compute_output_shape(input_shape);  // checks that every output dimension is positive
  Shape kernel_shape;
  for (int i = 0; i < spatial_rank(); ++i) kernel_shape.push_back(o.kernel_size[static_cast<size_t>(i)]);
  kernel_shape.push_back(channels / o.groups);
  kernel_shape.push_back(o.filters);
  kernel_ = add_weight("kernel", config().kernel_initializer, kernel_shape);
  if (config().use_bias) bias_ = add_weight("bias", config().bias_initializer, Shape{o.filters});
}

Tensor Conv::call(const Tensor& input, bool) {
  const int r = spatial_rank();
  const ConvOptions& o = config().conv;
  check_input_rank(input, r + 2, /*at_least=*/true);
  const int64_t channels = kernel_->shape()[r] * o.groups;
  if (input.shape()[input.rank() - 1] != channels)
    fail(Status::invalid_argument, "Input 0 of layer \"{}\" is incompatible with the layer: expected axis -1 of input "
         "shape to have value {}, but received input with shape {}", name(), channels, input.shape().str());
  // Several batch dimensions run as one: (B1, B2, …, spatial…, C) → (B1·B2·…, spatial…, C).
  const int batch_dims = input.rank() - r - 1;
  Tensor x = input;
  if (batch_dims > 1) {
    int64_t batch = 1;  // no overflow: a factor of the input's element count
    for (int d = 0; d < batch_dims; ++d) batch *= input.shape()[d];
    Shape merged{batch};
    for (int d = batch_dims; d < input.rank(); ++d) merged.push_back(input.shape()[d]);
    x = ops::reshape(input, merged);
  }
  const Tensor kernel = kernel_->read();
  const Tensor bias = bias_ ? bias_->read() : Tensor();
  Tensor y;
  if (r == 2) {
    ops::Conv2dOptions options;
    options.stride_h = o.strides[0];
    options.stride_w = o.strides[1];
    options.padding = o.padding;
    options.dilation_h = o.dilation_rate[0];
    options.dilation_w = o.dilation_rate[1];
    y = ops::conv2d(x, kernel, options, bias);
  } else {
    y = ops::conv1d(x, kernel, o.strides[0], o.padding, o.dilation_rate[0], bias);
  }
  if (batch_dims > 1) {
    Shape out;
    for (int d = 0; d < batch_dims; ++d) out.push_back(input.shape()[d]);
    for (int d = 1; d < y.rank(); ++d) out.push_back(y.shape()[d]);
    y = ops::reshape(y, out);
  }
  return activate(config().activation, y);
}

}  // namespace tg
