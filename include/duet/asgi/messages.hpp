// Typed ASGI messages: what an application receives and sends.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "duet/asgi/scope.hpp"

namespace duet::asgi {

// Messages with members have constructors (they are not aggregates) on purpose: g++ 12 miscompiles an
// aggregate temporary with a std::string member inside a co_await expression (`co_await send(X{"..."})`
// frees a bad pointer); a constructor avoids it, so applications can write that form safely.

// ---- received by the application ----

/// http.request: a piece of the request body. The last piece has more_body == false (it may be empty).
struct HttpRequest {
  static constexpr std::string_view type = "http.request";
  HttpRequest() = default;
  explicit HttpRequest(std::string body, bool more_body = false)
      : body(std::move(body)), more_body(more_body) {}
  std::string body;
  bool more_body = false;
};

/// http.disconnect: the client went away, or the response is complete and nothing more will come.
struct HttpDisconnect {
  static constexpr std::string_view type = "http.disconnect";
};

struct LifespanStartup {
  static constexpr std::string_view type = "lifespan.startup";
};
struct LifespanShutdown {
  static constexpr std::string_view type = "lifespan.shutdown";
};

// ---- sent by the application ----

/// http.response.start: status and headers. Nothing is written until the first body message, so the
/// server can pick Content-Length or chunked framing itself when the application gave neither.
struct HttpResponseStart {
  static constexpr std::string_view type = "http.response.start";
  HttpResponseStart() = default;
  explicit HttpResponseStart(int status, Headers headers = {})
      : status(status), headers(std::move(headers)) {}
  int status = 200;
  Headers headers;
};

/// http.response.body: a piece of the response body; the last one has more_body == false.
struct HttpResponseBody {
  static constexpr std::string_view type = "http.response.body";
  HttpResponseBody() = default;
  explicit HttpResponseBody(std::string body, bool more_body = false)
      : body(std::move(body)), more_body(more_body) {}
  std::string body;
  bool more_body = false;
};

struct LifespanStartupComplete {
  static constexpr std::string_view type = "lifespan.startup.complete";
};
struct LifespanStartupFailed {
  static constexpr std::string_view type = "lifespan.startup.failed";
  LifespanStartupFailed() = default;
  explicit LifespanStartupFailed(std::string message) : message(std::move(message)) {}
  std::string message;
};
struct LifespanShutdownComplete {
  static constexpr std::string_view type = "lifespan.shutdown.complete";
};
struct LifespanShutdownFailed {
  static constexpr std::string_view type = "lifespan.shutdown.failed";
  LifespanShutdownFailed() = default;
  explicit LifespanShutdownFailed(std::string message) : message(std::move(message)) {}
  std::string message;
};

using ReceiveEvent = std::variant<HttpRequest, HttpDisconnect, LifespanStartup, LifespanShutdown>;
using SendEvent = std::variant<HttpResponseStart, HttpResponseBody, LifespanStartupComplete,
                               LifespanStartupFailed, LifespanShutdownComplete, LifespanShutdownFailed>;

/// The ASGI "type" string of a message ("http.request", ...), for logs and errors.
std::string_view type_of(const ReceiveEvent& event) noexcept;
std::string_view type_of(const SendEvent& event) noexcept;

}  // namespace duet::asgi
