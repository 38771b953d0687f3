// SPDX-License-Identifier: Apache-2.0
#include "nn/training/early_stopping.h"

#include <fmt/format.h>

#include <limits>

#include "nn/model.h"
#include "nn/training/monitor.h"
#include "nn/warning.h"
#include "tensor/error.h"

namespace tg {

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : options_(std::move(options)) {
  if (options_.monitor.empty()) fail(Status::invalid_argument, "EarlyStopping: monitor is empty");
  if (options_.patience < 0)
    fail(Status::invalid_argument, "EarlyStopping: patience must be >= 0, got {}", options_.patience);
  if (!std::isfinite(options_.min_delta))
    fail(Status::invalid_argument, "EarlyStopping: min_delta must be finite, got {}", options_.min_delta);
  if (options_.start_from_epoch < 0)
    fail(Status::invalid_argument, "EarlyStopping: start_from_epoch must be >= 0, got {}", options_.start_from_epoch);
  maximize_ = options_.mode == MonitorMode::max ||
              (options_.mode == MonitorMode::auto_ &&
               (ends_with(options_.monitor, "acc") || ends_with(options_.monitor, "accuracy") ||
                ends_with(options_.monitor, "auc")));
  min_delta_ = maximize_ ? std::abs(options_.min_delta) : -std::abs(options_.min_delta);
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
}

bool EarlyStopping::is_improvement(double value, double reference) const {
  return maximize_ ? value - min_delta_ > reference : value - min_delta_ < reference;
}

void EarlyStopping::on_train_begin(TrainingState&, Logs&) {  // the callback may be reused
  wait_ = 0;
  stopped_epoch_ = 0;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_weights_.clear();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(TrainingState& state, int64_t epoch, Logs& logs) {
  const double* current = logs.find(options_.monitor);
  if (!current)
    warn(fmt::format("Early stopping conditioned on metric `{}` which is not available. Available metrics are: {}",
                     options_.monitor, logs.names()));
  if (!current || epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && best_weights_.empty()) best_weights_ = state.model.get_weights();

  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = state.model.get_weights();
    // Only restart the wait if it beats both the baseline and the previous best.
    if (std::isnan(options_.baseline) || is_improvement(*current, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    state.stop_training = true;
    if (options_.restore_best_weights && !best_weights_.empty()) {
      print_message(options_.verbose_stream,
                    fmt::format("Restoring model weights from the end of the best epoch: {}.\n", best_epoch_ + 1));
      state.model.set_weights(best_weights_);
    }
  }
}

void EarlyStopping::on_train_end(TrainingState&, Logs&) {
  if (stopped_epoch_ > 0)
    print_message(options_.verbose_stream, fmt::format("Epoch {}: early stopping\n", stopped_epoch_ + 1));
}

}  // namespace tg
