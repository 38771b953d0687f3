/* SPDX-License-Identifier: Apache-2.0 */
// One step of the seed notebook's training loop, for tests that train a model.
#pragma once

#include <vector>

#include "autodiff/tape.h"
#include "nn/losses.h"
#include "nn/model.h"
#include "nn/optimizer.h"

namespace tg::testing {

// Forward under a tape, CategoricalCrossentropy(from_logits=True), gradients of the trainable
// variables, one optimizer step.
inline void train_step(Model& model, Optimizer& opt, const Tensor& x, const Tensor& y) {
  LossConfig cce;
  cce.kind = LossKind::categorical_crossentropy;
  cce.from_logits = true;
  Tape tape(false, true);
  tape.begin();
  const Tensor loss = Loss(cce)(y, model.call(x));
  tape.end();
  const auto vars = model.trainable_variables();
  std::vector<Differentiable> sources;
  for (const auto& v : vars) sources.push_back(Differentiable::of(v));
  const Differentiable target[1] = {Differentiable::of(loss)};
  opt.apply(vars, tape.gradient(target, sources));
}

}  // namespace tg::testing
