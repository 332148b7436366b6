// ContextSlot: one coroutine serving one flow after another (the server's connection), each flow current
// while the coroutine works for it, across suspensions and hops to sync threads.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <string>
#include <vector>

#include "support.hpp"

using namespace std::chrono_literals;
using duet::Context;
using duet::ContextSlot;
using duet::Runtime;
using duet::RuntimeOptions;
using duet::Task;
using duet::testing::Counted;

namespace {

duet::Local<std::string> request_id;

duet::Local<Counted> counted;

// What one "request" saw: its label at the start, after a suspension, on its sync thread, and its Local.
Task<std::string> serve_one(ContextSlot& slot, Runtime& runtime, std::string name) {
  const bool clean = request_id.get() == nullptr;  // nothing left over from the previous flow
  slot.enter(runtime.new_context(slot.loop(), name));
  std::string seen = Context::current()->label();
  request_id.set(name);
  co_await duet::sleep(1ms);
  seen.append("|").append(Context::current()->label());
  std::string in_sync =
      co_await duet::sync_to_async([] { return Context::current()->label() + "/" + *request_id.get(); });
  seen.append("|").append(in_sync).append(clean ? "|clean" : "|left over");
  slot.leave();
  co_return seen;
}

}  // namespace

// Free functions, not capturing lambdas: a lambda coroutine's captures die with the lambda temporary.
Task<std::vector<std::string>> serve_two(ContextSlot& slot, Runtime& runtime) {
  std::vector<std::string> seen;
  seen.push_back(co_await serve_one(slot, runtime, "GET /a"));
  // Between flows the coroutine works for none, also after a suspension.
  co_await duet::sleep(1ms);
  seen.push_back(Context::current() ? "in a flow" : "none");
  seen.push_back(co_await serve_one(slot, runtime, "GET /b"));
  co_return seen;
}

TEST(ContextSlot, EachFlowIsCurrentWhileTheCoroutineServesIt) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto slot = ContextSlot::create(runtime.loop(0));
  auto seen =
      boost::asio::co_spawn(slot->executor(), serve_two(*slot, runtime), boost::asio::use_future).get();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], "GET /a|GET /a|GET /a/GET /a|clean");
  EXPECT_EQ(seen[1], "none");
  EXPECT_EQ(seen[2], "GET /b|GET /b|GET /b/GET /b|clean");
}

// How many Local values were destroyed right after leave().
Task<int> enter_and_leave(ContextSlot& slot, Runtime& runtime, std::atomic<int>& destroyed) {
  slot.enter(runtime.new_context(slot.loop(), "GET /c"));
  counted.set(Counted(&destroyed));
  // A suspension, but no sync call: a sync thread drops its reference to the flow a moment after it
  // hands the result back, which would make this racy.
  co_await duet::sleep(1ms);
  slot.leave();
  EXPECT_EQ(Context::current(), nullptr);
  co_return destroyed.load();
}

TEST(ContextSlot, LeaveEndsTheFlow) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto slot = ContextSlot::create(runtime.loop(0));
  std::atomic<int> destroyed{0};
  // The slot held the last reference: the flow and its Local values are gone when leave() returns.
  EXPECT_EQ(boost::asio::co_spawn(slot->executor(), enter_and_leave(*slot, runtime, destroyed),
                                  boost::asio::use_future)
                .get(),
            1);
}

TEST(ContextSlot, HandlersOfItsExecutorRunInTheFlowOfTheMoment) {
  boost::asio::io_context loop;
  auto slot = ContextSlot::create(loop);
  Runtime runtime(RuntimeOptions{.loops = 1});
  std::vector<std::string> seen;
  auto record = [&] { seen.push_back(Context::current() ? Context::current()->label() : "none"); };
  auto executor = slot->executor();
  boost::asio::post(executor, record);
  loop.run();
  loop.restart();
  // enter() outside a handler of the slot: the thread's current flow is set until leave().
  slot->enter(runtime.new_context(loop, "GET /d"));
  boost::asio::post(executor, record);
  loop.run();
  loop.restart();
  slot->leave();
  boost::asio::post(executor, record);
  loop.run();
  EXPECT_EQ(seen, (std::vector<std::string>{"none", "GET /d", "none"}));
  EXPECT_EQ(Context::current(), nullptr);
  EXPECT_TRUE(executor == slot->executor());
  EXPECT_EQ(&boost::asio::query(executor, boost::asio::execution::context), &loop);
}
