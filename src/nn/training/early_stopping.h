/* SPDX-License-Identifier: Apache-2.0 */
// Keras's EarlyStopping callback, with the logic of Keras 2.15 (keras/callbacks.py): stop
// training when a monitored value has stopped improving.
//
// At each epoch end (from start_from_epoch on, and if the logs hold `monitor`):
//   snapshot the weights if restoring and none is kept yet; wait += 1;
//   improvement (current − min_delta beats best; min_delta is |min_delta|, negated in min
//   mode): best = current, best_epoch = epoch, snapshot the weights if restoring, and
//   wait = 0 unless a baseline is set and current does not beat it; nothing else this epoch;
//   otherwise, if wait >= patience and epoch > 0: stop training, and restore the kept weights
//   if restore_best_weights.
// Weights are restored only when it stops training, never when all epochs run (Keras 2).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "nn/training/callback.h"
#include "nn/training/monitor.h"
#include "tensor/tensor.h"

namespace tg {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  int64_t patience = 0;
  // auto: max if monitor ends with "acc", "accuracy" or "auc", else min.
  MonitorMode mode = MonitorMode::auto_;
  double baseline = NAN;  // NaN: none
  bool restore_best_weights = false;
  int64_t start_from_epoch = 0;
  std::FILE* verbose_stream = nullptr;  // Keras's verbose=1 messages go here; null: silent
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options);

  void on_train_begin(TrainingState&, Logs&) override;
  void on_epoch_end(TrainingState& state, int64_t epoch, Logs& logs) override;
  void on_train_end(TrainingState&, Logs&) override;

  int64_t wait() const { return wait_; }
  int64_t stopped_epoch() const { return stopped_epoch_; }  // 0 if it did not stop training
  double best() const { return best_; }
  int64_t best_epoch() const { return best_epoch_; }

 private:
  bool is_improvement(double value, double reference) const;

  EarlyStoppingOptions options_;
  bool maximize_;
  double min_delta_;  // signed: negative in min mode
  int64_t wait_ = 0;
  int64_t stopped_epoch_ = 0;
  double best_;
  int64_t best_epoch_ = 0;
  std::vector<Tensor> best_weights_;  // empty: none kept
};

}  // namespace tg
