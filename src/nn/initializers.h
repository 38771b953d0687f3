// Keras initializers (K/keras/initializers/initializers.py), seeded and deterministic.
#pragma once

#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

struct Fans {
  double fan_in, fan_out;
};
// Keras `_compute_fans`: rank 2 [in, out]; rank 1 both = shape[0]; rank ≥ 3 multiplies by
// the receptive field (product of the leading dims).
Fans compute_fans(const Shape& shape);

// VarianceScaling(scale=1, mode="fan_avg", distribution="uniform"):
// U(−limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
Tensor glorot_uniform(const Shape& shape, DType dtype, uint64_t seed);

}  // namespace tg
