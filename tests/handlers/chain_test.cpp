// The middleware chain: modes, adapters only where modes change, hooks, thread affinity.
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <duet/http/json_response.hpp>
#include "support.hpp"

using duet::Task;
using duet::handlers::Middleware;
using duet::handlers::middleware_spec;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::urls::path;

namespace {

// Where each piece of a request ran, in order.
struct Trace {
  std::mutex mutex;
  std::vector<std::string> events;
  std::set<std::thread::id> sync_threads;
  void add(std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
    if (!duet::in_event_loop()) sync_threads.insert(std::this_thread::get_id());
  }
};
Trace trace;

template <int N>
struct SyncOnly : Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = false;
  HttpResponse call(HttpRequest& request) override {
    trace.add("sync" + std::to_string(N) + (duet::in_event_loop() ? "@loop" : "@sync"));
    auto response = get_response(request);
    response.headers.set("X-Sync-" + std::to_string(N), "1");
    return response;
  }
};

template <int N>
struct AsyncOnly : Middleware {
  static constexpr bool sync_capable = false;
  static constexpr bool async_capable = true;
  Task<HttpResponse> acall(HttpRequest& request) override {
    trace.add("async" + std::to_string(N) + (duet::in_event_loop() ? "@loop" : "@sync"));
    auto response = co_await aget_response(request);
    response.headers.set("X-Async-" + std::to_string(N), "1");
    co_return response;
  }
};

// The sync_and_async form: only hooks.
struct Both : Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;
  HttpResponse process_response(HttpRequest&, HttpResponse response) override {
    response.headers.set("X-Both", duet::in_event_loop() ? "loop" : "sync");
    return response;
  }
};

HttpResponse sync_view(HttpRequest&) {
  trace.add(std::string("sync view") + (duet::in_event_loop() ? "@loop" : "@sync"));
  return HttpResponse("sync view");
}

Task<HttpResponse> async_view(HttpRequest&) {
  trace.add(std::string("async view") + (duet::in_event_loop() ? "@loop" : "@sync"));
  co_return HttpResponse("async view");
}

duet::urls::UrlPatterns patterns() {
  return {path("sync/", sync_view, "sync"), path("async/", async_view, "async")};
}

struct Run {
  duet::test::Response response;
  std::uint64_t hops;
  std::vector<std::string> events;
  std::size_t sync_threads;
};

Run run(std::vector<duet::handlers::MiddlewareSpec> middleware, std::string_view url) {
  {
    std::lock_guard lock(trace.mutex);
    trace.events.clear();
    trace.sync_threads.clear();
  }
  duet::test::Client client(
      duet::handlers::get_asgi_application(duet::testing::options(std::move(middleware), patterns())));
  auto before = duet::handlers::BaseHandler::hops();
  Run r{client.get(url), 0, {}, 0};
  r.hops = duet::handlers::BaseHandler::hops() - before;
  std::lock_guard lock(trace.mutex);
  r.events = trace.events;
  r.sync_threads = trace.sync_threads.size();
  return r;
}

using Events = std::vector<std::string>;

}  // namespace

TEST(Chain, AllSyncChainWithASyncViewTakesOneHopAndOneThread) {
  auto r = run({middleware_spec<SyncOnly<1>>("s1"), middleware_spec<SyncOnly<2>>("s2")}, "/sync/");
  EXPECT_EQ(r.response.status_code, 200);
  EXPECT_EQ(r.response.content, "sync view");
  EXPECT_EQ(r.response["X-Sync-1"], "1");
  EXPECT_EQ(r.response["X-Sync-2"], "1");
  EXPECT_EQ(r.events, (Events{"sync1@sync", "sync2@sync", "sync view@sync"}));
  EXPECT_EQ(r.hops, 1u);
  EXPECT_EQ(r.sync_threads, 1u);
}

TEST(Chain, AllAsyncChainWithAnAsyncViewTakesNoHop) {
  auto r = run({middleware_spec<AsyncOnly<1>>("a1"), middleware_spec<AsyncOnly<2>>("a2")}, "/async/");
  EXPECT_EQ(r.response.status_code, 200);
  EXPECT_EQ(r.events, (Events{"async1@loop", "async2@loop", "async view@loop"}));
  EXPECT_EQ(r.hops, 0u);
}

TEST(Chain, SyncAndAsyncMiddlewareRunsInTheModeAroundIt) {
  auto r = run({middleware_spec<Both>("both")}, "/async/");
  EXPECT_EQ(r.response["X-Both"], "loop");
  EXPECT_EQ(r.hops, 0u);
  auto s = run({middleware_spec<SyncOnly<1>>("s1"), middleware_spec<Both>("both")}, "/sync/");
  EXPECT_EQ(s.response["X-Both"], "sync");  // inside a sync middleware it stays sync: no hop for it
  EXPECT_EQ(s.hops, 1u);
}

TEST(Chain, MixedChainHopsOnlyWhereTheModeChanges) {
  // async → sync → async → view(sync): loop, hop to the strand, hop back to the loop, hop to the strand.
  auto r = run({middleware_spec<AsyncOnly<1>>("a1"), middleware_spec<SyncOnly<1>>("s1"),
                middleware_spec<AsyncOnly<2>>("a2")},
               "/sync/");
  EXPECT_EQ(r.response.status_code, 200);
  EXPECT_EQ(r.events, (Events{"async1@loop", "sync1@sync", "async2@loop", "sync view@sync"}));
  EXPECT_EQ(r.hops, 3u);
  EXPECT_EQ(r.sync_threads, 1u);  // both sync steps on the request's one strand
  for (auto header : {"X-Async-1", "X-Sync-1", "X-Async-2"})
    EXPECT_EQ(r.response[header], "1") << header;
}

TEST(Chain, AnAsyncViewUnderASyncChainRunsOnTheLoop) {
  auto r = run({middleware_spec<SyncOnly<1>>("s1")}, "/async/");
  EXPECT_EQ(r.events, (Events{"sync1@sync", "async view@loop"}));
  EXPECT_EQ(r.hops, 2u);
}

namespace {

// A GET through the synchronous (threaded-server) application, on the calling thread.
duet::asgi::SyncResponse threaded_get(const duet::asgi::SyncApplication& app, std::string path) {
  duet::asgi::Scope scope;
  scope.method = "GET";
  scope.path = scope.raw_path = std::move(path);
  scope.headers = {{"host", "testserver"}};
  duet::asgi::StringInputStream body("");
  return app(scope, body);
}

}  // namespace

TEST(Chain, ThreadedModeRunsSyncCodeOnTheCallingThreadAndAsyncViewsThroughAsyncToSync) {
  auto app = duet::handlers::get_wsgi_application(
      duet::testing::options({middleware_spec<SyncOnly<1>>("s1")}, patterns()));
  auto response = threaded_get(app, "/async/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "async view");
  EXPECT_EQ(threaded_get(app, "/sync/").body, "sync view");
}

namespace {

struct ShortCircuit : Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;
  std::optional<HttpResponse> process_view(HttpRequest& request,
                                           const duet::urls::ResolverMatch& match) override {
    if (request.GET().get("stop")) return HttpResponse("stopped before " + match.url_name, 418);
    return std::nullopt;
  }
};

struct Handles : Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = false;
  std::optional<HttpResponse> process_exception(HttpRequest&, std::exception_ptr error) override {
    try {
      std::rethrow_exception(error);
    } catch (const std::domain_error& e) {
      return HttpResponse(std::string("handled: ") + e.what(), 503);
    } catch (...) {
      return std::nullopt;
    }
  }
};

struct NotUsed : Middleware {
  NotUsed() { throw duet::handlers::MiddlewareNotUsed(); }
};

struct Neither : Middleware {
  static constexpr bool sync_capable = false;
  static constexpr bool async_capable = false;
};

HttpResponse domain_error_view(HttpRequest&) {
  throw std::domain_error("db down");
}
Task<HttpResponse> async_domain_error_view(HttpRequest&) {
  co_await duet::sleep(std::chrono::milliseconds(1));
  throw std::domain_error("async db down");
}

}  // namespace

TEST(Chain, ProcessViewCanAnswerFirst) {
  for (bool async : {false, true}) {
    duet::test::Client client(duet::handlers::get_asgi_application(
        duet::testing::options({middleware_spec<ShortCircuit>("sc")}, patterns())));
    auto url = async ? "/async/" : "/sync/";
    auto stopped = client.get(url, {{"stop", "1"}});
    EXPECT_EQ(stopped.status_code, 418);
    EXPECT_EQ(stopped.content, std::string("stopped before ") + (async ? "async" : "sync"));
    EXPECT_EQ(client.get(url).status_code, 200);
  }
}

TEST(Chain, ProcessExceptionTurnsAViewErrorIntoAResponse) {
  duet::urls::UrlPatterns urls{path("sync/", domain_error_view), path("async/", async_domain_error_view)};
  for (bool outer_async : {false, true}) {
    std::vector<duet::handlers::MiddlewareSpec> chain{middleware_spec<Handles>("h")};
    if (outer_async) chain.insert(chain.begin(), middleware_spec<AsyncOnly<1>>("a1"));
    duet::test::Client client(duet::handlers::get_asgi_application(duet::testing::options(chain, urls)));
    EXPECT_EQ(client.get("/sync/").content, "handled: db down");
    auto r = client.get("/async/");
    EXPECT_EQ(r.status_code, 503);
    EXPECT_EQ(r.content, "handled: async db down");
  }
}

TEST(Chain, MiddlewareNotUsedIsLeftOut) {
  auto r = run({middleware_spec<NotUsed>("nope"), middleware_spec<SyncOnly<1>>("s1")}, "/sync/");
  EXPECT_EQ(r.response.status_code, 200);
  EXPECT_EQ(r.response["X-Sync-1"], "1");
}

TEST(Chain, AMiddlewareWithNoModeIsAConfigurationError) {
  EXPECT_THROW(duet::handlers::get_asgi_application(
                   duet::testing::options({middleware_spec<Neither>("n")}, patterns())),
               duet::conf::ImproperlyConfigured);
}

TEST(Chain, MiddlewareByNameFromSettings) {
  duet::handlers::register_middleware<SyncOnly<7>>("tests.SyncOnly7");
  auto o = duet::testing::options({}, patterns());
  o.middleware.reset();
  auto settings = duet::testing::test_settings();
  settings.MIDDLEWARE = {"tests.SyncOnly7"};
  o.settings = std::make_shared<const duet::conf::Settings>(settings);
  duet::test::Client client(duet::handlers::get_asgi_application(o));
  EXPECT_EQ(client.get("/sync/")["X-Sync-7"], "1");
  settings.MIDDLEWARE = {"tests.Missing"};
  o.settings = std::make_shared<const duet::conf::Settings>(settings);
  try {
    duet::handlers::get_asgi_application(o);
    ADD_FAILURE() << "an unknown middleware name was accepted";
  } catch (const duet::conf::ImproperlyConfigured& e) {
    EXPECT_NE(std::string(e.what()).find("tests.SyncOnly7"), std::string::npos) << e.what();
  }
}

TEST(Chain, RequestBodyStreamsIntoSyncAndAsyncViews) {
  duet::urls::UrlPatterns urls{
      path("form/", [](HttpRequest& request) { return HttpResponse("name=" + *request.POST().get("name")); }),
      path("raw/", [](HttpRequest& request) -> Task<HttpResponse> {
        co_return HttpResponse(std::string(co_await request.abody()));
      })};
  duet::test::Client client(duet::handlers::get_asgi_application(duet::testing::options({}, urls)));
  EXPECT_EQ(client.post("/form/", {{"name", "Ada"}}).content, "name=Ada");
  std::string big(300'000, 'x');
  auto r = client.put("/raw/", big);
  EXPECT_EQ(r.content.size(), big.size());
}

namespace {

/// GET `path` from `app` at the ASGI interface, on a runtime of its own: what the application sent.
duet::asgi::CallResult asgi_get(const duet::asgi::Application& app, std::string path) {
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  return runtime.block_on([&]() -> Task<duet::asgi::CallResult> {
    duet::asgi::Scope scope;
    scope.method = "GET";
    scope.path = scope.raw_path = path;
    scope.headers = {{"host", "testserver"}};
    co_return co_await duet::asgi::call(app, scope);
  }());
}

}  // namespace

TEST(Chain, ASyncGeneratorIsStreamedChunkByChunk) {
  duet::urls::UrlPatterns urls{path("stream/", [](HttpRequest&) {
    auto n = std::make_shared<int>(0);
    return duet::http::StreamingHttpResponse([n]() -> std::optional<std::string> {
      if (*n == 5) return std::nullopt;
      return "chunk" + std::to_string((*n)++) + ";";
    });
  })};
  auto result = asgi_get(duet::handlers::get_asgi_application(duet::testing::options({}, urls)), "/stream/");
  EXPECT_EQ(result.body, "chunk0;chunk1;chunk2;chunk3;chunk4;");
  EXPECT_GE(result.body_messages, 5u);  // sent as it was produced, not buffered whole
}

namespace {

/// What the server does when the client disconnects: GET /slow/ through `app`, and after 50 ms an emit on
/// the request's cancellation slot. What the application's task ended with, and how many messages it sent.
struct CancelledRequest {
  std::exception_ptr error;
  int sent = 0;
};
CancelledRequest cancel_mid_request(const duet::asgi::Application& app) {
  duet::Runtime runtime(duet::RuntimeOptions{.loops = 1});
  auto flow = runtime.new_context("GET /slow/");
  boost::asio::cancellation_signal signal;
  std::atomic<int> sent{0};
  std::promise<std::exception_ptr> finished;
  duet::asgi::Scope scope;
  scope.method = "GET";
  scope.path = scope.raw_path = "/slow/";
  scope.headers = {{"host", "testserver"}};
  duet::asgi::Receive receive = []() -> Task<duet::asgi::ReceiveEvent> {
    co_return duet::asgi::ReceiveEvent(duet::asgi::HttpRequest());
  };
  duet::asgi::Send send = [&](duet::asgi::SendEvent) -> Task<void> {
    ++sent;
    co_return;
  };
  boost::asio::co_spawn(flow->executor(), app(scope, receive, send),
                        boost::asio::bind_cancellation_slot(
                            signal.slot(), [&](std::exception_ptr e) { finished.set_value(e); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  boost::asio::post(flow->executor(), [&] { signal.emit(boost::asio::cancellation_type::terminal); });
  auto error = finished.get_future().get();
  return {error, sent.load()};
}

}  // namespace

TEST(Chain, CancellingTheRequestCancelsTheAsyncViewAndSendsNothing) {
  static std::atomic<bool> view_cancelled{false};
  duet::urls::UrlPatterns urls{path("slow/", [](HttpRequest&) -> Task<HttpResponse> {
    try {
      co_await duet::sleep(std::chrono::hours(1));
    } catch (const boost::system::system_error& e) {
      view_cancelled = e.code() == boost::asio::error::operation_aborted;
      throw;
    }
    co_return HttpResponse("never");
  })};
  auto app = duet::handlers::get_asgi_application(
      duet::testing::options({middleware_spec<AsyncOnly<1>>("a1"), middleware_spec<Both>("both")}, urls));
  auto outcome = cancel_mid_request(app);
  EXPECT_TRUE(view_cancelled);
  EXPECT_TRUE(outcome.error != nullptr);  // unwound, not answered with a 500
  EXPECT_EQ(outcome.sent, 0);
}

TEST(Chain, AnErrorAfterTheRequestWasCancelledUnwindsWithoutA500) {
  // A cancelled operation often surfaces as its own error (the database driver's "the query was cancelled"):
  // the client is gone all the same, so nothing is sent and nothing is logged as a server error.
  duet::urls::UrlPatterns urls{path("slow/", [](HttpRequest&) -> Task<HttpResponse> {
    try {
      co_await duet::sleep(std::chrono::hours(1));
    } catch (const boost::system::system_error&) {
      throw std::runtime_error("the query was cancelled while it ran");
    }
    co_return HttpResponse("never");
  })};
  for (bool with_middleware : {false, true}) {
    std::vector<duet::handlers::MiddlewareSpec> middleware;
    if (with_middleware) middleware = {middleware_spec<AsyncOnly<1>>("a1"), middleware_spec<Both>("both")};
    auto app = duet::handlers::get_asgi_application(duet::testing::options(middleware, urls));
    ::testing::internal::CaptureStderr();
    auto outcome = cancel_mid_request(app);
    auto logged = ::testing::internal::GetCapturedStderr();
    EXPECT_TRUE(outcome.error != nullptr) << "with middleware: " << with_middleware;
    EXPECT_EQ(outcome.sent, 0) << "with middleware: " << with_middleware;
    EXPECT_EQ(logged.find("Internal Server Error"), std::string::npos) << logged;
  }
}

// A view returning Task<JsonResponse> is awaited directly by the async handler and through async_function()
// elsewhere: the same response either way, and its exceptions still reach the exception step.
TEST(Chain, AsyncJsonViewsAnswerAlikeInBothModes) {
  auto json_patterns = [] {
    return duet::urls::UrlPatterns{
        path("json/",
             [](HttpRequest& request) -> Task<duet::http::JsonResponse> {
               co_await duet::sleep(std::chrono::milliseconds(1));
               duet::http::JsonResponse response(boost::json::object{{"path", request.path}}, true, 201);
               response.headers.set("X-Json", "direct");
               co_return response;
             }),
        path("json404/",
             [](HttpRequest&) -> Task<duet::http::JsonResponse> {
               co_await duet::sleep(std::chrono::milliseconds(1));
               throw duet::http::Http404("no such thing");
             }),
    };
  };
  duet::test::Client client(
      duet::handlers::get_asgi_application(duet::testing::options({}, json_patterns())));
  auto r = client.get("/json/");
  EXPECT_EQ(r.status_code, 201);
  EXPECT_EQ(r.content, R"({"path":"/json/"})");
  EXPECT_EQ(r["Content-Type"], "application/json");
  EXPECT_EQ(r["X-Json"], "direct");
  EXPECT_EQ(client.get("/json404/").status_code, 404);

  auto app = duet::handlers::get_wsgi_application(duet::testing::options({}, json_patterns()));
  auto threaded = threaded_get(app, "/json/");
  EXPECT_EQ(threaded.status, 201);
  EXPECT_EQ(threaded.body, r.content);
  EXPECT_EQ(threaded_get(app, "/json404/").status, 404);
}

// ASGI wants header names in lower case: each letter is lowered and every other byte kept, whatever the
// name's length (the letters' neighbours '@', '[', '`' and '{' included).
TEST(Chain, ResponseHeaderNamesReachTheServerInLowerCase) {
  const std::vector<std::string> names = {"X", "Ab-Z", "X-Zz@[`{", "X-AbCdEfGhIj",
                                          "X-@ABYZ[`abyz{-0123456789-LONG-Name"};
  duet::urls::UrlPatterns urls{path("headers/", [names](HttpRequest&) -> Task<HttpResponse> {
    HttpResponse response("ok");
    for (const auto& name : names)
      response.headers.set(name, "v");
    co_return response;
  })};
  auto result = asgi_get(duet::handlers::get_asgi_application(duet::testing::options({}, urls)), "/headers/");
  std::vector<std::string> sent;
  for (const auto& header : result.headers)
    sent.push_back(header.name);
  EXPECT_EQ(sent, (std::vector<std::string>{"content-type", "x", "ab-z", "x-zz@[`{", "x-abcdefghij",
                                            "x-@abyz[`abyz{-0123456789-long-name"}));
}
