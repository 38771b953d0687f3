// SPDX-License-Identifier: Apache-2.0
#include "nn/training/lr_scheduler.h"

#include <fmt/format.h>

#include <cmath>

#include "nn/optimizer.h"
#include "nn/training/monitor.h"
#include "tensor/error.h"

namespace tg {
namespace {

Optimizer& optimizer_of(const TrainingState& state) {
  if (!state.optimizer) fail(Status::invalid_state, "LearningRateScheduler: there is no optimizer (only fit has one)");
  return *state.optimizer;
}

}  // namespace

LearningRateScheduler::LearningRateScheduler(Schedule schedule, std::FILE* verbose_stream)
    : schedule_(std::move(schedule)), verbose_stream_(verbose_stream) {
  if (!schedule_) fail(Status::invalid_argument, "LearningRateScheduler: the schedule is null");
}

void LearningRateScheduler::on_epoch_begin(TrainingState& state, int64_t epoch, Logs&) {
  Optimizer& optimizer = optimizer_of(state);
  const double lr = schedule_(epoch, optimizer.learning_rate());
  if (!(std::isfinite(lr) && lr > 0))
    fail(Status::invalid_argument,
         "LearningRateScheduler: the schedule returned {} for epoch {}; a learning rate must be finite and > 0", lr,
         epoch);
  optimizer.set_learning_rate(lr);
  print_message(verbose_stream_,
                fmt::format("\nEpoch {}: LearningRateScheduler setting learning rate to {}.\n", epoch + 1, lr));
}

void LearningRateScheduler::on_epoch_end(TrainingState& state, int64_t, Logs& logs) {
  logs.set("lr", static_cast<double>(static_cast<float>(optimizer_of(state).learning_rate())));
}

}  // namespace tg
