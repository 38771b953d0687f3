/* SPDX-License-Identifier: Apache-2.0 */
// Keras's History callback (keras/callbacks.py): the epoch indices fit ran and, for each key
// of the epoch-end logs, its values — Keras's history.epoch and history.history.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/training/callback.h"

namespace tg {

class History : public Callback {
 public:
  void on_train_begin(TrainingState&, Logs&) override { epochs_.clear(); }
  void on_epoch_end(TrainingState&, int64_t epoch, Logs& logs) override;

  // history.epoch: the 0-based epoch indices, in order.
  const std::vector<int64_t>& epochs() const { return epochs_; }
  // history.history: each key with its values, keys in the order they first appeared. A key
  // that first appears in a later epoch has fewer values (Keras's setdefault(k, []).append).
  const std::vector<std::pair<std::string, std::vector<double>>>& values() const { return values_; }
  // The values of `key`, or nullptr.
  const std::vector<double>* find(const std::string& key) const;

 private:
  std::vector<int64_t> epochs_;
  std::vector<std::pair<std::string, std::vector<double>>> values_;
};

}  // namespace tg
