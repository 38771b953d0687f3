// SPDX-License-Identifier: Apache-2.0
#include "nn/training/history.h"

#include <algorithm>

namespace tg {

void History::on_epoch_end(TrainingState&, int64_t epoch, Logs& logs) {
  epochs_.push_back(epoch);
  for (size_t i = 0; i < logs.size(); ++i) {
    auto it = std::find_if(values_.begin(), values_.end(), [&](const auto& e) { return e.first == logs.name(i); });
    if (it == values_.end()) it = values_.insert(values_.end(), {logs.name(i), {}});
    it->second.push_back(logs.value(i));
  }
}

const std::vector<double>* History::find(const std::string& key) const {
  for (const auto& [name, values] : values_)
    if (name == key) return &values;
  return nullptr;
}

}  // namespace tg
