// Keras Dense (K/keras/layers/core/dense.py): out = activation(x · kernel + bias), kernel of
// shape (in_features, units), bias (units,). Rank > 2 inputs contract the last axis
// (tensordot). Variables are float32, the Keras default; inputs are cast to it.
#pragma once

#include <cstdint>

#include "nn/activations.h"
#include "nn/initializers.h"
#include "nn/layer.h"

namespace tg {

struct DenseOptions {
  int64_t units = 0;
  Activation activation = Activation::linear;
  bool use_bias = true;
  Initializer kernel_initializer{InitKind::glorot_uniform, 0, 0, 0};
  Initializer bias_initializer{InitKind::zeros, 0, 0, 0};
};

class Dense : public Layer {
 public:
  // An empty name takes Keras's automatic "dense", "dense_1", …
  Dense(const DenseOptions& options, std::string name);
  std::vector<std::shared_ptr<Variable>> variables() const override;

 protected:
  void build(const Tensor& x, const std::string& prefix) override;
  Tensor call(const Tensor& x, bool training) override;

 private:
  DenseOptions options_;
  std::shared_ptr<Variable> kernel_;  // (in_features, units)
  std::shared_ptr<Variable> bias_;    // (units,)
};

}  // namespace tg
