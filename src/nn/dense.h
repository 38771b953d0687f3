// Keras Dense (K/keras/layers/core/dense.py): out = activation(x · kernel + bias), kernel of
// shape (in_features, units) from glorot_uniform, bias zeros. Rank > 2 inputs contract the
// last axis (tensordot).
#pragma once

#include <cstdint>

#include "nn/layer.h"

namespace tg {

enum class Activation { linear = 0, relu = 1 };

struct DenseOptions {
  int64_t units = 0;
  Activation activation = Activation::linear;
  bool use_bias = true;
  uint64_t seed = 0;
};

class Dense : public Layer {
 public:
  // An empty name takes Keras's automatic "dense", "dense_1", …
  Dense(const DenseOptions& options, std::string name);
  std::vector<std::shared_ptr<Variable>> variables() const override;

 protected:
  void build(const Tensor& x, const std::string& prefix) override;
  Tensor call(const Tensor& x) override;

 private:
  DenseOptions options_;
  std::shared_ptr<Variable> kernel_;  // (in_features, units)
  std::shared_ptr<Variable> bias_;    // (units,)
};

}  // namespace tg
