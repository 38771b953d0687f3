// SPDX-License-Identifier: Apache-2.0
// tg_model_train_step against the same step written with tape calls through the C ABI: forward
// with training behaviour under a tape, loss, gradient, optimizer step, metric update, reading
// the loss. float32, one thread. Two workloads:
//   seed:    N = 1000 samples, 32 → Dense(32, relu) → Dense(10), CategoricalCrossentropy
//            (from logits) on uniform labels, Adam (the seed notebook's step);
//   mlp_b32: N = 32, 784 → Dense(256, relu) → Dense(128, relu) → Dense(10), sparse labels,
//            SparseCategoricalCrossentropy (from logits), Adam (a Fashion-MNIST step at batch 32).
// Run: build/bench/tapegrad_bench --benchmark_filter=train_step --benchmark_repetitions=9
//        --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "tapegrad/tapegrad.h"

namespace {

struct Workload {
  tg_model* model = nullptr;
  tg_tensor *x = nullptr, *y = nullptr;
  tg_loss* loss = nullptr;
  tg_optimizer* adam = nullptr;
  tg_metric* accuracy = nullptr;
  std::vector<tg_variable*> variables;

  // widths: input, hidden..., classes. sparse: int32 class labels, else uniform (N, classes).
  Workload(int64_t n, std::vector<int64_t> widths, bool sparse) {
    tg_set_num_threads(1);
    const int64_t x_shape[2] = {n, widths.front()};
    tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 1, &x);
    if (sparse) {
      std::vector<int32_t> labels(static_cast<size_t>(n));
      for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % 10);
      tg_tensor_create(TG_INT32, &n, 1, labels.data(), &y);
      tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &loss);
    } else {
      const int64_t y_shape[2] = {n, widths.back()};
      tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 2, &y);
      tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &loss);
    }
    tg_model_create(nullptr, &model);
    tg_layer_config dense;
    tg_layer_config_init(TG_LAYER_DENSE, &dense);
    for (size_t i = 1; i < widths.size(); ++i) {
      dense.units = widths[i];
      dense.activation = i + 1 < widths.size() ? TG_ACTIVATION_RELU : TG_ACTIVATION_LINEAR;
      dense.kernel_initializer.seed = 40 + i;
      tg_model_add(model, &dense, nullptr);
    }
    tg_tensor* warm;
    tg_model_call(model, x, &warm);
    tg_tensor_free(warm);
    size_t count = 0;
    tg_model_trainable_variables(model, nullptr, 0, &count);
    variables.resize(count);
    tg_model_trainable_variables(model, variables.data(), count, &count);
    tg_optimizer_create("adam", &adam);
    tg_metric_auto_accuracy(&accuracy);
  }
  Workload(const Workload&) = delete;  // passed and returned as prvalues only (no copy)
  Workload& operator=(const Workload&) = delete;
  ~Workload() {
    for (tg_variable* v : variables) tg_variable_free(v);
    tg_metric_free(accuracy);
    tg_optimizer_free(adam);
    tg_loss_free(loss);
    tg_tensor_free(x);
    tg_tensor_free(y);
    tg_model_free(model);
  }
};

Workload seed() { return Workload(1000, {32, 32, 10}, false); }
Workload mlp_b32() { return Workload(32, {784, 256, 128, 10}, true); }

void train_step(benchmark::State& state, Workload w) {
  double value = 0;
  for (auto _ : state) {
    if (tg_model_train_step(w.model, w.loss, w.adam, &w.accuracy, 1, w.x, w.y, nullptr, &value) != TG_OK)
      state.SkipWithError(tg_last_error_message());
    benchmark::DoNotOptimize(value);
  }
}

// The same step with tape calls; the variable list is read once, outside the loop, as a
// program of one's own would.
void tape_calls(benchmark::State& state, Workload w) {
  const size_t n = w.variables.size();
  std::vector<const void*> sources(w.variables.begin(), w.variables.end());
  std::vector<tg_tensor*> grads(n);
  double value = 0;
  for (auto _ : state) {
    tg_tape* tape;
    tg_tensor *pred, *loss;
    tg_tape_begin(TG_TAPE_DEFAULT, &tape);
    tg_model_call_ex(w.model, w.x, 1, &pred);
    tg_loss_call(w.loss, w.y, pred, nullptr, &loss);
    tg_tape_end(tape);
    const void* targets[1] = {loss};
    if (tg_tape_gradient(tape, targets, 1, sources.data(), n, grads.data()) != TG_OK ||
        tg_metric_update(w.accuracy, w.y, pred, nullptr) != TG_OK ||
        tg_optimizer_apply(w.adam, w.variables.data(), grads.data(), n, nullptr) != TG_OK ||
        tg_tensor_item(loss, &value) != TG_OK)
      state.SkipWithError(tg_last_error_message());
    benchmark::DoNotOptimize(value);
    for (tg_tensor* g : grads) tg_tensor_free(g);
    tg_tensor_free(loss);
    tg_tensor_free(pred);
    tg_tape_free(tape);
  }
}

void BM_train_step_seed(benchmark::State& state) { train_step(state, seed()); }
void BM_train_step_seed_tape_calls(benchmark::State& state) { tape_calls(state, seed()); }
void BM_train_step_mlp_b32(benchmark::State& state) { train_step(state, mlp_b32()); }
void BM_train_step_mlp_b32_tape_calls(benchmark::State& state) { tape_calls(state, mlp_b32()); }

}  // namespace

BENCHMARK(BM_train_step_seed)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_train_step_seed_tape_calls)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_train_step_mlp_b32)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_train_step_mlp_b32_tape_calls)->Unit(benchmark::kMicrosecond);
