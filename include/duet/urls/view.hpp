// View: what a URL pattern routes to — a sync or an async view, told apart at compile time.
#pragma once

#include <concepts>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/runtime/task.hpp"

namespace duet::http {
class JsonResponse;  // duet/http/json_response.hpp (Boost.JSON) is not needed to hold such a view
}

namespace duet::urls {

using SyncViewFunction = std::function<http::HttpResponse(http::HttpRequest&)>;
using AsyncViewFunction = std::function<Task<http::HttpResponse>(http::HttpRequest&)>;
using AsyncJsonViewFunction = std::function<Task<http::JsonResponse>(http::HttpRequest&)>;

namespace detail {
template <class T>
struct IsTask : std::false_type {};
template <class T>
struct IsTask<Task<T>> : std::true_type {
  using value_type = T;
};
}  // namespace detail

/// A callable usable as a view: sync `R(HttpRequest&)` with R an HttpResponse (or a subclass: JsonResponse,
/// HttpResponseRedirect, ...), or async `Task<R>(HttpRequest&)`.
template <class F>
concept ViewCallable = std::invocable<F&, http::HttpRequest&> && [] {
  using R = std::invoke_result_t<F&, http::HttpRequest&>;
  if constexpr (detail::IsTask<R>::value) {
    return std::convertible_to<typename detail::IsTask<R>::value_type, http::HttpResponse>;
  } else {
    return std::convertible_to<R, http::HttpResponse>;
  }
}();

/// A view, sync or async. The kind comes from the callable's return type — no guessing at run time — and
/// decides how the handler calls it: a sync view runs on the request's sync strand under the async server,
/// an async view through async_to_sync under the threaded one (DESIGN.md §5).
class View {
 public:
  template <ViewCallable F>
  requires(!std::same_as<std::decay_t<F>, View>) View(F f, std::string name = {}) : name_(std::move(name)) {
    using R = std::invoke_result_t<F&, http::HttpRequest&>;
    if constexpr (detail::IsTask<R>::value) {
      if constexpr (std::is_same_v<typename detail::IsTask<R>::value_type, http::HttpResponse>) {
        function_ = AsyncViewFunction(std::move(f));
      } else if constexpr (std::is_same_v<typename detail::IsTask<R>::value_type, http::JsonResponse>) {
        json_function_ = AsyncJsonViewFunction(f);
        function_ = AsyncViewFunction(
            [f = std::move(f)](http::HttpRequest& request) mutable -> Task<http::HttpResponse> {
              co_return http::HttpResponse(co_await f(request));
            });
      } else {
        function_ = AsyncViewFunction(
            [f = std::move(f)](http::HttpRequest& request) mutable -> Task<http::HttpResponse> {
              co_return http::HttpResponse(co_await f(request));
            });
      }
    } else {
      function_ = SyncViewFunction(
          [f = std::move(f)](http::HttpRequest& request) mutable { return http::HttpResponse(f(request)); });
    }
  }

  bool is_async() const noexcept { return function_.index() == 1; }
  const SyncViewFunction& sync_function() const { return std::get<0>(function_); }
  const AsyncViewFunction& async_function() const { return std::get<1>(function_); }
  /// For a view returning Task<JsonResponse> (the commonest async view of an API), the view itself, which
  /// the handler awaits directly; async_function() converts its result in a coroutine of its own (one frame
  /// and three moves of the response more). Null for any other view.
  const AsyncJsonViewFunction* json_function() const noexcept {
    return json_function_ ? &json_function_ : nullptr;
  }
  /// For debug pages and logs.
  const std::string& name() const noexcept { return name_; }

 private:
  std::variant<SyncViewFunction, AsyncViewFunction> function_;
  AsyncJsonViewFunction json_function_;
  std::string name_;
};

}  // namespace duet::urls
