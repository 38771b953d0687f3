#include "autodiff/tape.h"

#include <algorithm>

#include "autodiff/ops.h"

namespace tg {
namespace {

// This thread's stack of active tapes. When the thread exits, tapes still on it stop
// recording and belong to no thread, so another thread can free them.
struct ActiveTapes {
  std::vector<Tape*> tapes;
  ~ActiveTapes() {
    for (Tape* t : tapes) t->orphan();
  }
};
thread_local ActiveTapes t_active_tapes;
thread_local std::vector<Tape*>& t_active = t_active_tapes.tapes;

TensorMeta meta_of(const Tensor& t) { return {t.id(), t.shape(), t.dtype()}; }

// Adds `g` into slot (which may be empty); the sum is an op, so outer tapes record it.
void accumulate(Tensor& slot, const Tensor& g) { slot = slot ? ops::add(slot, g) : g; }

}  // namespace

std::span<Tape* const> active_tapes() { return t_active; }

Tape::Tape(bool persistent, bool watch_accessed_variables)
    : persistent_(persistent), watch_accessed_(watch_accessed_variables),
      owner_(std::this_thread::get_id()) {}

Tape::~Tape() {
  // Only the owning thread can hold this tape on its stack; capi refuses to free a tape
  // that is recording on another thread.
  if (recording_ && owner_ == std::this_thread::get_id()) {
    t_active.erase(std::remove(t_active.begin(), t_active.end(), this), t_active.end());
  }
}

void Tape::orphan() {
  recording_ = false;
  owner_ = std::thread::id();
}

void Tape::check_thread(const char* what) const {
  if (owner_ != std::this_thread::get_id())
    fail(Status::invalid_state,
         "{}: the tape belongs to the thread that began it; tapes cannot be used across threads", what);
}

void Tape::begin() {
  check_thread("tape_begin");
  if (recording_)
    fail(Status::invalid_state,
         "Tape is still recording, This can happen if you try to re-enter an already-active tape.");
  if (used_) {  // a used non-persistent tape starts afresh, as TF creates a new C++ tape
    used_ = false;
    ops_.clear();
    tensor_op_.clear();
    watched_variables_.clear();
  }
  t_active.push_back(this);
  recording_ = true;
}

void Tape::end() {
  check_thread("tape_end");
  if (!recording_) fail(Status::invalid_state, "Tape is not recording.");
  t_active.erase(std::remove(t_active.begin(), t_active.end(), this), t_active.end());
  recording_ = false;
}

void Tape::watch(const Tensor& t) {
  check_thread("tape_watch");
  tensor_op_.try_emplace(t.id(), kWatched);
}

void Tape::watch(const std::shared_ptr<Variable>& v) {
  check_thread("tape_watch");
  tensor_op_.try_emplace(v->id(), kWatched);
  const bool known = std::any_of(watched_variables_.begin(), watched_variables_.end(),
                                 [&](const auto& w) { return w.get() == v.get(); });
  if (!known) watched_variables_.push_back(v);
}

void Tape::variable_accessed(const std::shared_ptr<Variable>& v) {
  if (watch_accessed_ && v->trainable()) watch(v);
}

std::vector<std::shared_ptr<Variable>> Tape::watched_variables() const {
  auto vars = watched_variables_;
  std::sort(vars.begin(), vars.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return vars;
}

bool Tape::should_record(std::span<const TensorMeta> inputs) const {
  for (const TensorMeta& m : inputs)
    if (is_floating(m.dtype) && tensor_op_.count(m.id)) return true;
  return false;
}

void Tape::record(const OpDef& def, const Attrs& attrs, std::vector<TensorMeta> inputs,
                  std::span<const Tensor> saved_inputs, const Tensor& output) {
  Record r{&def, attrs, std::move(inputs), {}, meta_of(output), {}};
  if (def.saves_inputs) r.saved_inputs.assign(saved_inputs.begin(), saved_inputs.end());
  if (def.saves_output) r.saved_output = output;
  ops_.push_back(std::move(r));
  tensor_op_[output.id()] = static_cast<int64_t>(ops_.size()) - 1;
}

std::vector<Tensor> Tape::gradient(std::span<const Differentiable> targets,
                                   std::span<const Differentiable> sources,
                                   std::span<const Tensor> output_gradients, Unconnected unconnected) {
  check_thread("tape_gradient");
  if (used_)
    fail(Status::invalid_state,
         "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)");
  if (!output_gradients.empty() && output_gradients.size() != targets.size())
    fail(Status::invalid_argument, "tape_gradient: {} output gradients for {} targets",
         output_gradients.size(), targets.size());
  // A non-persistent tape stops recording; a persistent one keeps recording, so the gradient
  // computation lands on it too (that is how it differentiates its own gradients).
  if (recording_ && !persistent_) end();

  std::unordered_map<uint64_t, bool> is_source;
  for (const Differentiable& s : sources) is_source[s.id] = true;

  // Seeds. A target that is watched, recorded or a source gets ones (or its output gradient).
  std::unordered_map<uint64_t, Tensor> pending;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Differentiable& t = targets[i];
    if (!is_floating(t.value.dtype())) continue;
    if (!tensor_op_.count(t.id) && !is_source.count(t.id)) continue;
    Tensor seed = (i < output_gradients.size() && output_gradients[i]) ? output_gradients[i]
                                                                         : ops::ones_like(t.value);
    if (seed.shape() != t.value.shape() || seed.dtype() != t.value.dtype())
      fail(Status::invalid_argument,
           "tape_gradient: output gradient {} {} does not match target {} {}",
           dtype_name(seed.dtype()), seed.shape().str(), dtype_name(t.value.dtype()),
           t.value.shape().str());
    accumulate(pending[t.id], seed);
  }

  // Walk the record backwards; the record is in execution order, a topological order.
  const int64_t n = static_cast<int64_t>(ops_.size());
  std::vector<Tensor> input_grads;
  std::vector<bool> needed_storage;
  for (int64_t k = n - 1; k >= 0 && !pending.empty(); --k) {
    Record& r = ops_[static_cast<size_t>(k)];
    auto it = pending.find(r.output.id);
    if (it == pending.end()) continue;
    const Tensor grad = it->second;
    if (!is_source.count(r.output.id)) pending.erase(it);
    if (r.def->differentiability == Differentiability::none) continue;
    if (r.def->differentiability == Differentiability::unregistered)
      fail(Status::no_gradient, "gradient registry has no entry for: {}", r.def->name);

    const size_t arity = r.inputs.size();
    needed_storage.assign(arity, false);
    bool any = false;
    for (size_t i = 0; i < arity; ++i) {
      const uint64_t id = r.inputs[i].id;
      const bool differentiable = (r.def->differentiable_inputs >> i) & 1u;
      needed_storage[i] = differentiable && is_floating(r.inputs[i].dtype) &&
                          (tensor_op_.count(id) || is_source.count(id));
      any = any || needed_storage[i];
    }
    if (!any) continue;
    std::unique_ptr<bool[]> needed(new bool[arity]);
    for (size_t i = 0; i < arity; ++i) needed[i] = needed_storage[i];
    input_grads.assign(arity, Tensor());
    const GradContext ctx{r.attrs, r.inputs, r.saved_inputs, r.saved_output, grad,
                          std::span<const bool>(needed.get(), arity)};
    r.def->backward(ctx, input_grads);
    for (size_t i = 0; i < arity; ++i) {
      Tensor g = std::move(input_grads[i]);
      if (!needed[i] || !g) continue;
      const TensorMeta& m = r.inputs[i];
      if (r.def->broadcasts && g.shape() != m.shape) g = ops::sum_to_shape(g, m.shape);
      if (g.shape() != m.shape || g.dtype() != m.dtype)
        fail(Status::internal, "{}: gradient for input {} is {} {}, expected {} {}", r.def->name, i,
             dtype_name(g.dtype()), g.shape().str(), dtype_name(m.dtype), m.shape.str());
      accumulate(pending[m.id], g);
    }
    if (!persistent_) {  // release what the record kept alive as soon as it is used
      r.saved_inputs.clear();
      r.saved_output = Tensor();
    }
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const Differentiable& s : sources) {
    auto it = pending.find(s.id);
    if (it != pending.end() && it->second)
      result.push_back(it->second);
    else if (unconnected == Unconnected::zero && is_floating(s.value.dtype()))
      result.push_back(ops::zeros_like(s.value));
    else
      result.push_back(Tensor());
  }
  if (!persistent_) {
    used_ = true;
    ops_.clear();
    tensor_op_.clear();
  }
  return result;
}

void record_operation(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
                      const Tensor& output) {
  if (t_active.empty()) return;
  std::vector<TensorMeta> metas;
  metas.reserve(inputs.size());
  for (const Tensor& t : inputs) metas.push_back(meta_of(t));
  for (Tape* tape : t_active)
    if (tape->should_record(metas)) tape->record(def, attrs, metas, inputs, output);
}

}  // namespace tg
