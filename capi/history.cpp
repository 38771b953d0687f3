// SPDX-License-Identifier: Apache-2.0
// C shims for the History that tg_model_fit returns (src/nn/training/history.h).
#include <algorithm>
#include <string>

#include "handles.h"
#include "training_handles.h"

using tg::capi::get;
using tg::capi::guard;
using tg::capi::require_out;

namespace {

const tg::History& history_arg(const tg_history* history) { return *get<tg_history>(history, "history")->value; }

// Writes min(capacity, values.size()) values and the total count.
template <class T>
void write_values(const std::vector<T>& values, T* out, size_t capacity, size_t* count) {
  auto& total = require_out(count, "count");
  if (!out && capacity > 0)
    tg::fail(tg::Status::invalid_argument, "the output array is NULL but capacity is {}", capacity);
  std::copy_n(values.begin(), std::min(capacity, values.size()), out);
  total = values.size();
}

}  // namespace

extern "C" {

tg_status tg_history_epochs(const tg_history* history, int64_t* epochs, size_t capacity, size_t* count) {
  return guard("tg_history_epochs", [&] { write_values(history_arg(history).epochs(), epochs, capacity, count); });
}

tg_status tg_history_num_keys(const tg_history* history, size_t* out) {
  return guard("tg_history_num_keys", [&] { require_out(out, "out") = history_arg(history).values().size(); });
}

tg_status tg_history_key(const tg_history* history, size_t index, const char** out) {
  return guard("tg_history_key", [&] {
    const auto& values = history_arg(history).values();
    auto& result = require_out(out, "out");
    if (index >= values.size())
      tg::fail(tg::Status::invalid_argument, "index {} is out of range: the history has {} keys", index, values.size());
    result = values[index].first.c_str();
  });
}

tg_status tg_history_values(const tg_history* history, const char* key, double* values, size_t capacity,
                            size_t* count) {
  return guard("tg_history_values", [&] {
    const tg::History& h = history_arg(history);
    if (!key) tg::fail(tg::Status::invalid_argument, "key is NULL");
    const std::vector<double>* found = h.find(key);
    if (!found) {
      std::string keys;
      for (const auto& [name, v] : h.values()) keys += (keys.empty() ? "" : ", ") + name;
      tg::fail(tg::Status::invalid_argument, "the history has no key '{}' (it has: {})", key, keys);
    }
    write_values(*found, values, capacity, count);
  });
}

tg_status tg_history_free(tg_history* history) {
  return guard("tg_history_free", [&] { tg::capi::free_handle(history, "history"); });
}

}  // extern "C"
