// Class-based views (django.views.generic.base.View): one handler per HTTP method, all sync or all async.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "duet/conf/settings.hpp"
#include "duet/http/request.hpp"
#include "duet/http/response.hpp"
#include "duet/runtime/task.hpp"
#include "duet/urls/resolvers.hpp"
#include "duet/urls/view.hpp"

namespace duet::views {

namespace detail {

enum class Kind { none, sync, async };

template <class R>
constexpr Kind kind_of_result() {
  if constexpr (urls::detail::IsTask<R>::value) {
    static_assert(std::is_convertible_v<typename urls::detail::IsTask<R>::value_type, http::HttpResponse>,
                  "an async view handler returns Task<HttpResponse> (or Task of a response subclass)");
    return Kind::async;
  } else {
    static_assert(std::is_convertible_v<R, http::HttpResponse>,
                  "a view handler returns HttpResponse (or a subclass) or Task<HttpResponse>");
    return Kind::sync;
  }
}

// One struct per method of Django's http_method_names: whether a view class has the handler, its kind,
// and how to call it. `delete` is a C++ keyword, so that handler is `delete_()`.
#define DUET_VIEWS_METHOD(NAME, UPPER)                                                                  \
  struct NAME##_method {                                                                                \
    static constexpr std::string_view name = UPPER;                                                     \
    template <class D>                                                                                  \
    static constexpr Kind kind() {                                                                      \
      if constexpr (requires(D & d, http::HttpRequest & r) { d.NAME(r); })                              \
        return kind_of_result<decltype(std::declval<D&>().NAME(std::declval<http::HttpRequest&>()))>(); \
      else                                                                                              \
        return Kind::none;                                                                              \
    }                                                                                                   \
    template <class D>                                                                                  \
    static decltype(auto) call(D& d, http::HttpRequest& r) {                                            \
      return d.NAME(r);                                                                                 \
    }                                                                                                   \
  };
DUET_VIEWS_METHOD(get, "GET")
DUET_VIEWS_METHOD(post, "POST")
DUET_VIEWS_METHOD(put, "PUT")
DUET_VIEWS_METHOD(patch, "PATCH")
DUET_VIEWS_METHOD(delete_, "DELETE")
DUET_VIEWS_METHOD(head, "HEAD")
DUET_VIEWS_METHOD(options, "OPTIONS")
DUET_VIEWS_METHOD(trace, "TRACE")
#undef DUET_VIEWS_METHOD

template <class F>
void for_each_method(F&& f) {
  f(get_method{});
  f(post_method{});
  f(put_method{});
  f(patch_method{});
  f(delete__method{});
  f(head_method{});
  f(options_method{});
  f(trace_method{});
}

/// The demangled name of a type, for messages.
std::string type_name(const std::type_info& type);
/// ImproperlyConfigured: "<Class> HTTP handlers must either be all sync or all async (sync: ...; async:
/// ...)."
[[noreturn]] void throw_mixed_handlers(const std::string& class_name, const std::vector<std::string>& sync,
                                       const std::vector<std::string>& async);
/// A handler of the other kind was reached; as_view() prevents it.
[[noreturn]] void throw_wrong_kind(const std::string& class_name, std::string_view method);
/// Upper-cased copy.
std::string upper(std::string_view s);
/// The 405 response with Allow, logged as Django's "Method Not Allowed (%s): %s".
http::HttpResponse method_not_allowed(http::HttpRequest& request, const std::vector<std::string>& allowed);
/// The automatic OPTIONS answer: 200, Allow, Content-Length: 0.
http::HttpResponse options_response(const std::vector<std::string>& allowed);

}  // namespace detail

/// Base of a class-based view, in CRTP form (the class passes itself):
///
///     struct ArticleView : duet::views::View<ArticleView> {
///       HttpResponse get(HttpRequest& request) { return HttpResponse("article " +
///       kwarg<std::string>("slug")); } HttpResponse post(HttpRequest& request);
///     };
///     path("articles/<slug:slug>/", ArticleView::as_view())
///
/// Handlers are member functions named after the methods — get, post, put, patch, delete_ (a keyword in
/// C++), head, options, trace — taking HttpRequest& and returning HttpResponse (sync) or
/// Task<HttpResponse> (async). A class's handlers are all sync or all async (options may be either, as in
/// Django); a mix makes as_view() throw conf::ImproperlyConfigured. A request for a method without a
/// handler gets http_method_not_allowed() — 405 with Allow — unless it is HEAD and there is a get(), which
/// then answers; OPTIONS without a handler is answered with the allowed methods. The class may hide
/// http_method_not_allowed with its own (sync or async).
///
/// As in Django, every request gets a fresh instance: a copy of the one as_view() made from its
/// arguments, so the class must be copyable and its members are per-request state.
template <class Derived>
class View {
 public:
  /// Set by setup(): the request, and the URL's captured arguments (request.resolver_match).
  http::HttpRequest* request = nullptr;
  std::vector<std::string> args;
  urls::UrlKwargs kwargs;

  /// A URL argument, converted as urls::ResolverMatch::kwarg does.
  template <class T>
  T kwarg(std::string_view name) const {
    if (!request || !request->resolver_match)
      throw std::out_of_range("no URL argument named '" + std::string(name) +
                              "' (the view was not resolved)");
    return request->resolver_match->kwarg<T>(name);
  }

  /// True if the handlers are async (Django 4.1's view_is_async); false for a class without handlers.
  static constexpr bool view_is_async() { return counts().async > 0 && counts().sync == 0; }
  /// True if some handlers are sync and others async: as_view() refuses such a class.
  static constexpr bool handlers_are_mixed() { return counts().async > 0 && counts().sync > 0; }

  /// The methods this view answers, upper-case, in Django's order (HEAD when there is get(); OPTIONS
  /// always).
  static std::vector<std::string> allowed_methods() {
    std::vector<std::string> out;
    detail::for_each_method([&](auto m) {
      using M = decltype(m);
      bool present = M::template kind<Derived>() != detail::Kind::none;
      if constexpr (std::is_same_v<M, detail::head_method>)
        present = present || detail::get_method::kind<Derived>() != detail::Kind::none;
      if constexpr (std::is_same_v<M, detail::options_method>) present = true;
      if (present) out.emplace_back(M::name);
    });
    return out;
  }

  /// Django's setup(): stores the request and the URL arguments. A class hiding it calls this one.
  void setup(http::HttpRequest& r) {
    request = &r;
    if (r.resolver_match) {
      args = r.resolver_match->args;
      kwargs = r.resolver_match->kwargs;
    }
  }

  /// 405 with Allow listing allowed_methods().
  http::HttpResponse http_method_not_allowed(http::HttpRequest& r) {
    return detail::method_not_allowed(r, allowed_methods());
  }

  /// The view for a URL pattern. `init` constructs the prototype each request copies (nothing: default
  /// construction; a Derived: a copy of it; else Derived's constructor with these arguments). Throws
  /// conf::ImproperlyConfigured if the handlers mix sync and async.
  template <class... Args>
  static urls::View as_view(Args&&... init) {
    return make_view(std::make_shared<const Derived>(std::forward<Args>(init)...));
  }
  static urls::View as_view(Derived prototype) {
    return make_view(std::make_shared<const Derived>(std::move(prototype)));
  }

  /// Calls the handler for request.method (sync views).
  http::HttpResponse dispatch(http::HttpRequest& r) { return dispatch_impl(r); }
  /// Calls the handler for request.method (async views).
  Task<http::HttpResponse> adispatch(http::HttpRequest& r) {
    return adispatch_impl(static_cast<Derived&>(*this), r);
  }

 private:
  struct Counts {
    int sync = 0;
    int async = 0;
  };
  static constexpr Counts counts() {
    Counts c;
    // Django leaves options out: its default is sync for sync views and async for async ones.
    auto count = [&](detail::Kind k) {
      if (k == detail::Kind::sync) ++c.sync;
      if (k == detail::Kind::async) ++c.async;
    };
    count(detail::get_method::kind<Derived>());
    count(detail::post_method::kind<Derived>());
    count(detail::put_method::kind<Derived>());
    count(detail::patch_method::kind<Derived>());
    count(detail::delete__method::kind<Derived>());
    count(detail::head_method::kind<Derived>());
    count(detail::trace_method::kind<Derived>());
    return c;
  }

  static std::string class_name() { return detail::type_name(typeid(Derived)); }

  static void check_handlers() {
    if constexpr (handlers_are_mixed()) {
      std::vector<std::string> sync, async;
      detail::for_each_method([&](auto m) {
        using M = decltype(m);
        if constexpr (std::is_same_v<M, detail::options_method>) return;
        auto k = M::template kind<Derived>();
        if (k == detail::Kind::sync) sync.emplace_back(M::name);
        if (k == detail::Kind::async) async.emplace_back(M::name);
      });
      detail::throw_mixed_handlers(class_name(), sync, async);
    }
  }

  static urls::View make_view(std::shared_ptr<const Derived> prototype) {
    static_assert(std::is_base_of_v<View<Derived>, Derived>, "a view class derives from View<itself>");
    static_assert(std::is_copy_constructible_v<Derived>,
                  "a class-based view is copied for every request, so it must be copyable");
    check_handlers();
    if constexpr (view_is_async()) {
      return urls::View([prototype](http::HttpRequest& r) { return run_async(prototype, r); }, class_name());
    } else {
      return urls::View(
          [prototype](http::HttpRequest& r) {
            Derived self(*prototype);
            self.setup(r);
            return self.dispatch(r);
          },
          class_name());
    }
  }

  // A coroutine with its arguments by value: the instance lives in its frame for the whole request.
  static Task<http::HttpResponse> run_async(std::shared_ptr<const Derived> prototype, http::HttpRequest& r) {
    Derived self(*prototype);
    self.setup(r);
    co_return co_await self.adispatch(r);
  }

  http::HttpResponse dispatch_impl(http::HttpRequest& r) {
    auto& self = static_cast<Derived&>(*this);
    const std::string method = detail::upper(r.method);
    std::optional<http::HttpResponse> response;
    detail::for_each_method([&](auto m) {
      using M = decltype(m);
      if (response || method != M::name) return;
      constexpr auto kind = M::template kind<Derived>();
      if constexpr (kind == detail::Kind::sync) {
        response.emplace(M::call(self, r));
      } else if constexpr (kind == detail::Kind::async) {
        detail::throw_wrong_kind(class_name(), M::name);
      } else if constexpr (std::is_same_v<M, detail::head_method> &&
                           detail::get_method::kind<Derived>() == detail::Kind::sync) {
        response.emplace(self.get(r));
      } else if constexpr (std::is_same_v<M, detail::options_method>) {
        response.emplace(detail::options_response(allowed_methods()));
      }
    });
    if (response) return std::move(*response);
    using R = decltype(self.http_method_not_allowed(r));
    if constexpr (urls::detail::IsTask<R>::value) {
      detail::throw_wrong_kind(class_name(), "http_method_not_allowed");
    } else {
      return self.http_method_not_allowed(r);
    }
  }

  static Task<http::HttpResponse> adispatch_impl(Derived& self, http::HttpRequest& r) {
    const std::string method = detail::upper(r.method);
    // Each branch yields the handler's task (or a ready response); the await happens once, below, so the
    // dispatch adds no coroutine frames of its own per method.
    std::optional<Task<http::HttpResponse>> task;
    std::optional<http::HttpResponse> ready;
    detail::for_each_method([&](auto m) {
      using M = decltype(m);
      if (task || ready || method != M::name) return;
      constexpr auto kind = M::template kind<Derived>();
      if constexpr (kind == detail::Kind::async) {
        task.emplace(as_response_task(M::call(self, r)));
      } else if constexpr (kind == detail::Kind::sync) {
        // Only options() may be sync in an async view; anything else was refused by as_view().
        if constexpr (std::is_same_v<M, detail::options_method>)
          ready.emplace(M::call(self, r));
        else
          detail::throw_wrong_kind(class_name(), M::name);
      } else if constexpr (std::is_same_v<M, detail::head_method> &&
                           detail::get_method::kind<Derived>() == detail::Kind::async) {
        task.emplace(as_response_task(self.get(r)));
      } else if constexpr (std::is_same_v<M, detail::options_method>) {
        ready.emplace(detail::options_response(allowed_methods()));
      }
    });
    if (task) co_return co_await std::move(*task);
    if (ready) co_return std::move(*ready);
    using R = decltype(self.http_method_not_allowed(r));
    if constexpr (urls::detail::IsTask<R>::value) {
      co_return http::HttpResponse(co_await self.http_method_not_allowed(r));
    } else {
      co_return self.http_method_not_allowed(r);
    }
  }

  template <class R>
  static Task<http::HttpResponse> as_response_task(Task<R> task) {
    if constexpr (std::is_same_v<R, http::HttpResponse>) {
      return task;
    } else {
      return [](Task<R> t) -> Task<http::HttpResponse> {
        co_return http::HttpResponse(co_await std::move(t));
      }(std::move(task));
    }
  }
};

}  // namespace duet::views
