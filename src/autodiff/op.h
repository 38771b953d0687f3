/* SPDX-License-Identifier: Apache-2.0 */
// The op table entry: one op's name, arity, forward and gradient rule, side by side.
// Every op the library runs is an OpDef listed in op_registry(); the gradient-check tests
// walk that list, so an op cannot be added without a check.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace tg {

// Parameters of an op call. Each op reads only the fields it documents.
struct Attrs {
  std::vector<int64_t> ints;   // axes (reductions), perm (transpose), begin (slice), …
  std::vector<int64_t> ints2;  // a second list: sizes (slice), end (strided_slice), …
  std::vector<int64_t> ints3;  // a third list: strides (strided_slice), …
  Shape shape;                 // target shape (broadcast_to), input shape (gradient ops)
  int64_t axis = -1;           // softmax / log_softmax / concat / gather axis
  bool keepdims = false;
  bool transpose_a = false, transpose_b = false;
  bool flag = false;           // an op-specific switch (e.g. gelu's tanh approximation)
  double alpha = 0.0;          // an op-specific scalar (e.g. leaky_relu's slope)
  double beta = 0.0;           // a second scalar (e.g. one_hot's off value)
  DType dtype = DType::f32;    // cast target, output dtype
};

// What the tape remembers of a tensor it does not keep alive.
struct TensorMeta {
  uint64_t id = 0;
  Shape shape;
  DType dtype = DType::f32;
};

// What a record keeps for its op's gradient rule besides the saved tensors: per-call state
// of ops whose rule is not a fixed function (a custom op's callbacks and saved tensors).
struct OpState {
  virtual ~OpState() = default;
};

// Everything a gradient rule may read. Inputs and the output are available only when the
// OpDef asks the tape to save them.
struct GradContext {
  const Attrs& attrs;
  std::span<const TensorMeta> input_meta;
  std::span<const Tensor> inputs;  // saved inputs (empty span if not saved)
  const Tensor& output;            // saved output (undefined if not saved)
  const Tensor& grad;              // incoming gradient, shaped like the (first) output
  std::span<const bool> needed;    // needed[i]: is a gradient for input i wanted
  // One incoming gradient per output (grads[0] is `grad`). For an op with several outputs,
  // an output no gradient reached gets zeros of its shape and dtype, as in TensorFlow.
  std::span<const Tensor> grads;
  const OpState* state;            // the record's state (nullptr for built-in ops)
};

using ForwardFn = Tensor (*)(std::span<const Tensor> inputs, const Attrs& attrs);
// Writes one gradient per input into `grads` (leave an entry undefined for "none"). Gradient
// rules use the library's own ops, so they are themselves recorded and differentiable.
using BackwardFn = void (*)(const GradContext& ctx, std::span<Tensor> grads);

enum class Differentiability {
  rule,          // backward computes the gradient
  none,          // not differentiable: gradients are NULL (TF's NotDifferentiable)
  unregistered,  // no rule: asking for a gradient through it is an error (TF's LookupError)
};

struct OpDef {
  std::string_view name;
  int arity;  // -1: any number of inputs
  ForwardFn forward;
  BackwardFn backward;
  Differentiability differentiability = Differentiability::rule;
  // Bit i set: input i is differentiable (others get no gradient, e.g. relu_grad's mask).
  uint32_t differentiable_inputs = ~0u;
  bool saves_inputs = false;
  bool saves_output = false;
  // Input gradients come back in the output's (broadcast) shape and the tape sums them down
  // to each input's shape: broadcasting's gradient is handled in that one place.
  bool broadcasts = false;
};

// The attributes of an op called without any. why one shared object: a default argument of
// `= {}` built and destroyed an Attrs (three vectors, a shape) on every op call.
const Attrs& no_attrs();

// Runs `def` on `inputs` and records it on every active tape that watches an input.
Tensor apply(const OpDef& def, std::span<const Tensor> inputs, const Attrs& attrs = no_attrs());
inline Tensor apply(const OpDef& def, std::initializer_list<Tensor> inputs,
                    const Attrs& attrs = no_attrs()) {
  return apply(def, std::span<const Tensor>(inputs.begin(), inputs.size()), attrs);
}

// Every op of the library, in a fixed order.
std::span<const OpDef* const> op_registry();
const OpDef* find_op(std::string_view name);

}  // namespace tg
