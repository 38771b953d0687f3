// SPDX-License-Identifier: Apache-2.0
// Variables: thin shims over tg::Variable (src/autodiff/variable.h).
#include <algorithm>
#include <memory>
#include <string>

#include "handles.h"

namespace {

using tg::capi::tensor_arg;

using tg::Status;
using tg::Tensor;
using tg::Variable;

Variable& variable_arg(const tg_variable* v, const char* what) {
  return *tg::capi::get<tg_variable>(v, what)->value;
}


}  // namespace

extern "C" {

tg_status tg_variable_create(const char* name, const tg_tensor* initial, int trainable,
                             tg_variable** out) {
  return tg::capi::guard("tg_variable_create", [&] {
    const Tensor& init = tensor_arg(initial, "initial");
    tg_variable*& o = tg::capi::require_out(out, "out");
    auto v = std::make_shared<Variable>(name ? std::string(name) : std::string(), init,
                                        trainable != 0);
    tg_variable* h = tg::capi::make_handle<tg_variable>(std::move(v));
    o = h;
  });
}

tg_status tg_variable_read(tg_variable* variable, tg_tensor** out) {
  return tg::capi::guard("tg_variable_read", [&] {
    Variable& v = variable_arg(variable, "variable");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    tg_tensor* h = tg::capi::make_handle<tg_tensor>(v.read());
    o = h;
  });
}

tg_status tg_variable_value(const tg_variable* variable, tg_tensor** out) {
  return tg::capi::guard("tg_variable_value", [&] {
    const Variable& v = variable_arg(variable, "variable");
    tg_tensor*& o = tg::capi::require_out(out, "out");
    o = tg::capi::new_tensor_handle(v.value());
  });
}

tg_status tg_variable_id(const tg_variable* variable, uint64_t* out) {
  return tg::capi::guard("tg_variable_id", [&] {
    const Variable& v = variable_arg(variable, "variable");
    tg::capi::require_out(out, "out") = v.id();
  });
}

tg_status tg_variable_assign(tg_variable* variable, const tg_tensor* value) {
  return tg::capi::guard("tg_variable_assign", [&] {
    Variable& v = variable_arg(variable, "variable");
    const Tensor& t = tensor_arg(value, "value");
    v.assign(t);
  });
}

tg_status tg_variable_name(const tg_variable* variable, const char** out) {
  return tg::capi::guard("tg_variable_name", [&] {
    const Variable& v = variable_arg(variable, "variable");
    const char*& o = tg::capi::require_out(out, "out");
    o = v.name().c_str();
  });
}

tg_status tg_variable_trainable(const tg_variable* variable, int* out) {
  return tg::capi::guard("tg_variable_trainable", [&] {
    const Variable& v = variable_arg(variable, "variable");
    int& o = tg::capi::require_out(out, "out");
    o = v.trainable() ? 1 : 0;
  });
}

tg_status tg_variable_dtype(const tg_variable* variable, tg_dtype* out) {
  return tg::capi::guard("tg_variable_dtype", [&] {
    const Variable& v = variable_arg(variable, "variable");
    tg_dtype& o = tg::capi::require_out(out, "out");
    o = static_cast<tg_dtype>(static_cast<int>(v.dtype()));
  });
}

tg_status tg_variable_rank(const tg_variable* variable, int* out) {
  return tg::capi::guard("tg_variable_rank", [&] {
    const Variable& v = variable_arg(variable, "variable");
    int& o = tg::capi::require_out(out, "out");
    o = v.shape().rank();
  });
}

tg_status tg_variable_shape(const tg_variable* variable, int64_t* dims, size_t capacity) {
  return tg::capi::guard("tg_variable_shape", [&] {
    const Variable& v = variable_arg(variable, "variable");
    const tg::Shape& s = v.shape();
    if (!dims && s.rank() > 0) tg::fail(Status::invalid_argument, "dims (output array) is NULL");
    if (capacity < static_cast<size_t>(s.rank()))
      tg::fail(Status::invalid_argument, "capacity {} is smaller than the rank {} of shape {}",
               capacity, s.rank(), s.str());
    const auto d = s.dims();
    std::copy(d.begin(), d.end(), dims);
  });
}

tg_status tg_variable_free(tg_variable* variable) {
  return tg::capi::guard("tg_variable_free",
                         [&] { tg::capi::free_handle<tg_variable>(variable, "variable"); });
}

}  // extern "C"
