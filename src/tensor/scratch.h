/* SPDX-License-Identifier: Apache-2.0 */
// A scratch buffer from the caching allocator (64-byte aligned) for the life of one kernel
// call or work item: kernels get temporary memory without a system allocation per call.
#pragma once

#include <cstddef>

#include "tensor/allocator.h"

namespace tg {

class Scratch {
 public:
  explicit Scratch(size_t bytes) : bytes_(bytes), p_(bytes ? allocate(bytes) : nullptr) {}
  ~Scratch() {
    if (p_) deallocate(p_, bytes_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T> T* as() const { return static_cast<T*>(p_); }

 private:
  size_t bytes_;
  void* p_;
};

}  // namespace tg
