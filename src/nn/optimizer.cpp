// SPDX-License-Identifier: Apache-2.0
// The optimizer base class: Keras's apply_gradients pipeline (keras/optimizers/optimizer.py
// and utils.py; docs/tensorflow.md). The update rules live in src/nn/optimizers/.
#include "nn/optimizer.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

#include "nn/warning.h"

namespace tg {
namespace {

Tensor copy_of(const Tensor& t) { return Tensor::from_data(t.shape(), t.dtype(), t.raw()); }

std::string join_names(const std::vector<std::string>& names) {
  return fmt::format("[{}]", fmt::join(names, ", "));
}

void check_clip(const char* what, std::optional<double> value) {
  if (value && !(*value > 0 && std::isfinite(*value)))
    fail(Status::invalid_argument, "{} must be finite and > 0, got {}", what, *value);
}

[[noreturn]] void fail_both_clipnorms(double clipnorm, double global_clipnorm) {
  fail(Status::invalid_argument,
       "At most one of `clipnorm` and `global_clipnorm` can be set. Received: clipnorm={}, global_clipnorm={}.",
       clipnorm, global_clipnorm);
}

// Σ g² over a floating tensor, accumulated in double.
double sum_squares(const Tensor& g) {
  double s = 0.0;
  visit_floating(g.dtype(), "clip_by_norm", [&]<class T>() {
    const T* p = g.data<T>();
    for (int64_t i = 0, n = g.numel(); i < n; ++i) s += static_cast<double>(p[i]) * static_cast<double>(p[i]);
  });
  return s;
}

// g · scale, as a new tensor (the caller's gradient is never written).
Tensor scaled(const Tensor& g, double scale) {
  Tensor out = Tensor::empty(g.shape(), g.dtype());
  visit_floating(g.dtype(), "clip_by_norm", [&]<class T>() {
    const T* __restrict p = g.data<T>();
    T* __restrict q = out.mutable_data<T>();
    const T s = static_cast<T>(scale);
    for (int64_t i = 0, n = g.numel(); i < n; ++i) q[i] = p[i] * s;
  });
  return out;
}

// clip_by_value(g, −c, c) as a new tensor; NaN stays NaN.
Tensor clamped(const Tensor& g, double c) {
  Tensor out = Tensor::empty(g.shape(), g.dtype());
  visit_floating(g.dtype(), "clip_by_value", [&]<class T>() {
    const T* __restrict p = g.data<T>();
    T* __restrict q = out.mutable_data<T>();
    const T hi = static_cast<T>(c), lo = -hi;
    for (int64_t i = 0, n = g.numel(); i < n; ++i) q[i] = std::min(std::max(p[i], lo), hi);
  });
  return out;
}

}  // namespace

void check_learning_rate(std::string_view optimizer, double learning_rate) {
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    fail(Status::invalid_argument, "{}: need learning_rate > 0 and finite, got {}", optimizer, learning_rate);
}

// ---- configuration ----------------------------------------------------------------------

void Optimizer::set_iterations(int64_t n) {
  if (n < 0 || n > kMaxIterations)
    fail(Status::invalid_argument, "iterations must be in [0, 2^53 = {}], got {}", kMaxIterations, n);
  iterations_ = n;
}

void Optimizer::set_learning_rate(double learning_rate) {
  check_learning_rate(name(), learning_rate);
  learning_rate_ = learning_rate;
  schedule_.reset();
}

void Optimizer::set_schedule(std::shared_ptr<const LearningRateSchedule> schedule) {
  if (!schedule) fail(Status::invalid_argument, "{}: the learning-rate schedule is null", name());
  schedule_ = std::move(schedule);
}

void Optimizer::set_clipnorm(std::optional<double> clipnorm) {
  check_clip("clipnorm", clipnorm);
  if (clipnorm && global_clipnorm_) fail_both_clipnorms(*clipnorm, *global_clipnorm_);
  clipnorm_ = clipnorm;
}

void Optimizer::set_global_clipnorm(std::optional<double> global_clipnorm) {
  check_clip("global_clipnorm", global_clipnorm);
  if (global_clipnorm && clipnorm_) fail_both_clipnorms(*clipnorm_, *global_clipnorm);
  global_clipnorm_ = global_clipnorm;
}

void Optimizer::set_clipvalue(std::optional<double> clipvalue) {
  check_clip("clipvalue", clipvalue);
  clipvalue_ = clipvalue;
}

void Optimizer::set_weight_decay(double weight_decay) {
  if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
    fail(Status::invalid_argument, "weight_decay must be finite and >= 0, got {}", weight_decay);
  weight_decay_ = weight_decay;
}

// ---- hyperparameters by name -------------------------------------------------------------

namespace {

// A clip option from set_hyperparameter: 0 unsets it.
std::optional<double> clip_value(double value) { return value == 0.0 ? std::nullopt : std::optional<double>(value); }

}  // namespace

void Optimizer::set_hyperparameter(std::string_view name, double value) {
  if (name == "learning_rate") return set_learning_rate(value);
  if (name == "weight_decay") return set_weight_decay(value);
  if (name == "clipnorm") return set_clipnorm(clip_value(value));
  if (name == "global_clipnorm") return set_global_clipnorm(clip_value(value));
  if (name == "clipvalue") return set_clipvalue(clip_value(value));
  if (set_own_hyperparameter(name, value)) return;
  fail(Status::invalid_argument, "{} has no hyperparameter '{}'; its hyperparameters are: {}", this->name(), name,
       fmt::join(hyperparameter_names(), ", "));
}

double Optimizer::hyperparameter(std::string_view name) const {
  if (name == "learning_rate") return learning_rate();
  if (name == "weight_decay") return weight_decay_;
  if (name == "clipnorm") return clipnorm_.value_or(0.0);
  if (name == "global_clipnorm") return global_clipnorm_.value_or(0.0);
  if (name == "clipvalue") return clipvalue_.value_or(0.0);
  if (const std::optional<double> v = own_hyperparameter(name)) return *v;
  fail(Status::invalid_argument, "{} has no hyperparameter '{}'; its hyperparameters are: {}", this->name(), name,
       fmt::join(hyperparameter_names(), ", "));
}

std::vector<std::string_view> Optimizer::hyperparameter_names() const {
  std::vector<std::string_view> names{"learning_rate"};
  for (std::string_view n : own_hyperparameter_names()) names.push_back(n);
  for (std::string_view n : {"weight_decay", "clipnorm", "clipvalue", "global_clipnorm"}) names.push_back(n);
  return names;
}

std::vector<std::string_view> Optimizer::slot_names() const {
  std::vector<std::string_view> names;
  for (const SlotSpec& s : slot_specs()) names.push_back(s.name);
  return names;
}

void Optimizer::exclude_from_weight_decay(std::span<const std::shared_ptr<Variable>> variables,
                                          std::span<const std::string> name_patterns) {
  if (built_)
    fail(Status::invalid_state,
         "`exclude_from_weight_decay()` can only be configued before the optimizer is built.");
  std::vector<uint64_t> ids;
  for (const auto& v : variables) {
    if (!v) fail(Status::invalid_argument, "exclude_from_weight_decay: a variable is null");
    ids.push_back(v->id());
  }
  NamePatterns patterns(name_patterns, "exclude_from_weight_decay");
  excluded_ids_ = std::move(ids);
  excluded_patterns_ = std::move(patterns);
}

// ---- build ----------------------------------------------------------------------------

std::vector<Optimizer::Entry> Optimizer::plan_entries(std::span<const std::shared_ptr<Variable>> variables) const {
  const std::vector<SlotSpec> specs = slot_specs();
  std::unordered_set<uint64_t> seen;
  std::vector<Entry> entries;
  for (const auto& v : variables) {
    if (!v) fail(Status::invalid_argument, "build: a variable is null");
    if (!seen.insert(v->id()).second) continue;
    bool decay = std::find(excluded_ids_.begin(), excluded_ids_.end(), v->id()) == excluded_ids_.end();
    if (decay && excluded_patterns_.found_in(v->name(), "exclude_from_weight_decay")) decay = false;
    Entry e{v->id(), v->name(), decay, {}};
    for (const SlotSpec& s : specs)
      e.slots.tensors.push_back(s.initial == 0.0 ? Tensor::zeros(v->shape(), v->dtype())
                                                 : Tensor::full(v->shape(), v->dtype(), s.initial));
    entries.push_back(std::move(e));
  }
  return entries;
}

void Optimizer::commit_entries(std::vector<Entry> entries) {
  std::unordered_map<uint64_t, size_t> index;
  for (size_t i = 0; i < entries.size(); ++i) index.emplace(entries[i].id, i);
  entries_ = std::move(entries);
  index_ = std::move(index);
  built_ = true;
}

void Optimizer::build(std::span<const std::shared_ptr<Variable>> variables) {
  if (built_) return;
  commit_entries(plan_entries(variables));
}

// ---- apply_gradients --------------------------------------------------------------------

int64_t Optimizer::apply(std::span<const std::shared_ptr<Variable>> variables, std::span<const Tensor> gradients) {
  if (variables.size() != gradients.size())
    fail(Status::invalid_argument, "apply_gradients: {} variables but {} gradients", variables.size(),
         gradients.size());
  if (variables.empty()) return iterations_;

  // Validate everything before changing anything. (Names are gathered only when needed.)
  if (iterations_ >= kMaxIterations)
    fail(Status::invalid_state, "apply_gradients: the iteration counter is at its limit 2^53 = {}; no further step "
         "can be counted (set_iterations to restart it)", kMaxIterations);
  size_t num_missing = 0;
  for (size_t i = 0; i < variables.size(); ++i) {
    if (!variables[i]) fail(Status::invalid_argument, "apply_gradients: variable {} is null", i);
    const Variable& v = *variables[i];
    const Tensor& g = gradients[i];
    if (!g) {
      ++num_missing;
      continue;
    }
    if (g.shape() != v.shape() || g.dtype() != v.dtype())
      fail(Status::invalid_argument, "apply_gradients: gradient {} {} does not match variable '{}' {} {}",
           dtype_name(g.dtype()), g.shape().str(), v.name(), dtype_name(v.dtype()), v.shape().str());
    if (!is_floating(v.dtype()))
      fail(Status::invalid_argument, "apply_gradients: variable '{}' has dtype {}, not a floating dtype", v.name(),
           dtype_name(v.dtype()));
    if (built_ && !index_.contains(v.id()))
      fail(Status::invalid_argument,
           "The optimizer cannot recognize variable {}. This usually means you are trying to call the optimizer "
           "to update different parts of the model separately. Please call `optimizer.build(variables)` with the "
           "full list of trainable variables before the training loop or use legacy optimizer "
           "`tf.keras.optimizers.legacy.{}.",
           v.name(), name());
  }
  if (num_missing == variables.size()) {
    std::vector<std::string> names;
    for (const auto& v : variables) names.push_back(v->name());
    fail(Status::invalid_argument, "No gradients provided for any variable: {}.", join_names(names));
  }

  const double lr = learning_rate();  // at the current iterations, before the increment
  // Strong guarantee: everything that can fail (allocations included) happens before the
  // first change — the slots are planned, the warning written, clipped gradients made and
  // every variable's buffer made writable (copy-on-write) — then the build is committed and
  // the updates run, which cannot fail.
  std::vector<Entry> planned;
  if (!built_) planned = plan_entries(variables);
  if (num_missing > 0) {
    std::vector<std::string> missing;
    for (size_t i = 0; i < variables.size(); ++i)
      if (!gradients[i]) missing.push_back(variables[i]->name());
    warn(fmt::format("Gradients do not exist for variables {} when minimizing the loss. If you're using "
                     "`model.compile()`, did you forget to provide a `loss` argument?",
                     join_names(missing)));
  }

  // Clipping: exactly one of clipnorm, global_clipnorm, clipvalue, in that order (new Keras
  // _clip_gradients). Clipped gradients are new tensors; unclipped ones are used as given.
  std::vector<Tensor> clipped;
  std::span<const Tensor> grads = gradients;
  if (clipnorm_ || global_clipnorm_ || clipvalue_) {
    clipped.assign(gradients.begin(), gradients.end());
    if (clipnorm_) {
      const double c = *clipnorm_;
      for (Tensor& g : clipped) {
        if (!g) continue;
        const double norm = std::sqrt(sum_squares(g));  // clip_by_norm: g·c / max(‖g‖, c)
        if (norm > c) g = scaled(g, c / norm);
      }
    } else if (global_clipnorm_) {
      const double c = *global_clipnorm_;
      double total = 0.0;
      for (const Tensor& g : clipped)
        if (g) total += sum_squares(g);
      const double norm = std::sqrt(total);
      // clip_by_global_norm: c·min(1/G, 1/c), NaN when G is infinite or NaN.
      const double scale = c * std::min(1.0 / norm, 1.0 / c) + (norm - norm);
      if (scale != 1.0)
        for (Tensor& g : clipped)
          if (g) g = scaled(g, scale);
    } else {
      for (Tensor& g : clipped)
        if (g) g = clamped(g, *clipvalue_);
    }
    grads = clipped;
  }
  for (size_t i = 0; i < variables.size(); ++i)
    if (grads[i]) variables[i]->mutable_buffer();
  std::vector<Target> targets;
  targets.reserve(variables.size());  // here, so that filling it below cannot throw
  if (!built_) commit_entries(std::move(planned));

  // Decay then update, fused per variable, all variables in one update_all call. (Keras
  // decays every variable before updating any; the result is the same unless a variable
  // appears twice in one call.)
  for (size_t i = 0; i < variables.size(); ++i) {
    if (!grads[i]) continue;
    Entry& e = entries_[index_.at(variables[i]->id())];
    targets.push_back({variables[i].get(), &grads[i], &e.slots, e.decay});
  }
  update_all(targets, Step{lr, iterations_ + 1, weight_decay_});
  return ++iterations_;
}

void Optimizer::update_all(std::span<const Target> targets, const Step& step) {
  for (const Target& target : targets) {
    Step own = step;
    if (!target.decay) own.weight_decay = 0.0;
    update(*target.variable, *target.grad, *target.slots, own);
  }
}

// ---- checkpoints --------------------------------------------------------------------------

std::vector<std::string> Optimizer::entry_keys(const std::vector<Entry>& entries, const VariableKey& key_of,
                                               const char* what) const {
  std::vector<std::string> keys;
  std::unordered_set<std::string> seen;
  for (const Entry& e : entries) {
    keys.push_back(key_of ? key_of(e.id, e.name) : e.name);
    if (!seen.insert(keys.back()).second)
      fail(Status::invalid_argument, "{}: two variables of the optimizer are {} '{}'; slot names would clash",
           what, key_of ? "keyed" : "named", keys.back());
  }
  return keys;
}

std::vector<Optimizer::NamedTensor> Optimizer::state(const VariableKey& key_of) const {
  const std::vector<std::string> keys = entry_keys(entries_, key_of, "optimizer state");
  std::vector<NamedTensor> out;
  const int64_t it = iterations_;
  out.push_back({"iterations", Tensor::from_data(Shape{}, DType::i64, &it)});
  const std::vector<SlotSpec> specs = slot_specs();
  for (size_t k = 0; k < specs.size(); ++k)
    for (size_t j = 0; j < entries_.size(); ++j)
      out.push_back({fmt::format("{}/{}", specs[k].name, keys[j]), copy_of(entries_[j].slots.tensors[k])});
  return out;
}

void Optimizer::load_state(std::span<const std::shared_ptr<Variable>> variables,
                           const std::function<Tensor(const std::string&)>& lookup, const VariableKey& key_of) {
  std::vector<Entry> planned;
  if (!built_) planned = plan_entries(variables);
  const std::vector<Entry>& target = built_ ? entries_ : planned;
  const std::vector<std::string> keys = entry_keys(target, key_of, "load_state");

  const Tensor it = lookup("iterations");
  if (!it) fail(Status::invalid_argument, "load_state: no tensor named 'iterations'");
  if (it.rank() != 0 || (it.dtype() != DType::i64 && it.dtype() != DType::i32))
    fail(Status::invalid_argument, "load_state: 'iterations' is {} {}, expected an int64 scalar", dtype_name(it.dtype()),
         it.shape().str());
  const int64_t iterations = it.dtype() == DType::i64 ? *it.data<int64_t>() : *it.data<int32_t>();
  if (iterations < 0 || iterations > kMaxIterations)
    fail(Status::invalid_argument,
         "load_state: 'iterations' is {}, expected a count in [0, 2^53 = {}] (no training reaches more)", iterations,
         kMaxIterations);

  const std::vector<SlotSpec> specs = slot_specs();
  std::vector<std::vector<Tensor>> loaded(target.size(), std::vector<Tensor>(specs.size()));
  for (size_t k = 0; k < specs.size(); ++k) {
    for (size_t j = 0; j < target.size(); ++j) {
      const std::string key = fmt::format("{}/{}", specs[k].name, keys[j]);
      const Tensor want = target[j].slots.tensors[k];
      const Tensor t = lookup(key);
      if (!t) fail(Status::invalid_argument, "load_state: no tensor named '{}'", key);
      if (t.shape() != want.shape() || t.dtype() != want.dtype())
        fail(Status::invalid_argument, "load_state: '{}' is {} {}, expected {} {}", key, dtype_name(t.dtype()),
             t.shape().str(), dtype_name(want.dtype()), want.shape().str());
      loaded[j][k] = copy_of(t);  // slots are written in place, so never share the caller's buffer
    }
  }
  if (!built_) commit_entries(std::move(planned));
  for (size_t j = 0; j < entries_.size(); ++j) entries_[j].slots.tensors = std::move(loaded[j]);
  iterations_ = iterations;
}

}  // namespace tg
