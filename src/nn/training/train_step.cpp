// SPDX-License-Identifier: Apache-2.0
#include "nn/training/train_step.h"

#include <string>

#include "autodiff/ops.h"
#include "autodiff/tape.h"
#include "nn/losses.h"
#include "nn/metrics.h"
#include "nn/model.h"
#include "nn/optimizer.h"

namespace tg {
namespace {

Tensor with_trailing_axis(const Tensor& t) {
  Shape s = t.shape();
  s.push_back(1);
  return Tensor::from_storage(t.storage(), s, t.dtype());
}

bool is_integer(DType d) { return d == DType::i32 || d == DType::i64; }

// compile_utils.match_dtype_and_rank: y_true (N,) against y_pred (N, C) gains a trailing
// axis, and so does a (N,) sample_weight; y_true takes y_pred's dtype when both are floating
// or both are integers.
Batch match_dtype_and_rank(const Batch& batch, const Tensor& y_pred) {
  Batch out = batch;
  if (out.y.rank() == 1 && y_pred.rank() == 2) out.y = with_trailing_axis(out.y);
  if (out.sample_weight.defined() && out.sample_weight.rank() == 1 && y_pred.rank() == 2)
    out.sample_weight = with_trailing_axis(out.sample_weight);
  const DType t = out.y.dtype(), p = y_pred.dtype();
  if (t != p && ((is_floating(t) && is_floating(p)) || (is_integer(t) && is_integer(p)))) out.y = ops::cast(out.y, p);
  return out;
}

void require_targets(const Batch& batch, const char* what) {
  if (!batch.y.defined()) fail(Status::invalid_argument, "{}: the batch has no targets (y)", what);
}

// d loss / d variables. why a function: a source holds a snapshot of its variable's value, which
// must be gone before the optimizer writes the variable, or each write copies the buffer first.
std::vector<Tensor> gradients_of(Tape& tape, const Tensor& loss,
                                 const std::vector<std::shared_ptr<Variable>>& variables) {
  std::vector<Differentiable> sources;
  sources.reserve(variables.size());
  for (const auto& v : variables) sources.push_back(Differentiable::of(v));
  const Differentiable target = Differentiable::of(loss);
  return tape.gradient({&target, 1}, sources);
}

void update_metrics(const Compiled& compiled, const Batch& matched, const Tensor& y_pred) {
  for (Metric* m : compiled.metrics) m->update(matched.y, y_pred);
}

}  // namespace

void check_compiled(const Compiled& compiled, bool needs_optimizer, const char* what) {
  if (!compiled.loss) fail(Status::invalid_argument, "{}: no loss", what);
  if (needs_optimizer && !compiled.optimizer) fail(Status::invalid_argument, "{}: no optimizer", what);
  for (size_t i = 0; i < compiled.metrics.size(); ++i) {
    if (!compiled.metrics[i]) fail(Status::invalid_argument, "{}: metric {} is null", what, i);
    for (size_t j = 0; j < i; ++j) {
      if (compiled.metrics[j] == compiled.metrics[i])
        fail(Status::invalid_argument, "{}: metrics {} and {} are the same metric object", what, j, i);
      if (compiled.metrics[j]->name() == compiled.metrics[i]->name())
        fail(Status::invalid_argument, "{}: metrics {} and {} are both named '{}'; the logs need distinct names",
             what, j, i, compiled.metrics[i]->name());
    }
  }
}

StepGradients compute_gradients(Model& model, const Compiled& compiled, const Batch& batch) {
  require_targets(batch, "train_step");
  Tape tape(/*persistent=*/false, /*watch_accessed_variables=*/true);
  tape.begin();  // the destructor stops the recording if anything below throws
  const Tensor y_pred = model.call(batch.x, /*training=*/true);
  const Batch matched = match_dtype_and_rank(batch, y_pred);
  const Tensor loss = (*compiled.loss)(matched.y, y_pred, matched.sample_weight);
  tape.end();

  StepGradients out{loss, model.trainable_variables(), {}};
  out.gradients = gradients_of(tape, loss, out.variables);
  update_metrics(compiled, matched, y_pred);  // from the forward pass before the update
  return out;
}

Tensor train_step(Model& model, const Compiled& compiled, const Batch& batch) {
  StepGradients step = compute_gradients(model, compiled, batch);
  compiled.optimizer->apply(step.variables, step.gradients);
  return step.loss;
}

Tensor test_step(Model& model, const Compiled& compiled, const Batch& batch) {
  require_targets(batch, "test_step");
  const Tensor y_pred = model.call(batch.x, /*training=*/false);
  const Batch matched = match_dtype_and_rank(batch, y_pred);
  const Tensor loss = (*compiled.loss)(matched.y, y_pred, matched.sample_weight);
  update_metrics(compiled, matched, y_pred);
  return loss;
}

double loss_value(const Tensor& loss) {
  double sum = 0.0;
  visit_floating(loss.dtype(), "loss", [&]<class T>() {
    const T* p = loss.data<T>();
    for (int64_t i = 0, n = loss.numel(); i < n; ++i) sum += static_cast<double>(p[i]);
  });
  return loss.numel() == 0 ? 0.0 : sum / static_cast<double>(loss.numel());
}

void LossTracker::update(const Tensor& loss, int64_t batch_size) {
  // Reduce.update_state(values=loss, sample_weight=batch_size) in float32.
  const auto w = static_cast<float>(batch_size);
  double sum = 0.0;
  visit_floating(loss.dtype(), "loss", [&]<class T>() {
    const T* p = loss.data<T>();
    for (int64_t i = 0, n = loss.numel(); i < n; ++i) sum += static_cast<double>(static_cast<float>(p[i]) * w);
  });
  total_ += static_cast<float>(sum);
  count_ += w * static_cast<float>(loss.numel());
}

double LossTracker::result() const { return count_ == 0.0f ? 0.0 : static_cast<double>(total_ / count_); }

}  // namespace tg
