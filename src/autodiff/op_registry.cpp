// SPDX-License-Identifier: Apache-2.0
#include <vector>

#include "autodiff/ops/families.h"
#include "autodiff/tape.h"

namespace tg {

const Attrs& no_attrs() {
  static const Attrs* const none = new Attrs;  // why never destroyed: ops may run at exit
  return *none;
}

Tensor apply(const OpDef& def, std::span<const Tensor> inputs, const Attrs& attrs) {
  if (def.arity >= 0 && static_cast<int>(inputs.size()) != def.arity)
    fail(Status::internal, "{}: expected {} inputs, got {}", def.name, def.arity, inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!inputs[i]) fail(Status::invalid_argument, "{}: input {} is empty", def.name, i);
  Tensor out = def.forward(inputs, attrs);
  record_operation(def, attrs, inputs, out);
  return out;
}

std::span<const OpDef* const> op_registry() {
  static const std::vector<const OpDef*> all = [] {
    std::vector<const OpDef*> v;
    for (auto family : {ops::elementwise_ops, ops::unary_ops, ops::binary_ops, ops::matmul_ops,
                        ops::reduce_ops, ops::nn_ops, ops::movement_ops, ops::shape_ops,
                        ops::conv_ops, ops::pool_ops, ops::norm_ops})
      for (const OpDef* d : family()) v.push_back(d);
    return v;
  }();
  return all;
}

const OpDef* find_op(std::string_view name) {
  for (const OpDef* d : op_registry())
    if (d->name == name) return d;
  return nullptr;
}

}  // namespace tg
