// gather's guarantees: which failure it reports, that its children are cancelled and finished before it
// returns, that cancelling it cancels them, that they run in its flow, and that it holds at scale.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Context;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::Task;

namespace {

bool is_cancellation(const boost::system::system_error& e) {
  return e.code() == boost::asio::error::operation_aborted;
}

Task<int> ready(int value) {
  co_return value;
}

Task<int> after(int value, std::chrono::milliseconds delay) {
  co_await duet::sleep(delay);
  co_return value;
}

// Suspends once and resumes through the loop, as a child awaiting a query does.
Task<int> yielding(int value) {
  auto executor = co_await boost::asio::this_coro::executor;
  auto yield = boost::asio::post(executor, boost::asio::deferred);
  co_await std::move(yield);
  co_return value;
}

Task<void> fail_after(std::chrono::milliseconds delay, std::string message) {
  co_await duet::sleep(delay);
  throw std::runtime_error(message);
}

Task<void> fail_now(std::string message) {
  throw std::runtime_error(message);
  co_return;
}

// Sleeps "forever"; when cancelled, throws an error of its own, as code that turns a cancellation into
// a failure does.
Task<void> fails_when_cancelled() {
  try {
    co_await duet::sleep(1h);
  } catch (const boost::system::system_error& e) {
    if (is_cancellation(e)) throw std::logic_error("caused by the cancellation");
    throw;
  }
}

// Sleeps "forever" and records how it ended: "cancelled", then "cleaned up" once its cleanup, which
// itself suspends, is over.
Task<void> sleeper_with_cleanup(std::string& outcome) {
  bool cancelled = false;
  try {
    co_await duet::sleep(1h);
    outcome = "finished";
  } catch (const boost::system::system_error& e) {
    cancelled = is_cancellation(e);
    outcome = cancelled ? "cancelled" : e.what();
  }
  if (cancelled) {
    // A cancelled coroutine's next co_await throws unless it says it is done with the cancellation.
    co_await boost::asio::this_coro::reset_cancellation_state();
    co_await duet::sleep(20ms);
    outcome = "cleaned up";
  }
}

Task<void> sleeper(std::string& outcome) {
  try {
    co_await duet::sleep(1h);
    outcome = "finished";
  } catch (const boost::system::system_error& e) {
    outcome = is_cancellation(e) ? "cancelled" : e.what();
  }
}

duet::Local<std::string> request_id;

// What a gathered child sees of its flow, before and after a suspension.
Task<std::string> flow_seen(Context* expected) {
  std::string seen = Context::current() == expected ? "same flow" : "other flow";
  seen += "/" + (request_id.get() ? *request_id.get() : std::string("unset"));
  co_await duet::sleep(1ms);
  seen += Context::current() == expected ? "|same flow" : "|other flow";
  seen += "/" + (request_id.get() ? *request_id.get() : std::string("unset"));
  co_return seen;
}

struct NoDefault {
  explicit NoDefault(int v) : value(v) {}
  int value;
};

Task<NoDefault> no_default(int value) {
  co_await duet::sleep(1ms);
  co_return NoDefault(value);
}

Task<std::unique_ptr<int>> boxed(int value) {
  co_return std::make_unique<int>(value);
}

}  // namespace

TEST(Gather, RethrowsTheFirstFailureToCompleteNotTheCancellationsItCaused) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  // The cancelled child comes first in argument order, and fails too, with an error of its own.
  try {
    runtime.block_on([]() -> Task<void> {
      co_await duet::gather(fails_when_cancelled(), fail_after(5ms, "first"), fails_when_cancelled());
    }());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first");
  }
  try {
    runtime.block_on([]() -> Task<void> {
      std::vector<Task<void>> tasks;
      tasks.push_back(fails_when_cancelled());
      tasks.push_back(fail_after(5ms, "first of the vector"));
      tasks.push_back(fails_when_cancelled());
      co_await duet::gather(std::move(tasks));
    }());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "first of the vector");
  }
}

TEST(Gather, SiblingsAreCancelledAndFinishedBeforeItReturns) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string a, b;
  std::string seen_at_rethrow;
  runtime.block_on([](std::string& a, std::string& b, std::string& seen) -> Task<void> {
    try {
      co_await duet::gather(sleeper_with_cleanup(a), fail_after(5ms, "boom"), sleeper_with_cleanup(b));
    } catch (const std::runtime_error&) {
      seen = a + "," + b;
    }
  }(a, b, seen_at_rethrow));
  EXPECT_EQ(seen_at_rethrow, "cleaned up,cleaned up");
}

TEST(Gather, AChildFailingAtOnceCancelsTheOthersStartedBeforeAndAfterIt) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string before, after_it;
  try {
    runtime.block_on([](std::string& before, std::string& after_it) -> Task<void> {
      co_await duet::gather(sleeper(before), fail_now("at once"), sleeper(after_it));
    }(before, after_it));
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "at once");
  }
  EXPECT_EQ(before, "cancelled");
  EXPECT_EQ(after_it, "cancelled");
}

TEST(Gather, CancellingTheGatherCancelsEveryChild) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string a, b;
  int value = 0;
  EXPECT_THROW(runtime.block_on([](std::string& a, std::string& b, int& value) -> Task<void> {
    auto timed = duet::with_timeout(duet::gather(sleeper(a), sleeper(b), after(7, 1ms)), 20ms);
    auto [x, y, v] = co_await std::move(timed);
    value = v;
  }(a, b, value)),
               duet::TimeoutError);
  EXPECT_EQ(a, "cancelled");
  EXPECT_EQ(b, "cancelled");
  EXPECT_EQ(value, 0);

  std::vector<std::string> outcomes(100);
  EXPECT_THROW(runtime.block_on([](std::vector<std::string>& outcomes) -> Task<void> {
    std::vector<Task<void>> tasks;
    for (auto& outcome : outcomes)
      tasks.push_back(sleeper(outcome));
    auto timed = duet::with_timeout(duet::gather(std::move(tasks)), 20ms);
    co_await std::move(timed);
  }(outcomes)),
               duet::TimeoutError);
  for (const auto& outcome : outcomes)
    EXPECT_EQ(outcome, "cancelled");
}

TEST(Gather, AnAsioCancellationOfTheGatheringTaskReachesTheChildren) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string a, b, gather_outcome;
  boost::asio::cancellation_signal signal;
  std::promise<void> done;
  auto task = [](std::string& a, std::string& b, std::string& outcome) -> Task<void> {
    try {
      co_await duet::gather(sleeper_with_cleanup(a), sleeper_with_cleanup(b));
      outcome = "returned";
    } catch (const boost::system::system_error& e) {
      outcome = is_cancellation(e) ? "cancelled" : e.what();
    }
  };
  auto context = runtime.new_context("client gone");
  boost::asio::co_spawn(
      context->executor(), task(a, b, gather_outcome),
      boost::asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done.set_value(); }));
  std::this_thread::sleep_for(5ms);
  boost::asio::post(context->executor(), [&] { signal.emit(boost::asio::cancellation_type::terminal); });
  done.get_future().wait();
  // The children were told, finished their cleanup, and gather then returned (nothing failed).
  EXPECT_EQ(a, "cleaned up");
  EXPECT_EQ(b, "cleaned up");
  EXPECT_EQ(gather_outcome, "returned");
}

// Asio's own check at the co_await of gather, which gather's children rely on: gather never starts them in a
// coroutine cancelled already.
TEST(Gather, InACancelledCoroutineThrowsWithoutStartingTheChildren) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::string outcome;
  bool started = false;
  boost::asio::cancellation_signal signal;
  std::promise<void> done;
  auto task = [](std::string& outcome, bool& started) -> Task<void> {
    try {
      co_await duet::sleep(1h);
    } catch (const boost::system::system_error&) {
    }
    auto child = [](bool& started) -> Task<void> {
      started = true;
      co_return;
    };
    try {
      co_await duet::gather(child(started));
      outcome = "returned";
    } catch (const boost::system::system_error& e) {
      outcome = is_cancellation(e) ? "cancelled" : e.what();
    }
  };
  auto context = runtime.new_context("cancelled before gathering");
  boost::asio::co_spawn(
      context->executor(), task(outcome, started),
      boost::asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr) { done.set_value(); }));
  std::this_thread::sleep_for(5ms);
  boost::asio::post(context->executor(), [&] { signal.emit(boost::asio::cancellation_type::terminal); });
  done.get_future().wait();
  EXPECT_EQ(outcome, "cancelled");
  EXPECT_FALSE(started);
}

TEST(Gather, ChildrenRunInTheGatheringFlow) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto seen = runtime.block_on([]() -> Task<std::vector<std::string>> {
    request_id.set("req-7");
    Context* flow = Context::current();
    auto [a, b] = co_await duet::gather(flow_seen(flow), flow_seen(flow));
    std::vector<Task<std::string>> tasks;
    tasks.push_back(flow_seen(flow));
    tasks.push_back(flow_seen(flow));
    auto more = co_await duet::gather(std::move(tasks));
    more.push_back(a);
    more.push_back(b);
    co_return more;
  }());
  ASSERT_EQ(seen.size(), 4u);
  for (const auto& s : seen)
    EXPECT_EQ(s, "same flow/req-7|same flow/req-7");
}

TEST(Gather, AChildSetsALocalTheGatheringCoroutineSees) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto seen = runtime.block_on([]() -> Task<std::string> {
    auto setter = []() -> Task<void> {
      co_await duet::sleep(1ms);
      request_id.set("set by a child");
    };
    co_await duet::gather(setter(), duet::sleep(2ms));
    co_return *request_id.get();
  }());
  EXPECT_EQ(seen, "set by a child");
}

TEST(Gather, TwoThousandChildren) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto values = runtime.block_on([]() -> Task<std::vector<int>> {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 2000; ++i) {
      if (i % 3 == 0) {
        tasks.push_back(ready(i));
      } else if (i % 3 == 1) {
        tasks.push_back(yielding(i));
      } else {
        tasks.push_back(after(i, std::chrono::milliseconds(i % 7)));
      }
    }
    co_return co_await duet::gather(std::move(tasks));
  }());
  ASSERT_EQ(values.size(), 2000u);
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(values[i], i);
}

TEST(Gather, RepeatedGathersStartFromAFreshCancellationState) {
  // The children's cancellation signals are reused from gather to gather: one cancelled in a failed gather
  // must not leave the next gather's children cancelled.
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto total = runtime.block_on([]() -> Task<long> {
    long total = 0;
    for (int round = 0; round < 200; ++round) {
      std::vector<Task<void>> failing;
      for (int i = 0; i < 20; ++i)
        failing.push_back(i == 10 ? fail_after(0ms, "round") : duet::sleep(1h));
      try {
        co_await duet::gather(std::move(failing));
      } catch (const std::runtime_error&) {
        ++total;
      }
      std::vector<Task<int>> tasks;
      for (int i = 0; i < 20; ++i)
        tasks.push_back(i % 2 ? yielding(i) : ready(i));
      auto values = co_await duet::gather(std::move(tasks));
      for (int v : values)
        total += v;
      auto [x, y] = co_await duet::gather(ready(1), yielding(2));
      total += x + y;
    }
    co_return total;
  }());
  EXPECT_EQ(total, 200 * (1 + 190 + 3));
}

TEST(Gather, ChildrenThatFinishAtOnce) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto [a, b, c] = runtime.block_on([]() -> Task<std::tuple<int, int, std::monostate>> {
    co_return co_await duet::gather(ready(1), ready(2), []() -> Task<void> { co_return; }());
  }());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  (void)c;
  EXPECT_THROW(runtime.block_on([]() -> Task<void> {
    std::vector<Task<void>> tasks;
    tasks.push_back(fail_now("at once"));
    co_await duet::gather(std::move(tasks));
  }()),
               std::runtime_error);
}

TEST(Gather, NestedGathers) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto sum = runtime.block_on([]() -> Task<int> {
    auto inner = [](int base) -> Task<int> {
      auto [a, b] = co_await duet::gather(yielding(base), after(base + 1, 1ms));
      co_return a + b;
    };
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 10; ++i)
      tasks.push_back(inner(i * 10));
    auto values = co_await duet::gather(std::move(tasks));
    int sum = 0;
    for (int v : values)
      sum += v;
    co_return sum;
  }());
  EXPECT_EQ(sum, 2 * (0 + 10 + 20 + 30 + 40 + 50 + 60 + 70 + 80 + 90) + 10);
}

TEST(Gather, ResultsNeedNeitherADefaultConstructorNorACopy) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto [x, p] = runtime.block_on([]() -> Task<std::tuple<NoDefault, std::unique_ptr<int>>> {
    co_return co_await duet::gather(no_default(4), boxed(5));
  }());
  EXPECT_EQ(x.value, 4);
  EXPECT_EQ(*p, 5);
  auto boxes = runtime.block_on([]() -> Task<std::vector<std::unique_ptr<int>>> {
    std::vector<Task<std::unique_ptr<int>>> tasks;
    tasks.push_back(boxed(1));
    tasks.push_back(boxed(2));
    co_return co_await duet::gather(std::move(tasks));
  }());
  ASSERT_EQ(boxes.size(), 2u);
  EXPECT_EQ(*boxes[1], 2);
}

TEST(Gather, ARuntimeStoppedMidGatherUnwindsEverything) {
  // The loop goes with the children suspended: their frames and the gathering coroutine's are destroyed,
  // not leaked (ASan's leak check) and not resumed.
  std::string a, b;
  {
    Runtime runtime(RuntimeOptions{.loops = 1});
    auto pending = duet::testing::start_request(runtime, [](std::string& a, std::string& b) -> Task<void> {
      co_await duet::gather(sleeper(a), sleeper(b));
      a = "gather returned";
    }(a, b));
    std::this_thread::sleep_for(10ms);
    runtime.stop();
  }
  EXPECT_NE(a, "gather returned");
  EXPECT_NE(b, "finished");
}
