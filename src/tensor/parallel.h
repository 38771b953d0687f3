/* SPDX-License-Identifier: Apache-2.0 */
// The library's one thread knob and its one parallel loop.
//
// The machines this library runs on are small and shared: two cores, other processes busy on
// them. A thread we wake may not run for several milliseconds. So parallel work is split
// into many small items taken one at a time from a shared counter, and the calling thread
// takes items too: if a helper is descheduled, the caller simply does its share. An item a
// helper has already started can still make the caller wait until the helper runs again;
// parallel_for_takeover removes that wait for items that produce a block of output (GEMM
// tiles): the caller computes a late helper's item again itself.
//
// Rules for every parallel kernel in the library:
//   - Split work into items whose results do not depend on which thread runs them, and
//     combine per-item results (partial sums) in item order. Then the result is bit-for-bit
//     the same for every thread count and every run.
//   - Never run OpenBLAS threads and ours at once: every GEMM of the library runs on the
//     thread that calls it (tensor/gemm.h, tensor/blas.h); large ones are tiled into items.
//   - A parallel_for inside an item runs serially on that thread (no nested pools).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace tg {

// Threads of parallel_for, the calling thread included. n <= 0 restores the default, read
// once from the environment: the first of TAPEGRAD_NUM_THREADS, OPENBLAS_NUM_THREADS and
// OMP_NUM_THREADS set to a positive integer, otherwise the CPUs this process may run on
// (its affinity mask).
void set_num_threads(int n);
int num_threads();

namespace detail {
void parallel_for_impl(int64_t count, void* body, void (*call)(void*, int64_t));

// The two halves of a parallel_for_takeover, type-erased.
class TakeoverWork {
 public:
  virtual ~TakeoverWork() = default;
  virtual void compute(int64_t item, void* scratch) const = 0;
  virtual void publish(int64_t item, const void* scratch) const = 0;
};
// True when a loop of `count` items runs on the calling thread alone (see parallel_for).
bool runs_serially(int64_t count);
void parallel_for_takeover_impl(int64_t count, size_t scratch_bytes,
                                std::shared_ptr<const TakeoverWork> work);
// For tests: while on, every helper of parallel_for_takeover waits, before computing an item,
// until the caller has taken it over. Every item is then delivered by the caller, and helpers
// compute only discarded copies, perhaps after the caller returned.
void stall_helpers_for_tests(bool on);
}  // namespace detail

// Runs body(i) once for each i in [0, count), on up to min(num_threads(), count) threads, the
// calling thread included, and returns when all have finished. Items are handed out in
// increasing order, one at a time; make each worth at least ~50 µs, since waking a helper
// costs ~10–50 µs. count <= 1, one configured thread, or a call from inside another
// parallel_for run everything on the calling thread, in order.
// If a body throws, items not yet started are skipped and the first exception is rethrown
// here once the started ones have finished.
template <class F>
void parallel_for(int64_t count, F&& body) {
  using Body = std::remove_reference_t<F>;
  detail::parallel_for_impl(count, const_cast<void*>(static_cast<const void*>(&body)),
                            [](void* b, int64_t i) { (*static_cast<Body*>(b))(i); });
}

// parallel_for for items that each produce a block of output, in which the caller never
// waits for a whole item a descheduled helper holds. compute(i, scratch) computes item i:
// with scratch == nullptr into its place in the output, otherwise into scratch (scratch_bytes
// bytes, 64-byte aligned, private to the thread); publish(i, scratch) copies such a result
// into the output. The caller computes into the output; a helper computes into its scratch
// and publishes it only if the caller has not taken the item over meanwhile. The caller, out
// of unstarted items, takes over an item a helper has been running for 1.5× the time the
// caller's own items took (a helper that runs finishes by then; one the OS has descheduled
// does not), and otherwise waits only for publishes, which are short copies.
// So the same item may be computed twice, at once, by two threads:
//   - compute must give the same bits into the output and into scratch, and write nothing
//     but its destination;
//   - a helper may still be inside compute(i, scratch) after this function returned (its
//     result is then discarded, never published): compute and publish are copied into a
//     shared object that lives until then, and must own, or hold owning references to,
//     everything compute reads (never refer to the caller's stack). publish runs only
//     before this function returns.
// Errors, nesting, one thread and count <= 1 behave as in parallel_for (everything serial
// runs compute(i, nullptr) in order); an error thrown by a helper's compute of an item the
// caller took over is discarded, the caller's own run of it decides.
template <class Compute, class Publish>
void parallel_for_takeover(int64_t count, size_t scratch_bytes, Compute compute, Publish publish) {
  if (detail::runs_serially(count)) {
    for (int64_t i = 0; i < count; ++i) compute(i, static_cast<void*>(nullptr));
    return;
  }
  class Work final : public detail::TakeoverWork {
   public:
    Work(Compute c, Publish p) : compute_(std::move(c)), publish_(std::move(p)) {}
    void compute(int64_t item, void* scratch) const override { compute_(item, scratch); }
    void publish(int64_t item, const void* scratch) const override { publish_(item, scratch); }

   private:
    Compute compute_;
    Publish publish_;
  };
  detail::parallel_for_takeover_impl(count, scratch_bytes,
                                     std::make_shared<const Work>(std::move(compute), std::move(publish)));
}

}  // namespace tg
