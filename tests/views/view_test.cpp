// Class-based View through the real handler, in each chain mode.
#include <gtest/gtest.h>

#include <duet/views/view.hpp>

#include "middleware/support.hpp"

namespace {

using namespace duet_test;
using duet::Task;
namespace urls = duet::urls;
namespace views = duet::views;

HttpResponse tagged(std::string body, std::string handler) {
  HttpResponse r(std::move(body));
  r.headers.set("X-Handler", handler);
  return r;
}

struct SyncArticle : views::View<SyncArticle> {
  int calls = 0;  // per-request state: every request gets a fresh copy
  std::string greeting = "article";
  HttpResponse get(HttpRequest&) {
    ++calls;
    return tagged(greeting + " " + kwarg<std::string>("slug") + " calls=" + std::to_string(calls), "get");
  }
  HttpResponse post(HttpRequest& request) { return tagged("posted " + request.body(), "post"); }
  HttpResponse delete_(HttpRequest&) { return tagged("deleted", "delete"); }
};

struct AsyncArticle : views::View<AsyncArticle> {
  int calls = 0;
  std::string greeting = "article";
  Task<HttpResponse> get(HttpRequest&) {
    ++calls;
    co_return tagged(greeting + " " + kwarg<std::string>("slug") + " calls=" + std::to_string(calls), "get");
  }
  Task<HttpResponse> post(HttpRequest& request) {
    auto body = co_await request.abody();
    co_return tagged("posted " + std::string(body), "post");
  }
  Task<HttpResponse> delete_(HttpRequest&) { co_return tagged("deleted", "delete"); }
};

static_assert(!SyncArticle::view_is_async());
static_assert(AsyncArticle::view_is_async());

// The URL's typed captures, through kwargs and kwarg<T>.
struct Item : views::View<Item> {
  HttpResponse get(HttpRequest& request) {
    auto id = kwarg<int>("id");
    const auto* raw = request.resolver_match->find_kwarg("id");
    return HttpResponse("item " + std::to_string(id * 2) + " kwargs=" + std::to_string(kwargs.size()) +
                        " same=" + (raw && std::any_cast<std::int64_t>(*raw) == id ? "yes" : "no"));
  }
};

// Overrides of options() and http_method_not_allowed() (an async view may have an async one).
struct Custom : views::View<Custom> {
  Task<HttpResponse> get(HttpRequest&) { co_return HttpResponse("custom"); }
  HttpResponse options(HttpRequest&) { return tagged("my options", "options"); }
  Task<HttpResponse> http_method_not_allowed(HttpRequest& request) {
    co_return HttpResponse("no " + request.method, 405);
  }
};

// A head() of its own wins over the GET fallback.
struct WithHead : views::View<WithHead> {
  HttpResponse get(HttpRequest&) { return tagged("get", "get"); }
  HttpResponse head(HttpRequest&) { return tagged("", "head"); }
};

struct Mixed : views::View<Mixed> {
  HttpResponse get(HttpRequest&) { return HttpResponse("sync"); }
  Task<HttpResponse> post(HttpRequest&) { co_return HttpResponse("async"); }
};
static_assert(Mixed::handlers_are_mixed());

struct Empty : views::View<Empty> {};

// Exceptions from handlers reach the handler's exception-to-response step like any view's.
struct Raises : views::View<Raises> {
  Task<HttpResponse> get(HttpRequest&) {
    throw duet::http::Http404("no such thing");
    co_return HttpResponse();
  }
  Task<HttpResponse> post(HttpRequest&) {
    throw duet::http::PermissionDenied("no");
    co_return HttpResponse();
  }
};

// Constructor arguments given to as_view() build the prototype.
struct Greeter : views::View<Greeter> {
  explicit Greeter(std::string word) : word(std::move(word)) {}
  std::string word;
  HttpResponse get(HttpRequest&) { return HttpResponse(word); }
};

template <class V>
urls::UrlPatterns patterns_for(urls::View article) {
  return {
      urls::path("articles/<slug:slug>/", std::move(article), "article"),
      urls::path("items/<int:id>/", Item::as_view()),
      urls::path("custom/", Custom::as_view()),
      urls::path("head/", WithHead::as_view()),
      urls::path("empty/", Empty::as_view()),
      urls::path("raises/", Raises::as_view()),
      urls::path("greet/", Greeter::as_view("hello")),
  };
}

struct Case {
  Chain chain;
  bool async_view;
};

class ClassView : public ::testing::TestWithParam<Case> {
 protected:
  urls::View article() const {
    return GetParam().async_view ? AsyncArticle::as_view() : SyncArticle::as_view();
  }
  App app() const { return App(GetParam().chain, patterns_for<void>(article()), {}); }
};

TEST_P(ClassView, DispatchesByMethod) {
  auto a = app();
  auto get = a.get("/articles/hello/");
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "article hello calls=1");
  Request post;
  post.method = "POST";
  post.path = "/articles/hello/";
  post.body = "payload";
  auto p = a(post);
  EXPECT_EQ(p.body, "posted payload");
  post.method = "DELETE";
  EXPECT_EQ(header(a(post), "x-handler"), "delete");
}

TEST_P(ClassView, EachRequestGetsAFreshInstance) {
  auto a = app();
  EXPECT_EQ(a.get("/articles/x/").body, "article x calls=1");
  EXPECT_EQ(a.get("/articles/y/").body, "article y calls=1");
}

TEST_P(ClassView, MethodWithoutHandlerIs405WithAllow) {
  auto a = app();
  for (const char* method : {"PUT", "PATCH", "TRACE", "BREW", "get"}) {
    Request req;
    req.method = method;
    req.path = "/articles/x/";
    auto r = a(req);
    if (std::string(method) == "get") {
      EXPECT_EQ(r.status, 200) << "method names are matched case-insensitively, as in Django";
      continue;
    }
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(header(r, "allow"), "GET, POST, DELETE, HEAD, OPTIONS") << method;
  }
}

TEST_P(ClassView, OptionsIsAnsweredWithAllow) {
  auto a = app();
  Request req;
  req.method = "OPTIONS";
  req.path = "/articles/x/";
  auto r = a(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(header(r, "allow"), "GET, POST, DELETE, HEAD, OPTIONS");
  EXPECT_EQ(header(r, "content-length"), "0");
  req.path = "/empty/";
  EXPECT_EQ(header(a(req), "allow"), "OPTIONS");
  req.method = "GET";
  EXPECT_EQ(a(req).status, 405);
}

TEST_P(ClassView, HeadFallsBackToGetUnlessDefined) {
  auto a = app();
  Request req;
  req.method = "HEAD";
  req.path = "/articles/x/";
  auto r = a(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(header(r, "x-handler"), "get");
  req.path = "/head/";
  EXPECT_EQ(header(a(req), "x-handler"), "head");
}

TEST_P(ClassView, UrlArgumentsAreReachable) {
  auto a = app();
  EXPECT_EQ(a.get("/items/21/").body, "item 42 kwargs=1 same=yes");
}

TEST_P(ClassView, OverriddenOptionsAndNotAllowed) {
  auto a = app();
  Request req;
  req.method = "OPTIONS";
  req.path = "/custom/";
  EXPECT_EQ(a(req).body, "my options");
  req.method = "POST";
  auto r = a(req);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, "no POST");
}

TEST_P(ClassView, HopsFollowTheViewsKind) {
  auto a = app();
  a.get("/articles/x/");
  const auto chain = GetParam().chain;
  const bool async_view = GetParam().async_view;
  std::uint64_t expected = 0;
  if (chain == Chain::async_app) expected = async_view ? 0 : 1;       // sync view: onto the sync strand
  if (chain == Chain::async_app_sync) expected = async_view ? 2 : 1;  // into the sync chain (+ back)
  if (chain == Chain::sync_app) expected = async_view ? 1 : 0;        // async view: async_to_sync
  EXPECT_EQ(a.last_hops(), expected);
}

TEST_P(ClassView, HandlerExceptionsBecomeResponses) {
  auto a = app();
  EXPECT_EQ(a.get("/raises/").status, 404);
  Request req;
  req.method = "POST";
  req.path = "/raises/";
  EXPECT_EQ(a(req).status, 403);
}

TEST_P(ClassView, AsViewArgumentsConstructThePrototype) {
  auto a = app();
  EXPECT_EQ(a.get("/greet/").body, "hello");
}

INSTANTIATE_TEST_SUITE_P(Chains, ClassView,
                         ::testing::Values(Case{Chain::async_app, false}, Case{Chain::async_app, true},
                                           Case{Chain::async_app_sync, false},
                                           Case{Chain::async_app_sync, true}, Case{Chain::sync_app, false},
                                           Case{Chain::sync_app, true}),
                         [](const auto& info) {
                           return std::string(to_string(info.param.chain)) +
                                  (info.param.async_view ? "_async_view" : "_sync_view");
                         });

TEST(ClassViewSetup, MixedHandlersAreRefusedWhenTheViewIsMade) {
  try {
    Mixed::as_view();
    FAIL() << "as_view() accepted a view with sync and async handlers";
  } catch (const duet::conf::ImproperlyConfigured& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("Mixed HTTP handlers must either be all sync or all async"), std::string::npos)
        << message;
    EXPECT_NE(message.find("sync: GET"), std::string::npos) << message;
    EXPECT_NE(message.find("async: POST"), std::string::npos) << message;
  }
}

TEST(ClassViewSetup, AsViewTakesAPrototypeAndNamesTheView) {
  SyncArticle proto;
  proto.greeting = "hi";
  auto view = SyncArticle::as_view(proto);
  EXPECT_FALSE(view.is_async());
  EXPECT_NE(view.name().find("SyncArticle"), std::string::npos);
  EXPECT_TRUE(AsyncArticle::as_view().is_async());
  App a(Chain::async_app, patterns_for<void>(view), {});
  EXPECT_EQ(a.get("/articles/x/").body, "hi x calls=1");
}

TEST(ClassViewSetup, AllowedMethodsInDjangosOrder) {
  EXPECT_EQ(SyncArticle::allowed_methods(),
            (std::vector<std::string>{"GET", "POST", "DELETE", "HEAD", "OPTIONS"}));
  EXPECT_EQ(Empty::allowed_methods(), (std::vector<std::string>{"OPTIONS"}));
  EXPECT_FALSE(Empty::view_is_async());
}

}  // namespace
