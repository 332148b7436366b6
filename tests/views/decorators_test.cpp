// require_http_methods and friends, on sync and async views, through the real handler.
#include <gtest/gtest.h>

#include <duet/views/decorators.hpp>
#include <duet/views/view.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::Task;
namespace urls = duet::urls;
namespace views = duet::views;

HttpResponse sync_view(HttpRequest& request) {
  return HttpResponse("sync " + request.method);
}
Task<HttpResponse> async_view(HttpRequest& request) {
  co_return HttpResponse("async " + request.method);
}

struct Both : views::View<Both> {
  Task<HttpResponse> get(HttpRequest&) { co_return HttpResponse("cbv get"); }
  Task<HttpResponse> post(HttpRequest&) { co_return HttpResponse("cbv post"); }
};

urls::UrlPatterns patterns() {
  return {
      urls::path("get/sync/", views::require_GET(sync_view)),
      urls::path("get/async/", views::require_GET(async_view)),
      urls::path("post/sync/", views::require_POST(sync_view)),
      urls::path("post/async/", views::require_POST(async_view)),
      urls::path("safe/sync/", views::require_safe(sync_view)),
      urls::path("safe/async/", views::require_safe(async_view)),
      urls::path("some/",
                 views::require_http_methods({"GET", "PUT"})([](HttpRequest& r) -> Task<HttpResponse> {
                   co_return HttpResponse("lambda " + r.method);
                 })),
      // Decorating a class-based view, and stacking decorators.
      urls::path("cbv/", views::require_POST(Both::as_view())),
      urls::path("stacked/", views::require_GET(views::require_safe(async_view))),
  };
}

Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}

class Decorators : public ::testing::TestWithParam<Chain> {};

TEST_P(Decorators, AllowedMethodsReachTheView) {
  App app(GetParam(), patterns(), {});
  EXPECT_EQ(app(req("GET", "/get/sync/")).body, "sync GET");
  EXPECT_EQ(app(req("GET", "/get/async/")).body, "async GET");
  EXPECT_EQ(app(req("POST", "/post/sync/")).body, "sync POST");
  EXPECT_EQ(app(req("POST", "/post/async/")).body, "async POST");
  EXPECT_EQ(app(req("HEAD", "/safe/sync/")).body, "sync HEAD");
  EXPECT_EQ(app(req("GET", "/safe/async/")).body, "async GET");
  EXPECT_EQ(app(req("PUT", "/some/")).body, "lambda PUT");
  EXPECT_EQ(app(req("POST", "/cbv/")).body, "cbv post");
  EXPECT_EQ(app(req("GET", "/stacked/")).body, "async GET");
}

TEST_P(Decorators, OtherMethodsGet405WithAllow) {
  App app(GetParam(), patterns(), {});
  struct Expect {
    const char* method;
    const char* path;
    const char* allow;
  };
  for (auto e : {Expect{"POST", "/get/sync/", "GET"}, Expect{"POST", "/get/async/", "GET"},
                 Expect{"GET", "/post/sync/", "POST"}, Expect{"GET", "/post/async/", "POST"},
                 Expect{"POST", "/safe/sync/", "GET, HEAD"}, Expect{"DELETE", "/safe/async/", "GET, HEAD"},
                 Expect{"POST", "/some/", "GET, PUT"}, Expect{"GET", "/cbv/", "POST"},
                 Expect{"HEAD", "/stacked/", "GET"}}) {
    auto r = app(req(e.method, e.path));
    EXPECT_EQ(r.status, 405) << e.method << " " << e.path;
    EXPECT_EQ(header(r, "allow"), e.allow) << e.method << " " << e.path;
  }
}

INSTANTIATE_TEST_SUITE_P(Chains, Decorators,
                         ::testing::Values(Chain::async_app, Chain::async_app_sync, Chain::sync_app),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(DecoratorKinds, TheDecoratedViewKeepsItsKindAndName) {
  EXPECT_FALSE(views::require_GET(sync_view).is_async());
  EXPECT_TRUE(views::require_GET(async_view).is_async());
  EXPECT_TRUE(views::require_POST(Both::as_view()).is_async());
  EXPECT_EQ(views::require_safe(urls::View(sync_view, "named")).name(), "named");
}

TEST(DecoratorHops, AsyncViewInAsyncChainStaysOnTheLoopEvenWhenRefused) {
  App app(Chain::async_app, patterns(), {});
  app(req("GET", "/get/async/"));
  EXPECT_EQ(app.last_hops(), 0u);
  EXPECT_EQ(app(req("POST", "/get/async/")).status, 405);
  EXPECT_EQ(app.last_hops(), 0u);
  app(req("GET", "/get/sync/"));
  EXPECT_EQ(app.last_hops(), 1u);
}

}  // namespace
