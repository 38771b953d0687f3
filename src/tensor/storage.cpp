// SPDX-License-Identifier: Apache-2.0
#include "tensor/storage.h"

#include "tensor/allocator.h"

namespace tg {

std::shared_ptr<Storage> Storage::allocate(size_t bytes) {
  void* p = tg::allocate(bytes);
  // why allocate_shared: the Storage and its control block in one small block of the
  // caching allocator. If it throws, no Storage exists yet, so the buffer is freed here, once.
  try {
    return std::allocate_shared<Storage>(CachingAllocator<Storage>(), Key{}, p, bytes, nullptr);
  } catch (...) {
    tg::deallocate(p, bytes);
    throw;
  }
}

std::shared_ptr<Storage> Storage::wrap(void* data, size_t bytes, Deleter deleter) {
  if (!deleter) deleter = [](void*) {};
  return std::shared_ptr<Storage>(new Storage(Key{}, data, bytes, std::move(deleter)));
}

Storage::~Storage() {
  if (deleter_)
    deleter_(data_);
  else
    tg::deallocate(data_, bytes_);
}

}  // namespace tg
