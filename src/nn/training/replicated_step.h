/* SPDX-License-Identifier: Apache-2.0 */
// One step of synchronous data-parallel training (the step of Keras's fit under
// MultiWorkerMirroredStrategy, and of PyTorch's DistributedDataParallel): every replica runs
// train_step's forward and backward pass on its own rows of the global batch, the gradients
// are averaged over the replicas, and every replica applies the same optimizer step, so the
// replicas stay identical.
//
// Legend: n_r = the rows of replica r's batch, n = Σ_r n_r the global batch, V = trainable
// variables, M = metrics.
#pragma once

#include <cstdint>
#include <exception>
#include <utility>
#include <vector>

#include "nn/training/data.h"
#include "nn/training/replica.h"
#include "nn/training/train_step.h"

namespace tg {

struct ReplicatedStep {
  double loss = 0.0;    // the global batch's loss, as one process computing it would report it
  int64_t samples = 0;  // n; 0 when no replica had rows: nothing was done
  bool stopped = false;  // a replica asked to stop: nothing was done
  // Each metric's (total, count) summed over replicas: its result over every replica's samples.
  std::vector<std::pair<double, double>> metrics;
};

// `batch`: replica r's rows (null: none, e.g. the last partial batch has fewer rows than there
// are replicas). `pending`: an error this replica met since the last step (in a callback, say),
// which fails this step on every replica. `stop`: this replica asks every replica to stop
// (its callbacks set stop_training) instead of stepping.
//
// Three collectives: (1) agreement on every replica's status, n, the loss and the model's
// structure; (2) which gradients are NULL, and the metrics' states; (3) the gradients, in
// buckets. Gradients scale by w_r = n_r / n before the sum when the loss is a mean
// (SUM_OVER_BATCH_SIZE / AUTO), by 1 when it is a sum (SUM, NONE), so the sum is the global
// batch's gradient. A gradient NULL on every replica that has rows stays NULL (the optimizer
// skips it); NULL on some but not others is invalid_argument on every replica. On error no
// variable has changed on any replica.
ReplicatedStep replicated_train_step(Model& model, const Compiled& compiled, const Batch* batch,
                                     const Replica& replica, std::exception_ptr pending, bool stop = false);

}  // namespace tg
