// The watchdog reports a loop that stays blocked, naming the flow that blocks it.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::Task;

TEST(Watchdog, ReportsABlockedLoopAndWhatBlocksIt) {
  std::mutex mutex;
  std::vector<duet::WatchdogReport> reports;
  Runtime runtime(RuntimeOptions{.loops = 1,
                                 .watchdog = true,
                                 .watchdog_threshold = 50ms,
                                 .watchdog_sink = [&](const duet::WatchdogReport& report) {
                                   std::lock_guard lock(mutex);
                                   reports.push_back(report);
                                 }});
  runtime.block_on(
      []() -> Task<void> {
        // The mistake the watchdog exists for: blocking a loop thread.
        std::this_thread::sleep_for(400ms);
        co_return;
      }(),
      "GET /slow");
  runtime.stop();
  std::lock_guard lock(mutex);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].loop_index, 0u);
  EXPECT_EQ(reports[0].running, "GET /slow");
  EXPECT_GE(reports[0].blocked_for, 50ms);
}

TEST(Watchdog, QuietWhileLoopsOnlyAwait) {
  std::atomic<int> count{0};
  Runtime runtime(RuntimeOptions{.loops = 1,
                                 .watchdog = true,
                                 .watchdog_threshold = 1000ms,
                                 .watchdog_sink = [&](const duet::WatchdogReport&) { ++count; }});
  runtime.block_on([]() -> Task<void> {
    for (int i = 0; i < 10; ++i)
      co_await duet::sleep(20ms);
    co_await duet::sync_to_async([] { std::this_thread::sleep_for(300ms); });  // blocks a sync thread: fine
  }());
  runtime.stop();
  EXPECT_EQ(count.load(), 0);
}
