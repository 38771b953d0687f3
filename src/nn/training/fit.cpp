// SPDX-License-Identifier: Apache-2.0
#include "nn/training/fit.h"

#include "nn/training/evaluate.h"
#include "nn/training/fit_replicated.h"
#include "nn/training/run.h"
#include "tensor/error.h"

namespace tg {
namespace {

void check_options(const FitOptions& o) {
  if (o.batch_size <= 0) fail(Status::invalid_argument, "fit: batch_size must be positive, got {}", o.batch_size);
  if (o.epochs < 0) fail(Status::invalid_argument, "fit: epochs must be >= 0, got {}", o.epochs);
  if (o.initial_epoch < 0) fail(Status::invalid_argument, "fit: initial_epoch must be >= 0, got {}", o.initial_epoch);
  if (!(o.validation_split >= 0.0 && o.validation_split < 1.0))
    fail(Status::invalid_argument, "fit: validation_split must be in [0, 1), got {}", o.validation_split);
  if (o.validation_batch_size < 0)
    fail(Status::invalid_argument, "fit: validation_batch_size must be >= 0 (0: batch_size), got {}",
         o.validation_batch_size);
  if (o.validation_freq <= 0)
    fail(Status::invalid_argument, "fit: validation_freq must be positive, got {}", o.validation_freq);
}

// Keras's validation_split and validation_data: the training data and the validation data.
std::pair<Data, std::optional<Data>> split_validation(const Data& data, const FitOptions& o) {
  if (o.validation_data || o.validation_split == 0.0) return {data, o.validation_data};
  if (data.source)
    fail(Status::invalid_argument,
         "fit: `validation_split` is only supported for Tensors or NumPy arrays, found following types in the "
         "input: [tg_dataset]");
  check_arrays(data.arrays, "fit");
  auto [train, validation] = train_validation_split(data.arrays, o.validation_split);
  return {Data{train, nullptr}, Data{validation, nullptr}};
}

// What the loop needs, after every check of the arguments.
struct Prepared {
  std::shared_ptr<DataSource> train, validation;
  int64_t samples = -1;  // of the training arrays; -1 for a data source
};

Prepared prepare(const Compiled& compiled, const Data& data, const FitOptions& o, uint64_t seed) {
  check_compiled(compiled, /*needs_optimizer=*/true, "fit");
  check_options(o);
  const auto [train_data, validation_data] = split_validation(data, o);
  Prepared p;
  p.train = batches_of(train_data, o.batch_size, o.shuffle, seed, /*needs_targets=*/true, "fit");
  if (validation_data)
    p.validation = batches_of(*validation_data, o.validation_batch_size ? o.validation_batch_size : o.batch_size,
                              /*shuffle=*/false, 0, /*needs_targets=*/true, "fit: validation_data");
  if (!train_data.source) p.samples = train_data.arrays.samples();
  return p;
}

// fit with replicas: every replica shuffles with rank 0's seed, so that their global batches
// agree, and an argument one replica rejects fails them all.
std::shared_ptr<History> fit_with_replicas(Model& model, const Compiled& compiled, const Data& data,
                                           const FitOptions& o) {
  check_replica(*o.replica, "fit");
  uint64_t seed = o.seed;
  o.replica->broadcast(&seed, sizeof seed, 0);
  Prepared p;
  std::exception_ptr error;
  try {
    p = prepare(compiled, data, o, seed);
  } catch (...) {
    error = std::current_exception();
  }
  agree(*o.replica, error);
  return fit_replicated(model, compiled, p.train, p.samples, p.validation, o);
}

}  // namespace

std::shared_ptr<History> fit(Model& model, const Compiled& compiled, const Data& data, const FitOptions& o) {
  if (o.replica) return fit_with_replicas(model, compiled, data, o);
  const Prepared p = prepare(compiled, data, o, o.seed);
  const auto& train = p.train;
  const auto& validation = p.validation;
  auto history = std::make_shared<History>();
  const CallbackList callbacks = make_callbacks(o.callbacks, history, o.verbose, o.verbose_stream, "fit");
  TrainingState state{model, compiled.optimizer, o.epochs, train->steps(), o.verbose, metric_names(compiled)};

  Logs none;
  callbacks.for_each(&Callback::on_train_begin, state, none);
  LossTracker tracker;
  Logs training_logs;
  for (int64_t epoch = o.initial_epoch; epoch < o.epochs; ++epoch) {
    reset_metrics(tracker, compiled);
    Logs epoch_begin;
    callbacks.for_each(&Callback::on_epoch_begin, state, epoch, epoch_begin);
    Throughput throughput;
    int64_t steps_done = 0;
    for (int64_t step = 0; !train->steps() || step < *train->steps(); ++step) {
      const std::optional<Batch> batch = train->batch(epoch, step);
      if (!batch) break;
      check_batch(*batch, /*needs_targets=*/true, "fit: a batch");
      Logs batch_begin;
      callbacks.for_each(&Callback::on_train_batch_begin, state, step, batch_begin);
      const Tensor loss = train_step(model, compiled, *batch);
      tracker.update(loss, batch->y.shape()[0]);
      throughput.add(batch->x.shape()[0]);
      Logs logs = metric_results(tracker, compiled);
      throughput.write(logs);
      ++steps_done;
      callbacks.for_each(&Callback::on_train_batch_end, state, step, logs);
      if (state.stop_training) break;
    }
    if (steps_done == 0) fail(Status::invalid_argument, "fit: the training data gave no batch in epoch {}", epoch);

    Logs epoch_logs = metric_results(tracker, compiled);
    throughput.write(epoch_logs);
    validate_epoch(model, compiled, validation.get(), o.validation_freq, callbacks, state, epoch, epoch_logs);
    callbacks.for_each(&Callback::on_epoch_end, state, epoch, epoch_logs);
    training_logs = epoch_logs;
    if (state.stop_training) break;
  }
  callbacks.for_each(&Callback::on_train_end, state, training_logs);
  return history;
}

}  // namespace tg
