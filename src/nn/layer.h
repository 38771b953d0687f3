// A Keras-style layer: built on its first call from the input, owning its variables.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "autodiff/variable.h"

namespace tg {

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return name_; }
  bool built() const { return built_; }
  // Keras `layer.trainable`: a frozen layer's variables leave the model's trainable list
  // (the variables' own trainable flags are unchanged, as in Keras).
  bool trainable() const { return trainable_; }
  void set_trainable(bool t) { trainable_ = t; }

  // Builds on the first call; `scope` prefixes variable names ("my_model/"). `training`
  // switches layers such as Dropout between their training and inference behaviour.
  Tensor operator()(const Tensor& x, const std::string& scope, bool training) {
    if (!built_) {
      build(x, scope + name_ + "/");
      built_ = true;
    }
    return call(x, training);
  }
  // Variables in creation order (Keras order: kernel, then bias).
  virtual std::vector<std::shared_ptr<Variable>> variables() const { return {}; }

 protected:
  virtual void build(const Tensor& x, const std::string& prefix) = 0;
  virtual Tensor call(const Tensor& x, bool training) = 0;

 private:
  std::string name_;
  bool built_ = false;
  bool trainable_ = true;
};

}  // namespace tg
