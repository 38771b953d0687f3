// SPDX-License-Identifier: Apache-2.0
#include "autodiff/variable.h"

#include <cstring>

#include "autodiff/tape.h"

namespace tg {
namespace {

Tensor copy_of(const Tensor& t) { return Tensor::from_data(t.shape(), t.dtype(), t.raw()); }

// The read of a variable, as TensorFlow's ReadVariableOp: identity from the variable's id to
// a snapshot tensor. It is not in op_registry(): it has no tensor input to check against
// finite differences, and tests/autodiff cover it through variables.
void read_backward(const GradContext& c, std::span<Tensor> g) { g[0] = c.grad; }
Tensor read_forward(std::span<const Tensor>, const Attrs&) {
  fail(Status::internal, "read_variable runs only through Variable::read");
}
const OpDef kReadVariable{.name = "read_variable", .arity = 1, .forward = read_forward,
                          .backward = read_backward};

}  // namespace

Variable::Variable(std::string name, const Tensor& initial, bool trainable)
    : id_(next_object_id()), name_(std::move(name)), trainable_(trainable), value_(copy_of(initial)) {}

Tensor Variable::read() {
  Tensor snapshot = Tensor::from_storage(value_.storage(), value_.shape(), value_.dtype());
  if (trainable_) notify_variable_read(*this);
  const auto active = active_tapes();
  if (active.empty()) return snapshot;
  const auto self = shared_from_this();
  const TensorMeta input{id_, value_.shape(), value_.dtype()};
  for (Tape* tape : active) {
    if (tape->paused()) continue;  // a custom op's forward: the op records the variable
    tape->variable_accessed(self);
    const std::span<const TensorMeta> inputs(&input, 1);
    tape->record(kReadVariable, no_attrs(), inputs, {}, snapshot);
  }
  return snapshot;
}

Tensor Variable::value() const {
  return Tensor::from_storage(value_.storage(), value_.shape(), value_.dtype());
}

void Variable::assign(const Tensor& t) {
  if (t.shape() != value_.shape() || t.dtype() != value_.dtype())
    fail(Status::invalid_argument, "assign: variable '{}' is {} {}, value is {} {}", name_,
         dtype_name(value_.dtype()), value_.shape().str(), dtype_name(t.dtype()), t.shape().str());
  value_ = copy_of(t);
}

void* Variable::mutable_buffer() {
  if (value_.storage().use_count() > 1) value_ = copy_of(value_);
  return value_.mutable_raw();
}

}  // namespace tg
