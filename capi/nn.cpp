// C shims for models, layers, losses and optimizers.
#include <vector>

#include "handles.h"
#include "nn/dense.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/optimizer.h"

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

extern "C" {

tg_status tg_model_create(const char* name, tg_model** out) {
  return guard("tg_model_create", [&] {
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_model>(std::make_unique<tg::Model>(name ? name : ""));
  });
}

tg_status tg_model_add_dense(tg_model* model, int64_t units, tg_activation activation, int use_bias,
                             uint64_t seed, const char* name) {
  return guard("tg_model_add_dense", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    if (activation != TG_ACTIVATION_LINEAR && activation != TG_ACTIVATION_RELU)
      tg::fail(tg::Status::invalid_argument, "unknown activation {}", static_cast<int>(activation));
    if (m.built())
      tg::fail(tg::Status::invalid_state, "model '{}' was already built by a call; add layers before calling it",
               m.name());
    tg::DenseOptions options;
    options.units = units;
    options.activation = static_cast<tg::Activation>(activation);
    options.use_bias = use_bias != 0;
    options.seed = seed;
    m.add(std::make_unique<tg::Dense>(options, name ? name : ""));
  });
}

tg_status tg_model_call(tg_model* model, const tg_tensor* x, tg_tensor** out) {
  return guard("tg_model_call", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    const tg::Tensor& input = get<tg_tensor>(x, "x")->value;
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_tensor>(m.call(input));
  });
}

tg_status tg_model_trainable_variables(tg_model* model, tg_variable** variables, size_t capacity,
                                       size_t* count) {
  return guard("tg_model_trainable_variables", [&] {
    const tg::Model& m = *get<tg_model>(model, "model")->value;
    auto& total = require_out(count, "count");
    if (!variables && capacity > 0) tg::fail(tg::Status::invalid_argument, "variables is NULL but capacity is {}", capacity);
    const auto vars = m.trainable_variables();
    const size_t n = std::min(capacity, vars.size());
    std::vector<tg_variable*> made;
    try {
      for (size_t i = 0; i < n; ++i) made.push_back(tg::capi::make_handle<tg_variable>(vars[i]));
    } catch (...) {
      for (tg_variable* h : made) tg::capi::free_handle(h, "variable");
      throw;
    }
    for (size_t i = 0; i < n; ++i) variables[i] = made[i];
    total = vars.size();
  });
}

tg_status tg_model_free(tg_model* model) {
  return guard("tg_model_free", [&] { tg::capi::free_handle(model, "model"); });
}

tg_status tg_categorical_crossentropy_from_logits(const tg_tensor* labels, const tg_tensor* logits,
                                                  tg_tensor** out) {
  return guard("tg_categorical_crossentropy_from_logits", [&] {
    const tg::Tensor& y = get<tg_tensor>(labels, "labels")->value;
    const tg::Tensor& z = get<tg_tensor>(logits, "logits")->value;
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_tensor>(tg::categorical_crossentropy_from_logits(y, z));
  });
}

tg_status tg_optimizer_adam(double learning_rate, double beta_1, double beta_2, double epsilon,
                            tg_optimizer** out) {
  return guard("tg_optimizer_adam", [&] {
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_optimizer>(
        std::make_unique<tg::Adam>(tg::AdamOptions{learning_rate, beta_1, beta_2, epsilon}));
  });
}

tg_status tg_optimizer_apply(tg_optimizer* optimizer, tg_variable* const* variables,
                             tg_tensor* const* gradients, size_t count, int64_t* iterations) {
  return guard("tg_optimizer_apply", [&] {
    tg::Optimizer& opt = *get<tg_optimizer>(optimizer, "optimizer")->value;
    if (count > 0 && (!variables || !gradients))
      tg::fail(tg::Status::invalid_argument, "variables or gradients is NULL with count {}", count);
    std::vector<std::shared_ptr<tg::Variable>> vars;
    std::vector<tg::Tensor> grads;
    for (size_t i = 0; i < count; ++i) {
      vars.push_back(get<tg_variable>(variables[i], fmt::format("variables[{}]", i).c_str())->value);
      if (gradients[i]) grads.push_back(get<tg_tensor>(gradients[i], fmt::format("gradients[{}]", i).c_str())->value);
      else grads.emplace_back();
    }
    const int64_t it = opt.apply(vars, grads);
    if (iterations) *iterations = it;
  });
}

tg_status tg_optimizer_iterations(const tg_optimizer* optimizer, int64_t* out) {
  return guard("tg_optimizer_iterations", [&] {
    const tg::Optimizer& opt = *get<tg_optimizer>(optimizer, "optimizer")->value;
    require_out(out, "out") = opt.iterations();
  });
}

tg_status tg_optimizer_free(tg_optimizer* optimizer) {
  return guard("tg_optimizer_free", [&] { tg::capi::free_handle(optimizer, "optimizer"); });
}

}  // extern "C"
