// The application the server tests talk to: one behaviour per path.
#pragma once

#include <atomic>
#include <cstdio>
#include <duet/asgi/application.hpp>
#include <duet/runtime.hpp>
#include <memory>
#include <string>

namespace duet::testing {

struct AppProbe {
  std::atomic<int> cancelled{0};
  std::atomic<int> saw_disconnect{0};
  std::atomic<int> started{0};
};

// Arguments by reference: g++ 12 can miscompile by-value class parameters of a coroutine that is called
// inside a co_await expression (GCC PR 99576; asio issue 1027). The caller's objects outlive the co_await.
inline Task<void> respond(const asgi::Send& send, int status, const std::string& body,
                          asgi::Headers headers = {}) {
  asgi::SendEvent start = asgi::HttpResponseStart(status, std::move(headers));
  co_await send(std::move(start));
  asgi::SendEvent piece = asgi::HttpResponseBody(body);
  co_await send(std::move(piece));
}

inline asgi::Application test_app(std::shared_ptr<AppProbe> probe) {
  return
      [probe](const asgi::Scope& scope, const asgi::Receive& receive, const asgi::Send& send) -> Task<void> {
        if (scope.type != asgi::ScopeType::http) throw std::runtime_error("http only");
        probe->started++;
        const std::string& path = scope.path;
        if (path == "/echo") {
          std::string body;
          int pieces = 0;
          for (;;) {
            asgi::ReceiveEvent event = co_await receive();
            auto* piece = std::get_if<asgi::HttpRequest>(&event);
            if (!piece) co_return;
            ++pieces;
            body += piece->body;
            if (!piece->more_body) break;
          }
          asgi::Headers headers;
          headers.emplace_back("x-pieces", std::to_string(pieces));
          headers.emplace_back("x-method", scope.method);
          headers.emplace_back("x-query", scope.query_string);
          co_await respond(send, 200, body, std::move(headers));
        } else if (path == "/stream") {
          co_await send(asgi::HttpResponseStart(200));
          co_await send(asgi::HttpResponseBody("one,", true));
          co_await send(asgi::HttpResponseBody("two,", true));
          co_await send(asgi::HttpResponseBody("three"));
        } else if (path == "/slow") {
          co_await duet::sleep(std::chrono::milliseconds(400));
          co_await respond(send, 200, std::string("slow done"));
        } else if (path == "/hang") {
          try {
            co_await duet::sleep(std::chrono::seconds(60));
          } catch (...) {
            probe->cancelled++;
            throw;
          }
          co_await respond(send, 200, "should not happen");
        } else if (path == "/wait-disconnect") {
          for (;;) {
            asgi::ReceiveEvent event = co_await receive();
            if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
              probe->saw_disconnect++;
              co_return;
            }
          }
        } else if (path == "/boom") {
          throw std::runtime_error("boom");
        } else if (path == "/bad-header") {
          // ?<length>,<position>,<byte>: a header value of `length` bytes with the byte (decimal) at
          // `position`, to try the server's check at every offset of the word-at-a-time scan.
          std::size_t length = 0, at = 0;
          int byte = 0;
          std::sscanf(scope.query_string.c_str(), "%zu,%zu,%d", &length, &at, &byte);
          std::string value(length, 'v');
          if (at < length) value[at] = static_cast<char>(byte);
          asgi::Headers headers;
          headers.emplace_back("x-value", value);
          co_await respond(send, 200, "sent", std::move(headers));
        } else if (path == "/context") {
          Context* context = Context::current();
          std::string label = context ? context->label() : std::string("no context");
          co_await respond(send, 200, label);
        } else if (path == "/client") {
          std::string host = scope.client ? scope.client->host : std::string("none");
          co_await respond(send, 200, host);
        } else {
          std::string text = "path:" + path;
          co_await respond(send, 200, text);
        }
      };
}

}  // namespace duet::testing
