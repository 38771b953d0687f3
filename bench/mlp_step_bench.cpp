// SPDX-License-Identifier: Apache-2.0
// One training step of the MLP of dense_step.h (batch 256, 784 → 512 relu → 512 relu → 10,
// sparse softmax cross-entropy, Adam), float32, on 1 and 2 threads (the benchmark argument):
// tapegrad through the C ABI against the same step written by hand on cblas_sgemm with
// OpenBLAS on as many threads.
// Run: build/bench/tapegrad_bench --benchmark_filter=mlp_step --benchmark_repetitions=7
//        --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
// Legend: N = samples, L = layers, in/out = a layer's input and output widths.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "dense_step.h"
#include "tapegrad/tapegrad.h"

namespace {

constexpr int N = static_cast<int>(tg_bench::kMlpBatch);

void BM_mlp_step_tapegrad(benchmark::State& state) {
  tg_set_num_threads(static_cast<size_t>(state.range(0)));
  tg_bench::DenseStep step(N, tg_bench::kMlpWidths, true);
  step.run();  // builds the optimizer's slots
  for (auto _ : state) step.run();
  tg_set_num_threads(0);
}

// The reference: the same maths written by hand, buffers allocated once, weights (in, out)
// row-major as Keras stores them.
struct HandWrittenMlp {
  struct Layer {
    int in, out;
    std::vector<float> w, b, dw, db, mw, vw, mb, vb;
    std::vector<float> y, dy;  // activations (N, out) and their gradient
  };
  std::vector<float> x;
  std::vector<int> labels;
  std::vector<Layer> layers;
  int64_t t = 0;

  HandWrittenMlp() : x(static_cast<size_t>(N) * 784), labels(N) {
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 1000) / 1000.f;
    for (int i = 0; i < N; ++i) labels[i] = (i * 7) % 10;
    const auto& widths = tg_bench::kMlpWidths;
    for (size_t l = 1; l < widths.size(); ++l) {
      Layer L;
      L.in = static_cast<int>(widths[l - 1]);
      L.out = static_cast<int>(widths[l]);
      const size_t nw = static_cast<size_t>(L.in) * L.out, nb = static_cast<size_t>(L.out);
      L.w.resize(nw);
      for (size_t i = 0; i < nw; ++i) L.w[i] = 0.002f * static_cast<float>(static_cast<int>(i % 17) - 8);
      L.b.assign(nb, 0.f);
      L.dw.resize(nw);
      L.db.resize(nb);
      L.mw.assign(nw, 0.f);
      L.vw.assign(nw, 0.f);
      L.mb.assign(nb, 0.f);
      L.vb.assign(nb, 0.f);
      L.y.resize(static_cast<size_t>(N) * L.out);
      L.dy.resize(static_cast<size_t>(N) * L.out);
      layers.push_back(std::move(L));
    }
  }

  static void adam(std::vector<float>& theta, const std::vector<float>& g, std::vector<float>& m,
                   std::vector<float>& v, float alpha) {
    for (size_t i = 0; i < theta.size(); ++i) {
      m[i] += (g[i] - m[i]) * 0.1f;
      v[i] += (g[i] * g[i] - v[i]) * 0.001f;
      theta[i] -= alpha * m[i] / (std::sqrt(v[i]) + 1e-7f);
    }
  }

  float step() {
    // forward: y_l = act(x_l · w_l + b_l), relu on all but the last layer
    const float* in = x.data();
    for (size_t l = 0; l < layers.size(); ++l) {
      Layer& L = layers[l];
      for (int i = 0; i < N; ++i) std::copy(L.b.begin(), L.b.end(), L.y.begin() + static_cast<size_t>(i) * L.out);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, L.out, L.in, 1, in, L.in, L.w.data(),
                  L.out, 1, L.y.data(), L.out);
      if (l + 1 < layers.size())
        for (float& e : L.y) e = e > 0 ? e : 0;
      in = L.y.data();
    }
    // loss = mean_i −log_softmax(z_i)[label_i]; dz = (softmax(z) − onehot) / N
    Layer& last = layers.back();
    const int C = last.out;
    double loss = 0;
    for (int i = 0; i < N; ++i) {
      const float* zi = &last.y[static_cast<size_t>(i) * C];
      float* dzi = &last.dy[static_cast<size_t>(i) * C];
      float mx = zi[0], sum = 0;
      for (int c = 1; c < C; ++c) mx = std::max(mx, zi[c]);
      for (int c = 0; c < C; ++c) sum += std::exp(zi[c] - mx);
      const float lse = mx + std::log(sum);
      loss -= zi[labels[i]] - lse;
      for (int c = 0; c < C; ++c) dzi[c] = (std::exp(zi[c] - lse) - (c == labels[i] ? 1.f : 0.f)) / N;
    }
    // backward: dw = x_lᵀ · dy, db = Σ_rows dy, dx_l = dy · w_lᵀ masked by relu
    for (size_t l = layers.size(); l-- > 0;) {
      Layer& L = layers[l];
      const float* xl = l == 0 ? x.data() : layers[l - 1].y.data();
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, L.in, L.out, N, 1, xl, L.in, L.dy.data(),
                  L.out, 0, L.dw.data(), L.out);
      std::fill(L.db.begin(), L.db.end(), 0.f);
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < L.out; ++j) L.db[j] += L.dy[static_cast<size_t>(i) * L.out + j];
      if (l == 0) break;
      Layer& P = layers[l - 1];
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, L.in, L.out, 1, L.dy.data(), L.out,
                  L.w.data(), L.out, 0, P.dy.data(), L.in);
      for (size_t i = 0; i < P.dy.size(); ++i) P.dy[i] = P.y[i] > 0 ? P.dy[i] : 0;
    }
    ++t;
    const double td = static_cast<double>(t);
    const float alpha = static_cast<float>(0.001 * std::sqrt(1 - std::pow(0.999, td)) / (1 - std::pow(0.9, td)));
    for (Layer& L : layers) {
      adam(L.w, L.dw, L.mw, L.vw, alpha);
      adam(L.b, L.db, L.mb, L.vb, alpha);
    }
    return static_cast<float>(loss / N);
  }
};

void BM_mlp_step_handwritten_cblas(benchmark::State& state) {
  openblas_set_num_threads(static_cast<int>(state.range(0)));
  HandWrittenMlp model;
  for (auto _ : state) benchmark::DoNotOptimize(model.step());
}

}  // namespace

BENCHMARK(BM_mlp_step_handwritten_cblas)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mlp_step_tapegrad)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
