/* SPDX-License-Identifier: Apache-2.0 */
// The library's GEMM: row-major C (M,N; ldc) = op(A) · op(B) + beta · C, op(X) = X or Xᵀ
// passed as a flag, beta 0 or 1. T is float or double.
//
// float32 runs on the AVX-512 SGEMM where the CPU has it (tensor/sgemm_avx512.h: 1.4–2× faster
// than OpenBLAS's AVX2 kernels on these machines), everything else on OpenBLAS (tensor/blas.h),
// always one thread per call. Large products are cut into tiles of C, each one such call,
// handed out by parallel_for_takeover: the calling thread takes tiles too, and recomputes a
// tile that a helper thread holds for too long (the OS has descheduled it), so no helper
// delays a product by more than about one tile.
//
// Results are bit-for-bit the same for every thread count and whoever computes a tile: the
// AVX-512 SGEMM sums each element of C in the same order whatever tile it lies in, and on
// OpenBLAS the tiles depend on the shape only, never on the thread count. Neither depends on
// where the tile is written (C itself or a helper's buffer: another ldc), which
// tests/cpp/gemm_test.cpp checks.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace tg {

// One call, on the calling thread.
template <class T>
void gemm_serial(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, const T* a,
                 int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// Owners of gemm_batch's operands. A helper thread may still be reading A and B after
// gemm_batch returned (an item the caller took over from it, tensor/parallel.h:
// parallel_for_takeover); it holds these until it is done. C is never written after return.
struct GemmOwners {
  std::shared_ptr<const void> a, b;
};

// `batch` products of one shape, C_i = op(A_i) · op(B_i), with A_i = a + a_offsets[i] and
// B_i = b + b_offsets[i] (empty offsets: every product uses a, or b, itself) and the C_i back
// to back (C_i = c + i·M·N, ldc = N). Large products are cut into tiles, small ones grouped,
// and the pieces run under parallel_for_takeover, so a descheduled helper thread delays no
// product.
template <class T>
void gemm_batch(bool transpose_a, bool transpose_b, int64_t M, int64_t N, int64_t K, const T* a,
                int64_t lda, std::vector<int64_t> a_offsets, const T* b, int64_t ldb,
                std::vector<int64_t> b_offsets, int64_t batch, T* c, GemmOwners owners);

// How gemm_batch cuts products of this shape: row_tiles × col_tiles tiles of rows × cols of
// C (the last ones smaller), or, when a product is one tile, `group` products per item.
// `threads` can only matter where the cut does not change the result (AVX-512). Exposed for
// the tests.
struct GemmPlan {
  int64_t rows, cols, row_tiles, col_tiles, group;
  int64_t tiles() const { return row_tiles * col_tiles; }
};
GemmPlan plan_gemm(bool is_float, int64_t M, int64_t N, int64_t K, int64_t batch, int threads);

}  // namespace tg
