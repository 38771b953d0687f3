// SPDX-License-Identifier: Apache-2.0
// tapegrad side of the CNN benchmarks (shapes and model in cnn_cases.h), through the C ABI as
// a user would call it: conv2d forward and backward (both gradients) at three shapes, and one
// training step of the Fashion-MNIST CNN written with ops and a gradient tape.
// Legend: N = batch, H, W = image size, C = input channels, O = output channels.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cnn_cases.h"
#include "tapegrad/tapegrad.h"

namespace {

using tg_bench::ConvCase;

// Benchmark programs stop at the first failed call: a number measured after an error is
// meaningless.
void must(tg_status s, const char* what) {
  if (s == TG_OK) return;
  std::fprintf(stderr, "%s failed: %s\n", what, tg_last_error_message());
  std::exit(1);
}

tg_tensor* uniform(std::vector<int64_t> shape, double lo, double hi, uint64_t seed) {
  tg_tensor* t = nullptr;
  must(tg_random_uniform(TG_FLOAT32, shape.data(), static_cast<int>(shape.size()), lo, hi, seed, &t),
       "tg_random_uniform");
  return t;
}

// The three tensors of one convolution: x (N, H, W, C), w (3, 3, C, O), dy (N, OH, OW, O).
struct ConvTensors {
  tg_tensor *x = nullptr, *w = nullptr, *dy = nullptr;
  tg_padding padding;
  int64_t x_shape[4], w_shape[4];
  explicit ConvTensors(const ConvCase& c) : padding(c.same ? TG_PADDING_SAME : TG_PADDING_VALID) {
    const int64_t k = c.kernel;
    const int64_t out = c.same ? c.height : c.height - k + 1;
    const int64_t xs[4] = {c.batch, c.height, c.width, c.in_channels};
    const int64_t ws[4] = {k, k, c.in_channels, c.out_channels};
    std::copy(xs, xs + 4, x_shape);
    std::copy(ws, ws + 4, w_shape);
    x = uniform({xs[0], xs[1], xs[2], xs[3]}, -1, 1, 1);
    w = uniform({ws[0], ws[1], ws[2], ws[3]}, -0.1, 0.1, 2);
    dy = uniform({c.batch, out, out, c.out_channels}, -1, 1, 3);
  }
  ~ConvTensors() {
    tg_tensor_free(x);
    tg_tensor_free(w);
    tg_tensor_free(dy);
  }
};

void conv_forward(benchmark::State& state, const ConvCase& c) {
  tg_set_num_threads(static_cast<int>(state.range(0)));
  ConvTensors t(c);
  for (auto _ : state) {
    tg_tensor* y = nullptr;
    must(tg_conv2d(t.x, t.w, nullptr, 1, 1, t.padding, 1, 1, &y), "tg_conv2d");
    tg_tensor_free(y);
  }
}

void conv_backward(benchmark::State& state, const ConvCase& c) {
  tg_set_num_threads(static_cast<int>(state.range(0)));
  ConvTensors t(c);
  for (auto _ : state) {
    tg_tensor *dx = nullptr, *dw = nullptr;
    must(tg_conv2d_backprop_input(t.x_shape, 4, t.w, t.dy, 1, 1, t.padding, 1, 1, &dx),
         "tg_conv2d_backprop_input");
    must(tg_conv2d_backprop_filter(t.x, t.w_shape, 4, t.dy, 1, 1, t.padding, 1, 1, &dw),
         "tg_conv2d_backprop_filter");
    tg_tensor_free(dx);
    tg_tensor_free(dw);
  }
}

// The gradient of sum(f(inputs) · dy) w.r.t. the watched inputs, through a tape: f's forward
// and backward, as a training step runs them.
template <class F>
void forward_backward(benchmark::State& state, std::vector<tg_tensor*> inputs, F f) {
  tg_set_num_threads(static_cast<int>(state.range(0)));
  const int64_t* s = tg_bench::kActivationShape;
  tg_tensor* dy = uniform({s[0], s[1], s[2], s[3]}, -1, 1, 5);
  std::vector<const void*> sources(inputs.begin(), inputs.end());
  std::vector<tg_tensor*> grads(inputs.size());
  for (auto _ : state) {
    tg_tape* tape = nullptr;
    must(tg_tape_begin(TG_TAPE_DEFAULT, &tape), "tg_tape_begin");
    for (tg_tensor* t : inputs) must(tg_tape_watch(tape, t), "tg_tape_watch");
    tg_tensor* y = f();
    must(tg_tape_end(tape), "tg_tape_end");
    const void* targets[1] = {y};
    tg_tensor* seeds[1] = {nullptr};
    tg_tensor* seed = dy;
    bool matches = true;  // dy seeds y when the shapes agree (batch norm), else ones (pooling)
    int64_t dims[4];
    must(tg_tensor_shape(y, dims, 4), "tg_tensor_shape");
    for (int d = 0; d < 4; ++d) matches = matches && dims[d] == s[d];
    seeds[0] = matches ? seed : nullptr;
    must(tg_tape_gradient_ex(tape, targets, 1, sources.data(), sources.size(), seeds,
                             TG_UNCONNECTED_NONE, grads.data()),
         "tg_tape_gradient_ex");
    for (tg_tensor* g : grads) tg_tensor_free(g);
    tg_tensor_free(y);
    tg_tape_free(tape);
  }
  tg_tensor_free(dy);
}

void max_pool_forward_backward(benchmark::State& state) {
  const int64_t* s = tg_bench::kActivationShape;
  tg_tensor* x = uniform({s[0], s[1], s[2], s[3]}, -1, 1, 6);
  forward_backward(state, {x}, [&] {
    tg_tensor* y = nullptr;
    must(tg_max_pool2d(x, 2, 2, 2, 2, TG_PADDING_VALID, &y), "tg_max_pool2d");
    return y;
  });
  tg_tensor_free(x);
}

void batch_norm_forward_backward(benchmark::State& state) {
  const int64_t* s = tg_bench::kActivationShape;
  tg_tensor* x = uniform({s[0], s[1], s[2], s[3]}, -1, 1, 7);
  tg_tensor* scale = uniform({s[3]}, 0.5, 1.5, 8);
  tg_tensor* offset = uniform({s[3]}, -0.5, 0.5, 9);
  forward_backward(state, {x, scale, offset}, [&] {
    tg_tensor* y = nullptr;
    must(tg_fused_batch_norm(x, scale, offset, 1e-3, &y, nullptr, nullptr), "tg_fused_batch_norm");
    return y;
  });
  for (tg_tensor* t : {x, scale, offset}) tg_tensor_free(t);
}

// ---- the CNN training step -------------------------------------------------------------

struct Cnn {
  // kernel 1 (3,3,1,32), bias 1, kernel 2 (3,3,32,64), bias 2, dense 1 (1600,128), bias 3,
  // dense 2 (128,10), bias 4: Keras's glorot_uniform kernels and zero biases.
  std::vector<tg_variable*> vars;
  tg_optimizer* adam = nullptr;
  tg_tensor *images = nullptr, *labels = nullptr;
  tg_tensor *rate = nullptr, *keep_scale = nullptr;
  uint64_t step = 0;

  Cnn() {
    using namespace tg_bench;
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
    using namespace tg_bench;
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
    using namespace tg_bench;
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

void cnn_train_step(benchmark::State& state) {
  tg_set_num_threads(static_cast<int>(state.range(0)));
  Cnn cnn;
  cnn.train_step();  // builds the optimizer's slots and warms the allocator
  for (auto _ : state) cnn.train_step();
}

int register_benchmarks() {
  for (const ConvCase& c : tg_bench::kConvCases) {
    benchmark::RegisterBenchmark((std::string("tapegrad/conv2d_forward/") + c.name).c_str(),
                                 [c](benchmark::State& s) { conv_forward(s, c); })
        ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("tapegrad/conv2d_backward/") + c.name).c_str(),
                                 [c](benchmark::State& s) { conv_backward(s, c); })
        ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("tapegrad/max_pool2d_fwd_bwd/128x26x26x32", max_pool_forward_backward)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("tapegrad/batch_norm_fwd_bwd/128x26x26x32", batch_norm_forward_backward)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("tapegrad/cnn_train_step_b128", cnn_train_step)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  return 0;
}
const int registered = register_benchmarks();

}  // namespace
