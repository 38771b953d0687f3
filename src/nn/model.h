// A Keras model that applies its layers in the order they were added (the seed notebook's
// MyModel subclass, or a Sequential). Its name prefixes its layers' variable names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layer.h"

namespace tg {

class Model {
 public:
  // An empty name takes Keras's automatic "sequential", "sequential_1", …
  explicit Model(std::string name);

  const std::string& name() const { return name_; }
  bool built() const { return built_; }
  void add(std::unique_ptr<Layer> layer);
  size_t num_layers() const { return layers_.size(); }
  Layer& layer(size_t index);
  Tensor call(const Tensor& x, bool training = false);
  // Layer by layer, each layer's variables in creation order (Keras order). A variable is
  // trainable here if its layer is trainable and the variable itself is.
  std::vector<std::shared_ptr<Variable>> trainable_variables() const;
  std::vector<std::shared_ptr<Variable>> non_trainable_variables() const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<Layer>> layers_;
  bool built_ = false;
};

}  // namespace tg
