// SPDX-License-Identifier: Apache-2.0
#include "tensor/allocator.h"

#include <array>
#include <bit>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "tensor/error.h"

namespace tg {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMinBlock = 64;
// Blocks above this size are rare (weights of huge layers) and go straight to the system.
constexpr size_t kMaxCachedBlock = size_t{1} << 30;
// A cache larger than this returns blocks to the system instead of keeping them.
constexpr size_t kMaxCachedBytes = size_t{2} << 30;

// Size classes: powers of two, with four steps between each (64, 80, 96, 112, 128, 160, …),
// so a block wastes at most 25%.
int size_class(size_t bytes) {
  if (bytes <= kMinBlock) return 0;
  const int log2 = std::bit_width(bytes - 1) - 1;  // floor(log2(bytes - 1))
  const size_t base = size_t{1} << log2;
  const int step = static_cast<int>((bytes - 1 - base) / (base / 4));
  return (log2 - 6) * 4 + step + 1;
}

size_t class_bytes(int cls) {
  if (cls == 0) return kMinBlock;
  const int log2 = (cls - 1) / 4 + 6;
  const size_t base = size_t{1} << log2;
  return base + (base / 4) * ((cls - 1) % 4 + 1);
}

constexpr int kNumClasses = 4 * 64;

// Memory from the system. why operator new: a program (or the allocation-failure test) that
// replaces the global operator new sees every allocation of the library, tensors included.
void* system_allocate(size_t bytes) {
  return ::operator new((bytes + kAlignment - 1) / kAlignment * kAlignment, std::align_val_t{kAlignment},
                        std::nothrow);
}
void system_free(void* p) { ::operator delete(p, std::align_val_t{kAlignment}); }

struct Cache {
  std::mutex mutex;
  std::array<std::vector<void*>, kNumClasses> free_blocks;
  AllocatorStats stats;
};

Cache& cache() {
  static Cache* c = new Cache;  // why: never destroyed, so tensors freed at exit stay valid
  return *c;
}

}  // namespace

void* allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;
  Cache& c = cache();
  if (bytes > kMaxCachedBlock) {
    void* p = system_allocate(bytes);
    if (!p) fail(Status::out_of_memory, "out of memory: allocation of {} bytes failed", bytes);
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use += bytes;
    ++c.stats.system_allocations;
    return p;
  }
  const int cls = size_class(bytes);
  const size_t block = class_bytes(cls);
  {
    std::lock_guard lock(c.mutex);
    auto& list = c.free_blocks[cls];
    if (!list.empty()) {
      void* p = list.back();
      list.pop_back();
      c.stats.bytes_cached -= block;
      c.stats.bytes_in_use += block;
      ++c.stats.cache_hits;
      return p;
    }
  }
  void* p = system_allocate(block);
  if (!p) fail(Status::out_of_memory, "out of memory: allocation of {} bytes failed", bytes);
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use += block;
  ++c.stats.system_allocations;
  return p;
}

void deallocate(void* p, size_t bytes) {
  if (!p) return;
  if (bytes == 0) bytes = 1;
  Cache& c = cache();
  if (bytes > kMaxCachedBlock) {
    system_free(p);
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use -= bytes;
    return;
  }
  const int cls = size_class(bytes);
  const size_t block = class_bytes(cls);
  {
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use -= block;
    if (c.stats.bytes_cached + block <= kMaxCachedBytes) {
      try {
        c.free_blocks[cls].push_back(p);
        c.stats.bytes_cached += block;
        return;
      } catch (const std::bad_alloc&) {  // why: deallocate runs in destructors; the block goes back to the system
      }
    }
  }
  system_free(p);
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

void allocator_release_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  for (auto& list : c.free_blocks) {
    for (void* p : list) system_free(p);
    list.clear();
  }
  c.stats.bytes_cached = 0;
}

}  // namespace tg
