// SPDX-License-Identifier: Apache-2.0
// The AVX-512 SGEMM of the convolution kernels against a naive product in double: sizes on
// both sides of every block edge (MR = 12, NR = 32, KC = 256, MC = 120, NC = 1024), both
// transposes, beta 0 and 1, leading dimensions wider than the matrices.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/sgemm_avx512.h"

namespace tg {
namespace {

struct Case {
  bool ta, tb;
  int64_t M, N, K;
  float beta;
};

TEST(SgemmAvx512, MatchesANaiveProduct) {
  if (!sgemm_avx512_available()) GTEST_SKIP() << "this CPU has no AVX-512";
  std::vector<Case> cases;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (int64_t M : {1, 12, 13, 121})
        for (int64_t N : {1, 32, 33, 70})
          for (int64_t K : {1, 256, 257})
            for (float beta : {0.f, 1.f}) cases.push_back({ta, tb, M, N, K, beta});
  cases.push_back({false, false, 30, 1100, 40, 0.f});  // more than one block of N
  cases.push_back({true, true, 250, 1030, 600, 1.f});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << "ta " << c.ta << " tb " << c.tb << " M " << c.M << " N "
                                      << c.N << " K " << c.K << " beta " << c.beta);
    // stored shapes, with 3 spare columns each so that the leading dimensions are wider
    const int64_t ar = c.ta ? c.K : c.M, ac = c.ta ? c.M : c.K;
    const int64_t br = c.tb ? c.N : c.K, bc = c.tb ? c.K : c.N;
    const int64_t lda = ac + 3, ldb = bc + 3, ldc = c.N + 3;
    std::vector<float> a(static_cast<size_t>(ar * lda)), b(static_cast<size_t>(br * ldb));
    std::vector<float> out(static_cast<size_t>(c.M * ldc));
    for (float& v : a) v = u(rng);
    for (float& v : b) v = u(rng);
    for (float& v : out) v = u(rng);
    const std::vector<float> before = out;
    sgemm_avx512(c.ta, c.tb, c.M, c.N, c.K, a.data(), lda, b.data(), ldb, c.beta, out.data(), ldc);
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < ldc; ++j) {
        const size_t o = static_cast<size_t>(i * ldc + j);
        if (j >= c.N) {  // the spare columns of C are not touched
          ASSERT_EQ(out[o], before[o]);
          continue;
        }
        double want = c.beta * before[o], scale = std::abs(want);
        for (int64_t k = 0; k < c.K; ++k) {
          const double x = a[static_cast<size_t>(c.ta ? k * lda + i : i * lda + k)];
          const double y = b[static_cast<size_t>(c.tb ? j * ldb + k : k * ldb + j)];
          want += x * y;
          scale += std::abs(x * y);
        }
        ASSERT_NEAR(out[o], want, 1e-6 * scale + 1e-6) << "C[" << i << "," << j << "]";
      }
  }
}

}  // namespace
}  // namespace tg
