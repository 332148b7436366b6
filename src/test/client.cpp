#include "duet/test/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "duet/asgi/call.hpp"
#include "duet/conf/settings.hpp"
#include "duet/handlers/asgi.hpp"
#include "duet/http/encoding.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/context.hpp"
#include "request_building.hpp"

namespace duet::test {

using detail::encode_multipart;
using detail::kBoundary;
using detail::lower;
using detail::with_query;

namespace {

constexpr int kMaxRedirects = 20;

// "Set-Cookie: name=value; Path=/; Max-Age=0" → the jar.
void store_cookie(std::map<std::string, std::string>& jar, std::string_view header) {
  auto semicolon = header.find(';');
  std::string_view pair = header.substr(0, semicolon);
  auto eq = pair.find('=');
  if (eq == std::string_view::npos) return;
  std::string name(pair.substr(0, eq));
  std::string value(pair.substr(eq + 1));
  std::string attributes = lower(semicolon == std::string_view::npos ? "" : header.substr(semicolon));
  bool expired = attributes.find("max-age=0") != std::string::npos ||
                 attributes.find("01 jan 1970") != std::string::npos;
  if (expired) {
    jar.erase(name);
  } else {
    jar[name] = value;
  }
}

// The URL a redirect leads to, relative to the request's path.
std::string resolve_location(std::string_view current_path, std::string location) {
  for (std::string_view prefix : {"http://testserver", "https://testserver"}) {
    if (location.rfind(prefix, 0) == 0)
      return location.substr(prefix.size()).empty() ? "/" : location.substr(prefix.size());
  }
  if (!location.empty() && location[0] == '/') return location;
  std::string base(current_path.substr(0, current_path.find('?')));
  return base.substr(0, base.rfind('/') + 1) + location;
}

}  // namespace

std::optional<std::string> Response::header(std::string_view name) const {
  std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return std::nullopt;
}

std::string Response::operator[](std::string_view name) const {
  if (auto value = header(name)) return *value;
  throw std::out_of_range("the response has no header '" + std::string(name) + "'");
}

boost::json::value Response::json() const {
  std::string type = header("content-type").value_or("");
  if (type.rfind("application/json", 0) != 0) {
    throw std::invalid_argument("Content-Type header is \"" + type + "\", not \"application/json\"");
  }
  return boost::json::parse(content);
}

namespace detail {

class ClientCore {
 public:
  explicit ClientCore(asgi::Application app) : app_(std::move(app)) {
    if (!app_) app_ = handlers::get_asgi_application();
  }

  Task<Response> request(std::string method, std::string target, std::string body, std::string content_type,
                         RequestOptions options) {
    Response response = co_await once(method, target, body, content_type, options);
    if (!options.follow) co_return response;
    std::vector<std::pair<std::string, int>> chain;
    while (response.status_code >= 300 && response.status_code < 400 && response.has_header("location")) {
      if (chain.size() >= kMaxRedirects) throw std::runtime_error("redirect loop: more than 20 redirects");
      target = resolve_location(target, response["location"]);
      chain.emplace_back(target, response.status_code);
      // 307 and 308 repeat the request; the others become a GET without a body, as browsers do.
      if (response.status_code != 307 && response.status_code != 308) {
        method = method == "HEAD" ? "HEAD" : "GET";
        body.clear();
        content_type.clear();
      }
      response = co_await once(method, target, body, content_type, options);
    }
    response.redirect_chain = std::move(chain);
    co_return response;
  }

  std::map<std::string, std::string> cookies;

 private:
  Task<Response> once(const std::string& method, const std::string& target, const std::string& body,
                      const std::string& content_type, const RequestOptions& options) {
    asgi::Scope scope;
    scope.type = asgi::ScopeType::http;
    scope.method = method;
    scope.scheme = options.secure ? "https" : "http";
    auto question = target.find('?');
    scope.raw_path = target.substr(0, question);
    scope.query_string = question == std::string::npos ? "" : target.substr(question + 1);
    scope.path = asgi::percent_decode_path(scope.raw_path).value_or(scope.raw_path);
    scope.client = asgi::Address{"127.0.0.1", 0};
    scope.server = asgi::Address{"testserver", static_cast<std::uint16_t>(options.secure ? 443 : 80)};
    scope.headers.push_back({"host", "testserver"});
    if (!cookies.empty()) {
      std::string cookie;
      for (const auto& [name, value] : cookies)
        cookie += (cookie.empty() ? "" : "; ") + name + "=" + value;
      scope.headers.push_back({"cookie", cookie});
    }
    if (!content_type.empty()) scope.headers.push_back({"content-type", content_type});
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      scope.headers.push_back({"content-length", std::to_string(body.size())});
    }
    for (const auto& [name, value] : options.headers) {
      std::string key = lower(name);
      std::erase_if(scope.headers, [&](const asgi::Header& h) { return h.name == key; });
      scope.headers.push_back({key, value});
    }

    // A fresh flow per request, as the server gives one: its sync views lease their own strand.
    asgi::CallResult result;
    if (Context* current = Context::current()) {
      auto flow = Context::create(current->loop(), current->pool(), method + " " + scope.raw_path);
      result = co_await boost::asio::co_spawn(flow->executor(), asgi::call(app_, std::move(scope), body),
                                              boost::asio::use_awaitable);
    } else {
      result = co_await asgi::call(app_, std::move(scope), body);
    }

    Response response;
    response.status_code = result.status;
    response.content = std::move(result.body);
    response.request_method = method;
    response.request_path = target;
    for (auto& header : result.headers) {
      if (header.name == "set-cookie") store_cookie(cookies, header.value);
      response.headers.emplace_back(std::move(header.name), std::move(header.value));
    }
    co_return response;
  }

  asgi::Application app_;
};

}  // namespace detail

AsyncClient::AsyncClient(asgi::Application app)
    : core_(std::make_unique<detail::ClientCore>(std::move(app))) {}
AsyncClient::~AsyncClient() = default;
AsyncClient::AsyncClient(AsyncClient&&) noexcept = default;

std::map<std::string, std::string>& AsyncClient::cookies() {
  return core_->cookies;
}

Task<Response> AsyncClient::generic(std::string method, std::string_view path, std::string body,
                                    std::string content_type, const RequestOptions& options) {
  return core_->request(std::move(method), std::string(path), std::move(body), std::move(content_type),
                        options);
}

Task<Response> AsyncClient::get(std::string_view path, const Data& query, const RequestOptions& options) {
  return generic("GET", with_query(path, query), {}, {}, options);
}

Task<Response> AsyncClient::post(std::string_view path, const Data& form, const RequestOptions& options,
                                 const std::vector<File>& files) {
  return generic("POST", path, encode_multipart(form, files),
                 "multipart/form-data; boundary=" + std::string(kBoundary), options);
}

Task<Response> AsyncClient::post_json(std::string_view path, const boost::json::value& json,
                                      const RequestOptions& options) {
  return generic("POST", path, boost::json::serialize(json), "application/json", options);
}

Task<Response> AsyncClient::put(std::string_view path, std::string body, std::string content_type,
                                const RequestOptions& options) {
  return generic("PUT", path, std::move(body), std::move(content_type), options);
}

Task<Response> AsyncClient::patch(std::string_view path, std::string body, std::string content_type,
                                  const RequestOptions& options) {
  return generic("PATCH", path, std::move(body), std::move(content_type), options);
}

Task<Response> AsyncClient::delete_(std::string_view path, const RequestOptions& options) {
  return generic("DELETE", path, {}, {}, options);
}

Task<Response> AsyncClient::head(std::string_view path, const Data& query, const RequestOptions& options) {
  return generic("HEAD", with_query(path, query), {}, {}, options);
}

Task<Response> AsyncClient::options(std::string_view path, const RequestOptions& options) {
  return generic("OPTIONS", path, {}, {}, options);
}

Client::Client(asgi::Application app) : client_(std::move(app)) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;

std::map<std::string, std::string>& Client::cookies() {
  return client_.cookies();
}

Response Client::get(std::string_view path, const Data& query, const RequestOptions& options) {
  return async_to_sync([&] { return client_.get(path, query, options); });
}
Response Client::post(std::string_view path, const Data& form, const RequestOptions& options,
                      const std::vector<File>& files) {
  return async_to_sync([&] { return client_.post(path, form, options, files); });
}
Response Client::post_json(std::string_view path, const boost::json::value& json,
                           const RequestOptions& options) {
  return async_to_sync([&] { return client_.post_json(path, json, options); });
}
Response Client::put(std::string_view path, std::string body, std::string content_type,
                     const RequestOptions& options) {
  return async_to_sync([&] { return client_.put(path, std::move(body), std::move(content_type), options); });
}
Response Client::patch(std::string_view path, std::string body, std::string content_type,
                       const RequestOptions& options) {
  return async_to_sync(
      [&] { return client_.patch(path, std::move(body), std::move(content_type), options); });
}
Response Client::delete_(std::string_view path, const RequestOptions& options) {
  return async_to_sync([&] { return client_.delete_(path, options); });
}
Response Client::head(std::string_view path, const Data& query, const RequestOptions& options) {
  return async_to_sync([&] { return client_.head(path, query, options); });
}
Response Client::options(std::string_view path, const RequestOptions& options) {
  return async_to_sync([&] { return client_.options(path, options); });
}
Response Client::generic(std::string method, std::string_view path, std::string body,
                         std::string content_type, const RequestOptions& options) {
  return async_to_sync([&] {
    return client_.generic(std::move(method), path, std::move(body), std::move(content_type), options);
  });
}

void setup_test_environment() {
  conf::Settings settings = *conf::settings();
  if (std::find(settings.ALLOWED_HOSTS.begin(), settings.ALLOWED_HOSTS.end(), "testserver") ==
      settings.ALLOWED_HOSTS.end()) {
    settings.ALLOWED_HOSTS.push_back("testserver");
  }
  conf::configure(std::move(settings));
}

}  // namespace duet::test
