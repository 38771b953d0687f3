/* SPDX-License-Identifier: Apache-2.0 */
// The gradient tape (docs/design.md, docs/gradient-tape.md). A flat record of ops in execution
// order, walked backwards in a loop: no recursion anywhere, so a 100,000-op chain works.
//
// Each thread has a stack of active tapes. apply() records an op on every active tape that
// watches one of its floating inputs; a recorded op's output becomes watched in turn.
//
// State machine (TensorFlow's GradientTape), as the C ABI exposes it:
//   recording  — on this thread's stack: begin() / resume_recording() / reset() leave it here;
//   idle       — end(), stop_recording() or a non-persistent gradient() leave it here;
//   used       — a non-persistent tape after its one gradient()/jacobian()/batch_jacobian():
//                its record is gone; begin() starts a fresh one, as TF makes a new C++ tape.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <thread>
#include <utility>
#include <vector>

#include "autodiff/op.h"
#include "autodiff/variable.h"

namespace tg {

// A gradient target or source: a tensor or a variable (by its id).
struct Differentiable {
  uint64_t id = 0;
  Tensor value;  // the tensor, or the variable's current value (for ones/zeros seeds)
  std::shared_ptr<Variable> variable;  // set for variables
  static Differentiable of(const Tensor& t) { return {t.id(), t, nullptr}; }
  static Differentiable of(const std::shared_ptr<Variable>& v) { return {v->id(), v->value(), v}; }
};

// TF's UnconnectedGradients: what a source the targets do not depend on gets.
enum class Unconnected { none, zero };

namespace tape_detail {

// Open-addressing hash map from object ids (never 0) to int64 values: insert and lookup
// only, one probe sequence in one array, no allocation per entry.
class IdMap {
 public:
  static constexpr int64_t kAbsent = INT64_MIN;
  int64_t find(uint64_t id) const {
    if (slots_.empty()) return kAbsent;
    for (size_t i = hash(id);; i = (i + 1) & mask()) {
      if (slots_[i].key == id) return slots_[i].value;
      if (slots_[i].key == 0) return kAbsent;
    }
  }
  bool contains(uint64_t id) const { return find(id) != kAbsent; }
  // Inserts id -> value unless id is present; true if it was inserted.
  bool insert(uint64_t id, int64_t value);
  size_t size() const { return size_; }
  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    int64_t value = 0;
  };
  size_t mask() const { return slots_.size() - 1; }
  // Fibonacci hashing: consecutive ids (the common case) spread over the table.
  size_t hash(uint64_t id) const {
    return static_cast<size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  void grow();
  std::vector<Slot> slots_;  // power-of-two size, at most half full
  size_t size_ = 0;
  int shift_ = 64;
};

// Append-only sequence whose elements never move (chunks of 16, 32, 64, … elements), so a
// backward rule may append records while the tape holds a reference to the one it runs.
// Elements are constructed when appended, not when their chunk is allocated.
template <class T>
class StableVector {
 public:
  StableVector() = default;
  StableVector(const StableVector&) = delete;
  StableVector& operator=(const StableVector&) = delete;
  ~StableVector() { clear(); }

  size_t size() const { return size_; }
  T& operator[](size_t i) {
    const auto [c, o] = locate(i);
    return chunks_[c][o];
  }
  T& emplace_back() {
    const auto [c, o] = locate(size_);
    if (c == chunks_.size()) {
      chunks_.reserve(c + 1);  // first, so that the push_back below cannot throw
      chunks_.push_back(std::allocator<T>().allocate(kFirst << c));
    }
    T* p = new (chunks_[c] + o) T;  // default-initialised: no zeroing pass before the ctor
    ++size_;
    return *p;
  }
  // Destroys the elements in order (a loop, whatever they hold) and frees the chunks.
  void clear() {
    for (size_t i = 0; i < size_; ++i) (*this)[i].~T();
    size_ = 0;
    for (size_t c = 0; c < chunks_.size(); ++c)
      std::allocator<T>().deallocate(chunks_[c], kFirst << c);
    chunks_.clear();
  }

 private:
  static constexpr int kFirstBits = 4;
  static constexpr size_t kFirst = size_t{1} << kFirstBits;
  static std::pair<size_t, size_t> locate(size_t i) {
    const size_t j = i + kFirst;
    const size_t c = static_cast<size_t>(std::bit_width(j)) - 1 - kFirstBits;
    return {c, j - (kFirst << c)};
  }
  std::vector<T*> chunks_;  // chunk c holds kFirst << c elements, the first size_ constructed
  size_t size_ = 0;
};

// Contiguous runs of T that never move, carved from growing chunks. alloc(n) hands out room
// for n elements that the caller constructs at once (std::uninitialized_copy, placement
// new), before anything can throw. why not value-initialised chunks: zeroing every chunk
// and then overwriting each element was ~5% of recording an op.
template <class T>
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { clear(); }

  T* alloc(size_t n) {
    if (n == 0) return nullptr;
    if (chunks_.empty() || chunks_.back().used + n > chunks_.back().capacity) {
      const size_t capacity = std::max(n, next_);
      chunks_.reserve(chunks_.size() + 1);  // first, so that the push_back below cannot throw
      chunks_.push_back({std::allocator<T>().allocate(capacity), capacity, 0});
      next_ = std::min(next_ * 2, kMax);
    }
    Chunk& c = chunks_.back();
    T* p = c.data + c.used;
    c.used += n;
    return p;
  }
  // Destroys every element handed out and frees the chunks.
  void clear() {
    for (Chunk& c : chunks_) {
      std::destroy_n(c.data, c.used);
      std::allocator<T>().deallocate(c.data, c.capacity);
    }
    chunks_.clear();
    next_ = kFirst;
  }

 private:
  static constexpr size_t kFirst = 32, kMax = 4096;
  struct Chunk {
    T* data;
    size_t capacity, used;
  };
  std::vector<Chunk> chunks_;
  size_t next_ = kFirst;
};

}  // namespace tape_detail

class Tape {
 public:
  Tape(bool persistent, bool watch_accessed_variables);
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  bool persistent() const { return persistent_; }
  bool recording() const { return recording_; }
  std::thread::id owner() const { return owner_; }
  // Recording, but paused by a PauseRecording that began after this tape was entered.
  bool paused() const;
  // A gradient pass over its record is running (a custom op's backward callback may be
  // running inside it): what would drop the record (reset, a non-persistent tape's gradient,
  // freeing the tape) is refused meanwhile.
  bool busy() const { return busy_ > 0; }
  // This thread's pause depth when the tape was last entered (see PauseRecording).
  int pause_depth() const { return pause_depth_; }

  // Pushes the tape on this thread's stack (`with tape:`). Entering a tape that has been
  // entered before continues its record; entering a used non-persistent tape starts a fresh
  // one. Error if it is recording.
  void begin();
  // Pops it (end of the `with` block). Error if it is not recording.
  void end();
  // TF's stop_recording(): pops the tape so that ops run until resume_recording() are not
  // recorded. Error on a used tape or one that is not recording.
  void stop_recording();
  // The end of the stop_recording() block: pushes the tape again (a fresh record if a
  // non-persistent gradient was taken meanwhile). Error unless stop_recording() came first,
  // or if the tape was entered again meanwhile.
  void resume_recording();
  // TF's reset(): drops the record, the watched tensors and variables, and keeps recording.
  // Error if it is not recording.
  void reset();

  void watch(const Tensor& t);
  void watch(const std::shared_ptr<Variable>& v);

  // One gradient per source (undefined Tensor = None). Several targets are summed; each
  // target is seeded with ones, or with output_gradients[i] when given and defined (it must
  // have the target's shape and dtype). Unconnected sources get None, or with
  // Unconnected::zero zeros of their shape and dtype.
  std::vector<Tensor> gradient(std::span<const Differentiable> targets,
                               std::span<const Differentiable> sources,
                               std::span<const Tensor> output_gradients = {},
                               Unconnected unconnected = Unconnected::none);

  // d target / d source for each source, of shape target.shape + source.shape (None for an
  // unconnected source unless Unconnected::zero). One backward pass per target element,
  // assembled with stack/reshape, so that it is differentiable on outer tapes.
  std::vector<Tensor> jacobian(const Differentiable& target,
                               std::span<const Differentiable> sources,
                               Unconnected unconnected = Unconnected::none);
  // Per-example jacobians: target (b, y...) and source (b, x...) give (b, y..., x...). An
  // unconnected source gives zeros (in the target's dtype) even with Unconnected::none.
  Tensor batch_jacobian(const Differentiable& target, const Differentiable& source,
                        Unconnected unconnected = Unconnected::none);

  // Variables watched so far, in order of construction. After a non-persistent gradient
  // call, the ones watched before it.
  std::vector<std::shared_ptr<Variable>> watched_variables() const;

  size_t num_records() const { return records_.size(); }

  // Called by apply() and Variable::read() for each active tape: each records the op if the
  // tape watches one of its floating inputs, and returns whether it did.
  bool record(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
              const Tensor& output);
  bool record(const OpDef& def, const Attrs& attrs, std::span<const TensorMeta> inputs,
              std::span<const Tensor> saved_inputs, const Tensor& output);
  // An op with any number of outputs (>= 1) whose rule reads `state` (custom ops). The
  // outputs must be new tensors, unknown to the tape.
  bool record(const OpDef& def, std::span<const TensorMeta> inputs,
              std::span<const Tensor> outputs, const std::shared_ptr<const OpState>& state);
  void variable_accessed(const std::shared_ptr<Variable>& v);
  // Called when the owning thread exits while the tape is recording.
  void orphan();

 private:
  friend class PauseRecording;
  // A tape entered during a pause that ends while it records records at the outer level.
  void lower_pause_depth(int depth) { pause_depth_ = std::min(pause_depth_, depth); }
  // An op's outputs have gradient slots first_slot, first_slot + 1, …: the values of
  // tensor_op_ for the tensors they produce.
  struct Record {
    const OpDef* def = nullptr;
    const Attrs* attrs = nullptr;        // no_attrs(), or a copy in attrs_
    const TensorMeta* inputs = nullptr;  // arity entries in metas_
    // arity entries in producers_: input i's gradient slot, or kWatchedInput / kOffTape (what
    // the tape knew of it when the op ran). why: the backward pass then finds where each
    // input gradient goes without a hash look-up.
    const int64_t* producers = nullptr;
    // where producers points for ops of at most two inputs (most): records never move, and
    // a tape of one op then allocates no producers_ chunk.
    static constexpr size_t kFew = 2;
    int64_t few_producers[kFew];
    Tensor* saved_inputs = nullptr;      // arity entries in saved_, when the op saves inputs
    Tensor saved_output;                 // undefined unless the op saves its output
    uint64_t output_id = 0;              // the first output
    const TensorMeta* outputs = nullptr;  // num_outputs entries in metas_ when there are several
    std::shared_ptr<const OpState> state;
    size_t first_slot = 0;
    uint32_t arity = 0;
    uint32_t num_outputs = 1;
  };
  static constexpr int64_t kWatched = -1;
  // Record::producers of an input the tape watched, and of one it did not know.
  static constexpr int64_t kWatchedInput = -1;
  static constexpr int64_t kOffTape = -2;

  void check_thread(const char* what) const;
  void check_not_used() const;
  void check_not_busy(const char* what) const;
  void push();  // onto this thread's stack; a used tape starts afresh
  void pop();
  void clear_record();
  // A non-persistent tape after its one gradient computation.
  void consume();
  // Fills producers[i] for each input (see Record::producers); true if one of the floating
  // inputs is on the tape, that is if the op must be recorded.
  template <class Input>
  bool find_producers(std::span<const Input> inputs, int64_t* producers) const;
  Record& start_record(const OpDef& def, const Attrs& attrs, const Tensor& output,
                       std::span<const int64_t> producers);
  // One backward pass over the records made so far. seeds[i] (when given and defined)
  // replaces target i's ones seed. release: drop saved tensors as soon as they are used.
  std::vector<Tensor> backprop(std::span<const Differentiable> targets,
                               std::span<const Tensor> seeds,
                               std::span<const Differentiable> sources, Unconnected unconnected,
                               bool release);

  bool persistent_;
  bool watch_accessed_;
  bool recording_ = false;
  bool used_ = false;        // a non-persistent tape after its one gradient call
  int pending_resumes_ = 0;  // stop_recording() calls not yet resumed
  int pause_depth_ = 0;      // this thread's pause depth when the tape was last pushed
  int busy_ = 0;             // gradient passes running
  std::thread::id owner_;
  tape_detail::IdMap tensor_op_;  // watched id -> gradient slot of its producer, or kWatched
  size_t num_slots_ = 0;          // gradient slots of the records so far
  tape_detail::StableVector<Record> records_;
  // records_.size() when watch() or a variable access last added an id: an input that was
  // off the tape when record k was made can be watched now only if this is above k.
  size_t watched_at_ = 0;
  tape_detail::Arena<TensorMeta> metas_;
  tape_detail::Arena<int64_t> producers_;
  tape_detail::Arena<Tensor> saved_;
  tape_detail::StableVector<Attrs> attrs_;  // the attributes of records that have any
  std::vector<std::shared_ptr<Variable>> watched_variables_;  // in watch order
};

// This thread's active tapes, innermost last.
std::span<Tape* const> active_tapes();

// Records a finished op on the active tapes (apply() calls this).
void record_operation(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
                      const Tensor& output);
// The same for an op with several outputs and per-call state (Tape::record above). The
// inputs are given by their metadata, so variables can be inputs too. Returns whether some
// tape recorded it.
bool record_operation(const OpDef& def, std::span<const TensorMeta> inputs,
                      std::span<const Tensor> outputs, const std::shared_ptr<const OpState>& state);

// While one lives, the tapes recording on this thread record nothing and watch no variable
// read: a custom op's forward runs so, and only the op itself is recorded. Tapes entered
// meanwhile record as usual (a forward may take gradients of its own); the pause ends with
// the object, whatever the code inside did.
class PauseRecording {
 public:
  PauseRecording();
  ~PauseRecording();
  PauseRecording(const PauseRecording&) = delete;
  PauseRecording& operator=(const PauseRecording&) = delete;
};

// TF's VariableWatcher: while one lives, it collects the trainable variables read on this
// thread, in first-read order, without repeats (every watcher alive sees every read).
class VariableWatcher {
 public:
  VariableWatcher();
  ~VariableWatcher();
  VariableWatcher(const VariableWatcher&) = delete;
  VariableWatcher& operator=(const VariableWatcher&) = delete;
  const std::vector<std::shared_ptr<Variable>>& variables() const { return variables_; }

 private:
  friend void notify_variable_read(Variable& v);
  VariableWatcher* parent_;
  std::vector<std::shared_ptr<Variable>> variables_;
};

// Called by Variable::read for a trainable variable: tells the watchers alive.
void notify_variable_read(Variable& v);

}  // namespace tg
