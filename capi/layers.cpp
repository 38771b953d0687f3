// SPDX-License-Identifier: Apache-2.0
// C shims for layers (src/nn/layer.h, src/nn/layers.h): the tg_layer_config ↔ LayerConfig
// conversion, and the tg_layer handle.
#include "layer_config.h"

#include <algorithm>
#include <array>
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

// By reference: any int may arrive, and only enum_value may read it.
tg::ops::Padding padding_of(const tg_padding& padding, const char* what) {
  const int p = tg::capi::enum_value(padding);
  if (p < 0 || p > 2) tg::fail(tg::Status::invalid_argument, "{}: {} is not a tg_padding", what, p);
  return static_cast<tg::ops::Padding>(p);
}

std::array<int64_t, 2> pair_of(const int64_t (&values)[2]) { return {values[0], values[1]}; }

void write_pair(const std::array<int64_t, 2>& values, int64_t (&out)[2]) {
  out[0] = values[0];
  out[1] = values[1];
}

// A C array of `count` entries (at most `capacity`) as a vector.
std::vector<int64_t> array_of(const int64_t* values, int count, int capacity, const char* what) {
  if (count < 0 || count > capacity)
    tg::fail(tg::Status::invalid_argument, "{} is {}; it must be in [0, {}]", what, count, capacity);
  return std::vector<int64_t>(values, values + count);
}

tg::ConvOptions conv_of(const tg_conv_config& c) {
  tg::ConvOptions o;
  o.filters = c.filters;
  o.kernel_size = pair_of(c.kernel_size);
  o.strides = pair_of(c.strides);
  o.padding = padding_of(c.padding, "config->conv.padding");
  o.dilation_rate = pair_of(c.dilation_rate);
  o.groups = c.groups;
  return o;
}

tg::PoolOptions pool_of(const tg_pool_config& c) {
  tg::PoolOptions o;
  o.pool_size = pair_of(c.pool_size);
  o.strides = pair_of(c.strides);
  o.padding = padding_of(c.padding, "config->pool.padding");
  o.keepdims = c.keepdims != 0;
  return o;
}

tg::NormOptions norm_of(const tg_norm_config& c) {
  tg::NormOptions o;
  o.axis = array_of(c.axis, c.num_axes, TG_MAX_RANK, "config->norm.num_axes");
  o.momentum = c.momentum;
  o.epsilon = c.epsilon;
  o.center = c.center != 0;
  o.scale = c.scale != 0;
  if (c.fused < -1 || c.fused > 1)
    tg::fail(tg::Status::invalid_argument, "config->norm.fused is {}; it must be -1 (automatic), 0 or 1", c.fused);
  if (c.fused >= 0) o.fused = c.fused == 1;
  o.beta_initializer = initializer_of(c.beta_initializer, "config->norm.beta_initializer");
  o.gamma_initializer = initializer_of(c.gamma_initializer, "config->norm.gamma_initializer");
  o.moving_mean_initializer = initializer_of(c.moving_mean_initializer, "config->norm.moving_mean_initializer");
  o.moving_variance_initializer =
      initializer_of(c.moving_variance_initializer, "config->norm.moving_variance_initializer");
  return o;
}

// Writes values to a C array of `capacity` entries, zeros after them; returns the count. (Layers
// check their own arrays; the fields of other layer types are cut to fit.)
int write_array(const std::vector<int64_t>& values, int64_t* out, size_t capacity) {
  const size_t n = std::min(values.size(), capacity);
  std::copy_n(values.begin(), n, out);
  std::fill(out + n, out + capacity, 0);
  return static_cast<int>(n);
}

void write_norm(const tg::NormOptions& o, tg_norm_config& out) {
  out.num_axes = write_array(o.axis, out.axis, TG_MAX_RANK);
  out.momentum = o.momentum;
  out.epsilon = o.epsilon;
  out.center = o.center ? 1 : 0;
  out.scale = o.scale ? 1 : 0;
  out.fused = o.fused.has_value() ? (*o.fused ? 1 : 0) : -1;
  out.beta_initializer = c_initializer(o.beta_initializer);
  out.gamma_initializer = c_initializer(o.gamma_initializer);
  out.moving_mean_initializer = c_initializer(o.moving_mean_initializer);
  out.moving_variance_initializer = c_initializer(o.moving_variance_initializer);
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
  out.conv.filters = c.conv.filters;
  write_pair(c.conv.kernel_size, out.conv.kernel_size);
  write_pair(c.conv.strides, out.conv.strides);
  out.conv.padding = static_cast<tg_padding>(static_cast<int>(c.conv.padding));
  write_pair(c.conv.dilation_rate, out.conv.dilation_rate);
  out.conv.groups = c.conv.groups;
  write_pair(c.pool.pool_size, out.pool.pool_size);
  write_pair(c.pool.strides, out.pool.strides);
  out.pool.padding = static_cast<tg_padding>(static_cast<int>(c.pool.padding));
  out.pool.keepdims = c.pool.keepdims ? 1 : 0;
  write_norm(c.norm, out.norm);
  out.reshape.rank = write_array(c.target_shape, out.reshape.target_shape, TG_MAX_RANK - 1);
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
  c.conv = conv_of(config->conv);
  c.pool = pool_of(config->pool);
  c.norm = norm_of(config->norm);
  c.target_shape = array_of(config->reshape.target_shape, config->reshape.rank, TG_MAX_RANK - 1,
                            "config->reshape.rank");
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
