// SPDX-License-Identifier: Apache-2.0
#include "tensor/storage.h"

#include <cstdint>

#include "tensor/allocator.h"

namespace tg {

namespace {
constexpr size_t kAlignment = 64;  // as tg::allocate's blocks
}  // namespace

// A Storage and its bytes in one object, itself in the control block of the shared_ptr that
// owns it (allocate_shared): the whole tensor buffer is one small-object allocation.
struct Storage::InlineBlock {
  explicit InlineBlock(size_t bytes) : storage(Key{}, aligned_room(), bytes, nullptr) {
    storage.inline_ = true;
  }
  // why not alignas(64): the small-object allocator aligns only as operator new does.
  void* aligned_room() {
    const auto at = reinterpret_cast<uintptr_t>(room);
    return room + ((kAlignment - at % kAlignment) % kAlignment);
  }
  Storage storage;
  unsigned char room[kInlineBytes + kAlignment - 1];
};

std::shared_ptr<Storage> Storage::allocate(size_t bytes) {
  if (bytes <= kInlineBytes) {
    auto block = std::allocate_shared<InlineBlock>(CachingAllocator<InlineBlock>(), bytes);
    Storage* storage = &block->storage;
    return std::shared_ptr<Storage>(std::move(block), storage);  // shares the block's count
  }
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
  else if (!inline_)
    tg::deallocate(data_, bytes_);
}

}  // namespace tg
