/* SPDX-License-Identifier: Apache-2.0 */
// A single-threaded SGEMM with an AVX-512 micro-kernel, for the convolution kernels.
//
// OpenBLAS runs its AVX2 (Haswell) kernels on these machines; on CPUs with AVX-512 this
// GEMM is 1.4–1.8× faster on the shapes convolutions produce (a few thousand rows of patches
// times a filter of 32–576 by 32–64; measured in bench/). Like blas_gemm it computes
// row-major C (M,N; ldc) = op(A) · op(B) + beta · C, op(X) = X or Xᵀ, with beta 0 or 1. The
// result does not depend on anything but the operands (one fixed summation order).
#pragma once

#include <cstdint>

namespace tg {

// Whether this CPU can run sgemm_avx512 (checked once).
bool sgemm_avx512_available();

// Call only when sgemm_avx512_available(). Uses per-thread packing buffers.
void sgemm_avx512(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc);

}  // namespace tg
