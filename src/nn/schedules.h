/* SPDX-License-Identifier: Apache-2.0 */
// Learning-rate schedules (keras/optimizers/schedules/learning_rate_schedule.py).
// An optimizer evaluates its schedule at its current iteration counter, before the step
// increments it (docs/tensorflow.md), so the first step uses schedule(0).
// Values are computed in double; the optimizer rounds them to each variable's dtype.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tg {

class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual double operator()(int64_t step) const = 0;
};

// initial · decay_rate^(step / decay_steps); with staircase the exponent is floored.
// decay_steps > 0, initial_learning_rate > 0, decay_rate > 0 (all finite).
class ExponentialDecay final : public LearningRateSchedule {
 public:
  ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate, bool staircase);
  double operator()(int64_t step) const override;

 private:
  double initial_, rate_;
  int64_t steps_;
  bool staircase_;
};

// Without warmup: s = min(step, decay_steps);
//   initial · ((1 − alpha) · 0.5 · (1 + cos(π · s / decay_steps)) + alpha).
// decay_steps > 0, initial_learning_rate > 0, 0 <= alpha <= 1.
class CosineDecay final : public LearningRateSchedule {
 public:
  CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha);
  double operator()(int64_t step) const override;

 private:
  double initial_, alpha_;
  int64_t steps_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <=
// boundaries[i], values.back() after boundaries.back(). values.size() == boundaries.size()
// + 1; boundaries strictly increasing; values finite and >= 0.
class PiecewiseConstantDecay final : public LearningRateSchedule {
 public:
  PiecewiseConstantDecay(std::span<const int64_t> boundaries, std::span<const double> values);
  double operator()(int64_t step) const override;

 private:
  std::vector<int64_t> boundaries_;
  std::vector<double> values_;
};

}  // namespace tg
