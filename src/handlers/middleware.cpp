#include "duet/handlers/middleware.hpp"

#include <map>
#include <mutex>

namespace duet::handlers {

HttpResponse Middleware::call(HttpRequest& request) {
  if (auto early = process_request(request)) return process_response(request, std::move(*early));
  return process_response(request, get_response(request));
}

Task<HttpResponse> Middleware::acall(HttpRequest& request) {
  if (auto early = process_request(request)) co_return process_response(request, std::move(*early));
  co_return process_response(request, co_await aget_response(request));
}

std::optional<HttpResponse> Middleware::process_request(HttpRequest&) {
  return std::nullopt;
}
HttpResponse Middleware::process_response(HttpRequest&, HttpResponse response) {
  return response;
}
std::optional<HttpResponse> Middleware::process_view(HttpRequest&, const urls::ResolverMatch&) {
  return std::nullopt;
}
std::optional<HttpResponse> Middleware::process_exception(HttpRequest&, std::exception_ptr) {
  return std::nullopt;
}
HttpResponse Middleware::process_template_response(HttpRequest&, HttpResponse response) {
  return response;
}

HttpResponse Middleware::get_response(HttpRequest& request) {
  if (next_.is_async) {
    throw std::logic_error(
        "get_response() called in an async middleware chain: use co_await aget_response()");
  }
  return next_.sync(request);
}

Task<HttpResponse> Middleware::aget_response(HttpRequest& request) {
  if (!next_.is_async) {
    throw std::logic_error("aget_response() called in a sync middleware chain: use get_response()");
  }
  return next_.async(request);
}

namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, MiddlewareSpec> specs;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void register_middleware(MiddlewareSpec spec) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.specs[spec.name] = std::move(spec);
}

MiddlewareSpec find_middleware(const std::string& name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.specs.find(name); it != r.specs.end()) return it->second;
  std::string known;
  for (const auto& [registered, spec] : r.specs)
    known += (known.empty() ? "" : ", ") + registered;
  throw conf::ImproperlyConfigured("MIDDLEWARE names '" + name + "', which is not a registered middleware (" +
                                   (known.empty() ? std::string("none registered") : "registered: " + known) +
                                   "). Register it with duet::handlers::register_middleware<T>(\"" + name +
                                   "\").");
}

}  // namespace duet::handlers
