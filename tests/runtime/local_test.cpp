// Local<T>: one value per flow, visible on every thread the flow hops to.
#include <gtest/gtest.h>

#include <latch>
#include <string>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::sync_to_async;
using duet::Task;

namespace {
duet::Local<std::string> request_id;
duet::Local<int> counter;
}  // namespace

TEST(Local, FollowsTheFlowAcrossBothAdapters) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    EXPECT_EQ(request_id.get(), nullptr);
    request_id.set("req-1");
    auto seen_in_sync = co_await sync_to_async([] { return *request_id.get(); });
    EXPECT_EQ(seen_in_sync, "req-1");
    // Set on the sync thread, seen back in the coroutine, and inside async_to_sync from there.
    auto seen_in_nested = co_await sync_to_async([] {
      counter.set(3);
      return duet::async_to_sync([]() -> Task<std::string> {
        co_await duet::sleep(1ms);
        co_return *request_id.get() + "/" + std::to_string(*counter.get());
      });
    });
    EXPECT_EQ(seen_in_nested, "req-1/3");
    EXPECT_EQ(*counter.get(), 3);
    auto seen_loose = co_await sync_to_async([] { return *request_id.get(); }, {.thread_sensitive = false});
    EXPECT_EQ(seen_loose, "req-1");
    auto [a, b] = co_await duet::gather([]() -> Task<std::string> { co_return *request_id.get(); }(),
                                        []() -> Task<std::string> { co_return *request_id.get(); }());
    EXPECT_EQ(a, "req-1");
    EXPECT_EQ(b, "req-1");
  }());
}

TEST(Local, EachRequestHasItsOwnValue) {
  Runtime runtime(RuntimeOptions{.loops = 2});
  std::latch both_set(2);
  auto request = [&](std::string id) -> Task<std::string> {
    request_id.set(id);
    // Both requests have set their value before either reads it back.
    co_await sync_to_async([&] { both_set.arrive_and_wait(); }, {.thread_sensitive = false});
    co_await duet::sleep(1ms);
    co_return co_await sync_to_async([] { return *request_id.get(); });
  };
  auto a = duet::testing::start_request(runtime, request("a"));
  auto b = duet::testing::start_request(runtime, request("b"));
  EXPECT_EQ(a.get(), "a");
  EXPECT_EQ(b.get(), "b");
}

TEST(Local, OutsideAnyFlow) {
  EXPECT_EQ(request_id.get(), nullptr);
  EXPECT_THROW(request_id.set("x"), std::logic_error);
}

TEST(Local, ValuesAreDestroyedWithTheFlow) {
  static int alive = 0;
  struct Tracked {
    Tracked() { ++alive; }
    Tracked(const Tracked&) { ++alive; }
    Tracked(Tracked&&) noexcept { ++alive; }
    ~Tracked() { --alive; }
  };
  static duet::Local<Tracked> tracked;
  {
    Runtime runtime(RuntimeOptions{.loops = 1});
    runtime.block_on([]() -> Task<void> {
      tracked.set(Tracked{});
      co_return;
    }());
    runtime.stop();
  }
  EXPECT_EQ(alive, 0);
}
