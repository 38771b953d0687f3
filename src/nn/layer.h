// A Keras-style layer: built on its first call from the input shape, owning its variables.
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

  // Builds on the first call; `scope` prefixes variable names ("my_model/").
  Tensor operator()(const Tensor& x, const std::string& scope) {
    if (!built_) {
      build(x, scope + name_ + "/");
      built_ = true;
    }
    return call(x);
  }
  // Variables in creation order (Keras order: kernel, then bias).
  virtual std::vector<std::shared_ptr<Variable>> variables() const = 0;

 protected:
  virtual void build(const Tensor& x, const std::string& prefix) = 0;
  virtual Tensor call(const Tensor& x) = 0;

 private:
  std::string name_;
  bool built_ = false;
};

}  // namespace tg
