// SPDX-License-Identifier: Apache-2.0
// tapegrad's matmul (through the C ABI, as users call it) against a direct cblas_sgemm on
// the same square shapes, one thread each. The ratio of the two is the library's overhead.
// Legend: n = M = N = K.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <vector>

#include "tapegrad/tapegrad.h"

namespace {

void BM_cblas_sgemm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  tg_set_num_threads(1);
  openblas_set_num_threads(1);
  std::vector<float> a(static_cast<size_t>(n) * n, 0.5f), b(a.size(), 0.25f), c(a.size());
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data(), n, b.data(), n,
                0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void BM_tg_matmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  tg_set_num_threads(1);
  const int64_t shape[2] = {n, n};
  tg_tensor *a, *b;
  tg_tensor_fill(TG_FLOAT32, shape, 2, 0.5, &a);
  tg_tensor_fill(TG_FLOAT32, shape, 2, 0.25, &b);
  for (auto _ : state) {
    tg_tensor* c = nullptr;
    if (tg_matmul(a, b, 0, 0, &c) != TG_OK) state.SkipWithError(tg_last_error_message());
    benchmark::DoNotOptimize(c);
    tg_tensor_free(c);
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
  tg_tensor_free(a);
  tg_tensor_free(b);
}

}  // namespace

BENCHMARK(BM_cblas_sgemm)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_tg_matmul)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
