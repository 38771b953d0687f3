/* SPDX-License-Identifier: Apache-2.0 */
// OpenBLAS, always on the calling thread.
//
// The library's parallelism is its own (parallel.h): large products are cut into tiles that
// its threads run (gemm.h). OpenBLAS's threads would only wait on ours, or we on a
// descheduled one of theirs, so every OpenBLAS call of the library runs on one thread. The
// thread count is process-wide in OpenBLAS; the library sets it to one while its own calls
// run and gives back the value it found when the last of them ends, so a program's own
// OpenBLAS calls keep the count the program (or OPENBLAS_NUM_THREADS) chose.
#pragma once

#include <cstdint>

namespace tg {

// Row-major C (M,N; ldc) = alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ passed as a flag,
// through OpenBLAS on the calling thread. T is float or double.
template <class T>
void blas_gemm(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, T alpha,
               const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

}  // namespace tg
