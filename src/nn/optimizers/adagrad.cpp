// SPDX-License-Identifier: Apache-2.0
// Adagrad, new Keras (keras/optimizers/adagrad.py; docs/tensorflow.md): ε inside the
// square root, unlike the legacy optimizer. Legend: n = elements of the variable.
#include <cmath>

#include "nn/optimizer.h"

namespace tg {
namespace {

// Optional decoupled weight decay, then acc ← acc + g²; θ ← θ − lr·g/sqrt(acc + ε).
template <class T, bool kDecay>
void adagrad_kernel(T* __restrict theta, const T* __restrict grad, T* __restrict acc, int64_t n, T lr, T eps, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    T th = theta[i];
    if constexpr (kDecay) th -= th * wd * lr;
    const T gi = grad[i];
    const T ai = acc[i] + gi * gi;
    acc[i] = ai;
    theta[i] = th - lr * gi / std::sqrt(ai + eps);
  }
}

void validate(const AdagradOptions& o) {
  check_learning_rate("Adagrad", o.learning_rate);
  // Keras's docstring says "Must be non-negative"; the legacy optimizer enforces it.
  if (!(o.initial_accumulator_value >= 0) || !std::isfinite(o.initial_accumulator_value))
    fail(Status::invalid_argument, "initial_accumulator_value must be non-negative: {}", o.initial_accumulator_value);
  if (!(o.epsilon >= 0) || !std::isfinite(o.epsilon))
    fail(Status::invalid_argument, "Adagrad: need epsilon >= 0 and finite, got {}", o.epsilon);
}

// initial_accumulator_value may change after build, as in Keras: it only fills new slots.
constexpr OptionField<AdagradOptions> kFields[] = {
    {"initial_accumulator_value", &AdagradOptions::initial_accumulator_value}, {"epsilon", &AdagradOptions::epsilon}};

}  // namespace

Adagrad::Adagrad(const AdagradOptions& o) : OptionsOptimizer(o, kFields, validate) {}

void Adagrad::update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) {
  visit_update(variable.dtype(), step.weight_decay != 0, "Adagrad", [&]<class T, bool kDecay>() {
    T* theta = static_cast<T*>(variable.mutable_buffer());  // (n)
    const T* grad = g.data<T>();                            // (n)
    T* acc = slots.tensors[0].mutable_data<T>();            // (n)
    adagrad_kernel<T, kDecay>(theta, grad, acc, g.numel(), static_cast<T>(step.learning_rate),
                              static_cast<T>(options_.epsilon), static_cast<T>(step.weight_decay));
  });
}

}  // namespace tg
