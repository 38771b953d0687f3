// SPDX-License-Identifier: Apache-2.0
// The thread pool behind parallel_for (see parallel.h for the rules it serves).
//
// One job at a time is published in the pool; a job is shared (shared_ptr), so a helper that
// wakes up late still holds a valid job, finds its counter exhausted and goes back to sleep
// without touching the body, which may be gone by then. The caller waits only for items that
// were actually started, never for a helper to wake up.
#include "tensor/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace tg {
namespace {

std::atomic<int> g_num_threads{0};  // 0: the default

int positive_env(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return 0;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != v && n > 0 && n < 4096) ? static_cast<int>(n) : 0;
}

// The CPUs this process may run on (taskset, cgroup cpusets), else all of them.
int available_cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

int default_threads() {
  // why OpenBLAS's and OpenMP's variables too: they are how users already say "this many
  // threads" to numerical code; ours comes first so it can differ from what OpenBLAS gets.
  static const int n = [] {
    for (const char* name : {"TAPEGRAD_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"})
      if (const int e = positive_env(name)) return e;
    return available_cpus();
  }();
  return n;
}

struct Job {
  int64_t count = 0;
  void* body = nullptr;
  void (*call)(void*, int64_t) = nullptr;
  std::atomic<int64_t> next{0};      // the next item to hand out
  std::atomic<int64_t> finished{0};  // items done (or skipped after an error)
  std::atomic<int> helper_slots{0};  // helpers that may still join
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  // Takes items until none are left. Safe to call after the caller returned: an exhausted
  // counter never reaches the body.
  void work() {
    for (;;) {
      const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= count) return;
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          call(body, i);
        } catch (...) {
          std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
          failed.store(true, std::memory_order_relaxed);
        }
      }
      if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == count) finished.notify_all();
    }
  }
};

thread_local bool t_inside_parallel_for = false;

class Pool {
 public:
  void run(const std::shared_ptr<Job>& job, int helpers) {
    {
      std::lock_guard lock(mutex_);
      try {
        while (static_cast<int>(helpers_.size()) < helpers) helpers_.emplace_back([this] { helper(); });
      } catch (const std::system_error&) {
        // no new thread now: the threads we have (perhaps only the caller) do the work
      }
      helpers = std::min(helpers, static_cast<int>(helpers_.size()));
      job->helper_slots.store(helpers, std::memory_order_relaxed);
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
    job->work();
    for (int64_t f = job->finished.load(std::memory_order_acquire); f < job->count;
         f = job->finished.load(std::memory_order_acquire))
      job->finished.wait(f, std::memory_order_acquire);
    std::lock_guard lock(mutex_);
    if (job_ == job) job_.reset();
  }

 private:
  void helper() {
    t_inside_parallel_for = true;
    std::unique_lock lock(mutex_);
    uint64_t seen = generation_;
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      const std::shared_ptr<Job> job = job_;
      lock.unlock();
      if (job && job->helper_slots.fetch_sub(1, std::memory_order_relaxed) > 0) job->work();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> helpers_;  // grows to num_threads() - 1, never shrinks
  std::shared_ptr<Job> job_;          // the job helpers should join, if any
  uint64_t generation_ = 0;
};

Pool& pool() {
  // why never destroyed: helpers sleep in it until the process ends, and a parallel_for may
  // still run during static destruction (e.g. from another library's destructor).
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

void set_num_threads(int n) { g_num_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

int num_threads() {
  const int n = g_num_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : default_threads();
}

namespace detail {

void parallel_for_impl(int64_t count, void* body, void (*call)(void*, int64_t)) {
  if (count <= 0) return;
  if (t_inside_parallel_for) {  // nested: this thread runs it all
    for (int64_t i = 0; i < count; ++i) call(body, i);
    return;
  }
  const int threads = num_threads();
  if (count == 1 || threads <= 1) {
    for (int64_t i = 0; i < count; ++i) call(body, i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->count = count;
  job->body = body;
  job->call = call;
  const int helpers = static_cast<int>(std::min<int64_t>(threads, count)) - 1;
  t_inside_parallel_for = true;
  try {
    pool().run(job, helpers);
  } catch (...) {
    t_inside_parallel_for = false;
    throw;
  }
  t_inside_parallel_for = false;
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace detail
}  // namespace tg
