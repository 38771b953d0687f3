/* SPDX-License-Identifier: Apache-2.0 */
// A reference-counted byte buffer: either a block from the caching allocator or caller
// memory wrapped with a deleter (zero-copy numpy / DLPack).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace tg {

class Storage {
 public:
  using Deleter = std::function<void(void*)>;

  static std::shared_ptr<Storage> allocate(size_t bytes);
  // Takes ownership of caller memory: `deleter(data)` runs when the last tensor using it dies.
  static std::shared_ptr<Storage> wrap(void* data, size_t bytes, Deleter deleter);

  // Only allocate() and wrap() make a Storage (Key is private); public for make_shared.
  class Key {
    friend class Storage;
    Key() = default;
  };
  Storage(Key, void* data, size_t bytes, Deleter deleter)
      : data_(data), bytes_(bytes), deleter_(std::move(deleter)) {}

  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  bool owned_by_allocator() const { return !deleter_; }

 private:
  void* data_;
  size_t bytes_;
  Deleter deleter_;  // empty: the block came from tg::allocate
};

}  // namespace tg
