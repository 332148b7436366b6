// limit_concurrency: concurrent requests through the async test client (each in its own flow, as under the
// server) against views that hold their place for a while, and sync views on threads.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <duet/conf/settings.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/runtime.hpp>
#include <duet/runtime/gather.hpp>
#include <duet/runtime/timeout.hpp>
#include <duet/test/client.hpp>
#include <duet/urls/resolvers.hpp>
#include <duet/views/limit_concurrency.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace views = duet::views;
using namespace std::chrono_literals;
using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::urls::path;

/// What the views saw: how many were inside at once, at most, and the order they got in.
struct Seen {
  std::mutex mutex;
  int inside = 0;
  int most = 0;
  std::vector<std::string> order;

  void enter(const std::string& who) {
    std::lock_guard lock(mutex);
    most = std::max(most, ++inside);
    order.push_back(who);
  }
  void leave() {
    std::lock_guard lock(mutex);
    --inside;
  }
};
Seen seen;

std::chrono::milliseconds hold_for(HttpRequest& request) {
  return std::chrono::milliseconds(std::stoi(request.GET().get("ms").value_or("30")));
}

Task<HttpResponse> slow(HttpRequest& request) {
  seen.enter(request.GET().get("i").value_or(""));
  co_await duet::sleep(hold_for(request));
  seen.leave();
  co_return HttpResponse("done");
}

HttpResponse slow_sync(HttpRequest& request) {
  seen.enter(request.GET().get("i").value_or(""));
  std::this_thread::sleep_for(hold_for(request));
  seen.leave();
  return HttpResponse("done sync");
}

duet::asgi::Application app(duet::urls::UrlPatterns patterns) {
  duet::handlers::BaseHandler::Options options;
  options.middleware = std::vector<duet::handlers::MiddlewareSpec>{};
  options.urlconf = duet::urls::make_resolver(std::move(patterns));
  auto settings = std::make_shared<duet::conf::Settings>();
  settings->ALLOWED_HOSTS = {"testserver"};
  options.settings = settings;
  return duet::handlers::get_asgi_application(options);
}

duet::Runtime& rt() {
  static duet::Runtime runtime({.loops = 1, .sync_threads = 8});
  return runtime;
}

/// `n` GETs of `url` with ?i=<index>&ms=<hold>, all at once; their status codes in order.
Task<std::vector<int>> burst(duet::test::AsyncClient* client, std::string url, int n, int hold_ms) {
  std::vector<Task<duet::test::Response>> requests;
  for (int i = 0; i < n; ++i) {
    duet::test::Data query{{"i", std::to_string(i)}, {"ms", std::to_string(hold_ms)}};
    requests.push_back(client->get(url, query));
  }
  auto responses = co_await duet::gather(std::move(requests));
  std::vector<int> codes;
  for (auto& r : responses)
    codes.push_back(r.status_code);
  co_return codes;
}

std::vector<std::string> numbers(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i)
    out.push_back(std::to_string(i));
  return out;
}

class LimitConcurrency : public ::testing::Test {
 protected:
  void SetUp() override {
    std::lock_guard lock(seen.mutex);
    seen.inside = seen.most = 0;
    seen.order.clear();
  }
};

TEST_F(LimitConcurrency, AtMostNRunAtOnceAndTheRestGetInFirstComeFirstServed) {
  auto limit = views::limit_concurrency(3);
  duet::test::AsyncClient client(app({path("slow/", limit(slow))}));
  auto codes = rt().block_on(burst(&client, "/slow/", 10, 30));
  EXPECT_EQ(codes, std::vector<int>(10, 200));
  EXPECT_EQ(seen.most, 3);  // the limit, reached, never passed
  EXPECT_EQ(seen.order, numbers(10));
  EXPECT_EQ(seen.inside, 0);
}

TEST_F(LimitConcurrency, WithoutALimitAllRunAtOnce) {
  // The same burst undecorated: the bound above is the decorator's doing.
  duet::test::AsyncClient client(app({path("slow/", slow)}));
  auto codes = rt().block_on(burst(&client, "/slow/", 10, 30));
  EXPECT_EQ(codes, std::vector<int>(10, 200));
  EXPECT_EQ(seen.most, 10);
}

TEST_F(LimitConcurrency, ViewsDecoratedByOneObjectShareItsBudget) {
  auto limit = views::limit_concurrency(2);
  duet::test::AsyncClient client(app({path("a/", limit(slow)), path("b/", limit(slow))}));
  auto both = [&]() -> Task<std::vector<int>> {
    std::vector<Task<std::vector<int>>> bursts;
    bursts.push_back(burst(&client, "/a/", 4, 30));
    bursts.push_back(burst(&client, "/b/", 4, 30));
    auto results = co_await duet::gather(std::move(bursts));
    auto codes = results[0];
    codes.insert(codes.end(), results[1].begin(), results[1].end());
    co_return codes;
  };
  EXPECT_EQ(rt().block_on(both()), std::vector<int>(8, 200));
  EXPECT_EQ(seen.most, 2);
}

TEST_F(LimitConcurrency, AWaitPastMaxWaitGets503WithRetryAfter) {
  auto limit = views::limit_concurrency(1, 50ms);
  duet::test::AsyncClient client(app({path("slow/", limit(slow))}));
  auto run = [&]() -> Task<std::vector<duet::test::Response>> {
    std::vector<Task<duet::test::Response>> requests;
    duet::test::Data first{{"i", "0"}, {"ms", "400"}}, second{{"i", "1"}, {"ms", "0"}};
    requests.push_back(client.get("/slow/", first));
    requests.push_back(client.get("/slow/", second));
    co_return co_await duet::gather(std::move(requests));
  };
  auto responses = rt().block_on(run());
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].status_code, 200);
  EXPECT_EQ(responses[1].status_code, 503);
  EXPECT_EQ(responses[1].header("Retry-After").value_or(""), "1");
  EXPECT_NE(responses[1].content.find("too many requests"), std::string::npos);
  EXPECT_EQ(seen.order, std::vector<std::string>{"0"});  // the second never reached the view
}

TEST_F(LimitConcurrency, AWaiterWhoseRequestIsCancelledLeavesTheQueue) {
  auto limit = views::limit_concurrency(1, 2000ms);
  duet::test::AsyncClient client(app({path("slow/", limit(slow))}));
  auto run = [&]() -> Task<std::vector<int>> {
    auto holder = [&]() -> Task<int> {
      duet::test::Data query{{"i", "holder"}, {"ms", "200"}};
      auto response = co_await client.get("/slow/", query);
      co_return response.status_code;
    };
    // Two waiters given up after 50 ms (cancelled, as when the client disconnects).
    auto given_up = [&](const char* who) -> Task<int> {
      duet::test::Data query{{"i", who}, {"ms", "0"}};
      try {
        auto request = client.get("/slow/", query);
        co_await duet::with_timeout(std::move(request), 50ms);
        co_return 0;
      } catch (const duet::TimeoutError&) {
        co_return -1;
      }
    };
    std::vector<Task<int>> all;
    all.push_back(holder());
    all.push_back(given_up("gone1"));
    all.push_back(given_up("gone2"));
    auto outcomes = co_await duet::gather(std::move(all));
    // The queue is empty again and the place free: the next request goes straight in.
    duet::test::Data after{{"i", "after"}, {"ms", "0"}};
    auto next = co_await client.get("/slow/", after);
    outcomes.push_back(next.status_code);
    co_return outcomes;
  };
  EXPECT_EQ(rt().block_on(run()), (std::vector<int>{200, -1, -1, 200}));
  EXPECT_EQ(seen.order, (std::vector<std::string>{"holder", "after"}));
  EXPECT_EQ(seen.inside, 0);
}

TEST_F(LimitConcurrency, SyncViewsAreBoundedPerProcess) {
  auto limit = views::limit_concurrency(2);
  duet::test::AsyncClient client(app({path("sync/", limit(slow_sync))}));
  auto codes = rt().block_on(burst(&client, "/sync/", 6, 40));
  EXPECT_EQ(codes, std::vector<int>(6, 200));
  EXPECT_LE(seen.most, 2);
  EXPECT_EQ(seen.inside, 0);
}

TEST_F(LimitConcurrency, KeepsTheViewsKindAndName) {
  auto limit = views::limit_concurrency(4, 100ms);
  EXPECT_EQ(limit.per_loop(), 4u);
  EXPECT_EQ(limit.max_wait(), 100ms);
  duet::urls::View async_view(slow, "slow");
  duet::urls::View sync_view(slow_sync, "slow_sync");
  EXPECT_TRUE(limit(async_view).is_async());
  EXPECT_FALSE(limit(sync_view).is_async());
  EXPECT_EQ(limit(async_view).name(), "slow");
}

TEST_F(LimitConcurrency, ZeroIsRefusedWithAMessage) {
  try {
    views::limit_concurrency(0);
    FAIL() << "limit_concurrency(0) was accepted";
  } catch (const duet::conf::ImproperlyConfigured& e) {
    EXPECT_NE(std::string(e.what()).find("at least 1"), std::string::npos);
  }
}

}  // namespace
