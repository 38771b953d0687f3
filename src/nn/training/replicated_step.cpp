// SPDX-License-Identifier: Apache-2.0
#include "nn/training/replicated_step.h"

#include "autodiff/variable.h"
#include "nn/losses.h"
#include "nn/metrics.h"
#include "nn/model.h"
#include "nn/optimizer.h"
#include "tensor/error.h"

namespace tg {
namespace {

bool is_mean(const Loss& loss) {
  const Reduction r = loss.config().reduction;
  return r == Reduction::auto_ || r == Reduction::sum_over_batch_size;
}

// The words of the first collective, summed over replicas.
struct Header {
  double rows = 0;           // n_r
  double weighted_loss = 0;  // n_r · (mean of the loss's elements)
  double loss_sum = 0;       // the sum of the loss's elements
  double loss_elements = 0;
  double stop = 0;           // 1: asks to stop
  uint64_t structure = 0;    // V, M and the variables' dtypes and shapes, hashed (same_everywhere)

  static constexpr size_t kWords = 5;
  std::vector<double> words() const {
    std::vector<double> w{rows, weighted_loss, loss_sum, loss_elements, stop};
    append_same_check(w, structure);
    return w;
  }
};

uint64_t structure_of(const std::vector<std::shared_ptr<Variable>>& variables, size_t metrics) {
  uint64_t h = variables.size() * 1000003u + metrics;
  for (const auto& v : variables) {
    const Tensor t = v->value();
    h = h * 31 + static_cast<uint64_t>(t.dtype());
    for (int64_t d : t.shape().dims()) h = h * 1000003u + static_cast<uint64_t>(d);
  }
  return h;
}

}  // namespace

ReplicatedStep replicated_train_step(Model& model, const Compiled& compiled, const Batch* batch,
                                     const Replica& replica, std::exception_ptr pending, bool stop) {
  const auto variables = model.trainable_variables();
  const size_t V = variables.size(), M = compiled.metrics.size();
  StepGradients step;
  Header mine;
  try {
    if (pending) std::rethrow_exception(pending);
    if (batch && !stop) {
      step = compute_gradients(model, compiled, *batch);
      const double mean = loss_value(step.loss);
      mine.rows = static_cast<double>(batch->x.shape()[0]);
      mine.weighted_loss = mine.rows * mean;
      mine.loss_elements = static_cast<double>(step.loss.numel());
      mine.loss_sum = mean * mine.loss_elements;
    }
  } catch (...) {
    pending = std::current_exception();
  }
  mine.stop = stop ? 1.0 : 0.0;
  mine.structure = structure_of(variables, M);
  const std::vector<double> words = agree_and_sum(replica, pending, mine.words());  // (1)
  if (!same_everywhere(words.data() + Header::kWords, replica.size))  // the same verdict on every replica
    fail(Status::invalid_argument,
         "distributed train_step: the replicas' models differ (their trainable variables' number, dtypes or shapes, "
         "or the number of metrics): build the same model everywhere");
  const Header sum{words[0], words[1], words[2], words[3], words[4], 0};
  ReplicatedStep out;
  if (sum.stop > 0 || sum.rows == 0) {
    out.stopped = sum.stop > 0;
    return out;
  }

  // (2) Per variable, how many replicas with rows have its gradient NULL and how many not;
  // then each metric's (total, count).
  std::vector<double> control(2 * V + 2 * M, 0.0);  // (2V + 2M)
  if (batch)
    for (size_t i = 0; i < V; ++i) control[2 * i + (step.gradients[i].defined() ? 1 : 0)] = 1.0;
  for (size_t i = 0; i < M; ++i) {
    control[2 * V + 2 * i] = compiled.metrics[i]->total();
    control[2 * V + 2 * i + 1] = compiled.metrics[i]->count();
  }
  replica.allreduce_sum(control.data(), control.size(), DType::f64);
  std::vector<Tensor> local(V);  // (V) this replica's gradients, zeros where it has no rows
  for (size_t i = 0; i < V; ++i) {
    const double nulls = control[2 * i], present = control[2 * i + 1];
    if (nulls > 0 && present > 0)
      fail(Status::invalid_argument,
           "distributed train_step: the gradient of '{}' is NULL on {} replica(s) and not on {}: every replica must "
           "differentiate the same variables",
           variables[i]->name(), nulls, present);
    if (present == 0) continue;  // NULL everywhere: the optimizer skips it
    const Tensor value = variables[i]->value();
    local[i] = batch ? step.gradients[i] : Tensor::zeros(value.shape(), value.dtype());
  }

  // (3) The global batch's gradient.
  const double scale = is_mean(*compiled.loss) ? mine.rows / sum.rows : 1.0;
  const std::vector<Tensor> gradients = allreduce_sum(replica, local, scale);
  step = {};  // why: gradient tensors may hold snapshots of the variables the optimizer writes
  compiled.optimizer->apply(variables, gradients);

  out.samples = static_cast<int64_t>(sum.rows);
  // The loss one process would report for the global batch (train_step's loss_value).
  if (is_mean(*compiled.loss)) out.loss = sum.weighted_loss / sum.rows;
  else if (compiled.loss->config().reduction == Reduction::sum) out.loss = sum.loss_sum;
  else out.loss = sum.loss_elements > 0 ? sum.loss_sum / sum.loss_elements : 0.0;  // NONE: the elements' mean
  for (size_t i = 0; i < M; ++i) out.metrics.emplace_back(control[2 * V + 2 * i], control[2 * V + 2 * i + 1]);
  return out;
}

}  // namespace tg
