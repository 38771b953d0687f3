// SPDX-License-Identifier: Apache-2.0
// GEMM through OpenBLAS, with the thread count chosen per call (docs/design.md: on small
// products two OpenBLAS threads are 1.5–4.3× slower than one).
// Legend: M, N = rows and columns of C; K = the shared (inner) dimension.
#include <cblas.h>

#include <type_traits>

#include "tensor/blas.h"
#include "tensor/elementwise.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/reduce_kernels.h"

namespace tg {
namespace {

// One row-major GEMM, C (M,N) = op(A) · op(B), with the given leading dimensions.
template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T* a, int64_t lda, const T* b,
          int64_t ldb, T* c) {
  blas_gemm<T>(ta, tb, M, N, K, T(1), a, lda, b, ldb, T(0), c, N);
}

// The batch dims of x: all but the last two.
Shape batch_of(const Shape& x) {
  Shape s;
  for (int d = 0; d + 2 < x.rank(); ++d) s.push_back(x[d]);
  return s;
}

}  // namespace

int blas_threads_for(int64_t multiply_adds) {
  // Below this many multiply-adds one thread is faster than two on these machines.
  constexpr int64_t kMinWorkPerExtraThread = int64_t{4} << 20;
  return multiply_adds < kMinWorkPerExtraThread ? 1 : num_threads();
}

template <class T>
void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const auto fa = ta ? CblasTrans : CblasNoTrans;
  const auto fb = tb ? CblasTrans : CblasNoTrans;
  const auto i = [](int64_t v) { return static_cast<blasint>(v); };
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, fa, fb, i(M), i(N), i(K), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
  else
    cblas_dgemm(CblasRowMajor, fa, fb, i(M), i(N), i(K), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
}
template void blas_gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                               const float*, int64_t, float, float*, int64_t);
template void blas_gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                int64_t, const double*, int64_t, double, double*, int64_t);

Tensor gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const int64_t M = transpose_a ? a.shape()[1] : a.shape()[0];
  const int64_t K = transpose_a ? a.shape()[0] : a.shape()[1];
  const int64_t N = transpose_b ? b.shape()[0] : b.shape()[1];
  Tensor c = Tensor::empty(Shape{M, N}, a.dtype());
  if (M == 0 || N == 0) return c;
  if (K == 0) return Tensor::zeros(Shape{M, N}, a.dtype());
  set_blas_threads(blas_threads_for(M * N * K));
  const auto ta = transpose_a ? CblasTrans : CblasNoTrans;
  const auto tb = transpose_b ? CblasTrans : CblasNoTrans;
  const auto lda = static_cast<blasint>(a.shape()[1]);
  const auto ldb = static_cast<blasint>(b.shape()[1]);
  if (a.dtype() == DType::f32) {
    cblas_sgemm(CblasRowMajor, ta, tb, static_cast<blasint>(M), static_cast<blasint>(N),
                static_cast<blasint>(K), 1.0f, a.data<float>(), lda, b.data<float>(), ldb, 0.0f,
                c.mutable_data<float>(), static_cast<blasint>(N));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, static_cast<blasint>(M), static_cast<blasint>(N),
                static_cast<blasint>(K), 1.0, a.data<double>(), lda, b.data<double>(), ldb, 0.0,
                c.mutable_data<double>(), static_cast<blasint>(N));
  }
  return c;
}

Tensor batched_gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b,
                           const Shape& out_shape) {
  const int ra = a.rank(), rb = b.rank(), ro = out_shape.rank();
  const int64_t M = out_shape[ro - 2], N = out_shape[ro - 1];
  const int64_t K = transpose_a ? a.shape()[ra - 2] : a.shape()[ra - 1];
  if (out_shape.numel() == 0) return Tensor::empty(out_shape, a.dtype());
  if (K == 0) return Tensor::zeros(out_shape, a.dtype());
  Tensor c = Tensor::empty(out_shape, a.dtype());
  const int64_t lda = a.shape()[ra - 1], ldb = b.shape()[rb - 1];
  const int64_t a_mat = a.shape()[ra - 2] * lda, b_mat = b.shape()[rb - 2] * ldb;
  const int64_t batch = out_shape.numel() / (M * N);
  const bool b_unbatched = b.numel() == b_mat;
  visit_floating(a.dtype(), "matmul", [&]<class T>() {
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = c.mutable_data<T>();
    if (b_unbatched && !transpose_a) {
      // why: A's matrices lie back to back, so (batch·M, K) · op(B) is one larger GEMM.
      const int64_t rows = batch * M;
      set_blas_threads(blas_threads_for(rows * N * K));
      gemm<T>(false, transpose_b, rows, N, K, pa, lda, pb, ldb, pc);
      return;
    }
    set_blas_threads(blas_threads_for(M * N * K));
    // Odometer over the output batch; a broadcast operand's batch stride is 0.
    const Shape ob = batch_of(out_shape);
    const auto sa = detail::broadcast_strides(batch_of(a.shape()), ob);
    const auto sb = detail::broadcast_strides(batch_of(b.shape()), ob);
    const int br = ob.rank();
    std::array<int64_t, kMaxRank> idx{};
    int64_t ia = 0, ib = 0;
    for (int64_t i = 0; i < batch; ++i) {
      gemm<T>(transpose_a, transpose_b, M, N, K, pa + ia * a_mat, lda, pb + ib * b_mat, ldb,
              pc + i * M * N);
      for (int d = br - 1; d >= 0; --d) {
        ia += sa[d];
        ib += sb[d];
        if (++idx[d] < ob[d]) break;
        ia -= sa[d] * ob[d];
        ib -= sb[d] * ob[d];
        idx[d] = 0;
      }
    }
  });
  return c;
}

}  // namespace tg
