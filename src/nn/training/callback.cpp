// SPDX-License-Identifier: Apache-2.0
#include "nn/training/callback.h"

#include <algorithm>

namespace tg {

void Logs::set(std::string_view name, double value) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == name; });
  if (it != entries_.end()) it->second = value;
  else entries_.emplace_back(std::string(name), value);
}

const double* Logs::find(std::string_view name) const {
  for (const auto& e : entries_)
    if (e.first == name) return &e.second;
  return nullptr;
}

std::string Logs::names() const {
  std::string out;
  for (const auto& e : entries_) out += (out.empty() ? "" : ",") + e.first;
  return out;
}

}  // namespace tg
