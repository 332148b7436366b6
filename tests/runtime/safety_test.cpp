// ensure_sync_context: blocking entry points refuse loop threads, and only loop threads.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "support.hpp"

using duet::Runtime;
using duet::RuntimeOptions;
using duet::Task;

namespace {

// What a blocking API looks like in duet.
int blocking_query() {
  duet::ensure_sync_context("Book::objects().count()", "acount()");
  return 1;
}

}  // namespace

TEST(Safety, BlockingCallOnALoopThreadThrowsNamingTheAsyncAlternative) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    try {
      blocking_query();
      ADD_FAILURE() << "blocking call allowed on a loop thread";
    } catch (const duet::SynchronousOnlyOperation& e) {
      std::string message = e.what();
      EXPECT_NE(message.find("Book::objects().count()"), std::string::npos) << message;
      EXPECT_NE(message.find("acount()"), std::string::npos) << message;
      EXPECT_NE(message.find("sync_to_async"), std::string::npos) << message;
    }
    co_return;
  }());
}

TEST(Safety, GenericMessage) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([]() -> Task<void> {
    try {
      duet::ensure_sync_context();
      ADD_FAILURE();
    } catch (const duet::SynchronousOnlyOperation& e) {
      EXPECT_NE(std::string(e.what()).find("You cannot call this from an async context"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("a-prefixed async method or sync_to_async"), std::string::npos);
    }
    co_return;
  }());
}

TEST(Safety, AllowedOnSyncThreadsAndPlainThreads) {
  EXPECT_EQ(blocking_query(), 1);
  EXPECT_FALSE(duet::in_event_loop());
  Runtime runtime(RuntimeOptions{.loops = 1});
  int result = runtime.block_on([]() -> Task<int> {
    co_return co_await duet::sync_to_async([] { return blocking_query(); }) +
        co_await duet::sync_to_async([] { return blocking_query(); }, {.thread_sensitive = false});
  }());
  EXPECT_EQ(result, 2);
  int from_thread = 0;
  std::thread([&] { from_thread = blocking_query(); }).join();
  EXPECT_EQ(from_thread, 1);
}

TEST(Safety, OptOut) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  duet::allow_async_unsafe(true);
  int result = runtime.block_on([]() -> Task<int> { co_return blocking_query(); }());
  duet::allow_async_unsafe(false);
  EXPECT_EQ(result, 1);
  EXPECT_THROW(runtime.block_on([]() -> Task<int> { co_return blocking_query(); }()),
               duet::SynchronousOnlyOperation);
}

TEST(Safety, BlockOnFromALoopThreadThrowsInsteadOfDeadlocking) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  runtime.block_on([&]() -> Task<void> {
    EXPECT_THROW(runtime.block_on([]() -> Task<void> { co_return; }()), duet::SynchronousOnlyOperation);
    co_return;
  }());
}
