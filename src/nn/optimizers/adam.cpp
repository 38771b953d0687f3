// SPDX-License-Identifier: Apache-2.0
// Adam (with AMSGrad) and AdamW, new Keras (keras/optimizers/adam.py, adamw.py;
// docs/tensorflow.md). Legend: n = elements of the variable.
#include <algorithm>
#include <cmath>

#include "nn/optimizer.h"

namespace tg {
namespace {

// Optional decoupled weight decay, then Keras's dense update_step:
//   m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2); amsgrad: v̂ ← max(v̂, v);
//   θ ← θ − (m·α)/(sqrt(v or v̂) + ε), α = lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ).
template <class T, bool kDecay, bool kAmsgrad>
void adam_kernel(T* __restrict theta, const T* __restrict grad, T* __restrict m, T* __restrict v,
                 T* __restrict vhat, int64_t n, T alpha, T one_minus_b1, T one_minus_b2, T eps, T lr, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    T th = theta[i];
    if constexpr (kDecay) th -= th * wd * lr;
    const T gi = grad[i];
    const T mi = m[i] + (gi - m[i]) * one_minus_b1;
    T vi = v[i] + (gi * gi - v[i]) * one_minus_b2;
    m[i] = mi;
    v[i] = vi;
    if constexpr (kAmsgrad) {
      vi = std::max(vhat[i], vi);
      vhat[i] = vi;
    }
    theta[i] = th - (mi * alpha) / (std::sqrt(vi) + eps);
  }
}

void validate(const AdamOptions& o) {
  check_learning_rate("Adam", o.learning_rate);
  if (!(o.beta_1 >= 0 && o.beta_1 < 1))
    fail(Status::invalid_argument, "Adam: need 0 <= beta_1 < 1, got {}", o.beta_1);
  if (!(o.beta_2 >= 0 && o.beta_2 < 1))
    fail(Status::invalid_argument, "Adam: need 0 <= beta_2 < 1, got {}", o.beta_2);
  if (!(o.epsilon >= 0) || !std::isfinite(o.epsilon))
    fail(Status::invalid_argument, "Adam: need epsilon >= 0 and finite, got {}", o.epsilon);
}

constexpr OptionField<AdamOptions> kFields[] = {{"beta_1", &AdamOptions::beta_1},
                                                {"beta_2", &AdamOptions::beta_2},
                                                {"epsilon", &AdamOptions::epsilon},
                                                {"amsgrad", nullptr, &AdamOptions::amsgrad}};

}  // namespace

Adam::Adam(const AdamOptions& o) : OptionsOptimizer(o, kFields, validate) {}

std::vector<Optimizer::SlotSpec> Adam::slot_specs() const {
  if (options_.amsgrad) return {{"m"}, {"v"}, {"vhat"}};
  return {{"m"}, {"v"}};
}

void Adam::update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) {
  const Target target{&variable, &g, &slots, true};
  update_all({&target, 1}, step);
}

// why one pass for all variables: the bias correction α (two pow calls) and the dispatch on
// dtype, decay and amsgrad are per step, not per variable; with Keras's models' many small
// variables (biases) they cost more than the updates.
void Adam::update_all(std::span<const Target> targets, const Step& step) {
  const double t = static_cast<double>(step.t);
  const double alpha =
      step.learning_rate * std::sqrt(1.0 - std::pow(options_.beta_2, t)) / (1.0 - std::pow(options_.beta_1, t));
  static_bool(options_.amsgrad, [&]<bool kAmsgrad>() {
    for (const DType dtype : {DType::f32, DType::f64}) {
      visit_floating(dtype, name(), [&]<class T>() {
        const T a = static_cast<T>(alpha), eps = static_cast<T>(options_.epsilon);
        const T b1 = static_cast<T>(1.0 - options_.beta_1), b2 = static_cast<T>(1.0 - options_.beta_2);
        const T lr = static_cast<T>(step.learning_rate), wd = static_cast<T>(step.weight_decay);
        for (const Target& x : targets) {
          if (x.variable->dtype() != dtype) continue;
          T* theta = static_cast<T*>(x.variable->mutable_buffer());                  // (n)
          const T* grad = x.grad->data<T>();                                         // (n)
          T* m = x.slots->tensors[0].mutable_data<T>();                              // (n)
          T* v = x.slots->tensors[1].mutable_data<T>();                              // (n)
          T* vhat = kAmsgrad ? x.slots->tensors[2].mutable_data<T>() : nullptr;      // (n)
          const int64_t n = x.grad->numel();
          if (x.decay && step.weight_decay != 0)
            adam_kernel<T, true, kAmsgrad>(theta, grad, m, v, vhat, n, a, b1, b2, eps, lr, wd);
          else
            adam_kernel<T, false, kAmsgrad>(theta, grad, m, v, vhat, n, a, b1, b2, eps, lr, wd);
        }
      });
    }
  });
}

AdamW::AdamW(const AdamOptions& options, double weight_decay) : Adam(options) { set_weight_decay(weight_decay); }

}  // namespace tg
