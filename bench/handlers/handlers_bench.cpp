// Handler overhead: in-process requests/s through an all-sync chain, an all-async chain and a mixed one
// (no socket: asgi::call straight into the ASGI handler), with the adapter hops each request took.
// Prints `name: value unit`.
//
//   build/bench/handlers/handlers_bench [--requests N] [--concurrency C]
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <duet/asgi/call.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/runtime.hpp>
#include <duet/urls/resolvers.hpp>
#include <string>
#include <vector>

using duet::Task;
using duet::handlers::Middleware;
using duet::handlers::middleware_spec;
using duet::http::HttpRequest;
using duet::http::HttpResponse;

namespace {

struct SyncMiddleware : Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = false;
  HttpResponse call(HttpRequest& request) override { return get_response(request); }
};

struct AsyncMiddleware : Middleware {
  static constexpr bool sync_capable = false;
  static constexpr bool async_capable = true;
  Task<HttpResponse> acall(HttpRequest& request) override { co_return co_await aget_response(request); }
};

HttpResponse sync_view(HttpRequest&) {
  return HttpResponse("Hello, World!", 200, "text/plain");
}
Task<HttpResponse> async_view(HttpRequest&) {
  co_return HttpResponse("Hello, World!", 200, "text/plain");
}

struct Case {
  const char* name;
  std::vector<duet::handlers::MiddlewareSpec> middleware;
  const char* path;
};

void measure(duet::Runtime& runtime, const Case& c, long requests, int concurrency) {
  duet::handlers::BaseHandler::Options options;
  options.middleware = c.middleware;
  options.urlconf = duet::urls::make_resolver(
      {duet::urls::path("sync/", sync_view), duet::urls::path("async/", async_view)});
  auto settings = std::make_shared<duet::conf::Settings>();
  settings->ALLOWED_HOSTS = {"*"};
  options.settings = settings;
  auto app = duet::handlers::get_asgi_application(options);

  auto worker = [&](long count) -> Task<void> {
    duet::Context* parent = duet::Context::current();
    for (long i = 0; i < count; ++i) {
      duet::asgi::Scope scope;
      scope.method = "GET";
      scope.path = scope.raw_path = c.path;
      scope.headers = {{"host", "bench"}};
      // Each request in its own flow, as the server runs it (its sync work leases a strand).
      auto flow = duet::Context::create(parent->loop(), parent->pool(), "bench");
      auto result = co_await boost::asio::co_spawn(flow->executor(), duet::asgi::call(app, std::move(scope)),
                                                   boost::asio::use_awaitable);
      if (result.status != 200) std::fprintf(stderr, "unexpected status %d\n", result.status);
    }
  };
  auto hops_before = duet::handlers::BaseHandler::hops();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::future<void>> running;
  for (int w = 0; w < concurrency; ++w) {
    running.push_back(boost::asio::co_spawn(runtime.new_context("bench worker")->executor(),
                                            worker(requests / concurrency), boost::asio::use_future));
  }
  for (auto& r : running)
    r.get();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long done = requests / concurrency * concurrency;
  std::printf("%s: %.0f requests/s\n", c.name, done / seconds);
  std::printf("%s hops: %.2f per request\n", c.name,
              double(duet::handlers::BaseHandler::hops() - hops_before) / done);
}

}  // namespace

int main(int argc, char** argv) {
  long requests = 200'000;
  int concurrency = 64;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--requests") && i + 1 < argc) requests = std::atol(argv[++i]);
    if (!std::strcmp(argv[i], "--concurrency") && i + 1 < argc) concurrency = std::atoi(argv[++i]);
  }
  duet::Runtime runtime;
  std::vector<Case> cases{
      {"no middleware, async view", {}, "/async/"},
      {"all-async chain (3 middleware), async view",
       {middleware_spec<AsyncMiddleware>("a1"), middleware_spec<AsyncMiddleware>("a2"),
        middleware_spec<AsyncMiddleware>("a3")},
       "/async/"},
      {"all-sync chain (3 middleware), sync view",
       {middleware_spec<SyncMiddleware>("s1"), middleware_spec<SyncMiddleware>("s2"),
        middleware_spec<SyncMiddleware>("s3")},
       "/sync/"},
      {"mixed chain (async, sync, async), sync view",
       {middleware_spec<AsyncMiddleware>("a1"), middleware_spec<SyncMiddleware>("s1"),
        middleware_spec<AsyncMiddleware>("a2")},
       "/sync/"},
  };
  for (const auto& c : cases)
    measure(runtime, c, requests, concurrency);
}
