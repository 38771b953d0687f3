// SPDX-License-Identifier: Apache-2.0
// Two levels: a shared cache of free blocks per size class behind one mutex, and in front of
// it, for small blocks, a cache per thread that needs no lock. why the second level: a small
// op call allocates four small blocks (the tensor's state, its storage, its data, the C
// handle) and frees as many; two lock/unlock pairs of the shared mutex per call cost more
// than the rest of the allocator. A thread's cache is bounded, moves blocks to and from the
// shared cache in batches (so a thread that only frees, or only allocates, takes the lock
// once per batch), and goes back to the shared cache when the thread exits.
#include "tensor/allocator.h"

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "tensor/error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define TG_ASAN_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define TG_ASAN_CACHE 1
#endif
#endif

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
constexpr int size_class(size_t bytes) {
  if (bytes <= kMinBlock) return 0;
  const int log2 = std::bit_width(bytes - 1) - 1;  // floor(log2(bytes - 1))
  const size_t base = size_t{1} << log2;
  const int step = static_cast<int>((bytes - 1 - base) >> (log2 - 2));  // quarters of base
  return (log2 - 6) * 4 + step + 1;
}

constexpr size_t class_bytes(int cls) {
  if (cls == 0) return kMinBlock;
  const auto c = static_cast<unsigned>(cls - 1);
  const size_t base = size_t{1} << (c / 4 + 6);
  return base + (base / 4) * (c % 4 + 1);
}

constexpr int kNumClasses = 4 * 64;

// The per-thread level: blocks up to 1 KiB, at most kThreadBlocks of each class.
constexpr size_t kMaxThreadBlock = 1024;
constexpr int kThreadClasses = size_class(kMaxThreadBlock) + 1;
constexpr int kThreadBlocks = 64;
constexpr int kBatch = kThreadBlocks / 2;  // moved to or from the shared cache at once
static_assert(class_bytes(kThreadClasses - 1) == kMaxThreadBlock);

// why tables: the size class of a small request and the size of a small class are on the
// path of every op call; a lookup is shorter than the arithmetic.
constexpr size_t kSmallStep = 16;
constexpr auto kSmallClass = [] {
  std::array<uint8_t, kMaxThreadBlock / kSmallStep + 1> t{};
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(size_class(i * kSmallStep));
  return t;
}();
constexpr auto kThreadClassBytes = [] {
  std::array<size_t, kThreadClasses> t{};
  for (int c = 0; c < kThreadClasses; ++c) t[static_cast<size_t>(c)] = class_bytes(c);
  return t;
}();
// Every class boundary up to kMaxThreadBlock is a multiple of kSmallStep, so rounding a
// request up to the step does not change its class.
static_assert([] {
  for (size_t b = 1; b <= kMaxThreadBlock; ++b)
    if (kSmallClass[(b + kSmallStep - 1) / kSmallStep] != size_class(b)) return false;
  return true;
}());
int small_class(size_t bytes) { return kSmallClass[(bytes + kSmallStep - 1) / kSmallStep]; }

// Memory from the system. why operator new: a program (or the allocation-failure test) that
// replaces the global operator new sees every allocation of the library, tensors included.
void* system_allocate(size_t bytes) {
  return ::operator new((bytes + kAlignment - 1) / kAlignment * kAlignment, std::align_val_t{kAlignment},
                        std::nothrow);
}
void system_free(void* p) { ::operator delete(p, std::align_val_t{kAlignment}); }

// Under AddressSanitizer a cached block is poisoned, so a use after free is still reported
// although the block never went back to the system. A block in a thread cache keeps its
// first word readable: it links the thread's free list.
void poison(void* p, size_t bytes) {
#ifdef TG_ASAN_CACHE
  ASAN_POISON_MEMORY_REGION(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}
void unpoison(void* p, size_t bytes) {
#ifdef TG_ASAN_CACHE
  ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}

// Counters a thread keeps for its own cache: written only by that thread, read by
// allocator_stats() on any thread (hence atomics, written with plain relaxed stores). They
// may be "negative" (a block freed on another thread than the one that took it): sums over
// all threads are taken modulo 2^64, which gives the right totals.
struct ThreadCounters {
  std::atomic<size_t> bytes_in_use{0};
  std::atomic<size_t> bytes_cached{0};
  std::atomic<size_t> cache_hits{0};
  static void add(std::atomic<size_t>& c, size_t v) { c.store(c.load(std::memory_order_relaxed) + v, std::memory_order_relaxed); }
};

// Small objects (allocate_object): classes of 16 bytes up to 256; a thread keeps free
// objects up to kThreadObjectBytes in all, and gets and returns them from and to the system
// beyond that. why a byte budget and not a count per size: a tape of a thousand ops holds
// a thousand tensors' states, and frees them all at once when its gradient is taken.
constexpr size_t kObjectStep = 16;
constexpr size_t kMaxObject = 256;
constexpr int kObjectClasses = kMaxObject / kObjectStep;
constexpr size_t kThreadObjectBytes = size_t{512} << 10;
int object_class(size_t bytes) { return static_cast<int>((bytes + kObjectStep - 1) / kObjectStep) - 1; }
size_t object_class_bytes(int cls) { return static_cast<size_t>(cls + 1) * kObjectStep; }

struct ThreadCache {
  std::array<void*, kThreadClasses> head{};  // free blocks, linked through their first word
  std::array<int, kThreadClasses> count{};
  std::array<void*, kObjectClasses> object_head{};  // free small objects, linked likewise
  size_t object_bytes = 0;                          // in object_head's lists
  ThreadCounters counters;
  ThreadCache* next = nullptr;  // in the list of live thread caches (guarded by the mutex)
};

struct Cache {
  std::mutex mutex;
  std::array<std::vector<void*>, kNumClasses> free_blocks;
  AllocatorStats stats;
  ThreadCache* threads = nullptr;  // live thread caches
};

Cache& cache() {
  static Cache* c = new Cache;  // why: never destroyed, so tensors freed at exit stay valid
  return *c;
}

// ---- the shared level (callers hold the mutex) ----

// Puts a free block into the shared cache; false if it must go back to the system.
bool shared_put(Cache& c, int cls, void* p) {
  const size_t block = class_bytes(cls);
  if (c.stats.bytes_cached + block > kMaxCachedBytes) return false;
  try {
    c.free_blocks[cls].push_back(p);
  } catch (const std::bad_alloc&) {  // why: deallocate runs in destructors; the block goes back to the system
    return false;
  }
  c.stats.bytes_cached += block;
  return true;
}

// ---- the per-thread level ----

// why a pointer and not the cache itself in thread-local storage: the library's static TLS
// stays a few words (src/CMakeLists.txt explains the TLS model), and a thread that never
// allocates small blocks costs nothing.
constinit thread_local ThreadCache* t_cache = nullptr;
constinit thread_local bool t_cache_closed = false;  // the thread is exiting: no new cache

// Moves every block of `tc` to the shared cache and its counters to the global ones, and
// takes it out of the list of live caches.
void close_thread_cache(ThreadCache* tc) {
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    for (int cls = 0; cls < kThreadClasses; ++cls) {
      for (void* p = tc->head[cls]; p;) {
        void* next = *static_cast<void**>(p);
        poison(p, class_bytes(cls));
        if (!shared_put(c, cls, p)) {  // the shared cache is full (rare): back to the system
          unpoison(p, class_bytes(cls));
          system_free(p);
        }
        p = next;
      }
    }
    c.stats.bytes_in_use += tc->counters.bytes_in_use.load(std::memory_order_relaxed);
    c.stats.cache_hits += tc->counters.cache_hits.load(std::memory_order_relaxed);
    for (ThreadCache** link = &c.threads; *link; link = &(*link)->next) {
      if (*link == tc) {
        *link = tc->next;
        break;
      }
    }
  }
  for (int cls = 0; cls < kObjectClasses; ++cls) {
    for (void* p = tc->object_head[cls]; p;) {
      void* next = *static_cast<void**>(p);
      unpoison(p, object_class_bytes(cls));
      ::operator delete(p);
      p = next;
    }
  }
  delete tc;
}

// Closes this thread's cache when the thread exits.
struct ThreadCacheCloser {
  bool armed = false;
  ~ThreadCacheCloser() {
    t_cache_closed = true;
    if (ThreadCache* tc = std::exchange(t_cache, nullptr)) close_thread_cache(tc);
  }
};
thread_local ThreadCacheCloser t_closer;

// This thread's cache, made on first use; nullptr while the thread exits or if it cannot be
// made (then the shared level serves every block).
ThreadCache* thread_cache() {
  if (ThreadCache* tc = t_cache) return tc;
  if (t_cache_closed) return nullptr;
  auto* tc = new (std::nothrow) ThreadCache;
  if (!tc) return nullptr;
  Cache& c = cache();
  {
    std::lock_guard lock(c.mutex);
    tc->next = c.threads;
    c.threads = tc;
  }
  t_closer.armed = true;  // why: the first use of t_closer registers its destructor
  t_cache = tc;
  return tc;
}

// A block of class cls from the thread's cache, refilled from the shared cache in one batch;
// nullptr if neither has one.
void* thread_take(ThreadCache& tc, int cls) {
  if (!tc.head[cls]) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    auto& list = c.free_blocks[cls];
    const size_t block = class_bytes(cls);
    for (int i = 0; i < kBatch && !list.empty(); ++i) {
      void* p = list.back();
      list.pop_back();
      c.stats.bytes_cached -= block;
      unpoison(p, sizeof(void*));
      *static_cast<void**>(p) = tc.head[cls];
      tc.head[cls] = p;
      ++tc.count[cls];
      ThreadCounters::add(tc.counters.bytes_cached, block);
    }
    if (!tc.head[cls]) return nullptr;
  }
  void* p = tc.head[cls];
  tc.head[cls] = *static_cast<void**>(p);
  --tc.count[cls];
  const size_t block = kThreadClassBytes[static_cast<size_t>(cls)];
  unpoison(p, block);
  ThreadCounters::add(tc.counters.bytes_cached, -block);
  ThreadCounters::add(tc.counters.bytes_in_use, block);
  ThreadCounters::add(tc.counters.cache_hits, 1);
  return p;
}

// Gives a block of class cls to the thread's cache; when its list is full, half of it goes to
// the shared cache first.
void thread_put(ThreadCache& tc, int cls, void* p) {
  const size_t block = kThreadClassBytes[static_cast<size_t>(cls)];
  if (tc.count[cls] == kThreadBlocks) {
    Cache& c = cache();
    std::lock_guard lock(c.mutex);
    for (int i = 0; i < kBatch; ++i) {
      void* q = tc.head[cls];
      tc.head[cls] = *static_cast<void**>(q);
      --tc.count[cls];
      ThreadCounters::add(tc.counters.bytes_cached, -block);
      poison(q, block);
      if (!shared_put(c, cls, q)) {  // the shared cache is full (rare): back to the system
        unpoison(q, block);
        system_free(q);
      }
    }
  }
  poison(p, block);
  unpoison(p, sizeof(void*));
  *static_cast<void**>(p) = tc.head[cls];
  tc.head[cls] = p;
  ++tc.count[cls];
  ThreadCounters::add(tc.counters.bytes_cached, block);
  ThreadCounters::add(tc.counters.bytes_in_use, -block);
}

[[noreturn]] void out_of_memory(size_t bytes) {
  fail(Status::out_of_memory, "out of memory: allocation of {} bytes failed", bytes);
}

}  // namespace

void* allocate(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes <= kMaxThreadBlock) {
    if (ThreadCache* tc = thread_cache()) {
      const int cls = small_class(bytes);
      if (void* p = thread_take(*tc, cls)) return p;
      void* p = system_allocate(class_bytes(cls));
      if (!p) out_of_memory(bytes);
      std::lock_guard lock(cache().mutex);
      ++cache().stats.system_allocations;
      ThreadCounters::add(tc->counters.bytes_in_use, class_bytes(cls));
      return p;
    }
  }
  Cache& c = cache();
  if (bytes > kMaxCachedBlock) {
    void* p = system_allocate(bytes);
    if (!p) out_of_memory(bytes);
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
      unpoison(p, block);
      return p;
    }
  }
  void* p = system_allocate(block);
  if (!p) out_of_memory(bytes);
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use += block;
  ++c.stats.system_allocations;
  return p;
}

void deallocate(void* p, size_t bytes) {
  if (!p) return;
  if (bytes == 0) bytes = 1;
  if (bytes <= kMaxThreadBlock) {
    if (ThreadCache* tc = thread_cache()) return thread_put(*tc, small_class(bytes), p);
  }
  Cache& c = cache();
  if (bytes > kMaxCachedBlock) {
    system_free(p);
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use -= bytes;
    return;
  }
  const int cls = size_class(bytes);
  {
    std::lock_guard lock(c.mutex);
    c.stats.bytes_in_use -= class_bytes(cls);
    poison(p, class_bytes(cls));
    if (shared_put(c, cls, p)) return;
    unpoison(p, class_bytes(cls));
  }
  system_free(p);
}

void* allocate_object(size_t bytes) {
  if (bytes <= kMaxObject) {
    if (ThreadCache* tc = thread_cache()) {
      const int cls = object_class(bytes);
      if (void* p = tc->object_head[cls]) {
        tc->object_head[cls] = *static_cast<void**>(p);
        tc->object_bytes -= object_class_bytes(cls);
        unpoison(p, object_class_bytes(cls));
        return p;
      }
      bytes = object_class_bytes(cls);  // so that the block can serve its whole class later
    }
  }
  void* p = ::operator new(bytes, std::nothrow);
  if (!p) out_of_memory(bytes);
  return p;
}

void deallocate_object(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (bytes <= kMaxObject) {
    ThreadCache* tc = thread_cache();
    const int cls = object_class(bytes);
    const size_t block = object_class_bytes(cls);
    if (tc && tc->object_bytes + block <= kThreadObjectBytes) {
      poison(p, block);
      unpoison(p, sizeof(void*));
      *static_cast<void**>(p) = tc->object_head[cls];
      tc->object_head[cls] = p;
      tc->object_bytes += block;
      return;
    }
  }
  ::operator delete(p);
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  AllocatorStats s = c.stats;
  for (const ThreadCache* tc = c.threads; tc; tc = tc->next) {
    s.bytes_in_use += tc->counters.bytes_in_use.load(std::memory_order_relaxed);
    s.bytes_cached += tc->counters.bytes_cached.load(std::memory_order_relaxed);
    s.cache_hits += tc->counters.cache_hits.load(std::memory_order_relaxed);
  }
  return s;
}

void allocator_release_cache() {
  Cache& c = cache();
  ThreadCache* tc = t_cache;
  std::lock_guard lock(c.mutex);
  if (tc) {  // this thread's small blocks first: to the system with the rest
    for (int cls = 0; cls < kThreadClasses; ++cls) {
      const size_t block = class_bytes(cls);
      while (void* p = tc->head[cls]) {
        tc->head[cls] = *static_cast<void**>(p);
        --tc->count[cls];
        ThreadCounters::add(tc->counters.bytes_cached, -block);
        unpoison(p, block);
        system_free(p);
      }
    }
  }
  for (int cls = 0; cls < kNumClasses; ++cls) {
    for (void* p : c.free_blocks[cls]) {  // (classes above kMaxCachedBlock stay empty)
      unpoison(p, class_bytes(cls));
      system_free(p);
    }
    c.free_blocks[cls].clear();
  }
  c.stats.bytes_cached = 0;
}

}  // namespace tg
