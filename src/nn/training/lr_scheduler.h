/* SPDX-License-Identifier: Apache-2.0 */
// Keras's LearningRateScheduler callback (keras/callbacks.py, Keras 2.15): at the start of
// every epoch the optimizer's learning rate becomes schedule(epoch, current learning rate),
// and the epoch-end logs gain "lr", the rate as the optimizer's float32 variable holds it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>

#include "nn/training/callback.h"

namespace tg {

class LearningRateScheduler : public Callback {
 public:
  // schedule(epoch, lr) → the new learning rate; it must be finite and > 0. It may throw
  // tg::Error, which stops training.
  using Schedule = std::function<double(int64_t epoch, double learning_rate)>;
  // verbose_stream: Keras's verbose=1 message goes there; null: silent.
  LearningRateScheduler(Schedule schedule, std::FILE* verbose_stream);

  void on_epoch_begin(TrainingState& state, int64_t epoch, Logs&) override;
  void on_epoch_end(TrainingState& state, int64_t epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  std::FILE* verbose_stream_;
};

}  // namespace tg
