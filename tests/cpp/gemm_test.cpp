// SPDX-License-Identifier: Apache-2.0
// The tiled GEMM (tensor/gemm.h) through matmul's kernels: large products are cut into tiles,
// and the result is the same, bit for bit, on 1, 2 and 3 threads; it matches a naive product
// in double and a plain cblas call within float rounding; batched products (broadcast too);
// the same bits again when the calling thread takes over every tile from stalled helpers, and
// a tile's bits do not depend on where it is written (ldc); and the library leaves OpenBLAS's
// own thread count as it found it.
#include <cblas.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "tensor/blas.h"
#include "tensor/gemm.h"
#include "tensor/kernels.h"
#include "tensor/parallel.h"
#include "tensor/reduce_kernels.h"
#include "tensor/sgemm_avx512.h"

namespace tg {
namespace {

struct ThreadSetting {
  int saved = num_threads();
  ~ThreadSetting() { set_num_threads(saved); }
};

template <class T>
Tensor random_matrix(int64_t rows, int64_t cols, uint32_t seed) {
  Tensor t = Tensor::empty(Shape{rows, cols}, std::is_same_v<T, float> ? DType::f32 : DType::f64);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<T> u(-1, 1);
  T* p = t.mutable_data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng);
  return t;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// All but the last two dims.
Shape batch_dims(const Shape& s) {
  Shape b;
  for (int d = 0; d + 2 < s.rank(); ++d) b.push_back(s[d]);
  return b;
}

struct Case {
  bool ta, tb;
  int64_t M, N, K;
};

// Shapes of the MLP and CNN steps, and ragged ones whose tiles end mid micro-tile.
const Case kCases[] = {
    {false, false, 256, 512, 784}, {true, false, 784, 512, 256}, {false, true, 256, 784, 512},
    {true, true, 300, 333, 257},   {false, false, 37, 1000, 700}, {false, false, 1000, 40, 900},
};

struct StalledHelpers {  // every tile is computed by the caller, helpers' copies discarded
  StalledHelpers() { detail::stall_helpers_for_tests(true); }
  ~StalledHelpers() { detail::stall_helpers_for_tests(false); }
};

template <class T>
void check_case(const Case& c) {
  SCOPED_TRACE(::testing::Message() << "ta " << c.ta << " tb " << c.tb << " M " << c.M << " N "
                                    << c.N << " K " << c.K);
  const bool is_float = std::is_same_v<T, float>;
  ASSERT_GT(plan_gemm(is_float, c.M, c.N, c.K, 1, 2).tiles(), 1) << "the case must be tiled";
  const Tensor a = c.ta ? random_matrix<T>(c.K, c.M, 1) : random_matrix<T>(c.M, c.K, 1);
  const Tensor b = c.tb ? random_matrix<T>(c.N, c.K, 2) : random_matrix<T>(c.K, c.N, 2);
  set_num_threads(1);
  const std::vector<T> one = values<T>(gemm_kernel(a, b, c.ta, c.tb));
  for (bool stalled : {false, true})
    for (int threads : {2, 3}) {
      set_num_threads(threads);
      detail::stall_helpers_for_tests(stalled);
      const std::vector<T> many = values<T>(gemm_kernel(a, b, c.ta, c.tb));
      detail::stall_helpers_for_tests(false);
      EXPECT_EQ(0, std::memcmp(one.data(), many.data(), one.size() * sizeof(T)))
          << threads << " threads" << (stalled ? ", every tile taken over by the caller" : "");
    }
  // against one plain cblas call, and both against a naive sum in double
  std::vector<T> ref(one.size());
  const auto fa = c.ta ? CblasTrans : CblasNoTrans, fb = c.tb ? CblasTrans : CblasNoTrans;
  const auto lda = static_cast<blasint>(a.shape()[1]), ldb = static_cast<blasint>(b.shape()[1]);
  const auto M = static_cast<blasint>(c.M), N = static_cast<blasint>(c.N), K = static_cast<blasint>(c.K);
  if constexpr (is_float)
    cblas_sgemm(CblasRowMajor, fa, fb, M, N, K, 1, a.data<T>(), lda, b.data<T>(), ldb, 0, ref.data(), N);
  else
    cblas_dgemm(CblasRowMajor, fa, fb, M, N, K, 1, a.data<T>(), lda, b.data<T>(), ldb, 0, ref.data(), N);
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  const double eps = is_float ? 1e-6 : 1e-14;
  for (int64_t i = 0; i < c.M; i += 7)
    for (int64_t j = 0; j < c.N; j += 5) {
      double want = 0, scale = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double x = pa[c.ta ? k * c.M + i : i * c.K + k];
        const double y = pb[c.tb ? j * c.K + k : k * c.N + j];
        want += x * y;
        scale += std::abs(x * y);
      }
      const size_t o = static_cast<size_t>(i * c.N + j);
      ASSERT_NEAR(one[o], want, eps * scale) << "C[" << i << "," << j << "]";
      ASSERT_NEAR(ref[o], want, eps * scale) << "cblas C[" << i << "," << j << "]";
    }
}

TEST(TiledGemm, SameBitsOnEveryThreadCountFloat) {
  ThreadSetting restore;
  for (const Case& c : kCases) check_case<float>(c);
}

TEST(TiledGemm, SameBitsOnEveryThreadCountDouble) {
  ThreadSetting restore;
  for (const Case& c : kCases) check_case<double>(c);
}

TEST(TiledGemm, PlanCoversTheProductWithWholeMicroTiles) {
  for (const Case& c : kCases)
    for (int threads : {1, 2, 4})
      for (bool is_float : {false, true}) {
        const GemmPlan p = plan_gemm(is_float, c.M, c.N, c.K, 1, threads);
        EXPECT_GE(p.rows * p.row_tiles, c.M);
        EXPECT_LT(p.rows * (p.row_tiles - 1), c.M);
        EXPECT_GE(p.cols * p.col_tiles, c.N);
        EXPECT_LT(p.cols * (p.col_tiles - 1), c.N);
        if (p.tiles() > 1) {
          EXPECT_EQ(p.rows % 12 == 0 || p.row_tiles == 1, true);
          EXPECT_EQ(p.cols % 32 == 0 || p.col_tiles == 1, true);
        }
      }
  // OpenBLAS tiles (double) never depend on the thread count
  for (const Case& c : kCases) {
    const GemmPlan one = plan_gemm(false, c.M, c.N, c.K, 1, 1), two = plan_gemm(false, c.M, c.N, c.K, 1, 2);
    EXPECT_EQ(one.rows, two.rows);
    EXPECT_EQ(one.cols, two.cols);
  }
  // a small product is one call
  EXPECT_EQ(plan_gemm(true, 1000, 32, 32, 1, 2).tiles(), 1);
}

// Batched products, B broadcast over A's batch and both batched with broadcasting, small
// (grouped into items) and large (tiled): the same bits on every thread count, and each
// product equal to the 2-D kernel on its matrices.
TEST(TiledGemm, BatchedProductsMatchTheTwoDimensionalKernel) {
  ThreadSetting restore;
  struct BatchCase {
    Shape a, b;
    bool ta, tb;
  };
  const BatchCase cases[] = {
      {Shape{6, 40, 30}, Shape{6, 30, 20}, false, false},    // small: grouped
      {Shape{3, 1, 30, 40}, Shape{4, 20, 30}, true, true},   // broadcast batch, transposed
      {Shape{2, 300, 200}, Shape{2, 200, 300}, false, false},  // large: tiled
      {Shape{2, 200, 300}, Shape{300, 250}, true, false},     // unbatched B, transposed A
  };
  for (const BatchCase& c : cases) {
    SCOPED_TRACE(::testing::Message() << c.a.str() << " x " << c.b.str());
    Tensor a = Tensor::empty(c.a, DType::f32), b = Tensor::empty(c.b, DType::f32);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    for (int64_t i = 0; i < a.numel(); ++i) a.mutable_data<float>()[i] = u(rng);
    for (int64_t i = 0; i < b.numel(); ++i) b.mutable_data<float>()[i] = u(rng);
    const int ra = c.a.rank(), rb = c.b.rank();
    const int64_t M = c.ta ? c.a[ra - 1] : c.a[ra - 2], N = c.tb ? c.b[rb - 2] : c.b[rb - 1];
    const Shape ba = batch_dims(c.a), bb = batch_dims(c.b);
    const Shape batch = broadcast_shapes(ba, bb, "test");
    Shape out = batch;
    out.push_back(M);
    out.push_back(N);
    set_num_threads(1);
    const std::vector<float> one = values<float>(batched_gemm_kernel(a, b, c.ta, c.tb, out));
    set_num_threads(2);
    const std::vector<float> two = values<float>(batched_gemm_kernel(a, b, c.ta, c.tb, out));
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)));
    {
      StalledHelpers stalled;
      const std::vector<float> taken = values<float>(batched_gemm_kernel(a, b, c.ta, c.tb, out));
      EXPECT_EQ(0, std::memcmp(one.data(), taken.data(), one.size() * sizeof(float))) << "taken over";
    }
    // product i against gemm_kernel on its own matrices (the batch index broadcast by hand)
    const int64_t count = batch.numel();
    for (int64_t i = 0; i < count; ++i) {
      // the index of product i in a's and b's own batches (right-aligned, size-1 dims repeat)
      int64_t rest = i, ia = 0, ib = 0, stride_a = 1, stride_b = 1;
      for (int d = batch.rank() - 1; d >= 0; --d) {
        const int64_t k = rest % batch[d];
        rest /= batch[d];
        const int da = d - (batch.rank() - ba.rank()), db = d - (batch.rank() - bb.rank());
        if (da >= 0) {
          ia += (ba[da] == 1 ? 0 : k) * stride_a;
          stride_a *= ba[da];
        }
        if (db >= 0) {
          ib += (bb[db] == 1 ? 0 : k) * stride_b;
          stride_b *= bb[db];
        }
      }
      const int64_t a_rows = c.a[ra - 2], a_cols = c.a[ra - 1], b_rows = c.b[rb - 2], b_cols = c.b[rb - 1];
      Tensor ai = Tensor::empty(Shape{a_rows, a_cols}, DType::f32), bi = Tensor::empty(Shape{b_rows, b_cols}, DType::f32);
      std::memcpy(ai.mutable_data<float>(), a.data<float>() + ia * a_rows * a_cols, sizeof(float) * a_rows * a_cols);
      std::memcpy(bi.mutable_data<float>(), b.data<float>() + ib * b_rows * b_cols, sizeof(float) * b_rows * b_cols);
      const std::vector<float> want = values<float>(gemm_kernel(ai, bi, c.ta, c.tb));
      ASSERT_EQ(0, std::memcmp(want.data(), one.data() + i * M * N, want.size() * sizeof(float))) << "product " << i;
    }
  }
}

// A helper computes its tile into its own buffer (ldc = the tile's width), the caller into C
// (ldc = N): both must give the same bits, on the AVX-512 SGEMM and on OpenBLAS.
template <class T>
void check_tile_bits_do_not_depend_on_ldc(bool avx512) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(::testing::Message() << "ta " << c.ta << " tb " << c.tb << " M " << c.M << " N " << c.N);
    const Tensor a = c.ta ? random_matrix<T>(c.K, c.M, 7) : random_matrix<T>(c.M, c.K, 7);
    const Tensor b = c.tb ? random_matrix<T>(c.N, c.K, 8) : random_matrix<T>(c.K, c.N, 8);
    const int64_t lda = a.shape()[1], ldb = b.shape()[1];
    // a tile starting mid-matrix and ending at its edges, ragged like the last tiles
    const int64_t m0 = 12, n0 = 32, m = c.M - m0, n = c.N - n0;
    const T* pa = c.ta ? a.data<T>() + m0 : a.data<T>() + m0 * lda;
    const T* pb = c.tb ? b.data<T>() + n0 * ldb : b.data<T>() + n0;
    std::vector<T> whole(static_cast<size_t>(c.M * c.N), T(-7)), alone(static_cast<size_t>(m * n), T(-7));
    const auto run = [&](T* out, int64_t ldc) {
      if constexpr (std::is_same_v<T, float>)
        if (avx512) return sgemm_avx512(c.ta, c.tb, m, n, c.K, pa, lda, pb, ldb, 0.0f, out, ldc);
      blas_gemm<T>(c.ta, c.tb, m, n, c.K, T(1), pa, lda, pb, ldb, T(0), out, ldc);
    };
    run(whole.data() + m0 * c.N + n0, c.N);
    run(alone.data(), n);
    for (int64_t r = 0; r < m; ++r)
      ASSERT_EQ(0, std::memcmp(whole.data() + (m0 + r) * c.N + n0, alone.data() + r * n, sizeof(T) * n)) << "row " << r;
  }
}

TEST(TiledGemm, TileBitsDoNotDependOnLdc) {
  check_tile_bits_do_not_depend_on_ldc<double>(false);
  check_tile_bits_do_not_depend_on_ldc<float>(false);
  if (sgemm_avx512_available()) check_tile_bits_do_not_depend_on_ldc<float>(true);
}

// The library runs OpenBLAS on one thread only while its own products run, and leaves the
// process's OpenBLAS thread count as it found it: at once, or (when the caller took a tile
// over from a descheduled helper) once that helper has finished its discarded OpenBLAS call.
TEST(TiledGemm, LeavesOpenBlasThreadCountAlone) {
  ThreadSetting restore;
  const int saved = openblas_get_num_threads();
  const Tensor a = random_matrix<double>(300, 400, 3), b = random_matrix<double>(400, 300, 4);
  for (int blas_threads : {1, 2})
    for (int threads : {1, 2}) {
      openblas_set_num_threads(blas_threads);
      const int before = openblas_get_num_threads();
      set_num_threads(threads);
      const Tensor c = gemm_kernel(a, b, false, false);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (openblas_get_num_threads() != before && std::chrono::steady_clock::now() < give_up)
        std::this_thread::yield();
      EXPECT_EQ(openblas_get_num_threads(), before) << blas_threads << " OpenBLAS threads, " << threads << " of ours";
    }
  openblas_set_num_threads(saved);
}

}  // namespace
}  // namespace tg
