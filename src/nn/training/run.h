/* SPDX-License-Identifier: Apache-2.0 */
// What fit, evaluate and predict share: the callback list with Keras's defaults, the logs of
// the model's metrics, and the throughput clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "nn/training/callback.h"
#include "nn/training/train_step.h"

namespace tg {

class History;

// Keras's CallbackList(callbacks, add_history, add_progbar): the caller's callbacks, then
// `history` (if not null), then a progress bar writing to `stream` (stdout if null) when
// verbose is 1 or 2 and the caller gave none. verbose must be 0, 1 or 2.
CallbackList make_callbacks(const std::vector<std::shared_ptr<Callback>>& callbacks, std::shared_ptr<History> history,
                            int verbose, std::FILE* stream, const char* what);

// model.metrics names: "loss", then each compiled metric's.
std::vector<std::string> metric_names(const Compiled& compiled);

// Their current results, in that order (Keras's get_metrics_result).
Logs metric_results(const LossTracker& tracker, const Compiled& compiled);

// Resets the loss tracker and the metrics (Keras's reset_metrics).
void reset_metrics(LossTracker& tracker, const Compiled& compiled);

// Samples and seconds since construction, written into logs.
class Throughput {
 public:
  void add(int64_t samples) { samples_ += samples; }
  void write(Logs& logs) const;

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  int64_t samples_ = 0;
};

}  // namespace tg
