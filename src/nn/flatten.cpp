// SPDX-License-Identifier: Apache-2.0
#include "nn/flatten.h"

#include "autodiff/ops.h"

namespace tg {

PartialShape Flatten::compute_output_shape(const PartialShape& input_shape) const {
  if (input_shape.empty())
    fail(Status::invalid_argument, "Flatten '{}': expected a batch of inputs, got the shape ()", name());
  int64_t rest = 1;
  for (size_t i = 1; i < input_shape.size(); ++i)
    rest = (rest == kUnknownDim || input_shape[i] == kUnknownDim) ? kUnknownDim : rest * input_shape[i];
  return {input_shape[0], rest};
}

Tensor Flatten::call(const Tensor& x, bool) {
  if (x.rank() < 1)
    fail(Status::invalid_argument, "Flatten '{}': expected a batch of inputs, got a scalar", name());
  int64_t rest = 1;
  for (int i = 1; i < x.rank(); ++i) rest *= x.shape()[i];
  return ops::reshape(x, Shape{x.shape()[0], rest});
}

}  // namespace tg
