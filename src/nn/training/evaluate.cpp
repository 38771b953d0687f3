// SPDX-License-Identifier: Apache-2.0
#include "nn/training/evaluate.h"

#include "nn/model.h"
#include "nn/training/run.h"
#include "tensor/checked.h"
#include "tensor/error.h"
#include "tensor/shape_kernels.h"

namespace tg {
namespace {

void check_batch_size(int64_t batch_size, const char* what) {
  if (batch_size <= 0) fail(Status::invalid_argument, "{}: batch_size must be positive, got {}", what, batch_size);
}

// potentially_ragged_concat: the batch outputs joined along axis 0; scalars are stacked.
Tensor join_outputs(const std::vector<Tensor>& outputs) {
  std::vector<Tensor> parts;
  parts.reserve(outputs.size());
  const Tensor& first = outputs.front();
  Shape shape = first.rank() == 0 ? Shape{0} : first.shape();
  shape.set(0, 0, "predict");
  for (size_t i = 0; i < outputs.size(); ++i) {
    Tensor t = outputs[i];
    if (t.rank() == 0) t = Tensor::from_storage(t.storage(), Shape{1}, t.dtype());
    bool same = t.dtype() == first.dtype() && t.rank() == shape.rank();
    for (int d = 1; same && d < t.rank(); ++d) same = t.shape()[d] == shape[d];
    if (!same)
      fail(Status::invalid_argument, "predict: batch {} gave {} {}, which does not join batch 0's {} {} along axis 0",
           i, dtype_name(t.dtype()), outputs[i].shape().str(), dtype_name(first.dtype()), first.shape().str());
    shape.set(0, checked_add(shape[0], t.shape()[0], "predict", "rows of batch {}", i), "predict");
    parts.push_back(std::move(t));
  }
  return parts.size() == 1 ? parts.front() : concat_kernel(parts, 0, shape);
}

}  // namespace

Logs run_test_loop(Model& model, const Compiled& compiled, DataSource& data, const CallbackList& callbacks,
                   TrainingState& state, int64_t epoch) {
  Logs none;
  callbacks.for_each(&Callback::on_test_begin, state, none);
  LossTracker tracker;
  reset_metrics(tracker, compiled);
  Throughput throughput;
  int64_t steps_done = 0;
  for (int64_t step = 0; !data.steps() || step < *data.steps(); ++step) {
    const std::optional<Batch> batch = data.batch(epoch, step);
    if (!batch) break;
    check_batch(*batch, /*needs_targets=*/true, "evaluate: a batch");
    Logs batch_begin;
    callbacks.for_each(&Callback::on_test_batch_begin, state, step, batch_begin);
    tracker.update(test_step(model, compiled, *batch), batch->y.shape()[0]);
    throughput.add(batch->x.shape()[0]);
    Logs logs = metric_results(tracker, compiled);
    throughput.write(logs);
    ++steps_done;
    callbacks.for_each(&Callback::on_test_batch_end, state, step, logs);
  }
  if (steps_done == 0) fail(Status::invalid_argument, "evaluate: the data gave no batch");
  Logs logs = metric_results(tracker, compiled);
  throughput.write(logs);
  callbacks.for_each(&Callback::on_test_end, state, logs);
  return logs;
}

Logs evaluate(Model& model, const Compiled& compiled, const Data& data, const EvaluateOptions& o) {
  check_compiled(compiled, /*needs_optimizer=*/false, "evaluate");
  check_batch_size(o.batch_size, "evaluate");
  const auto batches = batches_of(data, o.batch_size, /*shuffle=*/false, 0, /*needs_targets=*/true, "evaluate");
  const CallbackList callbacks = make_callbacks(o.callbacks, nullptr, o.verbose, o.verbose_stream, "evaluate");
  TrainingState state{model, nullptr, 1, batches->steps(), o.verbose, metric_names(compiled)};
  return run_test_loop(model, compiled, *batches, callbacks, state, 0);
}

Tensor predict(Model& model, const Data& data, const PredictOptions& o) {
  check_batch_size(o.batch_size, "predict");
  Data inputs = data;
  inputs.arrays.y = inputs.arrays.sample_weight = Tensor();
  const auto batches = batches_of(inputs, o.batch_size, /*shuffle=*/false, 0, /*needs_targets=*/false, "predict");
  const CallbackList callbacks = make_callbacks(o.callbacks, nullptr, o.verbose, o.verbose_stream, "predict");
  TrainingState state{model, nullptr, 1, batches->steps(), o.verbose, {}};

  Logs none;
  callbacks.for_each(&Callback::on_predict_begin, state, none);
  std::vector<Tensor> outputs;
  Throughput throughput;
  for (int64_t step = 0; !batches->steps() || step < *batches->steps(); ++step) {
    const std::optional<Batch> batch = batches->batch(0, step);
    if (!batch) break;
    check_batch(Batch{batch->x, Tensor(), Tensor()}, /*needs_targets=*/false, "predict: a batch");
    Logs batch_begin;
    callbacks.for_each(&Callback::on_predict_batch_begin, state, step, batch_begin);
    outputs.push_back(model.call(batch->x, /*training=*/false));
    throughput.add(batch->x.shape()[0]);
    Logs logs;
    throughput.write(logs);
    callbacks.for_each(&Callback::on_predict_batch_end, state, step, logs);
  }
  if (outputs.empty()) fail(Status::invalid_argument, "predict: the data gave no batch");
  Logs end;
  throughput.write(end);
  callbacks.for_each(&Callback::on_predict_end, state, end);
  return join_outputs(outputs);
}

void validate_epoch(Model& model, const Compiled& compiled, DataSource* validation, int64_t freq,
                    const CallbackList& callbacks, TrainingState& state, int64_t epoch, Logs& logs) {
  if (!validation || (epoch + 1) % freq != 0) return;
  const Logs results = run_test_loop(model, compiled, *validation, callbacks, state, epoch);
  for (size_t i = 0; i < results.size(); ++i) logs.set("val_" + results.name(i), results.value(i));
}

}  // namespace tg
