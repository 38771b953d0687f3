// SPDX-License-Identifier: Apache-2.0
#include "nn/training/fit_replicated.h"

#include <utility>

#include "nn/metrics.h"
#include "nn/training/evaluate.h"
#include "nn/training/model_checkpoint.h"
#include "nn/training/progress_bar.h"
#include "nn/training/replicated_step.h"
#include "nn/training/run.h"
#include "tensor/error.h"

namespace tg {
namespace {

// The caller's callbacks that run on this replica: replica 0 runs all, the others neither
// write checkpoints nor print.
std::vector<std::shared_ptr<Callback>> callbacks_of_replica(const std::vector<std::shared_ptr<Callback>>& all,
                                                          int rank) {
  if (rank == 0) return all;
  std::vector<std::shared_ptr<Callback>> kept;
  for (const auto& c : all)
    if (!dynamic_cast<const ModelCheckpoint*>(c.get()) && !dynamic_cast<const ProgressBarLogger*>(c.get()))
      kept.push_back(c);
  return kept;
}

// Keras's Mean.result() of a metric whose state is summed over replicas: float32 total / count.
double metric_result(const std::pair<double, double>& state) {
  const auto total = static_cast<float>(state.first), count = static_cast<float>(state.second);
  return count == 0.0f ? 0.0 : static_cast<double>(total / count);
}

Logs global_results(const LossTracker& tracker, const Compiled& compiled,
                    const std::vector<std::pair<double, double>>& metrics) {
  Logs logs;
  logs.set("loss", tracker.result());
  for (size_t i = 0; i < compiled.metrics.size(); ++i)
    logs.set(compiled.metrics[i]->name(), metric_result(metrics[i]));
  return logs;
}

// Runs the caller's code of one replica, keeping its error for the next agreement instead of
// leaving the collective calls the other replicas make.
class Deferred {
 public:
  template <class F>
  void run(F&& f) {
    if (error_) return;
    try {
      f();
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  std::exception_ptr take() { return std::exchange(error_, nullptr); }

 private:
  std::exception_ptr error_;
};

// Every replica must hold the same number of samples, or their global batches differ.
void check_same_samples(const Replica& replica, int64_t samples) {
  std::vector<double> words;
  append_same_check(words, static_cast<uint64_t>(samples));
  if (!same_everywhere(agree_and_sum(replica, nullptr, words).data(), replica.size))
    fail(Status::invalid_argument,
         "fit: the replicas were given different numbers of samples (this one {}); with arrays, every replica "
         "passes the same arrays and takes its own rows of each global batch",
         samples);
}

}  // namespace

std::shared_ptr<History> fit_replicated(Model& model, const Compiled& compiled, const std::shared_ptr<DataSource>& train,
                                        int64_t samples, const std::shared_ptr<DataSource>& validation,
                                        const FitOptions& o) {
  const Replica& replica = *o.replica;
  check_replica(replica, "fit");
  check_same_samples(replica, samples);
  if (auto arrays = std::dynamic_pointer_cast<ArrayData>(train)) arrays->shard(replica.rank, replica.size);

  auto history = std::make_shared<History>();
  const CallbackList callbacks = make_callbacks(callbacks_of_replica(o.callbacks, replica.rank), history,
                                                replica.rank == 0 ? o.verbose : 0, o.verbose_stream, "fit");
  TrainingState state{model, compiled.optimizer, o.epochs, train->steps(), o.verbose, metric_names(compiled)};
  Deferred local;
  Logs none;
  local.run([&] { callbacks.for_each(&Callback::on_train_begin, state, none); });
  LossTracker tracker;
  Logs training_logs;
  for (int64_t epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    reset_metrics(tracker, compiled);
    Logs epoch_begin;
    local.run([&] { callbacks.for_each(&Callback::on_epoch_begin, state, epoch, epoch_begin); });
    Throughput throughput;
    std::vector<std::pair<double, double>> metrics(compiled.metrics.size());
    bool source_ended = false;
    int64_t steps_done = 0;
    for (int64_t step = 0;; ++step) {
      std::optional<Batch> batch;
      local.run([&] {
        if (source_ended || (train->steps() && step >= *train->steps())) return;
        batch = train->batch(epoch, step);
        source_ended = !batch;
        if (batch && batch->x.defined() && batch->x.rank() > 0 && batch->x.shape()[0] == 0) batch.reset();
        if (batch) check_batch(*batch, /*needs_targets=*/true, "fit: a batch");
        Logs batch_begin;
        if (batch) callbacks.for_each(&Callback::on_train_batch_begin, state, step, batch_begin);
      });
      const ReplicatedStep result = replicated_train_step(model, compiled, batch ? &*batch : nullptr, replica,
                                                          local.take(), state.stop_training);
      if (result.stopped) state.stop_training = true;
      if (result.stopped || result.samples == 0) break;
      tracker.update(Tensor::scalar(result.loss, DType::f64), result.samples);
      throughput.add(result.samples);
      metrics = result.metrics;
      ++steps_done;
      local.run([&] {
        Logs logs = global_results(tracker, compiled, metrics);
        throughput.write(logs);
        callbacks.for_each(&Callback::on_train_batch_end, state, step, logs);
      });
    }
    if (steps_done == 0 && !state.stop_training)
      fail(Status::invalid_argument, "fit: the training data gave no batch in epoch {} on any replica", epoch);

    local.run([&] {
      Logs epoch_logs = global_results(tracker, compiled, metrics);
      throughput.write(epoch_logs);
      validate_epoch(model, compiled, validation.get(), o.validation_freq, callbacks, state, epoch, epoch_logs);
      callbacks.for_each(&Callback::on_epoch_end, state, epoch, epoch_logs);
      training_logs = epoch_logs;
    });
    // The epoch's end: errors and stop requests of the callbacks above, agreed.
    const double stop = state.stop_training ? 1.0 : 0.0;
    if (agree_and_sum(replica, local.take(), {stop})[0] > 0) break;
  }
  local.run([&] { callbacks.for_each(&Callback::on_train_end, state, training_logs); });
  agree(replica, local.take());
  return history;
}

}  // namespace tg
