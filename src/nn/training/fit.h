/* SPDX-License-Identifier: Apache-2.0 */
// Keras's Model.fit (keras/engine/training.py, Keras 2.15), with the model, loss, optimizer and
// metrics given explicitly instead of through compile().
//
// For each epoch index in [initial_epoch, epochs): the loss tracker and the metrics are reset;
// on_epoch_begin; for each batch: on_train_batch_begin, train_step (pre-update forward pass
// with training=True under a tape, loss, gradient, metric update, optimizer step), the loss
// tracker weighted by the batch size, on_train_batch_end with the running loss and metrics;
// then, if validation data is given and (epoch + 1) % validation_freq == 0, a full evaluation
// without training behaviour (see evaluate.h) whose results join the logs as "val_<name>";
// on_epoch_end. A callback that sets stop_training ends the epoch after its batch and the
// training after that epoch. History records every epoch's logs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#include "nn/training/callback.h"
#include "nn/training/data.h"
#include "nn/training/history.h"
#include "nn/training/replica.h"
#include "nn/training/train_step.h"

namespace tg {

struct FitOptions {
  int64_t batch_size = 32;
  int64_t epochs = 1;         // the epoch index to stop at, not a count (Keras)
  int64_t initial_epoch = 0;
  bool shuffle = true;        // arrays only; a DataSource batches and shuffles by itself
  uint64_t seed = 0;          // of the shuffle
  // The last fraction of the arrays, taken before shuffling, validates (Keras's
  // validation_split); in [0, 1); ignored when validation_data is given.
  double validation_split = 0.0;
  std::optional<Data> validation_data;
  int64_t validation_batch_size = 0;  // 0: batch_size
  int64_t validation_freq = 1;        // validate after every validation_freq-th epoch
  std::vector<std::shared_ptr<Callback>> callbacks;
  int verbose = 0;                    // 0 silent, 1 progress bar, 2 one line per epoch
  std::FILE* verbose_stream = nullptr;  // null: stdout
  // Data-parallel training with the other replicas (fit_replicated.h); nullopt: alone.
  std::optional<Replica> replica;
};

// Trains `model` and returns the History. Everything it does is deterministic for a given
// seed, model and thread count. On error (including one a callback throws) it stops at once;
// each optimizer step is all-or-nothing, so the model holds the weights of the last completed
// step.
std::shared_ptr<History> fit(Model& model, const Compiled& compiled, const Data& data, const FitOptions& options);

}  // namespace tg
