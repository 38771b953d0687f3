/* SPDX-License-Identifier: Apache-2.0 */
// fit on several replicas at once (synchronous data parallelism, Keras's fit under
// MultiWorkerMirroredStrategy). Every replica calls fit with the same model structure, options
// and, for arrays, the same arrays; `batch_size` is the global batch.
//
//   - Data: arrays are split by rows: of every global batch (the same shuffled order on every
//     replica, drawn from rank 0's seed, which fit broadcasts), replica r takes its share
//     (ArrayData::shard). A
//     tg_dataset is the replica's own shard: each replica's source gives its local batches,
//     and an epoch ends when every replica's source has ended.
//   - Each step is replicated_train_step: the gradients of the global batch, averaged over
//     the replicas, the same optimizer step everywhere.
//   - Logs: the loss and metrics of the global batch and of all replicas' samples, the same
//     on every replica (so EarlyStopping decides alike everywhere).
//   - Only replica 0 prints (verbose, progress bars) and writes checkpoints (ModelCheckpoint
//     callbacks are dropped on the others); other callbacks run on every replica.
//   - Validation: every replica evaluates all the validation data (the models are equal, so
//     are the results).
//   - Errors: an error on one replica (data, callback, checkpoint file) fails fit on every
//     replica at the next agreement (each step, and each epoch's end) with its status and a
//     message naming that replica; a stop_training set on one replica stops all.
#pragma once

#include <memory>

#include "nn/training/fit.h"

namespace tg {

// `train`: the training batches; `samples`: how many samples the arrays hold (-1 for a
// source), which must be the same on every replica. Called by fit when options.replica is set.
std::shared_ptr<History> fit_replicated(Model& model, const Compiled& compiled, const std::shared_ptr<DataSource>& train,
                                        int64_t samples, const std::shared_ptr<DataSource>& validation,
                                        const FitOptions& options);

}  // namespace tg
