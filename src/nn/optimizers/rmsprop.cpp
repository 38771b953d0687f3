// SPDX-License-Identifier: Apache-2.0
// RMSprop, new Keras (keras/optimizers/rmsprop.py; docs/tensorflow.md): ε inside the
// square root, unlike the legacy optimizer. Legend: n = elements of the variable.
#include <cmath>

#include "nn/optimizer.h"

namespace tg {
namespace {

// Optional decoupled weight decay, then:
//   v ← ρv + (1−ρ)g²; centered: a ← ρa + (1−ρ)g, den = v − a² + ε; else den = v + ε;
//   inc = lr·g/sqrt(den); momentum: mom ← μ·mom + inc, θ ← θ − mom; else θ ← θ − inc.
template <class T, bool kDecay, bool kCentered, bool kMomentum>
void rmsprop_kernel(T* __restrict theta, const T* __restrict grad, T* __restrict vel, T* __restrict mom,
                    T* __restrict avg, int64_t n, T lr, T rho, T one_minus_rho, T mu, T eps, T wd) {
  for (int64_t i = 0; i < n; ++i) {
    T th = theta[i];
    if constexpr (kDecay) th -= th * wd * lr;
    const T gi = grad[i];
    const T vi = rho * vel[i] + one_minus_rho * (gi * gi);
    vel[i] = vi;
    T den;
    if constexpr (kCentered) {
      const T ai = rho * avg[i] + one_minus_rho * gi;
      avg[i] = ai;
      den = vi - ai * ai + eps;
    } else {
      den = vi + eps;
    }
    const T inc = lr * gi / std::sqrt(den);
    if constexpr (kMomentum) {
      const T mi = mu * mom[i] + inc;
      mom[i] = mi;
      theta[i] = th - mi;
    } else {
      theta[i] = th - inc;
    }
  }
}

void validate(const RMSpropOptions& o) {
  check_learning_rate("RMSprop", o.learning_rate);
  if (!(o.rho >= 0 && o.rho <= 1)) fail(Status::invalid_argument, "RMSprop: need 0 <= rho <= 1, got {}", o.rho);
  if (!(o.momentum >= 0) || !std::isfinite(o.momentum))
    fail(Status::invalid_argument, "RMSprop: need momentum >= 0 and finite, got {}", o.momentum);
  if (!(o.epsilon >= 0) || !std::isfinite(o.epsilon))
    fail(Status::invalid_argument, "RMSprop: need epsilon >= 0 and finite, got {}", o.epsilon);
}

constexpr OptionField<RMSpropOptions> kFields[] = {{"rho", &RMSpropOptions::rho},
                                                   {"momentum", &RMSpropOptions::momentum},
                                                   {"epsilon", &RMSpropOptions::epsilon},
                                                   {"centered", nullptr, &RMSpropOptions::centered}};

}  // namespace

RMSprop::RMSprop(const RMSpropOptions& o) : OptionsOptimizer(o, kFields, validate) {}

std::vector<Optimizer::SlotSpec> RMSprop::slot_specs() const {
  std::vector<SlotSpec> specs{{"velocity"}};
  if (options_.momentum > 0) specs.push_back({"momentum"});
  if (options_.centered) specs.push_back({"average_gradient"});
  return specs;
}

void RMSprop::update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) {
  const bool momentum = options_.momentum > 0;
  visit_update(variable.dtype(), step.weight_decay != 0, "RMSprop", [&]<class T, bool kDecay>() {
    T* theta = static_cast<T*>(variable.mutable_buffer());                                   // (n)
    const T* grad = g.data<T>();                                                             // (n)
    T* vel = slots.tensors[0].mutable_data<T>();                                             // (n)
    T* mom = momentum ? slots.tensors[1].mutable_data<T>() : nullptr;                        // (n)
    T* avg = options_.centered ? slots.tensors[momentum ? 2 : 1].mutable_data<T>() : nullptr;  // (n)
    const T lr = static_cast<T>(step.learning_rate), rho = static_cast<T>(options_.rho),
            one_minus_rho = static_cast<T>(1.0 - options_.rho), mu = static_cast<T>(options_.momentum),
            eps = static_cast<T>(options_.epsilon), wd = static_cast<T>(step.weight_decay);
    static_bool(options_.centered, [&]<bool kCentered>() {
      static_bool(momentum, [&]<bool kMomentum>() {
        rmsprop_kernel<T, kDecay, kCentered, kMomentum>(theta, grad, vel, mom, avg, g.numel(), lr, rho, one_minus_rho,
                                                        mu, eps, wd);
      });
    });
  });
}

}  // namespace tg
