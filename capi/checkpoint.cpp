// SPDX-License-Identifier: Apache-2.0
// Checkpoints and safetensors files: thin shims over src/nn/checkpoint.h and
// src/nn/safetensors.h.
#include <memory>
#include <string>
#include <vector>

#include "handles.h"
#include "nn/checkpoint.h"
#include "nn/optimizer.h"
#include "nn/safetensors.h"

namespace {

using tg::Status;

const char* path_arg(const char* path) {
  if (!path) tg::fail(Status::invalid_argument, "path is NULL");
  return path;
}

}  // namespace

extern "C" {

tg_status tg_checkpoint_save(const char* path, tg_variable* const* variables, size_t count,
                             const tg_optimizer* optimizer) {
  return tg::capi::guard("tg_checkpoint_save", [&] {
    const char* p = path_arg(path);
    const auto vars = tg::capi::variables_arg(variables, count, "variables");
    const tg::Optimizer* opt = optimizer ? tg::capi::get<tg_optimizer>(optimizer, "optimizer")->value.get() : nullptr;
    tg::save_checkpoint(p, vars, opt);
  });
}

tg_status tg_checkpoint_load(const char* path, tg_variable* const* variables, size_t count,
                             tg_optimizer* optimizer) {
  return tg::capi::guard("tg_checkpoint_load", [&] {
    const char* p = path_arg(path);
    const auto vars = tg::capi::variables_arg(variables, count, "variables");
    tg::Optimizer* opt = optimizer ? tg::capi::get<tg_optimizer>(optimizer, "optimizer")->value.get() : nullptr;
    tg::load_checkpoint(p, vars, opt);
  });
}

tg_status tg_safetensors_write(const char* path, const char* const* names, tg_tensor* const* tensors,
                               size_t count) {
  return tg::capi::guard("tg_safetensors_write", [&] {
    const char* p = path_arg(path);
    if ((!names || !tensors) && count > 0)
      tg::fail(Status::invalid_argument, "names or tensors is NULL with count {}", count);
    std::vector<tg::safetensors::Entry> entries;
    entries.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!names[i]) tg::fail(Status::invalid_argument, "names[{}] is NULL", i);
      entries.push_back({names[i], tg::capi::get<tg_tensor>(tensors[i], fmt::format("tensors[{}]", i).c_str())->value});
    }
    tg::safetensors::write_file(p, std::move(entries), {});
  });
}

tg_status tg_safetensors_read(const char* path, const char* name, tg_tensor** out) {
  return tg::capi::guard("tg_safetensors_read", [&] {
    const char* p = path_arg(path);
    if (!name) tg::fail(Status::invalid_argument, "name is NULL");
    auto& result = tg::capi::require_out(out, "out");
    const tg::safetensors::File file = tg::safetensors::File::open(p);
    const tg::safetensors::TensorInfo* info = file.header().find(name);
    if (!info)
      tg::fail(Status::invalid_argument, "safetensors file '{}' has no tensor named '{}'", p, name);
    result = tg::capi::make_handle<tg_tensor>(file.read(*info));
  });
}

}  // extern "C"
