// hello: the plaintext and JSON endpoints of the HTTP benchmark, on duet's server.
//
//   hello --port 8080 --no-access-log            async server, one loop per core
//   hello --mode threaded --threads 64           thread-per-connection, synchronous application
//   hello --certfile cert.pem --keyfile key.pem  HTTPS and wss
//
// HELLO_READ_BODIES=1 hello ...: a POST's body is read in full before the answer (the body-read load,
// bench/http/post_body.lua).
// /ws/echo is a WebSocket echo endpoint (async mode): every text or binary message comes back as sent.
#include <cstdlib>
#include <duet/asgi/application.hpp>
#include <duet/asgi/sync.hpp>
#include <duet/server/command_line.hpp>
#include <string_view>

#include "reading_bodies.hpp"

namespace {

constexpr std::string_view plaintext = "Hello, World!";
constexpr std::string_view json = R"({"message":"Hello, World!"})";

// The WebSocket echo: accept, then send every message back until the client goes away. Messages are built
// as named locals before co_await (see docs/asgi.md on g++ 12 and coroutine temporaries).
duet::Task<void> echo(const duet::asgi::Scope& scope, const duet::asgi::Receive& receive,
                      const duet::asgi::Send& send) {
  co_await receive();  // websocket.connect
  if (scope.path != "/ws/echo") {
    duet::asgi::SendEvent refuse = duet::asgi::WebSocketClose(1000);
    co_await send(std::move(refuse));  // before accept: the client gets 403
    co_return;
  }
  duet::asgi::SendEvent accept = duet::asgi::WebSocketAccept();
  co_await send(std::move(accept));
  for (;;) {
    duet::asgi::ReceiveEvent event = co_await receive();
    auto* message = std::get_if<duet::asgi::WebSocketReceive>(&event);
    if (!message) co_return;  // websocket.disconnect
    duet::asgi::SendEvent reply = message->text
                                      ? duet::asgi::WebSocketSend::from_text(std::move(*message->text))
                                      : duet::asgi::WebSocketSend::from_bytes(std::move(*message->bytes));
    co_await send(std::move(reply));
  }
}

duet::Task<void> app(const duet::asgi::Scope& scope, const duet::asgi::Receive& receive,
                     const duet::asgi::Send& send) {
  if (scope.type == duet::asgi::ScopeType::websocket) {
    co_await echo(scope, receive, send);
    co_return;
  }
  if (scope.type != duet::asgi::ScopeType::http) co_return;  // no lifespan work to do
  duet::asgi::HttpResponseStart start;
  std::string_view body;
  if (scope.path == "/plaintext" || scope.path == "/") {
    start.headers.push_back({"content-type", "text/plain"});
    body = plaintext;
  } else if (scope.path == "/json") {
    start.headers.push_back({"content-type", "application/json"});
    body = json;
  } else {
    start.status = 404;
    start.headers.push_back({"content-type", "text/plain"});
    body = "Not Found";
  }
  co_await send(std::move(start));
  co_await send(duet::asgi::HttpResponseBody{std::string(body), false});
}

duet::asgi::SyncResponse sync_app(const duet::asgi::Scope& scope, duet::asgi::InputStream&) {
  duet::asgi::SyncResponse response;
  if (scope.path == "/plaintext" || scope.path == "/") {
    response.headers.push_back({"content-type", "text/plain"});
    response.body = plaintext;
  } else if (scope.path == "/json") {
    response.headers.push_back({"content-type", "application/json"});
    response.body = json;
  } else {
    response.status = 404;
    response.body = "Not Found";
  }
  return response;
}

}  // namespace

int main(int argc, char** argv) {
  duet::server::CommandLine defaults;
  defaults.server.access_log = true;
  if (const char* read_bodies = std::getenv("HELLO_READ_BODIES");
      read_bodies && read_bodies == std::string_view("1"))
    return duet::server::run_main(argc, argv, hello::reading_bodies(app), sync_app, defaults);
  return duet::server::run_main(argc, argv, app, sync_app, defaults);
}
