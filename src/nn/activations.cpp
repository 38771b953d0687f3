// SPDX-License-Identifier: Apache-2.0
#include "nn/activations.h"

#include "autodiff/ops.h"

namespace tg {

Tensor activate(Activation a, const Tensor& x) {
  switch (a) {
    case Activation::linear: return x;
    case Activation::relu: return ops::relu(x);
    case Activation::sigmoid: return ops::sigmoid(x);
    case Activation::tanh: return ops::tanh(x);
    case Activation::softmax: return ops::softmax(x, -1);
    case Activation::gelu: return ops::gelu(x, false);
    case Activation::silu: return ops::silu(x);
    case Activation::elu: return ops::elu(x);
    case Activation::selu: return ops::selu(x);
    case Activation::softplus: return ops::softplus(x);
    case Activation::relu6: return ops::relu6(x);
    case Activation::exponential: return ops::exp(x);
  }
  fail(Status::invalid_argument, "activation: unknown activation {}", static_cast<int>(a));
}

}  // namespace tg
