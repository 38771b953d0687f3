// SPDX-License-Identifier: Apache-2.0
// C shims for models (src/nn/model.h), their summary and their structural checkpoints.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "layer_config.h"
#include "nn/layers.h"
#include "nn/model.h"
#include "nn/model_checkpoint.h"
#include "nn/naming.h"
#include "nn/summary.h"

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

namespace {

tg::Model& model_of(const tg_model* model) { return *get<tg_model>(model, "model")->value; }

tg::Optimizer* optimizer_or_null(const tg_optimizer* optimizer) {
  return optimizer ? get<tg_optimizer>(optimizer, "optimizer")->value.get() : nullptr;
}

const char* path_arg(const char* path) {
  if (!path) tg::fail(tg::Status::invalid_argument, "path is NULL");
  return path;
}

}  // namespace

extern "C" {

tg_status tg_model_create(const char* name, tg_model** out) {
  return guard("tg_model_create", [&] {
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_model>(std::make_unique<tg::Model>(name ? name : ""));
  });
}

tg_status tg_model_add(tg_model* model, const tg_layer_config* config, tg_layer** layer) {
  return guard("tg_model_add", [&] {
    tg::Model& m = model_of(model);
    auto made = tg::make_layer(tg::capi::layer_config_arg(config));
    // The handle is made first: if that fails, the model is unchanged.
    tg_layer* handle = layer ? tg::capi::make_handle<tg_layer>(made) : nullptr;
    try {
      m.add(std::move(made));
    } catch (...) {
      tg::capi::free_handle(handle, "layer");
      throw;
    }
    if (layer) *layer = handle;
  });
}

tg_status tg_model_add_layer(tg_model* model, tg_layer* layer) {
  return guard("tg_model_add_layer", [&] {
    tg::Model& m = model_of(model);
    m.add(get<tg_layer>(layer, "layer")->value);
  });
}

tg_status tg_model_build(tg_model* model, const int64_t* input_shape, int rank) {
  return guard("tg_model_build", [&] {
    tg::Model& m = model_of(model);
    const auto dims = tg::capi::rank_array_arg(input_shape, rank, "input_shape");
    m.build(tg::PartialShape(dims.begin(), dims.end()));
  });
}

tg_status tg_model_summary(const tg_model* model, FILE* stream) {
  return guard("tg_model_summary", [&] {
    const tg::Model& m = model_of(model);
    if (!stream) tg::fail(tg::Status::invalid_argument, "stream is NULL");
    const std::string text = tg::model_summary(m);
    if (std::fwrite(text.data(), 1, text.size(), stream) != text.size() || std::fflush(stream) != 0)
      tg::fail(tg::Status::io_error, "writing the summary of model '{}' failed", m.name());
  });
}

tg_status tg_model_summary_text(const tg_model* model, char* buffer, size_t capacity, size_t* length) {
  return guard("tg_model_summary_text", [&] {
    const tg::Model& m = model_of(model);
    size_t& total = require_out(length, "length");
    if (!buffer && capacity > 0) tg::fail(tg::Status::invalid_argument, "buffer is NULL with capacity {}", capacity);
    const std::string text = tg::model_summary(m);
    if (capacity > 0) {  // as snprintf: as much as fits, always NUL-terminated
      const size_t n = std::min(text.size(), capacity - 1);
      std::memcpy(buffer, text.data(), n);
      buffer[n] = '\0';
    }
    total = text.size();
  });
}

tg_status tg_model_call(tg_model* model, const tg_tensor* x, tg_tensor** out) {
  return guard("tg_model_call", [&] {
    tg::Model& m = model_of(model);
    const tg::Tensor& input = tg::capi::tensor_arg(x, "x");
    auto& result = require_out(out, "out");
    result = tg::capi::new_tensor_handle(m.call(input, false));
  });
}

tg_status tg_model_call_ex(tg_model* model, const tg_tensor* x, int training, tg_tensor** out) {
  return guard("tg_model_call_ex", [&] {
    tg::Model& m = model_of(model);
    const tg::Tensor& input = tg::capi::tensor_arg(x, "x");
    auto& result = require_out(out, "out");
    result = tg::capi::new_tensor_handle(m.call(input, training != 0));
  });
}

tg_status tg_model_num_layers(const tg_model* model, size_t* out) {
  return guard("tg_model_num_layers", [&] {
    const tg::Model& m = model_of(model);
    require_out(out, "out") = m.num_layers();
  });
}

tg_status tg_model_layer(const tg_model* model, size_t index, tg_layer** out) {
  return guard("tg_model_layer", [&] {
    const tg::Model& m = model_of(model);
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_layer>(m.layer(index));
  });
}

tg_status tg_model_layer_by_name(const tg_model* model, const char* name, tg_layer** out) {
  return guard("tg_model_layer_by_name", [&] {
    const tg::Model& m = model_of(model);
    if (!name) tg::fail(tg::Status::invalid_argument, "name is NULL");
    auto& result = require_out(out, "out");
    result = tg::capi::make_handle<tg_layer>(m.layer(std::string_view(name)));
  });
}

tg_status tg_model_trainable_variables(tg_model* model, tg_variable** variables, size_t capacity, size_t* count) {
  return guard("tg_model_trainable_variables", [&] {
    tg::capi::write_handles(model_of(model).trainable_variables(), variables, capacity, count, "variables");
  });
}

tg_status tg_model_non_trainable_variables(tg_model* model, tg_variable** variables, size_t capacity,
                                           size_t* count) {
  return guard("tg_model_non_trainable_variables", [&] {
    tg::capi::write_handles(model_of(model).non_trainable_variables(), variables, capacity, count, "variables");
  });
}

tg_status tg_model_get_weights(const tg_model* model, tg_tensor** weights, size_t capacity, size_t* count) {
  return guard("tg_model_get_weights", [&] {
    tg::capi::write_handles(model_of(model).get_weights(), weights, capacity, count, "weights");
  });
}

tg_status tg_model_set_weights(tg_model* model, tg_tensor* const* weights, size_t count) {
  return guard("tg_model_set_weights", [&] {
    tg::Model& m = model_of(model);
    if (!weights && count > 0) tg::fail(tg::Status::invalid_argument, "weights is NULL with count {}", count);
    std::vector<tg::Tensor> values;
    values.reserve(count);
    for (size_t i = 0; i < count; ++i)
      values.push_back(tg::capi::tensor_arg(weights[i], fmt::format("weights[{}]", i).c_str()));
    m.set_weights(values);
  });
}

tg_status tg_model_save_weights(const tg_model* model, const char* path, const tg_optimizer* optimizer) {
  return guard("tg_model_save_weights", [&] {
    const tg::Model& m = model_of(model);
    tg::save_model_weights(path_arg(path), m, optimizer_or_null(optimizer));
  });
}

tg_status tg_model_load_weights(tg_model* model, const char* path, tg_optimizer* optimizer) {
  return guard("tg_model_load_weights", [&] {
    tg::Model& m = model_of(model);
    tg::load_model_weights(path_arg(path), m, optimizer_or_null(optimizer));
  });
}

tg_status tg_model_free(tg_model* model) {
  return guard("tg_model_free", [&] { tg::capi::free_handle(model, "model"); });
}

tg_status tg_clear_session(void) {
  return guard("tg_clear_session", [] { tg::reset_names(); });
}

}  // extern "C"
