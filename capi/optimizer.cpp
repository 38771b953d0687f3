// SPDX-License-Identifier: Apache-2.0
// C shims for optimizers, learning-rate schedules and the warning handler.
#include <memory>
#include <string>
#include <vector>

#include "handles.h"
#include "nn/optimizer.h"
#include "nn/schedules.h"
#include "nn/warning.h"

using tg::capi::get;
using tg::capi::get_element;
using tg::capi::guard;
using tg::capi::require_out;

static_assert(TG_MAX_ITERATIONS == tg::Optimizer::kMaxIterations, "the header's counter limit is the core's");
static_assert(TG_MAX_PATTERN_BYTES == tg::NamePatterns::kMaxPatternBytes, "the header's pattern limit is the core's");
static_assert(TG_MAX_PATTERN_NAME_BYTES == tg::NamePatterns::kMaxNameBytes, "the header's name limit is the core's");

namespace {

tg::Optimizer& optimizer_of(tg_optimizer* optimizer) { return *get<tg_optimizer>(optimizer, "optimizer")->value; }
const tg::Optimizer& optimizer_of(const tg_optimizer* optimizer) {
  return *get<tg_optimizer>(optimizer, "optimizer")->value;
}

}  // namespace

extern "C" {

tg_status tg_optimizer_create(const char* name, tg_optimizer** out) {
  return guard("tg_optimizer_create", [&] {
    if (!name) tg::fail(tg::Status::invalid_argument, "name is NULL");
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_optimizer>(tg::make_optimizer(name));
  });
}

tg_status tg_optimizer_set(tg_optimizer* optimizer, const char* name, double value) {
  return guard("tg_optimizer_set", [&] {
    tg::Optimizer& opt = optimizer_of(optimizer);
    if (!name) tg::fail(tg::Status::invalid_argument, "name is NULL");
    opt.set_hyperparameter(name, value);
  });
}

tg_status tg_optimizer_get(const tg_optimizer* optimizer, const char* name, double* out) {
  return guard("tg_optimizer_get", [&] {
    const tg::Optimizer& opt = optimizer_of(optimizer);
    if (!name) tg::fail(tg::Status::invalid_argument, "name is NULL");
    double& result = require_out(out, "out");
    result = opt.hyperparameter(name);
  });
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
      if (gradients[i]) grads.push_back(get_element<tg_tensor>(gradients[i], "gradients", i)->value);
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
