/* SPDX-License-Identifier: Apache-2.0 */
// Seeded random tensors from Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011), the counter-based generator TensorFlow's stateless ops use. Element
// i of a tensor depends only on (seed, i), so the same seed gives the same numbers on every
// run, machine and thread count.
//
// Mapping: key = (seed low 32 bits, seed high 32 bits); block counter c = (i / 4, 0, 0, 0)
// for float32 (one 32-bit word per element), (i / 2, …) for float64 (two words per element).
// float32 uniform in [0,1): (word >> 8) · 2⁻²⁴; float64: ((w0 << 21) ^ (w1 >> 11)) · 2⁻⁵³.
// Normal: Box–Muller on the uniforms of elements 2k and 2k+1 (u1 mapped into (0,1]).
// Truncated normal (|z| < 2, as TensorFlow's TruncatedNormal): element i draws on its own
// counters c = (i low 32 bits, i high 32 bits, attempt, 1), attempt = 0, 1, … (the last word
// 1 keeps these blocks apart from the uniform/normal ones, whose last word is 0). From the
// four words w of one block: float32 takes two Box–Muller pairs, u1 = 1 − (w0 >> 8)·2⁻²⁴,
// u2 = (w1 >> 8)·2⁻²⁴ and then (w2, w3) likewise; float64 takes one pair, u1 = 1 − the 53-bit
// uniform of (w0, w1), u2 = that of (w2, w3). Each pair gives z = r·cos θ then r·sin θ
// (r = sqrt(−2 ln u1), θ = 2π·u2); the first z with |z| < 2 is kept, otherwise the next
// attempt's block is drawn. So element i depends only on (seed, i), whatever the shape.
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
// mean + stddev·z with z ~ N(0, 1) truncated to |z| < 2 (values beyond two standard
// deviations are re-drawn), of a floating dtype.
Tensor random_truncated_normal(const Shape& shape, DType dtype, double mean, double stddev,
                               uint64_t seed);

}  // namespace tg
