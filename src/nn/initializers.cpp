// SPDX-License-Identifier: Apache-2.0
#include "nn/initializers.h"

#include <algorithm>
#include <cmath>

#include "tensor/random.h"

namespace tg {
namespace {

enum class FanMode { fan_in, fan_out, fan_avg };

// Keras VarianceScaling: n = the chosen fan; uniform uses limit sqrt(3·scale/n); truncated
// normal uses stddev sqrt(scale/n) / 0.87962566103423978 (the stddev of N(0,1) truncated to
// two standard deviations), so the truncated draws have variance scale/n.
Tensor variance_scaling(double scale, FanMode mode, bool uniform, const Shape& shape, DType dtype,
                        uint64_t seed) {
  const Fans f = compute_fans(shape);
  const double n = mode == FanMode::fan_in ? f.fan_in : mode == FanMode::fan_out ? f.fan_out
                                                                                : (f.fan_in + f.fan_out) / 2;
  const double s = scale / std::max(1.0, n);
  if (uniform) {
    const double limit = std::sqrt(3.0 * s);
    return random_uniform(shape, dtype, -limit, limit, seed);
  }
  return random_truncated_normal(shape, dtype, 0.0, std::sqrt(s) / 0.87962566103423978, seed);
}

}  // namespace

Fans compute_fans(const Shape& shape) {
  if (shape.rank() == 0) return {1, 1};
  if (shape.rank() == 1) return {double(shape[0]), double(shape[0])};
  if (shape.rank() == 2) return {double(shape[0]), double(shape[1])};
  double receptive = 1;
  for (int i = 0; i < shape.rank() - 2; ++i) receptive *= double(shape[i]);
  return {double(shape[shape.rank() - 2]) * receptive, double(shape[shape.rank() - 1]) * receptive};
}

Tensor initialize(const Initializer& init, const Shape& shape, DType dtype) {
  switch (init.kind) {
    case InitKind::glorot_uniform: return variance_scaling(1, FanMode::fan_avg, true, shape, dtype, init.seed);
    case InitKind::glorot_normal: return variance_scaling(1, FanMode::fan_avg, false, shape, dtype, init.seed);
    case InitKind::he_normal: return variance_scaling(2, FanMode::fan_in, false, shape, dtype, init.seed);
    case InitKind::he_uniform: return variance_scaling(2, FanMode::fan_in, true, shape, dtype, init.seed);
    case InitKind::lecun_normal: return variance_scaling(1, FanMode::fan_in, false, shape, dtype, init.seed);
    case InitKind::lecun_uniform: return variance_scaling(1, FanMode::fan_in, true, shape, dtype, init.seed);
    case InitKind::zeros: return Tensor::zeros(shape, dtype);
    case InitKind::ones: return Tensor::full(shape, dtype, 1.0);
    case InitKind::constant: return Tensor::full(shape, dtype, init.a);
    case InitKind::random_normal: return random_normal(shape, dtype, init.a, init.b, init.seed);
    case InitKind::random_uniform: return random_uniform(shape, dtype, init.a, init.b, init.seed);
    case InitKind::truncated_normal: return random_truncated_normal(shape, dtype, init.a, init.b, init.seed);
  }
  fail(Status::invalid_argument, "initializer: unknown kind {}", static_cast<int>(init.kind));
}

Tensor glorot_uniform(const Shape& shape, DType dtype, uint64_t seed) {
  return initialize(Initializer{InitKind::glorot_uniform, 0, 0, seed}, shape, dtype);
}

}  // namespace tg
