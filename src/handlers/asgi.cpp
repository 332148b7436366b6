#include "duet/handlers/asgi.hpp"

#include <algorithm>
#include <cstring>
#include <variant>

#include "duet/detail/byte_words.hpp"
#include "duet/http/body.hpp"
#include "duet/http/exceptions.hpp"
#include "duet/http/headers.hpp"
#include "duet/runtime/async_to_sync.hpp"
#include "duet/runtime/safety.hpp"
#include "duet/runtime/sync_to_async.hpp"

namespace duet::handlers {

namespace {

// The request body as the server delivers it: http.request messages pulled from receive() on demand, so a
// view that never reads the body never waits for it, and one that streams it never holds it whole.
class ReceiveBodySource final : public http::BodySource {
 public:
  ReceiveBodySource(const asgi::Receive& receive, std::optional<std::size_t> length)
      : receive_(receive), length_(length) {}

  Task<std::size_t> aread(std::span<char> dst) override {
    while (offset_ == chunk_.size() && !finished_) {
      auto event = co_await receive_();
      if (auto* piece = std::get_if<asgi::HttpRequest>(&event)) {
        chunk_ = std::move(piece->body);
        offset_ = 0;
        finished_ = !piece->more_body;
      } else if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
        throw http::UnreadablePostError("the client disconnected before the request body was complete");
      }
    }
    std::size_t n = std::min(dst.size(), chunk_.size() - offset_);
    std::memcpy(dst.data(), chunk_.data() + offset_, n);
    offset_ += n;
    co_return n;
  }

  // A sync view reads from its sync thread: the receive happens on the request's loop meanwhile.
  std::size_t read(std::span<char> dst) override {
    ensure_sync_context("HttpRequest body read", "co_await request.aread()");
    if (offset_ < chunk_.size() || finished_) {
      std::size_t n = std::min(dst.size(), chunk_.size() - offset_);
      std::memcpy(dst.data(), chunk_.data() + offset_, n);
      offset_ += n;
      return n;
    }
    return async_to_sync([&] { return aread(dst); });
  }

  std::optional<std::size_t> length() const override { return length_; }

 private:
  const asgi::Receive& receive_;
  std::optional<std::size_t> length_;
  std::string chunk_;
  std::size_t offset_ = 0;
  bool finished_ = false;
};

// The threaded server's body stream.
class InputStreamBodySource final : public http::BodySource {
 public:
  InputStreamBodySource(asgi::InputStream& input, std::optional<std::size_t> length)
      : input_(input), length_(length) {}
  std::size_t read(std::span<char> dst) override { return input_.read(dst); }
  Task<std::size_t> aread(std::span<char> dst) override {
    co_return co_await sync_to_async([&] { return input_.read(dst); });
  }
  std::optional<std::size_t> length() const override { return length_; }

 private:
  asgi::InputStream& input_;
  std::optional<std::size_t> length_;
};

std::optional<std::size_t> content_length(const asgi::Headers& headers) {
  auto value = asgi::find_header(headers, "content-length");
  if (!value || value->empty()) return std::nullopt;
  std::size_t n = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

// The request, each string copied once from the scope straight into it (the scope outlives the request: the
// server keeps it until the application returns).
http::HttpRequest request_of(const asgi::Scope& scope, http::BodySource& body,
                             std::shared_ptr<const conf::Settings> settings) {
  http::RequestPartsView parts{.method = scope.method,
                               .scheme = scope.scheme,
                               .path = scope.path,
                               .root_path = scope.root_path,
                               .query_string = scope.query_string};
  parts.headers.reserve(scope.headers.size());
  for (const auto& header : scope.headers)
    parts.headers.emplace_back(header.name, header.value);
  if (scope.client) parts.client.emplace(scope.client->host, scope.client->port);
  if (scope.server) parts.server.emplace(scope.server->host, scope.server->port);
  // Not owned: the body source lives in the caller's frame, as the receive function or input stream it
  // reads from does, for as long as the request is served.
  parts.body = std::shared_ptr<http::BodySource>(std::shared_ptr<void>(), &body);
  return http::HttpRequest::from_view(std::move(parts), std::move(settings));
}

// HttpResponse::serialize_headers(), lower-cased as ASGI wants, the strings moved rather than copied: the
// response is only read for its body after this.
asgi::Headers take_response_headers(http::HttpResponse& response) {
  auto items = std::move(response.headers).take_items();
  const auto& cookies = response.cookies();
  asgi::Headers headers;
  headers.reserve(items.size() + cookies.size());
  for (auto& [name, value] : items) {
    duet::detail::lower_ascii_in_place(name.data(), name.size());
    // Move-assigned into an empty Header: its constructor takes the strings by value, two moves each.
    auto& header = headers.emplace_back();
    header.name = std::move(name);
    header.value = std::move(value);
  }
  for (const auto& cookie : cookies)
    headers.emplace_back("set-cookie", cookie.output());
  return headers;
}

Task<void> serve_lifespan(const asgi::Receive& receive, const asgi::Send& send) {
  for (;;) {
    auto event = co_await receive();
    if (std::holds_alternative<asgi::LifespanStartup>(event)) {
      co_await send(asgi::LifespanStartupComplete{});
    } else if (std::holds_alternative<asgi::LifespanShutdown>(event)) {
      co_await send(asgi::LifespanShutdownComplete{});
      co_return;
    }
  }
}

// The handler's settings for a request it serves, not owned: the handler outlives the request, and a
// reference count shared by every loop's requests would bounce its cache line between cores twice a request.
std::shared_ptr<const conf::Settings> settings_for_request(const BaseHandler& handler) {
  return std::shared_ptr<const conf::Settings>(std::shared_ptr<void>(), handler.settings_ptr().get());
}

BaseHandler::Options in_mode(BaseHandler::Options options, bool is_async) {
  options.is_async = is_async;
  return options;
}

}  // namespace

ASGIHandler::ASGIHandler(BaseHandler::Options options)
    : handler_(std::make_shared<BaseHandler>(in_mode(std::move(options), true))) {}

Task<void> ASGIHandler::operator()(const asgi::Scope& scope, const asgi::Receive& receive,
                                   const asgi::Send& send) const {
  if (scope.type == asgi::ScopeType::lifespan) {
    co_await serve_lifespan(receive, send);
    co_return;
  }
  if (scope.type != asgi::ScopeType::http) {
    throw asgi::ProtocolError("duet's ASGIHandler serves http and lifespan scopes, not " +
                              std::string(asgi::to_string(scope.type)));
  }
  ReceiveBodySource body(receive, content_length(scope.headers));
  http::HttpRequest request = request_of(scope, body, settings_for_request(*handler_));
  http::HttpResponse response = co_await handler_->aget_response(request);
  co_await send(asgi::HttpResponseStart(response.status_code(), take_response_headers(response)));
  if (!response.streaming()) {
    co_await send(asgi::HttpResponseBody(std::move(response).take_content(), false));
    co_return;
  }
  while (auto chunk = co_await response.anext_chunk())
    co_await send(asgi::HttpResponseBody(std::move(*chunk), true));
  co_await send(asgi::HttpResponseBody(std::string(), false));
}

asgi::Application get_asgi_application(BaseHandler::Options options) {
  auto handler = std::make_shared<ASGIHandler>(std::move(options));
  return [handler](const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) {
    return (*handler)(scope, receive, send);
  };
}

asgi::SyncApplication get_wsgi_application(BaseHandler::Options options) {
  auto handler = std::make_shared<BaseHandler>(in_mode(std::move(options), false));
  return [handler](const asgi::Scope& scope, asgi::InputStream& input) {
    InputStreamBodySource body(input, content_length(scope.headers));
    http::HttpRequest request = request_of(scope, body, settings_for_request(*handler));
    auto response = std::make_shared<http::HttpResponse>(handler->get_response(request));
    asgi::SyncResponse out;
    out.status = response->status_code();
    out.headers = take_response_headers(*response);
    if (response->streaming()) {
      out.next_chunk = [response] { return response->next_chunk(); };
    } else {
      out.body = response->content();
    }
    return out;
  };
}

}  // namespace duet::handlers
