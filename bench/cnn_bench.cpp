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
#include "cnn_step.h"
#include "tapegrad/tapegrad.h"

namespace {

using tg_bench::ConvCase;

using tg_bench::must;
using tg_bench::uniform;

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

void cnn_train_step(benchmark::State& state) {
  tg_set_num_threads(static_cast<int>(state.range(0)));
  tg_bench::Cnn cnn;
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
