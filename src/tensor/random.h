// Seeded random tensors from Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011), the counter-based generator TensorFlow's stateless ops use. Element
// i of a tensor depends only on (seed, i), so the same seed gives the same numbers on every
// run, machine and thread count.
//
// Mapping: key = (seed low 32 bits, seed high 32 bits); block counter c = (i / 4, 0, 0, 0)
// for float32 (one 32-bit word per element), (i / 2, …) for float64 (two words per element).
// float32 uniform in [0,1): (word >> 8) · 2⁻²⁴; float64: ((w0 << 21) ^ (w1 >> 11)) · 2⁻⁵³.
// Normal: Box–Muller on the uniforms of elements 2k and 2k+1 (u1 mapped into (0,1]).
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace tg {

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// U[minval, maxval) of a floating dtype.
Tensor random_uniform(const Shape& shape, DType dtype, double minval, double maxval, uint64_t seed);
// N(mean, stddev²) of a floating dtype.
Tensor random_normal(const Shape& shape, DType dtype, double mean, double stddev, uint64_t seed);

}  // namespace tg
