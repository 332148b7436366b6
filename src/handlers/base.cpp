#include "duet/handlers/base.hpp"

#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <memory>
#include <mutex>

#include "duet/handlers/exception.hpp"
#include "duet/http/json_response.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/sync_to_async.hpp"
#include "duet/urls/resolvers.hpp"
#include "duet/urls/view.hpp"

namespace duet::handlers {

namespace {

std::atomic<std::uint64_t> adapter_hops{0};

// The registered view wrappers (ATOMIC_REQUESTS); requests read a snapshot, and none at all when empty.
using Wrappers = std::vector<std::pair<std::string, ViewWrapper>>;
std::atomic<std::shared_ptr<const Wrappers>> view_wrappers{nullptr};
// Whether any wrapper is registered, read per request instead of view_wrappers itself: loading an atomic
// shared_ptr takes a lock bit and a reference count that every loop's requests would share.
std::atomic<bool> have_view_wrappers{false};
std::mutex view_wrappers_mutex;

std::shared_ptr<const Wrappers> current_view_wrappers() {
  if (!have_view_wrappers.load(std::memory_order_acquire)) return nullptr;
  return view_wrappers.load(std::memory_order_acquire);
}

HttpResponse call_sync_view(const Wrappers& ws, std::size_t i, HttpRequest& request,
                            const std::function<HttpResponse()>& view) {
  while (i < ws.size() && !ws[i].second.sync)
    ++i;
  if (i == ws.size()) return view();
  return ws[i].second.sync(request, [&] { return call_sync_view(ws, i + 1, request, view); });
}

Task<HttpResponse> call_async_view(const Wrappers& ws, std::size_t i, HttpRequest& request,
                                   const std::function<Task<HttpResponse>()>& view) {
  while (i < ws.size() && !ws[i].second.async)
    ++i;
  if (i == ws.size()) co_return co_await view();
  const std::function<Task<HttpResponse>()> next = [&ws, i, &request, &view] {
    return call_async_view(ws, i + 1, request, view);
  };
  co_return co_await ws[i].second.async(request, next);
}

// A cancelled request (the client went away, a timeout) unwinds; it is not an error of the request to
// answer with a 500.
bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const boost::system::system_error& e) {
    return e.code() == boost::asio::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

// In a coroutine: also any error of a request whose task was cancelled (its client went away). That error
// is the cancellation's doing (a query dropped, a wait given up): no response will be sent, and answering
// it with a 500 would log a server error the request never had.
bool is_cancellation(const std::exception_ptr& error, const boost::asio::cancellation_state& state) {
  return state.cancelled() != boost::asio::cancellation_type::none || is_cancellation(error);
}

// Django's adapt_method_mode: `handler` as seen from code running in the other mode.
NextHandler adapt(bool want_async, NextHandler handler) {
  if (handler.is_async == want_async) return handler;
  NextHandler adapted;
  adapted.is_async = want_async;
  if (want_async) {
    adapted.async = [sync = std::move(handler.sync)](HttpRequest& request) -> Task<HttpResponse> {
      adapter_hops.fetch_add(1, std::memory_order_relaxed);
      co_return co_await sync_to_async([&] { return sync(request); });
    };
  } else {
    adapted.sync = [async = std::move(handler.async)](HttpRequest& request) {
      adapter_hops.fetch_add(1, std::memory_order_relaxed);
      return async_to_sync([&] { return async(request); });
    };
  }
  return adapted;
}

// Django's convert_exception_to_response: no exception leaves a step of the chain, so every middleware
// sees a response — except a cancellation, which must unwind the whole request.
NextHandler convert_exceptions(NextHandler handler) {
  NextHandler converted;
  converted.is_async = handler.is_async;
  if (handler.is_async) {
    converted.async = [inner = std::move(handler.async)](HttpRequest& request) -> Task<HttpResponse> {
      std::exception_ptr error;
      try {
        co_return co_await inner(request);
      } catch (...) {
        error = std::current_exception();
      }
      auto state = co_await boost::asio::this_coro::cancellation_state;
      if (is_cancellation(error, state)) std::rethrow_exception(error);
      co_return response_for_exception(request, error);
    };
  } else {
    converted.sync = [inner = std::move(handler.sync)](HttpRequest& request) {
      try {
        return inner(request);
      } catch (...) {
        auto error = std::current_exception();
        if (is_cancellation(error)) throw;
        return response_for_exception(request, error);
      }
    };
  }
  return converted;
}

// Django's rule: only a response with a deferred render (TemplateResponse) not rendered yet goes through
// process_template_response, and is rendered after it.
bool needs_template_step(const HttpResponse& response) noexcept {
  return response.deferred() && !response.is_rendered();
}

// The views a URLconf may hold: urls::View (what path() makes of any view callable), or a plain function,
// which is wrapped into `scratch` (on the heap: a View held inline would take a coroutine frame's room for
// what few URLconfs need). The stored View is returned by reference: no copy per request.
const urls::View& view_of(const urls::ResolverMatch& match, std::unique_ptr<urls::View>& scratch) {
  if (const auto* view = std::any_cast<urls::View>(&match.func())) return *view;
  if (const auto* f = std::any_cast<HttpResponse (*)(HttpRequest&)>(&match.func()))
    return *(scratch = std::make_unique<urls::View>(*f));
  if (const auto* f = std::any_cast<Task<HttpResponse> (*)(HttpRequest&)>(&match.func()))
    return *(scratch = std::make_unique<urls::View>(*f));
  throw conf::ImproperlyConfigured("The view of URL pattern '" + match.route + "' (a " +
                                   match.func().type().name() +
                                   ") is not a view: a view is callable as HttpResponse(HttpRequest&) or "
                                   "Task<HttpResponse>(HttpRequest&).");
}

}  // namespace

struct BaseHandler::ViewHooks {
  struct Hook {
    Middleware* middleware;
    bool async_capable;
  };
  std::vector<Hook> view;               // outermost first
  std::vector<Hook> exception;          // innermost first
  std::vector<Hook> template_response;  // innermost first

  /// Django's process_exception_by_middleware in a sync chain: the first middleware that answers wins.
  std::optional<HttpResponse> sync_exception_response(HttpRequest& request, std::exception_ptr error) const {
    for (const auto& hook : exception) {
      if (auto handled = hook.middleware->process_exception(request, error)) return handled;
    }
    return std::nullopt;
  }

  // The async twins of the hooks, each a coroutine of its own: in aresolve_and_call's frame, the slots of
  // their awaits made it larger than the largest frame Asio's per-thread cache recycles, so it was allocated
  // and freed on every request, where these run only for the requests that need them. Hooks of middleware
  // that is not async-capable run on the sync strand.

  /// process_view, outermost first: the first middleware that answers skips the view.
  Task<std::optional<HttpResponse>> aview_response(HttpRequest& request,
                                                   const urls::ResolverMatch& match) const {
    co_return co_await afirst_answer(view, [&](Middleware& m) { return m.process_view(request, match); });
  }

  /// Django's process_exception_by_middleware: the first middleware that answers wins.
  Task<std::optional<HttpResponse>> aexception_response(HttpRequest& request,
                                                        const std::exception_ptr& error) const {
    co_return co_await afirst_answer(exception,
                                     [&](Middleware& m) { return m.process_exception(request, error); });
  }

  /// The first answer of `call` (a call of one middleware's hook) over `hooks`, in order. `call` is taken by
  /// reference: it lives in the caller's full expression, which includes the await.
  static Task<std::optional<HttpResponse>> afirst_answer(const std::vector<Hook>& hooks, const auto& call) {
    for (const auto& hook : hooks) {
      std::optional<HttpResponse> answer;
      if (hook.async_capable) {
        answer = call(*hook.middleware);
      } else {
        adapter_hops.fetch_add(1, std::memory_order_relaxed);
        answer = co_await sync_to_async([&] { return call(*hook.middleware); });
      }
      if (answer) co_return answer;
    }
    co_return std::nullopt;
  }

  /// process_template_response, then the render (taking `response` over); an error while rendering goes to
  /// process_exception.
  Task<HttpResponse> atemplate_response(HttpRequest& request, HttpResponse& response) const {
    for (const auto& hook : template_response) {
      if (hook.async_capable) {
        response = hook.middleware->process_template_response(request, std::move(response));
      } else {
        adapter_hops.fetch_add(1, std::memory_order_relaxed);
        response = co_await sync_to_async(
            [&] { return hook.middleware->process_template_response(request, std::move(response)); });
      }
    }
    // Rendered on the sync strand, as Django does: a template may read files (first load) or evaluate
    // QuerySets and lazy foreign keys in its context, which must not run on the event loop.
    std::exception_ptr render_error;
    try {
      adapter_hops.fetch_add(1, std::memory_order_relaxed);
      co_await sync_to_async([&] { response.render(); });
    } catch (...) {
      render_error = std::current_exception();
    }
    if (!render_error) co_return std::move(response);
    auto state = co_await boost::asio::this_coro::cancellation_state;
    if (is_cancellation(render_error, state)) std::rethrow_exception(render_error);
    if (auto handled = co_await aexception_response(request, render_error)) co_return std::move(*handled);
    std::rethrow_exception(render_error);
  }
};

namespace {

// A view the async handler does not await in place: a sync one, called on the request's sync strand, or
// one under registered view wrappers (ATOMIC_REQUESTS), called through them.
Task<HttpResponse> acall_view_elsewhere(const Wrappers* wrappers, HttpRequest& request,
                                        const urls::View& view) {
  if (view.is_async()) {
    const std::function<Task<HttpResponse>()> call = [&] { return view.async_function()(request); };
    co_return co_await call_async_view(*wrappers, 0, request, call);
  }
  adapter_hops.fetch_add(1, std::memory_order_relaxed);
  if (!wrappers) co_return co_await sync_to_async([&] { return view.sync_function()(request); });
  co_return co_await sync_to_async(
      [&] { return call_sync_view(*wrappers, 0, request, [&] { return view.sync_function()(request); }); });
}

}  // namespace

std::uint64_t BaseHandler::hops() noexcept {
  return adapter_hops.load(std::memory_order_relaxed);
}

BaseHandler::BaseHandler(Options options)
    : is_async_(options.is_async),
      settings_(options.settings ? std::move(options.settings) : conf::settings()),
      urlconf_(options.urlconf ? std::move(options.urlconf) : urls::get_resolver(settings_->ROOT_URLCONF)),
      hooks_(std::make_unique<ViewHooks>()) {
  std::vector<MiddlewareSpec> specs;
  if (options.middleware) {
    specs = std::move(*options.middleware);
  } else {
    for (const auto& name : settings_->MIDDLEWARE)
      specs.push_back(find_middleware(name));
  }

  // The view step, its exceptions converted to responses (aresolve_and_call converts its own).
  auto innermost = [this](bool is_async) {
    if (is_async) return NextHandler{true, {}, [this](HttpRequest& r) { return aresolve_and_call(r); }};
    return convert_exceptions(NextHandler{false, [this](HttpRequest& r) { return resolve_and_call(r); }, {}});
  };
  // Each middleware's mode, chosen from the server inwards: stay in the mode of the code outside while the
  // middleware supports it, switch only when it does not. That places the fewest adapters a chain can have
  // (Django chooses from the inside out, and a middleware supporting both modes can cost it two hops).
  std::vector<bool> modes(specs.size());
  bool outer_is_async = is_async_;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto& spec = specs[i];
    if (!spec.sync_capable && !spec.async_capable) {
      throw conf::ImproperlyConfigured("Middleware " + spec.name +
                                       " must have at least one of sync_capable/async_capable set to true.");
    }
    modes[i] = outer_is_async ? spec.async_capable : !spec.sync_capable;
    outer_is_async = modes[i];
  }

  std::optional<NextHandler> handler;  // empty while only the innermost step is there: its mode is free
  for (std::size_t i = specs.size(); i-- > 0;) {
    const MiddlewareSpec* spec = &specs[i];
    const bool middleware_is_async = modes[i];
    NextHandler next = handler ? adapt(middleware_is_async, *handler) : innermost(middleware_is_async);
    std::unique_ptr<Middleware> middleware;
    try {
      middleware = spec->make();
    } catch (const MiddlewareNotUsed&) {
      continue;
    }
    middleware->next_ = std::move(next);
    middleware->settings_ = settings_;
    Middleware* raw = middleware.get();
    if (spec->has_process_view) hooks_->view.insert(hooks_->view.begin(), {raw, spec->async_capable});
    if (spec->has_process_exception) hooks_->exception.push_back({raw, spec->async_capable});
    if (spec->has_process_template_response) hooks_->template_response.push_back({raw, spec->async_capable});
    NextHandler step;
    step.is_async = middleware_is_async;
    if (middleware_is_async) {
      step.async = [raw](HttpRequest& r) { return raw->acall(r); };
    } else {
      step.sync = [raw](HttpRequest& r) { return raw->call(r); };
    }
    handler = convert_exceptions(std::move(step));
    middleware_.push_back(std::move(middleware));
  }
  if (!handler) handler = innermost(is_async_);
  chain_ = adapt(is_async_, std::move(*handler));
}

BaseHandler::~BaseHandler() = default;

HttpResponse BaseHandler::get_response(HttpRequest& request) {
  if (is_async_)
    throw std::logic_error("BaseHandler::get_response() on an async handler: use aget_response()");
  return chain_.sync(request);
}

Task<HttpResponse> BaseHandler::aget_response(HttpRequest& request) {
  if (!is_async_)
    throw std::logic_error("BaseHandler::aget_response() on a sync handler: use get_response()");
  return chain_.async(request);
}

// Django's _get_response: resolve, process_view, the view, process_exception.
HttpResponse BaseHandler::resolve_and_call(HttpRequest& request) {
  auto resolved = std::make_shared<urls::ResolverMatch>();
  urlconf_->resolve(request.path_info, *resolved);
  std::shared_ptr<const urls::ResolverMatch> match = std::move(resolved);
  request.resolver_match = match;
  // A response from process_view skips the view but, as in Django, still goes through the template step.
  std::optional<HttpResponse> early;
  for (const auto& hook : hooks_->view) {
    if ((early = hook.middleware->process_view(request, *match))) break;
  }
  HttpResponse response = early ? std::move(*early) : [&] {
    std::unique_ptr<urls::View> scratch;
    const urls::View& view = view_of(*match, scratch);
    auto wrappers = current_view_wrappers();
    try {
      if (!view.is_async()) {
        if (!wrappers) return view.sync_function()(request);
        return call_sync_view(*wrappers, 0, request, [&] { return view.sync_function()(request); });
      }
      adapter_hops.fetch_add(1, std::memory_order_relaxed);
      if (wrappers) {
        // Named: the wrapper coroutines hold it by reference until the view is done.
        const std::function<Task<HttpResponse>()> call = [&] { return view.async_function()(request); };
        return async_to_sync([&] { return call_async_view(*wrappers, 0, request, call); });
      }
      return async_to_sync([&] { return view.async_function()(request); });
    } catch (...) {
      auto error = std::current_exception();
      if (is_cancellation(error)) throw;
      if (auto handled = hooks_->sync_exception_response(request, error)) return std::move(*handled);
      throw;
    }
  }();
  // An error while rendering goes to process_exception.
  if (!needs_template_step(response)) return response;
  for (const auto& hook : hooks_->template_response) {
    response = hook.middleware->process_template_response(request, std::move(response));
  }
  try {
    response.render();
  } catch (...) {
    auto error = std::current_exception();
    if (is_cancellation(error)) throw;
    if (auto handled = hooks_->sync_exception_response(request, error)) return std::move(*handled);
    throw;
  }
  return response;
}

// Django's _get_response_async, inside the innermost convert_exception_to_response: that step is this
// frame's outer try rather than a coroutine of its own (one frame and one resumption less per request).
// Hooks of middleware that is not async-capable run on the sync strand.
Task<HttpResponse> BaseHandler::aresolve_and_call(HttpRequest& request) {
  std::exception_ptr failure;
  try {
    const auto match = std::make_shared<urls::ResolverMatch>();
    urlconf_->resolve(request.path_info, *match);
    request.resolver_match = match;
    std::optional<HttpResponse> response;
    if (!hooks_->view.empty()) response = co_await hooks_->aview_response(request, *match);
    std::unique_ptr<urls::View> scratch;
    const urls::View& view = view_of(*match, scratch);
    std::exception_ptr error;
    auto wrappers = current_view_wrappers();
    try {
      if (response) {
        // process_view answered.
      } else if (wrappers || !view.is_async()) {
        response = co_await acall_view_elsewhere(wrappers.get(), request, view);
      } else if (const auto* json_view = view.json_function()) {
        // Handed on from here when it has no template step: one move and destruction of it less than
        // through `response`.
        http::JsonResponse answer = co_await (*json_view)(request);
        if (!needs_template_step(answer)) co_return std::move(answer);
        response = std::move(answer);
      } else {
        HttpResponse answer = co_await view.async_function()(request);
        if (!needs_template_step(answer)) co_return std::move(answer);
        response = std::move(answer);
      }
    } catch (...) {
      error = std::current_exception();
    }
    if (error) {
      auto state = co_await boost::asio::this_coro::cancellation_state;
      if (is_cancellation(error, state)) std::rethrow_exception(error);
      response = co_await hooks_->aexception_response(request, error);
      if (!response) std::rethrow_exception(error);
    }
    if (!needs_template_step(*response)) co_return std::move(*response);
    co_return co_await hooks_->atemplate_response(request, *response);
  } catch (...) {
    failure = std::current_exception();
  }
  auto state = co_await boost::asio::this_coro::cancellation_state;
  if (is_cancellation(failure, state)) std::rethrow_exception(failure);
  co_return response_for_exception(request, failure);
}

void set_view_wrapper(const std::string& name, ViewWrapper wrapper) {
  std::lock_guard lock(view_wrappers_mutex);
  auto current = view_wrappers.load();
  auto next = std::make_shared<Wrappers>(current ? *current : Wrappers{});
  auto it = std::find_if(next->begin(), next->end(), [&](auto& w) { return w.first == name; });
  if (it != next->end()) {
    it->second = std::move(wrapper);
  } else {
    next->emplace_back(name, std::move(wrapper));
  }
  view_wrappers.store(std::move(next), std::memory_order_release);
  have_view_wrappers.store(true, std::memory_order_release);
}

void remove_view_wrapper(const std::string& name) {
  std::lock_guard lock(view_wrappers_mutex);
  auto current = view_wrappers.load();
  if (!current) return;
  auto next = std::make_shared<Wrappers>(*current);
  std::erase_if(*next, [&](auto& w) { return w.first == name; });
  have_view_wrappers.store(!next->empty(), std::memory_order_release);
  view_wrappers.store(next->empty() ? nullptr : std::shared_ptr<const Wrappers>(std::move(next)),
                      std::memory_order_release);
}

}  // namespace duet::handlers
