// SPDX-License-Identifier: Apache-2.0
// parallel_for: every item runs exactly once, on at most num_threads() threads; errors reach
// the caller; nested loops run serially; the caller finishes the work alone when helpers are
// slow to come. parallel_for_takeover: every item is delivered exactly once, by the caller or
// by a helper's publish; the caller takes over the items of stalled helpers (forced with
// detail::stall_helpers_for_tests, without sleeps); errors of taken-over items.
#include <gtest/gtest.h>

#include <atomic>
#include <algorithm>
#include <chrono>
#include <memory>
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

// ---- parallel_for_takeover -------------------------------------------------------------

constexpr int64_t kBlock = 64;  // output values per item

// What the takeover tests' items share. Owned by the work (shared_ptr): a helper may still
// compute after parallel_for_takeover returned.
struct Blocks {
  std::vector<float> out;
  std::atomic<int> caller_computes{0}, helper_computes{0}, publishes{0};
  bool helpers_throw = false;      // every helper's compute throws
  int64_t caller_throws_at = -1;   // the caller's compute of this item throws
  bool caller_waits_for_a_publish = false;
};

float value(int64_t item, int64_t j) { return static_cast<float>(item * 1000 + j) * 0.5f; }

void run_blocks(const std::shared_ptr<Blocks>& blocks, int64_t count) {
  blocks->out.assign(static_cast<size_t>(count * kBlock), -1.0f);
  float* out = blocks->out.data();
  parallel_for_takeover(
      count, kBlock * sizeof(float),
      [blocks, out](int64_t item, void* scratch) {
        if (scratch) {
          blocks->helper_computes.fetch_add(1);
          if (blocks->helpers_throw) throw std::runtime_error("helper");
        } else {
          const int nth = blocks->caller_computes.fetch_add(1);
          if (item == blocks->caller_throws_at) throw std::runtime_error("caller");
          if (blocks->caller_waits_for_a_publish && nth == 0) {  // bounded: a helper that never ran fails the test
            const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
            while (blocks->publishes.load() == 0 && std::chrono::steady_clock::now() < give_up)
              std::this_thread::yield();
          }
        }
        float* to = scratch ? static_cast<float*>(scratch) : out + item * kBlock;
        for (int64_t j = 0; j < kBlock; ++j) to[j] = value(item, j);
      },
      [blocks, out](int64_t item, const void* scratch) {
        blocks->publishes.fetch_add(1);
        std::copy_n(static_cast<const float*>(scratch), kBlock, out + item * kBlock);
      });
}

void expect_every_block(const Blocks& blocks, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = 0; j < kBlock; ++j)
      ASSERT_EQ(blocks.out[static_cast<size_t>(i * kBlock + j)], value(i, j)) << "item " << i << " value " << j;
  EXPECT_EQ(blocks.caller_computes.load() + blocks.publishes.load(), count) << "each item delivered once";
}

struct StalledHelpers {
  StalledHelpers() { detail::stall_helpers_for_tests(true); }
  ~StalledHelpers() { detail::stall_helpers_for_tests(false); }
};

TEST(ParallelForTakeover, DeliversEveryItemExactlyOnce) {
  ThreadSetting restore;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int64_t count : {0, 1, 2, 7, 500}) {
      SCOPED_TRACE(::testing::Message() << threads << " threads, " << count << " items");
      auto blocks = std::make_shared<Blocks>();
      run_blocks(blocks, count);
      expect_every_block(*blocks, count);
      if (threads == 1 || count <= 1) {
        EXPECT_EQ(blocks->helper_computes.load(), 0);
      }
    }
  }
}

TEST(ParallelForTakeover, CallerTakesOverEveryItemOfAStalledHelper) {
  ThreadSetting restore;
  StalledHelpers stalled;
  for (int threads : {2, 3})
    for (int64_t count : {2, 7, 100}) {
      SCOPED_TRACE(::testing::Message() << threads << " threads, " << count << " items");
      set_num_threads(threads);
      auto blocks = std::make_shared<Blocks>();
      run_blocks(blocks, count);
      expect_every_block(*blocks, count);
      EXPECT_EQ(blocks->publishes.load(), 0);
      EXPECT_EQ(blocks->caller_computes.load(), count);
    }
}

TEST(ParallelForTakeover, HelpersThatRunInTimePublish) {
  ThreadSetting restore;
  set_num_threads(2);
  auto blocks = std::make_shared<Blocks>();
  blocks->caller_waits_for_a_publish = true;
  run_blocks(blocks, 16);
  expect_every_block(*blocks, 16);
  EXPECT_GE(blocks->publishes.load(), 1);
}

TEST(ParallelForTakeover, ErrorOfAHelperWhoseItemWasTakenOverIsDiscarded) {
  ThreadSetting restore;
  StalledHelpers stalled;
  set_num_threads(2);
  auto blocks = std::make_shared<Blocks>();
  blocks->helpers_throw = true;
  EXPECT_NO_THROW(run_blocks(blocks, 20));
  expect_every_block(*blocks, 20);
}

TEST(ParallelForTakeover, ErrorOfTheCallersRunReachesTheCaller) {
  ThreadSetting restore;
  for (bool stall : {false, true}) {
    detail::stall_helpers_for_tests(stall);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      auto blocks = std::make_shared<Blocks>();
      blocks->caller_throws_at = 3;
      if (stall) blocks->helpers_throw = true;  // the caller's error, not a helper's, is reported
      try {
        run_blocks(blocks, 50);
        if (stall || threads == 1) ADD_FAILURE() << "no error";  // else a helper may have delivered item 3
      } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "caller");
      }
      auto after = std::make_shared<Blocks>();  // the pool still works
      run_blocks(after, 30);
      expect_every_block(*after, 30);
    }
  }
  detail::stall_helpers_for_tests(false);
}

TEST(ParallelForTakeover, NestedInParallelForRunsOnTheItemsThread) {
  ThreadSetting restore;
  set_num_threads(2);
  std::atomic<int> helper_computes{0}, delivered{0};
  parallel_for(4, [&](int64_t) {
    parallel_for_takeover(
        8, 16,
        [&](int64_t, void* scratch) {
          if (scratch) helper_computes.fetch_add(1);
          delivered.fetch_add(1);
        },
        [](int64_t, const void*) {});
  });
  EXPECT_EQ(helper_computes.load(), 0);
  EXPECT_EQ(delivered.load(), 32);
}

}  // namespace
}  // namespace tg
