// sync_to_async: where sync work runs (DESIGN.md §4), what comes back, and where the caller resumes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::sync_to_async;
using duet::Task;

namespace {

struct CustomError {
  int code;
};

}  // namespace

TEST(SyncToAsync, ReturnsTheValueAndResumesOnTheCallingLoopThread) {
  Runtime runtime(RuntimeOptions{.loops = 2});
  runtime.block_on([]() -> Task<void> {
    auto loop_thread = std::this_thread::get_id();
    std::thread::id sync_thread;
    int value = co_await sync_to_async([&] {
      sync_thread = std::this_thread::get_id();
      EXPECT_FALSE(duet::in_event_loop());
      return 7;
    });
    EXPECT_EQ(value, 7);
    EXPECT_NE(sync_thread, loop_thread);
    EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    EXPECT_TRUE(duet::in_event_loop());
    // A move-only result crosses too.
    auto owned = co_await sync_to_async([] { return std::make_unique<int>(9); });
    EXPECT_EQ(*owned, 9);
  }());
}

TEST(SyncToAsync, AllThreadSensitiveCallsOfOneRequestRunOnOneThreadInOrder) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    std::set<std::thread::id> threads;
    std::vector<int> order;
    for (int i = 0; i < 20; ++i) {
      co_await sync_to_async([&, i] {
        threads.insert(std::this_thread::get_id());
        order.push_back(i);
      });
    }
    // Gathered calls are queued on the same strand: same thread, in submission order.
    co_await duet::gather(sync_to_async([&] {
                            threads.insert(std::this_thread::get_id());
                            order.push_back(20);
                          }),
                          sync_to_async([&] {
                            threads.insert(std::this_thread::get_id());
                            order.push_back(21);
                          }));
    EXPECT_EQ(threads.size(), 1u);
    for (int i = 0; i < 22; ++i)
      EXPECT_EQ(order[i], i);
  }());
}

TEST(SyncToAsync, ConcurrentRequestsRunOnDifferentThreadsInParallel) {
  Runtime runtime(RuntimeOptions{.loops = 2});
  // Each request's sync call waits until both are inside their sync calls: this only finishes if the two
  // requests' strands are different threads running at the same time.
  std::latch both_inside(2);
  auto request = [&]() -> Task<std::thread::id> {
    co_return co_await sync_to_async([&] {
      both_inside.arrive_and_wait();
      return std::this_thread::get_id();
    });
  };
  auto a = duet::testing::start_request(runtime, request());
  auto b = duet::testing::start_request(runtime, request());
  ASSERT_EQ(a.wait_for(10s), std::future_status::ready);
  ASSERT_EQ(b.wait_for(10s), std::future_status::ready);
  EXPECT_NE(a.get(), b.get());
}

TEST(SyncToAsync, AStrandThreadIsReusedByALaterRequestWithItsThreadLocalState) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  // Stands in for a per-thread database connection.
  static thread_local int connections_opened_here = 0;
  auto request = []() -> Task<std::pair<std::thread::id, int>> {
    co_return co_await sync_to_async([] {
      if (connections_opened_here == 0) ++connections_opened_here;
      return std::make_pair(std::this_thread::get_id(), connections_opened_here);
    });
  };
  auto first = runtime.block_on(request());
  auto second = runtime.block_on(request());
  EXPECT_EQ(first.first, second.first);
  EXPECT_EQ(second.second, 1);  // the "connection" opened by the first request was still there
  EXPECT_EQ(runtime.sync_thread_count(), 1u);
}

TEST(SyncToAsync, ThreadInsensitiveCallsRunInParallelOnOtherThreads) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    std::latch all_inside(3);
    auto call = [&] {
      return sync_to_async(
          [&] {
            all_inside.arrive_and_wait();
            return std::this_thread::get_id();
          },
          {.thread_sensitive = false});
    };
    auto [a, b, c] = co_await duet::gather(call(), call(), call());
    EXPECT_EQ(std::set<std::thread::id>({a, b, c}).size(), 3u);
  }());
}

TEST(SyncToAsync, ExceptionsCrossUnchanged) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    try {
      co_await sync_to_async([]() -> int { throw std::out_of_range("index 12 out of range"); });
      ADD_FAILURE() << "no exception";
    } catch (const std::out_of_range& e) {
      EXPECT_STREQ(e.what(), "index 12 out of range");
    }
    try {
      co_await sync_to_async([] { throw CustomError{42}; });
      ADD_FAILURE() << "no exception";
    } catch (const CustomError& e) {
      EXPECT_EQ(e.code, 42);
    }
  }());
}

TEST(SyncToAsync, ARequestWaitsForAThreadWhenThePoolIsExhausted) {
  Runtime runtime(RuntimeOptions{.loops = 1, .sync_threads = 1});
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  auto request = [&]() -> Task<std::thread::id> {
    co_return co_await sync_to_async([&] {
      int now = ++inside;
      max_inside = std::max(max_inside.load(), now);
      std::this_thread::sleep_for(20ms);
      --inside;
      return std::this_thread::get_id();
    });
  };
  std::vector<std::future<std::thread::id>> requests;
  for (int i = 0; i < 4; ++i)
    requests.push_back(duet::testing::start_request(runtime, request()));
  std::set<std::thread::id> threads;
  for (auto& r : requests) {
    ASSERT_EQ(r.wait_for(10s), std::future_status::ready);
    threads.insert(r.get());
  }
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(SyncToAsync, CancelledWhileQueuedNeverRuns) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::atomic<bool> second_ran{false};
  std::latch first_started(1);
  std::atomic<bool> release_first{false};
  runtime.block_on([&]() -> Task<void> {
    // The first call occupies the strand; the second queues behind it and is timed out while queued.
    auto first = sync_to_async([&] {
      first_started.count_down();
      while (!release_first)
        std::this_thread::sleep_for(1ms);
    });
    auto second = [&]() -> Task<void> {
      co_await duet::sleep(5ms);  // let the first one start
      co_await sync_to_async([&] { second_ran = true; });
    };
    auto releaser = [&]() -> Task<void> {
      try {
        co_await duet::with_timeout(second(), 50ms);
        ADD_FAILURE() << "the queued call was not timed out";
      } catch (const duet::TimeoutError&) {
      }
      release_first = true;
    };
    co_await duet::gather(std::move(first), releaser());
    // Give the strand a chance to run anything still queued.
    co_await sync_to_async([] {});
  }());
  EXPECT_FALSE(second_ran);
}

TEST(SyncToAsync, CancelledWhileRunningWaitsForTheCallToEnd) {
  // The sync call uses a value owned by the cancelled coroutine: the coroutine must not unwind (and destroy
  // it) before the call is over.
  Runtime runtime(RuntimeOptions{.loops = 1});
  // A sync thread ready first: a call still queued when the timeout fires is skipped, not waited for
  // (CancelledWhileQueuedNeverRuns), and starting a thread can take longer than the timeout under TSan.
  runtime.block_on(sync_to_async([] {}));
  std::atomic<bool> call_ended{false};
  std::atomic<bool> ended_before_unwinding{false};
  struct Guard {
    std::atomic<bool>& call_ended;
    std::atomic<bool>& ended_before_unwinding;
    ~Guard() { ended_before_unwinding = call_ended.load(); }
  };
  auto task = [&]() -> Task<void> {
    Guard guard{call_ended, ended_before_unwinding};
    std::string owned = "owned by the coroutine";
    co_await sync_to_async([&] {
      std::this_thread::sleep_for(300ms);
      EXPECT_EQ(owned, "owned by the coroutine");
      call_ended = true;
    });
  };
  EXPECT_THROW(runtime.block_on(duet::with_timeout(task(), 50ms)), duet::TimeoutError);
  EXPECT_TRUE(call_ended);
  EXPECT_TRUE(ended_before_unwinding);
}

TEST(SyncToAsync, CallablesOwningResourcesAreReleasedOnce) {
  // Callables that own a shared_ptr or a string, named before the co_await (see docs/runtime.md: g++ 12
  // destroys a lambda temporary with owning captures twice when it is written inside the co_await
  // expression, GCC bug 99576).
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto shared = std::make_shared<int>(41);
  std::weak_ptr<int> watch = shared;
  long value = runtime.block_on([](std::shared_ptr<int> owned) -> Task<long> {
    auto add_one = [sp = std::move(owned)] { return long(*sp) + 1; };
    long v = co_await sync_to_async(std::move(add_one));
    std::string text(100, 'x');
    auto measure = [text] { return text.size(); };
    auto size = co_await sync_to_async(std::move(measure));
    auto greet = [name = std::string("Ada")] { return "hello " + name; };
    auto greeting = co_await sync_to_async(std::move(greet), {.thread_sensitive = false});
    co_return v + long(size) + long(greeting.size());
  }(std::move(shared)));
  EXPECT_EQ(value, 42 + 100 + 9);
  EXPECT_TRUE(watch.expired());
}

namespace {

// Alternates pure async work (the loop in io_context::run()) and sync calls (which make it leave run()
// for its polling mode), `rounds` times; counts the sync calls that ran.
Task<void> alternate(int rounds, std::atomic<int>& synced) {
  for (int i = 0; i < rounds; ++i) {
    co_await duet::sleep(std::chrono::microseconds(i % 3 == 0 ? 100 : 0));
    co_await sync_to_async([&] { ++synced; });
  }
}

}  // namespace

// The loop switches between io_context::run() and polling as sync jobs start and end; neither loses a
// handler, and a Runtime stopped in the middle of the switching still stops.
TEST(SyncToAsync, LoopModesSwitchWithoutLosingWork) {
  for (int spin : {0, 50}) {
    std::atomic<int> synced{0};
    {
      Runtime runtime(RuntimeOptions{.loops = 2, .loop_spin = std::chrono::microseconds(spin)});
      auto a = duet::testing::start_request(runtime, alternate(300, synced));
      auto b = duet::testing::start_request(runtime, alternate(300, synced));
      a.get();
      b.get();
      EXPECT_EQ(synced.load(), 600);
      // Stopped (by the destructor) while another flow is mid-way through switching.
      duet::testing::start_request(runtime, alternate(1000, synced));
      std::this_thread::sleep_for(5ms);
    }
    EXPECT_GE(synced.load(), 600);
  }
}
