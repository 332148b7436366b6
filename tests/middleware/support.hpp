// Driving the real handler in-process (get_asgi_application / get_wsgi_application + asgi::call) for the
// middleware and views tests.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <duet/asgi/call.hpp>
#include <duet/asgi/sync.hpp>
#include <duet/handlers/asgi.hpp>
#include <duet/handlers/base.hpp>
#include <duet/runtime.hpp>
#include <duet/urls.hpp>
#include <duet/urls/view.hpp>

namespace duet_test {

using duet::http::HttpRequest;
using duet::http::HttpResponse;

/// How the chain is entered and which mode the chain's middleware ends up in.
enum class Chain {
  async_app,       // get_asgi_application, nothing forcing a mode: all-async chain
  async_app_sync,  // get_asgi_application with a sync-only middleware outermost: the chain runs sync
  sync_app,        // get_wsgi_application (the threaded server) behind asgi::from_sync
};

inline const char* to_string(Chain c) {
  switch (c) {
    case Chain::async_app:
      return "async_app";
    case Chain::async_app_sync:
      return "async_app_sync";
    case Chain::sync_app:
      return "sync_app";
  }
  return "?";
}

/// Passes requests on; sync only, so the chain behind it (up to an async-only step) runs sync.
struct SyncOnlyMiddleware : duet::handlers::Middleware {
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = false;
};

/// The default test settings: testserver and example.com allowed.
inline duet::conf::Settings test_settings() {
  duet::conf::Settings s;
  s.ALLOWED_HOSTS = {"testserver", "example.com", "www.example.com"};
  return s;
}

struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::string query_string{};
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  std::string scheme = "http";
  std::string host = "testserver";
};

/// One application over a URLconf, a middleware list and settings, in the given chain mode.
class App {
 public:
  App(Chain chain, duet::urls::UrlPatterns patterns, std::vector<duet::handlers::MiddlewareSpec> middleware,
      duet::conf::Settings settings = test_settings())
      : runtime_(duet::RuntimeOptions{.loops = 1}) {
    duet::handlers::BaseHandler::Options options;
    if (chain == Chain::async_app_sync)
      middleware.insert(middleware.begin(), duet::handlers::middleware_spec<SyncOnlyMiddleware>("sync-only"));
    options.middleware = std::move(middleware);
    // Registered as ROOT_URLCONF, as a project does: middleware that resolve paths (CommonMiddleware) find
    // the URLconf through the settings, not through the handler's options.
    static std::atomic<int> counter{0};
    settings.ROOT_URLCONF = "duet_test_urlconf_" + std::to_string(counter++);
    duet::urls::register_urlconf(settings.ROOT_URLCONF, std::move(patterns));
    options.urlconf = duet::urls::get_resolver(settings.ROOT_URLCONF);
    options.settings = std::make_shared<const duet::conf::Settings>(std::move(settings));
    app_ = chain == Chain::sync_app ? duet::asgi::from_sync(duet::handlers::get_wsgi_application(options))
                                    : duet::handlers::get_asgi_application(options);
  }

  duet::asgi::CallResult operator()(const Request& r) {
    duet::asgi::Scope scope;
    scope.method = r.method;
    scope.scheme = r.scheme;
    scope.path = r.path;
    scope.raw_path = r.path;
    scope.query_string = r.query_string;
    scope.headers.emplace_back("host", r.host);
    for (const auto& [name, value] : r.headers)
      scope.headers.emplace_back(name, value);
    scope.client = duet::asgi::Address("127.0.0.1", 50000);
    scope.server = duet::asgi::Address("testserver", 80);
    hops_before_ = duet::handlers::BaseHandler::hops();
    auto result = runtime_.block_on(duet::asgi::call(app_, std::move(scope), r.body));
    last_hops_ = duet::handlers::BaseHandler::hops() - hops_before_;
    return result;
  }
  duet::asgi::CallResult get(std::string path,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.path = std::move(path);
    r.headers = std::move(headers);
    return (*this)(r);
  }

  /// Adapter hops the last request took (the handler's counter is process-wide; tests run one at a time).
  std::uint64_t last_hops() const { return last_hops_; }
  duet::Runtime& runtime() { return runtime_; }

 private:
  duet::Runtime runtime_;
  duet::asgi::Application app_;
  std::uint64_t hops_before_ = 0;
  std::uint64_t last_hops_ = 0;
};

inline std::optional<std::string> header(const duet::asgi::CallResult& r, std::string_view name) {
  auto v = duet::asgi::find_header(r.headers, name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

inline std::size_t header_count(const duet::asgi::CallResult& r, std::string_view name) {
  std::size_t n = 0;
  for (const auto& h : r.headers)
    n += h.name == name;
  return n;
}

}  // namespace duet_test
