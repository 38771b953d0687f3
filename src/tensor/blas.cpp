// GEMM through OpenBLAS, with the thread count chosen per call (DESIGN.md §6: on small
// products two OpenBLAS threads are 1.5–4.3× slower than one).
// Legend: M, N = rows and columns of C; K = the shared (inner) dimension.
#include <cblas.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tensor/kernels.h"

namespace tg {
namespace {

// Below this many multiply-adds one thread is faster than two on these machines.
constexpr int64_t kMinWorkPerExtraThread = int64_t{4} << 20;

std::atomic<int> g_num_threads{0};  // 0: not set yet, use all cores

int configured_threads() {
  const int n = g_num_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// openblas_set_num_threads is process-wide; only call it when the count changes.
void use_blas_threads(int n) {
  static std::mutex m;
  static int current = -1;
  std::lock_guard lock(m);
  if (current != n) {
    openblas_set_num_threads(n);
    current = n;
  }
}

}  // namespace

void set_num_threads(int n) { g_num_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }
int num_threads() { return configured_threads(); }

Tensor gemm_kernel(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b) {
  const int64_t M = transpose_a ? a.shape()[1] : a.shape()[0];
  const int64_t K = transpose_a ? a.shape()[0] : a.shape()[1];
  const int64_t N = transpose_b ? b.shape()[0] : b.shape()[1];
  Tensor c = Tensor::empty(Shape{M, N}, a.dtype());
  if (M == 0 || N == 0) return c;
  if (K == 0) return Tensor::zeros(Shape{M, N}, a.dtype());
  const int threads = M * N * K < kMinWorkPerExtraThread ? 1 : configured_threads();
  use_blas_threads(threads);
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

}  // namespace tg
