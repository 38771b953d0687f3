/* SPDX-License-Identifier: Apache-2.0 */
// One training step of a Dense model through the C ABI, as a user writes it: forward under a
// gradient tape, cross-entropy from logits, gradient, Adam. Shared by the step benchmarks
// (seed_step_bench.cpp, mlp_step_bench.cpp) and the thread benchmark (threads_load.cpp), so
// that they all measure the same work. float32; the thread count is the caller's business.
// Two models:
//   seed: 1000 samples, 32 → Dense(32, relu) → Dense(10), CategoricalCrossentropy on
//         uniform labels (the seed notebook's step);
//   mlp:  256 samples, 784 → Dense(512, relu) → Dense(512, relu) → Dense(10),
//         SparseCategoricalCrossentropy (a Fashion-MNIST MLP step).
#pragma once

#include <cstdint>
#include <vector>

#include "bench_calls.h"
#include "tapegrad/tapegrad.h"

namespace tg_bench {

class DenseStep {
 public:
  // widths: inputs, hidden units…, classes. sparse: int32 class labels, else uniform (n, classes).
  DenseStep(int64_t n, const std::vector<int64_t>& widths, bool sparse) {
    const int64_t x_shape[2] = {n, widths.front()};
    must(tg_random_uniform(TG_FLOAT32, x_shape, 2, 0, 1, 1, &x_), "tg_random_uniform");
    if (sparse) {
      std::vector<int32_t> labels(static_cast<size_t>(n));
      for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int32_t>((i * 7) % widths.back());
      must(tg_tensor_create(TG_INT32, &n, 1, labels.data(), &y_), "tg_tensor_create");
      must(tg_loss_sparse_categorical_crossentropy(1, 0, 0, TG_REDUCTION_AUTO, &loss_), "loss");
    } else {
      const int64_t y_shape[2] = {n, widths.back()};
      must(tg_random_uniform(TG_FLOAT32, y_shape, 2, 0, 1, 2, &y_), "tg_random_uniform");
      must(tg_loss_categorical_crossentropy(1, 0.0, TG_REDUCTION_AUTO, &loss_), "loss");
    }
    must(tg_model_create(nullptr, &model_), "tg_model_create");
    tg_layer_config dense;
    tg_layer_config_init(TG_LAYER_DENSE, &dense);
    for (size_t i = 1; i < widths.size(); ++i) {
      dense.units = widths[i];
      dense.activation = i + 1 < widths.size() ? TG_ACTIVATION_RELU : TG_ACTIVATION_LINEAR;
      dense.kernel_initializer.seed = 41 + i;
      must(tg_model_add(model_, &dense, nullptr), "tg_model_add");
    }
    tg_tensor* warm = nullptr;
    must(tg_model_call(model_, x_, &warm), "tg_model_call");  // builds the variables
    tg_tensor_free(warm);
    size_t count = 0;
    must(tg_model_trainable_variables(model_, nullptr, 0, &count), "tg_model_trainable_variables");
    vars_.resize(count);
    must(tg_model_trainable_variables(model_, vars_.data(), count, &count), "tg_model_trainable_variables");
    sources_.assign(vars_.begin(), vars_.end());
    grads_.resize(count);
    must(tg_optimizer_create("adam", &adam_), "tg_optimizer_create");
  }
  DenseStep(const DenseStep&) = delete;
  DenseStep& operator=(const DenseStep&) = delete;
  ~DenseStep() {
    for (tg_variable* v : vars_) tg_variable_free(v);
    tg_optimizer_free(adam_);
    tg_loss_free(loss_);
    tg_model_free(model_);
    tg_tensor_free(x_);
    tg_tensor_free(y_);
  }

  void run() {
    tg_tape* tape = nullptr;
    tg_tensor *pred = nullptr, *loss = nullptr;
    must(tg_tape_begin(TG_TAPE_DEFAULT, &tape), "tg_tape_begin");
    must(tg_model_call(model_, x_, &pred), "tg_model_call");
    must(tg_loss_call(loss_, y_, pred, nullptr, &loss), "tg_loss_call");
    must(tg_tape_end(tape), "tg_tape_end");
    const void* targets[1] = {loss};
    must(tg_tape_gradient(tape, targets, 1, sources_.data(), sources_.size(), grads_.data()),
         "tg_tape_gradient");
    must(tg_optimizer_apply(adam_, vars_.data(), grads_.data(), vars_.size(), nullptr),
         "tg_optimizer_apply");
    for (tg_tensor* g : grads_) tg_tensor_free(g);
    tg_tensor_free(loss);
    tg_tensor_free(pred);
    tg_tape_free(tape);
  }

 private:
  tg_model* model_ = nullptr;
  tg_tensor *x_ = nullptr, *y_ = nullptr;
  tg_loss* loss_ = nullptr;
  tg_optimizer* adam_ = nullptr;
  std::vector<tg_variable*> vars_;
  std::vector<const void*> sources_;
  std::vector<tg_tensor*> grads_;
};

inline constexpr int64_t kSeedBatch = 1000, kMlpBatch = 256;
inline const std::vector<int64_t> kSeedWidths = {32, 32, 10};
inline const std::vector<int64_t> kMlpWidths = {784, 512, 512, 10};

}  // namespace tg_bench
