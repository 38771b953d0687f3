/* SPDX-License-Identifier: Apache-2.0 */
// Keras's ModelCheckpoint callback (keras/callbacks.py, Keras 2.15): saves the model's weights
// with the structural checkpoint (src/nn/model_checkpoint.h: Keras's save_weights) at the end of
// every epoch (or every save_freq batches), or only when a monitored value improves.
//
// The file path is a format string filled with the 1-based epoch, the 1-based batch (when
// saving every save_freq batches) and the logs, as Keras's filepath.format(epoch=…, **logs):
// "ckpt/weights.{epoch:02d}-{val_loss:.2f}.safetensors" (fmt's syntax, which is Python's for
// these specifiers). Missing directories are created.
//
// save_best_only: save only when the monitored value is strictly better than the best so far
// (no min_delta), which starts at initial_value_threshold or ±inf and is kept across fits; a
// missing monitor value warns ("Can save best model only with val_loss available, skipping.")
// and saves nothing. mode auto is max if the monitor name contains "acc" or starts with
// "fmeasure", else min (unlike EarlyStopping's suffix rule).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "nn/training/callback.h"
#include "nn/training/monitor.h"

namespace tg {

struct ModelCheckpointOptions {
  std::string filepath;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  // Keras's save_weights_only: true saves the weights alone; false saves the optimizer's
  // state with them, which is what resuming training needs (Keras saves the whole model).
  bool save_weights_only = false;
  MonitorMode mode = MonitorMode::auto_;
  int64_t save_freq = 0;                 // 0: every epoch (Keras's "epoch"); N > 0: every N batches
  double initial_value_threshold = NAN;  // NaN: none
  std::FILE* verbose_stream = nullptr;   // Keras's verbose=1 messages go here; null: silent
};

class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options);

  void on_epoch_begin(TrainingState&, int64_t epoch, Logs&) override { current_epoch_ = epoch; }
  void on_epoch_end(TrainingState& state, int64_t epoch, Logs& logs) override;
  void on_train_batch_end(TrainingState& state, int64_t batch, Logs& logs) override;

  double best() const { return best_; }
  // The path of the last file written, "" before any.
  const std::string& last_saved() const { return last_saved_; }

 private:
  bool should_save_on_batch(int64_t batch);
  void save(TrainingState& state, int64_t epoch, std::optional<int64_t> batch, const Logs& logs);
  std::string file_path(int64_t epoch, std::optional<int64_t> batch, const Logs& logs) const;

  ModelCheckpointOptions options_;
  bool maximize_;
  double best_;
  int64_t current_epoch_ = 0;
  int64_t batches_since_last_save_ = 0;
  int64_t last_batch_seen_ = -1;
  std::string last_saved_;
};

}  // namespace tg
