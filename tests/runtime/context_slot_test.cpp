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

namespace {

struct Reuse {
  Context* first = nullptr;
  Context* second = nullptr;
  std::string second_label;
  bool second_clean = false;
  int destroyed_at_leave = 0;
};

// Two flows begun with enter_new(): the first ends with nothing but the slot holding it.
Task<Reuse> two_new_flows(ContextSlot& slot, Runtime& runtime, std::atomic<int>& destroyed) {
  Reuse r;
  slot.enter_new(runtime, "GET", "/a");
  r.first = Context::current();
  request_id.set("a");
  counted.set(Counted(&destroyed));
  co_await duet::sleep(1ms);
  slot.leave();
  r.destroyed_at_leave = destroyed.load();
  slot.enter_new(runtime, "POST", "/b");
  r.second = Context::current();
  r.second_label = Context::current()->label();
  r.second_clean = request_id.get() == nullptr && counted.get() == nullptr;
  co_await duet::sleep(1ms);
  slot.leave();
  co_return r;
}

struct Held {
  duet::ContextPtr kept;
  Context* second = nullptr;
  int destroyed_at_leave = 0;
};

// The first flow is still held (as a task or a sync call of it would) when the slot leaves it.
Task<Held> new_flow_while_old_one_is_held(ContextSlot& slot, Runtime& runtime, std::atomic<int>& destroyed) {
  Held h;
  slot.enter_new(runtime, "GET", "/a");
  h.kept = Context::current();
  counted.set(Counted(&destroyed));
  slot.leave();
  h.destroyed_at_leave = destroyed.load();
  slot.enter_new(runtime, "GET", "/b");
  h.second = Context::current();
  slot.leave();
  co_return h;
}

}  // namespace

TEST(ContextSlot, EnterNewUsesTheEndedFlowAgainWithNothingLeftOver) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto slot = ContextSlot::create(runtime.loop(0));
  std::atomic<int> destroyed{0};
  Reuse r = boost::asio::co_spawn(slot->executor(), two_new_flows(*slot, runtime, destroyed),
                                  boost::asio::use_future)
                .get();
  // The first flow's Local values went at leave(), as with a Context of its own...
  EXPECT_EQ(r.destroyed_at_leave, 1);
  // ...and the second flow, in the same object (no allocation per request), starts without them.
  EXPECT_EQ(r.second, r.first);
  EXPECT_EQ(r.second_label, "POST /b");
  EXPECT_TRUE(r.second_clean);
}

TEST(ContextSlot, EnterNewLeavesAFlowThatIsStillHeldAlone) {
  Runtime runtime(RuntimeOptions{.loops = 1});
  auto slot = ContextSlot::create(runtime.loop(0));
  std::atomic<int> destroyed{0};
  Held h = boost::asio::co_spawn(slot->executor(), new_flow_while_old_one_is_held(*slot, runtime, destroyed),
                                 boost::asio::use_future)
               .get();
  // Held elsewhere: not ended at leave(), not used for the next flow; it ends with its last reference.
  EXPECT_EQ(h.destroyed_at_leave, 0);
  EXPECT_NE(h.second, h.kept.get());
  EXPECT_EQ(h.kept->label(), "GET /a");
  {
    duet::ContextScope scope(h.kept.get());
    EXPECT_NE(counted.get(), nullptr);
  }
  h.kept.reset();
  EXPECT_EQ(destroyed.load(), 1);
}
