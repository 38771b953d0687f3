/* SPDX-License-Identifier: Apache-2.0 */
// A reference-counted byte buffer: a block from the caching allocator, caller memory wrapped
// with a deleter (zero-copy numpy / DLPack), or, for at most kInlineBytes, bytes inside the
// block that holds the Storage itself.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace tg {

class Storage {
 public:
  using Deleter = std::function<void(void*)>;

  // Buffers up to this size share one small-object block with their Storage and its control
  // block. why: one allocation and one free per small tensor instead of two (a scalar op's
  // result costs a few hundred instructions, a third of them in the allocator).
  static constexpr size_t kInlineBytes = 64;

  // 64-byte aligned, whatever its size.
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

 private:
  struct InlineBlock;  // storage.cpp

  void* data_;
  size_t bytes_;
  Deleter deleter_;     // empty: the block came from tg::allocate, or is inline
  bool inline_ = false;  // data_ is inside this Storage's own block
};

}  // namespace tg
