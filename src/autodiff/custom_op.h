/* SPDX-License-Identifier: Apache-2.0 */
// Custom ops: an op whose forward and gradient rule are functions given at run time (TF's
// tf.custom_gradient and tape.record_operation, PyTorch's autograd.Function). A call runs the
// forward with this thread's recording tapes paused, then records the op itself, like a
// built-in op, on every tape that watches one of its inputs; the tape calls the gradient
// function for it. The C ABI (capi/custom_op.cpp) turns callbacks of any language into these
// functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "autodiff/op.h"
#include "autodiff/tape.h"
#include "autodiff/variable.h"

namespace tg {

class CustomOp;

// One recorded call of a custom op: what its gradient function may read. The records of
// the tapes that recorded the call keep it, and it keeps the op alive.
struct CustomCall : OpState {
  explicit CustomCall(std::shared_ptr<const CustomOp> o) : op(std::move(o)) {}
  std::shared_ptr<const CustomOp> op;  // first: destroyed after the state that may refer to it
  std::vector<Tensor> inputs;          // saved for the gradient function
  std::vector<Tensor> outputs;         // likewise
  std::vector<std::shared_ptr<Variable>> variables;  // the trainable variables the forward read
  std::shared_ptr<void> user_state;                  // what the forward kept for the gradient
  const VariableWatcher* watcher = nullptr;          // while the forward runs: its reads so far
  size_t num_inputs = 0;                             // of this call (the op may take any number)
};

struct CustomOpSpec {
  static constexpr size_t kAny = SIZE_MAX;
  std::string name;
  size_t num_inputs = 1;   // or kAny: each call decides
  size_t num_outputs = 1;  // >= 1, or kAny: each call's forward decides
  bool differentiable = true;  // false: no gradient flows through it (TF's NotDifferentiable)
  // The forward may read trainable variables: they become inputs of the record after the
  // call's inputs, and the gradient function returns gradients for them too (TF's
  // `variables=`). Otherwise reading one is an error, as TF's custom_gradient raises.
  bool accepts_variables = false;
};

class CustomOp : public std::enable_shared_from_this<CustomOp> {
 public:
  // The outputs of `inputs`: exactly spec.num_outputs of them, or 1..capacity for kAny. Runs
  // with recording paused; may keep state for the gradient in call.user_state.
  using Forward = std::function<std::vector<Tensor>(CustomCall& call, std::span<const Tensor> inputs,
                                                    size_t capacity)>;
  // One gradient per input of the call, then one per variable of call.variables (undefined
  // for "none"). output_grads: one per output (zeros where no gradient arrived); needed[i]:
  // whether input i's gradient is wanted. Its ops are recorded on the active tapes, so
  // written with differentiable ops it gives higher-order gradients.
  using Backward = std::function<std::vector<Tensor>(const CustomCall& call,
                                                     std::span<const Tensor> output_grads,
                                                     std::span<const bool> needed)>;

  // Always held by std::shared_ptr (calls keep the op alive). backward may be empty when
  // spec.differentiable is false.
  CustomOp(CustomOpSpec spec, Forward forward, Backward backward);
  CustomOp(const CustomOp&) = delete;
  CustomOp& operator=(const CustomOp&) = delete;

  const CustomOpSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }

  // Runs the op on `inputs` and records it on the active tapes that watch an input (or a
  // variable the forward read). capacity: the most outputs the caller takes (for a fixed
  // count, that count).
  std::vector<Tensor> call(std::span<const Tensor> inputs, size_t capacity) const;

 private:
  static void gradient_rule(const GradContext& ctx, std::span<Tensor> grads);
  void check_outputs(const std::vector<Tensor>& outputs, size_t capacity) const;

  CustomOpSpec spec_;
  Forward forward_;
  Backward backward_;
  OpDef def_;  // what the tape's records point to; its name is spec_.name
};

}  // namespace tg
