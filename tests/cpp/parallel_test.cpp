// SPDX-License-Identifier: Apache-2.0
// parallel_for: every item runs exactly once, on at most num_threads() threads; errors reach
// the caller; nested loops run serially; the caller finishes the work alone when helpers are
// slow to come.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tensor/parallel.h"

namespace tg {
namespace {

struct ThreadSetting {
  int saved = num_threads();
  ~ThreadSetting() { set_num_threads(saved); }
};

TEST(ParallelFor, RunsEveryItemExactlyOnce) {
  ThreadSetting restore;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int64_t count : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      parallel_for(count, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int64_t i = 0; i < count; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << i;
    }
  }
}

TEST(ParallelFor, UsesAtMostTheConfiguredThreads) {
  ThreadSetting restore;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::mutex m;
    std::set<std::thread::id> seen;
    parallel_for(64, [&](int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard lock(m);
      seen.insert(std::this_thread::get_id());
    });
    EXPECT_LE(seen.size(), static_cast<size_t>(threads));
    EXPECT_GE(seen.size(), 1u);
  }
}

TEST(ParallelFor, OneThreadRunsInOrderOnTheCaller) {
  ThreadSetting restore;
  set_num_threads(1);
  std::vector<int64_t> order;
  const auto caller = std::this_thread::get_id();
  parallel_for(10, [&](int64_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(ParallelFor, RethrowsTheFirstErrorAndStopsHandingOutItems) {
  ThreadSetting restore;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::atomic<int> ran{0};
    EXPECT_THROW(parallel_for(1000, [&](int64_t i) {
                   ran.fetch_add(1);
                   if (i == 3) throw std::runtime_error("item 3");
                 }),
                 std::runtime_error);
    EXPECT_LT(ran.load(), 1000);
    // the pool still works afterwards
    std::atomic<int> after{0};
    parallel_for(100, [&](int64_t) { after.fetch_add(1); });
    EXPECT_EQ(after.load(), 100);
  }
}

TEST(ParallelFor, NestedLoopsRunOnTheItemsThread) {
  ThreadSetting restore;
  set_num_threads(2);
  std::atomic<int> total{0}, foreign{0};
  parallel_for(8, [&](int64_t) {
    const auto outer = std::this_thread::get_id();
    parallel_for(8, [&](int64_t) {
      if (std::this_thread::get_id() != outer) foreign.fetch_add(1);
      total.fetch_add(1);
    });
  });
  EXPECT_EQ(total.load(), 64);
  EXPECT_EQ(foreign.load(), 0);
}

// A helper that is busy elsewhere (here: stuck in another caller's long item) must not hold
// up a second caller, which then does all of its own items.
TEST(ParallelFor, CallerFinishesAloneWhenTheHelperIsBusy) {
  ThreadSetting restore;
  set_num_threads(2);
  std::atomic<bool> release{false}, helper_busy{false};
  std::thread first([&] {
    parallel_for(2, [&](int64_t i) {
      if (i == 1) {  // whichever thread takes item 1 blocks until released
        helper_busy = true;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  });
  while (!helper_busy) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::atomic<int> done{0};
  parallel_for(50, [&](int64_t) { done.fetch_add(1); });
  EXPECT_EQ(done.load(), 50);
  release = true;
  first.join();
}

TEST(ParallelFor, ConcurrentCallersFromSeveralThreads) {
  ThreadSetting restore;
  set_num_threads(2);
  std::atomic<int64_t> sum{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int rep = 0; rep < 20; ++rep) parallel_for(100, [&](int64_t i) { sum.fetch_add(i); });
    });
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(sum.load(), 4 * 20 * 4950);
}

}  // namespace
}  // namespace tg
