// SPDX-License-Identifier: Apache-2.0
#include "nn/reshape.h"

#include <algorithm>

#include "autodiff/ops.h"

namespace tg {

Reshape::Reshape(const LayerConfig& config) : Layer(config) {
  const std::vector<int64_t>& target = config.target_shape;
  if (target.size() + 1 > static_cast<size_t>(kMaxRank))
    fail(Status::invalid_argument, "Reshape '{}': target_shape has {} dimensions; at most {} (with the batch "
         "dimension, {})", name(), target.size(), kMaxRank - 1, kMaxRank);
  for (const int64_t d : target)
    if (d < -1)
      fail(Status::invalid_argument, "Reshape '{}': target_shape {} has a dimension below -1", name(),
           int_tuple_str(target));
  if (std::count(target.begin(), target.end(), -1) > 1)
    fail(Status::invalid_argument, "Reshape '{}': There must be at most one unknown dimension in output_shape. "
         "Received: output_shape={}.", name(), int_list_str(target));
}

std::vector<int64_t> Reshape::resolve(std::span<const int64_t> input_shape) const {
  std::vector<int64_t> out = config().target_shape;
  int64_t original = 1, known = 1;
  bool overflow = false;
  for (const int64_t d : input_shape) overflow |= __builtin_mul_overflow(original, d, &original);
  for (const int64_t d : out)
    if (d != -1) overflow |= __builtin_mul_overflow(known, d, &known);
  const auto unknown = std::find(out.begin(), out.end(), -1);
  const bool fits = !overflow && (unknown == out.end() ? original == known : known != 0 && original % known == 0);
  if (!fits)
    fail(Status::invalid_argument, "Reshape '{}': total size of new array must be unchanged, input_shape = {}, "
         "output_shape = {}", name(), int_list_str(input_shape), int_list_str(config().target_shape));
  if (unknown != out.end()) *unknown = original / known;
  return out;
}

PartialShape Reshape::compute_output_shape(const PartialShape& input_shape) const {
  if (input_shape.empty())
    fail(Status::invalid_argument, "Reshape '{}': expected a batch of inputs, got the shape ()", name());
  const std::span<const int64_t> rest(input_shape.data() + 1, input_shape.size() - 1);
  PartialShape out{input_shape[0]};
  if (std::find(rest.begin(), rest.end(), kUnknownDim) != rest.end()) {
    // Keras: with unknown input dims the -1 stays unknown (None).
    out.insert(out.end(), config().target_shape.begin(), config().target_shape.end());
  } else {
    const std::vector<int64_t> resolved = resolve(rest);
    out.insert(out.end(), resolved.begin(), resolved.end());
  }
  return out;
}

Tensor Reshape::call(const Tensor& x, bool) {
  if (x.rank() < 1) fail(Status::invalid_argument, "Reshape '{}': expected a batch of inputs, got a scalar", name());
  const std::vector<int64_t> resolved = resolve(x.shape().dims().subspan(1));
  Shape out{x.shape()[0]};
  for (const int64_t d : resolved) out.push_back(d);
  return ops::reshape(x, out);
}

}  // namespace tg
