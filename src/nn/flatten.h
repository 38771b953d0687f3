// Keras Flatten: (N, d1, d2, …) → (N, d1·d2·…); a rank-1 input becomes (N, 1).
#pragma once

#include "nn/layer.h"

namespace tg {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name);

 protected:
  void build(const Tensor&, const std::string&) override {}
  Tensor call(const Tensor& x, bool training) override;
};

}  // namespace tg
