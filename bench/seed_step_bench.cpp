// SPDX-License-Identifier: Apache-2.0
// One full training step of the seed model (forward, loss, gradient, Adam), float32, on 1 and
// 2 threads (the benchmark argument): tapegrad through the C ABI against the same step
// written by hand with cblas on as many OpenBLAS threads.
// Legend: N = 1000 samples, D = 32 inputs, H = 32 hidden units, C = 10 classes.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cmath>
#include <vector>

#include "dense_step.h"
#include "tapegrad/tapegrad.h"

namespace {

constexpr int N = 1000, D = 32, H = 32, C = 10;

void BM_seed_step_tapegrad(benchmark::State& state) {
  tg_set_num_threads(static_cast<size_t>(state.range(0)));
  tg_bench::DenseStep step(N, tg_bench::kSeedWidths, false);
  for (auto _ : state) step.run();
  tg_set_num_threads(0);
}

// The reference: the same maths written by hand, buffers allocated once.
struct HandWritten {
  std::vector<float> x, y, w1, b1, w2, b2, h, z, dz, dh, dw1, db1, dw2, db2;
  std::vector<float> m[4], v[4];
  int64_t t = 0;
  HandWritten()
      : x(N * D), y(N * C), w1(D * H), b1(H), w2(H * C), b2(C), h(N * H), z(N * C), dz(N * C),
        dh(N * H), dw1(D * H), db1(H), dw2(H * C), db2(C) {
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 1000) / 1000.f;
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>((i * 104729) % 1000) / 1000.f;
    for (size_t i = 0; i < w1.size(); ++i) w1[i] = 0.01f * static_cast<float>(static_cast<int>(i % 17) - 8);
    for (size_t i = 0; i < w2.size(); ++i) w2[i] = 0.01f * static_cast<float>(static_cast<int>(i % 13) - 6);
    std::vector<float>* params[4] = {&w1, &b1, &w2, &b2};
    for (int p = 0; p < 4; ++p) {
      m[p].assign(params[p]->size(), 0.f);
      v[p].assign(params[p]->size(), 0.f);
    }
  }
  void adam(std::vector<float>& theta, const std::vector<float>& g, int p) {
    const double td = static_cast<double>(t);
    const float alpha = static_cast<float>(0.001 * std::sqrt(1 - std::pow(0.999, td)) / (1 - std::pow(0.9, td)));
    for (size_t i = 0; i < theta.size(); ++i) {
      m[p][i] += (g[i] - m[p][i]) * 0.1f;
      v[p][i] += (g[i] * g[i] - v[p][i]) * 0.001f;
      theta[i] -= alpha * m[p][i] / (std::sqrt(v[p][i]) + 1e-7f);
    }
  }
  float step() {
    // forward: h = relu(x·w1 + b1) (N,H); z = h·w2 + b2 (N,C)
    for (int i = 0; i < N; ++i) std::copy(b1.begin(), b1.end(), h.begin() + i * H);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, H, D, 1, x.data(), D, w1.data(), H, 1, h.data(), H);
    for (float& e : h) e = e > 0 ? e : 0;
    for (int i = 0; i < N; ++i) std::copy(b2.begin(), b2.end(), z.begin() + i * C);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, H, 1, h.data(), H, w2.data(), C, 1, z.data(), C);
    // loss = mean_i −Σ_c y·log_softmax(z); dz = (softmax(z)·Σy − y) / N
    double loss = 0;
    for (int i = 0; i < N; ++i) {
      const float* zi = &z[i * C];
      const float* yi = &y[i * C];
      float mx = zi[0], sum = 0, ysum = 0;
      for (int c = 1; c < C; ++c) mx = std::max(mx, zi[c]);
      for (int c = 0; c < C; ++c) sum += std::exp(zi[c] - mx);
      const float lse = mx + std::log(sum);
      for (int c = 0; c < C; ++c) {
        loss -= yi[c] * (zi[c] - lse);
        ysum += yi[c];
      }
      for (int c = 0; c < C; ++c) dz[i * C + c] = (std::exp(zi[c] - lse) * ysum - yi[c]) / N;
    }
    // backward
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, C, N, 1, h.data(), H, dz.data(), C, 0, dw2.data(), C);
    std::fill(db2.begin(), db2.end(), 0.f);
    for (int i = 0; i < N; ++i)
      for (int c = 0; c < C; ++c) db2[c] += dz[i * C + c];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, H, C, 1, dz.data(), C, w2.data(), C, 0, dh.data(), H);
    for (size_t i = 0; i < dh.size(); ++i) dh[i] = h[i] > 0 ? dh[i] : 0;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, D, H, N, 1, x.data(), D, dh.data(), H, 0, dw1.data(), H);
    std::fill(db1.begin(), db1.end(), 0.f);
    for (int i = 0; i < N; ++i)
      for (int j = 0; j < H; ++j) db1[j] += dh[i * H + j];
    ++t;
    adam(w1, dw1, 0);
    adam(b1, db1, 1);
    adam(w2, dw2, 2);
    adam(b2, db2, 3);
    return static_cast<float>(loss / N);
  }
};

void BM_seed_step_handwritten_cblas(benchmark::State& state) {
  openblas_set_num_threads(static_cast<int>(state.range(0)));
  HandWritten model;
  for (auto _ : state) benchmark::DoNotOptimize(model.step());
}

}  // namespace

BENCHMARK(BM_seed_step_handwritten_cblas)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_seed_step_tapegrad)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);
