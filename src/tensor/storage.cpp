// SPDX-License-Identifier: Apache-2.0
#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace tg {

std::shared_ptr<Storage> Storage::allocate(size_t bytes) {
  void* p = tg::allocate(bytes);
  Storage* made;
  try {
    made = new Storage(p, bytes, nullptr);
  } catch (...) {
    tg::deallocate(p, bytes);
    throw;
  }
  // why through a unique_ptr: if the shared_ptr's control block cannot be allocated, the
  // unique_ptr still owns the Storage and frees the buffer once. (Passing the raw pointer
  // made shared_ptr delete it, and the buffer was then freed a second time by the handler
  // above: found by the allocation-failure test.)
  std::unique_ptr<Storage> owned(made);
  return std::shared_ptr<Storage>(std::move(owned));
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t bytes, Deleter deleter) {
  if (!deleter) deleter = [](void*) {};
  return std::shared_ptr<Storage>(new Storage(data, bytes, std::move(deleter)));
}

Storage::~Storage() {
  if (deleter_)
    deleter_(data_);
  else
    tg::deallocate(data_, bytes_);
}

}  // namespace tg
