#include "nn/initializers.h"

#include <algorithm>
#include <cmath>

#include "tensor/random.h"

namespace tg {

Fans compute_fans(const Shape& shape) {
  if (shape.rank() == 0) return {1, 1};
  if (shape.rank() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.rank() == 2) return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (int i = 0; i < shape.rank() - 2; ++i) receptive *= double(shape[i]);
  return {double(shape[shape.rank() - 2]) * receptive, double(shape[shape.rank() - 1]) * receptive};
}

Tensor glorot_uniform(const Shape& shape, DType dtype, uint64_t seed) {
  const Fans f = compute_fans(shape);
  const double scale = 1.0 / std::max(1.0, (f.fan_in + f.fan_out) / 2.0);
  const double limit = std::sqrt(3.0 * scale);
  return random_uniform(shape, dtype, -limit, limit, seed);
}

}  // namespace tg
