/* SPDX-License-Identifier: Apache-2.0 */
// Raw GEMM for kernels that address matrices inside larger buffers (convolutions): row-major
// C (M,N; ldc) = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ passed as a flag. It runs
// with OpenBLAS's current thread count: set it first with set_blas_threads (parallel.h),
// e.g. to blas_threads_for(M·N·K), or leave it at one inside parallel_for.
#pragma once

#include <cstdint>

namespace tg {

// The OpenBLAS thread count worth using for a product of this many multiply-adds.
int blas_threads_for(int64_t multiply_adds);

// T is float or double.
template <class T>
void blas_gemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha,
               const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace tg
