// SPDX-License-Identifier: Apache-2.0
#include "tensor/tensor.h"

#include <atomic>
#include <cstring>

#include "tensor/allocator.h"

namespace tg {

uint64_t next_object_id() {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype) {
  Tensor t;
  // why parenthesised aggregate initialisation: the Impl is built in its block, not moved there
  t.impl_ = std::allocate_shared<const Impl>(CachingAllocator<Impl>(), std::move(storage), shape, dtype, next_object_id());
  return t;
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  const size_t bytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  return from_storage(Storage::allocate(bytes), shape, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.mutable_raw(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, DType dtype, double value) {
  Tensor t = empty(shape, dtype);
  visit_dtype(dtype, [&]<class T>() {
    T* p = t.mutable_data<T>();
    const T v = static_cast<T>(value);
    for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = v;
  });
  return t;
}

Tensor Tensor::from_data(const Shape& shape, DType dtype, const void* data) {
  Tensor t = empty(shape, dtype);
  if (t.nbytes()) std::memcpy(t.mutable_raw(), data, t.nbytes());
  return t;
}

double Tensor::item() const {
  if (numel() == 0) fail(Status::invalid_argument, "item: tensor of shape {} is empty", shape().str());
  return visit_dtype(dtype(), [&]<class T>() { return static_cast<double>(data<T>()[0]); });
}

}  // namespace tg
