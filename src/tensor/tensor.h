/* SPDX-License-Identifier: Apache-2.0 */
// Tensor: an immutable value (shape, dtype, shared storage) with a unique id that the
// gradient tape uses to follow it. Copying a Tensor copies a reference, not the data.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "tensor/dtype.h"
#include "tensor/shape.h"
#include "tensor/storage.h"

namespace tg {

// Ids for tensors and variables come from one counter, so they never collide on a tape.
uint64_t next_object_id();

class Tensor {
 public:
  Tensor() = default;  // the empty tensor: stands for "no gradient" (None / NULL)

  // Uninitialised buffer of the given shape from the caching allocator.
  static Tensor empty(const Shape& shape, DType dtype);
  static Tensor zeros(const Shape& shape, DType dtype);
  static Tensor full(const Shape& shape, DType dtype, double value);
  static Tensor scalar(double value, DType dtype) { return full(Shape{}, dtype, value); }
  // Copies `shape.numel()` elements from data.
  static Tensor from_data(const Shape& shape, DType dtype, const void* data);
  // Shares `storage` (which must hold at least numel * itemsize bytes); new id.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype);

  bool defined() const { return impl_ != nullptr; }
  explicit operator bool() const { return defined(); }

  uint64_t id() const { return impl_->id; }
  const Shape& shape() const { return impl_->shape; }
  DType dtype() const { return impl_->dtype; }
  int rank() const { return impl_->shape.rank(); }
  int64_t numel() const { return impl_->shape.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }

  const void* raw() const { return impl_->storage->data(); }
  template <class T> const T* data() const { return static_cast<const T*>(raw()); }
  // Writable access is for kernels filling a tensor they just created, before anyone else
  // sees it; tensors are values and never change after that.
  template <class T> T* mutable_data() const { return static_cast<T*>(impl_->storage->data()); }
  void* mutable_raw() const { return impl_->storage->data(); }

  // The value of a scalar (or the first element), converted to double.
  double item() const;

 private:
  struct Impl {
    // why a constructor: allocate_shared builds the Impl with parentheses, which an aggregate
    // only allows from clang 16 on (Debian 12 has clang 14).
    Impl(std::shared_ptr<Storage> s, Shape sh, DType dt, uint64_t i)
        : storage(std::move(s)), shape(std::move(sh)), dtype(dt), id(i) {}
    std::shared_ptr<Storage> storage;
    Shape shape;
    DType dtype;
    uint64_t id;
  };
  std::shared_ptr<const Impl> impl_;
};

}  // namespace tg
