/* SPDX-License-Identifier: Apache-2.0 */
// Keras activations by name (keras/activations.py), built from the library's ops.
#pragma once

#include "tensor/tensor.h"

namespace tg {

// Values mirror tg_activation in include/tapegrad/tapegrad.h.
enum class Activation : int {
  linear = 0,
  relu,
  sigmoid,
  tanh,
  softmax,      // over the last axis
  gelu,         // Keras 2 default: the exact erf form (approximate=False)
  silu,         // also called swish
  elu,          // alpha 1
  selu,
  softplus,
  relu6,
  exponential,
};
constexpr int kNumActivations = 12;

Tensor activate(Activation a, const Tensor& x);

}  // namespace tg
