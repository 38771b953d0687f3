// C shims for models and layers, and the convenience cross-entropy.
#include <vector>

#include "handles.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/naming.h"
#include "nn/optimizer.h"

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

namespace {

tg::Initializer initializer_of(const tg_initializer& init, const char* what) {
  const int kind = tg::capi::enum_value(init.kind);
  if (kind < 0 || kind >= tg::kNumInitKinds)
    tg::fail(tg::Status::invalid_argument, "{}: unknown initializer kind {}", what, kind);
  return tg::Initializer{static_cast<tg::InitKind>(kind), init.a, init.b, init.seed};
}

tg::Model& unbuilt_model(tg_model* model) {
  tg::Model& m = *get<tg_model>(model, "model")->value;
  if (m.built())
    tg::fail(tg::Status::invalid_state, "model '{}' was already built by a call; add layers before calling it",
             m.name());
  return m;
}

std::string name_or_auto(const char* name) { return name ? name : ""; }

// `act` is the activation as an int (tg::capi::enum_value): it may be out of range.
void add_dense(tg_model* model, int64_t units, int act, int use_bias, const tg::Initializer& kernel,
               const tg::Initializer& bias, const char* name) {
  tg::Model& m = unbuilt_model(model);
  if (act < 0 || act >= tg::kNumActivations)
    tg::fail(tg::Status::invalid_argument, "unknown activation {}", act);
  tg::LayerConfig c;
  c.type = tg::LayerType::dense;
  c.name = name_or_auto(name);
  c.units = units;
  c.activation = static_cast<tg::Activation>(act);
  c.use_bias = use_bias != 0;
  c.kernel_initializer = kernel;
  c.bias_initializer = bias;
  m.add(tg::make_layer(c));
}

// Writes up to `capacity` new handles for `vars` and the total count.
void write_variables(const std::vector<std::shared_ptr<tg::Variable>>& vars, tg_variable** out,
                     size_t capacity, size_t* count) {
  auto& total = require_out(count, "count");
  if (!out && capacity > 0) tg::fail(tg::Status::invalid_argument, "variables is NULL but capacity is {}", capacity);
  const size_t n = std::min(capacity, vars.size());
  std::vector<tg_variable*> made;
  try {
    for (size_t i = 0; i < n; ++i) made.push_back(tg::capi::make_handle<tg_variable>(vars[i]));
  } catch (...) {
    for (tg_variable* h : made) tg::capi::free_handle(h, "variable");
    throw;
  }
  for (size_t i = 0; i < n; ++i) out[i] = made[i];
  total = vars.size();
}

}  // namespace

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
    add_dense(model, units, tg::capi::enum_value(activation), use_bias,
              tg::Initializer{tg::InitKind::glorot_uniform, 0, 0, seed},
              tg::Initializer{tg::InitKind::zeros, 0, 0, 0}, name);
  });
}

tg_status tg_model_add_dense_ex(tg_model* model, int64_t units, tg_activation activation, int use_bias,
                                tg_initializer kernel_initializer, tg_initializer bias_initializer,
                                const char* name) {
  return guard("tg_model_add_dense_ex", [&] {
    add_dense(model, units, tg::capi::enum_value(activation), use_bias,
              initializer_of(kernel_initializer, "kernel_initializer"),
              initializer_of(bias_initializer, "bias_initializer"), name);
  });
}

tg_status tg_model_add_dropout(tg_model* model, double rate, uint64_t seed, const char* name) {
  return guard("tg_model_add_dropout", [&] {
    tg::Model& m = unbuilt_model(model);
    tg::LayerConfig c;
    c.type = tg::LayerType::dropout;
    c.name = name_or_auto(name);
    c.rate = rate;
    c.seed = seed;
    m.add(tg::make_layer(c));
  });
}

tg_status tg_model_add_flatten(tg_model* model, const char* name) {
  return guard("tg_model_add_flatten", [&] {
    tg::Model& m = unbuilt_model(model);
    tg::LayerConfig c;
    c.type = tg::LayerType::flatten;
    c.name = name_or_auto(name);
    m.add(tg::make_layer(c));
  });
}

tg_status tg_model_add_embedding(tg_model* model, int64_t input_dim, int64_t output_dim,
                                 tg_initializer embeddings_initializer, const char* name) {
  return guard("tg_model_add_embedding", [&] {
    tg::Model& m = unbuilt_model(model);
    tg::LayerConfig c;
    c.type = tg::LayerType::embedding;
    c.name = name_or_auto(name);
    c.input_dim = input_dim;
    c.output_dim = output_dim;
    c.embeddings_initializer = initializer_of(embeddings_initializer, "embeddings_initializer");
    m.add(tg::make_layer(c));
  });
}

tg_status tg_model_num_layers(const tg_model* model, size_t* out) {
  return guard("tg_model_num_layers", [&] {
    const tg::Model& m = *get<tg_model>(model, "model")->value;
    require_out(out, "out") = m.num_layers();
  });
}

tg_status tg_model_layer_name(const tg_model* model, size_t index, const char** out) {
  return guard("tg_model_layer_name", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    auto& result = require_out(out, "out");
    result = m.layer(index)->name().c_str();
  });
}

tg_status tg_model_set_layer_trainable(tg_model* model, size_t index, int trainable) {
  return guard("tg_model_set_layer_trainable", [&] {
    get<tg_model>(model, "model")->value->layer(index)->set_trainable(trainable != 0);
  });
}

tg_status tg_clear_session(void) {
  return guard("tg_clear_session", [] { tg::reset_names(); });
}

tg_status tg_model_call(tg_model* model, const tg_tensor* x, tg_tensor** out) {
  return guard("tg_model_call", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    const tg::Tensor& input = get<tg_tensor>(x, "x")->value;
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_tensor>(m.call(input, false));
  });
}

tg_status tg_model_call_ex(tg_model* model, const tg_tensor* x, int training, tg_tensor** out) {
  return guard("tg_model_call_ex", [&] {
    tg::Model& m = *get<tg_model>(model, "model")->value;
    const tg::Tensor& input = get<tg_tensor>(x, "x")->value;
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_tensor>(m.call(input, training != 0));
  });
}

tg_status tg_model_trainable_variables(tg_model* model, tg_variable** variables, size_t capacity,
                                       size_t* count) {
  return guard("tg_model_trainable_variables", [&] {
    const tg::Model& m = *get<tg_model>(model, "model")->value;
    write_variables(m.trainable_variables(), variables, capacity, count);
  });
}

tg_status tg_model_non_trainable_variables(tg_model* model, tg_variable** variables, size_t capacity,
                                           size_t* count) {
  return guard("tg_model_non_trainable_variables", [&] {
    const tg::Model& m = *get<tg_model>(model, "model")->value;
    write_variables(m.non_trainable_variables(), variables, capacity, count);
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

// Optimizer shims: capi/optimizer.cpp.

}  // extern "C"
