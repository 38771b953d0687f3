// SPDX-License-Identifier: Apache-2.0
#include "autodiff/tape.h"

#include <algorithm>
#include <utility>

#include "autodiff/ops.h"

namespace tg {

namespace tape_detail {

bool IdMap::insert(uint64_t id, int64_t value) {
  if (2 * (size_ + 1) > slots_.size()) grow();
  for (size_t i = hash(id);; i = (i + 1) & mask()) {
    if (slots_[i].key == id) return false;
    if (slots_[i].key == 0) {
      slots_[i] = {id, value};
      ++size_;
      return true;
    }
  }
}

void IdMap::grow() {
  const size_t capacity = slots_.empty() ? 64 : slots_.size() * 2;
  const std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(capacity));
  shift_ = 64 - std::countr_zero(capacity);
  for (const Slot& s : old) {
    if (s.key == 0) continue;
    size_t i = hash(s.key);
    while (slots_[i].key != 0) i = (i + 1) & mask();
    slots_[i] = s;
  }
}

}  // namespace tape_detail

namespace {

using tape_detail::IdMap;

constexpr const char* kUsedMessage =
    "A non-persistent GradientTape can only be used to compute one set of gradients (or jacobians)";

// This thread's stack of active tapes. When the thread exits, tapes still on it stop
// recording and belong to no thread, so another thread can free them.
struct ActiveTapes {
  std::vector<Tape*> tapes;
  // PauseRecording objects alive: a tape records only at the depth it was entered at.
  int pause_depth = 0;
  VariableWatcher* watchers = nullptr;  // the innermost VariableWatcher alive
  ~ActiveTapes() {
    for (Tape* t : tapes) t->orphan();
  }
};
thread_local ActiveTapes t_active_tapes;

// Counts a gradient pass on a tape while it runs.
class BusyGuard {
 public:
  explicit BusyGuard(int& busy) : busy_(busy) { ++busy_; }
  ~BusyGuard() { --busy_; }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  int& busy_;
};

// Adds `g` into slot (which may be empty); the sum is an op, so outer tapes record it.
void accumulate(Tensor& slot, Tensor&& g) { slot = slot ? ops::add(slot, g) : std::move(g); }

uint64_t id_of(const Tensor& t) { return t.id(); }
uint64_t id_of(const TensorMeta& m) { return m.id; }
DType dtype_of(const Tensor& t) { return t.dtype(); }
DType dtype_of(const TensorMeta& m) { return m.dtype; }

// Room for the producers of one op's inputs: on the stack for the usual few.
class ProducerBuffer {
 public:
  explicit ProducerBuffer(size_t n) {
    if (n > kInline) heap_ = std::make_unique<int64_t[]>(n);
  }
  int64_t* data() { return heap_ ? heap_.get() : inline_; }

 private:
  static constexpr size_t kInline = 8;
  int64_t inline_[kInline];
  std::unique_ptr<int64_t[]> heap_;
};

// Is input i of `def` differentiable? Bit 31 of the mask stands for inputs 31 and above.
bool differentiable_input(const OpDef& def, size_t i) {
  return (def.differentiable_inputs >> std::min<size_t>(i, 31)) & 1u;
}

// Zeros of `shape` but for ones at the flat positions start, start + stride, … (count of
// them): the seed that picks target elements for a jacobian row. A constant, not recorded.
Tensor ones_at(const Shape& shape, DType dtype, int64_t start, int64_t stride, int64_t count) {
  Tensor t = Tensor::zeros(shape, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = t.mutable_data<T>();
    for (int64_t k = 0; k < count; ++k) p[start + k * stride] = T(1);
  });
  return t;
}

// shape + the dims of `tail` from index `from` on.
Shape concat_shapes(Shape shape, const Shape& tail, int from, const char* what) {
  for (int d = from; d < tail.rank(); ++d) shape.push_back(tail[d], what);
  return shape;
}

}  // namespace

std::span<Tape* const> active_tapes() { return t_active_tapes.tapes; }

Tape::Tape(bool persistent, bool watch_accessed_variables)
    : persistent_(persistent),
      watch_accessed_(watch_accessed_variables),
      owner_(std::this_thread::get_id()) {}

Tape::~Tape() {
  // Only the owning thread can hold this tape on its stack; capi refuses to free a tape
  // that is recording on another thread.
  if (recording_ && owner_ == std::this_thread::get_id()) {
    std::erase(t_active_tapes.tapes, this);
  }
}

void Tape::orphan() {
  recording_ = false;
  owner_ = std::thread::id();
}

void Tape::check_thread(const char* what) const {
  if (owner_ != std::this_thread::get_id())
    fail(Status::invalid_state,
         "{}: the tape belongs to the thread that began it; tapes cannot be used across threads",
         what);
}

void Tape::check_not_used() const {
  if (used_) fail(Status::invalid_state, "{}", kUsedMessage);
}

void Tape::check_not_busy(const char* what) const {
  if (busy_ > 0)
    fail(Status::invalid_state,
         "{}: the tape is computing gradients (a custom op's backward callback runs inside that "
         "computation), and this would drop the record it is walking",
         what);
}

bool Tape::paused() const { return recording_ && pause_depth_ != t_active_tapes.pause_depth; }

// ---- the recording state machine (TF's _push_tape / _pop_tape) -------------------------

void Tape::push() {
  if (recording_)
    fail(Status::invalid_state,
         "Tape is still recording, This can happen if you try to re-enter an already-active tape.");
  if (used_) {  // TF's __enter__ makes a new C++ tape when the old one was used up
    used_ = false;
    clear_record();
    watched_variables_.clear();
  }
  t_active_tapes.tapes.push_back(this);
  recording_ = true;
  pause_depth_ = t_active_tapes.pause_depth;
}

void Tape::pop() {
  if (!recording_) fail(Status::invalid_state, "Tape is not recording.");
  std::erase(t_active_tapes.tapes, this);
  recording_ = false;
}

void Tape::begin() {
  check_thread("tape_begin");
  push();
}

void Tape::end() {
  check_thread("tape_end");
  pop();
}

void Tape::stop_recording() {
  check_thread("tape_stop_recording");
  if (used_) fail(Status::invalid_state, "Trying to stop recording a tape which is not recording.");
  pop();
  ++pending_resumes_;
}

void Tape::resume_recording() {
  check_thread("tape_resume_recording");
  if (pending_resumes_ == 0)
    fail(Status::invalid_state,
         "resume_recording: the tape's recording was not stopped (stop_recording must come first)");
  --pending_resumes_;  // like the `finally` of TF's stop_recording, even if the push fails
  push();
}

void Tape::reset() {
  check_thread("tape_reset");
  if (!recording_) fail(Status::invalid_state, "Tape is not recording.");
  check_not_busy("tape_reset");
  clear_record();
  watched_variables_.clear();
}

void Tape::clear_record() {
  records_.clear();
  num_slots_ = 0;
  watched_at_ = 0;
  tensor_op_.clear();
  metas_.clear();
  producers_.clear();
  saved_.clear();
  attrs_.clear();
}

void Tape::consume() {
  used_ = true;  // watched_variables_ stays: it is the cached answer of watched_variables()
  clear_record();
}

// ---- watching and recording ----------------------------------------------------------

void Tape::watch(const Tensor& t) {
  check_thread("tape_watch");
  if (tensor_op_.insert(t.id(), kWatched)) watched_at_ = records_.size();
}

void Tape::watch(const std::shared_ptr<Variable>& v) {
  check_thread("tape_watch");
  if (!tensor_op_.insert(v->id(), kWatched)) return;
  watched_at_ = records_.size();
  watched_variables_.push_back(v);
}

void Tape::variable_accessed(const std::shared_ptr<Variable>& v) {
  if (!watch_accessed_ || !v->trainable() || !tensor_op_.insert(v->id(), kWatched)) return;
  watched_at_ = records_.size();
  watched_variables_.push_back(v);
}

std::vector<std::shared_ptr<Variable>> Tape::watched_variables() const {
  check_thread("tape_watched_variables");
  auto vars = watched_variables_;
  std::sort(vars.begin(), vars.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return vars;
}

template <class Input>
bool Tape::find_producers(std::span<const Input> inputs, int64_t* producers) const {
  bool on_tape = false;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const int64_t k = tensor_op_.find(id_of(inputs[i]));
    static_assert(kWatched == kWatchedInput);
    producers[i] = k == IdMap::kAbsent ? kOffTape : k;
    on_tape = on_tape || (k != IdMap::kAbsent && is_floating(dtype_of(inputs[i])));
  }
  return on_tape;
}

Tape::Record& Tape::start_record(const OpDef& def, const Attrs& attrs, const Tensor& output,
                                 std::span<const int64_t> producers) {
  const bool few = producers.size() <= Record::kFew;
  int64_t* kept_producers = few ? nullptr : producers_.alloc(producers.size());
  // The shared no_attrs() is kept by address; other attributes are copied first, so that a
  // copy that throws leaves no half-made record (an empty Attrs left behind is harmless).
  const Attrs* kept = &attrs;
  if (kept != &no_attrs()) {
    Attrs& copy = attrs_.emplace_back();
    copy = attrs;
    kept = &copy;
  }
  Record& r = records_.emplace_back();
  if (few) kept_producers = r.few_producers;
  std::copy(producers.begin(), producers.end(), kept_producers);
  r.def = &def;
  r.attrs = kept;
  r.producers = kept_producers;
  r.output_id = output.id();
  r.first_slot = num_slots_;
  r.arity = static_cast<uint32_t>(producers.size());
  if (def.saves_output) r.saved_output = output;
  return r;
}

bool Tape::record(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
                  const Tensor& output) {
  const auto arity = static_cast<uint32_t>(inputs.size());
  ProducerBuffer found(arity);
  if (!find_producers(inputs, found.data())) return false;
  for (uint32_t i = 0; i < arity; ++i)
    if (inputs[i].id() == output.id())
      fail(Status::internal, "{}: the op returned its input {} itself; it must return a new tensor",
           def.name, i);
  TensorMeta* metas = metas_.alloc(arity);
  for (uint32_t i = 0; i < arity; ++i) {
    const Tensor& t = inputs[i];
    // why built in place: a braced temporary assigned to metas[i] is built on the stack and
    // copied back in overlapping 16-byte pieces, a store-forwarding stall.
    ::new (static_cast<void*>(metas + i)) TensorMeta{t.id(), t.shape(), t.dtype()};
  }
  Tensor* saved = def.saves_inputs ? saved_.alloc(arity) : nullptr;
  if (saved) std::uninitialized_copy(inputs.begin(), inputs.end(), saved);
  Record& r = start_record(def, attrs, output, {found.data(), arity});
  r.inputs = metas;
  r.saved_inputs = saved;
  tensor_op_.insert(output.id(), static_cast<int64_t>(num_slots_++));
  return true;
}

bool Tape::record(const OpDef& def, const Attrs& attrs, std::span<const TensorMeta> inputs,
                  std::span<const Tensor> saved_inputs, const Tensor& output) {
  const auto arity = static_cast<uint32_t>(inputs.size());
  ProducerBuffer found(arity);
  if (!find_producers(inputs, found.data())) return false;
  TensorMeta* metas = metas_.alloc(arity);
  std::uninitialized_copy(inputs.begin(), inputs.end(), metas);
  Tensor* saved = def.saves_inputs ? saved_.alloc(arity) : nullptr;
  if (saved) std::uninitialized_copy(saved_inputs.begin(), saved_inputs.end(), saved);
  Record& r = start_record(def, attrs, output, {found.data(), arity});
  r.inputs = metas;
  r.saved_inputs = saved;
  tensor_op_.insert(output.id(), static_cast<int64_t>(num_slots_++));
  return true;
}

bool Tape::record(const OpDef& def, std::span<const TensorMeta> inputs,
                  std::span<const Tensor> outputs, const std::shared_ptr<const OpState>& state) {
  const auto arity = static_cast<uint32_t>(inputs.size());
  const auto m = static_cast<uint32_t>(outputs.size());
  if (m == 0) fail(Status::internal, "{}: an op must have at least one output", def.name);
  ProducerBuffer found(arity);
  if (!find_producers(inputs, found.data())) return false;
  TensorMeta* metas = metas_.alloc(arity + m);
  std::uninitialized_copy(inputs.begin(), inputs.end(), metas);
  for (uint32_t j = 0; j < m; ++j)
    ::new (static_cast<void*>(metas + arity + j)) TensorMeta{outputs[j].id(), outputs[j].shape(), outputs[j].dtype()};
  Record& r = start_record(def, no_attrs(), outputs[0], {found.data(), arity});
  r.inputs = metas;
  r.outputs = metas + arity;
  r.num_outputs = m;
  r.state = state;
  const size_t first = num_slots_;
  num_slots_ += m;
  for (uint32_t j = 0; j < m; ++j) tensor_op_.insert(outputs[j].id(), static_cast<int64_t>(first + j));
  return true;
}

void record_operation(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
                      const Tensor& output) {
  const ActiveTapes& active = t_active_tapes;  // why: one thread-local lookup, not two
  const int depth = active.pause_depth;
  for (Tape* tape : active.tapes)
    if (tape->pause_depth() == depth) tape->record(def, attrs, inputs, output);
}

bool record_operation(const OpDef& def, std::span<const TensorMeta> inputs,
                      std::span<const Tensor> outputs, const std::shared_ptr<const OpState>& state) {
  const int depth = t_active_tapes.pause_depth;
  bool recorded = false;
  for (Tape* tape : t_active_tapes.tapes)
    if (tape->pause_depth() == depth && tape->record(def, inputs, outputs, state)) recorded = true;
  return recorded;
}

PauseRecording::PauseRecording() { ++t_active_tapes.pause_depth; }
PauseRecording::~PauseRecording() {
  const int depth = --t_active_tapes.pause_depth;
  for (Tape* tape : t_active_tapes.tapes) tape->lower_pause_depth(depth);
}

VariableWatcher::VariableWatcher() : parent_(t_active_tapes.watchers) { t_active_tapes.watchers = this; }
VariableWatcher::~VariableWatcher() { t_active_tapes.watchers = parent_; }

void notify_variable_read(Variable& v) {
  VariableWatcher* const innermost = t_active_tapes.watchers;
  if (!innermost) return;
  const std::shared_ptr<Variable> shared = v.shared_from_this();
  for (VariableWatcher* w = innermost; w; w = w->parent_)
    if (std::find(w->variables_.begin(), w->variables_.end(), shared) == w->variables_.end())
      w->variables_.push_back(shared);
}

// ---- the backward pass (TF's ComputeGradient) ----------------------------------------

std::vector<Tensor> Tape::backprop(std::span<const Differentiable> targets,
                                   std::span<const Tensor> seeds,
                                   std::span<const Differentiable> sources, Unconnected unconnected,
                                   bool release) {
  const BusyGuard busy(busy_);
  // Only the records that exist now take part: a persistent tape that is recording appends
  // the gradient computation's own records while this pass runs.
  const size_t n = records_.size();
  const size_t num_slots = num_slots_;
  const auto producer = [&](uint64_t id) {
    const int64_t k = tensor_op_.find(id);
    return (k >= 0 && static_cast<size_t>(k) < num_slots) ? k : int64_t{-1};
  };
  // slot[k]: the gradient flowing into the output whose slot is k; `live` counts the filled
  // slots not yet walked, so the walk stops as soon as nothing is left to propagate.
  // source_slot[k]: that output is a source, so it keeps its gradient (a result) and still
  // passes it on, as in TF. Empty unless a source is such an output (sources are usually
  // watched tensors and variables).
  std::vector<Tensor> slot(num_slots);
  std::vector<uint8_t> source_slot;
  size_t live = 0;
  // Sources that no record produced (watched tensors, variables, unrecorded tensors),
  // without repeats: id -> index into `leaf`, their gradients.
  IdMap source_index;
  for (const Differentiable& s : sources) {
    if (const int64_t k = producer(s.id); k >= 0) {
      source_slot.resize(num_slots);
      source_slot[static_cast<size_t>(k)] = 1;
    } else {
      source_index.insert(s.id, static_cast<int64_t>(source_index.size()));
    }
  }
  std::vector<Tensor> leaf(source_index.size());
  const auto take = [&](size_t k) {
    return !source_slot.empty() && source_slot[k] ? slot[k] : std::move(slot[k]);
  };
  const auto add_to_slot = [&](size_t k, Tensor&& g) {
    Tensor& s = slot[k];
    if (!s) ++live;
    accumulate(s, std::move(g));
  };

  // Seeds (TF's InitialGradients): an output gradient when given, else ones for a floating
  // target that a record produced or that is a source.
  for (size_t i = 0; i < targets.size(); ++i) {
    const Differentiable& t = targets[i];
    const bool given = i < seeds.size() && seeds[i];
    const int64_t k = producer(t.id);
    const int64_t j = k >= 0 ? IdMap::kAbsent : source_index.find(t.id);
    if (!given && (!is_floating(t.value.dtype()) || (k < 0 && j == IdMap::kAbsent))) continue;
    Tensor seed = given ? seeds[i] : ops::ones_like(t.value);
    if (k >= 0)
      add_to_slot(static_cast<size_t>(k), std::move(seed));
    else if (j != IdMap::kAbsent)
      accumulate(leaf[static_cast<size_t>(j)], std::move(seed));
  }

  // Walk the record backwards: it is in execution order, a topological order.
  std::vector<Tensor> grads;
  std::vector<Tensor> incoming;  // the output gradients of a record with several outputs
  std::unique_ptr<bool[]> needed;
  size_t needed_capacity = 0;
  for (size_t k = n; k-- > 0 && live > 0;) {
    Record& r = records_[k];
    const size_t first = r.first_slot;
    if (r.num_outputs == 1) {
      if (!slot[first]) continue;
      --live;
    } else {
      size_t filled = 0;
      for (size_t j = 0; j < r.num_outputs; ++j) filled += slot[first + j] ? 1 : 0;
      if (filled == 0) continue;
      live -= filled;
      incoming.assign(r.num_outputs, Tensor());
      for (size_t j = 0; j < r.num_outputs; ++j) {
        const TensorMeta& out = r.outputs[j];
        incoming[j] = slot[first + j] ? take(first + j) : Tensor::zeros(out.shape, out.dtype);
      }
    }
    const Tensor grad = r.num_outputs == 1 ? take(first) : incoming[0];  // of the first output
    const std::span<const Tensor> output_grads =
        r.num_outputs == 1 ? std::span<const Tensor>(&grad, 1) : std::span<const Tensor>(incoming);
    const OpDef& def = *r.def;
    if (def.differentiability == Differentiability::unregistered)
      fail(Status::no_gradient, "gradient registry has no entry for: {}", def.name);
    const size_t arity = r.arity;
    if (arity > needed_capacity) {
      needed.reset(new bool[arity]);
      needed_capacity = arity;
    }
    // TF skips inputs that are neither on the tape nor sources. An input off the tape when
    // the op ran is on it now only if watched since (watched_at_ above k).
    bool any = false;
    for (size_t i = 0; i < arity; ++i) {
      const TensorMeta& m = r.inputs[i];
      const int64_t p = r.producers[i];
      needed[i] = def.differentiability == Differentiability::rule &&
                  differentiable_input(def, i) && is_floating(m.dtype) &&
                  (p != kOffTape || (watched_at_ > k && tensor_op_.contains(m.id)) ||
                   source_index.contains(m.id));
      any = any || needed[i];
    }
    if (any) {
      grads.assign(arity, Tensor());
      const GradContext ctx{*r.attrs,
                            std::span<const TensorMeta>(r.inputs, arity),
                            std::span<const Tensor>(r.saved_inputs, r.saved_inputs ? arity : 0),
                            r.saved_output,
                            grad,
                            std::span<const bool>(needed.get(), arity),
                            output_grads,
                            r.state.get()};
      def.backward(ctx, grads);
      for (size_t i = 0; i < arity; ++i) {
        if (!needed[i] || !grads[i]) continue;
        Tensor g = std::move(grads[i]);
        const TensorMeta& m = r.inputs[i];
        if (def.broadcasts && g.shape() != m.shape) g = ops::sum_to_shape(g, m.shape);
        if (g.shape() != m.shape || g.dtype() != m.dtype)
          fail(Status::internal, "{}: gradient for input {} is {} {}, expected {} {}", def.name, i,
               dtype_name(g.dtype()), g.shape().str(), dtype_name(m.dtype), m.shape.str());
        if (const int64_t p = r.producers[i]; p >= 0) {
          add_to_slot(static_cast<size_t>(p), std::move(g));
        } else if (const int64_t j = source_index.find(m.id); j != IdMap::kAbsent) {
          accumulate(leaf[static_cast<size_t>(j)], std::move(g));
        }  // else: no record and no source will ever read it
      }
    }
    if (release) {  // a non-persistent tape lets go of what the record kept, once used
      for (size_t i = 0; r.saved_inputs && i < arity; ++i) r.saved_inputs[i] = Tensor();
      r.saved_output = Tensor();
      if (r.state) r.state.reset();
    }
  }

  std::vector<Tensor> result;
  result.reserve(sources.size());
  for (const Differentiable& s : sources) {
    const int64_t k = producer(s.id);
    Tensor g =
        k >= 0 ? slot[static_cast<size_t>(k)] : leaf[static_cast<size_t>(source_index.find(s.id))];
    // TF makes zeros of the source's shape and dtype for every unconnected source,
    // integer ones included.
    if (!g && unconnected == Unconnected::zero) g = ops::zeros_like(s.value);
    result.push_back(std::move(g));
  }
  return result;
}

std::vector<Tensor> Tape::gradient(std::span<const Differentiable> targets,
                                   std::span<const Differentiable> sources,
                                   std::span<const Tensor> output_gradients,
                                   Unconnected unconnected) {
  check_thread("tape_gradient");
  check_not_used();
  if (!persistent_) check_not_busy("tape_gradient");
  if (!output_gradients.empty() && output_gradients.size() != targets.size())
    fail(Status::invalid_argument, "gradient: {} output gradients for {} targets",
         output_gradients.size(), targets.size());
  for (size_t i = 0; i < output_gradients.size(); ++i) {
    const Tensor& g = output_gradients[i];
    const Tensor& t = targets[i].value;
    if (g && (g.shape() != t.shape() || g.dtype() != t.dtype()))
      fail(Status::invalid_argument,
           "gradient: output_gradients[{}] is {} {}, but targets[{}] is {} {}", i,
           dtype_name(g.dtype()), g.shape().str(), i, dtype_name(t.dtype()), t.shape().str());
  }
  // A non-persistent tape stops recording; a persistent one keeps recording, so the gradient
  // computation lands on it too (that is how it differentiates its own gradients).
  if (recording_ && !persistent_) pop();
  if (persistent_) return backprop(targets, output_gradients, sources, unconnected, false);
  try {
    std::vector<Tensor> result = backprop(targets, output_gradients, sources, unconnected, true);
    consume();
    return result;
  } catch (...) {
    consume();  // some saved tensors may be gone already: the tape cannot be used again
    throw;
  }
}

std::vector<Tensor> Tape::jacobian(const Differentiable& target,
                                   std::span<const Differentiable> sources,
                                   Unconnected unconnected) {
  check_thread("tape_jacobian");
  check_not_used();
  if (!persistent_) check_not_busy("tape_jacobian");
  const Tensor& y = target.value;
  std::vector<Shape> shapes;  // of each jacobian: made first, so a too large one fails before any pass
  for (size_t j = 0; j < sources.size(); ++j) {
    const Tensor& x = sources[j].value;
    if (y.rank() + x.rank() > kMaxRank)
      fail(Status::invalid_argument,
           "jacobian: target {} and sources[{}] {} give a jacobian of rank {}, above the maximum "
           "rank {}",
           y.shape().str(), j, x.shape().str(), y.rank() + x.rank(), kMaxRank);
    shapes.push_back(concat_shapes(y.shape(), x.shape(), 0, "jacobian"));
  }
  if (recording_ && !persistent_) pop();
  std::vector<Tensor> result;
  try {
    // rows[j][i]: d y.flat[i] / d source j, one backward pass per element of y (an empty y
    // still gets one pass, with an empty seed, to learn which sources are connected).
    const size_t m = sources.size();
    const int64_t n = y.numel();
    std::vector<std::vector<Tensor>> rows(m, std::vector<Tensor>(static_cast<size_t>(n)));
    std::vector<bool> connected(m, false);
    if (is_floating(y.dtype())) {
      const int64_t passes = std::max<int64_t>(n, 1);
      for (int64_t i = 0; i < passes; ++i) {
        const Tensor seed =
            n == 0 ? Tensor::zeros(y.shape(), y.dtype()) : ones_at(y.shape(), y.dtype(), i, 0, 1);
        std::vector<Tensor> g = backprop({&target, 1}, {&seed, 1}, sources, Unconnected::none,
                                         !persistent_ && i + 1 == passes);
        for (size_t j = 0; j < m; ++j) {
          if (!g[j]) continue;
          connected[j] = true;
          if (n > 0) rows[j][static_cast<size_t>(i)] = std::move(g[j]);
        }
      }
    }
    for (size_t j = 0; j < m; ++j) {
      const Tensor& x = sources[j].value;
      const Shape& shape = shapes[j];
      if (!connected[j]) {
        result.push_back(unconnected == Unconnected::zero ? Tensor::zeros(shape, x.dtype())
                                                          : Tensor());
      } else if (n == 0) {
        result.push_back(Tensor::zeros(shape, x.dtype()));
      } else {
        for (Tensor& row : rows[j])
          if (!row) row = ops::zeros_like(x);
        result.push_back(ops::reshape(ops::stack(rows[j], 0), shape));
      }
    }
  } catch (...) {
    if (!persistent_) consume();
    throw;
  }
  if (!persistent_) consume();
  return result;
}

Tensor Tape::batch_jacobian(const Differentiable& target, const Differentiable& source,
                            Unconnected unconnected) {
  check_thread("tape_batch_jacobian");
  check_not_used();
  if (!persistent_) check_not_busy("tape_batch_jacobian");
  const Tensor& y = target.value;
  const Tensor& x = source.value;
  if (y.rank() < 2)
    fail(Status::invalid_argument, "batch_jacobian: target shape {} must have rank at least 2",
         y.shape().str());
  if (x.rank() < 2)
    fail(Status::invalid_argument, "batch_jacobian: source shape {} must have rank at least 2",
         x.shape().str());
  if (y.shape()[0] != x.shape()[0])
    fail(Status::invalid_argument,
         "Need first dimension of target shape {} and source shape {} to match.", y.shape().str(),
         x.shape().str());
  if (y.rank() + x.rank() - 1 > kMaxRank)
    fail(Status::invalid_argument,
         "batch_jacobian: target {} and source {} give a jacobian of rank {}, above the maximum "
         "rank {}",
         y.shape().str(), x.shape().str(), y.rank() + x.rank() - 1, kMaxRank);
  // Legend: b = batch, r = elements per target row, s = elements per source row.
  const int64_t b = y.shape()[0];
  const int64_t r = b == 0 ? 0 : y.numel() / b;
  const int64_t s = b == 0 ? 0 : x.numel() / b;
  const Shape shape = concat_shapes(concat_shapes(Shape{b}, y.shape(), 1, "batch_jacobian"), x.shape(), 1,
                                    "batch_jacobian");
  if (recording_ && !persistent_) pop();
  Tensor result;
  try {
    // Pass j seeds target[:, j] (flattened rows) with ones: since row i of the target depends
    // only on row i of the source, the gradient's row i is d target[i, j] / d source[i].
    std::vector<Tensor> rows;  // r of them, each (b, x...)
    bool connected = false;
    if (is_floating(y.dtype())) {
      const bool empty = b == 0 || r == 0;
      const int64_t passes = empty ? 1 : r;
      for (int64_t j = 0; j < passes; ++j) {
        const Tensor seed =
            empty ? Tensor::zeros(y.shape(), y.dtype()) : ones_at(y.shape(), y.dtype(), j, r, b);
        Tensor g = backprop({&target, 1}, {&seed, 1}, {&source, 1}, Unconnected::none,
                            !persistent_ && j + 1 == passes)[0];
        connected = connected || g.defined();
        if (!empty) rows.push_back(std::move(g));
      }
    }
    if (!connected) {
      // TF returns zeros here even with UnconnectedGradients.NONE ("compatibility with the
      // previous behavior"), in the target's dtype; with ZERO each row is zeros of the source.
      result = Tensor::zeros(shape, unconnected == Unconnected::zero ? x.dtype() : y.dtype());
    } else if (rows.empty()) {
      result = Tensor::zeros(shape, x.dtype());
    } else {
      for (Tensor& row : rows) row = ops::reshape(row ? row : ops::zeros_like(x), Shape{b, s});
      result = ops::reshape(ops::stack(rows, 1), shape);  // (b, r, s) -> (b, y..., x...)
    }
  } catch (...) {
    if (!persistent_) consume();
    throw;
  }
  if (!persistent_) consume();
  return result;
}

}  // namespace tg
