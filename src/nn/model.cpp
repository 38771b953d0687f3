// SPDX-License-Identifier: Apache-2.0
#include "nn/model.h"

#include <algorithm>

#include "nn/naming.h"

namespace tg {
namespace {

// Whether `shape` fits `built` (same rank; unknown dimensions on either side match).
bool compatible(const PartialShape& built, const PartialShape& shape) {
  if (built.size() != shape.size()) return false;
  for (size_t i = 0; i < built.size(); ++i)
    if (built[i] != kUnknownDim && shape[i] != kUnknownDim && built[i] != shape[i]) return false;
  return true;
}

}  // namespace

Model::Model(std::string name) : name_(name.empty() ? unique_name("sequential") : std::move(name)) {}

bool Model::built() const {
  return built_ || (!layers_.empty() && std::all_of(layers_.begin(), layers_.end(),
                                                    [](const auto& layer) { return layer->built(); }));
}

PartialShape Model::output_shape(size_t layer_index) const {
  if (built_) return output_shapes_.at(layer_index);
  const Layer& l = *layer(layer_index);
  if (!l.built())
    fail(Status::invalid_state, "model '{}': layer '{}' is not built, so its output shape is unknown", name_,
         l.name());
  return l.compute_output_shape(l.build_input_shape());
}

void Model::add(std::shared_ptr<Layer> layer) {
  if (!layer) fail(Status::invalid_argument, "model '{}': the layer to add is null", name_);
  if (built_)
    fail(Status::invalid_state, "model '{}': cannot add layer '{}' after the model was built", name_,
         layer->name());
  for (const auto& l : layers_)
    if (l->name() == layer->name())
      fail(Status::invalid_argument,
           "All layers added to a Sequential model should have unique names. Name '{}' is already the name of a "
           "layer in this model. Update the `name` argument to pass a unique name.",
           layer->name());
  layers_.push_back(std::move(layer));
}

const std::shared_ptr<Layer>& Model::layer(size_t index) const {
  if (index >= layers_.size())
    fail(Status::invalid_argument, "model '{}' has {} layers; index {} is out of range", name_, layers_.size(),
         index);
  return layers_[index];
}

const std::shared_ptr<Layer>& Model::layer(std::string_view name) const {
  for (const auto& l : layers_)
    if (l->name() == name) return l;
  std::string names;
  for (const auto& l : layers_) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", l->name());
  fail(Status::invalid_argument, "No such layer: {}. Existing layers are: [{}].", name, names);
}

void Model::build(const PartialShape& input_shape) {
  if (built_) {
    if (!compatible(input_shape_, input_shape))
      fail(Status::invalid_argument, "model '{}' was built for inputs of shape {}, not {}", name_,
           partial_shape_str(input_shape_), partial_shape_str(input_shape));
    return;
  }
  if (layers_.empty()) fail(Status::invalid_state, "model '{}' has no layers", name_);
  if (input_shape.empty())
    fail(Status::invalid_argument, "model '{}': the input shape must start with the batch dimension, got ()",
         name_);
  const std::string scope = name_ + "/";
  std::vector<PartialShape> outputs;
  PartialShape shape = input_shape;
  for (auto& layer : layers_) {
    layer->build(shape, scope);
    shape = layer->compute_output_shape(shape);
    outputs.push_back(shape);
  }
  input_shape_ = input_shape;
  output_shapes_ = std::move(outputs);
  built_ = true;
}

Tensor Model::call(const Tensor& x, bool training) {
  if (!built_) {
    if (x.rank() < 1)
      fail(Status::invalid_argument, "model '{}': expected a batch of inputs (rank >= 1), got a scalar", name_);
    PartialShape shape(x.shape().dims().begin(), x.shape().dims().end());
    shape[0] = kUnknownDim;
    build(shape);
  }
  Tensor y = x;
  const std::string scope = name_ + "/";
  for (auto& layer : layers_) y = (*layer)(y, training, scope);
  return y;
}

std::vector<std::shared_ptr<Variable>> Model::weights() const {
  std::vector<std::shared_ptr<Variable>> out;
  for (const auto& layer : layers_)
    for (const auto& w : layer->weights()) out.push_back(w.variable);
  return out;
}

std::vector<std::shared_ptr<Variable>> Model::trainable_variables() const {
  std::vector<std::shared_ptr<Variable>> out;
  for (const auto& layer : layers_)
    for (const auto& w : layer->weights())
      if (layer->trainable() && w.variable->trainable()) out.push_back(w.variable);
  return out;
}

std::vector<std::shared_ptr<Variable>> Model::non_trainable_variables() const {
  std::vector<std::shared_ptr<Variable>> out;
  for (const auto& layer : layers_)
    for (const auto& w : layer->weights())
      if (!(layer->trainable() && w.variable->trainable())) out.push_back(w.variable);
  return out;
}

int64_t Model::count_params() const {
  int64_t n = 0;
  for (const auto& layer : layers_) n += layer->count_params();
  return n;
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& v : weights()) out.push_back(v->value());
  return out;
}

void Model::set_weights(std::span<const Tensor> values) {
  const auto vars = weights();
  if (values.size() != vars.size())
    fail(Status::invalid_argument,
         "You called `set_weights(weights)` on layer \"{}\" with a weight list of length {}, but the layer was "
         "expecting {} weights.",
         name_, values.size(), vars.size());
  for (size_t i = 0; i < vars.size(); ++i) {
    if (!values[i]) fail(Status::invalid_argument, "set_weights: weight {} is undefined", i);
    if (values[i].shape() != vars[i]->shape() || values[i].dtype() != vars[i]->dtype())
      fail(Status::invalid_argument,
           "Layer {} weight shape {} is not compatible with provided weight shape {} (variable '{}' is {}, the "
           "value {})",
           name_, vars[i]->shape().str(), values[i].shape().str(), vars[i]->name(), dtype_name(vars[i]->dtype()),
           dtype_name(values[i].dtype()));
  }
  for (size_t i = 0; i < vars.size(); ++i) vars[i]->assign(values[i]);
}

}  // namespace tg
