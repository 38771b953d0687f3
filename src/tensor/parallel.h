/* SPDX-License-Identifier: Apache-2.0 */
// The library's one thread knob and its one parallel loop.
//
// The machines this library runs on are small and shared: two cores, other processes busy on
// them. A thread we wake may not run for several milliseconds. So parallel work is split
// into many small items taken one at a time from a shared counter, and the calling thread
// takes items too: if a helper is descheduled, the caller simply does its share, and only an
// item a helper has already started can make the caller wait.
//
// Rules for every parallel kernel in the library:
//   - Split work into items whose results do not depend on which thread runs them, and
//     combine per-item results (partial sums) in item order. Then the result is bit-for-bit
//     the same for every thread count and every run.
//   - Never run OpenBLAS threads and ours at once: every GEMM of the library runs on the
//     thread that calls it (tensor/gemm.h, tensor/blas.h); large ones are tiled into items.
//   - A parallel_for inside an item runs serially on that thread (no nested pools).
#pragma once

#include <cstdint>
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

}  // namespace tg
