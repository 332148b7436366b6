#include "duet/views/decorators.hpp"

#include <algorithm>
#include <memory>

#include "duet/http/response.hpp"

namespace duet::views {

namespace {

struct Decorated {
  std::vector<std::string> methods;
  urls::View view;
};

bool allowed(const Decorated& d, const http::HttpRequest& request) {
  return std::find(d.methods.begin(), d.methods.end(), request.method) != d.methods.end();
}

// Parameters by value: the state lives in the coroutine frame whatever happens to the caller's copy.
Task<http::HttpResponse> run_async(std::shared_ptr<const Decorated> d, http::HttpRequest& request) {
  if (!allowed(*d, request)) co_return http::HttpResponseNotAllowed(d->methods);
  co_return co_await d->view.async_function()(request);
}

}  // namespace

urls::View RequireHttpMethods::operator()(urls::View view) const {
  auto name = view.name();
  const bool is_async = view.is_async();
  auto d = std::make_shared<const Decorated>(Decorated{methods_, std::move(view)});
  if (is_async) {
    return urls::View([d](http::HttpRequest& request) { return run_async(d, request); }, std::move(name));
  }
  return urls::View(
      [d](http::HttpRequest& request) -> http::HttpResponse {
        if (!allowed(*d, request)) return http::HttpResponseNotAllowed(d->methods);
        return d->view.sync_function()(request);
      },
      std::move(name));
}

}  // namespace duet::views
