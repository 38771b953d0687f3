/* SPDX-License-Identifier: Apache-2.0 */
// One step of Keras's fit / evaluate (keras/engine/training.py train_step and test_step,
// keras/engine/compile_utils.py, Keras 2.15), and the loss tracker that averages the loss
// over an epoch.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nn/training/data.h"
#include "tensor/tensor.h"

namespace tg {

class Loss;
class Metric;
class Model;
class Optimizer;
class Variable;

// What Keras's model.compile(optimizer, loss, metrics) holds. Borrowed: the caller keeps the
// objects alive. The metrics are updated without sample weights (Keras's `metrics`, not
// `weighted_metrics`).
struct Compiled {
  const Loss* loss = nullptr;
  Optimizer* optimizer = nullptr;  // not needed by evaluate / predict
  std::vector<Metric*> metrics;
};

// Checks what `what` ("fit", "evaluate", "train_step") needs: a loss, an optimizer if
// `needs_optimizer`, metrics that are distinct objects with distinct names.
void check_compiled(const Compiled& compiled, bool needs_optimizer, const char* what);

// Keras train_step: y_pred = model(x, training=True) and the loss under a tape; the gradient
// of the loss (of its sum, if the loss is not reduced to a scalar) with respect to the model's
// trainable variables; the metrics updated from this (pre-update) y_pred; one optimizer step.
// Returns the loss tensor. On error no variable has changed (the optimizer checks everything
// before it updates), though metrics may have been updated.
Tensor train_step(Model& model, const Compiled& compiled, const Batch& batch);

// train_step without its optimizer step: the loss, the model's trainable variables and their
// gradients (undefined where the loss does not depend on the variable), the metrics updated.
struct StepGradients {
  Tensor loss;
  std::vector<std::shared_ptr<Variable>> variables;
  std::vector<Tensor> gradients;
};
StepGradients compute_gradients(Model& model, const Compiled& compiled, const Batch& batch);

// Keras test_step: y_pred = model(x, training=False) with no tape, the loss, the metrics.
// Returns the loss tensor.
Tensor test_step(Model& model, const Compiled& compiled, const Batch& batch);

// The mean of a loss tensor's elements (the loss itself when it is a scalar), in double.
double loss_value(const Tensor& loss);

// Keras's "loss" metric: a float32 Mean, each batch's loss weighted by its batch size, so the
// epoch value is the per-sample mean even with a partial last batch:
//   total += loss·n, count += n (a non-scalar loss adds each element with weight n);
//   result = total / count, 0 before any batch. total and count are float32, as in Keras.
class LossTracker {
 public:
  void update(const Tensor& loss, int64_t batch_size);
  double result() const;
  void reset() { total_ = count_ = 0.0f; }

 private:
  float total_ = 0.0f;
  float count_ = 0.0f;
};

}  // namespace tg
