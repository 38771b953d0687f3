// Keras Dropout: in training, each element is kept with probability 1 − rate and scaled by
// 1/(1 − rate); at inference it is the identity. Masks come from Philox with a seed derived
// from (seed, call number), so a run is reproducible and each call draws a new mask.
#pragma once

#include <cstdint>

#include "nn/layer.h"

namespace tg {

class Dropout : public Layer {
 public:
  Dropout(double rate, uint64_t seed, std::string name);

 protected:
  void build(const Tensor&, const std::string&) override {}
  Tensor call(const Tensor& x, bool training) override;

 private:
  double rate_;
  uint64_t seed_;
  uint64_t calls_ = 0;
};

}  // namespace tg
