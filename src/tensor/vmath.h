/* SPDX-License-Identifier: Apache-2.0 */
// Vectorised exp and log over arrays, for the kernels whose time goes into them (softmax,
// cross-entropy, logsumexp). A scalar expf per element cost a third of the seed model's
// training step.
//
// float32 goes through glibc's vector math library (libmvec) in double precision, 4 lanes
// at a time on AVX2 (chosen at run time), and is rounded to float once: the result is the
// correctly rounded value except within 2^-29 ulp of a tie, as accurate as a scalar expf.
// Each element's result depends only on its value, never on its position in the array or on
// the length, so chunking the work differently cannot change a result. float64 (gradient
// checks) stays on the scalar libm calls. Without libmvec (other systems), everything is
// scalar.
#pragma once

#include <cstdint>

namespace tg {

// y[i] = exp(x[i]) for i in [0, n); y may equal x.
void exp_array(const float* x, float* y, int64_t n);
void exp_array(const double* x, double* y, int64_t n);
// y[i] = log(x[i]) for i in [0, n); y may equal x.
void log_array(const float* x, float* y, int64_t n);
void log_array(const double* x, double* y, int64_t n);

}  // namespace tg
