// SPDX-License-Identifier: Apache-2.0
#include "nn/schedules.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tensor/error.h"

namespace tg {
namespace {

void check_initial(const char* schedule, double initial) {
  if (!(initial > 0) || !std::isfinite(initial))
    fail(Status::invalid_argument, "{}: need initial_learning_rate > 0 and finite, got {}", schedule, initial);
}

// Keras 3's check (Keras 2 divides by zero instead).
void check_decay_steps(int64_t decay_steps) {
  if (decay_steps <= 0)
    fail(Status::invalid_argument, "Argument `decay_steps` must be > 0. Received: decay_steps={}", decay_steps);
}

}  // namespace

ExponentialDecay::ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                                   bool staircase)
    : initial_(initial_learning_rate), rate_(decay_rate), steps_(decay_steps), staircase_(staircase) {
  check_initial("ExponentialDecay", initial_learning_rate);
  check_decay_steps(decay_steps);
  if (!(decay_rate > 0) || !std::isfinite(decay_rate))
    fail(Status::invalid_argument, "ExponentialDecay: need decay_rate > 0 and finite, got {}", decay_rate);
}

double ExponentialDecay::operator()(int64_t step) const {
  double p = static_cast<double>(step) / static_cast<double>(steps_);
  if (staircase_) p = std::floor(p);
  return initial_ * std::pow(rate_, p);
}

CosineDecay::CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha)
    : initial_(initial_learning_rate), alpha_(alpha), steps_(decay_steps) {
  check_initial("CosineDecay", initial_learning_rate);
  check_decay_steps(decay_steps);
  if (!(alpha >= 0 && alpha <= 1))
    fail(Status::invalid_argument, "CosineDecay: need 0 <= alpha <= 1, got {}", alpha);
}

double CosineDecay::operator()(int64_t step) const {
  const double s = static_cast<double>(std::min(step, steps_));
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * (s / static_cast<double>(steps_))));
  return initial_ * ((1.0 - alpha_) * cosine + alpha_);
}

PiecewiseConstantDecay::PiecewiseConstantDecay(std::span<const int64_t> boundaries,
                                               std::span<const double> values)
    : boundaries_(boundaries.begin(), boundaries.end()), values_(values.begin(), values.end()) {
  if (boundaries_.size() + 1 != values_.size())
    fail(Status::invalid_argument,
         "The length of boundaries should be 1 less than the length of values. Received: boundaries=[{}] of "
         "length {}, and values=[{}] of length {}.",
         fmt::join(boundaries_, ", "), boundaries_.size(), fmt::join(values_, ", "), values_.size());
  for (size_t i = 1; i < boundaries_.size(); ++i)
    if (boundaries_[i] <= boundaries_[i - 1])
      fail(Status::invalid_argument, "PiecewiseConstantDecay: boundaries must be strictly increasing, got [{}]",
           fmt::join(boundaries_, ", "));
  for (double v : values_)
    if (!(v >= 0) || !std::isfinite(v))
      fail(Status::invalid_argument, "PiecewiseConstantDecay: values must be finite and >= 0, got [{}]",
           fmt::join(values_, ", "));
}

double PiecewiseConstantDecay::operator()(int64_t step) const {
  // The first boundary >= step picks its value; past the last boundary, the last value.
  const auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(), step);
  return values_[static_cast<size_t>(it - boundaries_.begin())];
}

}  // namespace tg
