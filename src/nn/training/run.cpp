// SPDX-License-Identifier: Apache-2.0
#include "nn/training/run.h"

#include "nn/metrics.h"
#include "nn/training/history.h"
#include "nn/training/progress_bar.h"
#include "tensor/error.h"

namespace tg {

CallbackList make_callbacks(const std::vector<std::shared_ptr<Callback>>& callbacks, std::shared_ptr<History> history,
                            int verbose, std::FILE* stream, const char* what) {
  if (verbose < 0 || verbose > 2)
    fail(Status::invalid_argument, "{}: verbose must be 0, 1 or 2, got {}", what, verbose);
  bool has_progress_bar = false;
  for (size_t i = 0; i < callbacks.size(); ++i) {
    if (!callbacks[i]) fail(Status::invalid_argument, "{}: callback {} is null", what, i);
    has_progress_bar = has_progress_bar || dynamic_cast<const ProgressBarLogger*>(callbacks[i].get());
  }
  CallbackList list(callbacks);
  if (history) list.append(std::move(history));
  if (verbose != 0 && !has_progress_bar)
    list.append(std::make_shared<ProgressBarLogger>(stream ? stream : stdout, verbose));
  return list;
}

std::vector<std::string> metric_names(const Compiled& compiled) {
  std::vector<std::string> names{"loss"};
  for (const Metric* m : compiled.metrics) names.emplace_back(m->name());
  return names;
}

Logs metric_results(const LossTracker& tracker, const Compiled& compiled) {
  Logs logs;
  logs.set("loss", tracker.result());
  for (const Metric* m : compiled.metrics) logs.set(m->name(), m->result());
  return logs;
}

void reset_metrics(LossTracker& tracker, const Compiled& compiled) {
  tracker.reset();
  for (Metric* m : compiled.metrics) m->reset();
}

void Throughput::write(Logs& logs) const {
  logs.samples = samples_;
  logs.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace tg
