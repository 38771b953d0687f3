/* SPDX-License-Identifier: Apache-2.0 */
// Keras initializers (keras/initializers/initializers.py), seeded and deterministic: the
// same initializer and seed give the same tensor on every run (Philox, src/tensor/random.h).
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

// Values mirror tg_initializer_kind in include/tapegrad/tapegrad.h.
enum class InitKind : int {
  glorot_uniform = 0,  // VarianceScaling(1, fan_avg, uniform): U(±sqrt(6/(in+out)))
  glorot_normal,       // VarianceScaling(1, fan_avg, truncated_normal)
  he_normal,           // VarianceScaling(2, fan_in, truncated_normal)
  he_uniform,          // VarianceScaling(2, fan_in, uniform)
  lecun_normal,        // VarianceScaling(1, fan_in, truncated_normal)
  lecun_uniform,       // VarianceScaling(1, fan_in, uniform)
  zeros,
  ones,
  constant,            // a
  random_normal,       // N(a = mean, b = stddev)
  random_uniform,      // U[a = minval, b = maxval)
  truncated_normal,    // N(a, b) re-drawn beyond two standard deviations
};
constexpr int kNumInitKinds = 12;

struct Initializer {
  InitKind kind = InitKind::glorot_uniform;
  double a = 0.0, b = 0.0;  // parameters of constant / random_* kinds (see InitKind)
  uint64_t seed = 0;
};

Tensor initialize(const Initializer& init, const Shape& shape, DType dtype);

// Shorthand for the default Dense kernel initializer.
Tensor glorot_uniform(const Shape& shape, DType dtype, uint64_t seed);

}  // namespace tg
