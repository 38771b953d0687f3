/* SPDX-License-Identifier: Apache-2.0 */
// Keras's Model.evaluate and Model.predict (keras/engine/training.py, Keras 2.15): batched,
// no tape, training behaviour off (Dropout is the identity), never shuffled.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "nn/training/callback.h"
#include "nn/training/data.h"
#include "nn/training/train_step.h"

namespace tg {

struct EvaluateOptions {
  int64_t batch_size = 32;
  std::vector<std::shared_ptr<Callback>> callbacks;
  int verbose = 0;
  std::FILE* verbose_stream = nullptr;  // null: stdout
};

// The loss and the metrics over all of `data`: "loss", then each metric's name, in that order
// (Keras's return_dict). The loss is the batch losses weighted by batch size, the metrics
// accumulated over every sample, as in fit.
Logs evaluate(Model& model, const Compiled& compiled, const Data& data, const EvaluateOptions& options);

// The evaluation loop behind evaluate and fit's validation: on_test_begin, the metrics reset,
// test_step per batch with on_test_batch_begin / on_test_batch_end, on_test_end with the
// results, which it returns. `epoch` is passed to the data source.
Logs run_test_loop(Model& model, const Compiled& compiled, DataSource& data, const CallbackList& callbacks,
                   TrainingState& state, int64_t epoch);

// fit's validation at the end of epoch `epoch`: when `validation` is not null and
// (epoch + 1) % freq == 0, run_test_loop over it, its results joining `logs` as "val_<name>".
void validate_epoch(Model& model, const Compiled& compiled, DataSource* validation, int64_t freq,
                    const CallbackList& callbacks, TrainingState& state, int64_t epoch, Logs& logs);

struct PredictOptions {
  int64_t batch_size = 32;
  std::vector<std::shared_ptr<Callback>> callbacks;
  int verbose = 0;
  std::FILE* verbose_stream = nullptr;  // null: stdout
};

// model(x, training=False) batch by batch, the outputs joined along axis 0 (scalar outputs
// stacked) into one tensor. Only x is used (a source's y is ignored).
Tensor predict(Model& model, const Data& data, const PredictOptions& options);

}  // namespace tg
