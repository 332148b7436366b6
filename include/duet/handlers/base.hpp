// BaseHandler: the middleware chain and the view call (django.core.handlers.base).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "duet/conf/settings.hpp"
#include "duet/handlers/middleware.hpp"
#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/runtime/task.hpp"

namespace duet::urls {
class URLResolver;
}

namespace duet::handlers {

/// Wraps every view call: how the db layer applies ATOMIC_REQUESTS (Django's make_view_atomic) without the
/// handlers knowing about databases. Either function may be empty (that kind of view is then not wrapped).
struct ViewWrapper {
  /// Around a sync view, on the thread that runs it; calls `view` and returns (or throws) what it does.
  std::function<http::HttpResponse(http::HttpRequest&, const std::function<http::HttpResponse()>& view)> sync;
  /// Around an async view.
  std::function<Task<http::HttpResponse>(http::HttpRequest&,
                                         const std::function<Task<http::HttpResponse>()>& view)>
      async;
};
/// Registers `wrapper` under `name`, replacing one registered under that name; the first registered is the
/// outermost. Takes effect for requests that start afterwards.
void set_view_wrapper(const std::string& name, ViewWrapper wrapper);
void remove_view_wrapper(const std::string& name);

/// Builds the middleware chain once, at startup, as Django's load_middleware does: each middleware gets the
/// rest of the chain in its own mode, and an adapter (sync_to_async or async_to_sync) is inserted only where
/// the mode changes. Two differences, both to take fewer hops: a middleware that supports both modes takes
/// the mode of the code around it (Django picks from the inside out), and the innermost step (URL resolution
/// and the view call) takes the mode of the middleware around it. So an all-sync chain with a sync view
/// costs the async server exactly one hop, and an all-async chain with an async view none.
class BaseHandler {
 public:
  struct Options {
    /// The mode the server calls the chain in: true for the async server, false for the threaded one.
    bool is_async = true;
    /// The middleware, outermost first; by default settings.MIDDLEWARE looked up by name.
    std::optional<std::vector<MiddlewareSpec>> middleware;
    /// The URLconf; by default the one registered under settings.ROOT_URLCONF.
    std::shared_ptr<const urls::URLResolver> urlconf;
    /// By default conf::settings() at construction.
    std::shared_ptr<const conf::Settings> settings;
  };

  explicit BaseHandler(Options options);
  ~BaseHandler();
  BaseHandler(const BaseHandler&) = delete;
  BaseHandler& operator=(const BaseHandler&) = delete;

  bool is_async() const noexcept { return is_async_; }

  /// Runs the request through the chain. Exceptions become responses (404, 403, 400, 413, 500 with the
  /// DEBUG page when settings.DEBUG), so these do not throw for errors of the request or the view.
  HttpResponse get_response(HttpRequest& request);
  Task<HttpResponse> aget_response(HttpRequest& request);

  const conf::Settings& settings() const noexcept { return *settings_; }
  const std::shared_ptr<const conf::Settings>& settings_ptr() const noexcept { return settings_; }

  /// Sync/async adapter hops taken by all handlers so far (for the handler benchmark).
  static std::uint64_t hops() noexcept;

 private:
  struct ViewHooks;
  HttpResponse resolve_and_call(HttpRequest& request);
  Task<HttpResponse> aresolve_and_call(HttpRequest& request);

  bool is_async_;
  std::shared_ptr<const conf::Settings> settings_;
  std::shared_ptr<const urls::URLResolver> urlconf_;
  std::vector<std::unique_ptr<Middleware>> middleware_;
  std::unique_ptr<ViewHooks> hooks_;
  NextHandler chain_;
};

}  // namespace duet::handlers
