#include "site.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <duet/client/client.hpp>
#include <duet/handlers/middleware.hpp>
#include <duet/http/json.hpp>
#include <duet/http/json_response.hpp>
#include <duet/http/response.hpp>
#include <duet/middleware/register.hpp>
#include <duet/runtime.hpp>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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
    response.set_content(duet::http::json_dumps(value));  // 1.0008, as Django's json.dumps writes it
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
      "<li><a href=\"/api/aggregated/\">/api/aggregated/</a>: ten /api/ calls at once with the async client "
      "(about 1 s)</li>\n"
      "<li><a href=\"/api/aggregated/sync/\">/api/aggregated/sync/</a>: the same with the blocking client in "
      "a "
      "loop (about 10 s)</li>\n"
      "<li><a href=\"/api/aggregated/threadpool/\">/api/aggregated/threadpool/</a>: the blocking client on a "
      "thread pool (about 1 s)</li>\n"
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

// ---- the aggregating views: one call per task id to /api/, three ways ----

std::mutex api_base_mutex;
std::string api_base_url;  // empty: this very site, as the request reached it

/// Where /api/ lives: API_BASE_URL if set, else the host the request came to (the article's
/// "http://localhost:8000").
std::string api_base(HttpRequest& request) {
  {
    std::lock_guard lock(api_base_mutex);
    if (!api_base_url.empty()) return api_base_url;
  }
  return request.scheme() + "://" + request.get_host();
}

/// How many calls: ten as in the article; ?n= (1 to 50) to try other fan-outs.
int fan_out(HttpRequest& request) {
  if (auto n = request.GET().get("n")) return std::clamp(std::atoi(n->c_str()), 1, 50);
  return 10;
}

duet::client::RequestOptions task_params(int task) {
  return {.params = {{"task_id", std::to_string(task)}}};
}

/// One answer for the aggregate: the body of /api/, or what went wrong (a timeout shows here).
boost::json::value as_entry(const duet::client::Response& response) {
  response.raise_for_status();
  return response.json();
}
boost::json::value as_error(const std::exception& error) {
  return boost::json::object{{"error", error.what()}};
}

/// One client per process, as httpx recommends: its pool keeps connections to /api/ alive between calls.
duet::client::AsyncClient& async_client() {
  static duet::client::AsyncClient client;
  return client;
}
duet::client::Client& sync_client() {
  static duet::client::Client client;
  return client;
}

double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

JsonResponse aggregate(std::vector<boost::json::value> entries, double fetched_in, const char* how) {
  boost::json::array responses(entries.begin(), entries.end());
  return JsonResponse(
      boost::json::object{{"message", std::string("Aggregated ") + how},
                          {"responses", std::move(responses)},
                          {"debug_message", "fetch executed in " + std::to_string(fetched_in)}});
}

Task<boost::json::value> fetch_one(std::string url, int task) {
  try {
    co_return as_entry(co_await async_client().get(std::move(url), task_params(task)));
  } catch (const std::exception& error) {
    co_return as_error(error);
  }
}

/// The article's headline: an async view that awaits all the calls at once. Each /api/ call blocks a sync
/// thread of the server for 1 s, but none blocks a loop, so ten take about 1 s together.
Task<JsonResponse> api_aggregated(HttpRequest& request) {
  auto url = api_base(request) + "/api/";
  auto started = std::chrono::steady_clock::now();
  std::vector<Task<boost::json::value>> calls;
  for (int task = 1; task <= fan_out(request); ++task)
    calls.push_back(fetch_one(url, task));
  auto entries = co_await duet::gather(std::move(calls));
  co_return aggregate(std::move(entries), seconds_since(started), "with the async client");
}

/// The same with the blocking client in a plain loop: one call after another, about 10 s.
JsonResponse api_aggregated_sync(HttpRequest& request) {
  auto url = api_base(request) + "/api/";
  auto started = std::chrono::steady_clock::now();
  std::vector<boost::json::value> entries;
  for (int task = 1; task <= fan_out(request); ++task) {
    try {
      entries.push_back(as_entry(sync_client().get(url, task_params(task))));
    } catch (const std::exception& error) {
      entries.push_back(as_error(error));
    }
  }
  return aggregate(std::move(entries), seconds_since(started), "with the blocking client");
}

/// Sync code can fan out too, with threads (the article's ThreadPoolExecutor): one thread per call, each
/// blocking in the sync client, about 1 s in all.
JsonResponse api_aggregated_threadpool(HttpRequest& request) {
  auto url = api_base(request) + "/api/";
  auto started = std::chrono::steady_clock::now();
  std::vector<std::future<boost::json::value>> calls;
  for (int task = 1; task <= fan_out(request); ++task) {
    calls.push_back(std::async(std::launch::async, [url, task]() -> boost::json::value {
      try {
        return as_entry(sync_client().get(url, task_params(task)));
      } catch (const std::exception& error) {
        return as_error(error);
      }
    }));
  }
  std::vector<boost::json::value> entries;
  for (auto& call : calls)
    entries.push_back(call.get());
  return aggregate(std::move(entries), seconds_since(started), "with a thread pool");
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
      path("api/aggregated/", api_aggregated, "api-aggregated"),
      path("api/aggregated/sync/", api_aggregated_sync, "api-aggregated-sync"),
      path("api/aggregated/threadpool/", api_aggregated_threadpool, "api-aggregated-threadpool"),
      path("hello/<str:name>/", hello, "hello"),
      path("ahello/<str:name>/", ahello, "ahello"),
      path("stream/", stream, "stream"),
  };
}

void set_api_base_url(std::string url) {
  std::lock_guard lock(api_base_mutex);
  api_base_url = std::move(url);
}

void setup() {
  if (const char* base = std::getenv("MYSITE_API_BASE_URL")) set_api_base_url(base);
  duet::conf::configure(settings());
  duet::middleware::register_builtin_middleware();
  duet::handlers::register_middleware<TimingMiddleware>("mysite.middleware.TimingMiddleware");
  duet::urls::register_urlconf("mysite.urls", urlpatterns());
}

}  // namespace mysite
