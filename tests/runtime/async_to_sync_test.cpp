// async_to_sync: from a flow's sync thread, from a plain thread, never from a loop thread; deep nesting.
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::async_to_sync;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::sync_to_async;
using duet::Task;

TEST(AsyncToSync, FromAPlainThreadRunsOnAPrivateLoopAndReturnsTheValue) {
  std::thread::id caller = std::this_thread::get_id();
  std::thread::id ran_on;
  int value = async_to_sync([&]() -> Task<int> {
    ran_on = std::this_thread::get_id();
    EXPECT_TRUE(duet::in_event_loop());
    co_await duet::sleep(1ms);
    co_return 5;
  });
  EXPECT_EQ(value, 5);
  EXPECT_NE(ran_on, caller);
}

TEST(AsyncToSync, FromAPlainThreadThreadSensitiveWorkComesBackToTheCaller) {
  std::thread::id caller = std::this_thread::get_id();
  auto sync_thread = async_to_sync([]() -> Task<std::thread::id> {
    co_return co_await sync_to_async([] { return std::this_thread::get_id(); });
  });
  EXPECT_EQ(sync_thread, caller);
}

TEST(AsyncToSync, FromALoopThreadThrows) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    try {
      async_to_sync([]() -> Task<void> { co_return; });
      ADD_FAILURE() << "async_to_sync ran on a loop thread";
    } catch (const duet::SynchronousOnlyOperation& e) {
      EXPECT_NE(std::string(e.what()).find("co_await"), std::string::npos) << e.what();
    }
    co_return;
  }());
}

TEST(AsyncToSync, FromAStrandThreadRunsOnTheOriginatingLoopInTheSameFlow) {
  Runtime runtime(RuntimeOptions{.loops = 2});
  runtime.block_on([]() -> Task<void> {
    auto loop_thread = std::this_thread::get_id();
    duet::Context* flow = duet::Context::current();
    auto [inner_loop_thread, inner_flow] = co_await sync_to_async([] {
      return async_to_sync([]() -> Task<std::pair<std::thread::id, duet::Context*>> {
        co_return std::make_pair(std::this_thread::get_id(), duet::Context::current());
      });
    });
    EXPECT_EQ(inner_loop_thread, loop_thread);
    EXPECT_EQ(inner_flow, flow);
  }());
}

namespace {

// sync → async → sync → async ... `depth` levels; every sync level must be on the same strand thread and
// every async level on the same loop thread, or the nesting would deadlock or break thread affinity.
struct Threads {
  std::thread::id loop;
  std::thread::id strand;
  bool consistent = true;
};

int sync_level(Threads& threads, int depth);

Task<int> async_level(Threads& threads, int depth) {
  if (std::this_thread::get_id() != threads.loop) threads.consistent = false;
  co_await duet::sleep(1ms);
  if (depth == 0) co_return 0;
  co_return 1 + co_await sync_to_async([&threads, depth] { return sync_level(threads, depth - 1); });
}

int sync_level(Threads& threads, int depth) {
  if (threads.strand == std::thread::id()) threads.strand = std::this_thread::get_id();
  if (std::this_thread::get_id() != threads.strand) threads.consistent = false;
  if (depth == 0) return 0;
  return 1 + async_to_sync([&threads, depth] { return async_level(threads, depth - 1); });
}

}  // namespace

TEST(AsyncToSync, DeepNestingNeitherDeadlocksNorChangesThreads) {
  Runtime runtime(RuntimeOptions{.loops = 2, .sync_threads = 2});
  Threads threads;
  int levels = runtime.block_on([&]() -> Task<int> {
    threads.loop = std::this_thread::get_id();
    co_return co_await async_level(threads, 8);
  }());
  EXPECT_EQ(levels, 8);
  EXPECT_TRUE(threads.consistent);
}

TEST(AsyncToSync, DeepNestingFromAPlainThread) {
  Threads threads;
  threads.strand = std::this_thread::get_id();
  int levels = async_to_sync([&]() -> Task<int> {
    threads.loop = std::this_thread::get_id();
    co_return co_await async_level(threads, 6);
  });
  EXPECT_EQ(levels, 6);
  EXPECT_TRUE(threads.consistent);
}

TEST(AsyncToSync, ExceptionsCrossUnchangedBothWays) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    try {
      co_await sync_to_async([] {
        async_to_sync([]() -> Task<void> {
          co_await duet::sleep(1ms);
          throw std::invalid_argument("bad id 'x'");
        });
      });
      ADD_FAILURE() << "no exception";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), "bad id 'x'");
    }
  }());
  EXPECT_THROW(async_to_sync([]() -> Task<void> { throw std::length_error("too long"); }), std::length_error);
}

TEST(AsyncToSync, ManyPlainThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> sum{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      sum += async_to_sync([i]() -> Task<int> {
        co_await duet::sleep(2ms);
        co_return co_await sync_to_async([i] { return i; });
      });
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(sum.load(), 28);
}
