#include "nn/optimizer.h"

#include <cmath>
#include <string>

namespace tg {

int64_t Optimizer::apply(std::span<const std::shared_ptr<Variable>> variables,
                         std::span<const Tensor> gradients) {
  if (variables.size() != gradients.size())
    fail(Status::invalid_argument, "apply_gradients: {} variables but {} gradients", variables.size(),
         gradients.size());
  bool any = false;
  std::string names;
  for (size_t i = 0; i < variables.size(); ++i) {
    const Variable& v = *variables[i];
    names += (i ? ", " : "") + v.name();
    const Tensor& g = gradients[i];
    if (!g) continue;
    any = true;
    if (g.shape() != v.shape() || g.dtype() != v.dtype())
      fail(Status::invalid_argument, "apply_gradients: gradient {} {} does not match variable '{}' {} {}",
           dtype_name(g.dtype()), g.shape().str(), v.name(), dtype_name(v.dtype()), v.shape().str());
    if (!is_floating(v.dtype()))
      fail(Status::invalid_argument, "apply_gradients: variable '{}' has dtype {}, not a floating dtype",
           v.name(), dtype_name(v.dtype()));
  }
  if (!variables.empty() && !any)
    fail(Status::invalid_argument, "No gradients provided for any variable: [{}].", names);
  const int64_t t = iterations_ + 1;
  for (size_t i = 0; i < variables.size(); ++i) {
    if (!gradients[i]) continue;
    Variable& v = *variables[i];
    Slots& s = slots_[v.id()];
    if (s.tensors.empty())
      for (int k = 0; k < num_slots(); ++k) s.tensors.push_back(Tensor::zeros(v.shape(), v.dtype()));
    update(v, gradients[i], s, t);
  }
  return ++iterations_;
}

Adam::Adam(const AdamOptions& o) : options_(o) {
  if (!(o.learning_rate > 0) || !(o.beta_1 >= 0 && o.beta_1 < 1) || !(o.beta_2 >= 0 && o.beta_2 < 1) ||
      !(o.epsilon >= 0))
    fail(Status::invalid_argument,
         "Adam: need learning_rate > 0, 0 <= beta_1 < 1, 0 <= beta_2 < 1, epsilon >= 0; got {}, {}, {}, {}",
         o.learning_rate, o.beta_1, o.beta_2, o.epsilon);
}

// Keras Adam.update_step, fused into one pass over the variable (TF_SEMANTICS.md §4.1).
void Adam::update(Variable& variable, const Tensor& g, Slots& slots, int64_t t) {
  const double td = static_cast<double>(t);
  const double alpha = options_.learning_rate * std::sqrt(1.0 - std::pow(options_.beta_2, td)) /
                       (1.0 - std::pow(options_.beta_1, td));
  visit_floating(variable.dtype(), "Adam", [&]<class T>() {
    T* theta = static_cast<T*>(variable.mutable_buffer());
    T* m = slots.tensors[0].mutable_data<T>();
    T* v = slots.tensors[1].mutable_data<T>();
    const T* grad = g.data<T>();
    const T a = static_cast<T>(alpha), eps = static_cast<T>(options_.epsilon);
    const T one_minus_b1 = static_cast<T>(1.0 - options_.beta_1);
    const T one_minus_b2 = static_cast<T>(1.0 - options_.beta_2);
    for (int64_t i = 0, n = g.numel(); i < n; ++i) {
      m[i] += (grad[i] - m[i]) * one_minus_b1;
      v[i] += (grad[i] * grad[i] - v[i]) * one_minus_b2;
      theta[i] -= a * m[i] / (std::sqrt(v[i]) + eps);
    }
  });
}

}  // namespace tg
