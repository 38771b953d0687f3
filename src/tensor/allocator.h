/* SPDX-License-Identifier: Apache-2.0 */
// Size-class caching allocator (docs/design.md). A page fault costs ~11 µs per 4 KiB here, so
// a training loop must get back the buffers it used last step instead of returning them to
// the system and faulting them in again. Blocks are 64-byte aligned.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tg {

struct AllocatorStats {
  size_t bytes_in_use = 0;     // handed out and not yet returned
  size_t bytes_cached = 0;     // returned and kept for reuse
  size_t cache_hits = 0;       // allocations served from the cache
  size_t system_allocations = 0;
};

// Returns a 64-byte aligned block of at least `bytes` bytes; throws Error(out_of_memory).
void* allocate(size_t bytes);
// Gives back a block from allocate(); `bytes` is the size that was asked for.
void deallocate(void* p, size_t bytes);

// Sums over the shared cache and every thread's cache.
AllocatorStats allocator_stats();
// Returns the shared cache and this thread's cache of small blocks to the system (another
// thread's small blocks, at most 64 of each size up to 1 KiB, go back when it exits).
void allocator_release_cache();

// Memory for a small object of the library (a tensor's state, its storage, a C handle): from
// a free list of this thread when it has one of the size (up to 256 bytes; a thread keeps at
// most 512 KiB of free objects), else from the system (operator new). Aligned as operator new aligns, not to
// 64 bytes, and not counted in allocator_stats(). Throws Error(out_of_memory).
void* allocate_object(size_t bytes);
// Gives back memory from allocate_object(bytes), on any thread.
void deallocate_object(void* p, size_t bytes) noexcept;

// A standard allocator over allocate_object(), for std::allocate_shared of small objects.
template <class T>
struct CachingAllocator {
  using value_type = T;
  CachingAllocator() = default;
  template <class U>
  CachingAllocator(const CachingAllocator<U>&) noexcept {}  // NOLINT: rebinding must be implicit
  T* allocate(size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "allocate_object aligns as operator new");
    return static_cast<T*>(tg::allocate_object(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { tg::deallocate_object(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const CachingAllocator<U>&) const noexcept { return true; }
};

}  // namespace tg
