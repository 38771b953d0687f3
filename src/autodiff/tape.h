// The gradient tape (DESIGN.md §4, TF_SEMANTICS.md §1). A flat record of ops in execution
// order, walked backwards in a loop: no recursion anywhere, so a 100,000-op chain works.
//
// Each thread has a stack of active tapes. apply() records an op on every active tape that
// watches one of its floating inputs; a recorded op's output becomes watched in turn.
#pragma once

#include <deque>
#include <memory>
#include <thread>
#include <unordered_map>
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

enum class Unconnected { none, zero };

class Tape {
 public:
  Tape(bool persistent, bool watch_accessed_variables);
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  bool persistent() const { return persistent_; }
  bool recording() const { return recording_; }
  std::thread::id owner() const { return owner_; }

  // Pushes the tape on this thread's stack (the `with` block). Re-entering a tape that has
  // ended continues its record; entering one that is recording is an invalid-state error.
  void begin();
  // Pops it (end of the `with` block). Error if it is not recording.
  void end();

  void watch(const Tensor& t);
  void watch(const std::shared_ptr<Variable>& v);

  // One gradient per source (undefined Tensor = None). Several targets are summed; each
  // target is seeded with ones, or with output_gradients[i] when given and defined.
  std::vector<Tensor> gradient(std::span<const Differentiable> targets,
                               std::span<const Differentiable> sources,
                               std::span<const Tensor> output_gradients = {},
                               Unconnected unconnected = Unconnected::none);

  // Variables watched so far, in order of construction.
  std::vector<std::shared_ptr<Variable>> watched_variables() const;

  size_t num_records() const { return ops_.size(); }

  // Called by apply() and Variable::read() for each active tape.
  bool should_record(std::span<const TensorMeta> inputs) const;
  void record(const OpDef& def, const Attrs& attrs, std::vector<TensorMeta> inputs,
              std::span<const Tensor> saved_inputs, const Tensor& output);
  void variable_accessed(const std::shared_ptr<Variable>& v);
  // Called when the owning thread exits while the tape is recording.
  void orphan();

 private:
  struct Record {
    const OpDef* def;
    Attrs attrs;
    std::vector<TensorMeta> inputs;
    std::vector<Tensor> saved_inputs;  // empty unless the op saves inputs
    TensorMeta output;
    Tensor saved_output;               // undefined unless the op saves its output
  };
  static constexpr int64_t kWatched = -1;

  void check_thread(const char* what) const;

  bool persistent_;
  bool watch_accessed_;
  bool recording_ = false;
  bool used_ = false;  // a non-persistent tape after its one gradient call
  std::thread::id owner_;
  std::unordered_map<uint64_t, int64_t> tensor_op_;  // watched id -> producing record or kWatched
  std::deque<Record> ops_;  // why: deque keeps references stable while gradient ops append
  std::vector<std::shared_ptr<Variable>> watched_variables_;
};

// This thread's active tapes, innermost last.
std::span<Tape* const> active_tapes();

// Records a finished op on the active tapes (apply() calls this).
void record_operation(const OpDef& def, const Attrs& attrs, std::span<const Tensor> inputs,
                      const Tensor& output);

}  // namespace tg
