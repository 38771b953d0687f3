// SPDX-License-Identifier: Apache-2.0
// The thread pool behind parallel_for (see parallel.h for the rules it serves).
//
// One job at a time is published in the pool; the caller never waits for a helper to wake up,
// only (in parallel_for) for items a helper has started, or (in parallel_for_takeover) for a
// helper's short copy of a finished item into the output.
#include "tensor/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>
#include <vector>

namespace tg {
namespace {

std::atomic<int> g_num_threads{0};  // 0: the default
std::atomic<bool> g_stall_helpers{false};  // detail::stall_helpers_for_tests

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

using Clock = std::chrono::steady_clock;

// What both kinds of job share: a counter handing out items, a count of finished ones, the
// first error. A job is shared (shared_ptr), so a helper that wakes up late still holds a
// valid job, finds its counter exhausted and goes back to sleep without touching the work,
// which may be gone by then.
class Job {
 public:
  explicit Job(int64_t count) : count_(count) {}
  virtual ~Job() = default;
  // The caller's part: returns when every item is finished.
  virtual void lead() = 0;
  // A helper's part. Safe to call after the caller returned.
  virtual void help() = 0;

  bool join_as_helper() { return helper_slots_.fetch_sub(1, std::memory_order_relaxed) > 0; }
  void set_helper_slots(int n) { helper_slots_.store(n, std::memory_order_relaxed); }
  void rethrow_error() {
    if (error_) std::rethrow_exception(error_);
  }

 protected:
  // The next item to run, or count_ when none are left.
  int64_t claim() { return std::min(next_.fetch_add(1, std::memory_order_relaxed), count_); }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  void record_error(std::exception_ptr e) {
    std::lock_guard lock(error_mutex_);
    if (!error_) error_ = std::move(e);
    failed_.store(true, std::memory_order_relaxed);
  }
  // Called once per item by whoever finished it; the last one wakes the caller.
  void finish_one() {
    if (finished_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) finished_.notify_all();
  }
  bool all_finished() const { return finished_.load(std::memory_order_acquire) == count_; }
  void wait_until_all_finished() {
    for (int64_t f = finished_.load(std::memory_order_acquire); f < count_;
         f = finished_.load(std::memory_order_acquire))
      finished_.wait(f, std::memory_order_acquire);
  }

  const int64_t count_;

 private:
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> finished_{0};  // items done (or skipped after an error)
  std::atomic<int> helper_slots_{0};  // helpers that may still join
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;  // read by the caller only after every item finished
};

// parallel_for: every thread takes items until none are left; the caller then waits for the
// started ones.
class ForJob final : public Job {
 public:
  ForJob(int64_t count, void* body, void (*call)(void*, int64_t)) : Job(count), body_(body), call_(call) {}
  void lead() override {
    work();
    wait_until_all_finished();
  }
  void help() override { work(); }

 private:
  void work() {
    for (int64_t i = claim(); i < count_; i = claim()) {
      if (!failed()) {
        try {
          call_(body_, i);
        } catch (...) {
          record_error(std::current_exception());
        }
      }
      finish_one();
    }
  }

  void* body_;
  void (*call_)(void*, int64_t);
};

// A helper's private buffer for parallel_for_takeover, kept for its next jobs.
struct Scratch {
  void* data = nullptr;
  size_t bytes = 0;
  ~Scratch() { ::operator delete(data, std::align_val_t{64}); }
  // Null when the memory is not there (the caller then does the items).
  void* get(size_t n) {
    if (n > bytes) {
      ::operator delete(data, std::align_val_t{64});
      data = ::operator new(n, std::align_val_t{64}, std::nothrow);
      bytes = data ? n : 0;
    }
    return data;
  }
};

// parallel_for_takeover. Each item's state moves forward only:
//   kFree → kHelper (a helper computes it into its scratch) → kPublishing (the helper won:
//   it copies its result into the output) → kDone; or
//   kFree or kHelper → kCaller (the caller computes it into the output) → kDone.
// The compare-and-swap out of kHelper decides who delivers the item; a helper that loses it
// discards its result. So no helper writes the output after the caller returned: the caller
// returns when every item is kDone, and a helper writes the output only in kPublishing.
class TakeoverJob final : public Job {
 public:
  TakeoverJob(int64_t count, size_t scratch_bytes, std::shared_ptr<const detail::TakeoverWork> work)
      : Job(count),
        scratch_bytes_(scratch_bytes),
        work_(std::move(work)),
        state_(new std::atomic<int>[static_cast<size_t>(count)]),
        started_(new std::atomic<int64_t>[static_cast<size_t>(count)]) {
    for (int64_t i = 0; i < count; ++i) {
      state_[i].store(kFree, std::memory_order_relaxed);
      started_[i].store(0, std::memory_order_relaxed);
    }
  }

  void lead() override {
    // the items nobody has started, straight into the output, timed
    int64_t own = 0;
    Clock::duration own_time{};
    for (int64_t i = claim(); i < count_; i = claim()) {
      const Clock::time_point t0 = Clock::now();
      run_on_caller(i);
      own_time += Clock::now() - t0;
      ++own;
    }
    // why 1.5× the caller's mean: a helper that runs finishes its item in about the caller's
    // time, so waiting for it is cheaper than recomputing; one that the OS has descheduled
    // may not run again for milliseconds. With no item of its own to go by, take over at once.
    const int64_t grace_ns =
        own ? std::chrono::duration_cast<std::chrono::nanoseconds>(own_time * 3 / 2 / own).count() : 0;
    for (int64_t first_open = 0; !all_finished();) {
      bool helper_running = false;
      for (int64_t i = first_open; i < count_; ++i) {
        int s = state_[i].load(std::memory_order_acquire);
        if (s == kDone && i == first_open) ++first_open;
        if (s == kHelper && !failed() && now_ns() - started_[i].load(std::memory_order_relaxed) < grace_ns) {
          helper_running = true;
          continue;
        }
        // a helper has claimed it but not started it, or is late with it: it is ours now
        if (s != kFree && s != kHelper) continue;
        if (state_[i].compare_exchange_strong(s, kCaller, std::memory_order_acq_rel))
          run_on_caller(i);
        else  // the helper has just started or finished it: look again
          helper_running = true;
      }
      if (helper_running)
        std::this_thread::yield();
      else  // only publishes (short copies) are left: sleep until the last one ends
        wait_until_all_finished();
    }
  }

  void help() override {
    static thread_local Scratch scratch;
    void* buffer = scratch.get(scratch_bytes_);
    if (!buffer) return;
    for (int64_t i = claim(); i < count_; i = claim()) {
      started_[i].store(now_ns(), std::memory_order_relaxed);
      int s = kFree;
      if (!state_[i].compare_exchange_strong(s, kHelper, std::memory_order_acq_rel)) continue;  // the caller's
      if (g_stall_helpers.load(std::memory_order_relaxed))
        while (state_[i].load(std::memory_order_acquire) == kHelper) std::this_thread::yield();
      std::exception_ptr error;
      if (!failed()) {
        try {
          work_->compute(i, buffer);
        } catch (...) {
          error = std::current_exception();
        }
      }
      s = kHelper;
      if (!state_[i].compare_exchange_strong(s, kPublishing, std::memory_order_acq_rel)) continue;  // taken over
      if (error) {
        record_error(std::move(error));
      } else if (!failed()) {
        try {
          work_->publish(i, buffer);
        } catch (...) {
          record_error(std::current_exception());
        }
      }
      state_[i].store(kDone, std::memory_order_release);
      finish_one();
    }
  }

 private:
  enum : int { kFree, kHelper, kPublishing, kCaller, kDone };

  static int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  }

  // Item i, which no helper can deliver any more, into the output.
  void run_on_caller(int64_t i) {
    if (!failed()) {
      try {
        work_->compute(i, nullptr);
      } catch (...) {
        record_error(std::current_exception());
      }
    }
    state_[i].store(kDone, std::memory_order_release);
    finish_one();
  }

  const size_t scratch_bytes_;
  const std::shared_ptr<const detail::TakeoverWork> work_;
  const std::unique_ptr<std::atomic<int>[]> state_;
  const std::unique_ptr<std::atomic<int64_t>[]> started_;  // when a helper claimed item i (ns)
};

thread_local bool t_inside_parallel_for = false;

class Pool {
 public:
  void run(const std::shared_ptr<Job>& job, int helpers) {
    {
      std::lock_guard lock(mutex_);
      try {
        // why the generation: a new helper must join the job it is created for
        while (static_cast<int>(helpers_.size()) < helpers)
          helpers_.emplace_back([this, seen = generation_] { helper(seen); });
      } catch (const std::system_error&) {
        // no new thread now: the threads we have (perhaps only the caller) do the work
      }
      job->set_helper_slots(std::min(helpers, static_cast<int>(helpers_.size())));
      job_ = job;
      ++generation_;
    }
    wake_.notify_all();
    job->lead();
    std::lock_guard lock(mutex_);
    if (job_ == job) job_.reset();
  }

 private:
  void helper(uint64_t seen) {
    t_inside_parallel_for = true;
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return generation_ != seen; });
      seen = generation_;
      std::shared_ptr<Job> job = job_;
      lock.unlock();
      if (job && job->join_as_helper()) job->help();
      job.reset();  // why before locking: the last reference may free the work's operands
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

// Runs `job` with up to `threads` threads, the caller included, and rethrows its first error.
void run_job(const std::shared_ptr<Job>& job, int threads) {
  t_inside_parallel_for = true;
  try {
    pool().run(job, threads - 1);
  } catch (...) {
    t_inside_parallel_for = false;
    throw;
  }
  t_inside_parallel_for = false;
  job->rethrow_error();
}

}  // namespace

void set_num_threads(int n) { g_num_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

int num_threads() {
  const int n = g_num_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : default_threads();
}

namespace detail {

void stall_helpers_for_tests(bool on) { g_stall_helpers.store(on, std::memory_order_relaxed); }

bool runs_serially(int64_t count) { return count <= 1 || t_inside_parallel_for || num_threads() <= 1; }

void parallel_for_impl(int64_t count, void* body, void (*call)(void*, int64_t)) {
  if (runs_serially(count)) {  // nested calls too: this thread runs it all
    for (int64_t i = 0; i < count; ++i) call(body, i);
    return;
  }
  run_job(std::make_shared<ForJob>(count, body, call), static_cast<int>(std::min<int64_t>(num_threads(), count)));
}

void parallel_for_takeover_impl(int64_t count, size_t scratch_bytes, std::shared_ptr<const TakeoverWork> work) {
  if (runs_serially(count)) {
    for (int64_t i = 0; i < count; ++i) work->compute(i, nullptr);
    return;
  }
  run_job(std::make_shared<TakeoverJob>(count, scratch_bytes, std::move(work)),
          static_cast<int>(std::min<int64_t>(num_threads(), count)));
}

}  // namespace detail
}  // namespace tg
