// C shims for optimizers, learning-rate schedules and the warning handler.
#include <memory>
#include <string>
#include <vector>

#include "handles.h"
#include "nn/optimizer.h"
#include "nn/schedules.h"
#include "nn/warning.h"

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

namespace {

tg::Optimizer& optimizer_of(tg_optimizer* optimizer) { return *get<tg_optimizer>(optimizer, "optimizer")->value; }
const tg::Optimizer& optimizer_of(const tg_optimizer* optimizer) {
  return *get<tg_optimizer>(optimizer, "optimizer")->value;
}

template <class O, class Options>
void make_optimizer(tg_optimizer** out, const Options& options) {
  auto& result = require_out(out, "out");
  result = tg::capi::make_handle<tg_optimizer>(std::unique_ptr<tg::Optimizer>(std::make_unique<O>(options)));
}

// A clip setting from C: 0 unsets, anything else is checked by the optimizer.
std::optional<double> clip_arg(double value) { return value == 0.0 ? std::nullopt : std::optional<double>(value); }

}  // namespace

extern "C" {

tg_status tg_optimizer_sgd(double learning_rate, double momentum, int nesterov, tg_optimizer** out) {
  return guard("tg_optimizer_sgd", [&] {
    make_optimizer<tg::SGD>(out, tg::SGDOptions{learning_rate, momentum, nesterov != 0});
  });
}

tg_status tg_optimizer_adam(double learning_rate, double beta_1, double beta_2, double epsilon, int amsgrad,
                            tg_optimizer** out) {
  return guard("tg_optimizer_adam", [&] {
    make_optimizer<tg::Adam>(out, tg::AdamOptions{learning_rate, beta_1, beta_2, epsilon, amsgrad != 0});
  });
}

tg_status tg_optimizer_adamw(double learning_rate, double weight_decay, double beta_1, double beta_2,
                             double epsilon, int amsgrad, tg_optimizer** out) {
  return guard("tg_optimizer_adamw", [&] {
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_optimizer>(std::unique_ptr<tg::Optimizer>(std::make_unique<tg::AdamW>(
        tg::AdamOptions{learning_rate, beta_1, beta_2, epsilon, amsgrad != 0}, weight_decay)));
  });
}

tg_status tg_optimizer_rmsprop(double learning_rate, double rho, double momentum, double epsilon, int centered,
                               tg_optimizer** out) {
  return guard("tg_optimizer_rmsprop", [&] {
    make_optimizer<tg::RMSprop>(out, tg::RMSpropOptions{learning_rate, rho, momentum, epsilon, centered != 0});
  });
}

tg_status tg_optimizer_adagrad(double learning_rate, double initial_accumulator_value, double epsilon,
                               tg_optimizer** out) {
  return guard("tg_optimizer_adagrad", [&] {
    make_optimizer<tg::Adagrad>(out, tg::AdagradOptions{learning_rate, initial_accumulator_value, epsilon});
  });
}

tg_status tg_optimizer_set_clipnorm(tg_optimizer* optimizer, double clipnorm) {
  return guard("tg_optimizer_set_clipnorm", [&] { optimizer_of(optimizer).set_clipnorm(clip_arg(clipnorm)); });
}

tg_status tg_optimizer_set_global_clipnorm(tg_optimizer* optimizer, double global_clipnorm) {
  return guard("tg_optimizer_set_global_clipnorm",
               [&] { optimizer_of(optimizer).set_global_clipnorm(clip_arg(global_clipnorm)); });
}

tg_status tg_optimizer_set_clipvalue(tg_optimizer* optimizer, double clipvalue) {
  return guard("tg_optimizer_set_clipvalue", [&] { optimizer_of(optimizer).set_clipvalue(clip_arg(clipvalue)); });
}

tg_status tg_optimizer_set_weight_decay(tg_optimizer* optimizer, double weight_decay) {
  return guard("tg_optimizer_set_weight_decay", [&] { optimizer_of(optimizer).set_weight_decay(weight_decay); });
}

tg_status tg_optimizer_exclude_from_weight_decay(tg_optimizer* optimizer, tg_variable* const* variables,
                                                 size_t num_variables, const char* const* name_patterns,
                                                 size_t num_patterns) {
  return guard("tg_optimizer_exclude_from_weight_decay", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    const auto vars = tg::capi::variables_arg(variables, num_variables, "variables");
    if (num_patterns > 0 && !name_patterns)
      tg::fail(tg::Status::invalid_argument, "name_patterns is NULL with num_patterns {}", num_patterns);
    std::vector<std::string> patterns;
    for (size_t i = 0; i < num_patterns; ++i) {
      if (!name_patterns[i]) tg::fail(tg::Status::invalid_argument, "name_patterns[{}] is NULL", i);
      patterns.emplace_back(name_patterns[i]);
    }
    opt.exclude_from_weight_decay(vars, patterns);
  });
}

tg_status tg_optimizer_set_learning_rate(tg_optimizer* optimizer, double learning_rate) {
  return guard("tg_optimizer_set_learning_rate", [&] { optimizer_of(optimizer).set_learning_rate(learning_rate); });
}

tg_status tg_optimizer_set_exponential_decay(tg_optimizer* optimizer, double initial_learning_rate,
                                             int64_t decay_steps, double decay_rate, int staircase) {
  return guard("tg_optimizer_set_exponential_decay", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    opt.set_schedule(
        std::make_shared<tg::ExponentialDecay>(initial_learning_rate, decay_steps, decay_rate, staircase != 0));
  });
}

tg_status tg_optimizer_set_cosine_decay(tg_optimizer* optimizer, double initial_learning_rate, int64_t decay_steps,
                                        double alpha) {
  return guard("tg_optimizer_set_cosine_decay", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    opt.set_schedule(std::make_shared<tg::CosineDecay>(initial_learning_rate, decay_steps, alpha));
  });
}

tg_status tg_optimizer_set_piecewise_constant_decay(tg_optimizer* optimizer, const int64_t* boundaries,
                                                    size_t num_boundaries, const double* values) {
  return guard("tg_optimizer_set_piecewise_constant_decay", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    if (num_boundaries > 0 && !boundaries)
      tg::fail(tg::Status::invalid_argument, "boundaries is NULL with num_boundaries {}", num_boundaries);
    if (!values) tg::fail(tg::Status::invalid_argument, "values is NULL");
    opt.set_schedule(std::make_shared<tg::PiecewiseConstantDecay>(
        std::span<const int64_t>(boundaries, num_boundaries), std::span<const double>(values, num_boundaries + 1)));
  });
}

tg_status tg_optimizer_learning_rate(const tg_optimizer* optimizer, double* out) {
  return guard("tg_optimizer_learning_rate", [&] {
    const tg::Optimizer& opt = optimizer_of(optimizer);
    require_out(out, "out") = opt.learning_rate();
  });
}

tg_status tg_optimizer_build(tg_optimizer* optimizer, tg_variable* const* variables, size_t count) {
  return guard("tg_optimizer_build", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    opt.build(tg::capi::variables_arg(variables, count, "variables"));
  });
}

tg_status tg_optimizer_apply(tg_optimizer* optimizer, tg_variable* const* variables, tg_tensor* const* gradients,
                             size_t count, int64_t* iterations) {
  return guard("tg_optimizer_apply", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    if (count > 0 && (!variables || !gradients))
      tg::fail(tg::Status::invalid_argument, "variables or gradients is NULL with count {}", count);
    const auto vars = tg::capi::variables_arg(variables, count, "variables");
    std::vector<tg::Tensor> grads;
    grads.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (gradients[i]) grads.push_back(get<tg_tensor>(gradients[i], fmt::format("gradients[{}]", i).c_str())->value);
      else grads.emplace_back();
    }
    const int64_t it = opt.apply(vars, grads);
    if (iterations) *iterations = it;
  });
}

tg_status tg_optimizer_iterations(const tg_optimizer* optimizer, int64_t* out) {
  return guard("tg_optimizer_iterations", [&] {
    const tg::Optimizer& opt = optimizer_of(optimizer);
    require_out(out, "out") = opt.iterations();
  });
}

tg_status tg_optimizer_set_iterations(tg_optimizer* optimizer, int64_t iterations) {
  return guard("tg_optimizer_set_iterations", [&] { optimizer_of(optimizer).set_iterations(iterations); });
}

tg_status tg_optimizer_free(tg_optimizer* optimizer) {
  return guard("tg_optimizer_free", [&] { tg::capi::free_handle(optimizer, "optimizer"); });
}

tg_status tg_set_warning_handler(tg_warning_handler handler, void* context) {
  return guard("tg_set_warning_handler", [&] { tg::set_warning_handler(handler, context); });
}

}  // extern "C"
