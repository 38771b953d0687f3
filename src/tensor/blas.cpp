// SPDX-License-Identifier: Apache-2.0
// OpenBLAS on the calling thread (see blas.h for why).
// Legend: M, N = rows and columns of C; K = the shared (inner) dimension.
#include "tensor/blas.h"

#include <cblas.h>

#include <mutex>
#include <type_traits>

namespace tg {
namespace {

// While one of these lives, OpenBLAS runs on one thread. The first to begin saves
// OpenBLAS's count, the last to end restores it; in between no library call changes it, so
// library calls on other threads never see it move under them.
class OpenBlasOnOneThread {
 public:
  OpenBlasOnOneThread() {
    std::lock_guard lock(mutex());
    State& s = state();
    if (s.users++ == 0) {
      s.saved = openblas_get_num_threads();
      if (s.saved != 1) openblas_set_num_threads(1);
    }
  }
  ~OpenBlasOnOneThread() {
    std::lock_guard lock(mutex());
    State& s = state();
    if (--s.users == 0 && s.saved != 1) openblas_set_num_threads(s.saved);
  }
  OpenBlasOnOneThread(const OpenBlasOnOneThread&) = delete;
  OpenBlasOnOneThread& operator=(const OpenBlasOnOneThread&) = delete;

 private:
  struct State {
    int users = 0;
    int saved = 1;
  };
  // why function-local statics: a GEMM may run during static initialisation of another unit
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static State& state() {
    static State s;
    return s;
  }
};

}  // namespace

template <class T>
void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const auto fa = ta ? CblasTrans : CblasNoTrans;
  const auto fb = tb ? CblasTrans : CblasNoTrans;
  const auto i = [](int64_t v) { return static_cast<blasint>(v); };
  const OpenBlasOnOneThread one_thread;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, fa, fb, i(M), i(N), i(K), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
  else
    cblas_dgemm(CblasRowMajor, fa, fb, i(M), i(N), i(K), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
}
template void blas_gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                               const float*, int64_t, float, float*, int64_t);
template void blas_gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*,
                                int64_t, const double*, int64_t, double, double*, int64_t);

}  // namespace tg
