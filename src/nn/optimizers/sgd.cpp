// SPDX-License-Identifier: Apache-2.0
// SGD with momentum and Nesterov momentum, new Keras (keras/optimizers/sgd.py;
// docs/tensorflow.md). Legend: n = elements of the variable.
#include <cmath>

#include "nn/optimizer.h"

namespace tg {
namespace {

// Optional decoupled weight decay, then (Keras's expression order):
//   m ← −g·lr + m·μ;  θ ← θ + m,  or with nesterov θ ← θ + (−g·lr + m·μ).
template <class T, bool kDecay, bool kMomentum, bool kNesterov>
void sgd_kernel(T* __restrict theta, const T* __restrict grad, T* __restrict m, int64_t n, T lr, T mu, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    T th = theta[i];
    if constexpr (kDecay) th -= th * wd * lr;
    if constexpr (kMomentum) {
      const T mi = -grad[i] * lr + m[i] * mu;
      m[i] = mi;
      if constexpr (kNesterov) th += -grad[i] * lr + mi * mu;
      else th += mi;
    } else {
      th += -grad[i] * lr;
    }
    theta[i] = th;
  }
}

void validate(const SGDOptions& o) {
  check_learning_rate("SGD", o.learning_rate);
  if (!(o.momentum >= 0 && o.momentum <= 1))
    fail(Status::invalid_argument, "`momentum` must be between [0, 1].");
}

constexpr OptionField<SGDOptions> kFields[] = {{"momentum", &SGDOptions::momentum},
                                               {"nesterov", nullptr, &SGDOptions::nesterov}};

}  // namespace

SGD::SGD(const SGDOptions& o) : OptionsOptimizer(o, kFields, validate) {}

// why no momentum pass when μ = 0: Keras then stores m = −lr·g, which no later step reads;
// skipping it saves a write stream. The "m" slot stays zero.
void SGD::update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) {
  visit_update(variable.dtype(), step.weight_decay != 0, "SGD", [&]<class T, bool kDecay>() {
    T* theta = static_cast<T*>(variable.mutable_buffer());  // (n)
    const T* grad = g.data<T>();                            // (n)
    T* m = slots.tensors[0].mutable_data<T>();              // (n)
    const T lr = static_cast<T>(step.learning_rate), mu = static_cast<T>(options_.momentum),
            wd = static_cast<T>(step.weight_decay);
    const int64_t n = g.numel();
    if (options_.momentum == 0) sgd_kernel<T, kDecay, false, false>(theta, grad, m, n, lr, mu, wd);
    else if (options_.nesterov) sgd_kernel<T, kDecay, true, true>(theta, grad, m, n, lr, mu, wd);
    else sgd_kernel<T, kDecay, true, false>(theta, grad, m, n, lr, mu, wd);
  });
}

}  // namespace tg
