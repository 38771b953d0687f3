// SPDX-License-Identifier: Apache-2.0
#include "nn/layer.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "autodiff/ops.h"
#include "nn/naming.h"

namespace tg {
namespace {

// Keras's automatic name base, as its to_snake_case: "Dense" → "dense", "MaxPooling2D" →
// "max_pooling2d", "BatchNormalization" → "batch_normalization".
std::string snake_case(std::string_view class_name) {
  static const std::regex word_start("(.)([A-Z][a-z0-9]+)"), lower_upper("([a-z])([A-Z])");
  std::string s = std::regex_replace(std::string(class_name), word_start, "$1_$2");
  s = std::regex_replace(s, lower_upper, "$1_$2");
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s.starts_with('_') ? "private" + s : s;
}

std::string int_sequence_str(std::span<const int64_t> values, const char* open, const char* close,
                             bool one_comma) {
  std::string s = open;
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  if (one_comma && values.size() == 1) s += ",";
  return s + close;
}

}  // namespace

std::string partial_shape_str(const PartialShape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += shape[i] == kUnknownDim ? std::string("None") : std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string int_tuple_str(std::span<const int64_t> values) { return int_sequence_str(values, "(", ")", true); }
std::string int_list_str(std::span<const int64_t> values) { return int_sequence_str(values, "[", "]", false); }

std::string_view layer_class_name(LayerType type) {
  switch (type) {
    case LayerType::dense: return "Dense";
    case LayerType::dropout: return "Dropout";
    case LayerType::flatten: return "Flatten";
    case LayerType::embedding: return "Embedding";
    case LayerType::conv1d: return "Conv1D";
    case LayerType::conv2d: return "Conv2D";
    case LayerType::max_pooling2d: return "MaxPooling2D";
    case LayerType::average_pooling2d: return "AveragePooling2D";
    case LayerType::global_average_pooling2d: return "GlobalAveragePooling2D";
    case LayerType::global_max_pooling2d: return "GlobalMaxPooling2D";
    case LayerType::batch_normalization: return "BatchNormalization";
    case LayerType::layer_normalization: return "LayerNormalization";
    case LayerType::reshape: return "Reshape";
  }
  return "Layer";
}

Layer::Layer(LayerConfig config) : config_(std::move(config)) {
  if (!is_floating(config_.dtype))
    fail(Status::invalid_argument, "{}: a layer's dtype must be float32 or float64, got {}", class_name(),
         dtype_name(config_.dtype));
  if (config_.name.empty()) config_.name = unique_name(snake_case(class_name()));
}

void Layer::build(const PartialShape& input_shape, const std::string& scope) {
  if (built_) return;
  for (const int64_t d : input_shape)
    if (d < 0 && d != kUnknownDim)
      fail(Status::invalid_argument, "{} '{}': build: dimension {} of the input shape is invalid (use -1 for "
           "an unknown dimension)", class_name(), name(), d);
  prefix_ = scope + name() + "/";
  try {
    build_weights(input_shape);
  } catch (...) {
    weights_.clear();  // why: a failed build leaves no half-made variables behind
    throw;
  }
  build_input_shape_ = input_shape;
  built_ = true;
}

void Layer::build_weights(const PartialShape&) {}

Tensor Layer::operator()(const Tensor& x, bool training, const std::string& scope) {
  if (!built_) {
    const auto dims = x.shape().dims();
    build(PartialShape(dims.begin(), dims.end()), scope);
  }
  // Keras autocast: floating inputs take the layer's dtype (float64 numpy data → float32).
  if (autocast() && is_floating(x.dtype()) && x.dtype() != dtype()) return call(ops::cast(x, dtype()), training);
  return call(x, training);
}

const std::shared_ptr<Variable>& Layer::weight(std::string_view name) const {
  if (!built_)
    fail(Status::invalid_state, "{} '{}' has no variables yet: build it or call it first", class_name(),
         this->name());
  for (const Weight& w : weights_)
    if (w.name == name) return w.variable;
  std::string names;
  for (const Weight& w : weights_) names += (names.empty() ? "" : ", ") + w.name;
  fail(Status::invalid_argument, "{} '{}' has no variable '{}'; its variables are: {}", class_name(), this->name(),
       name, names.empty() ? std::string("(none)") : names);
}

int64_t Layer::count_params() const {
  int64_t n = 0;
  for (const Weight& w : weights_) n += w.variable->shape().numel();
  return n;
}

std::shared_ptr<Variable> Layer::add_weight(const std::string& name, const Initializer& init, const Shape& shape,
                                            bool trainable) {
  auto v = std::make_shared<Variable>(prefix_ + name + ":0", initialize(init, shape, dtype()), trainable);
  weights_.push_back({name, v});
  return v;
}

void Layer::check_input_rank(const PartialShape& shape, int ndim, bool at_least) const {
  const auto rank = static_cast<int>(shape.size());
  if (at_least ? rank >= ndim : rank == ndim) return;
  fail(Status::invalid_argument, "Input 0 of layer \"{}\" is incompatible with the layer: expected {}={}, found "
       "ndim={}. Full shape received: {}", name(), at_least ? "min_ndim" : "ndim", ndim, rank,
       partial_shape_str(shape));
}

void Layer::check_input_rank(const Tensor& x, int ndim, bool at_least) const {
  const auto dims = x.shape().dims();
  check_input_rank(PartialShape(dims.begin(), dims.end()), ndim, at_least);
}

}  // namespace tg
