/* SPDX-License-Identifier: Apache-2.0 */
// Variables: the only mutable state (docs/design.md). A read is a snapshot that shares the
// buffer; a later update copies the buffer first if a snapshot still holds it.
#pragma once

#include <memory>
#include <string>

#include "tensor/tensor.h"

namespace tg {

// Always held by std::shared_ptr (tapes keep the variables they watch).
class Variable : public std::enable_shared_from_this<Variable> {
 public:
  // Copies `initial` (the variable never aliases caller memory).
  Variable(std::string name, const Tensor& initial, bool trainable);

  uint64_t id() const { return id_; }  // also orders variables by construction
  const std::string& name() const { return name_; }
  bool trainable() const { return trainable_; }
  const Shape& shape() const { return value_.shape(); }
  DType dtype() const { return value_.dtype(); }

  // Reads the value inside the tape machinery: watches the variable on active tapes that
  // watch accessed variables (when trainable) and records the read.
  Tensor read();
  // The current value, not recorded (optimizers, checkpoints).
  Tensor value() const;
  // Replaces the value with a copy of `t`, which must have the same shape and dtype.
  void assign(const Tensor& t);
  // Takes `t` as the value without a copy, so it cannot fail: for loaders that commit
  // all-or-nothing. t has the variable's shape and dtype (the caller checked) and is the only
  // reference to a buffer the library allocated (not caller memory).
  void adopt(Tensor&& t) noexcept { value_ = std::move(t); }
  // A buffer the caller may update in place; copied first if a snapshot shares it.
  void* mutable_buffer();

 private:
  uint64_t id_;
  std::string name_;
  bool trainable_;
  Tensor value_;
};

}  // namespace tg
