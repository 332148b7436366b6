// Typed ASGI messages: what an application receives and sends.
#pragma once

#include <cstdint>
#include <optional>
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

/// websocket.connect: the client asked to open a WebSocket; answer with WebSocketAccept or WebSocketClose.
struct WebSocketConnect {
  static constexpr std::string_view type = "websocket.connect";
};

/// websocket.receive: one whole message from the client; exactly one of `bytes` (binary) and `text` is set.
struct WebSocketReceive {
  static constexpr std::string_view type = "websocket.receive";
  WebSocketReceive() = default;
  static WebSocketReceive from_text(std::string text) {
    WebSocketReceive m;
    m.text = std::move(text);
    return m;
  }
  static WebSocketReceive from_bytes(std::string bytes) {
    WebSocketReceive m;
    m.bytes = std::move(bytes);
    return m;
  }
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};

/// websocket.disconnect: the WebSocket is closed (by the client, the server, a limit or a timeout). `code`
/// is the close code the client sent, or 1006 when the connection ended without a close frame.
struct WebSocketDisconnect {
  static constexpr std::string_view type = "websocket.disconnect";
  WebSocketDisconnect() = default;
  explicit WebSocketDisconnect(std::uint16_t code) : code(code) {}
  std::uint16_t code = 1005;
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

/// websocket.accept: open the WebSocket (the server answers 101), optionally choosing one of the client's
/// subprotocols and adding headers to the 101 response.
struct WebSocketAccept {
  static constexpr std::string_view type = "websocket.accept";
  WebSocketAccept() = default;
  explicit WebSocketAccept(std::optional<std::string> subprotocol, Headers headers = {})
      : subprotocol(std::move(subprotocol)), headers(std::move(headers)) {}
  std::optional<std::string> subprotocol;
  Headers headers;
};

/// websocket.send: one message to the client; set exactly one of `bytes` (binary frame) and `text`.
struct WebSocketSend {
  static constexpr std::string_view type = "websocket.send";
  WebSocketSend() = default;
  static WebSocketSend from_text(std::string text) {
    WebSocketSend m;
    m.text = std::move(text);
    return m;
  }
  static WebSocketSend from_bytes(std::string bytes) {
    WebSocketSend m;
    m.bytes = std::move(bytes);
    return m;
  }
  std::optional<std::string> bytes;
  std::optional<std::string> text;
};

/// websocket.close: before websocket.accept it refuses the connection (HTTP 403); after it, the server
/// sends a close frame with `code` and `reason` (at most 123 bytes).
struct WebSocketClose {
  static constexpr std::string_view type = "websocket.close";
  WebSocketClose() = default;
  explicit WebSocketClose(std::uint16_t code, std::string reason = {})
      : code(code), reason(std::move(reason)) {}
  std::uint16_t code = 1000;
  std::string reason;
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

using ReceiveEvent = std::variant<HttpRequest, HttpDisconnect, LifespanStartup, LifespanShutdown,
                                  WebSocketConnect, WebSocketReceive, WebSocketDisconnect>;
using SendEvent = std::variant<HttpResponseStart, HttpResponseBody, LifespanStartupComplete,
                               LifespanStartupFailed, LifespanShutdownComplete, LifespanShutdownFailed,
                               WebSocketAccept, WebSocketSend, WebSocketClose>;

/// The ASGI "type" string of a message ("http.request", ...), for logs and errors.
std::string_view type_of(const ReceiveEvent& event) noexcept;
std::string_view type_of(const SendEvent& event) noexcept;

}  // namespace duet::asgi
