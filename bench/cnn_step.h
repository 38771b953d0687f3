/* SPDX-License-Identifier: Apache-2.0 */
// One training step of the Fashion-MNIST CNN of cnn_cases.h, written with ops and a gradient
// tape through the C ABI; measured by cnn_bench.cpp and by the thread benchmark
// (threads_load.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench_calls.h"
#include "cnn_cases.h"
#include "tapegrad/tapegrad.h"

namespace tg_bench {

struct Cnn {
  // kernel 1 (3,3,1,32), bias 1, kernel 2 (3,3,32,64), bias 2, dense 1 (1600,128), bias 3,
  // dense 2 (128,10), bias 4: Keras's glorot_uniform kernels and zero biases.
  std::vector<tg_variable*> vars;
  tg_optimizer* adam = nullptr;
  tg_tensor *images = nullptr, *labels = nullptr;
  tg_tensor *rate = nullptr, *keep_scale = nullptr;
  uint64_t step = 0;

  Cnn() {
    const std::vector<std::vector<int64_t>> shapes = {
        {3, 3, 1, 32}, {32}, {3, 3, 32, 64}, {64}, {kCnnFlat, kCnnHidden}, {kCnnHidden},
        {kCnnHidden, kCnnClasses}, {kCnnClasses}};
    for (size_t i = 0; i < shapes.size(); ++i) {
      const std::vector<int64_t>& s = shapes[i];
      tg_tensor* init = nullptr;
      if (s.size() == 1) {
        must(tg_zeros(TG_FLOAT32, s.data(), 1, &init), "tg_zeros");
      } else {
        int64_t receptive = 1;
        for (size_t d = 0; d + 2 < s.size(); ++d) receptive *= s[d];
        const double fan_in = static_cast<double>(s[s.size() - 2] * receptive);
        const double fan_out = static_cast<double>(s[s.size() - 1] * receptive);
        const double limit = std::sqrt(6.0 / (fan_in + fan_out));
        init = uniform(s, -limit, limit, 10 + i);
      }
      tg_variable* v = nullptr;
      must(tg_variable_create(("cnn/var" + std::to_string(i)).c_str(), init, 1, &v), "tg_variable_create");
      tg_tensor_free(init);
      vars.push_back(v);
    }
    must(tg_optimizer_create("adam", &adam), "tg_optimizer_create");  // Keras's defaults
    must(tg_optimizer_set(adam, "learning_rate", kCnnLearningRate), "tg_optimizer_set");
    images = uniform({kCnnBatch, 28, 28, 1}, 0, 1, 4);
    std::vector<int32_t> y(static_cast<size_t>(kCnnBatch));
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<int32_t>((i * 7) % kCnnClasses);
    const int64_t ys[1] = {kCnnBatch};
    must(tg_tensor_create(TG_INT32, ys, 1, y.data(), &labels), "tg_tensor_create");
    must(tg_tensor_scalar(TG_FLOAT32, kCnnDropout, &rate), "tg_tensor_scalar");
    must(tg_tensor_scalar(TG_FLOAT32, 1 / (1 - kCnnDropout), &keep_scale), "tg_tensor_scalar");
  }
  ~Cnn() {
    for (tg_variable* v : vars) tg_variable_free(v);
    tg_optimizer_free(adam);
    tg_tensor_free(images);
    tg_tensor_free(labels);
    tg_tensor_free(rate);
    tg_tensor_free(keep_scale);
  }

  // Every intermediate handle, freed at the end of the step.
  std::vector<tg_tensor*> live;
  tg_tensor* keep(tg_tensor* t) {
    live.push_back(t);
    return t;
  }
  tg_tensor* read(size_t i) {
    tg_tensor* t = nullptr;
    must(tg_variable_read(vars[i], &t), "tg_variable_read");
    return keep(t);
  }
  tg_tensor* add(tg_tensor* a, tg_tensor* b) {
    tg_tensor* t = nullptr;
    must(tg_add(a, b, &t), "tg_add");
    return keep(t);
  }
  tg_tensor* relu(tg_tensor* a) {
    tg_tensor* t = nullptr;
    must(tg_relu(a, &t), "tg_relu");
    return keep(t);
  }
  tg_tensor* conv_block(tg_tensor* x, size_t kernel) {  // conv with bias → relu → 2×2 max pool
    tg_tensor *c = nullptr, *p = nullptr;
    must(tg_conv2d(x, read(kernel), read(kernel + 1), 1, 1, TG_PADDING_VALID, 1, 1, &c), "tg_conv2d");
    tg_tensor* a = relu(keep(c));
    must(tg_max_pool2d(a, 2, 2, 2, 2, TG_PADDING_VALID, &p), "tg_max_pool2d");
    return keep(p);
  }
  tg_tensor* dense(tg_tensor* x, size_t kernel) {
    tg_tensor* m = nullptr;
    must(tg_matmul(x, read(kernel), 0, 0, &m), "tg_matmul");
    return add(keep(m), read(kernel + 1));
  }
  tg_tensor* dropout(tg_tensor* x) {  // keep where u >= rate, scaled by 1/(1 − rate)
    const int64_t s[2] = {kCnnBatch, kCnnHidden};
    tg_tensor *u = nullptr, *kept = nullptr, *mask = nullptr, *scaled = nullptr, *y = nullptr;
    must(tg_random_uniform(TG_FLOAT32, s, 2, 0, 1, 1000 + ++step, &u), "tg_random_uniform");
    must(tg_greater_equal(keep(u), rate, &kept), "tg_greater_equal");
    must(tg_cast(keep(kept), TG_FLOAT32, &mask), "tg_cast");
    must(tg_mul(keep(mask), keep_scale, &scaled), "tg_mul");
    must(tg_mul(x, keep(scaled), &y), "tg_mul");
    return keep(y);
  }

  void train_step() {
    tg_tape* tape = nullptr;
    must(tg_tape_begin(TG_TAPE_DEFAULT, &tape), "tg_tape_begin");
    tg_tensor* h = conv_block(conv_block(images, 0), 2);  // (N, 5, 5, 64)
    const int64_t flat[2] = {kCnnBatch, kCnnFlat};
    tg_tensor* f = nullptr;
    must(tg_reshape(h, flat, 2, &f), "tg_reshape");
    tg_tensor* logits = dense(dropout(relu(dense(keep(f), 4))), 6);
    tg_tensor *xent = nullptr, *loss = nullptr;
    must(tg_sparse_softmax_cross_entropy_with_logits(labels, logits, &xent), "xent");
    must(tg_reduce_mean(keep(xent), nullptr, 0, 0, &loss), "tg_reduce_mean");
    keep(loss);
    must(tg_tape_end(tape), "tg_tape_end");
    const void* targets[1] = {loss};
    std::vector<const void*> sources(vars.begin(), vars.end());
    std::vector<tg_tensor*> grads(vars.size());
    must(tg_tape_gradient(tape, targets, 1, sources.data(), sources.size(), grads.data()),
         "tg_tape_gradient");
    must(tg_optimizer_apply(adam, vars.data(), grads.data(), vars.size(), nullptr), "tg_optimizer_apply");
    for (tg_tensor* g : grads) tg_tensor_free(g);
    for (tg_tensor* t : live) tg_tensor_free(t);
    live.clear();
    tg_tape_free(tape);
  }
};

}  // namespace tg_bench
