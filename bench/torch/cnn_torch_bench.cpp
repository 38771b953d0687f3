// SPDX-License-Identifier: Apache-2.0
// libtorch side of the CNN benchmarks (shapes and model in ../cnn_cases.h): the same
// convolutions and the same training step, written the way a libtorch user would (NCHW
// tensors, torch::nn modules, torch::optim::Adam). Built only when CMake finds Torch.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "../cnn_cases.h"

namespace {

using tg_bench::ConvCase;

// libtorch's Linear layers run on the same OpenBLAS as tapegrad, whose thread count torch's
// own setting does not change: set both, so "one thread" means one thread for both libraries.
extern "C" void openblas_set_num_threads(int);

void set_threads(const benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  torch::set_num_threads(n);
  openblas_set_num_threads(n);
}

struct ConvTensors {
  torch::Tensor x, w, dy;
  int64_t padding;
  explicit ConvTensors(const ConvCase& c) : padding(c.same ? c.kernel / 2 : 0) {
    const int64_t out = c.same ? c.height : c.height - c.kernel + 1;
    x = torch::rand({c.batch, c.in_channels, c.height, c.width}) * 2 - 1;
    w = (torch::rand({c.out_channels, c.in_channels, c.kernel, c.kernel}) * 2 - 1) * 0.1;
    dy = torch::rand({c.batch, c.out_channels, out, out}) * 2 - 1;
  }
};

void conv_forward(benchmark::State& state, const ConvCase& c) {
  set_threads(state);
  torch::NoGradGuard no_grad;
  ConvTensors t(c);
  for (auto _ : state) benchmark::DoNotOptimize(torch::conv2d(t.x, t.w, {}, 1, t.padding));
}

void conv_backward(benchmark::State& state, const ConvCase& c) {
  set_threads(state);
  torch::NoGradGuard no_grad;
  ConvTensors t(c);
  for (auto _ : state) {
    // the two gradients autograd asks of a bias-free convolution
    auto grads = at::convolution_backward(t.dy, t.x, t.w, c10::nullopt, {1, 1}, {t.padding, t.padding},
                                          {1, 1}, false, {0, 0}, 1, {true, true, false});
    benchmark::DoNotOptimize(grads);
  }
}

// Forward and backward of f on the CNN's first activation, NCHW, with dy as the output
// gradient when f keeps the shape (batch norm) and ones otherwise (pooling).
template <class F>
void forward_backward(benchmark::State& state, const std::vector<torch::Tensor>& inputs, F f) {
  set_threads(state);
  const int64_t* s = tg_bench::kActivationShape;
  const torch::Tensor dy = torch::rand({s[0], s[3], s[1], s[2]}) * 2 - 1;
  for (auto _ : state) {
    for (const torch::Tensor& t : inputs) t.mutable_grad() = torch::Tensor();
    torch::Tensor y = f();
    y.backward(y.sizes() == dy.sizes() ? dy : torch::ones_like(y));
  }
}

void max_pool_forward_backward(benchmark::State& state) {
  const int64_t* s = tg_bench::kActivationShape;
  const torch::Tensor x = (torch::rand({s[0], s[3], s[1], s[2]}) * 2 - 1).requires_grad_();
  forward_backward(state, {x}, [&] { return torch::max_pool2d(x, 2); });
}

void batch_norm_forward_backward(benchmark::State& state) {
  const int64_t* s = tg_bench::kActivationShape;
  const torch::Tensor x = (torch::rand({s[0], s[3], s[1], s[2]}) * 2 - 1).requires_grad_();
  const torch::Tensor scale = (torch::rand({s[3]}) + 0.5).requires_grad_();
  const torch::Tensor offset = (torch::rand({s[3]}) - 0.5).requires_grad_();
  forward_backward(state, {x, scale, offset}, [&] {
    return torch::batch_norm(x, scale, offset, {}, {}, true, 0.01, 1e-3, false);
  });
}

struct Net : torch::nn::Module {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::Linear dense1{nullptr}, dense2{nullptr};
  Net() {
    using namespace tg_bench;
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 32, 3)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 64, 3)));
    dense1 = register_module("dense1", torch::nn::Linear(kCnnFlat, kCnnHidden));
    dense2 = register_module("dense2", torch::nn::Linear(kCnnHidden, kCnnClasses));
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(conv1(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2(x)), 2);
    x = torch::relu(dense1(x.flatten(1)));
    return dense2(torch::dropout(x, tg_bench::kCnnDropout, is_training()));
  }
};

void cnn_train_step(benchmark::State& state) {
  using namespace tg_bench;
  set_threads(state);
  torch::manual_seed(0);
  Net net;
  net.train();
  torch::optim::Adam adam(net.parameters(), torch::optim::AdamOptions(kCnnLearningRate).eps(1e-7));
  const torch::Tensor images = torch::rand({kCnnBatch, 1, 28, 28});
  const torch::Tensor labels = torch::arange(kCnnBatch).mul(7).remainder(kCnnClasses);
  const auto step = [&] {
    adam.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(net.forward(images), labels);
    loss.backward();
    adam.step();
  };
  step();
  for (auto _ : state) step();
}

int register_benchmarks() {
  for (const ConvCase& c : tg_bench::kConvCases) {
    benchmark::RegisterBenchmark((std::string("torch/conv2d_forward/") + c.name).c_str(),
                                 [c](benchmark::State& s) { conv_forward(s, c); })
        ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("torch/conv2d_backward/") + c.name).c_str(),
                                 [c](benchmark::State& s) { conv_backward(s, c); })
        ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("torch/max_pool2d_fwd_bwd/128x26x26x32", max_pool_forward_backward)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("torch/batch_norm_fwd_bwd/128x26x26x32", batch_norm_forward_backward)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("torch/cnn_train_step_b128", cnn_train_step)
      ->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
  return 0;
}
const int registered = register_benchmarks();

}  // namespace
