// SPDX-License-Identifier: Apache-2.0
// Legend: n = element count; a block = 4 elements, the width of one AVX2 double vector.
#include "tensor/vmath.h"

#include <cmath>
#include <cstring>

#if defined(TAPEGRAD_HAVE_LIBMVEC)
#include <immintrin.h>

// glibc's vector math library (x86-64 vector function ABI names: 'd' = AVX2, N4 = 4 lanes,
// v = one vector argument). They dispatch inside to FMA variants where the CPU has them.
extern "C" __m256d _ZGVdN4v_exp(__m256d);
extern "C" __m256d _ZGVdN4v_log(__m256d);
#endif

namespace tg {
namespace {

using DoubleFn = double (*)(double);

// The portable path: the same double-precision function, one element at a time.
void scalar_map(const float* x, float* y, int64_t n, DoubleFn f) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(f(static_cast<double>(x[i])));
}

#if defined(TAPEGRAD_HAVE_LIBMVEC)
using VectorFn = __m256d (*)(__m256d);

// why f is a template argument (a direct call): through a function pointer, clang 14 with
// libFuzzer's coverage instrumentation (the sanitizer build of scripts/test) passed lanes 2
// and 3 of the argument as zeros: its hook before an indirect call loses the vector
// registers' upper halves.
template <VectorFn f>
__attribute__((target("avx2"))) void avx2_map(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    _mm_storeu_ps(y + i, _mm256_cvtpd_ps(f(_mm256_cvtps_pd(_mm_loadu_ps(x + i)))));
  if (i == n) return;
  // why padded: the tail goes through the same vector function, so an element's result does
  // not depend on where it sits in the array.
  float in[4] = {1.0f, 1.0f, 1.0f, 1.0f}, out[4];
  std::memcpy(in, x + i, static_cast<size_t>(n - i) * sizeof(float));
  _mm_storeu_ps(out, _mm256_cvtpd_ps(f(_mm256_cvtps_pd(_mm_loadu_ps(in)))));
  std::memcpy(y + i, out, static_cast<size_t>(n - i) * sizeof(float));
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}
#endif

double exp_d(double v) { return std::exp(v); }
double log_d(double v) { return std::log(v); }

}  // namespace

void exp_array(const float* x, float* y, int64_t n) {
#if defined(TAPEGRAD_HAVE_LIBMVEC)
  if (has_avx2()) return avx2_map<_ZGVdN4v_exp>(x, y, n);
#endif
  scalar_map(x, y, n, exp_d);
}

void log_array(const float* x, float* y, int64_t n) {
#if defined(TAPEGRAD_HAVE_LIBMVEC)
  if (has_avx2()) return avx2_map<_ZGVdN4v_log>(x, y, n);
#endif
  scalar_map(x, y, n, log_d);
}

void exp_array(const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void log_array(const double* x, double* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]);
}

}  // namespace tg
