// Middleware: the hooks around every request (django.utils.deprecation.MiddlewareMixin and new-style
// middleware), declared sync-capable, async-capable, or both.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "duet/conf/settings.hpp"
#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/runtime/task.hpp"

namespace duet::urls {
class ResolverMatch;
}

namespace duet::handlers {

using http::HttpRequest;
using http::HttpResponse;

/// The rest of the chain as one middleware sees it, in that middleware's own mode.
struct NextHandler {
  bool is_async = false;
  std::function<HttpResponse(HttpRequest&)> sync;
  std::function<Task<HttpResponse>(HttpRequest&)> async;
};

/// Thrown by a middleware's constructor to leave itself out of the chain (Django's MiddlewareNotUsed).
class MiddlewareNotUsed : public std::runtime_error {
 public:
  explicit MiddlewareNotUsed(const std::string& why = "middleware not used") : std::runtime_error(why) {}
};

/// Base of every middleware. A subclass declares the modes it supports, as Django's flags do:
///
///     static constexpr bool sync_capable = true;    // implements call(), or only the process_* hooks
///     static constexpr bool async_capable = false;  // implements acall(), or only the process_* hooks
///
/// and then either
/// - overrides `call()` (sync) and/or `acall()` (async), passing the request on with get_response() /
///   co_await aget_response(); or
/// - overrides only the hooks process_request / process_response (Django's MiddlewareMixin): the default
///   call() and acall() run them around the rest of the chain, so such a middleware declares both flags
///   true — the *sync_and_async* form. Its hooks then run on whichever thread the request is on, so they
///   must not block.
///
/// process_view, process_exception and process_template_response are called by the handler when a subclass
/// overrides them; in an async chain the hooks of a middleware that is not async-capable run through
/// sync_to_async.
class Middleware {
 public:
  virtual ~Middleware() = default;

  virtual HttpResponse call(HttpRequest& request);
  virtual Task<HttpResponse> acall(HttpRequest& request);

  virtual std::optional<HttpResponse> process_request(HttpRequest& request);
  virtual HttpResponse process_response(HttpRequest& request, HttpResponse response);
  virtual std::optional<HttpResponse> process_view(HttpRequest& request, const urls::ResolverMatch& match);
  virtual std::optional<HttpResponse> process_exception(HttpRequest& request, std::exception_ptr error);
  virtual HttpResponse process_template_response(HttpRequest& request, HttpResponse response);

 protected:
  /// The rest of the chain, in this middleware's mode (calling the other mode's accessor throws).
  HttpResponse get_response(HttpRequest& request);
  Task<HttpResponse> aget_response(HttpRequest& request);
  const conf::Settings& settings() const { return *settings_; }

 private:
  friend class BaseHandler;
  NextHandler next_;
  std::shared_ptr<const conf::Settings> settings_;
};

/// How to make one middleware, and what it supports; `middleware_spec<T>(name)` fills it from T.
struct MiddlewareSpec {
  std::string name;
  bool sync_capable = true;
  bool async_capable = false;
  bool has_process_view = false;
  bool has_process_exception = false;
  bool has_process_template_response = false;
  /// May throw MiddlewareNotUsed.
  std::function<std::unique_ptr<Middleware>()> make;
};

template <class T>
MiddlewareSpec middleware_spec(std::string name) {
  static_assert(std::is_base_of_v<Middleware, T>, "a middleware derives from duet::handlers::Middleware");
  MiddlewareSpec spec;
  spec.name = std::move(name);
  if constexpr (requires { T::sync_capable; }) spec.sync_capable = T::sync_capable;
  if constexpr (requires { T::async_capable; }) spec.async_capable = T::async_capable;
  // A hook counts only if T (or a base between) overrides it: the handler then skips the others entirely,
  // so a sync-only middleware without process_view costs an async chain no thread hop.
  spec.has_process_view = !std::is_same_v<decltype(&T::process_view), decltype(&Middleware::process_view)>;
  spec.has_process_exception =
      !std::is_same_v<decltype(&T::process_exception), decltype(&Middleware::process_exception)>;
  spec.has_process_template_response = !std::is_same_v<decltype(&T::process_template_response),
                                                       decltype(&Middleware::process_template_response)>;
  spec.make = [] { return std::make_unique<T>(); };
  return spec;
}

/// Makes `name` usable in settings.MIDDLEWARE (Django's dotted import paths become registered names).
void register_middleware(MiddlewareSpec spec);
template <class T>
void register_middleware(std::string name) {
  register_middleware(middleware_spec<T>(std::move(name)));
}
/// The registered middleware named `name`; throws conf::ImproperlyConfigured naming the registered ones.
MiddlewareSpec find_middleware(const std::string& name);

}  // namespace duet::handlers
