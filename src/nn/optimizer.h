// Optimizers (new Keras optimizers, TF_SEMANTICS.md §4). apply() is apply_gradients: one
// step over (variable, gradient) pairs, NULL gradients skipped, the counter returned.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "autodiff/variable.h"

namespace tg {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Validates every pair before changing anything, updates each variable with a gradient,
  // increments and returns the iteration counter.
  int64_t apply(std::span<const std::shared_ptr<Variable>> variables, std::span<const Tensor> gradients);
  int64_t iterations() const { return iterations_; }

 protected:
  // Slot tensors of one variable (e.g. Adam's m and v), created zeroed on first use.
  struct Slots {
    std::vector<Tensor> tensors;
  };
  virtual int num_slots() const = 0;
  // One update of `variable` with gradient `g` (same shape and dtype) at step t = iterations + 1.
  virtual void update(Variable& variable, const Tensor& g, Slots& slots, int64_t t) = 0;

 private:
  int64_t iterations_ = 0;
  std::unordered_map<uint64_t, Slots> slots_;  // by variable id
};

struct AdamOptions {
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
};

class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options);

 protected:
  int num_slots() const override { return 2; }
  void update(Variable& variable, const Tensor& g, Slots& slots, int64_t t) override;

 private:
  AdamOptions options_;
};

}  // namespace tg
