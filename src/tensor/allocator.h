/* SPDX-License-Identifier: Apache-2.0 */
// Size-class caching allocator (docs/design.md). A page fault costs ~11 µs per 4 KiB here, so
// a training loop must get back the buffers it used last step instead of returning them to
// the system and faulting them in again. Blocks are 64-byte aligned.
#pragma once

#include <cstddef>

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

AllocatorStats allocator_stats();
// Returns every cached block to the system.
void allocator_release_cache();

}  // namespace tg
