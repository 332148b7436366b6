// gather, with_timeout, sleep and cancellation.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <stdexcept>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::Task;

namespace {

Task<int> value_after(int value, std::chrono::milliseconds delay) {
  co_await duet::sleep(delay);
  co_return value;
}

Task<void> fail_after(std::chrono::milliseconds delay, std::string message) {
  co_await duet::sleep(delay);
  throw std::runtime_error(message);
}

// Sleeps "forever" and records how it ended.
Task<void> sleeper(std::string& outcome) {
  try {
    co_await duet::sleep(1h);
    outcome = "finished";
  } catch (const boost::system::system_error& e) {
    outcome = e.code() == boost::asio::error::operation_aborted ? "cancelled" : e.what();
  }
}

}  // namespace

TEST(Gather, ReturnsResultsInArgumentOrder) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto [a, b, c] = runtime.block_on([]() -> Task<std::tuple<int, int, std::monostate>> {
    co_return co_await duet::gather(value_after(1, 30ms), value_after(2, 1ms), duet::sleep(5ms));
  }());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  (void)c;
}

TEST(Gather, TheFirstFailureCancelsTheRestAndIsRethrown) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string sibling;
  std::string late_failure_ran = "no";
  auto late_failure = [&]() -> Task<void> {
    co_await duet::sleep(1h);
    late_failure_ran = "yes";
    throw std::logic_error("second");
  };
  try {
    runtime.block_on([&]() -> Task<void> {
      co_await duet::gather(sleeper(sibling), fail_after(5ms, "first"), late_failure());
    }());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  EXPECT_EQ(sibling, "cancelled");
  EXPECT_EQ(late_failure_ran, "no");
}

TEST(Gather, OverAVector) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto values = runtime.block_on([]() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 50; ++i)
      tasks.push_back(value_after(i, std::chrono::milliseconds(50 - i)));
    co_return co_await duet::gather(std::move(tasks));
  }());
  ASSERT_EQ(values.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(values[i], i);
  auto empty = runtime.block_on(duet::gather(std::vector<Task<int>>{}));
  EXPECT_TRUE(empty.empty());
  EXPECT_THROW(runtime.block_on([]() -> Task<void> {
    std::vector<Task<void>> tasks;
    tasks.push_back(duet::sleep(1ms));
    tasks.push_back(fail_after(2ms, "boom"));
    co_await duet::gather(std::move(tasks));
  }()),
               std::runtime_error);
}

TEST(WithTimeout, ReturnsTheValueWhenInTime) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  EXPECT_EQ(runtime.block_on(duet::with_timeout(value_after(3, 1ms), 10s)), 3);
}

TEST(WithTimeout, CancelsTheTaskAndThrowsTimeoutError) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string outcome;
  try {
    runtime.block_on(duet::with_timeout(sleeper(outcome), 20ms));
    ADD_FAILURE() << "no timeout";
  } catch (const duet::TimeoutError& e) {
    EXPECT_EQ(e.timeout(), std::chrono::steady_clock::duration(20ms));
    EXPECT_STREQ(e.what(), "operation timed out after 20 ms");
  }
  EXPECT_EQ(outcome, "cancelled");
}

TEST(WithTimeout, PassesTheTasksOwnExceptionThrough) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  EXPECT_THROW(runtime.block_on(duet::with_timeout(fail_after(1ms, "own"), 10s)), std::runtime_error);
}

TEST(Cancellation, AnAsioCancellationSignalCancelsTheTask) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string outcome;
  boost::asio::cancellation_signal signal;
  auto context = runtime.new_context("cancelled request");
  std::promise<void> done;
  boost::asio::co_spawn(
      context->executor(), sleeper(outcome),
      boost::asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done.set_value(); }));
  // Emit on the loop that runs the task, as a server does when the client goes away.
  boost::asio::post(context->executor(), [&] { signal.emit(boost::asio::cancellation_type::terminal); });
  done.get_future().wait();
  EXPECT_EQ(outcome, "cancelled");
}
