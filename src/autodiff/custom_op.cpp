// SPDX-License-Identifier: Apache-2.0
#include "autodiff/custom_op.h"

#include <limits>
#include <utility>

namespace tg {
namespace {

Tensor unreachable_forward(std::span<const Tensor>, const Attrs&) {
  fail(Status::internal, "a custom op runs only through CustomOp::call");
}

// A new tensor over the same storage: the tape must know the op's outputs as the op's own,
// never as an input or a tensor it already follows (TF puts an identity on each output).
Tensor fresh(const Tensor& t) { return Tensor::from_storage(t.storage(), t.shape(), t.dtype()); }

constexpr size_t kMaxCount = std::numeric_limits<uint32_t>::max() / 2;

}  // namespace

CustomOp::CustomOp(CustomOpSpec spec, Forward forward, Backward backward)
    : spec_(std::move(spec)), forward_(std::move(forward)), backward_(std::move(backward)) {
  if (spec_.num_outputs == 0) fail(Status::invalid_argument, "custom op '{}': num_outputs must be >= 1", spec_.name);
  if (!forward_) fail(Status::invalid_argument, "custom op '{}': the forward function is missing", spec_.name);
  if (spec_.differentiable && !backward_)
    fail(Status::invalid_argument, "custom op '{}': a differentiable op needs a gradient function", spec_.name);
  def_.name = spec_.name;
  def_.arity = -1;
  def_.forward = unreachable_forward;
  def_.backward = gradient_rule;
  def_.differentiability = spec_.differentiable ? Differentiability::rule : Differentiability::none;
}

void CustomOp::check_outputs(const std::vector<Tensor>& outputs, size_t capacity) const {
  const size_t n = outputs.size();
  if (spec_.num_outputs != CustomOpSpec::kAny && n != spec_.num_outputs)
    fail(Status::invalid_argument, "custom op '{}': the forward returned {} outputs, expected {}", name(), n,
         spec_.num_outputs);
  if (n == 0 || n > capacity)
    fail(Status::invalid_argument, "custom op '{}': the forward returned {} outputs, expected 1 to {}", name(), n,
         capacity);
  for (size_t j = 0; j < n; ++j)
    if (!outputs[j]) fail(Status::invalid_argument, "custom op '{}': the forward left output {} empty", name(), j);
}

std::vector<Tensor> CustomOp::call(std::span<const Tensor> inputs, size_t capacity) const {
  const size_t n = inputs.size();
  if (spec_.num_inputs != CustomOpSpec::kAny && n != spec_.num_inputs)
    fail(Status::invalid_argument, "custom op '{}' takes {} inputs, got {}", name(), spec_.num_inputs, n);
  if (n > kMaxCount || capacity > kMaxCount)
    fail(Status::invalid_argument, "custom op '{}': {} inputs and room for {} outputs are too many", name(), n,
         capacity);
  if (spec_.num_outputs != CustomOpSpec::kAny && capacity != spec_.num_outputs)
    fail(Status::invalid_argument, "custom op '{}' has {} outputs, but the call takes {}", name(), spec_.num_outputs,
         capacity);
  if (capacity == 0) fail(Status::invalid_argument, "custom op '{}': the call takes no outputs", name());
  for (size_t i = 0; i < n; ++i)
    if (!inputs[i]) fail(Status::invalid_argument, "custom op '{}': input {} is empty", name(), i);

  auto call = std::make_shared<CustomCall>(shared_from_this());
  call->num_inputs = n;
  std::vector<Tensor> outputs;
  {
    const PauseRecording pause;
    const VariableWatcher watcher;
    call->watcher = &watcher;
    outputs = forward_(*call, inputs, capacity);
    call->watcher = nullptr;
    call->variables = watcher.variables();
  }
  check_outputs(outputs, capacity);
  for (Tensor& t : outputs) t = fresh(t);
  if (!call->variables.empty() && !spec_.accepts_variables)
    fail(Status::invalid_argument,
         "custom op '{}': the forward read the trainable variable '{}', but the op does not accept variables "
         "(its gradient would miss them): pass the variable's value as an input, or make the op accept variables",
         name(), call->variables.front()->name());
  if (!spec_.differentiable) return outputs;  // nothing would flow through the record

  // The variables' reads were hidden from the tapes: they watch them now, as a read would.
  std::vector<TensorMeta> metas;
  metas.reserve(n + call->variables.size());
  for (const Tensor& t : inputs) metas.push_back({t.id(), t.shape(), t.dtype()});
  for (const auto& v : call->variables) {
    metas.push_back({v->id(), v->shape(), v->dtype()});
    for (Tape* tape : active_tapes())
      if (!tape->paused()) tape->variable_accessed(v);
  }
  call->inputs.assign(inputs.begin(), inputs.end());
  call->outputs = outputs;
  record_operation(def_, metas, outputs, call);
  return outputs;
}

void CustomOp::gradient_rule(const GradContext& ctx, std::span<Tensor> grads) {
  const auto& call = static_cast<const CustomCall&>(*ctx.state);
  const CustomOp& op = *call.op;
  std::vector<Tensor> g = op.backward_(call, ctx.grads, ctx.needed);
  if (g.size() != grads.size())
    fail(Status::invalid_argument, "custom op '{}': the gradient function returned {} gradients, expected {}",
         op.name(), g.size(), grads.size());
  const size_t num_inputs = call.num_inputs;
  // Every gradient given is checked, wanted or not: a wrong one is a bug in the function.
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!g[i]) continue;
    const TensorMeta& m = ctx.input_meta[i];
    if (g[i].shape() != m.shape || g[i].dtype() != m.dtype) {
      const std::string what = i < num_inputs ? fmt::format("input {}", i)
                                              : fmt::format("variable '{}'", call.variables[i - num_inputs]->name());
      fail(Status::invalid_argument, "custom op '{}': the gradient for {} is {} {}, but {} is {} {}", op.name(),
           what, dtype_name(g[i].dtype()), g[i].shape().str(), what, dtype_name(m.dtype), m.shape.str());
    }
    if (ctx.needed[i]) grads[i] = std::move(g[i]);
  }
}

}  // namespace tg
