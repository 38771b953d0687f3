/* SPDX-License-Identifier: Apache-2.0 */
// Optimizers: the new Keras optimizers (TF ≥ 2.11, keras/optimizers/*.py;
// docs/tensorflow.md). apply() is apply_gradients: build on first use, skip NULL
// gradients (with Keras's warning), clip, decay weights, one fused update per variable,
// return the incremented iteration counter.
//
// The base class holds what every Keras optimizer shares: the learning rate or its
// schedule, clipnorm / global_clipnorm / clipvalue, decoupled weight decay with its
// exclusions, the variables it was built for and their slots, the iteration counter.
// Subclasses (one per file in src/nn/optimizers/) name their slots and run one pass over a
// variable's buffer per step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "autodiff/variable.h"
#include "nn/name_patterns.h"
#include "nn/schedules.h"

namespace tg {

// Error(invalid_argument) naming `optimizer` unless learning_rate is finite and > 0.
void check_learning_rate(std::string_view optimizer, double learning_rate);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // The Keras class name ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad").
  virtual std::string_view name() const = 0;

  // One step over (variable, gradient) pairs; an undefined gradient skips its variable.
  // Validates everything before changing anything: equal counts, each gradient's shape and
  // dtype against its variable, floating variables, not all gradients NULL ("No gradients
  // provided for any variable: [...]"), every variable with a gradient known to a built
  // optimizer (Keras's KeyError text). Then: builds for `variables` if not built, warns
  // about NULL gradients, clips, decays and updates, increments and returns the counter.
  // An empty list returns the counter unchanged and does not build.
  int64_t apply(std::span<const std::shared_ptr<Variable>> variables, std::span<const Tensor> gradients);

  // Creates the slots of `variables` (duplicates once). A built optimizer ignores later
  // calls, as Keras does; a variable it was not built for cannot be updated.
  void build(std::span<const std::shared_ptr<Variable>> variables);
  bool built() const { return built_; }

  // The largest iteration count: the step number t = iterations + 1 that bias corrections and
  // schedules read as a double is exact up to 2^53, and no training reaches it (2^53 steps
  // of 1 µs take 285 years). apply() refuses to pass it; set_iterations and checkpoints
  // refuse larger counts.
  static constexpr int64_t kMaxIterations = int64_t{1} << 53;

  int64_t iterations() const { return iterations_; }
  // Keras `optimizer.iterations.assign(n)`: allowed at any time; 0 <= n <= kMaxIterations.
  void set_iterations(int64_t n);

  // The learning rate of the next step: the schedule at iterations(), or the constant.
  double learning_rate() const { return schedule_ ? (*schedule_)(iterations_) : learning_rate_; }
  // A constant learning rate (> 0, finite); replaces any schedule.
  void set_learning_rate(double learning_rate);
  void set_schedule(std::shared_ptr<const LearningRateSchedule> schedule);

  // Clipping (new-Keras precedence: the first of clipnorm, global_clipnorm, clipvalue that
  // is set wins). nullopt unsets; a value must be finite and > 0. Setting clipnorm while
  // global_clipnorm is set (or the reverse) fails with Keras's message.
  void set_clipnorm(std::optional<double> clipnorm);
  void set_global_clipnorm(std::optional<double> global_clipnorm);
  void set_clipvalue(std::optional<double> clipvalue);
  std::optional<double> clipnorm() const { return clipnorm_; }
  std::optional<double> global_clipnorm() const { return global_clipnorm_; }
  std::optional<double> clipvalue() const { return clipvalue_; }

  // Decoupled weight decay θ ← θ − θ·wd·lr before each update (0: none; finite, >= 0).
  void set_weight_decay(double weight_decay);
  double weight_decay() const { return weight_decay_; }
  // Hyperparameters by their Keras names (tg_optimizer_set / tg_optimizer_get). Every
  // optimizer has "learning_rate" (set: a constant rate, replacing any schedule; read: the next
  // step's rate), "weight_decay", "clipnorm", "global_clipnorm" and "clipvalue" (0: unset), and
  // its own ("beta_1", "amsgrad", …; booleans are 0 or 1). A value is checked as the
  // constructor checks it. A hyperparameter that decides which slots exist (Adam's amsgrad,
  // RMSprop's centered, RMSprop's momentum between 0 and > 0) cannot change once the optimizer
  // is built (Error(invalid_state)). Error(invalid_argument) for a bad value or an unknown name
  // (the message lists the optimizer's names).
  void set_hyperparameter(std::string_view name, double value);
  double hyperparameter(std::string_view name) const;
  // The names, in the order of Keras's constructor arguments.
  std::vector<std::string_view> hyperparameter_names() const;

  // Keras exclude_from_weight_decay(var_list, var_names): replaces the exclusions. A
  // variable is excluded if it is one of `variables` or a pattern (RE2 syntax) is found
  // anywhere in its name (Python's re.search; nn/name_patterns.h has the limits). Only before
  // build (TG_INVALID_STATE after).
  void exclude_from_weight_decay(std::span<const std::shared_ptr<Variable>> variables,
                                 std::span<const std::string> name_patterns);

  // Checkpointing (src/nn/checkpoint.*, src/nn/model_checkpoint.*). The state is the
  // iteration counter, named "iterations" (int64 scalar), then every slot of every variable the
  // optimizer was built for, named "<slot>/<key>" (e.g. "m/my_model/dense/kernel:0"), slot by
  // slot in Keras order (all m, then all v, ...), variables in build order. The key of a
  // variable is its name, or what `key_of` returns: a model checkpoint keys slots by the
  // variable's place in the model ("layer_with_weights-0/kernel"). The tensors are copies.
  // Two built variables with one key make the names ambiguous: invalid_argument.
  struct NamedTensor {
    std::string name;
    Tensor value;
  };
  // Maps a variable (its id and name) to its key; throws if it has none.
  using VariableKey = std::function<std::string(uint64_t id, const std::string& name)>;
  std::vector<NamedTensor> state(const VariableKey& key_of = {}) const;
  // Replaces the state: `lookup(name)` returns the tensor saved under that name (or an
  // undefined Tensor if absent). Validates everything (names, shapes, dtypes) before
  // changing anything; builds slots for `variables` if the optimizer is not built yet
  // (a built optimizer restores the variables it was built for and ignores `variables`).
  void load_state(std::span<const std::shared_ptr<Variable>> variables,
                  const std::function<Tensor(const std::string&)>& lookup, const VariableKey& key_of = {});

 protected:
  // learning_rate is checked by the subclass's validation (which knows its name).
  explicit Optimizer(double learning_rate) : learning_rate_(learning_rate) {}

  // A subclass's own hyperparameters (OptionsOptimizer implements these): false / nullopt
  // for a name it does not have.
  virtual bool set_own_hyperparameter(std::string_view name, double value) = 0;
  virtual std::optional<double> own_hyperparameter(std::string_view name) const = 0;
  virtual std::vector<std::string_view> own_hyperparameter_names() const = 0;
  // The names of slot_specs(), to tell whether a change of hyperparameter changes them.
  std::vector<std::string_view> slot_names() const;

  // One slot kind, e.g. Adam's "m": a tensor of each variable's shape and dtype, filled
  // with `initial` at build.
  struct SlotSpec {
    const char* name;
    double initial = 0.0;
  };
  // Slot tensors of one variable, in slot_specs() order. Owned by the optimizer alone, so
  // update() writes them in place (state() hands out copies).
  struct Slots {
    std::vector<Tensor> tensors;
  };
  // What one update needs besides the buffers.
  struct Step {
    double learning_rate;  // at this step
    int64_t t;             // iterations + 1
    double weight_decay;   // 0 when this variable is not decayed
  };
  virtual std::vector<SlotSpec> slot_specs() const = 0;
  // One fused pass over `variable` (via mutable_buffer()) with gradient `g` (its shape and
  // dtype, already clipped): first θ ← θ − θ·wd·lr when step.weight_decay != 0, then the
  // optimizer's rule.
  virtual void update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) = 0;
  // One variable of a step, for update_all.
  struct Target {
    Variable* variable;
    const Tensor* grad;  // defined, already clipped
    Slots* slots;
    bool decay;  // step.weight_decay applies to this variable
  };
  // The whole step: every target in order, as update() with weight_decay = 0 for the targets
  // that do not decay. The default calls update() per target; an optimizer whose per-step
  // constants cost something (Adam's bias corrections) overrides it to compute them once and
  // run one pass per dtype over all the variables.
  virtual void update_all(std::span<const Target> targets, const Step& step);

  // Calls f.template operator()<T, kDecay>() for a floating dtype (float32/float64) and
  // whether weight decay applies, so kernels test neither inside their loops.
  template <class F>
  static void visit_update(DType dtype, bool decay, std::string_view op, F&& f) {
    visit_floating(dtype, op, [&]<class T>() {
      if (decay) f.template operator()<T, true>();
      else f.template operator()<T, false>();
    });
  }
  // Calls f.template operator()<B>() with B == b.
  template <class F>
  static void static_bool(bool b, F&& f) {
    if (b) f.template operator()<true>();
    else f.template operator()<false>();
  }

 private:
  struct Entry {
    uint64_t id;
    std::string name;
    bool decay;  // not excluded from weight decay
    Slots slots;
  };
  std::vector<Entry> plan_entries(std::span<const std::shared_ptr<Variable>> variables) const;
  // The key of each entry (key_of, or the variable's name), checked to be unique.
  std::vector<std::string> entry_keys(const std::vector<Entry>& entries, const VariableKey& key_of,
                                      const char* what) const;
  void commit_entries(std::vector<Entry> entries);

  int64_t iterations_ = 0;
  double learning_rate_;
  std::shared_ptr<const LearningRateSchedule> schedule_;
  std::optional<double> clipnorm_, global_clipnorm_, clipvalue_;
  double weight_decay_ = 0.0;
  std::vector<uint64_t> excluded_ids_;
  NamePatterns excluded_patterns_;
  bool built_ = false;
  std::vector<Entry> entries_;                  // build order
  std::unordered_map<uint64_t, size_t> index_;  // variable id → entries_ index
};

// One hyperparameter of an options struct, by its Keras name: a real field or a boolean one.
template <class Options>
struct OptionField {
  std::string_view name;
  double Options::*real = nullptr;
  bool Options::*flag = nullptr;
};

// An optimizer configured by an options struct (SGDOptions, …): its own hyperparameters are
// the struct's `fields`, and every value set is checked by `validate`, the constructor's check.
template <class Options>
class OptionsOptimizer : public Optimizer {
 protected:
  using Validate = void (*)(const Options&);
  OptionsOptimizer(const Options& options, std::span<const OptionField<Options>> fields, Validate validate)
      : Optimizer(options.learning_rate), options_(options), fields_(fields), validate_(validate) {
    validate_(options_);
  }

  bool set_own_hyperparameter(std::string_view name, double value) override {
    const OptionField<Options>* field = find(name);
    if (!field) return false;
    Options next = options_;
    if (field->real) {
      next.*(field->real) = value;
    } else {
      if (value != 0 && value != 1)
        fail(Status::invalid_argument, "{}: {} is a boolean, 0 or 1; got {}", this->name(), name, value);
      next.*(field->flag) = value != 0;
    }
    validate_(next);
    const std::vector<std::string_view> before = slot_names();
    std::swap(options_, next);
    if (built() && slot_names() != before) {
      std::swap(options_, next);
      fail(Status::invalid_state, "{}: {} cannot change to {} once the optimizer is built, as it changes the slots",
           this->name(), name, value);
    }
    return true;
  }
  std::optional<double> own_hyperparameter(std::string_view name) const override {
    const OptionField<Options>* field = find(name);
    if (!field) return std::nullopt;
    return field->real ? options_.*(field->real) : (options_.*(field->flag) ? 1.0 : 0.0);
  }
  std::vector<std::string_view> own_hyperparameter_names() const override {
    std::vector<std::string_view> names;
    for (const auto& f : fields_) names.push_back(f.name);
    return names;
  }

  Options options_;

 private:
  const OptionField<Options>* find(std::string_view name) const {
    for (const auto& f : fields_)
      if (f.name == name) return &f;
    return nullptr;
  }
  std::span<const OptionField<Options>> fields_;
  Validate validate_;
};

// An optimizer by its Keras name, case-insensitive ("sgd", "adam", "adamw", "rmsprop",
// "adagrad"; also "SGD", "Adam", …), with Keras's defaults (src/nn/optimizers/factory.cpp).
// Error(invalid_argument) "Could not interpret optimizer identifier: …" otherwise.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name);

// ---- SGD (src/nn/optimizers/sgd.cpp) ---------------------------------------------------
struct SGDOptions {
  double learning_rate = 0.01;
  double momentum = 0.0;  // in [0, 1]
  bool nesterov = false;
};
// Slot "m". momentum 0: θ ← θ − lr·g. Otherwise m ← μ·m − lr·g, then θ ← θ + m, or with
// nesterov θ ← θ + μ·m − lr·g (the new m).
class SGD : public OptionsOptimizer<SGDOptions> {
 public:
  explicit SGD(const SGDOptions& options);
  std::string_view name() const override { return "SGD"; }

 protected:
  std::vector<SlotSpec> slot_specs() const override { return {{"m"}}; }
  void update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) override;
};

// ---- Adam, AdamW (src/nn/optimizers/adam.cpp) ------------------------------------------
struct AdamOptions {
  double learning_rate = 0.001;
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
};
// Slots "m", "v" (and "vhat" with amsgrad). With t = iterations + 1:
//   m ← m + (g − m)(1 − β1); v ← v + (g² − v)(1 − β2); amsgrad: v̂ ← max(v̂, v);
//   θ ← θ − lr·sqrt(1 − β2ᵗ)/(1 − β1ᵗ) · m / (sqrt(v or v̂) + ε).
class Adam : public OptionsOptimizer<AdamOptions> {
 public:
  explicit Adam(const AdamOptions& options);
  std::string_view name() const override { return "Adam"; }

 protected:
  std::vector<SlotSpec> slot_specs() const override;
  void update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) override;
  void update_all(std::span<const Target> targets, const Step& step) override;
};

// Keras AdamW: Adam with the base class's weight decay switched on (default 0.004).
class AdamW : public Adam {
 public:
  static constexpr double kDefaultWeightDecay = 0.004;
  AdamW(const AdamOptions& options, double weight_decay);
  std::string_view name() const override { return "AdamW"; }
};

// ---- RMSprop (src/nn/optimizers/rmsprop.cpp) -------------------------------------------
struct RMSpropOptions {
  double learning_rate = 0.001;
  double rho = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-7;
  bool centered = false;
};
// New-Keras formula (ε inside the square root). Slots "velocity", then "momentum" if
// momentum > 0, then "average_gradient" if centered.
//   v ← ρv + (1−ρ)g²; centered: a ← ρa + (1−ρ)g, den = v − a² + ε; else den = v + ε;
//   inc = lr·g/sqrt(den); momentum: mom ← μ·mom + inc, θ ← θ − mom; else θ ← θ − inc.
class RMSprop : public OptionsOptimizer<RMSpropOptions> {
 public:
  explicit RMSprop(const RMSpropOptions& options);
  std::string_view name() const override { return "RMSprop"; }

 protected:
  std::vector<SlotSpec> slot_specs() const override;
  void update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) override;
};

// ---- Adagrad (src/nn/optimizers/adagrad.cpp) -------------------------------------------
struct AdagradOptions {
  double learning_rate = 0.001;
  double initial_accumulator_value = 0.1;
  double epsilon = 1e-7;
};
// New-Keras formula. Slot "accumulator", starting at initial_accumulator_value:
//   acc ← acc + g²; θ ← θ − lr·g/sqrt(acc + ε).
class Adagrad : public OptionsOptimizer<AdagradOptions> {
 public:
  explicit Adagrad(const AdagradOptions& options);
  std::string_view name() const override { return "Adagrad"; }

 protected:
  std::vector<SlotSpec> slot_specs() const override { return {{"accumulator", options_.initial_accumulator_value}}; }
  void update(Variable& variable, const Tensor& g, Slots& slots, const Step& step) override;
};

}  // namespace tg
