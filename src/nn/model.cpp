#include "nn/model.h"

#include "nn/naming.h"

namespace tg {

Model::Model(std::string name) : name_(name.empty() ? unique_name("sequential") : std::move(name)) {}

void Model::add(std::unique_ptr<Layer> layer) {
  if (built_)
    fail(Status::invalid_state, "model '{}': cannot add layer '{}' after the model was built by a call",
         name_, layer->name());
  layers_.push_back(std::move(layer));
}

Layer& Model::layer(size_t index) {
  if (index >= layers_.size())
    fail(Status::invalid_argument, "model '{}' has {} layers; index {} is out of range", name_, layers_.size(),
         index);
  return *layers_[index];
}

Tensor Model::call(const Tensor& x, bool training) {
  if (layers_.empty()) fail(Status::invalid_state, "model '{}' has no layers", name_);
  Tensor y = x;
  const std::string scope = name_ + "/";
  for (auto& layer : layers_) y = (*layer)(y, scope, training);
  built_ = true;
  return y;
}

std::vector<std::shared_ptr<Variable>> Model::trainable_variables() const {
  std::vector<std::shared_ptr<Variable>> out;
  for (const auto& layer : layers_)
    for (auto& v : layer->variables())
      if (layer->trainable() && v->trainable()) out.push_back(v);
  return out;
}

std::vector<std::shared_ptr<Variable>> Model::non_trainable_variables() const {
  std::vector<std::shared_ptr<Variable>> out;
  for (const auto& layer : layers_)
    for (auto& v : layer->variables())
      if (!(layer->trainable() && v->trainable())) out.push_back(v);
  return out;
}

}  // namespace tg
