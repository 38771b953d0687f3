// SPDX-License-Identifier: Apache-2.0
// C shims for layers (src/nn/layer.h, src/nn/layers.h): the tg_layer_config ↔ LayerConfig
// conversion, and the tg_layer handle.
#include "layer_config.h"

#include <string>
#include <vector>

#include "nn/layers.h"

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

tg_initializer c_initializer(const tg::Initializer& init) {
  tg_initializer c;
  c.kind = static_cast<tg_initializer_kind>(static_cast<int>(init.kind));
  c.a = init.a;
  c.b = init.b;
  c.seed = init.seed;
  return c;
}

// The C form of a configuration; out.name points into `c` (the layer's, while it lives).
void write_config(const tg::LayerConfig& c, tg_layer_config& out) {
  out.type = static_cast<tg_layer_type>(static_cast<int>(c.type));
  out.name = c.name.c_str();
  out.dtype = static_cast<tg_dtype>(static_cast<int>(c.dtype));
  out.trainable = c.trainable ? 1 : 0;
  out.units = c.units;
  out.activation = static_cast<tg_activation>(static_cast<int>(c.activation));
  out.use_bias = c.use_bias ? 1 : 0;
  out.kernel_initializer = c_initializer(c.kernel_initializer);
  out.bias_initializer = c_initializer(c.bias_initializer);
  out.rate = c.rate;
  out.seed = c.seed;
  out.input_dim = c.input_dim;
  out.output_dim = c.output_dim;
  out.embeddings_initializer = c_initializer(c.embeddings_initializer);
}

tg::Layer& layer_of(const tg_layer* layer) { return *get<tg_layer>(layer, "layer")->value; }

tg::PartialShape partial_shape_arg(const int64_t* shape, int rank) {
  const auto dims = tg::capi::rank_array_arg(shape, rank, "input_shape");
  return tg::PartialShape(dims.begin(), dims.end());
}

}  // namespace

namespace tg::capi {

LayerConfig layer_config_arg(const tg_layer_config* config) {
  if (!config) fail(Status::invalid_argument, "config is NULL");
  const int type = enum_value(config->type);
  if (type < 0 || type >= kNumLayerTypes)
    fail(Status::invalid_argument, "config->type {} is not a tg_layer_type", type);
  const int activation = enum_value(config->activation);
  if (activation < 0 || activation >= kNumActivations)
    fail(Status::invalid_argument, "config->activation: unknown activation {}", activation);
  LayerConfig c;
  c.type = static_cast<LayerType>(type);
  c.name = config->name ? config->name : "";
  c.dtype = dtype_arg(config->dtype);
  c.trainable = config->trainable != 0;
  c.units = config->units;
  c.activation = static_cast<Activation>(activation);
  c.use_bias = config->use_bias != 0;
  c.kernel_initializer = initializer_of(config->kernel_initializer, "config->kernel_initializer");
  c.bias_initializer = initializer_of(config->bias_initializer, "config->bias_initializer");
  c.rate = config->rate;
  c.seed = config->seed;
  c.input_dim = config->input_dim;
  c.output_dim = config->output_dim;
  c.embeddings_initializer = initializer_of(config->embeddings_initializer, "config->embeddings_initializer");
  return c;
}

}  // namespace tg::capi

extern "C" {

tg_status tg_layer_config_init(tg_layer_type type, tg_layer_config* out) {
  return guard("tg_layer_config_init", [&] {
    const int t = tg::capi::enum_value(type);
    if (t < 0 || t >= tg::kNumLayerTypes)
      tg::fail(tg::Status::invalid_argument, "type {} is not a tg_layer_type", t);
    tg::LayerConfig defaults;  // Keras's defaults live in one place: tg::LayerConfig
    defaults.type = static_cast<tg::LayerType>(t);
    write_config(defaults, require_out(out, "out"));
    out->name = nullptr;  // automatic
  });
}

tg_status tg_layer_create(const tg_layer_config* config, tg_layer** out) {
  return guard("tg_layer_create", [&] {
    auto layer = tg::make_layer(tg::capi::layer_config_arg(config));
    require_out(out, "out") = tg::capi::make_handle<tg_layer>(std::move(layer));
  });
}

tg_status tg_layer_get_config(const tg_layer* layer, tg_layer_config* out) {
  return guard("tg_layer_get_config", [&] { write_config(layer_of(layer).config(), require_out(out, "out")); });
}

tg_status tg_layer_name(const tg_layer* layer, const char** out) {
  return guard("tg_layer_name", [&] {
    const tg::Layer& l = layer_of(layer);
    require_out(out, "out") = l.name().c_str();
  });
}

tg_status tg_layer_trainable(const tg_layer* layer, int* out) {
  return guard("tg_layer_trainable", [&] {
    const tg::Layer& l = layer_of(layer);
    require_out(out, "out") = l.trainable() ? 1 : 0;
  });
}

tg_status tg_layer_set_trainable(tg_layer* layer, int trainable) {
  return guard("tg_layer_set_trainable", [&] { layer_of(layer).set_trainable(trainable != 0); });
}

tg_status tg_layer_build(tg_layer* layer, const int64_t* input_shape, int rank) {
  return guard("tg_layer_build", [&] {
    tg::Layer& l = layer_of(layer);
    l.build(partial_shape_arg(input_shape, rank));
  });
}

tg_status tg_layer_call(tg_layer* layer, const tg_tensor* x, int training, tg_tensor** out) {
  return guard("tg_layer_call", [&] {
    tg::Layer& l = layer_of(layer);
    const tg::Tensor& input = tg::capi::tensor_arg(x, "x");
    auto& result = require_out(out, "out");
    result = tg::capi::new_tensor_handle(l(input, training != 0));
  });
}

tg_status tg_layer_variable(const tg_layer* layer, const char* name, tg_variable** out) {
  return guard("tg_layer_variable", [&] {
    const tg::Layer& l = layer_of(layer);
    if (!name) tg::fail(tg::Status::invalid_argument, "name is NULL");
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_variable>(l.weight(name));
  });
}

tg_status tg_layer_variables(const tg_layer* layer, tg_variable** variables, size_t capacity, size_t* count) {
  return guard("tg_layer_variables", [&] {
    std::vector<std::shared_ptr<tg::Variable>> vars;
    for (const tg::Layer::Weight& w : layer_of(layer).weights()) vars.push_back(w.variable);
    tg::capi::write_handles(vars, variables, capacity, count, "variables");
  });
}

tg_status tg_layer_free(tg_layer* layer) {
  return guard("tg_layer_free", [&] { tg::capi::free_handle(layer, "layer"); });
}

}  // extern "C"
