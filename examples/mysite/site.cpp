#include "site.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <duet/handlers/middleware.hpp>
#include <duet/http/json_response.hpp>
#include <duet/http/response.hpp>
#include <duet/middleware/register.hpp>
#include <duet/runtime.hpp>
#include <string>
#include <thread>

using duet::Task;
using duet::http::HttpRequest;
using duet::http::HttpResponse;
using duet::http::JsonResponse;
using duet::urls::path;

namespace mysite {

namespace {

using namespace std::chrono_literals;

// ---- middleware.py ----

/// Adds the time the rest of the chain took as "elapsed" (seconds) to every JSON object response. Written
/// once in the sync_and_async form: only hooks, so it runs in whichever mode the chain needs.
class TimingMiddleware : public duet::handlers::Middleware {
 public:
  static constexpr bool sync_capable = true;
  static constexpr bool async_capable = true;

  std::optional<HttpResponse> process_request(HttpRequest& request) override {
    request.attrs["mysite.started"] = std::chrono::steady_clock::now();
    return std::nullopt;
  }

  HttpResponse process_response(HttpRequest& request, HttpResponse response) override {
    auto started = request.attrs.find("mysite.started");
    auto type = response.headers.get("Content-Type").value_or("");
    if (started == request.attrs.end() || response.streaming() || type.rfind("application/json", 0) != 0) {
      return response;
    }
    boost::system::error_code ec;
    auto value = boost::json::parse(response.content(), ec);
    if (ec || !value.is_object()) return response;
    auto elapsed = std::chrono::steady_clock::now() -
                   std::any_cast<std::chrono::steady_clock::time_point>(started->second);
    value.as_object()["elapsed"] = std::chrono::duration<double>(elapsed).count();
    response.set_content(boost::json::serialize(value));
    return response;
  }
};

// ---- views.py ----

HttpResponse index(HttpRequest&) {
  return HttpResponse(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mysite</title></head><body>\n"
      "<h1>mysite, on duet</h1>\n<ul>\n"
      "<li><a href=\"/api/?task_id=1\">/api/</a>: a sync view that blocks for 1 s</li>\n"
      "<li><a href=\"/api/async/?task_id=1\">/api/async/</a>: an async view that awaits 1 s</li>\n"
      "<li><a href=\"/hello/Ada/\">/hello/&lt;name&gt;/</a> and <a "
      "href=\"/ahello/Ada/\">/ahello/&lt;name&gt;/</a>: "
      "sync and async greetings</li>\n"
      "<li><a href=\"/stream/\">/stream/</a>: a body streamed from a sync generator, chunk by chunk</li>\n"
      "</ul>\n</body></html>\n");
}

std::string task_id(HttpRequest& request) {
  return request.GET().get("task_id").value_or("");
}

/// The article's blocking view: it sleeps on its sync thread, never on an event loop.
JsonResponse api(HttpRequest& request) {
  std::this_thread::sleep_for(1s);
  return JsonResponse(boost::json::object{{"message", "Hello World!"}, {"task_id", task_id(request)}});
}

/// The same with an async sleep: a thousand of these wait together on one loop.
Task<JsonResponse> api_async(HttpRequest& request) {
  co_await duet::sleep(1s);
  co_return JsonResponse(
      boost::json::object{{"message", "Hello Async World!"}, {"task_id", task_id(request)}});
}

JsonResponse hello(HttpRequest& request) {
  auto name = request.resolver_match->kwarg<std::string>("name");
  return JsonResponse(boost::json::object{{"message", "Hello, " + name + "!"}, {"mode", "sync"}});
}

Task<JsonResponse> ahello(HttpRequest& request) {
  auto name = request.resolver_match->kwarg<std::string>("name");
  co_return JsonResponse(boost::json::object{{"message", "Hello, " + name + "!"}, {"mode", "async"}});
}

/// Server-sent events from a sync generator: each event is on the wire before the next is produced.
HttpResponse stream(HttpRequest& request) {
  int count = 5;
  if (auto n = request.GET().get("n")) count = std::clamp(std::atoi(n->c_str()), 0, 100);
  auto sent = std::make_shared<int>(0);
  duet::http::StreamingHttpResponse response(
      [sent, count]() -> std::optional<std::string> {
        if (*sent == count) return std::nullopt;
        if (*sent > 0) std::this_thread::sleep_for(100ms);
        return "data: event " + std::to_string((*sent)++) + "\n\n";
      },
      200, "text/event-stream");
  response.headers.set("Cache-Control", "no-cache");
  return response;
}

}  // namespace

// ---- settings.py ----

duet::conf::Settings settings() {
  duet::conf::Settings s;
  s.DEBUG = false;
  s.ALLOWED_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"};
  s.SECRET_KEY = "mysite-example-key-change-me";
  s.ROOT_URLCONF = "mysite.urls";
  s.MIDDLEWARE = {
      "duet.middleware.security.SecurityMiddleware",
      "duet.middleware.common.CommonMiddleware",
      "duet.middleware.gzip.GZipMiddleware",
      "mysite.middleware.TimingMiddleware",
  };
  s.apply_environment();  // DUET_DEBUG=1, DUET_ALLOWED_HOSTS=..., see docs/settings.md
  return s;
}

// ---- urls.py ----

duet::urls::UrlPatterns urlpatterns() {
  return {
      path("", index, "index"),
      path("api/", api, "api"),
      path("api/async/", api_async, "api-async"),
      path("hello/<str:name>/", hello, "hello"),
      path("ahello/<str:name>/", ahello, "ahello"),
      path("stream/", stream, "stream"),
  };
}

void setup() {
  duet::conf::configure(settings());
  duet::middleware::register_builtin_middleware();
  duet::handlers::register_middleware<TimingMiddleware>("mysite.middleware.TimingMiddleware");
  duet::urls::register_urlconf("mysite.urls", urlpatterns());
}

}  // namespace mysite
